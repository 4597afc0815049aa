//! Keyword context: one Aho-Corasick automaton over every hotword (or column
//! name) of every detector, matched in a single pass over a text unit.
//!
//! Each keyword carries a bit mask (which detectors, or which CDR roles, it
//! speaks for); a pass returns the OR of the masks of the keywords found.
//! Matching is ASCII case-insensitive. A keyword that starts or ends with an
//! ASCII letter must not be glued to another ASCII letter at that end, so `tel`
//! does not fire inside `hotel`; `_`, digits and CJK characters count as breaks.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// A compiled set of keywords, each with a bit mask.
#[derive(Debug)]
pub struct KeywordSet {
    automaton: Option<AhoCorasick>,
    masks: Vec<u32>,
    /// Per keyword: (must check the left boundary, must check the right boundary).
    bounded: Vec<(bool, bool)>,
    /// The bytes a keyword can start with (both ASCII cases): a text with
    /// none of them (a row of numbers and dates) holds no keyword.
    starts: [bool; 256],
    /// Every keyword starts with an ASCII letter or a non-ASCII byte (the
    /// built-in lists): that check is vectorised.
    letter_starts: bool,
}

impl KeywordSet {
    /// Compile `entries` (keyword, mask). Keywords equal up to ASCII case are
    /// merged, their masks OR-ed. Empty keywords are ignored.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        Self::build(entries, None)
    }

    /// As [`KeywordSet::new`], compiled to a full DFA for matching whole
    /// lines: one table step a byte (the default NFA took ~26 instructions
    /// a byte on short lines, callgrind), at a few milliseconds of start-up.
    pub fn for_lines<'a>(entries: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        Self::build(entries, Some(AhoCorasickKind::DFA))
    }

    fn build<'a>(
        entries: impl IntoIterator<Item = (&'a str, u32)>,
        kind: Option<AhoCorasickKind>,
    ) -> Self {
        let mut words: Vec<String> = Vec::new();
        let mut masks: Vec<u32> = Vec::new();
        for (word, mask) in entries {
            let word = word.trim().to_ascii_lowercase();
            if word.is_empty() {
                continue;
            }
            match words.iter().position(|w| *w == word) {
                Some(i) => masks[i] |= mask,
                None => {
                    words.push(word);
                    masks.push(mask);
                }
            }
        }
        let bounded = words
            .iter()
            .map(|w| {
                let b = w.as_bytes();
                (
                    b[0].is_ascii_alphabetic(),
                    b[b.len() - 1].is_ascii_alphabetic(),
                )
            })
            .collect();
        let mut starts = [false; 256];
        for w in &words {
            let b = w.as_bytes()[0];
            starts[b.to_ascii_lowercase() as usize] = true;
            starts[b.to_ascii_uppercase() as usize] = true;
        }
        let letter_starts =
            (0..=255u8).all(|b| !starts[b as usize] || b.is_ascii_alphabetic() || b >= 0x80);
        let automaton = if words.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(kind)
                    .build(&words)
                    .expect("keyword lists are small; the automaton always fits"),
            )
        };
        KeywordSet {
            automaton,
            masks,
            bounded,
            starts,
            letter_starts,
        }
    }

    /// The OR of the masks of all keywords occurring in `text`.
    pub fn mask(&self, text: &[u8]) -> u32 {
        let Some(ac) = &self.automaton else {
            return 0;
        };
        if !self.may_hold_keyword(text) {
            return 0;
        }
        self.automaton_mask(ac, text)
    }

    /// Whether `text` holds a byte a keyword starts with.
    fn may_hold_keyword(&self, text: &[u8]) -> bool {
        if self.letter_starts {
            // No early exit: the fold compiles to vector code.
            text.iter().fold(false, |any, &b| {
                any | ((b | 0x20).wrapping_sub(b'a') < 26) | (b >= 0x80)
            })
        } else {
            text.iter().any(|&b| self.starts[b as usize])
        }
    }

    /// The mask from running the automaton over all of `text`.
    fn automaton_mask(&self, ac: &AhoCorasick, text: &[u8]) -> u32 {
        let mut mask = 0;
        for m in ac.find_overlapping_iter(text) {
            let id = m.pattern().as_usize();
            let (left, right) = self.bounded[id];
            if left && m.start() > 0 && text[m.start() - 1].is_ascii_alphabetic() {
                continue;
            }
            if right && text.get(m.end()).is_some_and(u8::is_ascii_alphabetic) {
                continue;
            }
            mask |= self.masks[id];
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> KeywordSet {
        KeywordSet::new([
            ("tel", 1),
            ("手机", 2),
            ("ID_NO", 4),
            ("Mobile", 8),
            ("mobile", 16),
        ])
    }

    #[test]
    fn finds_words_case_insensitively_and_merges_duplicates() {
        let s = set();
        assert_eq!(s.mask("MOBILE: 1".as_bytes()), 8 | 16);
        assert_eq!(s.mask("user_id_no=1".as_bytes()), 4);
        assert_eq!(s.mask("手机号码".as_bytes()), 2);
        assert_eq!(s.mask("Tel: 1 手机".as_bytes()), 1 | 2);
    }

    #[test]
    fn ascii_words_need_boundaries() {
        let s = set();
        assert_eq!(s.mask(b"hotel room"), 0);
        assert_eq!(s.mask(b"telephone"), 0);
        assert_eq!(s.mask(b"automobile"), 0);
        assert_eq!(s.mask(b"tel2"), 1);
        assert_eq!(s.mask("电话tel：".as_bytes()), 1);
    }

    proptest::proptest! {
        #[test]
        fn the_start_byte_check_changes_no_mask(
            text in "[0-9,:| \\-tTeElLiIdD_NOo手机号码a]{0,40}"
        ) {
            // The built-in shape (letters and CJK first) and one with a
            // keyword that starts with a digit.
            let digit = KeywordSet::new([("tel", 1), ("9号", 2)]);
            for s in [set(), digit] {
                let full = s.automaton_mask(s.automaton.as_ref().unwrap(), text.as_bytes());
                proptest::prop_assert_eq!(s.mask(text.as_bytes()), full);
            }
        }
    }

    #[test]
    fn a_row_of_numbers_needs_no_automaton() {
        let s = set();
        assert_eq!(s.mask(b"13800138000,02152384631,2024-03-09 10:02:15,30"), 0);
        assert_eq!(s.mask("13800138000 手机".as_bytes()), 2);
        assert_eq!(s.mask(b"13800138000,TEL"), 1);
    }

    #[test]
    fn empty_set_matches_nothing() {
        assert_eq!(KeywordSet::new([]).mask(b"anything"), 0);
    }
}
