//! Card-like numbers validated with Luhn: `bank_card` (16-19 digits, known
//! issuer prefix from `patterns/card-bins.csv`, also grouped
//! `6222 0212 3456 7894`), `iccid` (SIM card, 19-20 digits starting 8986),
//! `imei` (15 digits with a known reporting-body prefix, also grouped
//! `35-209900-176148-1` or 14 digits without the check digit) and `imsi`
//! (460 + a Chinese MNC + MSIN; no check digit).

use super::checksum::{luhn_check_digit, luhn_valid};

/// Issuer prefixes with their allowed lengths.
#[derive(Debug)]
pub struct CardBins {
    bins: Vec<(String, u32)>,
}

impl CardBins {
    /// Build from (prefix, mask of allowed lengths: bit N for N digits).
    pub fn new(bins: Vec<(String, u32)>) -> Self {
        CardBins { bins }
    }

    /// Whether `d` is a bank card number: known prefix and length, Luhn.
    pub fn is_bank_card(&self, d: &[u8]) -> bool {
        (16..=19).contains(&d.len())
            && self
                .bins
                .iter()
                .any(|(p, lengths)| d.starts_with(p.as_bytes()) && lengths & (1 << d.len()) != 0)
            && luhn_valid(d)
    }
}

/// Whether `d` is a Chinese ICCID: 19-20 digits, 8986 prefix, Luhn.
pub fn is_iccid(d: &[u8]) -> bool {
    (19..=20).contains(&d.len()) && d.starts_with(b"8986") && luhn_valid(d)
}

/// Known IMEI reporting-body identifiers (first two digits).
#[derive(Debug)]
pub struct ImeiPrefixes {
    known: [bool; 100],
}

impl ImeiPrefixes {
    /// Build from two-digit prefixes.
    pub fn new<S: AsRef<str>>(rbis: &[S]) -> Self {
        let mut known = [false; 100];
        for r in rbis {
            if let Ok(n) = r.as_ref().parse::<usize>() {
                if n < 100 {
                    known[n] = true;
                }
            }
        }
        ImeiPrefixes { known }
    }

    fn known_prefix(&self, d: &[u8]) -> bool {
        d.len() >= 2
            && d[..2].iter().all(u8::is_ascii_digit)
            && self.known[usize::from(d[0] - b'0') * 10 + usize::from(d[1] - b'0')]
    }

    /// Whether `d` is a 15-digit IMEI: known prefix and Luhn.
    pub fn is_imei(&self, d: &[u8]) -> bool {
        d.len() == 15 && self.known_prefix(d) && luhn_valid(d)
    }

    /// The full 15-digit IMEI of a 14-digit one (check digit computed), if
    /// the prefix is known.
    pub fn complete14(&self, d: &[u8]) -> Option<String> {
        if d.len() != 14 || !self.known_prefix(d) {
            return None;
        }
        let check = luhn_check_digit(d)?;
        let mut full = String::from_utf8_lossy(d).into_owned();
        full.push(char::from(check));
        Some(full)
    }
}

/// Known Chinese mobile network codes (MNC after MCC 460).
#[derive(Debug)]
pub struct ImsiNetworks {
    known: [bool; 100],
}

impl ImsiNetworks {
    /// Build from two-digit MNCs.
    pub fn new<S: AsRef<str>>(mncs: &[S]) -> Self {
        let mut known = [false; 100];
        for m in mncs {
            if let Ok(n) = m.as_ref().parse::<usize>() {
                if n < 100 {
                    known[n] = true;
                }
            }
        }
        ImsiNetworks { known }
    }

    /// Whether `d` is a Chinese IMSI: 15 digits, 460, known MNC.
    pub fn is_imsi(&self, d: &[u8]) -> bool {
        d.len() == 15
            && d.starts_with(b"460")
            && d.iter().all(u8::is_ascii_digit)
            && self.known[usize::from(d[3] - b'0') * 10 + usize::from(d[4] - b'0')]
    }
}

fn run_end(t: &[u8], from: usize) -> usize {
    from + t[from..].iter().take_while(|b| b.is_ascii_digit()).count()
}

/// Digit groups joined by one repeated separator (`-` or space), read
/// without allocating: at most 5 groups and 24 digits.
#[derive(Debug, Clone, Copy)]
pub struct DigitGroups {
    /// One past the last digit.
    pub end: usize,
    digits: [u8; 24],
    len: usize,
    lens: [usize; 5],
    groups: usize,
}

impl DigitGroups {
    /// The digits without separators.
    pub fn digits(&self) -> &[u8] {
        &self.digits[..self.len]
    }

