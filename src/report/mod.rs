//! Report stage: collect per-file results into one [`ScanReport`] and write
//! it as JSON, CSV or a terminal summary.
//!
//! # The JSON report
//!
//! ```text
//! {
//!   "tool": "leakscan", "version": "0.1.0",
//!   "scan":     { roots, started_at, finished_at, duration_ms, peak_rss_kib, interrupted,
//!                 options, policy },
//!   "summary":  { files_seen, files_scanned, files_skipped, files_failed, bytes_scanned,
//!                 findings_total, findings_listed,
//!                 findings_per_tier {core, general, public},
//!                 findings_per_detector {id: {total, distinct}},
//!                 files_per_tier {core, general, public} },
//!   "files":    [ { path, tier, format, encoding, bytes, findings, listed, not_listed,
//!                   detectors {id: {total, distinct}}, escalations [..], decode_replacements } ],
//!   "findings": [ { path, line, column, detector, tier, confidence, masked, fingerprint,
//!                   field?, value? } ],
//!   "skipped":  [ { path, reason } ],
//!   "errors":   [ { path, kind, reason } ]
//! }
//! ```
//!
//! * `files` lists the files with findings (all scanned files with
//!   `--all-files`; a file without findings has tier `public`).
//! * `findings` lists at most `--max-findings-per-file` findings per file;
//!   the counts in `files` and `summary` are exact.
//! * `value` (the normalised value) is present only with `--reveal`.
//! * `errors` holds every path that could not be read (kind `io`), was not a
//!   regular file (kind `special`: FIFOs, sockets, devices are never opened),
//!   could not be walked (kind `walk`, e.g. a symbolic-link loop), or is an
//!   archive member or document that could not be opened (kind `archive`,
//!   `pdf`, `xlsx`, …: encrypted members, truncated streams, bombs, PDFs
//!   without a text layer). Special files count as skipped in the summary,
//!   the others as failed.
//! * Sorting: files, findings, skipped and errors are sorted by path (then
//!   line, column, detector), never by arrival order.
//!
//! # The NDJSON report
//!
//! `--format ndjson` streams one object per line as files finish (arrival
//! order, not sorted), so memory does not grow with the findings:
//! `{"type":"file",…}` (a `files` entry) followed by its
//! `{"type":"finding",…}` lines, `{"type":"skipped",…}`, `{"type":"error",…}`,
//! and last `{"type":"summary","tool","version","scan","summary"}`.

pub mod csv;
pub mod diff;
pub mod fingerprint;
pub mod html;
pub mod json;
pub mod load;
pub mod mask;
pub mod merge;
pub mod sarif;
pub mod summary;

use crate::classify::{Count, DistinctSet, FileTally, FileVerdict, Finding, Policy, Tier};
use crate::detect::{CompactString, Confidence, DetectorId};
use crate::options::ScanOptions;
use fingerprint::Fingerprinter;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// The result of one file, handed from the workers to the collector.
/// Nearly every outcome is `Scanned`, so boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum FileOutcome {
    /// The file was read (maybe only partly: see `error`).
    Scanned {
        /// Path as shown.
        display: String,
        /// Format read (`text`, `binary`, `xlsx`, `docx`, `pdf`, …).
        format: &'static str,
        /// Encoding used (text formats).
        encoding: &'static str,
        /// Bytes read.
        bytes: u64,
        /// Whether invalid sequences were replaced while decoding.
        replaced: bool,
        /// Counts (its `listed` is already turned into `entries`).
        tally: FileTally,
        /// The listed findings, masked and fingerprinted by the worker.
        entries: Vec<FindingEntry>,
        /// Suppressed findings kept for `--show-suppressed`.
        suppressed: Vec<SuppressedEntry>,
        /// The file's tier.
        verdict: FileVerdict,
        /// A read error that cut the file short, or another reason the
        /// findings may be incomplete, with the error entry's kind (`io`,
        /// or the format whose parser failed).
        error: Option<(&'static str, String)>,
    },
    /// Not scanned by design.
    Skipped {
        /// Path as shown.
        display: String,
        /// Why.
        reason: String,
    },
    /// A FIFO, socket or device.
    Special {
        /// Path as shown.
        display: String,
        /// Kind of file.
        kind: &'static str,
    },
    /// Could not be opened or walked.
    Failed {
        /// Path as shown.
        display: String,
        /// Error class (`io`, `walk`).
        kind: &'static str,
        /// Why (never file content).
        reason: String,
    },
}

