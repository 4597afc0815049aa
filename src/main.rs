//! The `leakscan` binary: parse the command line, run, print, map the result
//! to an exit code. The only place that prints errors.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use clap::Parser;
use leakscan::cli::{Cli, Command, DiffFormat, Format, ListFormat, ScanArgs};
use leakscan::exit::Outcome;
use leakscan::report::{self, ScanReport};
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Detectors(args) => run_detectors(&args),
        Command::Diff(args) => run_diff(&args),
        Command::Merge(args) => run_merge(&args),
        Command::InternalExtract {
            parser,
            seconds,
            memory,
        } => {
            let limit = std::time::Duration::from_secs(seconds);
            let code = leakscan::extract::isolate::serve(&parser, limit, memory);
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("leakscan: {}", sanitize(&format!("{err:#}")));
            ExitCode::from(Outcome::Fatal.code())
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Replace control characters (from file names) so they cannot drive the terminal.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() && c != '\n' { '?' } else { c })
        .collect()
}

fn run_scan(args: &ScanArgs) -> anyhow::Result<Outcome> {
    let mut opts = args.to_options()?;
    // PDFs and spreadsheets are parsed by this binary in a child process (a
    // crafted file can hang or crash the parsers); without a path to it, in
    // this process.
    opts.parser_helper = std::env::current_exe().ok();
    // `-j` bounds the report's parallel work too (serialising, sorting),
    // which runs on rayon's global pool after the scan's own.
    rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build_global()
        .map_err(|e| anyhow::anyhow!("starting worker threads: {e}"))?;
    let talk = !args.quiet;
    if opts.reveal {
        eprintln!("leakscan: warning: --reveal puts unmasked personal data in the report; handle it as core-sensitive");
    }
    if let Some(note) = opts.key_note.as_deref().filter(|_| talk) {
        eprintln!("leakscan: note: {note}");
    }
    // Ctrl-C stops the scan and writes the report gathered so far; a second
    // Ctrl-C exits at once.
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    if let Err(e) = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    }) {
        eprintln!("leakscan: warning: Ctrl-C will not write a partial report: {e}");
    }
    let mut progress = leakscan::progress::Progress::new(talk && !args.no_progress);
    let writing = |path: &std::path::Path, e: io::Error| {
        anyhow::anyhow!("writing report {}: {e}", path.display())
    };
    // NDJSON is written while scanning; the other formats after it.
    let report = match (args.format, &args.output) {
        (Format::Ndjson, Some(path)) => {
            let mut file = report::PrivateFile::create(path).map_err(|e| writing(path, e))?;
            let result = leakscan::scan(
                &opts,
                &mut progress,
                Some(&mut io::BufWriter::new(file.file())),
                &cancel,
            );
            if result.is_ok() {
                file.persist().map_err(|e| writing(path, e))?;
            }
            result
        }
        (Format::Ndjson, None) => {
            let stdout = io::stdout();
            leakscan::scan(
                &opts,
                &mut progress,
                Some(&mut io::BufWriter::new(stdout.lock())),
                &cancel,
            )
        }
        _ => leakscan::scan(&opts, &mut progress, None, &cancel),
    };
    progress.finish();
    let report = report?;
    if talk {
        for e in &report.errors {
            eprintln!("leakscan: {}: {}", sanitize(&e.path), sanitize(&e.reason));
        }
    }
    let rules = match args.format {
        Format::Sarif => leakscan::detector_rows(&leakscan::load_patterns(&opts)?),
        _ => Vec::new(),
    };
    let write = |w: &mut dyn Write| -> io::Result<()> {
        match args.format {
            Format::Text => report::summary::write(&report, w),
            Format::Json => report::json::write(&report, w),
            Format::Csv => report::csv::write(&report, w),
            Format::Sarif => report::sarif::write(&report, &rules, w),
            Format::Html => report::html::write(&report, w),
            Format::Ndjson => Ok(()),
        }
    };
    match &args.output {
        Some(path) => {
            if args.format != Format::Ndjson {
                report::write_private_file(path, write).map_err(|e| writing(path, e))?;
            }
            if talk {
                print_summary(&report)?;
                println!(
                    "report: {} ({})",
                    sanitize(&path.display().to_string()),
                    args.format.name()
                );
            }
        }
        None if args.format == Format::Ndjson => {}
        None => {
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            write(&mut lock)?;
            lock.flush()?;
        }
    }
    let outcome = if report.scan.interrupted {
        eprintln!("leakscan: scan interrupted: the report holds only what was scanned");
        Outcome::Fatal
    } else if opts.baseline.is_some() && opts.fail_on_new.is_some() {
        let new = report.summary.baseline.as_ref();
        Outcome::of_scan(new.and_then(|b| b.highest_new_tier), opts.fail_on_new)
    } else {
        Outcome::of_scan(report.highest_tier(), opts.fail_on)
    };
    let failed = report.errors.len();
    let raised = outcome.with_errors(failed, opts.fail_on_errors);
    if raised != outcome && talk {
        eprintln!("leakscan: {failed} file(s) in errors and --fail-on-errors: exit 1");
    }
    let outcome = raised;
    // The process exits next: freeing a large report entry by entry (tens of
    // milliseconds for half a million findings) would only delay that.
    std::mem::forget(report);
    Ok(outcome)
}

fn run_merge(args: &leakscan::cli::MergeArgs) -> anyhow::Result<Outcome> {
    use leakscan::report::{load, merge};
    let parts = args
        .parts
        .iter()
        .map(|p| Ok((p.display().to_string(), load::load(p)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let merged = merge::merge(parts)?;
    let write = |w: &mut dyn Write| report::json::write(&merged, w);
    write_out(args.output.as_deref(), write)?;
    Ok(Outcome::Clean)
}

/// Write to a private file, or to stdout.
fn write_out(
    output: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    match output {
        Some(path) => report::write_private_file(path, write)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display())),
        None => {
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            write(&mut lock)?;
            lock.flush()?;
            Ok(())
        }
    }
}

fn run_diff(args: &leakscan::cli::DiffArgs) -> anyhow::Result<Outcome> {
    use leakscan::report::{diff, load};
    let old = load::load(&args.old)?;
    let new = load::load(&args.new)?;
    let d = diff::diff(
        (&args.old.display().to_string(), &old),
        (&args.new.display().to_string(), &new),
    )?;
    let write = |w: &mut dyn Write| -> io::Result<()> {
        match args.format {
            DiffFormat::Json => diff::write_json(&d, w),
            DiffFormat::Csv => diff::write_csv(&d, w),
            DiffFormat::Text => diff::write_text(&d, w),
        }
    };
    write_out(args.output.as_deref(), write)?;
    Ok(Outcome::Clean)
}

fn print_summary(report: &ScanReport) -> io::Result<()> {
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    report::summary::write(report, &mut lock)
}

fn run_detectors(args: &leakscan::cli::DetectorsArgs) -> anyhow::Result<Outcome> {
    let patterns =
        leakscan::patterns::Patterns::load(args.patterns.as_deref(), args.policy.as_deref())?;
    let rows = leakscan::detector_rows(&patterns);
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &rows)?;
            writeln!(w)?;
        }
        ListFormat::Text => {
            writeln!(w, "{:<16} {:<8} {:<28} VALIDATION", "ID", "TIER", "EXAMPLE")?;
            for r in &rows {
                writeln!(
                    w,
                    "{:<16} {:<8} {:<28} {}",
                    r.id.as_str(),
                    r.tier.as_str(),
                    r.example,
                    r.validation
                )?;
            }
        }
    }
    w.flush()?;
    Ok(Outcome::Clean)
}
