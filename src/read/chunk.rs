//! Bounded, streaming line reading over a decoded file.
//!
//! A [`TextReader`] reads the file in chunks of a fixed size, decodes each
//! chunk to UTF-8 (binary files pass through raw), and hands out one
//! [`Segment`] per line. Memory stays bounded whatever the file size: at most
//! one over-long line's worth of decoded bytes is held.
//!
//! A line longer than the line limit (a 100 MiB line without a newline) is cut
//! into overlapping windows. Each window *owns* the byte range in which a
//! match must start to be reported from it; the next window repeats `MARGIN`
//! bytes before its owned range (left context, so a digit run is never judged
//! from its middle) and every window extends `OVERLAP` bytes past its owned
//! range (right context). As long as a match is shorter than `OVERLAP -
//! MARGIN` bytes, it is found in exactly one window.

use encoding_rs::{CoderResult, Decoder, Encoding};
use std::io::{self, Read};
use std::ops::Range;

/// Bytes past the owned range of a window of an over-long line.
pub const OVERLAP: usize = 512;
/// Bytes of left context repeated before the owned range of the next window.
pub const MARGIN: usize = 128;
/// The shortest line limit, whatever the chunk size.
const MIN_LINE_LIMIT: usize = 4 * OVERLAP;

/// One line, or one window of an over-long line.
#[derive(Debug)]
pub struct Segment<'a> {
    /// The bytes (UTF-8 for text, raw for binary), without the line ending.
    pub text: &'a [u8],
    /// 1-based line number.
    pub line: u64,
    /// Characters of this line before `text[0]` (non-zero for later windows).
    pub chars_before: u64,
    /// Matches starting in this byte range of `text` belong to this segment.
    pub own: Range<usize>,
    /// Whether `text` is the whole line.
    pub whole: bool,
}

impl Segment<'_> {
    /// 1-based column (in characters; in bytes for binary data) of byte
    /// offset `at` of `text`.
    pub fn column(&self, at: usize, binary: bool) -> u64 {
        self.chars_before + count_chars(&self.text[..at.min(self.text.len())], binary) + 1
    }
}

fn count_chars(b: &[u8], binary: bool) -> u64 {
    if binary {
        b.len() as u64
    } else {
        b.iter().filter(|&&c| (c as i8) >= -0x40).count() as u64
    }
}

/// What reading the file found out besides its lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadStats {
    /// Raw bytes read from the file (including the head).
    pub bytes: u64,
    /// Whether invalid byte sequences were replaced with U+FFFD.
    pub replaced: bool,
    /// Line breaks read.
    pub newlines: u64,
}

/// Streaming line reader; see the module docs.
pub struct TextReader<R> {
    inner: R,
    head: Vec<u8>,
    complete: bool,
    /// UTF-8 is validated and copied (no decoder, no zero-filled output).
    utf8: bool,
    /// Incomplete UTF-8 sequence at the end of the previous chunk.
    carry: Vec<u8>,
    decoder: Option<Decoder>,
    /// Decoder output, reused across chunks.
    scratch: Vec<u8>,
    chunk: usize,
    line_limit: usize,
    buf: Vec<u8>,
    stats: ReadStats,
}

impl<R: Read> TextReader<R> {
    /// `head` holds bytes already read from `inner` (after any BOM),
    /// `head_len` how many raw bytes that was and `complete` whether that was
    /// the whole file; `encoding` is `None` for binary data.
    pub fn new(
        inner: R,
        head: Vec<u8>,
        head_len: u64,
        complete: bool,
        encoding: Option<&'static Encoding>,
        chunk: usize,
    ) -> Self {
        let chunk = chunk.max(1);
        let utf8 = encoding == Some(encoding_rs::UTF_8);
        TextReader {
            inner,
            head,
            complete,
            utf8,
            carry: Vec::new(),
            decoder: encoding
                .filter(|_| !utf8)
                .map(Encoding::new_decoder_without_bom_handling),
            scratch: Vec::new(),
            chunk,
            line_limit: chunk.max(MIN_LINE_LIMIT),
            buf: Vec::new(),
            stats: ReadStats {
                bytes: head_len,
                replaced: false,
                newlines: 0,
            },
        }
    }

