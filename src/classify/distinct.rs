//! Exact distinct-value counting in bounded memory.
//!
//! A [`DistinctSet`] holds 64-bit value hashes. New hashes go to an unsorted
//! buffer; when the buffer is half the size of the sorted part it is sorted
//! and merged in place (each hash is merged a few times, never per insert).
//! When the sorted part reaches [`SPILL_AT`] hashes (8 MiB) it is written
//! to an unnamed temporary file as a sorted run, and the memory is reused;
//! with [`MAX_RUNS`] runs, the smaller half of them is merged into one.
//! Counting merges everything. A call-detail export of a few GiB holds tens of
//! millions of distinct numbers: held in a hash set they took gigabytes.
//!
//! Runs on disk are XORed with a BLAKE3 keystream under a random
//! per-process key, so the unkeyed value hashes (whose inputs, phone numbers,
//! could be enumerated) never reach the disk in the clear. A run that
//! cannot be written stays in memory (the count stays exact); one that
//! cannot be read back leaves the count a lower bound and an error that
//! the owner reports.

use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

/// Sorted hashes held in memory before they are written out as a run.
pub const SPILL_AT: usize = 1 << 20;
/// A set waiting to be merged goes to disk from this size (512 KiB).
pub const SHELVE_AT: usize = 1 << 16;
/// A set holding this many hashes in runs and its sorted part is counted
/// in parts, in parallel.
const COUNT_IN_PARTS_FROM: u64 = 1 << 18;
/// Runs on disk before the smaller half of them is merged into one.
pub const MAX_RUNS: usize = 16;
/// The unsorted buffer is merged once it holds this many hashes (or half
/// the sorted part, whichever is more).
const PENDING_MIN: usize = 4096;

/// A set of 64-bit hashes that counts its distinct members exactly.
#[derive(Debug, Default)]
pub struct DistinctSet {
    /// Sorted, without repeats.
    sorted: Vec<u64>,
    /// In arrival order, may repeat.
    pending: Vec<u64>,
    /// Sorted runs on disk, without repeats (across runs there may be).
    runs: Vec<Run>,
    /// A run could not be written: the rest stays in memory.
    no_spill: bool,
    /// The first error reading a run back.
    error: OnceLock<String>,
    /// Spill at this many sorted hashes (tests use less).
    spill_at: usize,
    /// The count, once taken (merging runs to count them is not repeated
    /// for a file's verdict, its entry and the scan's summary).
    count: OnceLock<u64>,
}

/// A sorted run in an unnamed temporary file, `len` hashes, XORed with the
/// keystream of `nonce`.
#[derive(Debug)]
struct Run {
    file: File,
    len: u64,
    nonce: u64,
}

