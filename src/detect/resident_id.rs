//! `cn_resident_id`: 18-digit resident identity numbers (GB 11643) and the
//! legacy 15-digit form. Validation: known GB/T 2260 region code, a real birth
//! date between 1900-01-01 and today, and (18 digits) the MOD 11-2 check char.

use super::checksum::resident_id_check_char;

/// Set of known six-digit region codes, as a bitmap over 000000..=999999.
#[derive(Debug)]
pub struct RegionTable {
    bits: Vec<u64>,
}

impl RegionTable {
    /// Build from six-digit codes.
    pub fn new(codes: &[u32]) -> Self {
        let mut bits = vec![0u64; 1_000_000 / 64 + 1];
        for &c in codes {
            if c < 1_000_000 {
                bits[(c / 64) as usize] |= 1 << (c % 64);
            }
        }
        RegionTable { bits }
    }

    /// Whether `code` (six ASCII digits) is a known region code.
    pub fn contains(&self, code: &[u8]) -> bool {
        match parse_digits(code) {
            Some(c) if code.len() == 6 => self.bits[(c / 64) as usize] & (1 << (c % 64)) != 0,
            _ => false,
        }
    }
}

/// Parse ASCII digits into a number (at most 9 digits).
pub(crate) fn parse_digits(d: &[u8]) -> Option<u32> {
    if d.is_empty() || d.len() > 9 {
        return None;
    }
    // One pass without early exits; the value is used only if all are digits.
    let (mut value, mut all_digits) = (0u32, true);
    for &b in d {
        let digit = b.wrapping_sub(b'0');
        all_digits &= digit < 10;
        value = value.wrapping_mul(10).wrapping_add(u32::from(digit));
    }
    all_digits.then_some(value)
}

