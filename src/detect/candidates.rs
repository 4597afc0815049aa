//! Which digit runs of a text can start a reading, found 64 bytes at a time.
//!
//! Most digit runs a scan meets (timestamps, amounts, counters, IP
//! addresses) cannot begin any value the detectors read, and looking at each
//! of them was the hottest loop of a scan. Here a 64-byte block is turned
//! into bit masks with SIMD compares (digits, letters, separators and the
//! few digits that start phone numbers), run lengths and their neighbours
//! become word arithmetic on those masks, and [`Candidates`] yields only the
//! runs whose shape could begin a reading. The shape rule is a necessary
//! condition of the readings in `detect`: a test there compares a scan
//! through candidates with one through every run.

use crate::bytes::block_masks;
use wide::u8x16;

/// Unsigned `x <= n`, lane by lane.
#[inline(always)]
fn at_most(x: u8x16, n: u8) -> u8x16 {
    x.min(u8x16::splat(n)).simd_eq(x)
}

/// Digits and `'@'` (of an e-mail address): every block needs them. (Bit
/// `j` of a mask describes byte `j` of the block.)
fn digits_and_at(text: &[u8], block: usize) -> [u64; 2] {
    let splat = u8x16::splat;
    block_masks(text, block, |v| {
        [at_most(v - splat(b'0'), 9), v.simd_eq(splat(b'@'))]
    })
}

/// The bytes `0` and `8` (a run's first digit): for blocks with short runs.
fn zeros_and_eights(text: &[u8], block: usize) -> [u64; 2] {
    let splat = u8x16::splat;
    block_masks(text, block, |v| {
        [v.simd_eq(splat(b'0')), v.simd_eq(splat(b'8'))]
    })
}

/// Letters and the separators of grouped numbers (`' '`, `'-'`): only for
/// blocks with short runs that may start a grouped or letter-led value.
fn letters_and_separators(text: &[u8], block: usize) -> [u64; 2] {
    let splat = u8x16::splat;
    block_masks(text, block, |v| {
        [
            at_most((v | splat(0x20)) - splat(b'a'), 25),
            v.simd_eq(splat(b' ')) | v.simd_eq(splat(b'-')),
        ]
    })
}

/// One block's masks: `[digit, at]`, and `[zero, eight]` and `[alpha,
/// sep]` computed when first needed.
#[derive(Clone, Copy, Default)]
struct Block {
    digits: [u64; 2],
    leads: Option<[u64; 2]>,
    rest: Option<[u64; 2]>,
}

impl Block {
    fn of(text: &[u8], block: usize) -> Self {
        Block {
            digits: digits_and_at(text, block),
            leads: None,
            rest: None,
        }
    }

    fn digit(&self) -> u64 {
        self.digits[0]
    }

    fn at(&self) -> u64 {
        self.digits[1]
    }
}

/// The candidate runs of one text, from left to right.
pub struct Candidates<'a> {
    text: &'a [u8],
    /// The block whose candidates are in `pending`.
    block: usize,
    /// Masks of `block` and of the block after it (run lengths and the
    /// groups after a run look up to eleven bytes ahead).
    cur: Block,
    next: Block,
    /// Bit 63 of the digit mask of the block before `block`.
    carry_digit: u128,
    /// Candidate starts of `block` not yet returned.
    pending: u64,
    /// Whether a block seen so far holds an `@`.
    saw_at: bool,
    /// Whether the first blocks are classified.
    started: bool,
}

impl<'a> Candidates<'a> {
    /// The candidate runs of `text`.
    #[inline]
    pub fn new(text: &'a [u8]) -> Self {
        // Nothing computed yet: built in place, the first call starts.
        Candidates {
            text,
            block: 0,
            cur: Block::default(),
            next: Block::default(),
            carry_digit: 0,
            pending: 0,
            saw_at: false,
            started: false,
        }
    }

    /// Classify the first two blocks.
    fn start(&mut self) {
        self.started = true;
        self.cur = Block::of(self.text, 0);
        self.next = Block::of(self.text, 1);
        self.pending = self.starts();
        self.saw_at = self.cur.at() != 0;
    }

    /// Move to the next block; false past the end of the text.
    fn advance(&mut self) -> bool {
        self.block += 1;
        if self.block * 64 >= self.text.len() {
            return false;
        }
        self.carry_digit = u128::from(self.cur.digit() >> 63);
        self.cur = self.next;
        self.next = Block::of(self.text, self.block + 1);
        self.pending = self.starts();
        self.saw_at |= self.cur.at() != 0;
        true
    }

    /// Whether the text holds an `@` (an e-mail address may be in it). Known
    /// once [`Candidates::next_from`] has returned `None`: every block has
    /// then been classified.
    pub fn saw_at(&self) -> bool {
        self.saw_at
    }