impl DistinctSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set that spills at `n` hashes (for tests of the disk path).
    pub fn spilling_at(n: usize) -> Self {
        DistinctSet {
            spill_at: n.max(1),
            ..Self::default()
        }
    }

    fn spill_limit(&self) -> usize {
        if self.spill_at == 0 {
            SPILL_AT
        } else {
            self.spill_at
        }
    }

    /// Add one hash.
    pub fn insert(&mut self, h: u64) {
        self.forget_count();
        self.pending.push(h);
        self.compact_if_due();
    }

    /// Add every member of `other`.
    pub fn absorb(&mut self, mut other: DistinctSet) {
        self.forget_count();
        if let Some(e) = other.error.take() {
            let _ = self.error.set(e);
        }
        self.runs.append(&mut other.runs);
        if self.sorted.len() + self.pending.len() < other.sorted.len() + other.pending.len() {
            std::mem::swap(&mut self.sorted, &mut other.sorted);
            std::mem::swap(&mut self.pending, &mut other.pending);
        }
        self.pending.append(&mut other.pending);
        self.pending.append(&mut other.sorted);
        self.compact_if_due();
        self.merge_runs_if_many();
    }

    fn forget_count(&mut self) {
        self.count.take();
    }

    /// Merge the buffer once it is half the sorted part: merging a small
    /// file's set into a large one every time made collecting quadratic.
    fn compact_if_due(&mut self) {
        if self.pending.len() >= PENDING_MIN.max(self.sorted.len() / 2) {
            self.compact();
        }
    }

    /// Sort the buffer into the sorted part; write the sorted part out as a
    /// run once it is large.
    fn compact(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // Sorted pieces (one per file, in the scan's set) included: the
        // stable sort merged them as runs, but a merge step is a branch
        // the processor cannot predict, and the unstable sort's branchless
        // partitions took half the time (`cargo bench --bench scanner --
        // absorb`: 65 -> 35 ms for 2,000 files of 560 hashes). (A radix
        // sort cost more on the benchmark sample.)
        self.pending.sort_unstable();
        self.pending.dedup();
        merge_in_place(&mut self.sorted, &self.pending);
        self.pending.clear();
        if self.sorted.len() >= self.spill_limit() {
            self.spill(false);
        }
    }

    /// Write the sorted part out as a run; `release` gives its memory back
    /// (else it is reused).
    fn spill(&mut self, release: bool) {
        if self.no_spill {
            return;
        }
        match write_run(&self.sorted) {
            Ok(run) => {
                self.runs.push(run);
                if release {
                    self.sorted = Vec::new();
                } else {
                    self.sorted.clear();
                }
                self.merge_runs_if_many();
            }
            Err(_) => self.no_spill = true,
        }
    }

    /// Sort what is buffered (before the set is counted or handed on).
    pub fn settle(&mut self) {
        self.compact();
    }

    /// Settle a set that waits to be merged (a part of a file read in
    /// parallel with others): a large one goes to disk whole and its
    /// memory is released, so that waiting parts hold little memory.
    pub fn shelve(&mut self) {
        self.compact();
        if self.sorted.len() >= SHELVE_AT {
            self.spill(true);
        }
        self.sorted.shrink_to_fit();
        self.pending = Vec::new();
    }

    /// With [`MAX_RUNS`] runs, merge the smaller half of them into one (a
    /// large merged run is not rewritten at every merge: each hash is
    /// rewritten a logarithmic number of times). If that fails, the runs
    /// stay as they are and nothing more spills.
    fn merge_runs_if_many(&mut self) {
        if self.runs.len() < MAX_RUNS || self.no_spill {
            return;
        }
        let Some(mut out) = RunWriter::new() else {
            self.no_spill = true;
            return;
        };
        self.runs.sort_by_key(|r| std::cmp::Reverse(r.len));
        let small = self.runs.split_off(MAX_RUNS / 2);
        let merged = merge_sorted(readers(&small), &mut |h| out.push(h));
        match merged.and_then(|()| out.finish()) {
            Ok(run) => self.runs.push(run),
            Err(_) => {
                self.runs.extend(small);
                self.no_spill = true;
            }
        }
    }

    /// The number of distinct hashes (a lower bound if a run could not be
    /// read back; see [`DistinctSet::error`]).
    pub fn len(&self) -> u64 {
        *self.count.get_or_init(|| self.count_now())
    }

    /// Count by merging the runs, the sorted part and the buffer. A large
    /// set is counted in parts, each a range of hash values, on the
    /// scan's threads: its count was the last thing a scan did, on one
    /// thread while the others waited (the largest set of the benchmark
    /// corpus, 3.8 million numbers in four runs, took 0.05 s of a 1.5 s
    /// scan that way).
    fn count_now(&self) -> u64 {
        if self.runs.is_empty() && self.pending.is_empty() {
            return self.sorted.len() as u64;
        }
        let mut pending = self.pending.clone();
        pending.sort_unstable();
        pending.dedup();
        let held = self.runs.iter().map(|r| r.len).sum::<u64>() + self.sorted.len() as u64;
        let parts = if held >= COUNT_IN_PARTS_FROM {
            4 * rayon::current_num_threads()
        } else {
            1
        };
        self.count_in_parts(&pending, parts)
    }

    /// The count as the sum of `parts` ranges of hash values counted in
    /// parallel (`pending`: the buffer, sorted). A run that cannot be read
    /// back leaves a lower bound and the error.
    fn count_in_parts(&self, pending: &[u64], parts: usize) -> u64 {
        use rayon::prelude::*;
        let counted: Vec<(u64, Option<io::Error>)> = (0..parts)
            .into_par_iter()
            .map(|k| {
                let mut n = 0;
                let result = self
                    .part_sources(pending, part_bound(k, parts), part_bound(k + 1, parts))
                    .and_then(|sources| {
                        merge_sorted(sources, &mut |_| {
                            n += 1;
                            Ok(())
                        })
                    });
                (n, result.err())
            })
            .collect();
        let mut total = 0;
        for (n, error) in counted {
            total += n;
            if let Some(e) = error {
                let _ = self.error.set(e.to_string());
            }
        }
        total
    }

    /// The merge sources of the hashes in `lo..hi` (`None`: from the
    /// start, to the end): each run from the first word at or above `lo`
    /// (found by a binary search of the run on disk).
    fn part_sources<'s>(
        &'s self,
        pending: &'s [u64],
        lo: Option<u64>,
        hi: Option<u64>,
    ) -> io::Result<Vec<Source<'s>>> {
        // The first part starts at the start: no search.
        let lo = lo.filter(|&lo| lo > 0);
        let slice = |v: &'s [u64]| {
            let from = lo.map_or(0, |lo| v.partition_point(|&h| h < lo));
            let to = hi.map_or(v.len(), |hi| v.partition_point(|&h| h < hi));
            Source::Slice(v[from..to].iter())
        };
        let mut sources = Vec::with_capacity(self.runs.len() + 2);
        for run in &self.runs {
            let from = match lo {
                Some(lo) => run.lower_bound(lo)?,
                None => 0,
            };
            let to = match hi {
                Some(hi) => run.lower_bound(hi)?,
                None => run.len,
            };
            sources.push(Source::Run(Box::new(RunReader::span(run, from, to))));
        }
        sources.push(slice(&self.sorted));
        sources.push(slice(pending));
        Ok(sources)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty() && self.pending.is_empty() && self.runs.is_empty()
    }

    /// Call `f` with every distinct hash, in ascending order.
    pub fn for_each(&self, mut f: impl FnMut(u64)) -> io::Result<()> {
        let mut pending = self.pending.clone();
        pending.sort_unstable();
        pending.dedup();
        let mut sources = readers(&self.runs);
        sources.push(Source::Slice(self.sorted.iter()));
        sources.push(Source::Slice(pending.iter()));
        merge_sorted(sources, &mut |h| {
            f(h);
            Ok(())
        })
    }

    /// Move the members out into a set of their own, leaving this one
    /// empty but still answering [`DistinctSet::len`] and
    /// [`DistinctSet::error`] as before: a file's entry keeps its count
    /// while its hashes are merged into the scan's set by the worker that
    /// read it. Adding to the emptied set forgets the count.
    pub fn take_members(&mut self) -> DistinctSet {
        let n = self.len();
        let error = self.error.get().cloned();
        let spill_at = self.spill_at;
        let members = std::mem::take(self);
        self.spill_at = spill_at;
        let _ = self.count.set(n);
        if let Some(e) = error {
            let _ = self.error.set(e);
        }
        members
    }

    /// Why the count may be short, if it may.
    pub fn error(&self) -> Option<&str> {
        self.error.get().map(String::as_str)
    }

    /// Runs on disk now (for tests).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }
}

