//! Detect stage: find validated personal-data values in one text unit.
//!
//! A [`Registry`] is compiled once from `patterns/` (region codes, number
//! segments, hotwords, column names) before the walk starts and shared by all
//! workers. [`Registry::scan`] walks the unit's bytes once for number-shaped
//! tokens (digit runs standing alone: never inside a longer run of digits or
//! letters), validates each candidate, and only when something was found runs
//! the hotword automaton to set the confidence. Everything here works on
//! bytes: digits and separators are ASCII in every decoded text and in raw
//! binary data alike.

pub mod cdr;
pub mod checksum;
pub mod hotwords;
pub mod mobile;
pub mod resident_id;

use crate::extract::TextUnit;
use crate::patterns::Patterns;
use hotwords::KeywordSet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;

/// Stable detector ids, as used in reports, policy files and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorId {
    /// 居民身份证号码, 18-digit and legacy 15-digit.
    CnResidentId,
    /// Mobile phone number.
    CnMobile,
    /// One call-detail record.
    CdrRecord,
}

impl DetectorId {
    /// Every detector, in report order.
    pub const ALL: [DetectorId; 3] = [
        DetectorId::CnResidentId,
        DetectorId::CnMobile,
        DetectorId::CdrRecord,
    ];

    /// The id as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DetectorId::CnResidentId => "cn_resident_id",
            DetectorId::CnMobile => "cn_mobile",
            DetectorId::CdrRecord => "cdr_record",
        }
    }

    /// This detector's bit in context masks.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for DetectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a finding is (SPEC.md "Confidence").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Pattern only, or weak validation without context.
    Low,
    /// Validated, no context.
    Medium,
    /// Validated and with context (hotword or a column header naming it).
    High,
}

impl Confidence {
    fn lowered(self) -> Self {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        })
    }
}

/// One validated value found in a text unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Which detector.
    pub detector: DetectorId,
    /// Byte span in the unit's text.
    pub span: Range<usize>,
    /// Normalised value (digits only, uppercase X; CDR: `caller|callee|start`).
    pub value: String,
    /// Confidence after context.
    pub confidence: Confidence,
    /// Index of the table column holding the value, if the unit is a table row.
    pub field: Option<usize>,
    /// Weak evidence (a pattern with partial validation, such as a legacy
    /// 15-digit ID): reported at `low` confidence only when asked for.
    pub weak: bool,
}

/// Column roles of a table, computed once from its header row.
#[derive(Debug, Clone, Default)]
pub struct HeaderProfile {
    masks: Vec<u32>,
    cdr: Option<cdr::CdrColumns>,
}

impl HeaderProfile {
    /// Whether any header cell names something a detector knows.
    pub fn is_informative(&self) -> bool {
        self.masks.iter().any(|&m| m != 0)
    }

    /// Whether the header describes call-detail records.
    pub fn is_cdr_table(&self) -> bool {
        self.cdr.is_some()
    }

    fn mask(&self, field: usize) -> u32 {
        self.masks.get(field).copied().unwrap_or(0)
    }
}

/// Everything a detector listing shows about one detector.
#[derive(Debug, Clone)]
pub struct DetectorInfo {
    /// The id.
    pub id: DetectorId,
    /// Human name.
    pub name: String,
    /// What is validated.
    pub validation: String,
    /// Example texts (each yields a finding of this detector).
    pub examples: Vec<String>,
}

/// The compiled detectors: built once, shared read-only by all workers.
#[derive(Debug)]
pub struct Registry {
    regions: resident_id::RegionTable,
    segments: mobile::SegmentTable,
    hotwords: KeywordSet,
    columns: KeywordSet,
    line_rule: cdr::LineRule,
    today: u32,
    infos: Vec<DetectorInfo>,
}

