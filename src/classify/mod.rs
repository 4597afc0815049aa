//! Classify stage: give each finding its tier from the policy and each file
//! the highest tier of its findings after the escalation rules:
//!
//! * **bulk**: at least `bulk_distinct` distinct values of one `general`
//!   detector in a file make the file `core` (a customer export);
//! * **record**: an identity number together with a phone number in one
//!   record (line or table row) makes the file `core`.
//!
//! Counts per file are exact (totals and distinct values); the list of
//! findings kept for the report is capped per file.

use crate::detect::{value_hash, CompactString, Confidence, DetectorId, Match};
use crate::patterns::Patterns;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

mod distinct;
pub use distinct::DistinctSet;
mod shared;
pub use shared::{ScanDistinct, Stash};

/// Sensitivity tier, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// 非敏感信息.
    Public,
    /// 一般敏感信息.
    General,
    /// 核心敏感信息.
    Core,
}

impl Tier {
    /// Every tier, highest first.
    pub const ALL: [Tier; 3] = [Tier::Core, Tier::General, Tier::Public];

    /// The tier as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::General => "general",
            Tier::Core => "core",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tier policy in force.
#[derive(Debug, Clone)]
pub struct Policy {
    tiers: BTreeMap<DetectorId, Tier>,
    /// Distinct `general` values of one detector that make a file `core` (0 = off).
    pub bulk_distinct: u64,
    /// Whether ID + phone in one record makes a file `core`.
    pub id_with_phone: bool,
    /// Where the policy came from.
    pub origin: String,
}

impl Policy {
    /// The policy from loaded patterns; `bulk_distinct` overrides the file's threshold.
    pub fn new(p: &Patterns, bulk_distinct: Option<u64>) -> Self {
        Policy {
            tiers: p.policy.tiers.clone(),
            bulk_distinct: bulk_distinct.unwrap_or(p.policy.escalation.bulk_distinct),
            id_with_phone: p.policy.escalation.id_with_phone,
            origin: p.policy_origin.clone(),
        }
    }

    /// The tier of a detector's findings.
    pub fn tier(&self, d: DetectorId) -> Tier {
        self.tiers.get(&d).copied().unwrap_or(Tier::Core)
    }

    /// Detector → tier, for the report.
    pub fn tiers(&self) -> &BTreeMap<DetectorId, Tier> {
        &self.tiers
    }
}

/// One finding, located and classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Detector.
    pub detector: DetectorId,
    /// Tier from the policy.
    pub tier: Tier,
    /// Confidence.
    pub confidence: Confidence,
    /// 1-based line.
    pub line: u64,
    /// 1-based column (characters).
    pub column: u64,
    /// Table column or key name (shared by the findings of one file).
    pub field: Option<Arc<str>>,
    /// Normalised value (never printed unless revealed).
    pub value: CompactString,
}

impl Finding {
    /// The finding of match `m` at `(line, column, field)`.
    fn of(policy: &Policy, m: &Match, (line, column, field): (u64, u64, Option<Arc<str>>)) -> Self {
        Finding {
            detector: m.detector,
            tier: policy.tier(m.detector),
            confidence: m.confidence,
            line,
            column,
            field,
            value: m.value.clone(),
        }
    }
}

/// Exact counts of one detector in one file (or one scan).
#[derive(Debug, Default)]
pub struct Count {
    /// Findings.
    pub total: u64,
    /// Hashes of the distinct values, in bounded memory.
    pub distinct: DistinctSet,
}

impl Count {
    /// Why the distinct count of detector `d` may be short, if it may (a
    /// temporary file of value hashes could not be read back).
    pub fn shortfall(&self, d: DetectorId) -> Option<String> {
        self.distinct.error().map(|e| {
            format!("distinct {d} values could not all be read back from a temporary file ({e}): their count is a lower bound")
        })
    }
}