impl FileOutcome {
    /// A scanned outcome with `reason` as its error of `kind` (if it has
    /// none yet); a skipped one becomes a failure for `reason` (a fallback
    /// that was skipped, as binary data with `--skip-binary`, must not hide
    /// why it was needed); a failure as it is.
    pub fn with_error(mut self, kind: &'static str, reason: String) -> Self {
        match &mut self {
            FileOutcome::Scanned { error, .. } => {
                error.get_or_insert((kind, reason));
                self
            }
            FileOutcome::Skipped {
                display,
                reason: skipped,
            } => FileOutcome::Failed {
                display: std::mem::take(display),
                kind,
                reason: format!("{reason}; but they were not scanned: {skipped}"),
            },
            _ => self,
        }
    }
}

/// A whole scan's report; see the module docs for the schema. `S` is the
/// `scan` section: [`ScanInfo`] when made by this process, raw JSON when
/// read back from a file (`diff`, `merge`, `--baseline`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanReport<S = ScanInfo> {
    /// Always `leakscan`.
    pub tool: Cow<'static, str>,
    /// leakscan's version.
    pub version: Cow<'static, str>,
    /// How the scan was run.
    pub scan: S,
    /// Totals.
    pub summary: Summary,
    /// Files with findings.
    pub files: Vec<FileEntry>,
    /// Listed findings.
    pub findings: Vec<FindingEntry>,
    /// Paths not scanned by design.
    pub skipped: Vec<SkipEntry>,
    /// Paths that could not be read.
    pub errors: Vec<ErrorEntry>,
    /// Suppressed findings (only with `--show-suppressed`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<SuppressedEntry>,
    /// Shard reports only: per detector, the keyed hashes of the distinct
    /// values, so that `merge` can count distinct values exactly.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub distinct: BTreeMap<DetectorId, Vec<u64>>,
}

/// `scan` section.
#[derive(Debug, Clone, Serialize)]
pub struct ScanInfo {
    /// Roots as given.
    pub roots: Vec<String>,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC.
    pub finished_at: String,
    /// Wall time.
    pub duration_ms: u64,
    /// Peak resident memory of the scanning process in KiB (Linux
    /// `VmHWM`), when the system tells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_kib: Option<u64>,
    /// Whether the scan was stopped (Ctrl-C) before it finished.
    pub interrupted: bool,
    /// Public id of the fingerprint key (reports with the same id can be compared).
    pub key_id: String,
    /// The baseline report findings were compared with (`--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Options in force.
    pub options: ScanOptions,
    /// Policy in force.
    pub policy: PolicyInfo,
}

/// `scan.policy`.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyInfo {
    /// `built-in patterns/policy.toml` or a path.
    pub origin: String,
    /// Detector → tier.
    pub tiers: BTreeMap<DetectorId, Tier>,
    /// Bulk threshold.
    pub bulk_distinct: u64,
    /// ID + phone rule on.
    pub id_with_phone: bool,
}

impl PolicyInfo {
    /// The tier of detector `d` (`core` for one the policy does not name).
    pub fn tier(&self, d: &DetectorId) -> Tier {
        self.tiers.get(d).copied().unwrap_or(Tier::Core)
    }
}

/// Counts per tier.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TierCounts {
    /// 核心敏感信息.
    pub core: u64,
    /// 一般敏感信息.
    pub general: u64,
    /// 非敏感信息.
    pub public: u64,
}

impl TierCounts {
    /// Add `n` to tier `t`.
    pub fn add(&mut self, t: Tier, n: u64) {
        match t {
            Tier::Core => self.core += n,
            Tier::General => self.general += n,
            Tier::Public => self.public += n,
        }
    }

    /// The count of one tier.
    pub fn get(&self, t: Tier) -> u64 {
        match t {
            Tier::Core => self.core,
            Tier::General => self.general,
            Tier::Public => self.public,
        }
    }
}

/// Total and distinct values of one detector.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DetectorCount {
    /// Findings.
    pub total: u64,
    /// Distinct normalised values.
    pub distinct: u64,
}

/// Findings accepted by one suppression rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RuleCount {
    /// Where the rule is written (`file:line`).
    pub rule: String,
    /// Its selectors.
    pub selectors: String,
    /// Its reason.
    pub reason: String,
    /// Findings it suppressed.
    pub findings: u64,
}