    /// Call `f` for every line (or window of an over-long line), in order.
    /// An I/O error ends the reading; segments already handed out stay valid.
    pub fn for_each_segment(mut self, mut f: impl FnMut(Segment<'_>)) -> io::Result<ReadStats> {
        let binary = self.decoder.is_none() && !self.utf8;
        let head = std::mem::take(&mut self.head);
        let mut raw: Vec<u8> = Vec::new();
        let mut first = true;
        let mut eof;
        let (mut line, mut chars_before, mut own_from) = (1u64, 0u64, 0usize);
        loop {
            if first {
                first = false;
                eof = self.complete;
                self.decode(&head, eof);
            } else {
                if raw.is_empty() {
                    raw = vec![0; self.chunk];
                }
                let n = read_some(&mut self.inner, &mut raw)?;
                self.stats.bytes += n as u64;
                eof = n == 0;
                self.decode(&raw[..n], eof);
            }
            let mut pos = 0;
            // The rest of a line: owned from `own_from` to its end.
            let line_end = |text, line, chars_before, own_from: usize| Segment {
                text,
                line,
                chars_before,
                own: own_from..text.len(),
                whole: chars_before == 0 && own_from == 0,
            };
            while let Some(k) = memchr::memchr(b'\n', &self.buf[pos..]) {
                let text = strip_cr(&self.buf[pos..pos + k]);
                f(line_end(text, line, chars_before, own_from));
                (line, chars_before, own_from) = (line + 1, 0, 0);
                pos += k + 1;
            }
            if eof {
                self.stats.newlines = line - 1;
                if pos < self.buf.len() {
                    let text = strip_cr(&self.buf[pos..]);
                    f(line_end(text, line, chars_before, own_from));
                }
                return Ok(self.stats);
            }
            self.buf.drain(..pos);
            if self.buf.len() >= self.line_limit {
                let len = self.buf.len();
                let cut = char_floor(&self.buf, len - OVERLAP, binary);
                f(Segment {
                    text: &self.buf,
                    line,
                    chars_before,
                    own: own_from..cut,
                    whole: false,
                });
                let keep = char_floor(&self.buf, cut - MARGIN, binary);
                chars_before += count_chars(&self.buf[..keep], binary);
                self.buf.drain(..keep);
                own_from = cut - keep;
            }
        }
    }

    fn decode(&mut self, src: &[u8], last: bool) {
        let start = self.buf.len();
        if self.utf8 {
            self.push_utf8(src, last);
        } else if let Some(decoder) = &mut self.decoder {
            let need = decoder
                .max_utf8_buffer_length(src.len())
                .unwrap_or(src.len() * 3 + 16);
            if self.scratch.len() < need {
                self.scratch.resize(need, 0);
            }
            let mut src = src;
            loop {
                let (result, read, written, replaced) =
                    decoder.decode_to_utf8(src, &mut self.scratch, last);
                self.buf.extend_from_slice(&self.scratch[..written]);
                self.stats.replaced |= replaced;
                src = &src[read..];
                if result == CoderResult::InputEmpty {
                    break;
                }
            }
        } else {
            self.buf.extend_from_slice(src);
            return;
        }
        fold_fullwidth(&mut self.buf, start);
    }

    /// Validate and append UTF-8, replacing invalid sequences with U+FFFD and
    /// holding back a sequence cut by the chunk end.
    fn push_utf8(&mut self, src: &[u8], last: bool) {
        let joined;
        let mut data = src;
        if !self.carry.is_empty() {
            let mut j = std::mem::take(&mut self.carry);
            j.extend_from_slice(src);
            joined = j;
            data = &joined;
        }
        loop {
            // SIMD validation first; std only to locate an error.
            if simdutf8::basic::from_utf8(data).is_ok() {
                self.buf.extend_from_slice(data);
                return;
            }
            match std::str::from_utf8(data) {
                Ok(_) => {
                    self.buf.extend_from_slice(data);
                    return;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    self.buf.extend_from_slice(&data[..valid]);
                    match e.error_len() {
                        None if !last => {
                            self.carry = data[valid..].to_vec();
                            return;
                        }
                        None => {
                            self.buf.extend_from_slice("\u{FFFD}".as_bytes());
                            self.stats.replaced = true;
                            return;
                        }
                        Some(len) => {
                            self.buf.extend_from_slice("\u{FFFD}".as_bytes());
                            self.stats.replaced = true;
                            data = &data[valid + len..];
                        }
                    }
                }
            }
        }
    }
}

/// Fold the full-width forms that values are written with (digits `１３８`,
/// letters `Ｅ`/`ｘ`, and `＋ － （ ） ： ＝ ． ＠`) and the ideographic space
/// (U+3000) in `buf[from..]` to ASCII, in place. One character stays one
/// character, so line and column numbers are unchanged. Full-width
/// punctuation that could split fields (`，` `；` `｜`) is left alone.
pub fn fold_fullwidth(buf: &mut Vec<u8>, from: usize) {
    let Some(first) = memchr::memchr2(0xEF, 0xE3, &buf[from..]) else {
        return;
    };
    let (mut r, mut w) = (from + first, from + first);
    loop {
        match fold_at(&buf[r..]) {
            Some(a) => {
                buf[w] = a;
                r += 3;
            }
            None => {
                buf[w] = buf[r];
                r += 1;
            }
        }
        w += 1;
        let next = memchr::memchr2(0xEF, 0xE3, &buf[r..]).unwrap_or(buf.len() - r);
        if w != r {
            buf.copy_within(r..r + next, w);
        }
        (r, w) = (r + next, w + next);
        if r >= buf.len() {
            break;
        }
    }
    buf.truncate(w);
}

/// The ASCII form of the full-width character starting `b`, if folded.
fn fold_at(b: &[u8]) -> Option<u8> {
    match *b {
        [0xEF, 0xBC, c, ..] if matches!(c, 0x90..=0x99 | 0xA0..=0xBA | 0x88 | 0x89 | 0x8B | 0x8D | 0x8E | 0x9A | 0x9D) => {
            Some(c - 0x60)
        }
        [0xEF, 0xBD, c, ..] if (0x81..=0x9A).contains(&c) => Some(c - 0x20),
        [0xE3, 0x80, 0x80, ..] => Some(b' '),
        _ => None,
    }
}

/// Read once, retrying on `Interrupted`.
fn read_some(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The largest char boundary at or before `at` (any byte for binary data).
fn char_floor(b: &[u8], mut at: usize, binary: bool) -> usize {
    if !binary {
        while at > 0 && (b[at] as i8) < -0x40 {
            at -= 1;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, owned text) of every segment of `data` read with chunk `chunk`.
    fn segments(data: &[u8], chunk: usize) -> Vec<(u64, String, bool)> {
        let mut out = Vec::new();
        TextReader::new(data, Vec::new(), 0, false, Some(encoding_rs::UTF_8), chunk)
            .for_each_segment(|s| {
                out.push((
                    s.line,
                    String::from_utf8_lossy(&s.text[s.own.clone()]).into_owned(),
                    s.whole,
                ))
            })
            .unwrap();
        out
    }

    #[test]
    fn lines_whatever_the_chunk_size() {
        let data = "a\r\nbb\n\n手机号\nlast";
        let want = vec![
            (1, "a".to_string(), true),
            (2, "bb".into(), true),
            (3, "".into(), true),
            (4, "手机号".into(), true),
            (5, "last".into(), true),
        ];
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            assert_eq!(segments(data.as_bytes(), chunk), want, "chunk {chunk}");
        }
    }

    #[test]
    fn over_long_line_windows_own_disjoint_ranges_covering_the_line() {
        let line: String = (0..20_000)
            .map(|i| if i % 7 == 0 { '号' } else { 'x' })
            .collect();
        let data = format!("{line}\nnext\n");
        let segs = segments(data.as_bytes(), 100);
        let owned: String = segs
            .iter()
            .filter(|s| s.0 == 1)
            .map(|s| s.1.as_str())
            .collect();
        assert_eq!(owned, line);
        assert!(segs.iter().filter(|s| s.0 == 1).count() > 3);
        assert_eq!(segs.last().unwrap(), &(2, "next".to_string(), true));
    }

    #[test]
    fn columns_count_characters_across_windows() {
        let line = format!("{}ZZ", "号".repeat(5000));
        let mut col = None;
        TextReader::new(
            line.as_bytes(),
            Vec::new(),
            0,
            false,
            Some(encoding_rs::UTF_8),
            64,
        )
        .for_each_segment(|s| {
            if let Some(p) = s.text.iter().position(|&b| b == b'Z') {
                if s.own.contains(&p) {
                    col = Some(s.column(p, false));
                }
            }
        })
        .unwrap();
        assert_eq!(col, Some(5001));
    }

    #[test]
    fn full_width_forms_fold_to_ascii() {
        let mut b = "手机：１３８－１２３４－５６７８　Ｘｘ＋（）＠"
            .as_bytes()
            .to_vec();
        fold_fullwidth(&mut b, 0);
        assert_eq!(String::from_utf8(b).unwrap(), "手机:138-1234-5678 Xx+()@");
        let mut plain = "身份证号码".as_bytes().to_vec();
        fold_fullwidth(&mut plain, 0);
        assert_eq!(plain, "身份证号码".as_bytes());
    }

    #[test]
    fn invalid_utf8_is_replaced_and_cut_sequences_are_joined() {
        let mut data = "号码".as_bytes().to_vec();
        data.insert(3, 0xFF);
        data.extend_from_slice(b"\n");
        for chunk in [1, 2, 4, 64] {
            let mut out = Vec::new();
            let stats = TextReader::new(
                &data[..],
                Vec::new(),
                0,
                false,
                Some(encoding_rs::UTF_8),
                chunk,
            )
            .for_each_segment(|s| out.push(String::from_utf8(s.text.to_vec()).unwrap()))
            .unwrap();
            assert_eq!(out, ["号\u{FFFD}码"], "chunk {chunk}");
            assert!(stats.replaced);
        }
    }

    #[test]
    fn gbk_is_decoded_across_chunk_boundaries() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("身份证号码\n手机");
        let mut out = Vec::new();
        TextReader::new(
            &bytes[..],
            Vec::new(),
            0,
            false,
            Some(encoding_rs::GB18030),
            3,
        )
        .for_each_segment(|s| out.push(String::from_utf8(s.text.to_vec()).unwrap()))
        .unwrap();
        assert_eq!(out, ["身份证号码", "手机"]);
    }
}
