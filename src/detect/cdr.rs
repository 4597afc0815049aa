//! `cdr_record`: one call-detail record (通话详单 row). Two structural rules:
//!
//! * **table rule**: a row of a table whose header names a caller and a callee
//!   column, plus a start-time or a duration column, and whose caller and
//!   callee cells hold phone-like numbers;
//! * **line rule**: a text line holding two different phone numbers, a
//!   timestamp and a duration (`125秒`, `65s`, `时长=30`, `00:02:05`) that is not
//!   part of the timestamp.
//!
//! The normalised value is `caller|callee|start` (digits of both numbers and
//! the start time as written), so one call gives one fingerprint.

use crate::extract::table::trim_cell;
use compact_str::{format_compact, CompactString};
use regex::bytes::Regex;
use std::ops::Range;

/// Role bit: the column holds the calling number.
pub const CALLER: u32 = 1 << 16;
/// Role bit: the column holds the called number.
pub const CALLEE: u32 = 1 << 17;
/// Role bit: the column holds the start time.
pub const START_TIME: u32 = 1 << 18;
/// Role bit: the column holds the duration.
pub const DURATION: u32 = 1 << 19;

/// Which columns of a table hold the parts of a call-detail record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrColumns {
    /// Caller column index.
    pub caller: usize,
    /// Callee column index.
    pub callee: usize,
    /// Start-time column index, if the header names one.
    pub start_time: Option<usize>,
    /// Duration column index, if the header names one.
    pub duration: Option<usize>,
}

impl CdrColumns {
    /// Find the CDR columns from each header cell's role mask, or `None` when
    /// the header does not describe call-detail records.
    pub fn from_roles(masks: &[u32]) -> Option<Self> {
        // A cell naming both roles ("calling/called") is ambiguous: skip it.
        let find =
            |role: u32, other: u32| masks.iter().position(|m| m & role != 0 && m & other == 0);
        let caller = find(CALLER, CALLEE)?;
        let callee = find(CALLEE, CALLER)?;
        let start_time = find(START_TIME, 0);
        let duration = find(DURATION, 0);
        (start_time.is_some() || duration.is_some()).then_some(CdrColumns {
            caller,
            callee,
            start_time,
            duration,
        })
    }
}

/// How many digits a phone-like cell holds (digits with `+ - ( )` and
/// spaces only, at least five digits), or `None` if it is not one.
fn phone_digits(cell: &[u8]) -> Option<usize> {
    let mut n = 0;
    for &b in cell {
        if b.is_ascii_digit() {
            n += 1;
        } else if !matches!(b, b' ' | b'+' | b'-' | b'(' | b')') {
            return None;
        }
    }
    (n >= 5).then_some(n)
}

/// The bytes of a record, `caller|callee|start`, handed to `put` in
/// pieces: each phone cell's `n` digits at once when it holds nothing else,
/// as nearly every cell. (Inlined into both callers: called, it cost the
/// hashed path 0.7 % of a mix's instructions.)
#[inline(always)]
fn record_bytes(phones: [(&[u8], usize); 2], start: &[u8], mut put: impl FnMut(&[u8])) {
    for (cell, n) in phones {
        if n == cell.len() {
            put(cell);
        } else {
            cell.iter()
                .filter(|d| d.is_ascii_digit())
                .for_each(|d| put(std::slice::from_ref(d)));
        }
        put(b"|");
    }
    put(start);
}

/// A table-rule record: its value, or only the value's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// The normalised value.
    Value(CompactString),
    /// [`super::value_hash`] of the value, which was not built.
    Hash(u64),
}

/// Records up to this many bytes are hashed from a buffer on the stack
/// when their value is not wanted.
const STACK_RECORD: usize = 96;

