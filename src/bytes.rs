//! Dense byte search: every position of one or two byte values, found 64
//! bytes at a time.
//!
//! `memchr` is built for needles that are far apart; each call sets up its
//! vector loop again. The delimiters of a CSV row come every few bytes,
//! where that setup costs more than the search. [`Positions`] turns 64
//! bytes into a bit mask with SIMD compares once and then yields each match
//! by a bit scan. (Line ends stay with `memchr`: lines are long enough, and
//! measured, the two were even.) [`block_masks`], the 64-byte classifier
//! underneath, is shared with the detector's candidate scanner.

use wide::u8x16;

/// Positions of the bytes equal to either needle, in increasing order.
pub struct Positions<'h> {
    hay: &'h [u8],
    needles: [u8; 2],
    /// Offset of the block whose matches are in `mask`.
    base: usize,
    /// Matches of the block at `base` not yet returned.
    mask: u64,
}

impl<'h> Positions<'h> {
    /// Positions in `hay` of bytes equal to `a` or `b` (pass the same byte
    /// twice for one needle).
    pub fn new(hay: &'h [u8], a: u8, b: u8) -> Self {
        let mut p = Positions {
            hay,
            needles: [a, b],
            base: 0,
            mask: 0,
        };
        p.mask = p.block_mask();
        p
    }

    /// The match mask of the 64 bytes at `base`.
    fn block_mask(&self) -> u64 {
        let [a, b] = self.needles.map(u8x16::splat);
        let one = self.needles[0] == self.needles[1];
        let [mask] = block_masks(self.hay, self.base / 64, |v| {
            [if one {
                v.simd_eq(a)
            } else {
                v.simd_eq(a) | v.simd_eq(b)
            }]
        });
        // A zero needle would match the padding of a short haystack.
        match self.hay.len() - self.base {
            n if n < 64 => mask & ((1u64 << n) - 1),
            _ => mask,
        }
    }
}

/// The masks `f` gives for 64-byte block `block` of `text`, joined over its
/// four 16-byte pieces: bit `j` for byte `j`. A last, partial block is read
/// as the 64 bytes that end the text, its masks shifted down (no copy);
/// only a text shorter than a block is padded, with zero bytes: an `f`
/// that can match a zero byte must clear the bits past the end itself
/// (masking here for every caller cost 2 % of a scan's instructions).
#[inline(always)]
pub fn block_masks<const N: usize>(
    text: &[u8],
    block: usize,
    f: impl Fn(u8x16) -> [u8x16; N],
) -> [u64; N] {
    let from = block.saturating_mul(64);
    let Some(bytes) = text.get(from..).filter(|b| !b.is_empty()) else {
        return [0; N];
    };
    if let Some(full) = bytes.first_chunk::<64>() {
        return masks(full, f);
    }
    if let Some(tail) = text.last_chunk::<64>() {
        let shift = 64 - bytes.len();
        return masks(tail, f).map(|m| m >> shift);
    }
    let mut padded = [0u8; 64];
    padded[..bytes.len()].copy_from_slice(bytes);
    masks(&padded, f)
}

/// `f` applied to each 16-byte piece of `block`, its 16-bit results joined.
#[inline(always)]
fn masks<const N: usize>(block: &[u8; 64], f: impl Fn(u8x16) -> [u8x16; N]) -> [u64; N] {
    let mut out = [0u64; N];
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(chunk);
        for (o, m) in out.iter_mut().zip(f(u8x16::new(bytes))) {
            *o |= u64::from(m.to_bitmask()) << (16 * k);
        }
    }
    out
}

impl Iterator for Positions<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= self.hay.len() {
                return None;
            }
            self.mask = self.block_mask();
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_bytes(hay: &[u8], a: u8, b: u8) -> Vec<usize> {
        (0..hay.len())
            .filter(|&i| hay[i] == a || hay[i] == b)
            .collect()
    }

    #[test]
    fn finds_every_match_across_blocks() {
        let hay: Vec<u8> = (0..300u32)
            .map(|i| if i % 7 == 0 { b',' } else { b'a' })
            .collect();
        assert_eq!(
            Positions::new(&hay, b',', b',').collect::<Vec<_>>(),
            by_bytes(&hay, b',', b',')
        );
        assert_eq!(Positions::new(b"", b'\n', b'\n').count(), 0);
        // A zero needle does not match the padding past the end.
        assert_eq!(Positions::new(b"a\0b", 0, 0).collect::<Vec<_>>(), [1]);
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_a_byte_loop(
            hay in proptest::collection::vec(proptest::sample::select(vec![0u8, b'\n', b',', b'"', b'a', 0xFF]), 0..300),
            a in proptest::sample::select(vec![0u8, b'\n', b',']),
            b in proptest::sample::select(vec![b'"', b'\n', 0xFF]),
        ) {
            proptest::prop_assert_eq!(Positions::new(&hay, a, b).collect::<Vec<_>>(), by_bytes(&hay, a, b));
        }
    }
}
