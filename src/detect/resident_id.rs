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
    if d.is_empty() || d.len() > 9 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0, |acc, b| acc * 10 + u32::from(b - b'0')))
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

/// Validate an 18-character identity number (17 digits + digit or uppercase X).
pub fn is_valid_id18(id: &[u8], regions: &RegionTable, today: u32) -> bool {
    id.len() == 18
        && regions.contains(&id[..6])
        && parse_digits(&id[6..14]).is_some_and(|date| is_birth_date(date, today))
        && resident_id_check_char(&id[..17]) == Some(id[17])
}

/// Validate a legacy 15-digit identity number (region + 19yymmdd + 3 digits).
/// There is no check digit, so this is weak evidence on its own.
pub fn is_valid_id15(id: &[u8], regions: &RegionTable, today: u32) -> bool {
    id.len() == 15
        && id.iter().all(u8::is_ascii_digit)
        && regions.contains(&id[..6])
        && parse_digits(&id[6..12]).is_some_and(|yymmdd| is_birth_date(19_000_000 + yymmdd, today))
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
    fn region_table_lookup() {
        let r = regions();
        assert!(r.contains(b"810000"));
        assert!(!r.contains(b"810001"));
        assert!(!r.contains(b"81000"));
        assert!(!r.contains(b"81000a"));
    }
}