/// `summary` section.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    /// Paths the walk produced (files, skipped, special, failed).
    pub files_seen: u64,
    /// Files read.
    pub files_scanned: u64,
    /// Not read by design (too large, links not followed, special files).
    pub files_skipped: u64,
    /// Could not be read or walked.
    pub files_failed: u64,
    /// Bytes read.
    pub bytes_scanned: u64,
    /// All findings counted.
    pub findings_total: u64,
    /// Findings listed in `findings`.
    pub findings_listed: u64,
    /// Findings per tier.
    pub findings_per_tier: TierCounts,
    /// Findings per detector.
    pub findings_per_detector: BTreeMap<DetectorId, DetectorCount>,
    /// Scanned files per tier (a file without findings is `public`).
    pub files_per_tier: TierCounts,
    /// Scanned files with at least one finding.
    pub files_with_findings: u64,
    /// The highest tier of a file with findings (`null` when nothing was found).
    pub highest_tier: Option<Tier>,
    /// Findings accepted by suppression rules (not in the counts above).
    #[serde(default)]
    pub suppressed_total: u64,
    /// Per suppression rule, every rule in force (also those that matched nothing).
    #[serde(default)]
    pub suppressed_per_rule: Vec<RuleCount>,
    /// The comparison with `--baseline` (listed findings only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
}

/// `summary.baseline`: listed findings against the baseline report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct BaselineSummary {
    /// Listed findings not in the baseline.
    pub new: u64,
    /// Listed findings also in the baseline.
    pub known: u64,
    /// Baseline findings not found again.
    pub resolved: u64,
    /// New findings per tier.
    pub new_per_tier: TierCounts,
    /// The highest tier of a file with new findings.
    pub highest_new_tier: Option<Tier>,
}

/// One file in `files`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Path as shown.
    pub path: String,
    /// Tier after escalation.
    pub tier: Tier,
    /// Format read (`text`, `binary`, `xlsx`, `xls`, `ods`, `docx`, `pptx`,
    /// `pdf`, `rtf`, `html`, `eml`, `ole`).
    pub format: Cow<'static, str>,
    /// Encoding used (text formats; empty for spreadsheets and documents).
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub encoding: Cow<'static, str>,
    /// Bytes read.
    pub bytes: u64,
    /// Findings counted.
    pub findings: u64,
    /// Findings listed.
    pub listed: u64,
    /// Findings counted but not listed.
    pub not_listed: u64,
    /// Per detector.
    pub detectors: BTreeMap<DetectorId, DetectorCount>,
    /// Escalation rules that applied.
    pub escalations: Vec<String>,
    /// Whether invalid byte sequences were replaced while decoding.
    pub decode_replacements: bool,
    /// Findings accepted by suppression rules (not in `findings`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub suppressed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A finding's status against a baseline report (`--baseline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not in the baseline.
    New,
    /// In the baseline (same path, detector and fingerprint).
    Known,
}

/// One finding in `findings`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FindingEntry {
    /// Path as shown (shared by the findings of one file).
    pub path: Arc<str>,
    /// 1-based line (decoded text).
    pub line: u64,
    /// 1-based column in characters.
    pub column: u64,
    /// Detector id.
    pub detector: DetectorId,
    /// Tier.
    pub tier: Tier,
    /// Confidence.
    pub confidence: Confidence,
    /// Masked value (inline up to 24 bytes: a report lists a million).
    pub masked: CompactString,
    /// Keyed fingerprint of the normalised value.
    pub fingerprint: fingerprint::Fingerprint,
    /// Table column or key name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Arc<str>>,
    /// Normalised value, only with `--reveal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// With `--baseline`: `new` or `known`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

/// One entry of `suppressed` (`--show-suppressed`): the finding, the rule
/// that accepted it and the rule's reason. (Kept apart from
/// [`FindingEntry`], which a large report holds a million of.)
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SuppressedEntry {
    /// The finding.
    #[serde(flatten)]
    pub finding: FindingEntry,
    /// The rule (`file:line`) that accepted it.
    pub suppressed_by: Arc<str>,
    /// The rule's reason.
    pub reason: Arc<str>,
}

/// One entry of `skipped`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SkipEntry {
    /// Path as shown.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// One entry of `errors`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorEntry {
    /// Path as shown.
    pub path: String,
    /// `io`, `special`, `walk`, or the container or document format.
    pub kind: Cow<'static, str>,
    /// Why.
    pub reason: String,
}

fn detector_counts<'a>(
    it: impl Iterator<Item = (&'a DetectorId, &'a Count)>,
) -> BTreeMap<DetectorId, DetectorCount> {
    it.map(|(&d, c)| {
        (
            d,
            DetectorCount {
                total: c.total,
                distinct: c.distinct.len(),
            },
        )
    })
    .collect()
}