/// The table rule: `(byte offset of the caller cell, record)`; the record
/// holds its value if `value` is asked for, else (when the start cell is
/// ASCII, as nearly always) only the value's hash, built on the stack: no
/// allocation, no UTF-8 check. The cells are checked before anything is
/// built, and a value is built as bytes and checked as UTF-8 once: a
/// character pushed at a time and the start time checked alone made this a
/// tenth of a call-detail row's instructions.
pub fn row_record(
    t: &[u8],
    fields: &[Range<usize>],
    cols: &CdrColumns,
    value: bool,
) -> Option<(usize, Record)> {
    let cell = |i: usize| fields.get(i).map(|r| trim_cell(&t[r.clone()]));
    let (caller, callee) = (cell(cols.caller)?, cell(cols.callee)?);
    let (a, b) = (phone_digits(caller)?, phone_digits(callee)?);
    let start = cols.start_time.and_then(cell).unwrap_or_default();
    let at = fields[cols.caller].start;
    let (phones, len) = ([(caller, a), (callee, b)], a + b + start.len() + 2);
    if !value && len <= STACK_RECORD && start.is_ascii() {
        // The same bytes as the value below (ASCII is valid UTF-8).
        let mut buf = [0u8; STACK_RECORD];
        let mut n = 0;
        record_bytes(phones, start, |bytes| {
            buf[n..n + bytes.len()].copy_from_slice(bytes);
            n += bytes.len();
        });
        let hash = super::value_hash(super::DetectorId::CdrRecord, &buf[..n]);
        return Some((at, Record::Hash(hash)));
    }
    let mut value = Vec::with_capacity(len);
    record_bytes(phones, start, |bytes| value.extend_from_slice(bytes));
    // Digits and `|` are ASCII: only the start time can be replaced.
    let value = String::from_utf8(value)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    // Longer than a value held inline: the string's buffer is kept.
    Some((at, Record::Value(value.into())))
}

/// Compiled regular expressions of the line rule.
#[derive(Debug)]
pub struct LineRule {
    timestamp: Regex,
    duration: Regex,
}

impl Default for LineRule {
    fn default() -> Self {
        Self::new()
    }
}

impl LineRule {
    /// Compile the timestamp and duration expressions.
    pub fn new() -> Self {
        let timestamp = Regex::new(
            r"(?x)
            (?:19|20)[0-9]{2}(?:[-/.]|年)[0-9]{1,2}(?:[-/.]|月)[0-9]{1,2}日?(?:[\ T]+|\s*)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?
            | (?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]
            ",
        )
        .expect("constant regex compiles");
        let duration = Regex::new(
            r"(?xi)
            [0-9]{1,6}\s*(?:秒|s|sec|secs|seconds)(?:[^A-Za-z]|$)
            | [0-9]+\s*分\s*[0-9]+\s*秒
            | (?:时长|duration|dur)\s*[:=：]?\s*[0-9]{1,6}
            | [0-9]{1,2}:[0-5][0-9]:[0-5][0-9]
            ",
        )
        .expect("constant regex compiles");
        LineRule {
            timestamp,
            duration,
        }
    }

