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
use wide::u8x16;

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
///
/// Bytes are read (or decoded) straight into one buffer, `buf[start..end]`
/// holding what is not yet handed out; `buf[start..valid]` is checked UTF-8
/// with full-width forms folded, `buf[valid..end]` at most the start of a
/// character cut by the chunk end. Only the unfinished line is ever moved.
pub struct TextReader<R> {
    inner: R,
    head: Vec<u8>,
    complete: bool,
    /// UTF-8 is validated in place (no decoder).
    utf8: bool,
    decoder: Option<Decoder>,
    /// Raw bytes before decoding (legacy encodings only), reused.
    raw: Vec<u8>,
    chunk: usize,
    line_limit: usize,
    buf: Vec<u8>,
    start: usize,
    valid: usize,
    end: usize,
    /// Bytes at the start of the head already known to be valid UTF-8.
    head_checked: usize,
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
            decoder: encoding
                .filter(|_| !utf8)
                .map(Encoding::new_decoder_without_bom_handling),
            raw: Vec::new(),
            chunk,
            line_limit: chunk.max(MIN_LINE_LIMIT),
            buf: Vec::new(),
            start: 0,
            valid: 0,
            end: 0,
            head_checked: 0,
            stats: ReadStats {
                bytes: head_len,
                replaced: false,
                newlines: 0,
            },
        }
    }

    /// Say that the first `n` bytes of the head are valid UTF-8 (the sniffer
    /// checked them), so they are not validated again.
    pub fn with_checked_head(mut self, n: usize) -> Self {
        self.head_checked = n.min(self.head.len());
        self
    }

    /// Call `f` for every line (or window of an over-long line), in order.
    /// An I/O error ends the reading; segments already handed out stay valid.
    pub fn for_each_segment(mut self, mut f: impl FnMut(Segment<'_>)) -> io::Result<ReadStats> {
        let binary = self.decoder.is_none() && !self.utf8;
        let mut first = true;
        let mut eof;
        let (mut line, mut chars_before, mut own_from) = (1u64, 0u64, 0usize);
        loop {
            if first {
                first = false;
                eof = self.complete;
                self.take_head(eof);
            } else {
                eof = self.fill()?;
            }
            // The rest of a line: owned from `own_from` to its end.
            let line_end = |text, line, chars_before, own_from: usize| Segment {
                text,
                line,
                chars_before,
                own: own_from..text.len(),
                whole: chars_before == 0 && own_from == 0,
            };
            let mut pos = self.start;
            while let Some(k) = memchr::memchr(b'\n', &self.buf[pos..self.valid]) {
                let text = strip_cr(&self.buf[pos..pos + k]);
                f(line_end(text, line, chars_before, own_from));
                (line, chars_before, own_from) = (line + 1, 0, 0);
                pos += k + 1;
            }
            self.start = pos;
            if eof {
                self.stats.newlines = line - 1;
                if pos < self.valid {
                    let text = strip_cr(&self.buf[pos..self.valid]);
                    f(line_end(text, line, chars_before, own_from));
                }
                return Ok(self.stats);
            }
            let pending = &self.buf[self.start..self.valid];
            if pending.len() >= self.line_limit {
                let len = pending.len();
                let cut = char_floor(pending, len - OVERLAP, binary);
                f(Segment {
                    text: pending,
                    line,
                    chars_before,
                    own: own_from..cut,
                    whole: false,
                });
                let keep = char_floor(pending, cut - MARGIN, binary);
                chars_before += count_chars(&pending[..keep], binary);
                self.start += keep;
                own_from = cut - keep;
            }
        }
    }

    /// Take the head as the first data (no copy when it needs no decoding).
    fn take_head(&mut self, last: bool) {
        let head = std::mem::take(&mut self.head);
        if self.decoder.is_some() {
            self.decode(&head, last);
        } else {
            self.end = head.len();
            self.buf = head;
            self.check_new(last);
        }
    }

    /// Read one chunk into the buffer; `true` at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.decoder.is_some() {
            let mut raw = std::mem::take(&mut self.raw);
            raw.resize(self.chunk, 0);
            let n = read_some(&mut self.inner, &mut raw)?;
            self.stats.bytes += n as u64;
            self.decode(&raw[..n], n == 0);
            self.raw = raw;
            return Ok(n == 0);
        }
        self.make_room(self.chunk);
        let n = read_some(
            &mut self.inner,
            &mut self.buf[self.end..self.end + self.chunk],
        )?;
        self.stats.bytes += n as u64;
        self.end += n;
        self.check_new(n == 0);
        Ok(n == 0)
    }

    /// Make `buf[end..end + need]` writable: move the unfinished line to the
    /// front, growing the buffer only if that is not enough.
    fn make_room(&mut self, need: usize) {
        if self.buf.len() - self.end < need && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            (self.valid, self.end) = (self.valid - self.start, self.end - self.start);
            self.start = 0;
        }
        if self.buf.len() - self.end < need {
            self.buf.resize(self.end + need, 0);
        }
    }

    /// Decode `src` (a legacy encoding) into the buffer.
    fn decode(&mut self, src: &[u8], last: bool) {
        let Some(mut decoder) = self.decoder.take() else {
            return;
        };
        let mut src = src;
        loop {
            let need = decoder
                .max_utf8_buffer_length(src.len())
                .unwrap_or(src.len() * 3 + 16)
                .max(4);
            self.make_room(need);
            let (result, read, written, replaced) =
                decoder.decode_to_utf8(src, &mut self.buf[self.end..], last);
            self.end += written;
            self.stats.replaced |= replaced;
            src = &src[read..];
            if result == CoderResult::InputEmpty {
                break;
            }
        }
        self.decoder = Some(decoder);
        self.valid = self.fold(self.valid, self.end);
    }

    /// Check the bytes after `valid`: UTF-8 is validated (invalid sequences
    /// replaced with U+FFFD, a sequence cut by the chunk end held back) and
    /// folded; binary data passes as it is.
    fn check_new(&mut self, last: bool) {
        if !self.utf8 {
            self.valid = self.end;
            return;
        }
        let from = self.valid;
        // The head's prefix checked by the sniffer is only folded.
        let known = std::mem::take(&mut self.head_checked);
        let new = &self.buf[from + known..self.end];
        // SIMD validation first; std only to locate an error.
        let good = known
            + if simdutf8::basic::from_utf8(new).is_ok() {
                new.len()
            } else {
                match std::str::from_utf8(new) {
                    Ok(_) => new.len(),
                    Err(e) if e.error_len().is_none() && !last => e.valid_up_to(),
                    Err(_) => return self.repair(from, last),
                }
            };
        self.valid = self.fold(from, from + good);
    }

    /// Slow path of `check_new` for invalid UTF-8: rebuild the unchecked
    /// bytes with replacement characters.
    fn repair(&mut self, from: usize, last: bool) {
        let mut data = self.buf[from..self.end].to_vec();
        (self.valid, self.end) = (from, from);
        let mut out = Vec::with_capacity(data.len() + 8);
        let mut held = 0;
        loop {
            match std::str::from_utf8(&data) {
                Ok(_) => {
                    out.extend_from_slice(&data);
                    break;
                }
                Err(e) => {
                    let ok = e.valid_up_to();
                    out.extend_from_slice(&data[..ok]);
                    match e.error_len() {
                        None if !last => {
                            held = data.len() - ok;
                            out.extend_from_slice(&data[ok..]);
                            break;
                        }
                        None => {
                            out.extend_from_slice("\u{FFFD}".as_bytes());
                            self.stats.replaced = true;
                            break;
                        }
                        Some(len) => {
                            out.extend_from_slice("\u{FFFD}".as_bytes());
                            self.stats.replaced = true;
                            data.drain(..ok + len);
                        }
                    }
                }
            }
        }
        // Making room may move the unfinished line (and `from`) to the front.
        self.make_room(out.len());
        let from = self.end;
        self.buf[from..from + out.len()].copy_from_slice(&out);
        self.end = from + out.len();
        self.valid = self.fold(from, self.end - held);
    }

    /// Fold full-width forms in `buf[from..to]`, closing the gap left by
    /// shorter forms (the bytes after `to` move along); returns where the
    /// folded bytes end.
    fn fold(&mut self, from: usize, to: usize) -> usize {
        let n = fold_fullwidth(&mut self.buf[from..to]);
        if from + n < to {
            self.buf.copy_within(to..self.end, from + n);
            self.end -= to - (from + n);
        }
        from + n
    }
}