/// The report entries of a file's listed findings: masked, fingerprinted,
/// and with the value only when `reveal`. Runs in the workers.
pub fn finding_entries(
    path: &str,
    listed: Vec<Finding>,
    fingerprinter: &Fingerprinter,
    reveal: bool,
) -> Vec<FindingEntry> {
    let path: Arc<str> = Arc::from(path);
    let mut masked = String::new();
    listed
        .into_iter()
        .map(|f| FindingEntry {
            path: path.clone(),
            line: f.line,
            column: f.column,
            detector: f.detector,
            tier: f.tier,
            confidence: f.confidence,
            masked: {
                masked.clear();
                mask::mask_into(&mut masked, f.detector, &f.value);
                CompactString::from(masked.as_str())
            },
            fingerprint: fingerprinter.fingerprint(f.detector, &f.value),
            field: f.field,
            value: reveal.then(|| f.value.into_string()),
            status: None,
        })
        .collect()
}

/// One line of the NDJSON report.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line<'a> {
    File(&'a FileEntry),
    Finding(&'a FindingEntry),
    Suppressed(&'a SuppressedEntry),
    Skipped(&'a SkipEntry),
    Error(&'a ErrorEntry),
    Summary {
        tool: &'static str,
        version: &'static str,
        scan: &'a ScanInfo,
        summary: &'a Summary,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        distinct: &'a BTreeMap<DetectorId, Vec<u64>>,
    },
}

/// Gathers file outcomes on the one thread that owns the report. With a
/// stream (NDJSON), files, findings and skipped paths are written as they
/// arrive and not kept, so memory does not grow with the number of findings.
pub struct Collector<'w> {
    stream: Option<&'w mut dyn Write>,
    stream_error: Option<io::Error>,
    /// One NDJSON finding line, and the last path escaped for it.
    line_buf: Vec<u8>,
    paths: json::PathCache,
    list_clean: bool,
    summary: Summary,
    totals: BTreeMap<DetectorId, Count>,
    files: Vec<FileEntry>,
    findings: Vec<FindingEntry>,
    /// Listed findings kept: all, or the first N in report order (see
    /// [`Collector::keeping_first`]).
    kept: Option<usize>,
    /// Whether [`Settle::run`] has run.
    settled: bool,
    suppressed: Vec<SuppressedEntry>,
    suppressed_per_rule: BTreeMap<usize, u64>,
    skipped: Vec<SkipEntry>,
    errors: Vec<ErrorEntry>,
    findings_listed: u64,
    baseline: Option<(diff::Baseline, BaselineSummary)>,
    export_distinct: Option<Fingerprinter>,
}

impl std::fmt::Debug for Collector<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("streaming", &self.stream.is_some())
            .finish()
    }
}

impl<'w> Collector<'w> {
    /// Write one NDJSON line; the first write error stops the stream.
    fn write_line(&mut self, line: &Line<'_>) {
        let Some(w) = self.stream.as_mut() else {
            return;
        };
        if self.stream_error.is_some() {
            return;
        }
        let result = match line {
            // Nearly every line: written as the JSON report writes findings
            // (the same bytes as serde's, a test compares them).
            Line::Finding(f) => {
                let buf = &mut self.line_buf;
                buf.clear();
                json::write_tagged_finding(buf, b"\"type\":\"finding\",", f, &mut self.paths)
                    .map_err(io::Error::from)
                    .and_then(|()| {
                        buf.push(b'\n');
                        w.write_all(buf)
                    })
            }
            _ => serde_json::to_writer(&mut **w, line)
                .map_err(io::Error::from)
                .and_then(|_| w.write_all(b"\n")),
        };
        if let Err(e) = result {
            self.stream_error = Some(e);
        }
    }

    /// Whether findings are streamed rather than kept.
    fn streaming(&self) -> bool {
        self.stream.is_some()
    }

    /// A collector; `list_clean` lists files without findings too; with a
    /// `stream`, lines are written there as they come.
    pub fn new(list_clean: bool, stream: Option<&'w mut dyn Write>) -> Self {
        Collector {
            stream,
            stream_error: None,
            line_buf: Vec::new(),
            paths: json::PathCache::default(),
            list_clean,
            summary: Summary::default(),
            totals: BTreeMap::new(),
            files: Vec::new(),
            findings: Vec::new(),
            kept: None,
            settled: false,
            suppressed: Vec::new(),
            suppressed_per_rule: BTreeMap::new(),
            skipped: Vec::new(),
            errors: Vec::new(),
            findings_listed: 0,
            baseline: None,
            export_distinct: None,
        }
    }

    /// Put the keyed distinct-value sets in the report (shard reports).
    pub fn exporting_distinct(mut self, fingerprinter: Fingerprinter) -> Self {
        self.export_distinct = Some(fingerprinter);
        self
    }

    /// Count every listed finding (and mark it against a baseline) but keep
    /// only the first `n` in report order: the report's `findings` holds
    /// those (none for 0) and no `suppressed` entries; its files and counts
    /// are whole. Memory then stays bounded by `n` (twice `n` entries and
    /// one file's at most) however large the scan.
    pub fn keeping_first(mut self, n: usize) -> Self {
        self.kept = Some(n);
        self
    }

    /// Mark each listed finding `new` or `known` against `baseline`.
    pub fn with_baseline(mut self, baseline: diff::Baseline) -> Self {
        self.baseline = Some((baseline, BaselineSummary::default()));
        self
    }

    /// Add one file's outcome.
    pub fn add(&mut self, outcome: FileOutcome) {
        // What comes after a settle is settled again by `finish`.
        self.settled = false;
        self.summary.files_seen += 1;
        match outcome {
            FileOutcome::Skipped { display, reason } => {
                self.summary.files_skipped += 1;
                let entry = SkipEntry {
                    path: display,
                    reason,
                };
                if self.streaming() {
                    self.write_line(&Line::Skipped(&entry));
                } else {
                    self.skipped.push(entry);
                }
            }
            FileOutcome::Special { display, kind } => {
                self.summary.files_skipped += 1;
                self.error(ErrorEntry {
                    path: display,
                    kind: "special".into(),
                    reason: format!("{kind}: not a regular file, not opened"),
                });
            }
            FileOutcome::Failed {
                display,
                kind,
                reason,
            } => {
                self.summary.files_failed += 1;
                self.error(ErrorEntry {
                    path: display,
                    kind: kind.into(),
                    reason,
                });
            }
            FileOutcome::Scanned {
                display,
                format,
                encoding,
                bytes,
                replaced,
                tally,
                entries,
                suppressed,
                verdict,
                error,
            } => {
                self.summary.files_scanned += 1;
                self.summary.bytes_scanned += bytes;
                if let Some((kind, reason)) = error {
                    self.summary.files_failed += 1;
                    self.error(ErrorEntry {
                        path: display.clone(),
                        kind: kind.into(),
                        reason,
                    });
                }
                self.add_scanned(
                    display,
                    (format, encoding),
                    (bytes, replaced),
                    (tally, entries, suppressed),
                    verdict,
                );
            }
        }
    }

    /// Errors are kept (few, and printed at the end) and streamed.
    fn error(&mut self, entry: ErrorEntry) {
        self.write_line(&Line::Error(&entry));
        self.errors.push(entry);
    }

    fn add_scanned(
        &mut self,
        display: String,
        (format, encoding): (&'static str, &'static str),
        (bytes, replaced): (u64, bool),
        (tally, mut entries, suppressed): (FileTally, Vec<FindingEntry>, Vec<SuppressedEntry>),
        verdict: FileVerdict,
    ) {
        let tier = verdict.tier.unwrap_or(Tier::Public);
        self.summary.files_per_tier.add(tier, 1);
        let total = tally.total();
        for (&rule, &n) in &tally.suppressed {
            *self.suppressed_per_rule.entry(rule).or_default() += n;
        }
        let suppressed_total = tally.suppressed_total();
        if total == 0 && suppressed_total == 0 && !self.list_clean {
            return;
        }
        if total > 0 {
            self.summary.files_with_findings += 1;
            self.summary.highest_tier = self.summary.highest_tier.max(Some(tier));
        }
        let listed = entries.len() as u64 + tally.unkept;
        let detectors = detector_counts(tally.counts.iter());
        for (d, c) in tally.counts {
            let t = self.totals.entry(d).or_default();
            t.total += c.total;
            t.distinct.absorb(c.distinct);
        }
        let file = FileEntry {
            path: display.clone(),
            tier,
            format: format.into(),
            encoding: encoding.into(),
            bytes,
            findings: total,
            listed,
            not_listed: tally.not_listed,
            detectors,
            escalations: verdict.escalations,
            decode_replacements: replaced,
            suppressed: suppressed_total,
        };
        self.findings_listed += listed;
        if let Some((baseline, sum)) = self.baseline.as_mut() {
            for e in &mut entries {
                let status = baseline.status(e);
                e.status = Some(status);
                if status == Status::New {
                    sum.new += 1;
                    sum.new_per_tier.add(e.tier, 1);
                    sum.highest_new_tier = sum.highest_new_tier.max(Some(tier));
                } else {
                    sum.known += 1;
                }
            }
        }
        if self.streaming() {
            self.write_line(&Line::File(&file));
            for e in &entries {
                self.write_line(&Line::Finding(e));
            }
            for e in &suppressed {
                self.write_line(&Line::Suppressed(e));
            }
        } else {
            self.files.push(file);
            match self.kept {
                None => {
                    self.findings.extend(entries);
                    self.suppressed.extend(suppressed);
                }
                Some(0) => {}
                Some(n) => {
                    self.findings.extend(entries);
                    if self.findings.len() >= 2 * n {
                        // The n first in report order, in any order.
                        self.findings
                            .select_nth_unstable_by(n - 1, |a, b| a.order().cmp(&b.order()));
                        self.findings.truncate(n);
                    }
                }
            }
        }
    }

    /// Merge a set of `d`'s distinct values into the scan's counts: the
    /// workers' merged sets, whose files arrived with their members taken
    /// out (see [`crate::classify::ScanDistinct`]).
    pub fn absorb_distinct(&mut self, d: DetectorId, set: DistinctSet) {
        self.settled = false;
        self.totals.entry(d).or_default().distinct.absorb(set);
    }

    /// Findings counted so far.
    pub fn findings_so_far(&self) -> u64 {
        self.totals.values().map(|c| c.total).sum()
    }

    /// The work left once every file is in: counting distinct values
    /// (merging what went to disk) and sorting the findings. [`Settle::run`]
    /// does it in parallel on the current rayon pool; [`Collector::finish`]
    /// runs it if it has not run. (The collector itself, which may hold the
    /// NDJSON stream, stays on its thread.)
    pub fn settle(&mut self) -> Settle<'_> {
        Settle {
            totals: &self.totals,
            findings: &mut self.findings,
            done: &mut self.settled,
        }
    }

    /// Sort everything and build the report; when streaming, write the
    /// closing summary line. Fails with the first error writing the stream.
    pub fn finish(
        mut self,
        scan: ScanInfo,
        policy: &Policy,
        rules: &crate::suppress::Rules,
    ) -> io::Result<ScanReport> {
        let mut s = std::mem::take(&mut self.summary);
        self.settle().run();
        s.findings_per_detector = self
            .totals
            .iter()
            .map(|(&d, c)| {
                let (total, distinct) = (c.total, c.distinct.len());
                (d, DetectorCount { total, distinct })
            })
            .collect();
        let mut lost = Vec::new();
        for (&d, c) in &self.totals {
            s.findings_per_tier.add(policy.tier(d), c.total);
            if let Some(reason) = c.shortfall(d) {
                lost.push(ErrorEntry {
                    path: "(scan)".to_string(),
                    kind: "distinct".into(),
                    reason,
                });
            }
        }
        lost.into_iter().for_each(|e| self.error(e));
        s.findings_total = self.totals.values().map(|c| c.total).sum();
        s.findings_listed = self.findings_listed;
        if let Some((baseline, mut sum)) = self.baseline.take() {
            sum.resolved = baseline.unmatched();
            s.baseline = Some(sum);
        }
        s.suppressed_total = self.suppressed_per_rule.values().sum();
        s.suppressed_per_rule = rules
            .rules()
            .iter()
            .enumerate()
            .map(|(i, r)| RuleCount {
                rule: r.source.to_string(),
                selectors: r.selectors.clone(),
                reason: r.reason.to_string(),
                findings: self.suppressed_per_rule.get(&i).copied().unwrap_or(0),
            })
            .collect();
        let version = env!("CARGO_PKG_VERSION");
        let distinct = self
            .export_distinct
            .as_ref()
            .map_or_else(BTreeMap::new, |f| {
                self.totals
                    .iter()
                    .map(|(&d, c)| {
                        let mut v = Vec::new();
                        // A run that cannot be read back is reported with the counts.
                        let _ = c.distinct.for_each(|h| v.push(f.mix(h)));
                        v.sort_unstable();
                        (d, v)
                    })
                    .collect()
            });
        self.write_line(&Line::Summary {
            tool: "leakscan",
            version,
            scan: &scan,
            summary: &s,
            distinct: &distinct,
        });
        if let Some(w) = self.stream.as_mut() {
            if let Err(e) = w.flush() {
                self.stream_error.get_or_insert(e);
            }
        }
        if let Some(e) = self.stream_error.take() {
            return Err(e);
        }
        let mut report = ScanReport {
            tool: "leakscan".into(),
            version: version.into(),
            scan,
            summary: s,
            files: std::mem::take(&mut self.files),
            findings: std::mem::take(&mut self.findings),
            skipped: std::mem::take(&mut self.skipped),
            errors: std::mem::take(&mut self.errors),
            suppressed: std::mem::take(&mut self.suppressed),
            distinct,
        };
        // The findings were sorted by `settle` above.
        report.sort_all_but_findings();
        Ok(report)
    }
}