fn is_leap(year: u32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Whether `yyyymmdd` is a real calendar date from 1900-01-01 up to `today`
/// (also `yyyymmdd`).
pub fn is_birth_date(yyyymmdd: u32, today: u32) -> bool {
    let (y, m, d) = (yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
    if y < 1900 || yyyymmdd > today || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let days = match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

/// Whether 18 characters are shaped like an identity number: a known
/// region code and a real birth date (everything but the check character).
pub fn is_id_shaped(id: &[u8], regions: &RegionTable, today: u32) -> bool {
    id.len() == 18
        && regions.contains(&id[..6])
        && parse_digits(&id[6..14]).is_some_and(|date| is_birth_date(date, today))
}

/// Validate an 18-character identity number (17 digits + digit or uppercase X).
pub fn is_valid_id18(id: &[u8], regions: &RegionTable, today: u32) -> bool {
    is_id_shaped(id, regions, today) && resident_id_check_char(&id[..17]) == Some(id[17])
}

/// Validate a legacy 15-digit identity number (region + 19yymmdd + 3 digits).
/// There is no check digit, so this is weak evidence on its own.
pub fn is_valid_id15(id: &[u8], regions: &RegionTable, today: u32) -> bool {
    id.len() == 15
        && id.iter().all(u8::is_ascii_digit)
        && regions.contains(&id[..6])
        && parse_digits(&id[6..12]).is_some_and(|yymmdd| is_birth_date(19_000_000 + yymmdd, today))
}

/// Validate an 18-digit foreigner's permanent residence ID (2023 format):
/// `9`, a province code, a 3-digit country code, birth date, sequence and the
/// GB 11643 check character.
pub fn is_valid_foreigner_id(id: &[u8], regions: &RegionTable, today: u32) -> bool {
    id.len() == 18
        && id[0] == b'9'
        && regions.contains(&[id[1], id[2], b'0', b'0', b'0', b'0'])
        && parse_digits(&id[6..14]).is_some_and(|date| is_birth_date(date, today))
        && resident_id_check_char(&id[..17]) == Some(id[17])
}

/// An identity number printed in space-separated groups starting at `s`:
/// `110101 19900307 123X` (6-8-4) or `110101 1990 0307 123X` (6-4-4-4).
/// Returns the end offset and the 18 characters (check char uppercased).
pub fn spaced_id(t: &[u8], s: usize) -> Option<(usize, [u8; 18])> {
    let run = |from: usize| from + t[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut id = Vec::with_capacity(18);
    let mut at = s;
    for (i, want) in [6usize, 8, 4, 4].into_iter().enumerate() {
        let e = run(at);
        let mut len = e - at;
        let mut end = e;
        if id.len() + len == 17 && matches!(t.get(e), Some(b'X' | b'x')) {
            len += 1;
            end += 1;
        }
        let fits = len == want || (i == 1 && len == 4);
        if !fits {
            return None;
        }
        id.extend(t[at..end].iter().map(u8::to_ascii_uppercase));
        if id.len() == 18 {
            if t.get(end).is_some_and(u8::is_ascii_alphanumeric)
                || (t.get(end) == Some(&b' ') && t.get(end + 1).is_some_and(u8::is_ascii_digit))
            {
                return None;
            }
            return id.try_into().ok().map(|id| (end, id));
        }
        if id.len() > 18 || t.get(end) != Some(&b' ') {
            return None;
        }
        at = end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: u32 = 20261128;

    fn regions() -> RegionTable {
        RegionTable::new(&[110101, 440305, 810000])
    }

    #[test]
    fn id18_vectors() {
        let r = regions();
        // (value, valid, why)
        let t: &[(&str, bool, &str)] = &[
            ("110101199003071233", true, "valid"),
            ("11010119900307109X", true, "valid, X check char"),
            ("440305198512310026", true, "valid"),
            ("110101199003071234", false, "wrong check digit"),
            ("110101199002301232", false, "30 February"),
            ("110101190002291231", false, "1900 was not a leap year"),
            ("110101189912311234", false, "before 1900"),
            ("110101203001011234", false, "in the future"),
            ("990101199003071233", false, "unknown region"),
            (
                "11010119900307109x",
                false,
                "lower-case x is normalised before validation",
            ),
        ];
        for &(id, want, why) in t {
            assert_eq!(is_valid_id18(id.as_bytes(), &r, TODAY), want, "{id}: {why}");
        }
    }

    #[test]
    fn leap_day_is_a_birth_date() {
        assert!(is_birth_date(20000229, TODAY));
        assert!(!is_birth_date(20010229, TODAY));
        assert!(!is_birth_date(20001301, TODAY));
        assert!(!is_birth_date(20001100, TODAY));
        assert!(is_birth_date(TODAY, TODAY));
        assert!(!is_birth_date(TODAY + 1, TODAY));
    }

    #[test]
    fn id15_vectors() {
        let r = regions();
        assert!(is_valid_id15(b"110101900307123", &r, TODAY));
        assert!(!is_valid_id15(b"110101900230123", &r, TODAY), "30 February");
        assert!(
            !is_valid_id15(b"120101900307123", &r, TODAY),
            "unknown region"
        );
    }

    #[test]
    fn spaced_forms() {
        for t in [
            "110101 19900307 1233",
            "110101 1990 0307 1233",
            "11010119900307 1233",
        ] {
            let got =
                spaced_id(t.as_bytes(), 0).map(|(_, id)| String::from_utf8(id.to_vec()).unwrap());
            let want = (t != "11010119900307 1233").then(|| "110101199003071233".to_string());
            assert_eq!(got, want, "{t}");
        }
        let (end, id) = spaced_id(b"110101 19900307 109x,", 0).unwrap();
        assert_eq!((end, &id[..]), (20, &b"11010119900307109X"[..]));
        assert!(
            spaced_id(b"110101 19900307 1233 5", 0).is_none(),
            "continues"
        );
    }

    #[test]
    fn foreigner_ids() {
        let r = RegionTable::new(&[110000, 310000]);
        // 9 + 11 (Beijing) + 156 + 19900307 + 001 + check, computed by hand.
        let first17 = b"91115619900307001";
        let mut id = first17.to_vec();
        id.push(resident_id_check_char(first17).unwrap());
        assert!(is_valid_foreigner_id(&id, &r, TODAY));
        id[17] = if id[17] == b'0' { b'1' } else { b'0' };
        assert!(!is_valid_foreigner_id(&id, &r, TODAY));
        assert!(!is_valid_foreigner_id(b"110101199003071233", &r, TODAY));
    }

    #[test]
    fn region_table_lookup() {
        let r = regions();
        assert!(r.contains(b"810000"));
        assert!(!r.contains(b"810001"));
        assert!(!r.contains(b"81000"));
        assert!(!r.contains(b"81000a"));
    }
}