/// Merge the sorted, repeat-free `add` into the sorted, repeat-free `v`,
/// in place: `v` grows at the end and is filled from the back.
fn merge_in_place(v: &mut Vec<u64>, add: &[u64]) {
    if add.is_empty() {
        return;
    }
    if v.last().is_none_or(|&l| l < add[0]) {
        v.extend_from_slice(add);
        return;
    }
    let old = v.len();
    v.resize(old + add.len(), 0);
    let (mut i, mut j, mut k) = (old, add.len(), old + add.len());
    while j > 0 {
        if i > 0 && v[i - 1] > add[j - 1] {
            v[k - 1] = v[i - 1];
            i -= 1;
        } else {
            if i > 0 && v[i - 1] == add[j - 1] {
                i -= 1; // the same hash: keep one
            }
            v[k - 1] = add[j - 1];
            j -= 1;
        }
        k -= 1;
    }
    // `k` slots at the front of the tail were freed by repeats: close the gap.
    if k > i {
        v.copy_within(k.., i);
        v.truncate(v.len() - (k - i));
    }
}

/// The lowest hash of part `k` of `parts` equal ranges of hash values
/// (`None` past the last).
fn part_bound(k: usize, parts: usize) -> Option<u64> {
    if k == 0 {
        return Some(0);
    }
    (k < parts).then(|| ((u128::from(u64::MAX) + 1) * k as u128 / parts as u128) as u64)
}