/// The collector's end-of-scan work, borrowed from it (see
/// [`Collector::settle`]).
pub struct Settle<'a> {
    totals: &'a BTreeMap<DetectorId, Count>,
    findings: &'a mut Vec<FindingEntry>,
    done: &'a mut bool,
}

impl Settle<'_> {
    /// Count every detector's distinct values (a task each) beside sorting
    /// the findings; nothing if done before.
    pub fn run(self) {
        if std::mem::replace(self.done, true) {
            return;
        }
        let (totals, findings) = (self.totals, self.findings);
        rayon::join(
            || sort_findings(findings),
            || {
                use rayon::prelude::*;
                totals.par_iter().for_each(|(_, c)| {
                    c.distinct.len();
                });
            },
        );
    }
}

impl FindingEntry {
    /// The report order: path, line, column, detector; the fingerprint
    /// breaks ties so that the order is fixed.
    pub fn order(&self) -> (&str, u64, u64, DetectorId, fingerprint::Fingerprint) {
        (
            &self.path,
            self.line,
            self.column,
            self.detector,
            self.fingerprint,
        )
    }
}

impl<S> ScanReport<S> {
    /// The highest tier among files with findings.
    pub fn highest_tier(&self) -> Option<Tier> {
        self.summary.highest_tier
    }

