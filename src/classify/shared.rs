//! The scan's distinct-value sets, merged into by the workers.
//!
//! Each file's value hashes are counted exactly in sets of its own (its
//! entry and the bulk rule need them); the scan's summary needs them merged
//! across files. That merge was the collector thread's: one thread for the
//! whole scan, a quarter of the work on call-detail exports, so with four
//! workers or more it would have been the bottleneck, and `-j 1` used a
//! second core for it. Here the worker that read a file merges its sets
//! into the scan's, one lock per detector; a set that is busy (another
//! worker merging into it, or compacting it) is stashed by the worker and
//! merged at its next file, so workers do not wait on each other.

use super::{DistinctSet, FileTally};
use crate::detect::DetectorId;
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

/// Hashes a worker may hold in its stash before it waits for a lock.
const STASH_MAX: u64 = 1 << 16;

/// One distinct-value set per detector for the whole scan.
#[derive(Debug, Default)]
pub struct ScanDistinct {
    sets: [Mutex<DistinctSet>; DetectorId::ALL.len()],
}

/// A worker's file sets not yet merged (their set was busy).
#[derive(Debug, Default)]
pub struct Stash {
    pieces: Vec<(DetectorId, DistinctSet)>,
    held: u64,
}

impl ScanDistinct {
    /// Empty sets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Move the members of `tally`'s distinct sets into the scan's sets
    /// (the tally's counts stay as they were), through `stash` where a set
    /// is busy.
    pub fn take_from(&self, tally: &mut FileTally, stash: &mut Stash) {
        for (&d, c) in tally.counts.iter_mut() {
            let members = c.distinct.take_members();
            if !members.is_empty() {
                stash.held += members.len();
                stash.pieces.push((d, members));
            }
        }
        let wait = stash.held >= STASH_MAX;
        self.merge(stash, wait);
    }

    /// Merge everything `stash` holds, waiting for locks.
    pub fn flush(&self, stash: &mut Stash) {
        self.merge(stash, true);
    }

    fn merge(&self, stash: &mut Stash, wait: bool) {
        stash.pieces.retain_mut(|(d, piece)| {
            let lock = &self.sets[*d as usize];
            let guard: Option<MutexGuard<'_, DistinctSet>> = if wait {
                Some(lock.lock().unwrap_or_else(PoisonError::into_inner))
            } else {
                match lock.try_lock() {
                    Ok(g) => Some(g),
                    Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
                    Err(TryLockError::WouldBlock) => None,
                }
            };
            match guard {
                Some(mut set) => {
                    set.absorb(std::mem::take(piece));
                    false
                }
                None => true,
            }
        });
        stash.held = stash.pieces.iter().map(|(_, p)| p.len()).sum();
    }

    /// The non-empty sets, by detector (once every worker has flushed).
    pub fn into_sets(self) -> impl Iterator<Item = (DetectorId, DistinctSet)> {
        DetectorId::ALL
            .into_iter()
            .zip(self.sets)
            .map(|(d, m)| (d, m.into_inner().unwrap_or_else(PoisonError::into_inner)))
            .filter(|(_, s)| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Policy;
    use crate::detect::{value_hash, Confidence, Match};
    use crate::patterns::Patterns;
    use std::collections::HashSet;
    use std::sync::Arc;

    fn tally_of(policy: &Policy, values: &[(DetectorId, String)]) -> FileTally {
        let mut t = FileTally::new(10);
        for (d, v) in values {
            let m = Match::new(*d, 0..1, v, Confidence::Medium);
            t.add_record(policy, &[m], |_| (1, 1, None::<Arc<str>>));
        }
        t.settle();
        t
    }

    #[test]
    fn detectors_index_their_sets() {
        for (i, d) in DetectorId::ALL.into_iter().enumerate() {
            assert_eq!(d as usize, i, "{d}");
        }
    }

    #[test]
    fn files_merged_by_two_workers_count_like_one_set() {
        let policy = Policy::new(&Patterns::builtin().unwrap(), Some(50));
        // 40 files of mobile numbers and records; neighbouring files share
        // half their values.
        let files: Vec<Vec<(DetectorId, String)>> = (0..40u64)
            .map(|f| {
                (0..300u64)
                    .flat_map(|i| {
                        let n = f * 150 + i;
                        [
                            (DetectorId::CnMobile, format!("138{n:08}")),
                            (DetectorId::CdrRecord, format!("139{n:08}|x")),
                        ]
                    })
                    .collect()
            })
            .collect();
        let mut truth: HashSet<(DetectorId, String)> = HashSet::new();
        files.iter().flatten().for_each(|v| {
            truth.insert(v.clone());
        });
        let scan = ScanDistinct::new();
        std::thread::scope(|s| {
            for half in files.chunks(20) {
                let (scan, policy) = (&scan, &policy);
                s.spawn(move || {
                    let mut stash = Stash::default();
                    for values in half {
                        let mut t = tally_of(policy, values);
                        scan.take_from(&mut t, &mut stash);
                        // The file's own counts are kept.
                        assert_eq!(t.counts[&DetectorId::CnMobile].distinct.len(), 300);
                        assert_eq!(t.counts[&DetectorId::CdrRecord].total, 300);
                    }
                    scan.flush(&mut stash);
                    assert_eq!(stash.held, 0);
                });
            }
        });
        let sets: Vec<(DetectorId, DistinctSet)> = scan.into_sets().collect();
        assert_eq!(sets.len(), 2);
        for (d, set) in sets {
            let want = truth.iter().filter(|(td, _)| *td == d).count() as u64;
            assert_eq!(set.len(), want, "{d}");
            // 40 files of 300 values, each sharing 150 with the one before.
            assert_eq!(want, 150 * 40 + 150);
            let mut hashes = Vec::new();
            set.for_each(|h| hashes.push(h)).unwrap();
            let first = match d {
                DetectorId::CnMobile => "13800000007",
                _ => "13900000007|x",
            };
            assert!(hashes
                .binary_search(&value_hash(d, first.as_bytes()))
                .is_ok());
        }
    }

    #[test]
    fn a_busy_set_is_stashed_and_merged_later() {
        let policy = Policy::new(&Patterns::builtin().unwrap(), Some(50));
        let values: Vec<(DetectorId, String)> = (0..100u64)
            .map(|i| (DetectorId::CnMobile, format!("138{i:08}")))
            .collect();
        let scan = ScanDistinct::new();
        let mut stash = Stash::default();
        let mut t = tally_of(&policy, &values);
        {
            let _busy = scan.sets[DetectorId::CnMobile as usize].lock().unwrap();
            scan.take_from(&mut t, &mut stash);
        }
        assert_eq!(stash.held, 100, "the busy set's piece waits in the stash");
        assert_eq!(t.counts[&DetectorId::CnMobile].distinct.len(), 100);
        let mut t2 = tally_of(&policy, &values[50..]);
        scan.take_from(&mut t2, &mut stash);
        assert_eq!(stash.held, 0, "merged at the next file");
        let sets: Vec<_> = scan.into_sets().collect();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].1.len(), 100);
    }
}
