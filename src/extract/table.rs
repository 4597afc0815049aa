//! Delimited-table helpers: delimiter sniffing and a quote-aware field
//! splitter that returns byte ranges (the `csv` crate yields unescaped field
//! contents but not their offsets in the line, which findings need).

use crate::bytes::Positions;
use std::ops::Range;

/// Candidate delimiters, in order of preference on a tie.
const DELIMITERS: [u8; 4] = [b',', b'\t', b'|', b';'];

/// The delimiter occurring most often (outside quotes) in a header line, if
/// it splits the line into at least three fields (two for tab).
pub fn sniff_delimiter(line: &[u8]) -> Option<u8> {
    let mut best: Option<(u8, usize)> = None;
    for d in DELIMITERS {
        let mut in_quotes = false;
        let mut count = 0;
        for &b in line {
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == d && !in_quotes {
                count += 1;
            }
        }
        let needed = if d == b'\t' { 1 } else { 2 };
        if count >= needed && best.is_none_or(|(_, c)| count > c) {
            best = Some((d, count));
        }
    }
    best.map(|(d, _)| d)
}

/// Split `line` at `delimiter` outside double quotes; ranges include quotes.
pub fn split_fields(line: &[u8], delimiter: u8, out: &mut Vec<Range<usize>>) {
    out.clear();
    let mut start = 0;
    let mut in_quotes = false;
    for i in Positions::new(line, delimiter, b'"') {
        if line[i] == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            out.push(start..i);
            start = i + 1;
        }
    }
    out.push(start..line.len());
}

/// A cell without surrounding whitespace, double quotes and the single quote
/// spreadsheets use to force text (`'13812345678`).
pub fn trim_cell(cell: &[u8]) -> &[u8] {
    let pad = |b: &u8| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'';
    let start = cell.iter().position(|b| !pad(b)).unwrap_or(cell.len());
    let end = cell.iter().rposition(|b| !pad(b)).map_or(start, |e| e + 1);
    &cell[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_protect_delimiters() {
        let mut out = Vec::new();
        split_fields(br#"a,"b,c",d"#, b',', &mut out);
        assert_eq!(out, [0..1, 2..7, 8..9]);
        split_fields(b"", b',', &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0], 0..0);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff_delimiter(b"a,b,c"), Some(b','));
        assert_eq!(sniff_delimiter(b"a|b|c|d,e"), Some(b'|'));
        assert_eq!(sniff_delimiter(b"a\tb"), Some(b'\t'));
        assert_eq!(sniff_delimiter(b"a, b"), None);
        assert_eq!(sniff_delimiter(br#""a,b,c",d"#), None);
    }

    #[test]
    fn trimming() {
        assert_eq!(
            trim_cell(r#"  "身份证号" "#.as_bytes()),
            "身份证号".as_bytes()
        );
        assert_eq!(trim_cell(b"   "), b"");
    }
}