/// Everything classified about one file.
#[derive(Debug, Default)]
pub struct FileTally {
    /// Counts per detector.
    pub counts: BTreeMap<DetectorId, Count>,
    /// Findings kept for the report (at most the cap).
    pub listed: Vec<Finding>,
    /// Findings counted but not kept.
    pub not_listed: u64,
    /// Listed findings passed on as a number only, for a report that keeps
    /// none (the text summary).
    pub unkept: u64,
    /// Whether a record held an ID number together with a phone number.
    pub id_with_phone: bool,
    /// Suppressed findings per suppression rule (by index).
    pub suppressed: BTreeMap<usize, u64>,
    /// Suppressed findings kept for the report (with their rule), at most
    /// the cap, and only when asked for.
    pub suppressed_listed: Vec<(usize, Finding)>,
    cap: usize,
    keep_suppressed: bool,
    count_only: bool,
}

/// A file's tier and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVerdict {
    /// The file's tier, `None` when nothing was found.
    pub tier: Option<Tier>,
    /// Escalation rules that applied, in words.
    pub escalations: Vec<String>,
}

impl FileTally {
    /// An empty tally listing at most `cap` findings (0 = no limit).
    pub fn new(cap: usize) -> Self {
        FileTally {
            cap,
            ..Default::default()
        }
    }

    /// Count the findings that would be listed in `unkept` without building
    /// them (no value copied, no column counted): for a report that keeps
    /// none, the text summary, which built and dropped up to the cap of
    /// each file (a million on the benchmark corpus).
    pub fn counting_only(mut self, yes: bool) -> Self {
        self.count_only = yes;
        self
    }

    /// Whether the next finding may be listed (else it is only counted, and
    /// needs no value, only its hash).
    pub fn lists_more(&self) -> bool {
        !self.count_only && (self.cap == 0 || self.listed.len() < self.cap)
    }

    /// Keep suppressed findings for the report too (`--show-suppressed`).
    pub fn listing_suppressed(mut self, keep: bool) -> Self {
        self.keep_suppressed = keep;
        self
    }

    /// Count a finding suppressed by rule `rule`; `(line, column, field)`
    /// locate it.
    pub fn add_suppressed(
        &mut self,
        policy: &Policy,
        rule: usize,
        m: Match,
        (line, column, field): (u64, u64, Option<Arc<str>>),
    ) {
        *self.suppressed.entry(rule).or_default() += 1;
        if !self.keep_suppressed || (self.cap != 0 && self.suppressed_listed.len() >= self.cap) {
            return;
        }
        let finding = Finding::of(policy, &m, (line, column, field));
        self.suppressed_listed.push((rule, finding));
    }

    /// Suppressed findings counted.
    pub fn suppressed_total(&self) -> u64 {
        self.suppressed.values().sum()
    }

    /// Add the matches of one record; `locate` gives a match's line, column and field name.
    pub fn add_record(
        &mut self,
        policy: &Policy,
        matches: &[Match],
        mut locate: impl FnMut(&Match) -> (u64, u64, Option<Arc<str>>),
    ) {
        let has = |d| matches.iter().any(|m| m.detector == d);
        if has(DetectorId::CnResidentId) && has(DetectorId::CnMobile) {
            self.id_with_phone = true;
        }
        for m in matches {
            let c = self.counts.entry(m.detector).or_default();
            c.total += 1;
            // A record that is only counted comes with its hash alone.
            let hash = m
                .hash
                .unwrap_or_else(|| value_hash(m.detector, m.value.as_bytes()));
            c.distinct.insert(hash);
            if self.cap != 0 && self.listed.len() as u64 + self.unkept >= self.cap as u64 {
                self.not_listed += 1;
                continue;
            }
            if self.count_only {
                self.unkept += 1;
                continue;
            }
            debug_assert!(m.hash.is_none(), "a listed finding has its value");
            self.listed.push(Finding::of(policy, m, locate(m)));
        }
    }

