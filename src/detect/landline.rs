//! `cn_landline`: fixed-line numbers, 0 + area code + a 7-8 digit local number
//! whose first digit is 2-8. Formatted numbers stand on their own
//! (`010-62345678`, `(0755) 8866 2345`, `+86 21 6234 5678`); a bare run of
//! digits (`01062345678`) is weak evidence and needs context.

/// Known area codes (without the leading 0), from `patterns/area-codes.csv`.
#[derive(Debug)]
pub struct AreaCodes {
    known: Vec<bool>,
}

/// A landline-shaped token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandlineToken {
    /// First byte (a `(` or `+` of the form, if any).
    pub start: usize,
    /// One past the last digit.
    pub end: usize,
    /// Normalised national number: `0` + area code + local number.
    pub digits: String,
    /// Whether the number was written in a phone format (not a bare run).
    pub formatted: bool,
}

fn run_end(t: &[u8], from: usize) -> usize {
    from + t[from..].iter().take_while(|b| b.is_ascii_digit()).count()
}

fn is_sep(b: u8) -> bool {
    b == b'-' || b == b' '
}

/// No letter or digit follows, and no further space-separated digit group.
/// (`-` and digits after the number are an extension: allowed.)
fn ends_cleanly(t: &[u8], end: usize) -> bool {
    match t.get(end) {
        None => true,
        Some(b) if b.is_ascii_alphanumeric() => false,
        Some(b' ') => !t.get(end + 1).is_some_and(u8::is_ascii_digit),
        Some(_) => true,
    }
}

impl AreaCodes {
    /// Build from codes written with their leading 0 (`010`, `0755`).
    pub fn new<S: AsRef<str>>(codes: &[S]) -> Self {
        let mut known = vec![false; 1000];
        for c in codes {
            let c = c.as_ref();
            if let Some(n) = c.strip_prefix('0').and_then(|n| n.parse::<usize>().ok()) {
                if (10..1000).contains(&n) {
                    known[n] = true;
                }
            }
        }
        AreaCodes { known }
    }

    /// Whether `d` (digits, without the leading 0) is a known area code.
    pub fn is_area_code(&self, d: &[u8]) -> bool {
        (2..=3).contains(&d.len())
            && d.iter().all(u8::is_ascii_digit)
            && self.known[d.iter().fold(0usize, |a, b| a * 10 + usize::from(b - b'0'))]
    }

    /// Length of the area code (without the 0) of a national number `d`
    /// (starting with 0) whose rest is a valid local number.
    fn split(&self, d: &[u8]) -> Option<usize> {
        if d.first() != Some(&b'0') {
            return None;
        }
        [3, 2]
            .into_iter()
            .find(|&n| d.len() > n + 1 && self.is_area_code(&d[1..=n]) && is_local(&d[n + 1..]))
    }

    /// Parse a landline token whose first digit run starts at `s`.
    pub fn parse(&self, t: &[u8], s: usize) -> Option<LandlineToken> {
        let e = run_end(t, s);
        let run = &t[s..e];
        let plus = s > 0 && t[s - 1] == b'+';
        // +86 10 6234 5678, 0086-755-8866-2345: area code without its 0.
        if (run == b"86" && plus) || run == b"0086" {
            let sep = *t.get(e)?;
            if !is_sep(sep) {
                return None;
            }
            let a = e + 1;
            let ae = run_end(t, a);
            if !self.is_area_code(&t[a..ae]) || !t.get(ae).copied().is_some_and(is_sep) {
                return None;
            }
            let (end, local) = local_at(t, ae + 1)?;
            let start = if plus { s - 1 } else { s };
            let digits = format!("0{}{local}", String::from_utf8_lossy(&t[a..ae]));
            return Some(LandlineToken {
                start,
                end,
                digits,
                formatted: true,
            });
        }
        if run.first() != Some(&b'0') {
            return None;
        }
        // (010) 6234 5678, (0755)88662345
        let parens = s > 0 && t[s - 1] == b'(' && t.get(e) == Some(&b')');
        if parens || t.get(e).copied().is_some_and(is_sep) {
            if !self.is_area_code(&run[1..]) {
                return None;
            }
            let mut at = e + 1;
            if parens && t.get(at) == Some(&b' ') {
                at += 1;
            }
            if !t.get(at).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            let (end, local) = local_at(t, at)?;
            let start = if parens { s - 1 } else { s };
            let digits = format!("{}{local}", String::from_utf8_lossy(run));
            return Some(LandlineToken {
                start,
                end,
                digits,
                formatted: true,
            });
        }
        // A bare run: weak.
        if !(10..=12).contains(&run.len()) || !ends_cleanly(t, e) {
            return None;
        }
        self.split(run)?;
        Some(LandlineToken {
            start: s,
            end: e,
            digits: String::from_utf8_lossy(run).into_owned(),
            formatted: false,
        })
    }
}

/// A local number: 7-8 digits starting 2-8.
fn is_local(d: &[u8]) -> bool {
    (7..=8).contains(&d.len()) && (b'2'..=b'8').contains(&d[0]) && d.iter().all(u8::is_ascii_digit)
}

/// A local number at `at`: one run, or 3-4 digits + separator + 4 digits.
fn local_at(t: &[u8], at: usize) -> Option<(usize, String)> {
    let e1 = run_end(t, at);
    let mut d = t[at..e1].to_vec();
    let mut end = e1;
    if (3..=4).contains(&d.len()) && t.get(e1).copied().is_some_and(is_sep) {
        let e2 = run_end(t, e1 + 1);
        if e2 - (e1 + 1) == 4 {
            d.extend_from_slice(&t[e1 + 1..e2]);
            end = e2;
        }
    }
    (is_local(&d) && ends_cleanly(t, end)).then(|| (end, String::from_utf8_lossy(&d).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> AreaCodes {
        AreaCodes::new(&["010", "021", "0755", "0571"])
    }

    fn parse(text: &str) -> Option<(String, bool)> {
        let s = text.bytes().position(|b| b.is_ascii_digit())?;
        codes()
            .parse(text.as_bytes(), s)
            .map(|t| (t.digits, t.formatted))
    }

    #[test]
    fn forms_normalise_alike() {
        for t in [
            "010-62345678",
            "010 6234 5678",
            "(010) 6234 5678",
            "(010)62345678",
            "+86 10 6234 5678",
            "0086-10-62345678",
            "010-6234-5678",
        ] {
            assert_eq!(parse(t), Some(("01062345678".into(), true)), "{t}");
        }
        assert_eq!(
            parse("(0755) 8866 2345"),
            Some(("075588662345".into(), true))
        );
        assert_eq!(parse("05718823456"), Some(("05718823456".into(), false)));
        assert_eq!(parse("01062345678"), Some(("01062345678".into(), false)));
        assert_eq!(
            parse("010-62345678-801"),
            Some(("01062345678".into(), true)),
            "extension"
        );
    }

    #[test]
    fn not_landlines() {
        for t in [
            "0999-1234567",      // unknown area code
            "010-12345678",      // local starts with 1
            "010-623456789",     // local too long
            "010-623456",        // local too short
            "0106234567890",     // bare run too long
            "010-62345678 1234", // continues as a digit group
            "13812345678",       // a mobile number
        ] {
            assert_eq!(parse(t), None, "{t}");
        }
    }
}
