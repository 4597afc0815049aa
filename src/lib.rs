//! leakscan: an audit and data-leak scanner for telecom customer information.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! walk → read (decode, chunk) → extract (lines, table rows) → detect → classify → report
//! ```
//!
//! [`scan`] wires the stages: the walk runs on one thread and feeds a rayon
//! pool; each worker reads, extracts, detects and classifies whole files with
//! its own scratch buffers and merges their distinct-value sets into the
//! scan's; one collector (the calling thread) owns the report.

#![warn(missing_docs)]

pub mod bytes;
pub mod classify;
pub mod cli;
pub mod detect;
pub mod exit;
pub mod extract;
pub mod options;
pub mod patterns;
pub mod pipeline;
pub mod progress;
pub mod read;
pub mod report;
pub mod suppress;
pub mod walk;

use classify::{Policy, ScanDistinct, Stash};
use detect::Registry;
use options::ScanOptions;
use patterns::{PatternError, Patterns};
use rayon::prelude::*;
use report::{Collector, FileOutcome, ScanInfo, ScanReport};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Instant, SystemTime};
use thiserror::Error;
use walk::{Entry, WalkError, WalkOptions};

/// A setup or fatal error: the scan did not run.
#[derive(Debug, Error)]
pub enum ScanError {
    /// A pattern or policy file is bad.
    #[error(transparent)]
    Patterns(#[from] PatternError),
    /// A walk setting is bad.
    #[error(transparent)]
    Walk(#[from] WalkError),
    /// A scan root does not exist or cannot be looked at.
    #[error("scan root {path}: {source}")]
    Root {
        /// The root.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The streamed report could not be written.
    #[error("writing the report: {0}")]
    Output(#[source] std::io::Error),
    /// A suppression file is bad.
    #[error(transparent)]
    Ignore(#[from] suppress::IgnoreError),
    /// The baseline report could not be read.
    #[error("baseline: {0}")]
    Baseline(#[from] report::load::LoadError),
    /// The baseline report cannot be compared with this scan.
    #[error("baseline: {0}")]
    BaselineKey(#[from] report::diff::DiffError),
    /// The worker pool could not start.
    #[error("starting worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
}

/// Today's date as `yyyymmdd` (UTC), the upper bound of birth dates.
pub fn today() -> u32 {
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    stamp
        .get(..10)
        .map(|d| d.replace('-', ""))
        .and_then(|d| d.parse().ok())
        .unwrap_or(20991231)
}

/// This process's peak resident set size in KiB, from `/proc/self/status`.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Load the patterns and policy named by `opts`.
pub fn load_patterns(opts: &ScanOptions) -> Result<Patterns, PatternError> {
    Patterns::load(opts.patterns_dir.as_deref(), opts.policy_file.as_deref())
}

/// Run a scan and build its report. `progress` is told about every file;
/// with a `stream`, files and findings are written there as NDJSON while
/// scanning and left out of the returned report. Setting `cancel` (Ctrl-C)
/// stops the walk and the reads; the report then holds what was scanned and
/// says `interrupted`.
pub fn scan(
    opts: &ScanOptions,
    progress: &mut progress::Progress,
    stream: Option<&mut dyn std::io::Write>,
    cancel: &AtomicBool,
) -> Result<ScanReport, ScanError> {
    let started_at = SystemTime::now();
    let clock = Instant::now();
    for root in &opts.roots {
        std::fs::metadata(root).map_err(|source| ScanError::Root {
            path: root.clone(),
            source,
        })?;
    }
    let patterns = load_patterns(opts)?;
    let registry = Registry::new(&patterns, today());
    let policy = Policy::new(&patterns, opts.bulk_threshold);
    let rules = suppress::Rules::load(&opts.ignore_files)?;
    let walk_opts = WalkOptions {
        follow: opts.follow,
        exclude: opts.exclude.clone(),
        max_file_size: opts.max_file_size,
        shard: opts.shard,
    };
    let entries = walk::entries(&opts.roots, &walk_opts)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    let fingerprinter = report::fingerprint::Fingerprinter::new(&opts.hash_key);
    let key_id = fingerprinter.key_id();
    let mut collector = Collector::new(opts.all_files, stream);
    if let Some(n) = opts.findings_kept {
        collector = collector.keeping_first(n);
    }
    if let Some(path) = &opts.baseline {
        let base = report::load::load(path)?;
        report::diff::check_keys(base.key_id(), Some(&key_id))?;
        collector = collector.with_baseline(report::diff::Baseline::from_report(
            &base,
            opts.shard.as_ref(),
        ));
    }
    if opts.shard.is_some() {
        collector = collector.exporting_distinct(fingerprinter.clone());
    }

    // A short queue of batches (each at most about `Batch::LISTED`
    // findings): a long queue in front of a slow report writer would hold
    // many files' findings (tests/report.rs measures NDJSON's peak memory).
    let (tx, rx) = mpsc::sync_channel::<Vec<FileOutcome>>(2 * pool.current_num_threads().max(2));
    // Each file's distinct values are merged here by the worker that read
    // it: with `-j N` the scan's work is done by N threads, and no single
    // thread merges for all.
    let distinct = ScanDistinct::new();
    std::thread::scope(|s| {
        let (registry, policy, rules, pool) = (&registry, &policy, &rules, &pool);
        let distinct = &distinct;
        s.spawn(move || {
            let pipeline = pipeline::Pipeline {
                registry,
                policy,
                opts,
                fingerprinter: &fingerprinter,
                cancel,
                rules,
            };
            let entries = entries.take_while(|_| !cancel.load(Ordering::Relaxed));
            pool.install(|| {
                entries.par_bridge().for_each_init(
                    || Batch::new(&tx, distinct),
                    |batch, entry| {
                        if cancel.load(Ordering::Relaxed) {
                            return;
                        }
                        // What is done reaches the report before a long file.
                        if matches!(entry, Entry::File { size, .. } if size >= Batch::LONG_FILE) {
                            batch.flush();
                        }
                        process(entry, &pipeline, &mut |outcome| batch.push(outcome));
                    },
                );
            });
        });
        for outcome in rx.into_iter().flatten() {
            let bytes = match &outcome {
                FileOutcome::Scanned { bytes, .. } => *bytes,
                _ => 0,
            };
            collector.add(outcome);
            progress.file_done(bytes, collector.findings_so_far());
        }
    });
    for (d, set) in distinct.into_sets() {
        collector.absorb_distinct(d, set);
    }

    let info = ScanInfo {
        roots: opts.roots.iter().map(|r| r.display().to_string()).collect(),
        started_at: humantime::format_rfc3339_millis(started_at).to_string(),
        finished_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        duration_ms: clock.elapsed().as_millis() as u64,
        peak_rss_kib: peak_rss_kib(),
        interrupted: cancel.load(Ordering::Relaxed),
        key_id,
        baseline: opts.baseline.as_ref().map(|p| p.display().to_string()),
        options: opts.clone(),
        policy: report::PolicyInfo {
            origin: policy.origin.clone(),
            tiers: policy.tiers().clone(),
            bulk_distinct: policy.bulk_distinct,
            id_with_phone: policy.id_with_phone,
        },
    };
    // Counting and sorting at the end use the scan's threads.
    let settle = collector.settle();
    pool.install(|| settle.run());
    collector
        .finish(info, &policy, &rules)
        .map_err(ScanError::Output)
}

/// A worker's outcomes, sent to the collector a batch at a time: one
/// wake-up of the collector per batch, not per file (a wake-up per small
/// file cost ~5 % of a scan's time). Whatever is left is sent on drop.
/// Each file's distinct-value sets are merged into the scan's before it
/// joins the batch.
struct Batch<'a> {
    tx: &'a mpsc::SyncSender<Vec<FileOutcome>>,
    outcomes: Vec<FileOutcome>,
    listed: usize,
    distinct: &'a ScanDistinct,
    stash: Stash,
}

impl<'a> Batch<'a> {
    /// Files a batch holds at most.
    const FILES: usize = 32;
    /// Listed findings a batch holds at most (bounds the queue's memory).
    const LISTED: usize = 4096;
    /// A file this large is not waited for: the batch is sent first.
    const LONG_FILE: u64 = 4 << 20;

    fn new(tx: &'a mpsc::SyncSender<Vec<FileOutcome>>, distinct: &'a ScanDistinct) -> Self {
        Batch {
            tx,
            outcomes: Vec::new(),
            listed: 0,
            distinct,
            stash: Stash::default(),
        }
    }

    fn push(&mut self, mut outcome: FileOutcome) {
        if let FileOutcome::Scanned { entries, tally, .. } = &mut outcome {
            self.listed += entries.len();
            self.distinct.take_from(tally, &mut self.stash);
        }
        self.outcomes.push(outcome);
        if self.outcomes.len() >= Self::FILES || self.listed >= Self::LISTED {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.outcomes.is_empty() {
            // The receiver lives until every worker is done.
            let _ = self.tx.send(std::mem::take(&mut self.outcomes));
            self.listed = 0;
        }
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        self.distinct.flush(&mut self.stash);
        self.flush();
    }
}

fn process(entry: Entry, pipeline: &pipeline::Pipeline<'_>, emit: &mut dyn FnMut(FileOutcome)) {
    match entry {
        Entry::File { path, display, .. } => pipeline.scan_path(&path, display, emit),
        Entry::Skipped { display, reason } => emit(FileOutcome::Skipped { display, reason }),
        Entry::Special { display, kind } => emit(FileOutcome::Special { display, kind }),
        Entry::Failed { display, reason } => emit(FileOutcome::Failed {
            display,
            kind: "walk",
            reason,
        }),
    }
}

/// One row of `leakscan detectors`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DetectorRow {
    /// Detector id.
    pub id: detect::DetectorId,
    /// Human name.
    pub name: String,
    /// Default tier.
    pub tier: classify::Tier,
    /// What is validated.
    pub validation: String,
    /// A masked example value.
    pub example: String,
}

/// The detector listing, with a masked example found by running each
/// detector on its first example text.
pub fn detector_rows(patterns: &Patterns) -> Vec<DetectorRow> {
    let registry = Registry::new(patterns, today());
    let policy = Policy::new(patterns, None);
    let mut out = Vec::new();
    registry
        .detectors()
        .iter()
        .map(|d| {
            let example = d
                .examples
                .iter()
                .find_map(|text| {
                    let unit = extract::TextUnit {
                        text: text.as_bytes(),
                        fields: extract::Fields::None,
                        is_header: false,
                        binary: false,
                    };
                    registry.scan(&unit, None, &mut out);
                    out.iter()
                        .find(|m| m.detector == d.id)
                        .map(|m| report::mask::mask(d.id, &m.value))
                })
                .unwrap_or_default();
            DetectorRow {
                id: d.id,
                name: d.name.clone(),
                tier: policy.tier(d.id),
                validation: d.validation.clone(),
                example,
            }
        })
        .collect()
}
