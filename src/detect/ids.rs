//! Letter-led and alphanumeric identifiers: `uscc` (统一社会信用代码, GB 32100),
//! `cn_passport` (E/G passports) and `cn_travel_permit` (H/M permits for Hong
//! Kong and Macau residents), plus `email`. Passports and permits have no
//! check digit: they are weak evidence and need context.

use super::checksum::uscc_check_char;
use super::resident_id::RegionTable;
use super::DetectorId;

/// Whether an 18-character uppercase token is a unified social credit code:
/// check character, digits in 3-8 forming a known region code.
pub fn is_uscc(token: &[u8], regions: &RegionTable) -> bool {
    token.len() == 18
        && token[2..8].iter().all(u8::is_ascii_digit)
        && regions.contains(&token[2..8])
        && uscc_check_char(&token[..17]) == Some(token[17])
}

/// Classify a letters + digits token (`E12345678`, `EA1234567`, `H12345678`).
pub fn letter_document(letters: &[u8], digits: &[u8]) -> Option<DetectorId> {
    let upper = |i: usize| letters[i].to_ascii_uppercase();
    match (letters.len(), digits.len()) {
        (1, 8) if matches!(upper(0), b'E' | b'G') => Some(DetectorId::CnPassport),
        (2, 7)
            if upper(0) == b'E'
                && upper(1).is_ascii_uppercase()
                && !matches!(upper(1), b'I' | b'O') =>
        {
            Some(DetectorId::CnPassport)
        }
        (1, 8 | 10) if matches!(upper(0), b'H' | b'M') => Some(DetectorId::CnTravelPermit),
        _ => None,
    }
}

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-".contains(&b)
}

fn is_domain_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Every e-mail address in `t`: `(start, end, lower-cased address)`.
pub fn emails(t: &[u8], out: &mut Vec<(usize, usize, String)>) {
    for at in memchr::memchr_iter(b'@', t) {
        let mut s = at;
        while s > 0 && is_local_char(t[s - 1]) {
            s -= 1;
        }
        while s < at && !t[s].is_ascii_alphanumeric() {
            s += 1;
        }
        let mut e = at + 1;
        while e < t.len() && is_domain_char(t[e]) {
            e += 1;
        }
        while e > at + 1 && !t[e - 1].is_ascii_alphanumeric() {
            e -= 1;
        }
        if s == at || e <= at + 1 {
            continue;
        }
        let domain = &t[at + 1..e];
        let labels: Vec<&[u8]> = domain.split(|&b| b == b'.').collect();
        let tld = labels[labels.len() - 1];
        let ok = labels.len() >= 2
            && labels
                .iter()
                .all(|l| !l.is_empty() && l[0] != b'-' && l[l.len() - 1] != b'-')
            && tld.len() >= 2
            && tld.iter().all(u8::is_ascii_alphabetic)
            && !t[s..at].starts_with(b".")
            && !t[s..at].ends_with(b".");
        if ok {
            out.push((s, e, String::from_utf8_lossy(&t[s..e]).to_ascii_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uscc_vectors() {
        let regions = RegionTable::new(&[350100, 110108]);
        assert!(is_uscc(b"91350100M000100Y43", &regions));
        assert!(!is_uscc(b"91350100M000100Y44", &regions), "check character");
        assert!(!is_uscc(b"91350101M000100Y4X", &regions), "unknown region");
    }

    #[test]
    fn documents() {
        assert_eq!(
            letter_document(b"E", b"12345678"),
            Some(DetectorId::CnPassport)
        );
        assert_eq!(
            letter_document(b"EA", b"1234567"),
            Some(DetectorId::CnPassport)
        );
        assert_eq!(letter_document(b"EO", b"1234567"), None);
        assert_eq!(letter_document(b"eo", b"1234567"), None);
        assert_eq!(
            letter_document(b"ea", b"1234567"),
            Some(DetectorId::CnPassport)
        );
        assert_eq!(letter_document(b"E1", b"1234567"), None);
        assert_eq!(
            letter_document(b"H", b"1234567890"),
            Some(DetectorId::CnTravelPermit)
        );
        assert_eq!(letter_document(b"X", b"12345678"), None);
        assert_eq!(letter_document(b"E", b"1234567"), None);
    }

    fn addresses(t: &str) -> Vec<String> {
        let mut out = Vec::new();
        emails(t.as_bytes(), &mut out);
        out.into_iter().map(|e| e.2).collect()
    }

    #[test]
    fn email_vectors() {
        assert_eq!(
            addresses("mail: Zhang.San@Example.COM."),
            ["zhang.san@example.com"]
        );
        assert_eq!(
            addresses("<li.si+news@mail.example.cn>"),
            ["li.si+news@mail.example.cn"]
        );
        assert_eq!(
            addresses("邮箱：wang@example.com，谢谢"),
            ["wang@example.com"]
        );
        for bad in [
            "user@localhost",
            "a@b",
            "@example.com",
            "name@.com",
            "x@-a.com",
            "x@a.c0m",
        ] {
            assert!(addresses(bad).is_empty(), "{bad}");
        }
    }
}
