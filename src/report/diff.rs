//! Comparing two scans (`leakscan diff OLD NEW`, `scan --baseline`): findings
//! are matched by path, detector and keyed fingerprint, so no value is needed.
//! Only listed findings can be matched; a file whose findings were capped
//! (`--max-findings-per-file`) on either side is marked `complete: false`
//! and compared by its counts as well. For an exact monthly comparison, scan
//! with `--max-findings-per-file 0` and the same fingerprint key each month.

use super::fingerprint::Fingerprint;
use super::load::LoadedReport;
use super::{FileEntry, FindingEntry, Status, TierCounts};
use crate::classify::Tier;
use crate::detect::DetectorId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Write};
use thiserror::Error;

/// Reports that cannot be compared.
#[derive(Debug, Error)]
pub enum DiffError {
    /// The two reports were made with different fingerprint keys.
    #[error("the reports were made with different fingerprint keys (key id {old} vs {new}): every finding would look new; scan with the same key (--hash-key-file or $LEAKSCAN_HASH_KEY) every month")]
    KeyMismatch {
        /// Key id of the older report.
        old: String,
        /// Key id of the newer report.
        new: String,
    },
}

/// Fail when both key ids are known and differ.
pub fn check_keys(old: Option<&str>, new: Option<&str>) -> Result<(), DiffError> {
    match (old, new) {
        (Some(o), Some(n)) if o != n => Err(DiffError::KeyMismatch {
            old: o.to_string(),
            new: n.to_string(),
        }),
        _ => Ok(()),
    }
}

type Key = (DetectorId, Fingerprint);

fn key(e: &FindingEntry) -> Key {
    (e.detector, e.fingerprint)
}

/// The listed findings of a baseline report, for `scan --baseline`.
#[derive(Debug, Default)]
pub struct Baseline {
    /// Path → finding key → seen again in this scan.
    keys: HashMap<String, HashMap<Key, bool>>,
}

impl Baseline {
    /// The findings of `report` (only those of `shard`'s paths, so that a
    /// shard does not count other shards' findings as resolved).
    pub fn from_report(report: &LoadedReport, shard: Option<&crate::walk::Shard>) -> Self {
        let mut keys: HashMap<String, HashMap<Key, bool>> = HashMap::new();
        let mine = report
            .findings
            .iter()
            .filter(|e| shard.is_none_or(|s| s.owns(&e.path)));
        for e in mine {
            keys.entry(e.path.to_string())
                .or_default()
                .insert(key(e), false);
        }
        Baseline { keys }
    }

    /// `known` when the baseline has the same path, detector and fingerprint.
    pub fn status(&mut self, e: &FindingEntry) -> Status {
        match self.keys.get_mut(&*e.path).and_then(|m| m.get_mut(&key(e))) {
            Some(seen) => {
                *seen = true;
                Status::Known
            }
            None => Status::New,
        }
    }

    /// Baseline findings not seen again.
    pub fn unmatched(&self) -> u64 {
        self.keys
            .values()
            .flat_map(|m| m.values())
            .filter(|seen| !**seen)
            .count() as u64
    }
}

/// A finding's change between the two reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in the newer report.
    New,
    /// Only in the older report.
    Resolved,
    /// In both.
    Persisting,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Resolved => "resolved",
            Change::Persisting => "persisting",
        }
    }
}

/// One side of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The report file as given.
    pub report: String,
    /// When that scan started.
    pub started_at: String,
    /// Its roots.
    pub roots: Vec<String>,
}

/// Totals of the comparison.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DiffSummary {
    /// Findings only in the newer report.
    pub new: u64,
    /// Findings only in the older report.
    pub resolved: u64,
    /// Findings in both.
    pub persisting: u64,
    /// New findings per tier.
    pub new_per_tier: TierCounts,
    /// Files with findings only in the newer report.
    pub files_added: u64,
    /// Files with findings only in the older report.
    pub files_removed: u64,
    /// Files whose tier rose.
    pub files_tier_rose: u64,
    /// Files whose tier fell.
    pub files_tier_fell: u64,
    /// Files compared by counts only (findings capped on a side).
    pub files_incomplete: u64,
}