    /// The next candidate run `(start, end)` that starts at or after `from`.
    #[inline]
    pub fn next_from(&mut self, from: usize) -> Option<(usize, usize)> {
        if !self.started {
            self.start();
        }
        loop {
            let base = self.block * 64;
            if from >= base + 64 {
                if !self.advance() {
                    return None;
                }
                continue;
            }
            if from > base {
                self.pending &= !0u64 << (from - base);
            }
            if self.pending != 0 {
                let p = self.pending.trailing_zeros() as usize;
                self.pending &= self.pending - 1;
                return Some((base + p, self.run_end(p)));
            }
            if !self.advance() {
                return None;
            }
        }
    }

    /// End of the digit run starting at bit `p` of the current block.
    fn run_end(&self, p: usize) -> usize {
        let digits = u128::from(self.cur.digit()) | u128::from(self.next.digit()) << 64;
        let len = (!(digits >> p)).trailing_zeros() as usize;
        let end = self.block * 64 + p + len;
        if p + len < 128 {
            return end;
        }
        // A run longer than the two blocks in view.
        end + self.text[end..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    }

    /// Candidate run starts of the current block: runs whose length and
    /// neighbours could begin a reading (see `Registry::readings`). A
    /// separator or letter right after `k` digits makes the run exactly `k`
    /// long; the groups after a separator need only be long enough (a
    /// superset is safe, a missed run is not). Letters, separators and first
    /// digits are classified only for blocks where a short run needs them.
    fn starts(&mut self) -> u64 {
        let d = u128::from(self.cur.digit()) | u128::from(self.next.digit()) << 64;
        // `dk`: bit p when bytes p..p+k are all digits.
        let d2 = d & (d >> 1);
        let d4 = d2 & (d2 >> 2);
        let d6 = d4 & (d2 >> 4);
        // Every rule needs two digits at a start in this block or, for a
        // digit-letter USCC, six digits two bytes past it.
        if (d2 | (d6 >> 2)) & ((1 << 64) - 1) == 0 {
            return 0;
        }
        let start = d & !((d << 1) | self.carry_digit);
        let d3 = d2 & (d >> 2);
        let d8 = d4 & (d4 >> 4);
        // Eight digits or more: IDs, cards, IMSI/IMEI/ICCID, bare numbers,
        // a USCC led by digits.
        let long = d8;
        // Only long runs (or none that the other rules could take): no
        // other masks needed.
        let short = (start & !d8 & (d2 | (d6 >> 2))) as u64;
        if short == 0 {
            return (start & long) as u64;
        }
        let (text, block) = (self.text, self.block);
        // What the rules below need of the digits alone (and of a run's
        // first digit) drops most short runs (times, amounts, addresses)
        // before letters and separators are classified.
        let [zero, eight] = *self
            .cur
            .leads
            .get_or_insert_with(|| zeros_and_eights(text, block));
        let (zero, eight) = (u128::from(zero), u128::from(eight));
        // A run of six or seven digits (longer ones are long) is taken
        // only before a group or after a letter: looked up byte by byte, as
        // such runs are few.
        let base = self.block * 64;
        let mut bare = (start & d6 & !d8 & !(d4 >> 7)) as u64;
        let mut lettered_six = 0u64;
        while bare != 0 {
            let p = bare.trailing_zeros() as usize;
            if (base + p)
                .checked_sub(1)
                .is_some_and(|b| text[b].is_ascii_alphabetic())
            {
                lettered_six |= 1 << p;
            }
            bare &= bare - 1;
        }
        let may = (d6 & (d4 >> 7))
            | u128::from(lettered_six)
            | ((d6 >> 2) & !d2)
            | (d2 & !d3 & ((d6 >> 3) | eight))
            | (d3 & !d4 & (zero | (d4 >> 4)))
            | (d4 & !(d >> 4) & ((d4 >> 5) | zero));
        let short = short & may as u64;
        if short == 0 {
            return (start & long) as u64;
        }
        let cur = *self
            .cur
            .rest
            .get_or_insert_with(|| letters_and_separators(text, block));
        // The rules below read letters and separators at most six bytes
        // past a start: the next block's only for starts from bit 58 on.
        let next = if short >> 58 != 0 {
            *self
                .next
                .rest
                .get_or_insert_with(|| letters_and_separators(text, block + 1))
        } else {
            [0, 0]
        };
        let wide = |i: usize| u128::from(cur[i]) | u128::from(next[i]) << 64;
        let (alpha, sep) = (wide(0), wide(1));
        let alpha_before = u128::from(base > 0 && self.text[base - 1].is_ascii_alphabetic());
        // Letters before six digits or more (passports, permits, a USCC led
        // by letters); one digit, a letter and six digits (a USCC).
        let lettered = (((alpha << 1) | alpha_before) & d6) | ((alpha >> 1) & (d6 >> 2) & !d2);
        // Grouped numbers: 2-6 (ID), 3-4-4 (mobile), 4-4-4-4 (card), 6-...
        // (ID, card, IMEI); `86 ` of a country code; a run of exactly three
        // or four digits led by `0` (an area code: `010-`, `(0755)`).
        let two = d2 & (sep >> 2) & ((d6 >> 3) | eight);
        let three = d3 & !d4 & (zero | ((sep >> 3) & (d4 >> 4)));
        let four = d4 & (((sep >> 4) & (d4 >> 5)) | (zero & !(d4 & (d >> 4))));
        let six = d6 & (sep >> 6) & (d4 >> 7);
        (start & (long | lettered | two | three | four | six)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every digit run of `t` at or after `from`, by a plain byte loop.
    fn runs_by_bytes(t: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(p) = t[i..].iter().position(u8::is_ascii_digit) {
            let s = i + p;
            let e = s + t[s..].iter().take_while(|b| b.is_ascii_digit()).count();
            out.push((s, e));
            i = e;
        }
        out
    }

    fn candidates(t: &[u8]) -> Vec<(usize, usize)> {
        let mut c = Candidates::new(t);
        let mut out = Vec::new();
        let mut i = 0;
        while let Some((s, e)) = c.next_from(i) {
            out.push((s, e));
            i = e;
        }
        out
    }

    /// The candidate runs of `t`, as text.
    fn kept(t: &str) -> Vec<&str> {
        candidates(t.as_bytes())
            .into_iter()
            .map(|(s, e)| &t[s..e])
            .collect()
    }

    #[test]
    fn keeps_runs_that_can_start_a_value() {
        assert_eq!(
            kept("2024-03-03 20:24:53 DEBUG order=91975318873634965495 amount=2566.60"),
            ["91975318873634965495"]
        );
        assert_eq!(
            kept("ip=10.157.131.183 took 254 ms; ratio 60%, v2"),
            Vec::<&str>::new()
        );
        assert_eq!(
            kept("tel 138-1234-5678 or 138 1234"),
            ["138", "1234", "138"]
        );
        assert_eq!(
            kept("(010) 6234 5678, 0755-88662345"),
            ["010", "6234", "0755", "88662345"]
        );
        assert_eq!(kept("6222 0212 3456 7894"), ["6222", "0212", "3456"]);
        assert_eq!(kept("110101 19900307 123X"), ["110101", "19900307"]);
        assert_eq!(
            kept("E12345678 H1234567890 ab12"),
            ["12345678", "1234567890"]
        );
        assert_eq!(kept("9N350100M000100Y43"), ["9", "350100", "000100"]);
        assert_eq!(kept("+86 138"), ["86"]);
    }

    #[test]
    fn an_at_sign_in_any_block_is_seen() {
        for at in [0, 5, 63, 64, 100, 127, 128, 200] {
            let mut t = vec![b'x'; 201];
            t[at] = b'@';
            let mut c = Candidates::new(&t);
            assert_eq!(c.next_from(0), None);
            assert!(c.saw_at(), "@ at {at}");
        }
        let mut c = Candidates::new(b"no at sign 13812345678 here");
        while c.next_from(30).is_some() {}
        assert!(!c.saw_at());
    }

    #[test]
    fn run_ends_past_two_blocks() {
        let t = format!("{}x{}", "a".repeat(70), "7".repeat(300));
        assert_eq!(candidates(t.as_bytes()), [(71, 371)]);
        let t = "5".repeat(129);
        assert_eq!(candidates(t.as_bytes()), [(0, 129)]);
    }

    #[test]
    fn runs_across_block_edges() {
        // A 4-4-4-4 group and a letter-led passport cut by block edges.
        for pad in 50..70 {
            let t = format!("{}6222 0212 3456 7894 E12345678", ".".repeat(pad));
            assert_eq!(kept(&t), ["6222", "0212", "3456", "12345678"], "pad {pad}");
            // Short groups whose separator is in the next block.
            let t = format!("{}138 1234 5678 0755-8866", ".".repeat(pad));
            assert_eq!(kept(&t), ["138", "1234", "5678", "0755"], "pad {pad}");
        }
        // A run continuing from one block into the next is one run.
        let t = format!("{}{}", "x".repeat(60), "1".repeat(18));
        assert_eq!(candidates(t.as_bytes()), [(60, 78)]);
    }

    proptest::proptest! {
        /// Candidates are digit runs, whole and in order.
        #[test]
        fn candidates_are_whole_runs(t in "[0-9a )(-]{0,300}") {
            let all = runs_by_bytes(t.as_bytes());
            for c in candidates(t.as_bytes()) {
                proptest::prop_assert!(all.contains(&c), "{:?} not a run", c);
            }
        }

        #[test]
        fn no_panic_on_random_bytes(t in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let all = runs_by_bytes(&t);
            for c in candidates(&t) {
                proptest::prop_assert!(all.contains(&c));
            }
        }
    }
}
