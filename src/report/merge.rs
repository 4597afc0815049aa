//! `leakscan merge`: combine the reports of `--shard K/N` scans into one
//! report whose summary, files, findings, skipped paths and errors equal
//! those of a single scan of the whole tree. Distinct-value counts are exact:
//! shard reports carry keyed hashes of their distinct values.

use super::load::LoadedReport;
use super::{BaselineSummary, DetectorCount, Summary};
use crate::walk::Shard;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// Shard reports that do not make one scan.
#[derive(Debug, Error)]
pub enum MergeError {
    /// No reports given.
    #[error("no reports to merge")]
    Empty,
    /// A report is not a shard report.
    #[error("{0} was not made with --shard K/N")]
    NotShard(String),
    /// The reports disagree on something that must be the same.
    #[error("{name} differs from {first}: {what}")]
    Mismatch {
        /// The first report.
        first: String,
        /// The report that differs.
        name: String,
        /// What differs.
        what: &'static str,
    },
    /// A shard is given twice.
    #[error("shard {shard} is given twice ({a} and {b})")]
    Duplicate {
        /// The shard.
        shard: Shard,
        /// One report.
        a: String,
        /// The other.
        b: String,
    },
    /// Shards are missing.
    #[error("shards missing: {missing:?} of {count}; a merged report must cover every shard")]
    Missing {
        /// Missing indices.
        missing: Vec<u64>,
        /// Shard count.
        count: u64,
    },
}

fn shard_of(r: &LoadedReport) -> Option<Shard> {
    serde_json::from_value(r.scan.get("options")?.get("shard")?.clone()).ok()
}

/// Merge named shard reports.
pub fn merge(parts: Vec<(String, LoadedReport)>) -> Result<LoadedReport, MergeError> {
    let Some((first_name, first)) = parts.first() else {
        return Err(MergeError::Empty);
    };
    let count = shard_of(first)
        .ok_or_else(|| MergeError::NotShard(first_name.clone()))?
        .count;
    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    for (name, r) in &parts {
        let shard = shard_of(r).ok_or_else(|| MergeError::NotShard(name.clone()))?;
        let mismatch = |what| MergeError::Mismatch {
            first: first_name.clone(),
            name: name.clone(),
            what,
        };
        if shard.count != count {
            return Err(mismatch("shard count"));
        }
        if r.version != first.version {
            return Err(mismatch("leakscan version"));
        }
        if r.key_id() != first.key_id() {
            return Err(mismatch("fingerprint key"));
        }
        for k in ["policy", "roots"] {
            if r.scan.get(k) != first.scan.get(k) {
                return Err(mismatch(if k == "policy" { "policy" } else { "roots" }));
            }
        }
        let rules = |r: &LoadedReport| -> Vec<(String, String)> {
            r.summary
                .suppressed_per_rule
                .iter()
                .map(|x| (x.selectors.clone(), x.reason.clone()))
                .collect()
        };
        if rules(r) != rules(first) {
            return Err(mismatch("suppression rules"));
        }
        if let Some(other) = seen.insert(shard.index, name) {
            return Err(MergeError::Duplicate {
                shard,
                a: other.to_string(),
                b: name.clone(),
            });
        }
    }
    let missing: Vec<u64> = (0..count).filter(|i| !seen.contains_key(i)).collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing { missing, count });
    }

    let names: Vec<String> = parts.iter().map(|(n, _)| n.clone()).collect();
    let mut reports: Vec<LoadedReport> = parts.into_iter().map(|(_, r)| r).collect();
    let scan = merged_scan(&reports, names);
    let summary = merged_summary(&reports);
    let mut out = reports.swap_remove(0);
    for r in reports {
        out.files.extend(r.files);
        out.findings.extend(r.findings);
        out.skipped.extend(r.skipped);
        out.errors.extend(r.errors);
        out.suppressed.extend(r.suppressed);
    }
    out.sort();
    out.scan = scan;
    out.summary = summary;
    out.distinct.clear();
    Ok(out)
}

/// The first shard's `scan` section with the times and memory of all of
/// them, no shard, and the names of the merged reports.
fn merged_scan(reports: &[LoadedReport], names: Vec<String>) -> Value {
    let mut scan = reports[0].scan.clone();
    let strs = |k: &'static str| reports.iter().filter_map(move |r| r.scan.get(k)?.as_str());
    let nums = |k: &'static str| reports.iter().filter_map(move |r| r.scan.get(k)?.as_u64());
    if let Some(obj) = scan.as_object_mut() {
        if let Some(v) = strs("started_at").min() {
            obj.insert("started_at".into(), v.into());
        }
        if let Some(v) = strs("finished_at").max() {
            obj.insert("finished_at".into(), v.into());
        }
        for k in ["duration_ms", "peak_rss_kib"] {
            if let Some(v) = nums(k).max() {
                obj.insert(k.into(), v.into());
            }
        }
        let interrupted = reports
            .iter()
            .any(|r| r.scan.get("interrupted").and_then(Value::as_bool) == Some(true));
        obj.insert("interrupted".into(), interrupted.into());
        obj.insert("merged_from".into(), names.into());
        if let Some(opts) = obj.get_mut("options").and_then(Value::as_object_mut) {
            opts.insert("shard".into(), Value::Null);
        }
    }
    scan
}

fn merged_summary(reports: &[LoadedReport]) -> Summary {
    let mut s = Summary::default();
    let mut distinct: BTreeMap<_, BTreeSet<u64>> = BTreeMap::new();
    let mut baseline: Option<BaselineSummary> = None;
    for r in reports {
        let x = &r.summary;
        s.files_seen += x.files_seen;
        s.files_scanned += x.files_scanned;
        s.files_skipped += x.files_skipped;
        s.files_failed += x.files_failed;
        s.bytes_scanned += x.bytes_scanned;
        s.findings_total += x.findings_total;
        s.findings_listed += x.findings_listed;
        s.files_with_findings += x.files_with_findings;
        s.suppressed_total += x.suppressed_total;
        s.highest_tier = s.highest_tier.max(x.highest_tier);
        for t in crate::classify::Tier::ALL {
            s.findings_per_tier.add(t, x.findings_per_tier.get(t));
            s.files_per_tier.add(t, x.files_per_tier.get(t));
        }
        for (d, c) in &x.findings_per_detector {
            s.findings_per_detector
                .entry(*d)
                .or_insert_with(DetectorCount::default)
                .total += c.total;
        }
        for (d, set) in &r.distinct {
            distinct.entry(*d).or_default().extend(set);
        }
        if s.suppressed_per_rule.is_empty() {
            s.suppressed_per_rule = x.suppressed_per_rule.clone();
        } else {
            for (mine, theirs) in s.suppressed_per_rule.iter_mut().zip(&x.suppressed_per_rule) {
                mine.findings += theirs.findings;
            }
        }
        if let Some(b) = &x.baseline {
            let m = baseline.get_or_insert_with(BaselineSummary::default);
            m.new += b.new;
            m.known += b.known;
            m.resolved += b.resolved;
            for t in crate::classify::Tier::ALL {
                m.new_per_tier.add(t, b.new_per_tier.get(t));
            }
            m.highest_new_tier = m.highest_new_tier.max(b.highest_new_tier);
        }
    }
    for (d, c) in s.findings_per_detector.iter_mut() {
        c.distinct = distinct.get(d).map_or(0, |v| v.len() as u64);
    }
    s.baseline = baseline;
    s
}
