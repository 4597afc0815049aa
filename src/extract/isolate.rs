//! Third-party document parsers, run in a child process with a time limit.
//!
//! Some parsers fail in ways a thread cannot survive. Seen on crafted or
//! damaged files: the PDF parser looped forever on a page tree that is its
//! own parent (the scan never finished) and overflowed its stack on 200,000
//! nested arrays; the spreadsheet parser asked for 944 GB for an `.xls`
//! whose header had one byte changed (109 of 150 such mutations). A stack
//! overflow and a failed allocation abort the whole process, with no
//! report; `catch_unwind` catches neither, nor a loop. So the scanner runs
//! this binary again with a hidden subcommand ([`serve`]), hands it the
//! document on stdin and reads what the parser made of it from stdout. A
//! child that runs past the time limit is killed, one whose resident memory
//! passes its limit stops itself, and one that crashes is that file's
//! error; what it wrote before is kept. Without a helper binary
//! (the library used on its own), the parsers run in this process.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt;

/// The hidden subcommand that runs [`serve`].
pub const SUBCOMMAND: &str = "internal-extract";

/// Exit code of a child whose parser reported an error (on stderr).
pub const EXIT_UNREADABLE: i32 = 3;
/// Exit code of a child whose parser panicked.
pub const EXIT_PANICKED: i32 = 4;
/// Exit code of a child that stopped itself at its own time limit (the
/// parent's, plus [`CHILD_GRACE`]: it outlives only a parent that is gone).
const EXIT_TIMED_OUT: i32 = 5;
/// Exit code of a child that stopped itself for using more memory than
/// its limit.
const EXIT_OVER_MEMORY: i32 = 6;
/// How often a child looks at its own resident memory.
const MEMORY_POLL: Duration = Duration::from_millis(20);
/// How much longer than the parent's time limit a child lets itself run.
const CHILD_GRACE: Duration = Duration::from_secs(5);
/// Stack of the parser's thread in a child (a process's main thread's).
const PARSER_STACK: usize = 8 << 20;
/// Bytes of a child's stderr kept.
const MESSAGE_MAX: usize = 300;

/// A parser that runs in a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    /// `pdf-extract`: the text layer.
    Pdf,
    /// `calamine`: the sheets and their rows.
    Sheets,
}

impl Parser {
    /// The subcommand's argument.
    pub fn arg(self) -> &'static str {
        match self {
            Parser::Pdf => "pdf",
            Parser::Sheets => "sheets",
        }
    }

    /// The parser named by a subcommand argument.
    pub fn from_arg(arg: &str) -> Option<Self> {
        [Parser::Pdf, Parser::Sheets]
            .into_iter()
            .find(|p| p.arg() == arg)
    }

    /// The parser in words.
    fn noun(self) -> &'static str {
        match self {
            Parser::Pdf => "PDF",
            Parser::Sheets => "spreadsheet",
        }
    }
}

/// How parsers are isolated.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// The `leakscan` binary to run with [`SUBCOMMAND`].
    pub helper: PathBuf,
    /// Kill a child after this long.
    pub timeout: Duration,
    /// A child stops itself once its resident memory passes this many
    /// bytes (0: no limit).
    pub memory: u64,
}