    /// Fold in the tally of another part of the same file (a segment read in
    /// parallel), keeping the first `cap` findings by position.
    pub fn merge(&mut self, other: FileTally) {
        for (d, c) in other.counts {
            let mine = self.counts.entry(d).or_default();
            mine.total += c.total;
            mine.distinct.absorb(c.distinct);
        }
        self.listed.extend(other.listed);
        self.unkept += other.unkept;
        self.not_listed += other.not_listed;
        self.id_with_phone |= other.id_with_phone;
        self.listed.sort_by_key(|f| (f.line, f.column, f.detector));
        if self.cap != 0 && self.listed.len() > self.cap {
            self.not_listed += (self.listed.len() - self.cap) as u64;
            self.listed.truncate(self.cap);
        }
        // Counted only (a tally lists or counts, never both).
        if self.cap != 0 && self.unkept > self.cap as u64 {
            self.not_listed += self.unkept - self.cap as u64;
            self.unkept = self.cap as u64;
        }
        for (rule, n) in other.suppressed {
            *self.suppressed.entry(rule).or_default() += n;
        }
        self.suppressed_listed.extend(other.suppressed_listed);
        self.suppressed_listed
            .sort_by_key(|(_, f)| (f.line, f.column, f.detector));
        if self.cap != 0 {
            self.suppressed_listed.truncate(self.cap);
        }
    }

    /// Total findings counted.
    pub fn total(&self) -> u64 {
        self.counts.values().map(|c| c.total).sum()
    }

    /// Sort the buffered value hashes of every count (once a file is read:
    /// counting then needs no copy, and the collector merges sorted pieces).
    pub fn settle(&mut self) {
        self.counts.values_mut().for_each(|c| c.distinct.settle());
    }

    /// Settle the counts of a part of a file that waits to be merged with
    /// the others: large distinct-value sets go to disk meanwhile.
    pub fn shelve(&mut self) {
        self.counts.values_mut().for_each(|c| c.distinct.shelve());
    }

