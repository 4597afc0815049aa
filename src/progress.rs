//! Progress on stderr: an `indicatif` spinner line with files, bytes,
//! findings and the rate, shown only when stderr is a terminal and not turned
//! off. Updates are cheap counters; the text is redrawn at most ten times a
//! second.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// A progress line, or nothing.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    files: u64,
    bytes: u64,
    findings: u64,
    started: Instant,
    last_draw: Instant,
}

impl Progress {
    /// Show progress if `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Self {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .expect("constant template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            files: 0,
            bytes: 0,
            findings: 0,
            started: now,
            last_draw: now,
        }
    }

    /// Count one finished file.
    pub fn file_done(&mut self, bytes: u64, findings_total: u64) {
        self.files += 1;
        self.bytes += bytes;
        self.findings = findings_total;
        let Some(bar) = &self.bar else { return };
        if self.last_draw.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last_draw = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let mib = self.bytes as f64 / (1 << 20) as f64;
        bar.set_message(format!(
            "{} files, {:.1} MiB, {} findings, {:.1} MiB/s",
            self.files,
            mib,
            self.findings,
            mib / secs
        ));
    }

    /// Remove the progress line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
