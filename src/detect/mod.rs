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

pub mod candidates;
pub mod cards;
pub mod cdr;
pub mod checksum;
pub mod hotwords;
pub mod ids;
pub mod landline;
pub mod mobile;
pub mod resident_id;

use crate::extract::TextUnit;
use crate::patterns::Patterns;
use candidates::Candidates;
pub use compact_str::CompactString;
use hotwords::KeywordSet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;

/// Stable detector ids, as used in reports, policy files and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorId {
    /// 居民身份证号码, 18-digit and legacy 15-digit; residence permits; foreigners' permanent residence IDs.
    CnResidentId,
    /// Mobile phone number.
    CnMobile,
    /// Landline number.
    CnLandline,
    /// International mobile subscriber identity.
    Imsi,
    /// International mobile equipment identity.
    Imei,
    /// SIM card serial number.
    Iccid,
    /// Bank card number.
    BankCard,
    /// Unified social credit code of an organisation.
    Uscc,
    /// Chinese passport number.
    CnPassport,
    /// Mainland travel permit for Hong Kong and Macau residents.
    CnTravelPermit,
    /// E-mail address.
    Email,
    /// One call-detail record.
    CdrRecord,
}

impl DetectorId {
    /// Every detector, in report order.
    pub const ALL: [DetectorId; 12] = [
        DetectorId::CnResidentId,
        DetectorId::CnMobile,
        DetectorId::CnLandline,
        DetectorId::Imsi,
        DetectorId::Imei,
        DetectorId::Iccid,
        DetectorId::BankCard,
        DetectorId::Uscc,
        DetectorId::CnPassport,
        DetectorId::CnTravelPermit,
        DetectorId::Email,
        DetectorId::CdrRecord,
    ];

    /// The id as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DetectorId::CnResidentId => "cn_resident_id",
            DetectorId::CnMobile => "cn_mobile",
            DetectorId::CnLandline => "cn_landline",
            DetectorId::Imsi => "imsi",
            DetectorId::Imei => "imei",
            DetectorId::Iccid => "iccid",
            DetectorId::BankCard => "bank_card",
            DetectorId::Uscc => "uscc",
            DetectorId::CnPassport => "cn_passport",
            DetectorId::CnTravelPermit => "cn_travel_permit",
            DetectorId::Email => "email",
            DetectorId::CdrRecord => "cdr_record",
        }
    }

    /// The detector with report id `name`.
    pub fn from_name(name: &str) -> Option<DetectorId> {
        DetectorId::ALL.into_iter().find(|d| d.as_str() == name)
    }

    /// This detector's bit in context masks (bits 16 and up are CDR roles).
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

    fn raised(self) -> Self {
        match self {
            Confidence::Low => Confidence::Medium,
            _ => Confidence::High,
        }
    }
}

impl Confidence {
    /// The confidence as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validated value found in a text unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Which detector.
    pub detector: DetectorId,
    /// Byte span in the unit's text.
    pub span: Range<usize>,
    /// Normalised value (digits only, uppercase X; CDR: `caller|callee|start`),
    /// held inline up to 24 bytes: a value on the heap per reading was a
    /// tenth of a call-detail scan (allocation and free).
    pub value: CompactString,
    /// Confidence after context.
    pub confidence: Confidence,
    /// Index of the table column holding the value, if the unit is a table row.
    pub field: Option<usize>,
    /// Byte span of the key of a `key: value` / `"key": value` pair holding the value.
    pub key: Option<Range<usize>>,
    /// Weak evidence (a pattern with partial validation, such as a legacy
    /// 15-digit ID, or a value under a suspect name such as 订单号): reported
    /// at `low` confidence only when asked for.
    pub weak: bool,
    /// Index of the token the value was read from; matches of one token are
    /// alternative readings, and only the most confident survives.
    token: u32,
    /// The value's [`value_hash`] when the value itself was not built (a
    /// call-detail record that is only counted; see
    /// [`Registry::scan_counting`]): `value` is then empty.
    pub hash: Option<u64>,
}

/// A stable, unkeyed in-memory hash of a normalised value, for counting
/// distinct values. It never leaves the process (reports carry keyed
/// fingerprints instead).
pub fn value_hash(d: DetectorId, value: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::default().hash_one((d, value))
}

impl Match {
    /// A match with no field, key or token (for tests and synthetic records).
    pub fn new(
        detector: DetectorId,
        span: Range<usize>,
        value: &str,
        confidence: Confidence,
    ) -> Self {
        Match {
            detector,
            span,
            value: CompactString::from(value),
            confidence,
            field: None,
            key: None,
            weak: false,
            token: u32::MAX,
            hash: None,
        }
    }
}

