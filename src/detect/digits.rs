//! Where the ASCII digit runs of a text are, found 64 bytes at a time.
//!
//! Most bytes of the text a scan reads are not digits, and most digit runs
//! (timestamps, amounts, counters) are not values; finding runs is the
//! hottest loop of the detector. A 64-byte block becomes a 64-bit mask of
//! its digits with word-wide arithmetic (eight bytes per step, no branches),
//! and a run's start and end are then bit scans of that mask.

/// Digit positions of one text, for reading it from left to right.
pub struct Digits<'a> {
    text: &'a [u8],
    /// The block whose mask is cached, and its digit mask.
    block: usize,
    mask: u64,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

impl<'a> Digits<'a> {
    /// Digit positions of `text`.
    pub fn new(text: &'a [u8]) -> Self {
        Digits {
            text,
            block: usize::MAX,
            mask: 0,
        }
    }

    /// Bit `j` set when byte `64 * block + j` is an ASCII digit.
    #[inline]
    fn mask_of(&mut self, block: usize) -> u64 {
        if block != self.block {
            let from = block * 64;
            let bytes = &self.text[from..self.text.len().min(from + 64)];
            self.mask = match bytes.first_chunk::<64>() {
                Some(full) => block_mask(full),
                None => {
                    // The last, partial block: bytes past the end are not digits.
                    let mut padded = [0u8; 64];
                    padded[..bytes.len()].copy_from_slice(bytes);
                    block_mask(&padded)
                }
            };
            self.block = block;
        }
        self.mask
    }

    /// The first digit run starting at or after `from`: `(start, end)`.
    #[inline]
    pub fn run_from(&mut self, from: usize) -> Option<(usize, usize)> {
        let n = self.text.len();
        if from >= n {
            return None;
        }
        let mut block = from / 64;
        let mut m = self.mask_of(block) & (!0u64 << (from % 64));
        while m == 0 {
            block += 1;
            if block * 64 >= n {
                return None;
            }
            m = self.mask_of(block);
        }
        let start = block * 64 + m.trailing_zeros() as usize;
        // The run ends at the first non-digit after its start.
        let mut end_bits = !self.mask & (!0u64 << (start % 64));
        while end_bits == 0 {
            block += 1;
            if block * 64 >= n {
                return Some((start, n));
            }
            end_bits = !self.mask_of(block);
        }
        Some((
            start,
            (block * 64 + end_bits.trailing_zeros() as usize).min(n),
        ))
    }
}

/// The digit mask of 64 bytes: bit `j` for byte `j`.
fn block_mask(block: &[u8; 64]) -> u64 {
    let mut mask = 0;
    for (k, word) in block.chunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        // Digits become 0..=9. A byte is not a digit if its low seven bits
        // plus 0x76 reach 0x80, or its top bit is set; no carry crosses bytes.
        let x = u64::from_le_bytes(w) ^ (LO * 0x30);
        let not_digit = ((x & (LO * 0x7F)) + LO * 0x76) | x;
        let digit = !not_digit & HI;
        // Gather the eight flags (bit 7 of each byte) into the top byte, byte
        // `j` to bit `j`: every partial product lands on its own bit.
        let packed = ((digit >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
        mask |= packed << (8 * k);
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first digit run at or after `from`, by a plain byte loop.
    fn by_bytes(t: &[u8], from: usize) -> Option<(usize, usize)> {
        let start = from + t[from..].iter().position(u8::is_ascii_digit)?;
        let end = start + t[start..].iter().take_while(|b| b.is_ascii_digit()).count();
        Some((start, end))
    }

    fn check(t: &[u8]) {
        let mut d = Digits::new(t);
        for from in 0..=t.len() {
            assert_eq!(d.run_from(from), by_bytes(t, from), "{t:?} from {from}");
        }
        // Going backwards recomputes blocks.
        let mut d = Digits::new(t);
        for from in (0..=t.len()).rev() {
            assert_eq!(d.run_from(from), by_bytes(t, from));
        }
    }

    #[test]
    fn agrees_with_a_byte_loop() {
        let long = "1".repeat(130) + "x" + &"9".repeat(64);
        let texts: [&[u8]; 9] = [
            b"",
            b"abcdefgh",
            b"abcdefgh1",
            "号码：１３８ and 0".as_bytes(),
            b"\xff\xfe\x3a\x2f/9\xb0\xb9\x30",
            b"0123456789",
            b"/:09",
            long.as_bytes(),
            &[
                b'0' - 1,
                b'0',
                b'9',
                b'9' + 1,
                0x80 | b'0',
                0x80 | b'9',
                0xFF,
                0x00,
            ],
        ];
        for t in texts {
            check(t);
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_on_random_bytes(t in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            check(&t);
        }

        #[test]
        fn agrees_on_digit_heavy_text(t in "[0-9a/ ]{0,200}") {
            check(t.as_bytes());
        }
    }
}
