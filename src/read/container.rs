//! Limits for reading containers (zip, gzip, tar, and the zips inside office
//! documents), so that a hostile archive cannot exhaust memory or time:
//!
//! * a [`Budget`] of uncompressed bytes shared by everything read out of one
//!   top-level file (`--max-archive-bytes`);
//! * a compression-ratio limit per member (`--max-ratio`), checked once a
//!   member has produced more than [`RATIO_GRACE`] bytes;
//! * a cap on what is loaded into memory whole (`--max-buffer`): nested zips,
//!   spreadsheets, documents and PDFs need random access.
//!
//! A limit that trips is an I/O error of kind `Other` whose text says which
//! limit; the caller reports it for that member and goes on with the rest.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// Bytes a member may produce before the ratio check applies.
pub const RATIO_GRACE: u64 = 1 << 20;

/// Uncompressed bytes left for one top-level file.
#[derive(Debug)]
pub struct Budget {
    used: Cell<u64>,
    max: u64,
}

impl Budget {
    /// A budget of `max` bytes.
    pub fn new(max: u64) -> Self {
        Budget {
            used: Cell::new(0),
            max,
        }
    }

    fn spend(&self, n: u64) -> io::Result<()> {
        let used = self.used.get() + n;
        self.used.set(used);
        if used > self.max {
            return Err(io::Error::other(format!(
                "archive bomb: more than {} bytes uncompressed from one file (--max-archive-bytes)",
                self.max
            )));
        }
        Ok(())
    }
}

/// How many compressed bytes a member came from: known from a header, or
/// counted as they are read.
#[derive(Debug, Clone)]
pub enum Compressed {
    /// Not compressed (tar members): no ratio check.
    Stored,
    /// Size from the archive's directory.
    Known(u64),
    /// Counted by a [`Counting`] reader below the decompressor.
    Counted(Rc<Cell<u64>>),
}

/// Counts the bytes read through it (the compressed side of a decoder).
pub struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Counting<R> {
    /// Wrap `inner`; `count` grows with every byte read.
    pub fn new(inner: R, count: Rc<Cell<u64>>) -> Self {
        Counting { inner, count }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The uncompressed side of a member, checked against the budget and ratio.
pub struct Limited<'b, R> {
    inner: R,
    budget: &'b Budget,
    compressed: Compressed,
    max_ratio: u64,
    produced: u64,
}

impl<'b, R: Read> Limited<'b, R> {
    /// Wrap the decompressed reader of one member.
    pub fn new(inner: R, budget: &'b Budget, compressed: Compressed, max_ratio: u64) -> Self {
        Limited {
            inner,
            budget,
            compressed,
            max_ratio,
            produced: 0,
        }
    }
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        self.budget.spend(n as u64)?;
        let compressed = match &self.compressed {
            Compressed::Stored => None,
            Compressed::Known(c) => Some(*c),
            Compressed::Counted(c) => Some(c.get()),
        };
        if let Some(c) = compressed {
            if self.produced > RATIO_GRACE
                && self.produced > c.max(1).saturating_mul(self.max_ratio)
            {
                return Err(io::Error::other(format!(
                    "archive bomb: compression ratio above {}:1 (--max-ratio)",
                    self.max_ratio
                )));
            }
        }
        Ok(n)
    }
}

/// Read all of `r` into memory, refusing more than `max` bytes.
pub fn read_bounded(r: &mut impl Read, max: u64, what: &str) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(max + 1).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(io::Error::other(format!(
            "{what} larger than {max} bytes is not loaded into memory (--max-buffer)"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_and_ratio_trip() {
        let zeros = vec![0u8; 3 << 20];
        let budget = Budget::new(u64::MAX);
        let mut r = Limited::new(&zeros[..], &budget, Compressed::Known(1000), 100);
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("ratio"), "{err}");

        let small = Budget::new(10);
        let mut r = Limited::new(&zeros[..100], &small, Compressed::Stored, 100);
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("--max-archive-bytes"), "{err}");

        let ok = Budget::new(u64::MAX);
        let mut r = Limited::new(&zeros[..], &ok, Compressed::Known(1 << 20), 100);
        assert_eq!(io::copy(&mut r, &mut io::sink()).unwrap(), 3 << 20);
    }

    #[test]
    fn bounded_reads() {
        assert_eq!(read_bounded(&mut &b"abc"[..], 3, "x").unwrap(), b"abc");
        assert!(read_bounded(&mut &b"abcd"[..], 3, "x").is_err());
    }
}