/// Fold the full-width forms that values are written with (digits `１３８`,
/// letters `Ｅ`/`ｘ`, and `＋ － （ ） ： ＝ ． ＠`) and the ideographic space
/// (U+3000) in `buf` to ASCII, in place; returns the new length (the folded
/// text is `buf[..len]`). One character stays one character, so line and
/// column numbers are unchanged. Full-width punctuation that could split
/// fields (`，` `；` `｜`) is left alone.
pub fn fold_fullwidth(buf: &mut [u8]) -> usize {
    // `buf[..w]` is the folded text so far; `buf[r..]` is unchanged (writes
    // stay behind `r`); lead bytes (`0xEF`, `0xE3`) before `at` are seen.
    // Where leads are far apart (logs, exports) `memchr2` finds each one.
    // Chinese prose has one every few characters (`，` `。` `：`), and a
    // `memchr2` restarted after each cost a twentieth of a prose scan:
    // after two close ones, each 64-byte block's leads come from one mask
    // and are looked at bit by bit, until a block without any. (Blocks
    // alone, with `memchr2` only after empty ones, cost more on logs.)
    let len = buf.len();
    let (mut r, mut w, mut at) = (0, 0, 0);
    let (mut last, mut close) = (0, 0);
    'search: while let Some(off) = buf
        .get(at.max(r)..)
        .and_then(|rest| memchr::memchr2(0xEF, 0xE3, rest))
    {
        let p = at.max(r) + off;
        fold_one(buf, p, &mut r, &mut w);
        at = p + 1;
        close = if p < last + CLOSE { close + 1 } else { 0 };
        last = p;
        if close < 2 {
            continue;
        }
        close = 0;
        let mut block = at / 64;
        while block * 64 < len {
            let base = block * 64;
            let [leads] = crate::bytes::block_masks(buf, block, |v| {
                [v.simd_eq(u8x16::splat(0xEF)) | v.simd_eq(u8x16::splat(0xE3))]
            });
            if leads == 0 {
                at = base + 64;
                continue 'search;
            }
            // Bytes before `at.max(r)` are seen and may be overwritten.
            let mut leads = match at.max(r).saturating_sub(base) {
                k if k < 64 => leads & (!0u64 << k),
                _ => 0,
            };
            while leads != 0 {
                let p = base + leads.trailing_zeros() as usize;
                leads &= leads - 1;
                if p >= r {
                    fold_one(buf, p, &mut r, &mut w);
                }
            }
            at = base + 64;
            block += 1;
        }
        break;
    }
    if w != r {
        buf.copy_within(r..len, w);
    }
    w + (len - r)
}