    /// Put every list in report order (by path; findings by [`FindingEntry::order`]).
    pub fn sort(&mut self) {
        sort_findings(&mut self.findings);
        self.sort_all_but_findings();
    }

    /// [`ScanReport::sort`] for a report whose findings are in order already
    /// (the collector's, after [`Settle::run`]).
    fn sort_all_but_findings(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.suppressed
            .sort_by(|a, b| a.finding.order().cmp(&b.finding.order()));
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// Files with findings, highest tier and most findings first.
    pub fn top_files(&self) -> Vec<&FileEntry> {
        let mut top: Vec<_> = self.files.iter().filter(|f| f.findings > 0).collect();
        top.sort_by(|a, b| {
            (b.tier, b.findings)
                .cmp(&(a.tier, a.findings))
                .then(a.path.cmp(&b.path))
        });
        top
    }
}

/// Put findings in report order ([`FindingEntry::order`], which has no
/// ties), in place. The collector, a loaded report and `merge` hold each
/// file's findings together: then only the files are sorted (by path) and
/// each file's findings by position, and the entries are moved once. Any
/// other input gets a full parallel sort.
fn sort_findings(v: &mut [FindingEntry]) {
    let mut runs: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for i in 1..=v.len() {
        if i == v.len() || !(Arc::ptr_eq(&v[i - 1].path, &v[i].path) || v[i - 1].path == v[i].path)
        {
            runs.push(start..i);
            start = i;
        }
    }
    runs.sort_unstable_by(|a, b| v[a.start].path.cmp(&v[b.start].path));
    if runs
        .windows(2)
        .any(|w| v[w[0].start].path == v[w[1].start].path)
    {
        use rayon::slice::ParallelSliceMut;
        v.par_sort_unstable_by(|a, b| a.order().cmp(&b.order()));
        return;
    }
    // Within a run the path is the same: compared without it.
    let place = |e: &FindingEntry| (e.line, e.column, e.detector, e.fingerprint);
    for r in &runs {
        let file = &mut v[r.clone()];
        if !file.is_sorted_by(|a, b| place(a) <= place(b)) {
            file.sort_unstable_by_key(place);
        }
    }
    if runs.is_sorted_by_key(|r| r.start) {
        return;
    }
    // Where each entry goes; then follow the permutation's cycles.
    let mut target = vec![0usize; v.len()];
    let mut at = 0;
    for r in &runs {
        for (k, i) in r.clone().enumerate() {
            target[i] = at + k;
        }
        at += r.len();
    }
    for i in 0..v.len() {
        while target[i] != i {
            let t = target[i];
            v.swap(i, t);
            target.swap(i, t);
        }
    }
}

/// Write a report file with owner-only permissions (0600): written to a
/// private temporary file in the same folder, then renamed into place, so
/// the file never exists with wider permissions or half-written. A path
/// that names a device, FIFO or socket (`-o /dev/null`, `-o /dev/stdout`, a
/// pipe to another tool) is written in place instead.
pub fn write_private_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut file = PrivateFile::create(path)?;
    {
        let mut w = io::BufWriter::new(file.file());
        write(&mut w)?;
        w.flush()?;
    }
    file.persist()
}

