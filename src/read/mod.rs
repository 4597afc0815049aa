//! Read stage: open a regular file safely, tell its format from its first
//! bytes (magic numbers first, the name second), sniff the encoding of text,
//! and hand out decoded lines in bounded memory.
//!
//! Files are opened non-blocking and checked with `fstat` after opening, so a
//! path that turned into a FIFO or device between the walk and the read is
//! refused instead of hanging the scan. Members of archives are read through
//! the same [`Source`], from any `Read`.

pub mod chunk;
pub mod container;
pub mod decode;

use crate::walk::special_kind;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use thiserror::Error;

/// Bytes read up front to decide the format and encoding.
pub const HEAD_SIZE: usize = 64 * 1024;

/// Why a file could not be read. The text never contains file content.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The operating system refused or failed a read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Not a regular file (FIFO, socket, device): never read.
    #[error("not a regular file ({0}); not opened for reading")]
    Special(&'static str),
}

/// What a blob of bytes is, decided from its head and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A zip archive (also XLSX, DOCX, PPTX, ODS: decided by its members).
    Zip,
    /// A gzip stream.
    Gzip,
    /// A tar archive.
    Tar,
    /// A PDF document.
    Pdf,
    /// An OLE2 compound file (XLS, old Word).
    Ole,
    /// Rich Text Format.
    Rtf,
    /// HTML.
    Html,
    /// An e-mail message (RFC 5322 / MIME).
    Eml,
    /// Text in some encoding, or binary data.
    Text,
}

/// The lowercase extension of `name` (empty without one).
pub fn extension(name: &str) -> String {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// Decide the kind of a blob: magic bytes first, then the name.
pub fn sniff_kind(head: &[u8], name: &str) -> Kind {
    let ext = extension(name);
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if head.starts_with(&[0x1F, 0x8B]) {
        return Kind::Gzip;
    }
    if head.len() >= 263 && &head[257..262] == b"ustar" {
        return Kind::Tar;
    }
    if head.starts_with(b"%PDF-") {
        return Kind::Pdf;
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Kind::Ole;
    }
    if head.starts_with(b"{\\rtf") {
        return Kind::Rtf;
    }
    let start: Vec<u8> = head
        .iter()
        .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
        .take(64)
        .map(u8::to_ascii_lowercase)
        .collect();
    if start.starts_with(b"<!doctype html") || start.starts_with(b"<html") {
        return Kind::Html;
    }
    if matches!(ext.as_str(), "html" | "htm" | "xhtml") && start.starts_with(b"<") {
        return Kind::Html;
    }
    let mail_header = [
        "from:",
        "received:",
        "return-path:",
        "mime-version:",
        "message-id:",
        "date:",
        "to:",
        "subject:",
    ]
    .iter()
    .any(|h| start.starts_with(h.as_bytes()));
    if ext == "eml"
        || (mail_header && contains_ci(&head[..head.len().min(8192)], b"\nmime-version:"))
    {
        return Kind::Eml;
    }
    Kind::Text
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Open `path` as a regular file: non-blocking, refused if it is not
/// regular. Returns its metadata at open too.
pub fn open_regular(path: &Path) -> Result<(File, std::fs::Metadata), ReadError> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    let ft = meta.file_type();
    if let Some(kind) = special_kind(&ft) {
        return Err(ReadError::Special(kind));
    }
    if !ft.is_file() {
        return Err(ReadError::Io(io::Error::other("not a regular file")));
    }
    Ok((file, meta))
}

/// Read up to [`HEAD_SIZE`] bytes from `r`, which is expected to hold
/// `size` bytes: read into a buffer of that size (plus one byte, to see the
/// end), by as few reads as the reader allows, and grown if the reader
/// holds more. (Reading into a growing buffer took four reads for a 32 KiB
/// file; a buffer filled with zeros first cost a `memset` of every file's
/// head, which `read_to_end` does not need for a file.)
pub fn read_head(r: &mut impl Read, size: u64) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(size.saturating_add(1).min(HEAD_SIZE as u64) as usize);
    r.take(HEAD_SIZE as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Read up to [`HEAD_SIZE`] bytes from `r`, keeping what was read before an
/// error: a truncated stream is still scanned up to the damage.
pub fn read_head_partial(r: &mut dyn Read) -> (Vec<u8>, Option<io::Error>) {
    let mut head = vec![0; HEAD_SIZE];
    let mut n = 0;
    while n < HEAD_SIZE {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                head.truncate(n);
                return (head, Some(e));
            }
        }
    }
    head.truncate(n);
    (head, None)
}