    /// The line rule: given the phone numbers found in `t` (span and digits),
    /// `(byte offset of the first number, normalised value)` when `t` is a
    /// call-detail line.
    pub fn line_record(
        &self,
        t: &[u8],
        phones: &[(Range<usize>, &str)],
    ) -> Option<(usize, CompactString)> {
        let (first, a) = phones.first()?;
        let (_, b) = phones.iter().find(|(_, d)| d != a)?;
        let overlaps = |x: &Range<usize>, y: &Range<usize>| x.start < y.end && y.start < x.end;
        let ts = self
            .timestamp
            .find_iter(t)
            .map(|m| m.range())
            .find(|r| !phones.iter().any(|(p, _)| overlaps(r, p)))?;
        // A 14-digit compact timestamp must stand alone.
        let glued = |i: Option<&u8>| i.is_some_and(u8::is_ascii_digit);
        if glued(ts.start.checked_sub(1).and_then(|i| t.get(i))) || glued(t.get(ts.end)) {
            return None;
        }
        let has_duration = self.duration.find_iter(t).any(|m| {
            let r = m.range();
            !overlaps(&r, &ts) && !phones.iter().any(|(p, _)| overlaps(&r, p))
        });
        if !has_duration {
            return None;
        }
        let stamp = String::from_utf8_lossy(&t[ts]).into_owned();
        Some((first.start, format_compact!("{a}|{b}|{stamp}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones_in(t: &str) -> Vec<(Range<usize>, &str)> {
        ["13812345678", "13912345678", "15912345678"]
            .into_iter()
            .filter_map(|p| t.find(p).map(|i| (i..i + p.len(), p)))
            .collect()
    }

    fn line(t: &str) -> Option<String> {
        let mut phones = phones_in(t);
        phones.sort_by_key(|p| p.0.start);
        LineRule::new()
            .line_record(t.as_bytes(), &phones)
            .map(|r| r.1.into_string())
    }

    #[test]
    fn line_rule_vectors() {
        assert_eq!(
            line("2024-03-01 10:15:22 主叫 13812345678 被叫 13912345678 时长 125秒").as_deref(),
            Some("13812345678|13912345678|2024-03-01 10:15:22")
        );
        assert_eq!(
            line("13812345678,13912345678,20240301101522,00:02:05").as_deref(),
            Some("13812345678|13912345678|20240301101522")
        );
        assert!(
            line("13812345678 13912345678 2024-03-01 10:15:22").is_none(),
            "no duration"
        );
        assert!(
            line("13812345678 13912345678 125秒").is_none(),
            "no timestamp"
        );
        assert!(
            line("13812345678 13812345678 2024-03-01 10:15:22 5s").is_none(),
            "one number twice"
        );
    }

    #[test]
    fn header_roles_make_cdr_columns() {
        let roles = [CALLER, CALLEE, START_TIME, 0];
        assert_eq!(
            CdrColumns::from_roles(&roles),
            Some(CdrColumns {
                caller: 0,
                callee: 1,
                start_time: Some(2),
                duration: None
            })
        );
        assert_eq!(
            CdrColumns::from_roles(&[CALLER, CALLEE]),
            None,
            "no time, no duration"
        );
        assert_eq!(
            CdrColumns::from_roles(&[CALLER, DURATION]),
            None,
            "no callee"
        );
    }

    #[test]
    fn row_rule_needs_phone_like_cells() {
        let cols = CdrColumns {
            caller: 0,
            callee: 1,
            start_time: Some(2),
            duration: None,
        };
        let value = |t: &[u8], fields: &[Range<usize>]| match row_record(t, fields, &cols, true) {
            Some((_, Record::Value(v))) => Some(v.to_string()),
            other => panic!("a value was asked for: {other:?}"),
        };
        let t = b"138-1234-5678,10086,2024-03-01 10:00";
        let fields = [0..13, 14..19, 20..36];
        assert_eq!(
            value(t, &fields).as_deref(),
            Some("13812345678|10086|2024-03-01 10:00")
        );
        let t = b"unknown,10086,2024-03-01 10:00";
        let fields = [0..7, 8..13, 14..30];
        assert_eq!(row_record(t, &fields, &cols, true), None);
        assert_eq!(row_record(t, &fields, &cols, false), None);
        // A start cell that is not UTF-8 (binary data) is replaced, the
        // numbers are kept.
        let t = b"13812345678,13912345678,\xff10:00";
        let fields = [0..11, 12..23, 24..30];
        assert_eq!(
            value(t, &fields).as_deref(),
            Some("13812345678|13912345678|\u{fffd}10:00")
        );
    }

    #[test]
    fn a_counted_record_is_the_hash_of_its_value() {
        let cols = CdrColumns {
            caller: 0,
            callee: 1,
            start_time: Some(2),
            duration: None,
        };
        let hash_of = |v: &str| {
            Record::Hash(super::super::value_hash(
                super::super::DetectorId::CdrRecord,
                v.as_bytes(),
            ))
        };
        let t = b"138-1234-5678,(010) 6234 5678,2024-03-01 10:00";
        let fields = [0..13, 14..29, 30..46];
        assert_eq!(
            row_record(t, &fields, &cols, false).map(|r| r.1),
            Some(hash_of("13812345678|01062345678|2024-03-01 10:00"))
        );
        // A start that is not ASCII keeps its value (checked as UTF-8 once).
        let t = "13812345678,13912345678,2024年3月1日 10:00".as_bytes();
        let fields = [0..11, 12..23, 24..t.len()];
        assert_eq!(
            row_record(t, &fields, &cols, false).map(|r| r.1),
            Some(Record::Value(
                "13812345678|13912345678|2024年3月1日 10:00".into()
            ))
        );
        // Longer than the stack buffer: built as a value too.
        let long = format!("13812345678,13912345678,{}", "9".repeat(100));
        let fields = [0..11, 12..23, 24..long.len()];
        assert!(matches!(
            row_record(long.as_bytes(), &fields, &cols, false),
            Some((0, Record::Value(_)))
        ));
    }
}
