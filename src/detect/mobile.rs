//! `cn_mobile`: 11-digit mobile numbers in allocated segments, in the forms
//! found in exports and prose: `13812345678`, `138-1234-5678`,
//! `138 1234 5678`, with an optional `+86`, `0086` or `86` country prefix
//! (`+86 138 1234 5678`, `0086-13812345678`, `+8613812345678`).
//!
//! The parser works on bytes at the start of a digit run that the caller has
//! already checked is not glued to a letter on its left.

/// Allocated segments, looked up by the first four digits.
#[derive(Debug)]
pub struct SegmentTable {
    allowed: Vec<bool>,
}

impl SegmentTable {
    /// Build from 3- or 4-digit prefixes (a 3-digit prefix allows all ten
    /// 4-digit prefixes under it).
    pub fn new<S: AsRef<str>>(prefixes: &[S]) -> Self {
        let mut allowed = vec![false; 10_000];
        for p in prefixes {
            let p = p.as_ref();
            let Ok(n) = p.parse::<usize>() else { continue };
            match p.len() {
                3 => allowed[n * 10..n * 10 + 10]
                    .iter_mut()
                    .for_each(|a| *a = true),
                4 => allowed[n] = true,
                _ => {}
            }
        }
        SegmentTable { allowed }
    }

    /// Whether the 11 ASCII digits `d` start with an allocated segment.
    pub fn is_allocated_segment(&self, d: &[u8]) -> bool {
        d.len() == 11
            && d[0] == b'1'
            && d.iter().all(u8::is_ascii_digit)
            && self.allowed[d[..4]
                .iter()
                .fold(0usize, |a, b| a * 10 + usize::from(b - b'0'))]
    }
}

/// A mobile-number-shaped token: where it is and its 11 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MobileToken {
    /// Byte offset of the first byte (the `+` of a prefix, if any).
    pub start: usize,
    /// Byte offset one past the last digit.
    pub end: usize,
    /// The 11 national digits.
    pub digits: [u8; 11],
}

fn run_end(t: &[u8], from: usize) -> usize {
    from + t[from..].iter().take_while(|b| b.is_ascii_digit()).count()
}

fn is_sep(b: u8) -> bool {
    b == b'-' || b == b' '
}

/// Whether a token ending at `end` stands alone on the right: no letter or
/// digit follows, and (for grouped forms) no further `sep` + digit group.
fn ends_cleanly(t: &[u8], end: usize, sep: Option<u8>) -> bool {
    match t.get(end) {
        None => true,
        Some(b) if b.is_ascii_alphanumeric() => false,
        Some(&b) => !(Some(b) == sep && t.get(end + 1).is_some_and(u8::is_ascii_digit)),
    }
}

/// 11 digits, either as one run at `at` or grouped 3-4-4 with one separator.
fn national_at(t: &[u8], at: usize) -> Option<(usize, [u8; 11])> {
    national_run(t, at, run_end(t, at))
}

/// [`national_at`] where the digit run at `at` ends at `e1`.
fn national_run(t: &[u8], at: usize, e1: usize) -> Option<(usize, [u8; 11])> {
    let mut d = [0u8; 11];
    if e1 - at == 11 {
        d.copy_from_slice(&t[at..e1]);
        return ends_cleanly(t, e1, None).then_some((e1, d));
    }
    if e1 - at != 3 {
        return None;
    }
    let sep = *t.get(e1)?;
    if !is_sep(sep) {
        return None;
    }
    let e2 = run_end(t, e1 + 1);
    if e2 - (e1 + 1) != 4 || t.get(e2) != Some(&sep) {
        return None;
    }
    let e3 = run_end(t, e2 + 1);
    if e3 - (e2 + 1) != 4 || !ends_cleanly(t, e3, Some(sep)) {
        return None;
    }
    d[..3].copy_from_slice(&t[at..e1]);
    d[3..7].copy_from_slice(&t[e1 + 1..e2]);
    d[7..].copy_from_slice(&t[e2 + 1..e3]);
    Some((e3, d))
}