impl Registry {
    /// Compile the detectors from loaded pattern data; `today` (`yyyymmdd`)
    /// bounds birth dates.
    pub fn new(p: &Patterns, today: u32) -> Self {
        let hotwords = KeywordSet::new(
            p.detectors
                .detector
                .iter()
                .flat_map(|d| d.hotwords.iter().map(move |w| (w.as_str(), d.id.bit()))),
        );
        let roles = [
            (&p.detectors.cdr.caller, cdr::CALLER),
            (&p.detectors.cdr.callee, cdr::CALLEE),
            (&p.detectors.cdr.start_time, cdr::START_TIME),
            (&p.detectors.cdr.duration, cdr::DURATION),
        ];
        let columns = KeywordSet::new(
            p.detectors
                .detector
                .iter()
                .flat_map(|d| d.columns.iter().map(move |w| (w.as_str(), d.id.bit())))
                .chain(
                    roles
                        .into_iter()
                        .flat_map(|(words, bit)| words.iter().map(move |w| (w.as_str(), bit))),
                ),
        );
        let infos = p
            .detectors
            .detector
            .iter()
            .map(|d| DetectorInfo {
                id: d.id,
                name: d.name.clone(),
                validation: d.validation.clone(),
                examples: d.examples.clone(),
            })
            .collect();
        Registry {
            regions: resident_id::RegionTable::new(&p.region_codes),
            segments: mobile::SegmentTable::new(&p.mobile_segments),
            hotwords,
            columns,
            line_rule: cdr::LineRule::new(),
            today,
            infos,
        }
    }

    /// The detectors, in the order of `detectors.toml`.
    pub fn detectors(&self) -> &[DetectorInfo] {
        &self.infos
    }

    /// Work out the column roles of a table from its header cells.
    pub fn header_profile<S: AsRef<str>>(&self, names: &[S]) -> HeaderProfile {
        let masks: Vec<u32> = names
            .iter()
            .map(|n| self.columns.mask(n.as_ref().as_bytes()))
            .collect();
        let cdr = cdr::CdrColumns::from_roles(&masks);
        HeaderProfile { masks, cdr }
    }

    /// Find every value in `unit` (replacing the contents of `out`).
    /// `header` is the profile of the table the unit is a row of, if any.
    pub fn scan(&self, unit: &TextUnit<'_>, header: Option<&HeaderProfile>, out: &mut Vec<Match>) {
        out.clear();
        let t = unit.text;
        self.find_numbers(t, out);
        let row_cdr = match (header.and_then(|h| h.cdr.as_ref()), unit.fields) {
            (Some(cols), Some(fields)) if !unit.is_header => cdr::row_record(t, fields, cols),
            _ => None,
        };
        if out.is_empty() && row_cdr.is_none() {
            return;
        }
        let hot = self.hotwords.mask(t);
        for m in out.iter_mut() {
            m.field = unit.fields.and_then(|f| field_index(f, m.span.start));
            let column = match (m.field, header) {
                (Some(i), Some(h)) => h.mask(i),
                _ => 0,
            };
            if (hot | column) & m.detector.bit() != 0 {
                m.confidence = match m.confidence {
                    Confidence::Low => Confidence::Medium,
                    _ => Confidence::High,
                };
            }
        }
        let record = row_cdr.map(|r| (r, Confidence::High)).or_else(|| {
            let phones: Vec<(Range<usize>, &str)> = out
                .iter()
                .filter(|m| m.detector == DetectorId::CnMobile)
                .map(|m| (m.span.clone(), m.value.as_str()))
                .collect();
            if phones.len() < 2 {
                return None;
            }
            let ctx = hot & (DetectorId::CdrRecord.bit() | DetectorId::CnMobile.bit()) != 0;
            let conf = if ctx {
                Confidence::High
            } else {
                Confidence::Medium
            };
            self.line_rule.line_record(t, &phones).map(|r| (r, conf))
        });
        if let Some(((at, value), confidence)) = record {
            out.push(Match {
                detector: DetectorId::CdrRecord,
                span: at..at,
                value,
                confidence,
                field: unit.fields.and_then(|f| field_index(f, at)),
                weak: false,
            });
        }
        if unit.binary {
            out.iter_mut()
                .for_each(|m| m.confidence = m.confidence.lowered());
        }
    }

