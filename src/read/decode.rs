//! Encoding sniffing, by fixed rules (documented for users in the README):
//!
//! 1. A byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE) and is stripped.
//! 2. NUL bytes on alternating positions mean UTF-16 without a BOM (Windows
//!    exports look like this; a plain NUL test would call them binary).
//! 3. Any other NUL byte in the head means binary: scanned raw for ASCII.
//! 4. Valid UTF-8 is UTF-8.
//! 5. Text that decodes as GB18030 (a superset of GBK and GB2312) without
//!    errors is GB18030, unless `chardetng` is confident it is Big5.
//! 6. Otherwise `chardetng` guesses (Big5, Shift_JIS, …); the file is decoded
//!    with replacement characters and the report says so.

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};

/// The decision for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// The text encoding, or `None` for binary data.
    pub encoding: Option<&'static Encoding>,
    /// Length of the byte-order mark to skip.
    pub bom_len: usize,
    /// Bytes at the start of the head found to be valid UTF-8 while
    /// sniffing (the reader need not check them again).
    pub utf8_checked: usize,
}

/// Bytes of the head checked against legacy encodings.
const PROBE: usize = 16 * 1024;

/// Bytes given to `chardetng` to tell Big5 from GB18030.
const GUESS: usize = 4 * 1024;

/// Bytes of the head looked at for the NUL patterns.
const NUL_WINDOW: usize = 8 * 1024;

/// Decide how to read a file from its first bytes. `complete` says the head
/// is the whole file (so a multi-byte sequence cut at its end is an error).
pub fn sniff(head: &[u8], complete: bool) -> Sniffed {
    if let Some((enc, bom_len)) = Encoding::for_bom(head) {
        return Sniffed {
            encoding: Some(enc),
            bom_len,
            utf8_checked: 0,
        };
    }
    let text = |enc| Sniffed {
        encoding: Some(enc),
        bom_len: 0,
        utf8_checked: 0,
    };
    let utf8 = |checked| Sniffed {
        utf8_checked: checked,
        ..text(UTF_8)
    };
    let window = &head[..head.len().min(NUL_WINDOW)];
    // Text without NULs (nearly every file) is neither UTF-16 nor binary.
    if memchr::memchr(0, window).is_some() {
        if let Some(enc) = utf16_without_bom(window) {
            return text(enc);
        }
        return Sniffed {
            encoding: None,
            bom_len: 0,
            utf8_checked: 0,
        };
    }
    if simdutf8::basic::from_utf8(head).is_ok() {
        return utf8(head.len());
    }
    match std::str::from_utf8(head) {
        Ok(_) => return utf8(head.len()),
        // Cut inside a multi-byte character at the end of the head.
        Err(e) if e.error_len().is_none() && !complete => return utf8(e.valid_up_to()),
        Err(_) => {}
    }
    // The legacy-encoding checks look at the first 16 KiB: enough to decide,
    // and chardetng is slow (it ran on every GBK file head once: 60 % of a
    // scan of GBK shares).
    let probe_len = head.len().min(PROBE);
    let (probe, probe_complete) = (&head[..probe_len], complete && probe_len == head.len());
    if decodes_cleanly(GB18030, probe, probe_complete) {
        // Big5 text often also decodes as GB18030 (GBK text rarely decodes as
        // Big5): when both do, trust a confident Big5 guess.
        if has_low_trail_bytes(probe) && decodes_cleanly(encoding_rs::BIG5, probe, probe_complete) {
            let guess_len = probe.len().min(GUESS);
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(
                &probe[..guess_len],
                probe_complete && guess_len == probe.len(),
            );
            if let (encoding @ &encoding_rs::Encoding { .. }, true) =
                detector.guess_assess(None, true)
            {
                if encoding == encoding_rs::BIG5 {
                    return text(encoding);
                }
            }
        }
        return text(GB18030);
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(probe, probe_complete);
    text(detector.guess(None, true))
}

/// Whether a double-byte pair has its trail byte in 0x40..0x7F: common in
/// Big5, absent from GB2312 text (both bytes 0xA1..0xFE), so simplified
/// Chinese never reaches the slow Big5 check.
fn has_low_trail_bytes(b: &[u8]) -> bool {
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] >= 0x81 {
            if (0x40..0x7F).contains(&b[i + 1]) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// A short display name for reports: `UTF-8`, `GB18030`, `UTF-16LE`, `binary`.
pub fn label(encoding: Option<&'static Encoding>) -> &'static str {
    match encoding {
        None => "binary",
        Some(e) if e == GB18030 || e == encoding_rs::GBK => "GB18030",
        Some(e) => e.name(),
    }
}

fn utf16_without_bom(w: &[u8]) -> Option<&'static Encoding> {
    let pairs = w.len() / 2;
    if pairs < 4 {
        return None;
    }
    let even = w.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd = w.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    // ASCII-range characters in UTF-16LE put their NUL on odd positions.
    if odd * 5 >= pairs && even * 20 < pairs {
        Some(UTF_16LE)
    } else if even * 5 >= pairs && odd * 20 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

fn decodes_cleanly(enc: &'static Encoding, head: &[u8], complete: bool) -> bool {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(head.len())
        .unwrap_or(head.len() * 4);
    let mut out = String::with_capacity(capacity);
    // An incomplete character at the end of a partial head is held back by the
    // decoder, not reported as malformed.
    let (result, _) = decoder.decode_to_string_without_replacement(head, &mut out, complete);
    !matches!(result, DecoderResult::Malformed(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn utf16be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn decode_rules_in_order() {
        let gbk = GB18030
            .encode("身份证号码,手机号码\n张三,110101199003071233")
            .0
            .into_owned();
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice("手机".as_bytes());
        let mut bom16 = vec![0xFF, 0xFE];
        bom16.extend(utf16le("手机 13812345678"));
        let big5 = encoding_rs::BIG5
            .encode("姓名,身份證號碼,手機號碼\n陳大文,110101199003071233,13812345678\n客服回訪：聯繫電話已核實，資料無誤。")
            .0
            .into_owned();
        let t: Vec<(&str, Vec<u8>, &str, usize)> = vec![
            ("utf-8 BOM", bom8, "UTF-8", 3),
            ("utf-16le BOM", bom16, "UTF-16LE", 2),
            (
                "utf-16le no BOM",
                utf16le("id,phone\n1,13812345678"),
                "UTF-16LE",
                0,
            ),
            (
                "utf-16be no BOM",
                utf16be("id,phone\n1,13812345678"),
                "UTF-16BE",
                0,
            ),
            (
                "binary",
                b"SQLite format 3\0\0\x01\x02abc 110101199003071233".to_vec(),
                "binary",
                0,
            ),
            ("utf-8", "手机 13812345678".as_bytes().to_vec(), "UTF-8", 0),
            ("ascii", b"plain ascii".to_vec(), "UTF-8", 0),
            ("gbk", gbk, "GB18030", 0),
            ("big5", big5, "Big5", 0),
        ];
        for (what, bytes, want, bom) in t {
            let s = sniff(&bytes, true);
            assert_eq!((label(s.encoding), s.bom_len), (want, bom), "{what}");
        }
    }

    #[test]
    fn utf8_cut_at_the_end_of_a_partial_head_is_still_utf8() {
        let bytes = "号码号码".as_bytes();
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(label(sniff(cut, false).encoding), "UTF-8");
    }
}