/// A report file being written: a private (0600) temporary file in the
/// target's folder, renamed into place by [`PrivateFile::persist`]; or,
/// when the target exists and is not a regular file, the target itself
/// (renaming over `/dev/null` would replace the device with a file).
pub enum PrivateFile {
    /// A temporary file, renamed to `target` when finished.
    Temporary {
        /// The file being written.
        tmp: tempfile::NamedTempFile,
        /// Where it goes.
        target: std::path::PathBuf,
    },
    /// A device, FIFO or socket, opened for writing.
    InPlace(std::fs::File),
}

impl PrivateFile {
    /// Start writing the report file `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = std::fs::OpenOptions::new().write(true).open(path)?;
            return Ok(PrivateFile::InPlace(file));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".leakscan-report")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .tempfile_in(dir)?;
        Ok(PrivateFile::Temporary {
            tmp,
            target: path.to_path_buf(),
        })
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut std::fs::File {
        match self {
            PrivateFile::Temporary { tmp, .. } => tmp.as_file_mut(),
            PrivateFile::InPlace(file) => file,
        }
    }

    /// Move the finished file into place (nothing to move for a device).
    pub fn persist(self) -> io::Result<()> {
        if let PrivateFile::Temporary { tmp, target } = self {
            tmp.persist(&target).map_err(|e| e.error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_fallback_keeps_the_error_that_called_for_it() {
        let skipped = FileOutcome::Skipped {
            display: "a.pdf".into(),
            reason: "binary data (--skip-binary)".into(),
        };
        match skipped.with_error("pdf", "the PDF parser crashed".into()) {
            FileOutcome::Failed {
                display,
                kind,
                reason,
            } => {
                assert_eq!((display.as_str(), kind), ("a.pdf", "pdf"));
                assert_eq!(
                    reason,
                    "the PDF parser crashed; but they were not scanned: binary data (--skip-binary)"
                );
            }
            other => panic!("{other:?}"),
        }
        let failed = FileOutcome::Failed {
            display: "b.pdf".into(),
            kind: "io",
            reason: "gone".into(),
        };
        assert!(matches!(
            failed.with_error("pdf", "x".into()),
            FileOutcome::Failed { kind: "io", .. }
        ));
    }

    fn entry(path: &Arc<str>, line: u64, column: u64, n: u8) -> FindingEntry {
        FindingEntry {
            path: path.clone(),
            line,
            column,
            detector: DetectorId::CnMobile,
            tier: Tier::General,
            confidence: Confidence::Medium,
            masked: CompactString::default(),
            fingerprint: fingerprint::Fingerprint([n; 16]),
            field: None,
            value: None,
            status: None,
        }
    }

    #[test]
    fn ndjson_finding_lines_are_what_serde_writes() {
        let quoted: Arc<str> = Arc::from("dir/\"q\"\\ 号\u{1}.csv");
        let plain: Arc<str> = Arc::from("a.csv");
        let mut entries = vec![
            entry(&plain, 1, 2, 1),
            entry(&plain, 3, 4, 2),
            entry(&quoted, 5, 6, 3),
        ];
        entries[0].masked = "138****5678".into();
        entries[1].field = Some(Arc::from("手机\"号"));
        entries[1].status = Some(Status::New);
        entries[2].value = Some("a\"b\n".into());
        entries[2].status = Some(Status::Known);
        let mut out = Vec::new();
        let mut c = Collector::new(false, Some(&mut out));
        for e in &entries {
            c.write_line(&Line::Finding(e));
        }
        drop(c);
        let want: String = entries
            .iter()
            .map(|e| serde_json::to_string(&Line::Finding(e)).unwrap() + "\n")
            .collect();
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }

    proptest::proptest! {
        /// Grouped by file (the usual case) or not, the result is the
        /// plain sort's.
        #[test]
        fn findings_sort_into_report_order(
            picks in proptest::collection::vec((0usize..5, 1u64..4, 1u64..3), 0..60),
            grouped in proptest::bool::ANY,
        ) {
            let paths: Vec<Arc<str>> = ["b", "a/x", "a", "c", "b/y"].map(Arc::from).to_vec();
            let mut v: Vec<FindingEntry> = picks
                .iter()
                .enumerate()
                .map(|(n, &(p, line, col))| entry(&paths[p], line, col, n as u8))
                .collect();
            if grouped {
                // Each file's findings together (files not in path order).
                v.sort_by_key(|e| paths.iter().position(|p| *p == e.path));
            }
            let mut want: Vec<_> = v.iter().map(|e| (e.path.to_string(), e.line, e.column, e.fingerprint)).collect();
            want.sort();
            sort_findings(&mut v);
            let got: Vec<_> = v.iter().map(|e| (e.path.to_string(), e.line, e.column, e.fingerprint)).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