    /// Walk `t` for number-shaped tokens and push the validated ones with
    /// their context-free confidence.
    fn find_numbers(&self, t: &[u8], out: &mut Vec<Match>) {
        let n = t.len();
        let mut i = 0;
        while i < n {
            match t[i..].iter().position(u8::is_ascii_digit) {
                Some(k) => i += k,
                None => break,
            }
            let s = i;
            let e = s + t[s..].iter().take_while(|b| b.is_ascii_digit()).count();
            if s > 0 && t[s - 1].is_ascii_alphabetic() {
                // Glued to a word on the left (A138..., ID11010...): skip the run.
                i = e;
                continue;
            }
            match self.token_at(t, s, e) {
                Some(m) => {
                    i = m.span.end.max(e);
                    out.push(m);
                }
                None => i = e,
            }
        }
    }

    /// The validated value whose first digit run is `t[s..e]`, if any.
    fn token_at(&self, t: &[u8], s: usize, e: usize) -> Option<Match> {
        let run = &t[s..e];
        let next = t.get(e).copied();
        let found = |detector, span, value: &[u8], confidence| Match {
            detector,
            span,
            value: String::from_utf8_lossy(value).into_owned(),
            confidence,
            field: None,
            weak: confidence == Confidence::Low,
        };
        // 17 digits + X check character.
        if run.len() == 17 && matches!(next, Some(b'X' | b'x')) {
            if t.get(e + 1).is_some_and(u8::is_ascii_alphanumeric) {
                return None;
            }
            let mut id = [0u8; 18];
            id[..17].copy_from_slice(run);
            id[17] = b'X';
            return resident_id::is_valid_id18(&id, &self.regions, self.today)
                .then(|| found(DetectorId::CnResidentId, s..e + 1, &id, Confidence::Medium));
        }
        if next.is_some_and(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        if run.len() == 18 {
            return resident_id::is_valid_id18(run, &self.regions, self.today)
                .then(|| found(DetectorId::CnResidentId, s..e, run, Confidence::Medium));
        }
        if let Some(tok) = mobile::parse_mobile(t, s) {
            if self.segments.is_allocated_segment(&tok.digits) {
                return Some(found(
                    DetectorId::CnMobile,
                    tok.start..tok.end,
                    &tok.digits,
                    Confidence::Medium,
                ));
            }
        }
        if run.len() == 15 && resident_id::is_valid_id15(run, &self.regions, self.today) {
            return Some(found(DetectorId::CnResidentId, s..e, run, Confidence::Low));
        }
        None
    }
}

/// Index of the field whose byte range contains `at`.
fn field_index(fields: &[Range<usize>], at: usize) -> Option<usize> {
    let i = fields.partition_point(|r| r.end < at);
    fields
        .get(i)
        .filter(|r| r.start <= at && at <= r.end)
        .map(|_| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::Patterns;

    const TODAY: u32 = 20261128;

    fn registry() -> Registry {
        Registry::new(&Patterns::builtin().expect("built-in patterns load"), TODAY)
    }

    fn unit(text: &str) -> TextUnit<'_> {
        TextUnit {
            text: text.as_bytes(),
            fields: None,
            is_header: false,
            binary: false,
        }
    }

    /// (detector, value, confidence) of every match in `text`.
    fn found(text: &str) -> Vec<(&'static str, String, Confidence)> {
        let r = registry();
        let mut out = Vec::new();
        r.scan(&unit(text), None, &mut out);
        out.into_iter()
            .map(|m| (m.detector.as_str(), m.value, m.confidence))
            .collect()
    }

    fn values(text: &str) -> Vec<String> {
        found(text).into_iter().map(|f| f.1).collect()
    }

    #[test]
    fn resident_id_vectors() {
        use Confidence::*;
        type Expected<'a> = &'a [(&'a str, &'a str, Confidence)];
        let t: &[(&str, Expected)] = &[
            (
                "110101199003071233",
                &[("cn_resident_id", "110101199003071233", Medium)],
            ),
            (
                "身份证号码：110101199003071233",
                &[("cn_resident_id", "110101199003071233", High)],
            ),
            (
                "sfzh=11010119900307109x;",
                &[("cn_resident_id", "11010119900307109X", High)],
            ),
            ("110101199003071234", &[]),           // wrong check digit
            ("110101199002301232", &[]),           // 30 February
            ("990101199003071233", &[]),           // unknown region
            ("2023110511010119900307123300", &[]), // inside a 28-digit order number
            ("order1101011990030712330", &[]),     // glued to letters, 19 digits
            ("A110101199003071233", &[]),          // glued to a letter
            ("110101199003071233B", &[]),          // glued to a letter
            (
                "110101900307123",
                &[("cn_resident_id", "110101900307123", Low)],
            ), // legacy, no context
            (
                "身份证 110101900307123",
                &[("cn_resident_id", "110101900307123", Medium)],
            ),
            ("20231105123045", &[]), // 14-digit timestamp
        ];
        for (text, want) in t {
            let want: Vec<_> = want
                .iter()
                .map(|(d, v, c)| (*d, v.to_string(), *c))
                .collect();
            assert_eq!(found(text), want, "{text}");
        }
    }

    #[test]
    fn mobile_vectors() {
        let valid = [
            "13812345678",
            "手机：13812345678。",
            "+86 138 1234 5678",
            "tel:+8613812345678",
            "0086-138-1234-5678",
            "(138-1234-5678)",
            "张三13812345678",
        ];
        for text in valid {
            assert_eq!(values(text), ["13812345678"], "{text}");
        }
        let invalid = [
            "10086",
            "10010",
            "95588",
            "4008108888",
            "400-810-8888",
            "800-820-8820",
            "12012345678",             // unallocated segment 120
            "14012345678",             // 140x is IoT, not in the table
            "13812345678901234567890", // inside a longer digit run
            "x13812345678",
            "13812345678abc",
            "1381234567",
        ];
        for text in invalid {
            assert_eq!(values(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn context_raises_confidence_only_for_its_detector() {
        let f = found("手机 13812345678 110101199003071233");
        assert_eq!(f[0].2, Confidence::High);
        assert_eq!(f[1].2, Confidence::Medium);
    }

    #[test]
    fn header_columns_give_context() {
        let r = registry();
        let prof = r.header_profile(&["姓名", "证件号码", "联系电话"]);
        assert!(prof.is_informative());
        assert!(!prof.is_cdr_table());
        let text = "张三,110101199003071233,13812345678";
        let fields = [0..6, 7..25, 26..37];
        let u = TextUnit {
            text: text.as_bytes(),
            fields: Some(&fields),
            is_header: false,
            binary: false,
        };
        let mut out = Vec::new();
        r.scan(&u, Some(&prof), &mut out);
        let got: Vec<_> = out
            .iter()
            .map(|m| (m.detector, m.confidence, m.field))
            .collect();
        assert_eq!(
            got,
            [
                (DetectorId::CnResidentId, Confidence::High, Some(1)),
                (DetectorId::CnMobile, Confidence::High, Some(2)),
            ]
        );
    }

    #[test]
    fn cdr_table_rows_are_records() {
        let r = registry();
        let prof = r.header_profile(&["主叫号码", "被叫号码", "开始时间", "通话时长"]);
        assert!(prof.is_cdr_table());
        let text = "13812345678,13912345678,2024-03-01 10:15:22,125";
        let fields = [0..11, 12..23, 24..43, 44..47];
        let u = TextUnit {
            text: text.as_bytes(),
            fields: Some(&fields),
            is_header: false,
            binary: false,
        };
        let mut out = Vec::new();
        r.scan(&u, Some(&prof), &mut out);
        let cdr: Vec<_> = out
            .iter()
            .filter(|m| m.detector == DetectorId::CdrRecord)
            .map(|m| m.value.as_str())
            .collect();
        assert_eq!(cdr, ["13812345678|13912345678|2024-03-01 10:15:22"]);
    }

    #[test]
    fn binary_units_lower_confidence() {
        let r = registry();
        let u = TextUnit {
            text: b"\x00\x01110101199003071233\x00",
            fields: None,
            is_header: false,
            binary: true,
        };
        let mut out = Vec::new();
        r.scan(&u, None, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].confidence, Confidence::Low);
    }

    #[test]
    fn field_index_by_offset() {
        let f = [0..3, 4..8, 9..9];
        assert_eq!(field_index(&f, 0), Some(0));
        assert_eq!(field_index(&f, 5), Some(1));
        assert_eq!(field_index(&f, 9), Some(2));
        assert_eq!(field_index(&f, 10), None);
    }
}