    /// The file's tier under `policy`.
    pub fn verdict(&self, policy: &Policy) -> FileVerdict {
        let mut tier = self.counts.keys().map(|&d| policy.tier(d)).max();
        let mut escalations = Vec::new();
        if policy.bulk_distinct > 0 {
            for (&d, c) in &self.counts {
                let n = c.distinct.len();
                if policy.tier(d) == Tier::General && n >= policy.bulk_distinct {
                    escalations.push(format!(
                        "bulk: {n} distinct {d} values (threshold {})",
                        policy.bulk_distinct
                    ));
                }
            }
        }
        if policy.id_with_phone && self.id_with_phone {
            escalations.push("record: identity number together with a phone number".to_string());
        }
        if !escalations.is_empty() {
            tier = Some(Tier::Core);
        }
        FileVerdict { tier, escalations }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(bulk: u64) -> Policy {
        Policy::new(&Patterns::builtin().unwrap(), Some(bulk))
    }

    fn m(d: DetectorId, v: &str) -> Match {
        Match::new(d, 0..1, v, Confidence::Medium)
    }

    fn locate(_: &Match) -> (u64, u64, Option<Arc<str>>) {
        (1, 1, None)
    }

    #[test]
    fn tier_is_the_highest_of_the_findings() {
        let p = policy(50);
        let mut t = FileTally::new(100);
        assert_eq!(t.verdict(&p).tier, None);
        t.add_record(&p, &[m(DetectorId::CnMobile, "13812345678")], locate);
        assert_eq!(t.verdict(&p).tier, Some(Tier::General));
        t.add_record(
            &p,
            &[m(DetectorId::CnResidentId, "110101199003071233")],
            locate,
        );
        let v = t.verdict(&p);
        assert_eq!(v.tier, Some(Tier::Core));
        assert!(
            v.escalations.is_empty(),
            "ID and phone were in different records"
        );
    }

    #[test]
    fn bulk_distinct_values_escalate_to_core() {
        let p = policy(3);
        let mut t = FileTally::new(100);
        for v in ["13800000001", "13800000002", "13800000002"] {
            t.add_record(&p, &[m(DetectorId::CnMobile, v)], locate);
        }
        assert_eq!(t.verdict(&p).tier, Some(Tier::General), "2 distinct < 3");
        t.add_record(&p, &[m(DetectorId::CnMobile, "13800000003")], locate);
        let v = t.verdict(&p);
        assert_eq!(v.tier, Some(Tier::Core));
        assert_eq!(
            v.escalations,
            ["bulk: 3 distinct cn_mobile values (threshold 3)"]
        );
        assert_eq!(t.counts[&DetectorId::CnMobile].total, 4);
    }

    #[test]
    fn id_with_phone_in_one_record_escalates() {
        let p = policy(0);
        let mut t = FileTally::new(100);
        t.add_record(
            &p,
            &[
                m(DetectorId::CnMobile, "13800000001"),
                m(DetectorId::CnResidentId, "110101199003071233"),
            ],
            locate,
        );
        assert_eq!(t.verdict(&p).escalations.len(), 1);
    }

    #[test]
    fn merged_parts_keep_exact_counts_and_the_first_findings() {
        let p = policy(0);
        let (mut a, mut b) = (FileTally::new(2), FileTally::new(2));
        a.add_record(&p, &[m(DetectorId::CnMobile, "13800000001")], |_| {
            (10, 1, None)
        });
        a.add_record(&p, &[m(DetectorId::CnMobile, "13800000002")], |_| {
            (11, 1, None)
        });
        b.add_record(&p, &[m(DetectorId::CnMobile, "13800000001")], |_| {
            (1, 1, None)
        });
        b.add_record(
            &p,
            &[m(DetectorId::CnResidentId, "110101199003071233")],
            |_| (2, 1, None),
        );
        b.add_record(&p, &[m(DetectorId::CnMobile, "13800000003")], |_| {
            (3, 1, None)
        });
        a.merge(b);
        assert_eq!(a.total(), 5);
        assert_eq!(a.counts[&DetectorId::CnMobile].distinct.len(), 3);
        let lines: Vec<u64> = a.listed.iter().map(|f| f.line).collect();
        assert_eq!(lines, [1, 2]);
        assert_eq!(a.not_listed, 3);
    }

    #[test]
    fn listing_is_capped_but_counts_are_exact() {
        let p = policy(0);
        let mut t = FileTally::new(2);
        for v in ["13800000001", "13800000002", "13800000003"] {
            t.add_record(&p, &[m(DetectorId::CnMobile, v)], locate);
        }
        assert_eq!((t.listed.len(), t.not_listed, t.total()), (2, 1, 3));
        let mut unlimited = FileTally::new(0);
        for v in ["13800000001", "13800000002", "13800000003"] {
            unlimited.add_record(&p, &[m(DetectorId::CnMobile, v)], locate);
        }
        assert_eq!(unlimited.listed.len(), 3);
    }

    #[test]
    fn counting_only_counts_what_would_be_listed() {
        let p = policy(0);
        let values: Vec<String> = (1..=7).map(|i| format!("1380000000{i}")).collect();
        let tally = |cap, count_only, vs: &[String]| {
            let mut t = FileTally::new(cap).counting_only(count_only);
            let mut calls = 0;
            for v in vs {
                t.add_record(&p, &[m(DetectorId::CnMobile, v)], |_| {
                    calls += 1;
                    (1, 1, None)
                });
            }
            (t, calls)
        };
        let (t, calls) = tally(5, true, &values);
        assert!(t.listed.is_empty());
        assert_eq!(calls, 0, "nothing is located");
        assert_eq!((t.unkept, t.not_listed, t.total()), (5, 2, 7));
        assert_eq!(t.counts[&DetectorId::CnMobile].distinct.len(), 7);
        let (t, _) = tally(0, true, &values);
        assert_eq!((t.unkept, t.not_listed), (7, 0));
        // Parts of a file read in parallel: 4 + 3 counted, 5 kept.
        let (mut a, _) = tally(5, true, &values[..4]);
        let (b, _) = tally(5, true, &values[4..]);
        a.merge(b);
        assert_eq!((a.unkept, a.not_listed, a.total()), (5, 2, 7));
        let (mut a, _) = tally(5, false, &values[..4]);
        let (b, _) = tally(5, false, &values[4..]);
        a.merge(b);
        assert_eq!((a.listed.len(), a.unkept, a.not_listed), (5, 0, 2));
    }
}
