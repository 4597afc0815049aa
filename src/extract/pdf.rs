//! PDF text, extracted in a child process with a time limit and a memory
//! cap.
//!
//! The PDF parser fails in ways a thread cannot survive: a page that is its
//! own parent made it loop forever (the scan never finished), and 200,000
//! nested arrays overflowed its stack, which aborts the whole process (no
//! report at all). `catch_unwind` catches neither. So the scanner runs this
//! binary again with a hidden subcommand ([`serve`]), hands it the PDF on
//! stdin and reads the text from stdout; a child that runs past the time
//! limit is killed, and one that crashes is only that file's error. Without
//! a helper binary (the library used on its own), the parser runs in this
//! process, as before.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt;

/// The hidden subcommand that runs [`serve`].
pub const SUBCOMMAND: &str = "internal-pdf-text";

/// Address space a parser child may use (it reads at most `--max-buffer`
/// of PDF; the parser needs a multiple of that).
pub const CHILD_MEMORY: u64 = 2 << 30;

/// Exit code of a child whose parser returned an error (on stderr).
const EXIT_UNREADABLE: i32 = 3;
/// Exit code of a child whose parser panicked.
const EXIT_PANICKED: i32 = 4;
/// Bytes of a child's error message kept.
const MESSAGE_MAX: usize = 300;

/// How the parser is isolated.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// The `leakscan` binary to run with [`SUBCOMMAND`].
    pub helper: PathBuf,
    /// Kill the child after this long.
    pub timeout: Duration,
}

/// Why a PDF gave no text.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The parser reported an error.
    #[error("unreadable PDF: {0}")]
    Unreadable(String),
    /// The parser panicked.
    #[error("unreadable PDF: the parser failed")]
    Panicked,
    /// The child ran past the time limit and was killed.
    #[error("the PDF parser did not finish within {0} s and was stopped; not scanned")]
    TimedOut(u64),
    /// The child died (a stack overflow or the memory cap).
    #[error("the PDF parser crashed ({0}); not scanned")]
    Crashed(String),
    /// The child could not be run or talked to.
    #[error("could not run the PDF parser process: {0}")]
    Io(#[from] io::Error),
}

/// The text of the PDF `bytes`: in a child process under `isolation`, or in
/// this process without one.
pub fn text(bytes: &[u8], isolation: Option<&Isolation>) -> Result<String, PdfError> {
    match isolation {
        Some(iso) => in_child(bytes, iso),
        None => in_process(bytes),
    }
}

/// Parse in this process; a panic is caught (a hang or a stack overflow is
/// not).
pub fn in_process(bytes: &[u8]) -> Result<String, PdfError> {
    match std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes)) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(PdfError::Unreadable(e.to_string())),
        Err(_) => Err(PdfError::Panicked),
    }
}

fn in_child(bytes: &[u8], iso: &Isolation) -> Result<String, PdfError> {
    let mut child = Command::new(&iso.helper)
        .arg(SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (Some(mut stdin), Some(mut stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(PdfError::Io(io::Error::other("no pipes to the child")));
    };
    std::thread::scope(|s| {
        // Written and read on threads of their own: a child that stops
        // reading, or writes much, must not block the wait below. When the
        // child is killed its pipes close and these end.
        s.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        let out = s.spawn(move || {
            let mut text = Vec::new();
            stdout.read_to_end(&mut text).map(|_| text)
        });
        let err = s.spawn(move || {
            let mut message = Vec::new();
            let _ = stderr.take(MESSAGE_MAX as u64).read_to_end(&mut message);
            message
        });
        let status = match child.wait_timeout(iso.timeout) {
            Ok(Some(status)) => status,
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError::TimedOut(iso.timeout.as_secs()));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError::Io(e));
            }
        };
        let text = out.join().unwrap_or_else(|_| Ok(Vec::new()));
        let message = err.join().unwrap_or_default();
        match status.code() {
            Some(0) => {
                let text = text?;
                Ok(String::from_utf8(text)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
            }
            Some(EXIT_UNREADABLE) => Err(PdfError::Unreadable(
                String::from_utf8_lossy(&message).trim().to_string(),
            )),
            Some(EXIT_PANICKED) => Err(PdfError::Panicked),
            Some(code) => Err(PdfError::Crashed(format!("exit code {code}"))),
            None => Err(PdfError::Crashed(signal_name(&status))),
        }
    })
}

/// What killed a child, in words.
fn signal_name(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(6) => "aborted: a stack overflow or out of memory".to_string(),
        Some(9) => "killed".to_string(),
        Some(11) => "segmentation fault".to_string(),
        Some(n) => format!("signal {n}"),
        None => "no exit status".to_string(),
    }
}

/// The child's side: cap this process's memory, read a PDF on stdin, write
/// its text to stdout. Returns the exit code. Panic messages are not
/// printed: a parser's message may quote the document.
pub fn serve() -> i32 {
    std::panic::set_hook(Box::new(|_| {}));
    // A child without the cap still runs: the parent's time limit holds.
    let _ = rlimit::setrlimit(rlimit::Resource::AS, CHILD_MEMORY, CHILD_MEMORY);
    let mut bytes = Vec::new();
    if io::stdin().read_to_end(&mut bytes).is_err() {
        return EXIT_UNREADABLE;
    }
    match in_process(&bytes) {
        Ok(text) => {
            let mut out = io::stdout().lock();
            if out
                .write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .is_err()
            {
                return EXIT_UNREADABLE;
            }
            0
        }
        Err(PdfError::Panicked) => EXIT_PANICKED,
        Err(e) => {
            let message = e.to_string();
            let message = message.strip_prefix("unreadable PDF: ").unwrap_or(&message);
            let mut cut = message.len().min(MESSAGE_MAX);
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            let _ = io::stderr().write_all(&message.as_bytes()[..cut]);
            EXIT_UNREADABLE
        }
    }
}