/// A reader for each of `runs`, as merge sources.
fn readers(runs: &[Run]) -> Vec<Source<'_>> {
    runs.iter()
        .map(|r| Source::Run(Box::new(RunReader::new(r))))
        .collect()
}

/// One ascending source of a merge.
enum Source<'a> {
    Run(Box<RunReader<'a>>),
    Slice(std::slice::Iter<'a, u64>),
}

impl Source<'_> {
    fn next(&mut self) -> Option<io::Result<u64>> {
        match self {
            Source::Run(r) => r.next(),
            Source::Slice(s) => s.next().map(|&h| Ok(h)),
        }
    }
}

/// K-way merge of ascending sources, each hash passed to `f` once. The
/// smallest head is found by a linear scan: there are at most
/// [`MAX_RUNS`] + 2 sources, and a scan of a few beat a binary heap.
fn merge_sorted(
    mut sources: Vec<Source<'_>>,
    f: &mut impl FnMut(u64) -> io::Result<()>,
) -> io::Result<()> {
    // The head of each source not yet exhausted, with the source's index
    // (a source is dropped from the scan when it ends: no `None` heads).
    let mut heads = Vec::with_capacity(sources.len());
    for (i, s) in sources.iter_mut().enumerate() {
        if let Some(h) = s.next().transpose()? {
            heads.push((h, i));
        }
    }
    let mut last = None;
    while !heads.is_empty() {
        let mut best = 0;
        for i in 1..heads.len() {
            if heads[i].0 < heads[best].0 {
                best = i;
            }
        }
        let (h, i) = heads[best];
        if last != Some(h) {
            f(h)?;
            last = Some(h);
        }
        match sources[i].next() {
            Some(next) => heads[best].0 = next?,
            None => {
                heads.swap_remove(best);
            }
        }
    }
    Ok(())
}

/// The keystream of run `nonce`: the BLAKE3 output stream keyed with a
/// random key drawn once per process.
fn keystream(nonce: u64) -> blake3::OutputReader {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        // Four outputs of SipHash under std's random 128-bit key.
        let random = std::collections::hash_map::RandomState::new();
        let mut key = [0u8; 32];
        for (i, part) in key.chunks_mut(8).enumerate() {
            part.copy_from_slice(&random.hash_one(i).to_le_bytes());
        }
        key
    });
    blake3::Hasher::new_keyed(key)
        .update(&nonce.to_le_bytes())
        .finalize_xof()
}

/// XOR `buf` with the next bytes of `stream`.
fn xor_next(stream: &mut blake3::OutputReader, buf: &mut [u8], pad: &mut Vec<u8>) {
    pad.resize(buf.len(), 0);
    stream.fill(pad);
    buf.iter_mut().zip(pad.iter()).for_each(|(b, p)| *b ^= p);
}