/// How a file changed.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    /// Path as shown.
    pub path: String,
    /// `added`, `removed`, `rose`, `fell` or `same` (by tier).
    pub change: &'static str,
    /// Tier in the older report (`null`: no findings).
    pub old_tier: Option<Tier>,
    /// Tier in the newer report (`null`: no findings).
    pub new_tier: Option<Tier>,
    /// Findings counted in the older report.
    pub old_findings: u64,
    /// Findings counted in the newer report.
    pub new_findings: u64,
    /// Listed findings only in the newer report.
    pub new: u64,
    /// Listed findings only in the older report.
    pub resolved: u64,
    /// Listed findings in both.
    pub persisting: u64,
    /// Whether every finding was listed on both sides (else compare the counts).
    pub complete: bool,
}

/// A finding with its change.
#[derive(Debug, Clone, Serialize)]
pub struct FindingChange {
    /// New, resolved or persisting.
    pub change: Change,
    /// The finding (from the older report when resolved).
    #[serde(flatten)]
    pub finding: FindingEntry,
}

/// The comparison of two reports.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// Always `leakscan`.
    pub tool: &'static str,
    /// leakscan's version.
    pub version: &'static str,
    /// The older report.
    pub old: Side,
    /// The newer report.
    pub new: Side,
    /// Totals.
    pub summary: DiffSummary,
    /// Every file with findings on either side, by path.
    pub files: Vec<FileChange>,
    /// Every listed finding of either side, by path, line, column.
    pub findings: Vec<FindingChange>,
}

fn side(name: &str, r: &LoadedReport) -> Side {
    let text = |k: &str| {
        r.scan
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let roots = r
        .scan
        .get("roots")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Side {
        report: name.to_string(),
        started_at: text("started_at"),
        roots,
    }
}

fn keys_of(r: &LoadedReport) -> HashMap<&str, HashSet<Key>> {
    let mut m: HashMap<&str, HashSet<Key>> = HashMap::new();
    for e in &r.findings {
        m.entry(&*e.path).or_default().insert(key(e));
    }
    m
}

/// Compare `old` (named `old_name`) with `new`.
pub fn diff(
    (old_name, old): (&str, &LoadedReport),
    (new_name, new): (&str, &LoadedReport),
) -> Result<Diff, DiffError> {
    check_keys(old.key_id(), new.key_id())?;
    let (old_keys, new_keys) = (keys_of(old), keys_of(new));
    let mut findings = Vec::new();
    let mut per_file: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    let mut summary = DiffSummary::default();
    for e in &new.findings {
        let known = old_keys.get(&*e.path).is_some_and(|k| k.contains(&key(e)));
        let change = if known {
            Change::Persisting
        } else {
            Change::New
        };
        findings.push(FindingChange {
            change,
            finding: e.clone(),
        });
    }
    for e in &old.findings {
        if !new_keys.get(&*e.path).is_some_and(|k| k.contains(&key(e))) {
            findings.push(FindingChange {
                change: Change::Resolved,
                finding: e.clone(),
            });
        }
    }
    findings.sort_by(|a, b| (a.finding.order(), a.change).cmp(&(b.finding.order(), b.change)));
    for f in &findings {
        let counts = per_file.entry(&f.finding.path).or_default();
        match f.change {
            Change::New => {
                counts[0] += 1;
                summary.new += 1;
                summary.new_per_tier.add(f.finding.tier, 1);
            }
            Change::Resolved => {
                counts[1] += 1;
                summary.resolved += 1;
            }
            Change::Persisting => {
                counts[2] += 1;
                summary.persisting += 1;
            }
        }
    }
    let by_path = |r: &'_ LoadedReport| -> BTreeMap<String, FileEntry> {
        r.files
            .iter()
            .filter(|f| f.findings > 0)
            .map(|f| (f.path.clone(), f.clone()))
            .collect()
    };
    let (old_files, new_files) = (by_path(old), by_path(new));
    let paths: BTreeSet<&String> = old_files.keys().chain(new_files.keys()).collect();
    let mut files = Vec::new();
    for path in paths {
        let (o, n) = (old_files.get(path), new_files.get(path));
        let (old_tier, new_tier) = (o.map(|f| f.tier), n.map(|f| f.tier));
        let change = match (old_tier, new_tier) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(a), Some(b)) if b > a => "rose",
            (Some(a), Some(b)) if b < a => "fell",
            _ => "same",
        };
        match change {
            "added" => summary.files_added += 1,
            "removed" => summary.files_removed += 1,
            "rose" => summary.files_tier_rose += 1,
            "fell" => summary.files_tier_fell += 1,
            _ => {}
        }
        let complete = o.is_none_or(|f| f.not_listed == 0) && n.is_none_or(|f| f.not_listed == 0);
        if !complete {
            summary.files_incomplete += 1;
        }
        let [new_n, resolved, persisting] =
            per_file.get(path.as_str()).copied().unwrap_or_default();
        files.push(FileChange {
            path: path.clone(),
            change,
            old_tier,
            new_tier,
            old_findings: o.map_or(0, |f| f.findings),
            new_findings: n.map_or(0, |f| f.findings),
            new: new_n,
            resolved,
            persisting,
            complete,
        });
    }
    Ok(Diff {
        tool: "leakscan",
        version: env!("CARGO_PKG_VERSION"),
        old: side(old_name, old),
        new: side(new_name, new),
        summary,
        files,
        findings,
    })
}