/// A reader that fails once with a stored error, then ends: what follows a
/// head that was cut short by an error.
pub struct Failing(pub Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// A text (or binary) stream with its encoding decided.
pub struct Source<R> {
    reader: R,
    head: Vec<u8>,
    head_len: u64,
    complete: bool,
    sniffed: decode::Sniffed,
}

impl Source<File> {
    /// Open `path` (a regular file) and read its head.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let (mut file, meta) = open_regular(path)?;
        let head = read_head(&mut file, meta.len())?;
        let complete = head.len() < HEAD_SIZE;
        Ok(Source::new(file, head, complete))
    }
}

impl<R: Read> Source<R> {
    /// A source whose first bytes `head` were already read from `reader`;
    /// `complete` says `head` is all there is (the reader is at its end).
    pub fn new(reader: R, mut head: Vec<u8>, complete: bool) -> Self {
        let sniffed = decode::sniff(&head, complete);
        let head_len = head.len() as u64;
        head.drain(..sniffed.bom_len);
        Source {
            reader,
            head,
            head_len,
            complete,
            sniffed,
        }
    }

    /// Whether the data is scanned as raw binary.
    pub fn is_binary(&self) -> bool {
        self.sniffed.encoding.is_none()
    }

    /// The encoding's display name (`UTF-8`, `GB18030`, `UTF-16LE`, `binary`).
    pub fn encoding_label(&self) -> &'static str {
        decode::label(self.sniffed.encoding)
    }

    /// A line reader reading `chunk` bytes at a time.
    pub fn into_lines(self, chunk: usize) -> chunk::TextReader<R> {
        chunk::TextReader::new(
            self.reader,
            self.head,
            self.head_len,
            self.complete,
            self.sniffed.encoding,
            chunk,
        )
        .with_checked_head(self.sniffed.utf8_checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes a read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_head_is_read_whatever_the_size_said() {
        let data: Vec<u8> = (0..HEAD_SIZE as u32 + 5000)
            .map(|i| (i % 251) as u8)
            .collect();
        for len in [
            0,
            1,
            100,
            32 * 1024,
            HEAD_SIZE - 1,
            HEAD_SIZE,
            HEAD_SIZE + 5000,
        ] {
            let want = &data[..len.min(HEAD_SIZE)];
            // The size at open, then a file that grew or shrank since.
            for size in [len as u64, 0, len as u64 / 2, len as u64 * 2 + 7] {
                for step in [1, 7, 4096, usize::MAX] {
                    let got = read_head(&mut Trickle(&data[..len], step), size).unwrap();
                    assert_eq!(got.len(), want.len(), "len {len} size {size} step {step}");
                    assert!(got == want, "len {len} size {size} step {step}");
                }
            }
        }
    }

    #[test]
    fn kinds_from_magic_then_name() {
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        let t: &[(&[u8], &str, Kind)] = &[
            (b"PK\x03\x04rest", "a.txt", Kind::Zip),
            (b"\x1F\x8B\x08\x00", "a.log", Kind::Gzip),
            (&tar, "a.bin", Kind::Tar),
            (b"%PDF-1.4", "x", Kind::Pdf),
            (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "a.xls", Kind::Ole),
            (b"{\\rtf1\\ansi", "a.doc", Kind::Rtf),
            (b"  <!DOCTYPE html><html>", "a.txt", Kind::Html),
            (b"<table><tr>", "a.htm", Kind::Html),
            (
                b"From: a@example.com\nMIME-Version: 1.0\n",
                "mail",
                Kind::Eml,
            ),
            (b"anything", "m.eml", Kind::Eml),
            (b"plain text, 13812345678", "a.zip", Kind::Text),
        ];
        for (head, name, want) in t {
            assert_eq!(sniff_kind(head, name), *want, "{name}");
        }
    }
}