/// Column roles of a table, computed once from its header row.
#[derive(Debug, Clone, Default)]
pub struct HeaderProfile {
    masks: Vec<u32>,
    suspect: Vec<bool>,
    cdr: Option<cdr::CdrColumns>,
}

impl HeaderProfile {
    /// Whether any header cell names something a detector knows.
    pub fn is_informative(&self) -> bool {
        self.masks.iter().any(|&m| m != 0) || self.suspect.iter().any(|&s| s)
    }

    /// Whether the header describes call-detail records.
    pub fn is_cdr_table(&self) -> bool {
        self.cdr.is_some()
    }

    fn mask(&self, field: usize) -> u32 {
        self.masks.get(field).copied().unwrap_or(0)
    }

    fn is_suspect(&self, field: usize) -> bool {
        self.suspect.get(field).copied().unwrap_or(false)
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
    area_codes: landline::AreaCodes,
    bins: cards::CardBins,
    imei_prefixes: cards::ImeiPrefixes,
    imsi_networks: cards::ImsiNetworks,
    hotwords: KeywordSet,
    columns: KeywordSet,
    suspect: KeywordSet,
    line_rule: cdr::LineRule,
    today: u32,
    infos: Vec<DetectorInfo>,
}

/// The key of a `key: value`, `key=value`, `"key": "value"` or `键：值` pair
/// whose value starts at `at`, as a byte range of `t`.
fn key_before(t: &[u8], at: usize) -> Option<Range<usize>> {
    let pad = |b: u8| b == b' ' || b == b'"' || b == b'\'' || b == b'\t';
    let mut i = at;
    while i > 0 && pad(t[i - 1]) {
        i -= 1;
    }
    if i > 0 && (t[i - 1] == b':' || t[i - 1] == b'=') {
        i -= 1;
    } else if i >= 3 && &t[i - 3..i] == "：".as_bytes() {
        i -= 3;
    } else {
        return None;
    }
    while i > 0 && pad(t[i - 1]) {
        i -= 1;
    }
    let end = i;
    let key_byte =
        |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' || b >= 0x80;
    while i > 0 && key_byte(t[i - 1]) && end - i < 48 {
        i -= 1;
    }
    while i < end && (t[i] & 0xC0) == 0x80 {
        i += 1;
    }
    (i < end).then_some(i..end)
}

impl Registry {
    /// Compile the detectors from loaded pattern data; `today` (`yyyymmdd`)
    /// bounds birth dates.
    pub fn new(p: &Patterns, today: u32) -> Self {
        let hotwords = KeywordSet::for_lines(
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
        let suspect = KeywordSet::new(p.detectors.context.suspect.iter().map(|w| (w.as_str(), 1)));
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
            area_codes: landline::AreaCodes::new(&p.area_codes),
            bins: cards::CardBins::new(p.card_bins.clone()),
            imei_prefixes: cards::ImeiPrefixes::new(&p.imei_prefixes),
            imsi_networks: cards::ImsiNetworks::new(&p.imsi_networks),
            hotwords,
            columns,
            suspect,
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
        let suspect = names
            .iter()
            .map(|n| self.suspect.mask(n.as_ref().as_bytes()) != 0)
            .collect();
        let cdr = cdr::CdrColumns::from_roles(&masks);
        HeaderProfile {
            masks,
            suspect,
            cdr,
        }
    }

    /// Find every value in `unit` (replacing the contents of `out`).
    /// `header` is the profile of the table the unit is a row of, if any.
    pub fn scan(&self, unit: &TextUnit<'_>, header: Option<&HeaderProfile>, out: &mut Vec<Match>) {
        self.scan_counting(unit, header, out, true);
    }

    /// As [`Registry::scan`]; unless `record_values`, a call-detail record
    /// found by the table rule carries only its [`Match::hash`], not its
    /// value: for rows whose findings are only counted (past a file's
    /// listing), where building each record's string (`caller|callee|start`,
    /// on the heap) was a tenth of a call-detail row.
    pub fn scan_counting(
        &self,
        unit: &TextUnit<'_>,
        header: Option<&HeaderProfile>,
        out: &mut Vec<Match>,
        record_values: bool,
    ) {
        out.clear();
        let t = unit.text;
        let mut candidates = Candidates::new(t);
        let tokens = self.tokens_of(t, out, |from| candidates.next_from(from));
        if candidates.saw_at() {
            let mut found = Vec::new();
            ids::emails(t, &mut found);
            for (i, (s, e, v)) in found.into_iter().enumerate() {
                out.push(Match {
                    detector: DetectorId::Email,
                    span: s..e,
                    value: v.into(),
                    confidence: Confidence::Medium,
                    field: None,
                    key: None,
                    weak: false,
                    token: tokens + i as u32,
                    hash: None,
                });
            }
        }
        let cdr_cols = header
            .and_then(|h| h.cdr.as_ref())
            .filter(|_| !unit.is_header && unit.fields.is_some());
        if out.is_empty() && cdr_cols.is_none() {
            return;
        }
        // Split into fields only now: most rows hold no value.
        unit.with_fields(|fields| {
            self.annotate(unit, fields, header, (cdr_cols, record_values), out)
        });
    }

    /// The rest of [`Registry::scan`] for a unit with readings or a
    /// call-detail header: fields, keys and context set the confidence; a
    /// call-detail record is added.
    fn annotate(
        &self,
        unit: &TextUnit<'_>,
        fields: Option<&[Range<usize>]>,
        header: Option<&HeaderProfile>,
        (cdr_cols, record_values): (Option<&cdr::CdrColumns>, bool),
        out: &mut Vec<Match>,
    ) {
        let t = unit.text;
        let row_cdr = match (cdr_cols, fields) {
            (Some(cols), Some(fields)) => cdr::row_record(t, fields, cols, record_values),
            _ => None,
        };
        if out.is_empty() && row_cdr.is_none() {
            return;
        }
        // Hotwords only matter for values that no column or key names: found
        // once, and only if asked for (a table row or `key=value` line never
        // runs the automaton).
        let mut hot_mask = None;
        let mut hot = || *hot_mask.get_or_insert_with(|| self.hotwords.mask(t));
        for m in out.iter_mut() {
            m.field = fields.and_then(|f| field_index(f, m.span.start));
            let (column, column_suspect) = match (m.field, header) {
                (Some(i), Some(h)) => (h.mask(i), h.is_suspect(i)),
                _ => (0, false),
            };
            m.key = key_before(t, m.span.start);
            let (key, key_suspect) = match &m.key {
                Some(k) => (
                    self.columns.mask(&t[k.clone()]),
                    self.suspect.mask(&t[k.clone()]) != 0,
                ),
                None => (0, false),
            };
            let bit = m.detector.bit();
            let named = (column | key) & bit != 0;
            m.confidence = if named {
                Confidence::High
            } else if column_suspect || key_suspect {
                m.weak = true;
                Confidence::Low
            } else if hot() & bit != 0 {
                m.confidence.raised()
            } else if m.weak {
                Confidence::Low
            } else {
                m.confidence
            };
        }
        keep_best_reading(out);
        let is_phone = |m: &Match| {
            matches!(m.detector, DetectorId::CnMobile | DetectorId::CnLandline) && !m.weak
        };
        let record = row_cdr.map(|r| (r, Confidence::High)).or_else(|| {
            if out.iter().filter(|m| is_phone(m)).count() < 2 {
                return None;
            }
            let phones: Vec<(Range<usize>, &str)> = out
                .iter()
                .filter(|m| {
                    matches!(m.detector, DetectorId::CnMobile | DetectorId::CnLandline) && !m.weak
                })
                .map(|m| (m.span.clone(), m.value.as_str()))
                .collect();
            if phones.len() < 2 {
                return None;
            }
            let ctx = hot() & (DetectorId::CdrRecord.bit() | DetectorId::CnMobile.bit()) != 0;
            let conf = if ctx {
                Confidence::High
            } else {
                Confidence::Medium
            };
            self.line_rule
                .line_record(t, &phones)
                .map(|(at, v)| ((at, cdr::Record::Value(v)), conf))
        });
        if let Some(((at, record), confidence)) = record {
            let (value, hash) = match record {
                cdr::Record::Value(v) => (v, None),
                cdr::Record::Hash(h) => (CompactString::default(), Some(h)),
            };
            out.push(Match {
                detector: DetectorId::CdrRecord,
                span: at..at,
                value,
                confidence,
                field: fields.and_then(|f| field_index(f, at)),
                key: None,
                weak: false,
                token: u32::MAX,
                hash,
            });
        }
        if unit.binary {
            out.iter_mut()
                .for_each(|m| m.confidence = m.confidence.lowered());
        }
    }

    /// Walk `t` for number-shaped and letter-led tokens and push every
    /// validated reading with its context-free confidence; returns the
    /// number of tokens read. The tokens start at the digit runs
    /// `next_run(from)` gives (the first at or after `from`): the runs that
    /// can start a reading, or in tests every run.
    fn tokens_of(
        &self,
        t: &[u8],
        out: &mut Vec<Match>,
        mut next_run: impl FnMut(usize) -> Option<(usize, usize)>,
    ) -> u32 {
        let mut token = 0u32;
        let mut i = 0;
        while let Some((s, e)) = next_run(i) {
            let before = out.len();
            if s > 0 && t[s - 1].is_ascii_alphabetic() {
                self.letter_led(t, s, e, token, out);
            } else {
                self.readings(t, s, e, token, out);
            }
            token += 1;
            i = out[before..]
                .iter()
                .map(|m| m.span.end)
                .max()
                .unwrap_or(e)
                .max(e);
        }
        token
    }

    /// Readings of a token whose digits start after letters (`E12345678`,
    /// `H1234567890`, a USCC starting with letters).
    fn letter_led(&self, t: &[u8], s: usize, e: usize, token: u32, out: &mut Vec<Match>) {
        let mut a = s;
        while a > 0 && t[a - 1].is_ascii_alphabetic() {
            a -= 1;
        }
        if a > 0 && t[a - 1].is_ascii_alphanumeric() {
            return;
        }
        let found = |detector, span: Range<usize>, value: String, weak: bool| Match {
            detector,
            span,
            value: value.into(),
            confidence: if weak {
                Confidence::Low
            } else {
                Confidence::Medium
            },
            field: None,
            key: None,
            weak,
            token,
            hash: None,
        };
        if !t.get(e).is_some_and(u8::is_ascii_alphanumeric) {
            if let Some(d) = ids::letter_document(&t[a..s], &t[s..e]) {
                let value = String::from_utf8_lossy(&t[a..e]).to_ascii_uppercase();
                out.push(found(d, a..e, value, true));
                return;
            }
        }
        if let Some((end, value)) = self.uscc_at(t, a) {
            out.push(found(DetectorId::Uscc, a..end, value, false));
        }
    }

    /// A unified social credit code starting at `a` (not glued on the left).
    fn uscc_at(&self, t: &[u8], a: usize) -> Option<(usize, String)> {
        let end = a + t[a..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let token = &t[a..end];
        (token.len() == 18
            && !token.iter().any(u8::is_ascii_lowercase)
            && ids::is_uscc(token, &self.regions))
        .then(|| (end, String::from_utf8_lossy(token).into_owned()))
    }

    /// Every validated reading of the token whose first digit run is
    /// `t[s..e]` (not glued to a letter on the left).
    fn readings(&self, t: &[u8], s: usize, e: usize, token: u32, out: &mut Vec<Match>) {
        use Confidence::{Low, Medium};
        let run = &t[s..e];
        let next = t.get(e).copied();
        // `weak`: needs context to be reported; `confidence`: what context
        // raises (checksum-validated readings start at medium).
        let mut push = |detector, span: Range<usize>, value: &[u8], weak: bool, confidence| {
            out.push(Match {
                detector,
                span,
                // Digits (and `X`): valid UTF-8, checked on the fast path.
                value: std::str::from_utf8(value).map_or_else(
                    |_| CompactString::from(String::from_utf8_lossy(value)),
                    CompactString::from,
                ),
                confidence,
                field: None,
                key: None,
                weak,
                token,
                hash: None,
            })
        };
        let (regions, today) = (&self.regions, self.today);
        // 17 digits + X check character.
        if run.len() == 17 && matches!(next, Some(b'X' | b'x')) {
            if !t.get(e + 1).is_some_and(u8::is_ascii_alphanumeric) {
                let mut id = [0u8; 18];
                id[..17].copy_from_slice(run);
                id[17] = b'X';
                if resident_id::is_valid_id18(&id, regions, today)
                    || resident_id::is_valid_foreigner_id(&id, regions, today)
                {
                    push(DetectorId::CnResidentId, s..e + 1, &id, false, Medium);
                }
            }
            return;
        }
        if next.is_some_and(|b| b.is_ascii_alphabetic()) {
            if let Some((end, value)) = self.uscc_at(t, s) {
                push(DetectorId::Uscc, s..end, value.as_bytes(), false, Medium);
            }
            return;
        }
        // Only these run lengths start a reading (most digit runs in logs,
        // timestamps and amounts do not).
        let sep_next = matches!(next, Some(b' ' | b'-'));
        let worth = match run.len() {
            2 => sep_next || run == b"86",
            3 => run[0] == b'1' || run[0] == b'0',
            4 | 6 => sep_next || run[0] == b'0',
            10..=20 => true,
            _ => false,
        };
        if !worth {
            return;
        }
        // Grouped forms: 110101 19900307 123X, 6222 0212 3456 7894, 35-209900-176148-1.
        let next_run = || {
            let from = e + 1;
            t.get(from..).map_or(0, |rest| {
                rest.iter().take_while(|b| b.is_ascii_digit()).count()
            })
        };
        let grouped = matches!(next, Some(b' ' | b'-'))
            && match run.len() {
                2 => next_run() == 6,
                4 => next_run() == 4,
                6 => matches!(next_run(), 4 | 8 | 10..=13),
                _ => false,
            };
        if grouped {
            if run.len() == 6 && next == Some(b' ') {
                if let Some((end, id)) = resident_id::spaced_id(t, s) {
                    if resident_id::is_valid_id18(&id, regions, today) {
                        push(DetectorId::CnResidentId, s..end, &id, false, Medium);
                    }
                }
            }
            if let Some(g) = cards::digit_groups(t, s) {
                let lens = g.lens();
                let last = lens[lens.len() - 1];
                let fours = lens[0] == 4
                    && lens[..lens.len() - 1].iter().all(|&l| l == 4)
                    && (1..=4).contains(&last);
                let six = lens.len() == 2 && lens[0] == 6;
                if (fours || six) && self.bins.is_bank_card(g.digits()) {
                    push(DetectorId::BankCard, s..g.end, g.digits(), false, Medium);
                }
                if lens == [2, 6, 6, 1] && self.imei_prefixes.is_imei(g.digits()) {
                    push(DetectorId::Imei, s..g.end, g.digits(), false, Medium);
                }
            }
        }
        // Short runs (dates, times, amounts) that no grouped form took: only
        // a country code or a landline area code reads on from here.
        if matches!(run.len(), 2 | 4 | 6) && run != b"86" && run[0] != b'0' {
            return;
        }
        match run.len() {
            18 => {
                // Shape (region, birth date) once, for the ID and the card rule.
                let id_shaped = resident_id::is_id_shaped(run, regions, today);
                let valid_id =
                    id_shaped && checksum::resident_id_check_char(&run[..17]) == Some(run[17]);
                if valid_id || resident_id::is_valid_foreigner_id(run, regions, today) {
                    push(DetectorId::CnResidentId, s..e, run, false, Medium);
                }
                // An ID-shaped number whose check character is wrong is a
                // mistyped ID, not a card.
                if !id_shaped && self.bins.is_bank_card(run) {
                    push(DetectorId::BankCard, s..e, run, false, Medium);
                }
            }
            16 | 17 | 19 | 20 => {
                if cards::is_iccid(run) {
                    push(DetectorId::Iccid, s..e, run, false, Medium);
                }
                if self.bins.is_bank_card(run) {
                    push(DetectorId::BankCard, s..e, run, false, Medium);
                }
            }
            15 => {
                if self.imsi_networks.is_imsi(run) {
                    push(DetectorId::Imsi, s..e, run, false, Medium);
                }
                if resident_id::is_valid_id15(run, regions, today) {
                    push(DetectorId::CnResidentId, s..e, run, true, Low);
                }
                if self.imei_prefixes.is_imei(run) {
                    push(DetectorId::Imei, s..e, run, true, Medium);
                }
            }
            14 => {
                if let Some(full) = self.imei_prefixes.complete14(run) {
                    push(DetectorId::Imei, s..e, full.as_bytes(), true, Medium);
                }
            }
            _ => {}
        }
        let first = run[0];
        // Only the run lengths a mobile or landline form can start with.
        let mobile_start = match run.len() {
            11 | 3 => first == b'1',
            2 => run == b"86",
            4 => run == b"0086",
            13 => run.starts_with(b"86"),
            15 => run.starts_with(b"0086"),
            _ => false,
        };
        let landline_start = match run.len() {
            3 | 4 | 10..=12 => first == b'0',
            2 => run == b"86",
            _ => false,
        };
        if mobile_start {
            if let Some(tok) = mobile::parse_mobile_run(t, s, e) {
                if self.segments.is_allocated_segment(&tok.digits) {
                    push(
                        DetectorId::CnMobile,
                        tok.start..tok.end,
                        &tok.digits,
                        false,
                        Medium,
                    );
                }
            }
        }
        if landline_start {
            if let Some(tok) = self.area_codes.parse(t, s) {
                push(
                    DetectorId::CnLandline,
                    tok.start..tok.end,
                    tok.digits.as_bytes(),
                    !tok.formatted,
                    Medium,
                );
            }
        }
    }
}

/// Of the readings of one token, keep the most confident (the first on a tie).
fn keep_best_reading(out: &mut Vec<Match>) {
    if out.windows(2).all(|w| w[0].token != w[1].token) {
        return;
    }
    // Readings of one token are adjacent: keep the first of each run of
    // equal tokens, replaced by a later reading that is more confident.
    let mut w = 0;
    for r in 0..out.len() {
        if w > 0 && out[w - 1].token == out[r].token {
            if out[r].confidence > out[w - 1].confidence {
                out.swap(w - 1, r);
            }
        } else {
            out.swap(w, r);
            w += 1;
        }
    }
    out.truncate(w);
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
            fields: crate::extract::Fields::None,
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
            .map(|m| (m.detector.as_str(), m.value.into_string(), m.confidence))
            .collect()
    }

    type Expected<'a> = &'a [(&'a str, &'a str, Confidence)];

    /// Each text must give exactly the (detector, value, confidence) listed.
    fn check_vectors(t: &[(&str, Expected<'_>)]) {
        for (text, want) in t {
            let want: Vec<_> = want
                .iter()
                .map(|(d, v, c)| (*d, v.to_string(), *c))
                .collect();
            assert_eq!(found(text), want, "{text}");
        }
    }

    fn values(text: &str) -> Vec<String> {
        found(text).into_iter().map(|f| f.1).collect()
    }

    #[test]
    fn resident_id_vectors() {
        use Confidence::*;
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
        check_vectors(t);
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

    /// The matches of one table row `text` split at `fields`, under `header`.
    fn scan_row(
        r: &Registry,
        header: &HeaderProfile,
        text: &str,
        fields: &[Range<usize>],
    ) -> Vec<Match> {
        let u = TextUnit {
            text: text.as_bytes(),
            fields: crate::extract::Fields::Ranges(fields),
            is_header: false,
            binary: false,
        };
        let mut out = Vec::new();
        r.scan(&u, Some(header), &mut out);
        out
    }

    #[test]
    fn header_columns_give_context() {
        let r = registry();
        let prof = r.header_profile(&["姓名", "证件号码", "联系电话"]);
        assert!(prof.is_informative());
        assert!(!prof.is_cdr_table());
        let text = "张三,110101199003071233,13812345678";
        let fields = [0..6, 7..25, 26..37];
        let out = scan_row(&r, &prof, text, &fields);
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
        let out = scan_row(&r, &prof, text, &fields);
        let cdr: Vec<_> = out
            .iter()
            .filter(|m| m.detector == DetectorId::CdrRecord)
            .map(|m| m.value.as_str())
            .collect();
        assert_eq!(cdr, ["13812345678|13912345678|2024-03-01 10:15:22"]);
    }

    #[test]
    fn caller_and_callee_columns_name_landlines_too() {
        // An unformatted landline alone is `low` (not reported by
        // default); in a caller or callee column it is named, in either
        // language.
        let r = registry();
        let text = "01062345678,13912345678,2024-03-01 10:15:22,125";
        let fields = [0..11, 12..23, 24..43, 44..47];
        for header in [
            ["主叫号码", "被叫号码", "开始时间", "通话时长"],
            ["calling_number", "called_number", "start_time", "duration"],
        ] {
            let prof = r.header_profile(&header);
            let out = scan_row(&r, &prof, text, &fields);
            let landlines: Vec<_> = out
                .iter()
                .filter(|m| m.detector == DetectorId::CnLandline)
                .map(|m| (m.value.as_str(), m.confidence, m.field))
                .collect();
            assert_eq!(
                landlines,
                [("01062345678", Confidence::High, Some(0))],
                "{header:?}"
            );
        }
    }

    #[test]
    fn caller_and_callee_columns_name_phone_numbers() {
        // A caller or callee column names a phone number in either
        // language: its numbers are `high` with no hotword in the row.
        let r = registry();
        let text = "13812345678,13912345678,2024-03-01 10:15:22,125";
        let fields = [0..11, 12..23, 24..43, 44..47];
        for header in [
            ["主叫号码", "被叫号码", "开始时间", "通话时长"],
            ["calling_number", "called_number", "start_time", "duration"],
        ] {
            let prof = r.header_profile(&header);
            let out = scan_row(&r, &prof, text, &fields);
            let phones: Vec<_> = out
                .iter()
                .filter(|m| m.detector == DetectorId::CnMobile)
                .map(|m| (m.confidence, m.field))
                .collect();
            assert_eq!(
                phones,
                [(Confidence::High, Some(0)), (Confidence::High, Some(1))],
                "{header:?}"
            );
        }
    }

    #[test]
    fn binary_units_lower_confidence() {
        let r = registry();
        let u = TextUnit {
            text: b"\x00\x01110101199003071233\x00",
            fields: crate::extract::Fields::None,
            is_header: false,
            binary: true,
        };
        let mut out = Vec::new();
        r.scan(&u, None, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].confidence, Confidence::Low);
    }

    #[test]
    fn catalogue_vectors() {
        use Confidence::*;
        let t: &[(&str, Expected)] = &[
            ("IMSI 460001234567890", &[("imsi", "460001234567890", High)]),
            ("460001234567890", &[("imsi", "460001234567890", Medium)]),
            ("460991234567890", &[]),
            (
                "IMEI: 352099001761481",
                &[("imei", "352099001761481", High)],
            ), // the key names it
            ("352099001761481", &[("imei", "352099001761481", Low)]), // weak: dropped by default
            ("35-209900-176148-1", &[("imei", "352099001761481", Medium)]),
            ("imei=35209900176148", &[("imei", "352099001761481", High)]),
            (
                "8986001234567890120",
                &[("iccid", "8986001234567890120", Medium)],
            ),
            ("8986001234567890121", &[]),
            (
                "6222021234567894",
                &[("bank_card", "6222021234567894", Medium)],
            ),
            (
                "卡号 6222 0212 3456 7894",
                &[("bank_card", "6222021234567894", High)],
            ),
            (
                "6222-0212-3456-7894",
                &[("bank_card", "6222021234567894", Medium)],
            ),
            ("6222021234567895", &[]),
            (
                "91350100M000100Y43",
                &[("uscc", "91350100M000100Y43", Medium)],
            ),
            ("91350100M000100Y44", &[]),
            ("护照号码：E12345678", &[("cn_passport", "E12345678", High)]),
            ("护照 E12345678", &[("cn_passport", "E12345678", Medium)]),
            ("E12345678", &[("cn_passport", "E12345678", Low)]), // weak
            (
                "回乡证 H1234567890",
                &[("cn_travel_permit", "H1234567890", Medium)],
            ),
            ("010-62345678", &[("cn_landline", "01062345678", Medium)]),
            ("(010) 6234 5678", &[("cn_landline", "01062345678", Medium)]),
            (
                "+86 10 6234 5678",
                &[("cn_landline", "01062345678", Medium)],
            ),
            ("座机 01062345678", &[("cn_landline", "01062345678", High)]),
            ("01062345678", &[("cn_landline", "01062345678", Low)]), // weak
            (
                "mail zhang@example.com",
                &[("email", "zhang@example.com", High)],
            ),
            (
                "110101 19900307 1233",
                &[("cn_resident_id", "110101199003071233", Medium)],
            ),
            (
                "110101 1990 0307 109x",
                &[("cn_resident_id", "11010119900307109X", Medium)],
            ),
        ];
        check_vectors(t);
    }

    /// Valid values in the forms the readings know, for gluing together.
    const FORMS: [&str; 32] = [
        "110101199003071233",
        "110101 19900307 1233",
        "110101 1990 0307 109x",
        "11010119900307109X",
        "460001234567890",
        "352099001761481",
        "35-209900-176148-1",
        "35209900176148",
        "8986001234567890120",
        "6222021234567894",
        "6222 0212 3456 7894",
        "6222-0212-3456-7894",
        "622202 1234567894",
        "91350100M000100Y43",
        "E12345678",
        "EA1234567",
        "H1234567890",
        "M12345678",
        "010-62345678",
        "(010) 6234 5678",
        "+86 10 6234 5678",
        "01062345678",
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 138 1234 5678",
        "0086-13812345678",
        "8613812345678",
        "008613812345678",
        "0755-88662345",
        "(0755)88662345",
        "0086-755-8866-2345",
    ];

    /// The readings of `t` through `next_run`: (detector, span, value,
    /// confidence, weak, whether the token is the previous match's).
    type Reading = (
        DetectorId,
        Range<usize>,
        CompactString,
        Confidence,
        bool,
        bool,
    );
    fn readings_via(
        r: &Registry,
        t: &[u8],
        next_run: impl FnMut(usize) -> Option<(usize, usize)>,
    ) -> Vec<Reading> {
        let mut out = Vec::new();
        r.tokens_of(t, &mut out, next_run);
        let same: Vec<bool> = std::iter::once(false)
            .chain(out.windows(2).map(|w| w[0].token == w[1].token))
            .collect();
        out.into_iter()
            .zip(same)
            .map(|(m, same)| (m.detector, m.span, m.value, m.confidence, m.weak, same))
            .collect()
    }

    /// Every digit run at or after `from`, by a byte loop.
    fn every_run(t: &[u8], from: usize) -> Option<(usize, usize)> {
        let s = from + t.get(from..)?.iter().position(u8::is_ascii_digit)?;
        Some((
            s,
            s + t[s..].iter().take_while(|b| b.is_ascii_digit()).count(),
        ))
    }

    /// Reading only the candidate runs finds what reading every run finds.
    fn check_candidates_suffice(r: &Registry, t: &str) {
        let t = t.as_bytes();
        let mut c = Candidates::new(t);
        let fast = readings_via(r, t, |from| c.next_from(from));
        let slow = readings_via(r, t, |from| every_run(t, from));
        assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(t));
    }

    #[test]
    fn candidate_runs_miss_no_reading() {
        let r = registry();
        // A USCC whose second character is a letter.
        let mut uscc = b"9N350100M000100Y4".to_vec();
        uscc.push(checksum::uscc_check_char(&uscc).unwrap());
        let uscc = String::from_utf8(uscc).unwrap();
        for form in FORMS.into_iter().chain([uscc.as_str()]) {
            assert!(
                !readings_via(&r, form.as_bytes(), |f| every_run(form.as_bytes(), f)).is_empty(),
                "{form}"
            );
            for pad in 0..70 {
                check_candidates_suffice(&r, &format!("{}{form} x", "a.".repeat(pad / 2)));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn candidate_runs_miss_no_reading_in_glued_forms(
            parts in proptest::collection::vec(
                (0..FORMS.len(), "[0-9a-zA-Z +()\\-.:=Xx]{0,4}"),
                0..8,
            )
        ) {
            let t: String = parts.iter().map(|(i, glue)| format!("{}{glue}", FORMS[*i])).collect();
            check_candidates_suffice(&registry(), &t);
        }

        #[test]
        fn candidate_runs_miss_no_reading_in_digit_soup(t in "[0-9 \\-()+EHMXx]{0,120}") {
            check_candidates_suffice(&registry(), &t);
        }
    }

    #[test]
    fn foreigner_permanent_residence_ids() {
        let first17 = b"91115619900307001";
        let mut id = String::from_utf8(first17.to_vec()).unwrap();
        id.push(char::from(
            checksum::resident_id_check_char(first17).unwrap(),
        ));
        assert_eq!(values(&id), [id.clone()]);
    }

    #[test]
    fn key_value_pairs_give_context_and_a_field_name() {
        let r = registry();
        let text = r#"{"user_id_card": "110101199003071233", "order_no": "110101199003071233", "note": 1}"#;
        let mut out = Vec::new();
        r.scan(&unit(text), None, &mut out);
        let got: Vec<_> = out
            .iter()
            .map(|m| (m.confidence, m.weak, m.key.clone().map(|k| &text[k])))
            .collect();
        assert_eq!(
            got,
            [
                (Confidence::High, false, Some("user_id_card")),
                (Confidence::Low, true, Some("order_no")),
            ]
        );
        let mut out = Vec::new();
        r.scan(&unit("证件号码：110101199003071233"), None, &mut out);
        assert_eq!(out[0].confidence, Confidence::High);
    }

    #[test]
    fn suspect_column_makes_an_id_shaped_value_weak() {
        let r = registry();
        let prof = r.header_profile(&["订单号", "金额"]);
        assert!(prof.is_informative());
        let text = "110101199003071233,12.50";
        let fields = [0..18, 19..24];
        let out = scan_row(&r, &prof, text, &fields);
        assert_eq!((out[0].confidence, out[0].weak), (Confidence::Low, true));
    }

    #[test]
    fn the_most_confident_reading_of_a_token_wins() {
        // 15 digits: a Luhn-valid IMEI shape that is also region + date valid
        // as a legacy ID; the hotword decides.
        let r = registry();
        let mut out = Vec::new();
        r.scan(&unit("IMEI 352099001761481"), None, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].detector, DetectorId::Imei);
    }

    #[test]
    fn best_reading_per_token() {
        let m = |token, c| {
            let mut x = Match::new(DetectorId::CnMobile, 0..1, "v", c);
            x.token = token;
            x
        };
        let mut out = vec![
            m(0, Confidence::Low),
            m(0, Confidence::High),
            m(0, Confidence::Medium),
            m(1, Confidence::Medium),
            m(2, Confidence::Low),
            m(2, Confidence::Low),
        ];
        keep_best_reading(&mut out);
        let got: Vec<_> = out.iter().map(|x| (x.token, x.confidence)).collect();
        assert_eq!(
            got,
            [
                (0, Confidence::High),
                (1, Confidence::Medium),
                (2, Confidence::Low)
            ]
        );
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