    /// The length of each group.
    pub fn lens(&self) -> &[usize] {
        &self.lens[..self.groups]
    }
}

/// Read at least two digit groups starting at `s`; `None` when the token is
/// glued to a letter or digit at its end, or longer than 5 groups or 24 digits.
pub fn digit_groups(t: &[u8], s: usize) -> Option<DigitGroups> {
    let mut g = DigitGroups {
        end: s,
        digits: [0; 24],
        len: 0,
        lens: [0; 5],
        groups: 0,
    };
    let mut at = s;
    let mut sep = None;
    loop {
        let e = run_end(t, at);
        let n = e - at;
        if n == 0 || g.groups == 5 || g.len + n > 24 {
            return None;
        }
        g.digits[g.len..g.len + n].copy_from_slice(&t[at..e]);
        g.len += n;
        g.lens[g.groups] = n;
        g.groups += 1;
        g.end = e;
        match t.get(e).copied() {
            Some(c)
                if (c == b' ' || c == b'-')
                    && sep.is_none_or(|s| s == c)
                    && t.get(e + 1).is_some_and(u8::is_ascii_digit) =>
            {
                sep = Some(c);
                at = e + 1;
            }
            _ => break,
        }
    }
    if t.get(g.end).is_some_and(u8::is_ascii_alphanumeric) || g.groups < 2 {
        return None;
    }
    Some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_cards() {
        let range = |lo: u32, hi: u32| (lo..=hi).fold(0, |m, n| m | 1 << n);
        let bins = CardBins::new(vec![
            ("62".into(), range(16, 19)),
            ("4".into(), range(16, 16) | range(19, 19)),
            ("9558".into(), range(19, 19)),
        ]);
        assert!(bins.is_bank_card(b"6222021234567894"));
        assert!(bins.is_bank_card(b"6228480012345678903"));
        assert!(bins.is_bank_card(b"4111111111111111"));
        assert!(!bins.is_bank_card(b"6222021234567895"), "Luhn");
        assert!(
            !bins.is_bank_card(b"5555555555554444"),
            "prefix not in this table"
        );
        assert!(
            !bins.is_bank_card(b"955800000000000000"),
            "9558 cards have 19 digits"
        );
        assert!(!bins.is_bank_card(b"411111111111"), "too short");
        assert!(
            !bins.is_bank_card(b"411111111111111113"),
            "Visa has no 18-digit cards"
        );
        assert!(
            !bins.is_bank_card(b"411111111111111113"),
            "Visa has no 18-digit cards"
        );
    }

    #[test]
    fn iccids() {
        assert!(is_iccid(b"8986001234567890120"));
        assert!(is_iccid(b"89860112345678901237"));
        assert!(!is_iccid(b"8986001234567890121"), "Luhn");
        assert!(!is_iccid(b"8985001234567890126"), "not 8986");
    }

    #[test]
    fn imeis() {
        let p = ImeiPrefixes::new(&["35", "86"]);
        assert!(p.is_imei(b"352099001761481"));
        assert!(p.is_imei(b"861234567890127"));
        assert!(!p.is_imei(b"352099001761482"), "Luhn");
        assert!(
            !p.is_imei(b"490154203237518"),
            "prefix 49 not in this table"
        );
        assert_eq!(
            p.complete14(b"35209900176148").as_deref(),
            Some("352099001761481")
        );
        assert_eq!(p.complete14(b"12209900176148"), None);
    }

    #[test]
    fn imsis() {
        let n = ImsiNetworks::new(&["00", "01", "11"]);
        assert!(n.is_imsi(b"460001234567890"));
        assert!(n.is_imsi(b"460111234567890"));
        assert!(!n.is_imsi(b"460991234567890"));
        assert!(!n.is_imsi(b"310001234567890"));
        assert!(!n.is_imsi(b"46000123456789"));
    }

    #[test]
    fn groups() {
        let g = digit_groups(b"6222 0212 3456 7894 x", 0).unwrap();
        assert_eq!(
            (g.end, g.digits(), g.lens()),
            (19, &b"6222021234567894"[..], &[4, 4, 4, 4][..])
        );
        let g = digit_groups(b"35-209900-176148-1", 0).unwrap();
        assert_eq!(g.lens(), [2, 6, 6, 1]);
        let g = digit_groups(b"6222-0212 3456", 0).unwrap();
        assert_eq!(g.lens(), [4, 4], "a different separator ends the token");
        assert!(digit_groups(b"6222 0212a", 0).is_none());
        assert!(digit_groups(b"6222", 0).is_none());
        assert!(
            digit_groups(b"1 2 3 4 5 6", 0).is_none(),
            "more than 5 groups"
        );
    }
}
