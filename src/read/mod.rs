//! Read stage: open a regular file safely, sniff its encoding from the head
//! and hand out decoded lines in bounded memory.
//!
//! Files are opened non-blocking and checked with `fstat` after opening, so a
//! path that turned into a FIFO or device between the walk and the read is
//! refused instead of hanging the scan.

pub mod chunk;
pub mod decode;

use crate::walk::special_kind;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use thiserror::Error;

/// Bytes read up front to decide the encoding.
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

/// An opened file with its encoding decided.
pub struct Source {
    file: File,
    head: Vec<u8>,
    head_len: u64,
    complete: bool,
    sniffed: decode::Sniffed,
}

impl Source {
    /// Open `path` (a regular file) and read its head.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let mut file = File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        let ft = file.metadata()?.file_type();
        if let Some(kind) = special_kind(&ft) {
            return Err(ReadError::Special(kind));
        }
        if !ft.is_file() {
            return Err(ReadError::Io(io::Error::other("not a regular file")));
        }
        let mut head = Vec::with_capacity(HEAD_SIZE);
        (&mut file).take(HEAD_SIZE as u64).read_to_end(&mut head)?;
        let complete = head.len() < HEAD_SIZE;
        let sniffed = decode::sniff(&head, complete);
        let head_len = head.len() as u64;
        head.drain(..sniffed.bom_len);
        Ok(Source {
            file,
            head,
            head_len,
            complete,
            sniffed,
        })
    }

    /// Whether the file is scanned as raw binary data.
    pub fn is_binary(&self) -> bool {
        self.sniffed.encoding.is_none()
    }

    /// The encoding's display name (`UTF-8`, `GB18030`, `UTF-16LE`, `binary`).
    pub fn encoding_label(&self) -> &'static str {
        decode::label(self.sniffed.encoding)
    }

    /// A line reader reading `chunk` bytes at a time.
    pub fn into_lines(self, chunk: usize) -> chunk::TextReader<File> {
        chunk::TextReader::new(
            self.file,
            self.head,
            self.head_len,
            self.complete,
            self.sniffed.encoding,
            chunk,
        )
    }
}