fn next_nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Run {
    /// Word `i`, decoded.
    fn word(&self, i: u64) -> io::Result<u64> {
        let mut word = [0u8; 8];
        self.file.read_exact_at(&mut word, i * 8)?;
        let mut pad = [0u8; 8];
        let mut stream = keystream(self.nonce);
        stream.set_position(i * 8);
        stream.fill(&mut pad);
        Ok(u64::from_le_bytes(word) ^ u64::from_le_bytes(pad))
    }

    /// The index of the first word at or above `h` (a binary search, a
    /// read per step).
    fn lower_bound(&self, h: u64) -> io::Result<u64> {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.word(mid)? < h {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }
}

/// Bytes a run is written and read in.
const CHUNK: usize = 64 << 10;

/// Writes one run, hash by hash.
struct RunWriter {
    file: File,
    buf: Vec<u8>,
    pad: Vec<u8>,
    stream: blake3::OutputReader,
    len: u64,
    nonce: u64,
}

impl RunWriter {
    fn new() -> Option<Self> {
        let file = tempfile::tempfile().ok()?;
        let nonce = next_nonce();
        Some(RunWriter {
            file,
            buf: Vec::with_capacity(CHUNK),
            pad: Vec::new(),
            stream: keystream(nonce),
            len: 0,
            nonce,
        })
    }

    fn push(&mut self, h: u64) -> io::Result<()> {
        self.buf.extend_from_slice(&h.to_le_bytes());
        self.len += 1;
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        xor_next(&mut self.stream, &mut self.buf, &mut self.pad);
        self.file.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> io::Result<Run> {
        self.flush()?;
        Ok(Run {
            file: self.file,
            len: self.len,
            nonce: self.nonce,
        })
    }
}

fn write_run(sorted: &[u64]) -> io::Result<Run> {
    let mut w = RunWriter::new().ok_or_else(|| io::Error::other("no temporary file"))?;
    for &h in sorted {
        w.push(h)?;
    }
    w.finish()
}

/// Reads a run back in order, a chunk at a time, with positional reads (a
/// run can be read by several readers at once).
struct RunReader<'r> {
    run: &'r Run,
    buf: Vec<u8>,
    pad: Vec<u8>,
    stream: blake3::OutputReader,
    /// The current chunk, decoded.
    words: Vec<u64>,
    at: usize,
    /// The next word to read from the file.
    pos: u64,
    /// The word to stop at.
    end: u64,
}

impl<'r> RunReader<'r> {
    fn new(run: &'r Run) -> Self {
        Self::span(run, 0, run.len)
    }

    /// A reader of the words `from..to` of `run`.
    fn span(run: &'r Run, from: u64, to: u64) -> Self {
        let mut stream = keystream(run.nonce);
        stream.set_position(from * 8);
        RunReader {
            run,
            buf: Vec::new(),
            pad: Vec::new(),
            stream,
            words: Vec::new(),
            at: 0,
            pos: from,
            end: to.clamp(from, run.len),
        }
    }

    fn next(&mut self) -> Option<io::Result<u64>> {
        if self.at == self.words.len() {
            if self.pos == self.end {
                return None;
            }
            let n = (self.end - self.pos).min((CHUNK / 8) as u64) as usize;
            self.buf.resize(n * 8, 0);
            if let Err(e) = self.run.file.read_exact_at(&mut self.buf, self.pos * 8) {
                self.pos = self.end;
                self.words.clear();
                self.at = 0;
                return Some(Err(e));
            }
            xor_next(&mut self.stream, &mut self.buf, &mut self.pad);
            self.words.clear();
            self.words.extend(
                self.buf
                    .chunks_exact(8)
                    .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default())),
            );
            self.pos += n as u64;
            self.at = 0;
        }
        let h = self.words[self.at];
        self.at += 1;
        Some(Ok(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn merging_in_place_keeps_order_and_drops_repeats() {
        let mut v = vec![1, 4, 9];
        merge_in_place(&mut v, &[0, 4, 5, 10]);
        assert_eq!(v, [0, 1, 4, 5, 9, 10]);
        let mut v = vec![1, 2];
        merge_in_place(&mut v, &[1, 2]);
        assert_eq!(v, [1, 2]);
        let mut v = vec![];
        merge_in_place(&mut v, &[3]);
        assert_eq!(v, [3]);
    }

    #[test]
    fn a_large_set_counted_in_parts_counts_exactly() {
        let mut s = DistinctSet::spilling_at(5000);
        let mut truth = HashSet::new();
        let mut x = 11u64;
        for i in 0..120_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Repeats within and across runs, and hashes at both ends.
            let h = match i % 1000 {
                0 => 0,
                1 => u64::MAX,
                _ => x % (1 << 40) * (1 << 24),
            };
            s.insert(h);
            truth.insert(h);
        }
        // Some hashes left in the buffer, not sorted yet.
        s.insert(42);
        truth.insert(42);
        assert!(s.runs() > 1);
        let mut pending = s.pending.clone();
        pending.sort_unstable();
        pending.dedup();
        for parts in [1, 2, 3, 7, 64] {
            assert_eq!(
                s.count_in_parts(&pending, parts),
                truth.len() as u64,
                "{parts} parts"
            );
        }
        assert_eq!(s.error(), None);
        assert_eq!(s.len(), truth.len() as u64);
    }

    #[test]
    fn parts_cover_every_hash_once() {
        assert_eq!(part_bound(0, 4), Some(0));
        assert_eq!(part_bound(2, 4), Some(1 << 63));
        assert_eq!(part_bound(4, 4), None);
        assert_eq!(part_bound(1, 1), None);
        let run = write_run(&[3, 5, 5, 9, u64::MAX]).unwrap();
        assert_eq!(run.lower_bound(0).unwrap(), 0);
        assert_eq!(run.lower_bound(5).unwrap(), 1);
        assert_eq!(run.lower_bound(6).unwrap(), 3);
        assert_eq!(run.lower_bound(u64::MAX).unwrap(), 4);
        let mut r = RunReader::span(&run, 1, 4);
        let back: Vec<u64> = std::iter::from_fn(|| r.next().map(Result::unwrap)).collect();
        assert_eq!(back, [5, 5, 9]);
    }

    #[test]
    fn taking_the_members_keeps_the_count() {
        let mut s = DistinctSet::spilling_at(1000);
        (0..5000u64).for_each(|h| s.insert(h % 3000));
        s.settle();
        assert!(s.runs() > 0, "some members are on disk");
        let members = s.take_members();
        assert_eq!(s.len(), 3000, "the emptied set answers as before");
        assert!(s.is_empty());
        assert_eq!(members.len(), 3000);
        let mut all = Vec::new();
        members.for_each(|h| all.push(h)).unwrap();
        assert_eq!(all, (0..3000).collect::<Vec<_>>());
        // Adding to the emptied set counts what it holds now.
        s.insert(7);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn runs_on_disk_are_not_the_hashes_in_the_clear() {
        let hashes: Vec<u64> = (0..100).map(|i| i * 1_000_003).collect();
        let run = write_run(&hashes).unwrap();
        let mut raw = vec![0u8; 800];
        run.file.read_exact_at(&mut raw, 0).unwrap();
        let words: Vec<u64> = raw
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert!(words.iter().all(|w| !hashes.contains(w)));
        let mut reader = RunReader::new(&run);
        let back: Vec<u64> = std::iter::from_fn(|| reader.next().map(Result::unwrap)).collect();
        assert_eq!(back, hashes);
    }

    #[test]
    fn a_large_set_spills_and_still_counts_exactly() {
        let mut s = DistinctSet::spilling_at(1000);
        let mut truth = HashSet::new();
        let mut x = 7u64;
        for _ in 0..60_000 {
            // A small range, so that values repeat within and across runs.
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let h = (x >> 33) % 40_000;
            s.insert(h);
            truth.insert(h);
        }
        assert!(s.runs() >= 1, "the set spilled");
        assert!(s.runs() < MAX_RUNS, "runs were merged");
        assert_eq!(s.len(), truth.len() as u64);
        let mut seen = Vec::new();
        s.for_each(|h| seen.push(h)).unwrap();
        let mut want: Vec<u64> = truth.into_iter().collect();
        want.sort_unstable();
        assert_eq!(seen, want);
        assert_eq!(s.error(), None);
    }

    #[test]
    fn a_run_that_cannot_be_read_back_is_an_error_and_a_lower_bound() {
        let mut s = DistinctSet::spilling_at(1000);
        (0..10_000u64).for_each(|h| s.insert(h * 7));
        assert!(s.runs() >= 1);
        // The first run loses all but its first word on disk.
        s.runs[0].file.set_len(8).unwrap();
        let n = s.len();
        assert!(n < 10_000, "counted {n}");
        assert!(s.error().is_some_and(|e| !e.is_empty()));
        // The error survives absorbing into another set.
        let mut total = DistinctSet::new();
        total.absorb(s);
        assert!(total.error().is_some());
    }

    proptest! {
        #[test]
        fn merging_in_place_is_the_sorted_union(
            mut a in proptest::collection::vec(0u64..300, 0..200),
            mut b in proptest::collection::vec(0u64..300, 0..200),
        ) {
            a.sort_unstable();
            a.dedup();
            b.sort_unstable();
            b.dedup();
            let mut want: Vec<u64> = a.iter().chain(&b).copied().collect();
            want.sort_unstable();
            want.dedup();
            merge_in_place(&mut a, &b);
            prop_assert_eq!(a, want);
        }

        #[test]
        fn the_scans_set_counts_like_a_hash_set(
            files in proptest::collection::vec(proptest::collection::vec(0u64..2000, 0..300), 0..40),
            loose in proptest::collection::vec(0u64..2000, 0..50),
            spill in 64usize..5000,
        ) {
            // Each file's set absorbed (sorted, without repeats), with a
            // few hashes inserted one by one in between.
            let mut all = DistinctSet::spilling_at(spill);
            let mut truth = HashSet::new();
            for (k, file) in files.iter().enumerate() {
                let mut set = DistinctSet::new();
                file.iter().for_each(|&h| set.insert(h));
                set.settle();
                all.absorb(set);
                truth.extend(file.iter().copied());
                if let Some(&h) = loose.get(k) {
                    all.insert(h);
                    truth.insert(h);
                }
            }
            prop_assert_eq!(all.len(), truth.len() as u64);
            let mut seen = Vec::new();
            all.for_each(|h| seen.push(h)).unwrap();
            let mut want: Vec<u64> = truth.into_iter().collect();
            want.sort_unstable();
            prop_assert_eq!(seen, want);
        }

        #[test]
        fn counts_like_a_hash_set(
            a in proptest::collection::vec(0u64..500, 0..3000),
            b in proptest::collection::vec(0u64..500, 0..3000),
            spill in 1usize..400,
        ) {
            let (mut x, mut y) = (DistinctSet::spilling_at(spill), DistinctSet::spilling_at(spill));
            a.iter().for_each(|&h| x.insert(h));
            b.iter().for_each(|&h| y.insert(h));
            let ta: HashSet<u64> = a.iter().copied().collect();
            prop_assert_eq!(x.len(), ta.len() as u64);
            x.absorb(y);
            let all: HashSet<u64> = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(x.len(), all.len() as u64);
            let mut seen = Vec::new();
            x.for_each(|h| seen.push(h)).unwrap();
            prop_assert!(seen.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(seen.len(), all.len());
        }
    }
}