/// Lead bytes this close count as close for `fold_fullwidth`.
const CLOSE: usize = 48;

/// Fold the character at lead byte `p` if it is one of the folded forms:
/// the text from `r` up to it moves down to `w`, then its ASCII form.
fn fold_one(buf: &mut [u8], p: usize, r: &mut usize, w: &mut usize) {
    if let Some(a) = fold_at(&buf[p..]) {
        if *w != *r {
            buf.copy_within(*r..p, *w);
        }
        *w += p - *r;
        buf[*w] = a;
        *w += 1;
        *r = p + 3;
    }
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
        let n = fold_fullwidth(&mut b);
        assert_eq!(
            std::str::from_utf8(&b[..n]),
            Ok("手机:138-1234-5678 Xx+()@")
        );
        let mut plain = "身份证号码".as_bytes().to_vec();
        assert_eq!(fold_fullwidth(&mut plain), plain.len());
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

    /// Full-width folding character by character, as the doc comment of
    /// `fold_fullwidth` states it.
    fn fold_by_chars(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                '０'..='９'
                | 'Ａ'..='Ｚ'
                | 'ａ'..='ｚ'
                | '＋'
                | '－'
                | '（'
                | '）'
                | '：'
                | '＝'
                | '．'
                | '＠' => char::from_u32(c as u32 - 0xFEE0).unwrap(),
                '\u{3000}' => ' ',
                c => c,
            })
            .collect()
    }

    #[test]
    fn dense_and_sparse_lead_bytes_fold_alike() {
        // Dense punctuation (the block-at-a-time path) with full-width forms
        // at every offset of a 64-byte block, then sparse ones in ASCII.
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&"号".repeat(i % 7));
            text.push_str("，１２。：ａ　、");
            if i % 50 == 49 {
                text.push_str(&"x".repeat(300 + i));
                text.push_str("Ｘ；");
            }
        }
        let mut b = text.as_bytes().to_vec();
        let n = fold_fullwidth(&mut b);
        assert_eq!(std::str::from_utf8(&b[..n]).unwrap(), fold_by_chars(&text));
    }

    proptest::proptest! {
        #[test]
        fn folding_agrees_with_a_char_map(
            text in "[0-9a-z１２０９ＡＸｘｚ＋－（）：＝．＠　，。、；｜号码\\u{FF5E}\\u{FFE5}\\u{3001}]{0,80}|([a-z0-9 ]{0,90}[１２ａ：，。号]{0,30}){0,5}"
        ) {
            let mut b = text.as_bytes().to_vec();
            let n = fold_fullwidth(&mut b);
            proptest::prop_assert_eq!(std::str::from_utf8(&b[..n]).unwrap(), fold_by_chars(&text));
        }
    }

    /// Lines of `data` read whole: decoded with replacements, folded, split.
    fn lines_read_whole(data: &[u8]) -> Vec<String> {
        let mut text = String::from_utf8_lossy(data).into_owned().into_bytes();
        let n = fold_fullwidth(&mut text);
        let text = String::from_utf8(text[..n].to_vec()).unwrap();
        let mut lines: Vec<String> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        if text.is_empty() || text.ends_with('\n') {
            lines.pop();
        }
        lines
    }

    proptest::proptest! {
        #[test]
        fn chunked_reading_equals_reading_whole(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                &b"a"[..], b"13", b"\n", b"\r\n", "号".as_bytes(), "１".as_bytes(),
                "　".as_bytes(), "，".as_bytes(), b"\xFF", b"\xE5\x8F", b"\xEF\xBC", b"\xC0",
            ]), 0..80),
            chunk in 1usize..40,
            head_len in 0usize..20,
        ) {
            let data: Vec<u8> = pieces.concat();
            let head_len = head_len.min(data.len());
            let head = data[..head_len].to_vec();
            let complete = head_len == data.len();
            // As the sniffer says: the head's valid prefix, or nothing.
            let checked = match std::str::from_utf8(&head) {
                Ok(_) => head.len(),
                Err(e) => e.valid_up_to() * usize::from(head_len % 2 == 0),
            };
            let mut out = Vec::new();
            let stats = TextReader::new(
                &data[head_len..],
                head,
                head_len as u64,
                complete,
                Some(encoding_rs::UTF_8),
                chunk,
            )
            .with_checked_head(checked)
            .for_each_segment(|s| out.push(String::from_utf8(s.text.to_vec()).unwrap()))
            .unwrap();
            proptest::prop_assert_eq!(out, lines_read_whole(&data));
            proptest::prop_assert_eq!(stats.bytes, data.len() as u64);
            proptest::prop_assert_eq!(stats.replaced, std::str::from_utf8(&data).is_err());
        }

        #[test]
        fn gb18030_chunked_equals_whole(text in "[a1号码，１\n]{0,60}", chunk in 1usize..20) {
            let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
            let mut out = Vec::new();
            TextReader::new(&bytes[..], Vec::new(), 0, false, Some(encoding_rs::GB18030), chunk)
                .for_each_segment(|s| out.push(String::from_utf8(s.text.to_vec()).unwrap()))
                .unwrap();
            proptest::prop_assert_eq!(out, lines_read_whole(text.as_bytes()));
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
