//! Masking of values for every output: enough digits to recognise a value
//! when you already know it, never enough to recover it.

use crate::detect::DetectorId;

/// Stars to copy from (a masked run is written with `push_str`, not a
/// character at a time).
const STARS: &str = "********************************";

fn push_stars(out: &mut String, mut n: usize) {
    while n > 0 {
        let k = n.min(STARS.len());
        out.push_str(&STARS[..k]);
        n -= k;
    }
}

/// Characters of `v` (bytes when ASCII, as nearly every value is).
fn char_len(v: &str) -> usize {
    if v.is_ascii() {
        v.len()
    } else {
        v.chars().count()
    }
}

/// Keep the first `head` and last `tail` characters, star the rest. A value
/// too short to keep both is starred except for its last two characters.
fn keep(v: &str, head: usize, tail: usize) -> String {
    let mut out = String::with_capacity(v.len());
    keep_into(&mut out, v, head, tail);
    out
}

/// [`keep`], appended to `out`. (Listed findings are masked in the
/// workers, a million for a large share: a few allocations and a push per
/// star made masking cost as much as the keyed fingerprint.)
fn keep_into(out: &mut String, v: &str, head: usize, tail: usize) {
    // ASCII is masked by byte ranges, anything else by characters; the
    // rule is the same.
    let ascii = v.is_ascii();
    let n = if ascii { v.len() } else { v.chars().count() };
    let (head, tail) = if n > head + tail {
        (head, tail)
    } else {
        (0, n.min(2) / 2)
    };
    if ascii {
        out.push_str(&v[..head]);
        push_stars(out, n - head - tail);
        out.push_str(&v[n - tail..]);
        return;
    }
    out.extend(
        v.chars()
            .enumerate()
            .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' }),
    );
}

/// A phone number of any length, appended to `out`: `138****5678`, `01****78`.
fn phone_into(out: &mut String, digits: &str) {
    match char_len(digits) {
        n if n >= 11 => keep_into(out, digits, 3, 4),
        n if n >= 7 => keep_into(out, digits, 2, 2),
        _ => keep_into(out, digits, 0, 2),
    }
}

/// `z***@example.com`: the first character of the local part and the domain.
fn email(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => keep(value, 0, 2),
    }
}

/// The masked form of a normalised value.
pub fn mask(d: DetectorId, value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    mask_into(&mut out, d, value);
    out
}

/// [`mask`], appended to `out` (a buffer reused for the findings of a file).
pub fn mask_into(out: &mut String, d: DetectorId, value: &str) {
    match d {
        DetectorId::CnResidentId => keep_into(out, value, 6, 4),
        DetectorId::CnMobile | DetectorId::CnLandline => phone_into(out, value),
        DetectorId::Imsi => keep_into(out, value, 5, 2),
        DetectorId::Imei => keep_into(out, value, 4, 2),
        DetectorId::Iccid | DetectorId::BankCard | DetectorId::Uscc => keep_into(out, value, 6, 4),
        DetectorId::CnPassport | DetectorId::CnTravelPermit => keep_into(out, value, 1, 3),
        DetectorId::Email => out.push_str(&email(value)),
        DetectorId::CdrRecord => {
            let (caller, rest) = split_bar(value);
            let (callee, _) = split_bar(rest);
            phone_into(out, caller);
            out.push_str(" -> ");
            phone_into(out, callee);
        }
    }
}

/// `v` cut at its first `|` (a byte loop: a `str` pattern search costs more
/// than these short values).
fn split_bar(v: &str) -> (&str, &str) {
    match v.bytes().position(|b| b == b'|') {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        let t = [
            (
                DetectorId::CnResidentId,
                "11010119900307109X",
                "110101********109X",
            ),
            (
                DetectorId::CnResidentId,
                "110101900307123",
                "110101*****7123",
            ),
            (DetectorId::CnMobile, "13812345678", "138****5678"),
            (
                DetectorId::CdrRecord,
                "13812345678|10086|2024-03-01 10:00",
                "138****5678 -> ***86",
            ),
            (
                DetectorId::CdrRecord,
                "13812345678|01062345678|",
                "138****5678 -> 010****5678",
            ),
        ];
        for (d, v, want) in t {
            assert_eq!(mask(d, v), want, "{v}");
        }
    }

    #[test]
    fn short_values_keep_at_most_one_character() {
        assert_eq!(keep("12", 3, 4), "*2");
        assert_eq!(keep("", 3, 4), "");
        assert_eq!(keep("号", 3, 4), "*");
        assert_eq!(keep("号码", 3, 4), "*码");
    }

    #[test]
    fn ascii_and_other_values_are_masked_alike() {
        // By characters: the non-ASCII path is the reference.
        // The last value stars more characters than `STARS` holds.
        let long = "abcdefghijklmnopqrstuvwxyz".repeat(3);
        for (v, head, tail) in [
            ("abcdefghij", 3, 4),
            ("abc", 1, 1),
            ("abcdefg", 2, 2),
            (long.as_str(), 1, 3),
        ] {
            let wide: String = v
                .chars()
                .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
                .collect();
            let masked: String = keep(&wide, head, tail)
                .chars()
                .map(|c| {
                    if c == '*' {
                        c
                    } else {
                        char::from_u32(c as u32 - 0xFEE0).unwrap()
                    }
                })
                .collect();
            assert_eq!(keep(v, head, tail), masked, "{v}");
        }
    }
}