/// A child that did not exit by itself.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    /// It ran past the time limit and was killed.
    #[error("the {0} parser did not finish within {1} s and was stopped")]
    TimedOut(&'static str, u64),
    /// It died (a stack overflow, a failed allocation, the kernel's
    /// out-of-memory killer).
    #[error("the {0} parser crashed ({1})")]
    Crashed(&'static str, String),
    /// Its resident memory passed the limit (MiB) and it stopped.
    #[error("the {0} parser used more than {1} MiB of memory and was stopped")]
    OverMemory(&'static str, u64),
    /// It could not be started (the caller parses in this process then).
    #[error("could not start the {0} parser process: {1}")]
    Spawn(&'static str, io::Error),
    /// It could not be talked to.
    #[error("could not run the {0} parser process: {1}")]
    Io(&'static str, io::Error),
}

/// How a child that exited by itself ended.
#[derive(Debug)]
pub struct Exit {
    /// Its exit code.
    pub code: i32,
    /// The start of what it wrote to stderr.
    pub message: String,
}

/// Run `parser` on `bytes` in a child; `read` is given the child's stdout
/// while it runs (what it reads before a crash or the time limit stays
/// read). A child that cannot be started ([`ChildError::Spawn`]: the binary
/// moved, a `noexec` mount) is the caller's to handle: it parses in this
/// process, as without isolation.
pub fn run(
    parser: Parser,
    bytes: &[u8],
    iso: &Isolation,
    read: impl FnOnce(&mut dyn BufRead),
) -> Result<Exit, ChildError> {
    let noun = parser.noun();
    let mut child = Command::new(&iso.helper)
        .args([SUBCOMMAND, parser.arg()])
        .arg((iso.timeout + CHILD_GRACE).as_secs().to_string())
        .arg(iso.memory.to_string())
        // The child needs no secrets: the fingerprint key stays here.
        .env_remove(crate::cli::HASH_KEY_ENV)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ChildError::Spawn(noun, e))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(ChildError::Io(
            noun,
            io::Error::other("no pipes to the child"),
        ));
    };
    std::thread::scope(|s| {
        // The document is written, stderr read and the time limit kept on
        // threads of their own; stdout is read here. A killed child's
        // pipes close, which ends them all.
        s.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        let message = s.spawn(move || {
            let mut stderr = stderr;
            let mut message = Vec::new();
            let _ = (&mut stderr)
                .take(MESSAGE_MAX as u64)
                .read_to_end(&mut message);
            // The rest is read and dropped: a child must not block on it.
            let _ = io::copy(&mut stderr, &mut io::sink());
            String::from_utf8_lossy(&message).trim().to_string()
        });
        let timeout = iso.timeout;
        let status = s.spawn(move || match child.wait_timeout(timeout) {
            Ok(Some(status)) => Ok(status),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(ChildError::TimedOut(noun, timeout.as_secs()))
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(ChildError::Io(noun, e))
            }
        });
        read(&mut BufReader::new(stdout));
        let status = status
            .join()
            .unwrap_or_else(|_| Err(ChildError::Crashed(noun, "no status".to_string())))?;
        let message = message.join().unwrap_or_default();
        match status.code() {
            // The child stopped itself at its own limit.
            Some(EXIT_TIMED_OUT) => Err(ChildError::TimedOut(noun, timeout.as_secs())),
            Some(EXIT_OVER_MEMORY) => Err(ChildError::OverMemory(noun, iso.memory >> 20)),
            Some(code) => Ok(Exit { code, message }),
            None => Err(ChildError::Crashed(noun, signal_name(&status))),
        }
    })
}

/// What killed a child, in words.
fn signal_name(status: &ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(2) => "interrupted".to_string(),
        Some(6) => "aborted: a stack overflow or out of memory".to_string(),
        Some(9) => "killed".to_string(),
        Some(11) => "segmentation fault".to_string(),
        Some(n) => format!("signal {n}"),
        None => "no exit status".to_string(),
    }
}

/// The child's side: read a document on stdin, run the parser named `arg`
/// on it and write the result to stdout. Returns the exit code. Panic
/// messages are not printed: a parser's message may quote the document.
///
/// The child stops itself after `limit` and once its resident memory passes
/// `memory` bytes (0: never), looking every 20 ms. Resident, not
/// reserved, memory: the spreadsheet parser reserves what a header
/// declares (16 GiB for one damaged `.xls` that it then read whole), and an
/// address-space cap turned such files into crashes; but a 2 KB `.ods`
/// whose rows and columns repeat a million and 16,384 times made it fill
/// 24 GB before the kernel killed it, a danger to everything else running
/// on the machine.
pub fn serve(arg: &str, limit: Duration, memory: u64) -> i32 {
    std::panic::set_hook(Box::new(|_| {}));
    let Some(parser) = Parser::from_arg(arg) else {
        return 2;
    };
    let mut bytes = Vec::new();
    if io::stdin().read_to_end(&mut bytes).is_err() {
        return EXIT_UNREADABLE;
    }
    // The parser runs on a thread of its own (with the main thread's stack
    // size), so that this thread can end the process after `limit` even
    // when no parent is left to kill it (a killed scan must not leave a
    // child looping forever), or when it takes too much memory.
    let (done, finished) = std::sync::mpsc::channel();
    let parse = std::thread::Builder::new()
        .stack_size(PARSER_STACK)
        .spawn(move || {
            let mut out = io::BufWriter::new(io::stdout().lock());
            let code = match parser {
                Parser::Pdf => super::pdf::serve(&bytes, &mut out),
                Parser::Sheets => super::sheet::serve(&bytes, &mut out),
            };
            let code = match out.flush() {
                Ok(()) => code,
                Err(_) => EXIT_UNREADABLE,
            };
            let _ = done.send(code);
        });
    if parse.is_err() {
        return EXIT_UNREADABLE;
    }
    let end = std::time::Instant::now() + limit;
    loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        let wait = if memory > 0 {
            left.min(MEMORY_POLL)
        } else {
            left
        };
        match finished.recv_timeout(wait) {
            Ok(code) => return code,
            // A panic drops the sender: the parser failed.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return EXIT_PANICKED,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                return EXIT_TIMED_OUT
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if memory > 0 && resident_bytes().is_some_and(|r| r > memory) {
                    return EXIT_OVER_MEMORY;
                }
            }
        }
    }
}

/// This process's resident memory (Linux: `VmRSS` of `/proc/self/status`).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line["VmRSS:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib << 10)
}

/// Write `message` to stderr, cut to what the parent keeps.
pub fn tell(message: &str) {
    let mut cut = message.len().min(MESSAGE_MAX);
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    let _ = io::stderr().write_all(&message.as_bytes()[..cut]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            // 64 MiB written: at least that much is resident.
            let block = vec![1u8; 64 << 20];
            let resident = resident_bytes().expect("VmRSS");
            assert!(block.iter().all(|&b| b == 1));
            assert!(resident >= 64 << 20, "{resident}");
            assert!(resident < 1 << 40, "{resident}");
        }
    }
}