fn tier_name(t: Option<Tier>) -> &'static str {
    t.map_or("-", Tier::as_str)
}

/// Write the comparison for a person: totals, changed files, then the new
/// and resolved findings (masked).
pub fn write_text(d: &Diff, w: &mut dyn Write) -> io::Result<()> {
    let s = &d.summary;
    writeln!(
        w,
        "leakscan diff: {} ({}) -> {} ({})",
        d.old.report, d.old.started_at, d.new.report, d.new.started_at
    )?;
    writeln!(
        w,
        "findings: {} new (core {}, general {}, public {}), {} resolved, {} persisting",
        s.new,
        s.new_per_tier.core,
        s.new_per_tier.general,
        s.new_per_tier.public,
        s.resolved,
        s.persisting
    )?;
    writeln!(
        w,
        "files: {} added, {} removed, {} tier rose, {} tier fell",
        s.files_added, s.files_removed, s.files_tier_rose, s.files_tier_fell
    )?;
    if s.files_incomplete > 0 {
        writeln!(
            w,
            "note: {} files had more findings than were listed; compare their counts (scan with --max-findings-per-file 0 for an exact comparison)",
            s.files_incomplete
        )?;
    }
    let changed: Vec<_> = d
        .files
        .iter()
        .filter(|f| f.change != "same" || f.new > 0 || f.resolved > 0 || !f.complete)
        .collect();
    if !changed.is_empty() {
        writeln!(w, "changed files:")?;
    }
    for f in changed {
        writeln!(
            w,
            "  {:<8} {:>7} -> {:<7} {:>5} new {:>5} resolved {:>5} persisting  findings {} -> {}  {}",
            f.change,
            tier_name(f.old_tier),
            tier_name(f.new_tier),
            f.new,
            f.resolved,
            f.persisting,
            f.old_findings,
            f.new_findings,
            f.path
        )?;
    }
    for (title, change) in [("new", Change::New), ("resolved", Change::Resolved)] {
        let list: Vec<_> = d.findings.iter().filter(|f| f.change == change).collect();
        if list.is_empty() {
            continue;
        }
        writeln!(w, "{title} findings:")?;
        for f in list {
            let e = &f.finding;
            writeln!(
                w,
                "  {}:{}:{}  {}  {}  {}",
                e.path, e.line, e.column, e.detector, e.tier, e.masked
            )?;
        }
    }
    Ok(())
}

/// Write the comparison as pretty JSON.
pub fn write_json(d: &Diff, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, d)?;
    writeln!(w)
}

/// Write one CSV row per finding with its change (UTF-8 with BOM and the
/// columns of the scan's CSV report).
pub fn write_csv(d: &Diff, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(super::csv::BOM)?;
    let mut out = csv::Writer::from_writer(w);
    out.write_record(std::iter::once("change").chain(super::csv::FINDING_COLUMNS))?;
    for f in &d.findings {
        let cells = super::csv::finding_cells(&f.finding);
        out.write_record(
            std::iter::once(f.change.as_str()).chain(cells.iter().map(|c| c.as_ref())),
        )?;
    }
    out.flush()
}