/// Parse a mobile-number token whose first digit run starts at `s`.
pub fn parse_mobile(t: &[u8], s: usize) -> Option<MobileToken> {
    parse_mobile_run(t, s, run_end(t, s))
}

/// [`parse_mobile`] where the caller knows that first digit run: `t[s..e]`
/// (the run is not measured again: a mobile number was read in about 270
/// instructions, a third of them counting its digits twice).
pub fn parse_mobile_run(t: &[u8], s: usize, e: usize) -> Option<MobileToken> {
    debug_assert_eq!(e, run_end(t, s), "t[s..e] is a whole digit run");
    let plus = s > 0 && t[s - 1] == b'+';
    let start = if plus { s - 1 } else { s };
    let run = &t[s..e];
    // A grouped number must not continue a longer chain of digit groups.
    let chained_left = s >= 2 && is_sep(t[s - 1]) && t[s - 2].is_ascii_digit();
    // Country prefix glued to the number: 86138..., 0086138...
    for prefix in [&b"86"[..], b"0086"] {
        if run.len() == prefix.len() + 11 && run.starts_with(prefix) {
            let mut d = [0u8; 11];
            d.copy_from_slice(&run[prefix.len()..]);
            return ends_cleanly(t, e, None).then_some(MobileToken {
                start,
                end: e,
                digits: d,
            });
        }
    }
    // Country prefix and a separator: +86 138..., 0086-138..., +86 138 1234 5678.
    if (run == b"86" && plus) || run == b"0086" {
        if t.get(e).copied().is_some_and(is_sep) && t.get(e + 1).is_some_and(u8::is_ascii_digit) {
            let (end, digits) = national_at(t, e + 1)?;
            return Some(MobileToken { start, end, digits });
        }
        return None;
    }
    if chained_left && run.len() == 3 {
        return None;
    }
    let (end, digits) = national_run(t, s, e)?;
    Some(MobileToken { start, end, digits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(t: &str) -> Option<String> {
        let first = t.bytes().position(|b| b.is_ascii_digit())?;
        parse_mobile(t.as_bytes(), first).map(|m| String::from_utf8(m.digits.to_vec()).unwrap())
    }

    #[test]
    fn forms_of_one_number_normalise_alike() {
        for t in [
            "13812345678",
            "138-1234-5678",
            "138 1234 5678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "+8613812345678",
            "8613812345678",
            "0086 13812345678",
            "0086-138-1234-5678",
            "008613812345678",
        ] {
            assert_eq!(digits(t).as_deref(), Some("13812345678"), "{t}");
        }
    }

    #[test]
    fn not_a_mobile_token() {
        for t in [
            "1381234567",         // 10 digits
            "138123456789",       // 12 digits
            "138-1234-56789",     // last group too long
            "138-1234 5678",      // mixed separators
            "138 1234 5678 9012", // longer chain of groups
            "13812345678X",       // glued to a letter
            "86 13812345678",     // bare 86 needs a plus sign
        ] {
            assert_eq!(digits(t), None, "{t}");
        }
        // A chain continuing on the left.
        let t = b"0 138 1234 5678";
        assert_eq!(parse_mobile(t, 2), None);
    }

    #[test]
    fn token_span_covers_the_prefix() {
        let t = b"tel:+86 138 1234 5678;";
        let m = parse_mobile(t, 5).unwrap();
        assert_eq!((m.start, m.end), (4, 21));
    }

    #[test]
    fn segments() {
        let s = SegmentTable::new(&["138", "1740"]);
        assert!(s.is_allocated_segment(b"13812345678"));
        assert!(s.is_allocated_segment(b"17401234567"));
        assert!(!s.is_allocated_segment(b"17411234567"));
        assert!(!s.is_allocated_segment(b"12012345678"));
        assert!(!s.is_allocated_segment(b"1381234567"));
    }
}
