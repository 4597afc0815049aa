//! Check-digit algorithms as pure functions: GB 11643 MOD 11-2 for resident
//! identity numbers, Luhn (ISO/IEC 7812) for card numbers, IMEI and ICCID,
//! and GB 32100 MOD 31 for unified social credit codes. Inputs are ASCII;
//! nothing here allocates.

use wide::{i16x8, u8x16};

/// Weights of the first 17 digits in GB 11643 (2^(18-i) mod 11).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder of the weighted sum modulo 11.
const ID_CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// The GB 11643 check character (`0`-`9` or `X`) for the first 17 digits of an
/// identity number, or `None` if the input is not 17 ASCII digits.
pub fn resident_id_check_char(first17: &[u8]) -> Option<u8> {
    let digits: &[u8; 17] = first17.try_into().ok()?;
    let (head, last) = (digits.first_chunk::<16>()?, digits[16].wrapping_sub(b'0'));
    // Sixteen digits at once: subtract '0', check, widen to 16 bits and
    // multiply-add with the weights (SSE2 `pmaddwd`); the value is used
    // only if all were digits.
    let v = u8x16::new(*head) - u8x16::splat(b'0');
    let all_digits = v.min(u8x16::splat(9)).simd_eq(v).to_bitmask() == 0xFFFF && last < 10;
    let weights = |w: &[u32]| i16x8::new(std::array::from_fn(|i| w[i] as i16));
    let sums = i16x8::from_u8x16_low(v).dot(weights(&ID_WEIGHTS[..8]))
        + i16x8::from_u8x16_high(v).dot(weights(&ID_WEIGHTS[8..16]));
    let sum = sums.to_array().iter().sum::<i32>() as u32 + u32::from(last) * ID_WEIGHTS[16];
    all_digits.then(|| ID_CHECK_CHARS[(sum % 11) as usize])
}

/// Whether ASCII digits pass the Luhn check (the last digit is the check digit).
pub fn luhn_valid(digits: &[u8]) -> bool {
    match digits.split_last() {
        Some((&last, body)) if !body.is_empty() => luhn_check_digit(body) == Some(last),
        _ => false,
    }
}

/// The Luhn check digit (ASCII) to append to ASCII digits `body`, or `None`
/// if `body` holds anything but digits.
pub fn luhn_check_digit(body: &[u8]) -> Option<u8> {
    // Doubling a digit and summing the result's digits, by table.
    const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    let mut sum = 0u32;
    for (i, &b) in body.iter().rev().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        // The digit next to the check digit is doubled, and every second one.
        sum += if i % 2 == 0 {
            DOUBLED[usize::from(d)]
        } else {
            u32::from(d)
        };
    }
    Some(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// Characters of a unified social credit code (no I, O, S, V, Z).
const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100 weights of the first 17 characters (3^i mod 31).
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The GB 32100 check character for the first 17 characters of a unified
/// social credit code, or `None` if a character is not in the code's alphabet.
pub fn uscc_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(USCC_WEIGHTS) {
        let v = USCC_CHARS.iter().position(|x| x == c)? as u32;
        sum += v * w;
    }
    Some(USCC_CHARS[((31 - sum % 31) % 31) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn luhn_vectors() {
        // The classic Luhn example and numbers with hand-computed check digits.
        assert!(luhn_valid(b"79927398713"));
        assert!(!luhn_valid(b"79927398710"));
        assert!(luhn_valid(b"4111111111111111"));
        assert!(
            luhn_valid(b"490154203237518"),
            "IMEI example from 3GPP TS 23.003"
        );
        assert!(!luhn_valid(b"490154203237519"));
        assert!(!luhn_valid(b"4"));
        assert_eq!(luhn_check_digit(b"7992739871"), Some(b'3'));
        assert_eq!(luhn_check_digit(b"411111111111111"), Some(b'1'));
        assert_eq!(luhn_check_digit(b"49015420323751"), Some(b'8'));
        assert_eq!(luhn_check_digit(b"4901542032375x"), None);
        assert!(!luhn_valid(b"41111111111111x1"));
    }

    #[test]
    fn uscc_vectors() {
        // Hand-computed: weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28.
        assert_eq!(uscc_check_char(b"91350100M000100Y4"), Some(b'3'));
        assert_eq!(uscc_check_char(b"00000000000000000"), Some(b'0'));
        assert_eq!(
            uscc_check_char(b"9135010OM000100Y4"),
            None,
            "O is not in the alphabet"
        );
        assert_eq!(uscc_check_char(b"short"), None);
    }

    #[test]
    fn known_check_chars() {
        // Hand-computed: sum of weighted digits mod 11 looked up in "10X98765432".
        let t = [
            ("11010119900307123", b'3'),
            ("11010119900307109", b'X'),
            ("44030519851231002", b'6'),
            ("00000000000000000", b'1'),
        ];
        for (first17, want) in t {
            assert_eq!(
                resident_id_check_char(first17.as_bytes()),
                Some(want),
                "{first17}"
            );
        }
    }

    #[test]
    fn rejects_wrong_length_and_non_digits() {
        assert_eq!(resident_id_check_char(b"1234"), None);
        assert_eq!(resident_id_check_char(b"1101011990030712X"), None);
    }

    proptest! {
        #[test]
        fn changing_one_digit_changes_the_check_char(
            digits in proptest::collection::vec(0u8..10, 17),
            pos in 0usize..17,
            delta in 1u8..10,
        ) {
            let a: Vec<u8> = digits.iter().map(|d| b'0' + d).collect();
            let mut b = a.clone();
            b[pos] = b'0' + (digits[pos] + delta) % 10;
            // Every weight is non-zero and coprime with 11, so a single-digit
            // change always moves the sum to another residue.
            prop_assert_ne!(resident_id_check_char(&a), resident_id_check_char(&b));
        }

        #[test]
        fn luhn_catches_every_single_digit_error(
            digits in proptest::collection::vec(0u8..10, 15),
            pos in 0usize..16,
            delta in 1u8..10,
        ) {
            let mut a: Vec<u8> = digits.iter().map(|d| b'0' + d).collect();
            let check = (0..10u8).map(|c| b'0' + c).find(|&c| {
                let mut t = a.clone();
                t.push(c);
                luhn_valid(&t)
            });
            prop_assert!(check.is_some());
            a.push(check.unwrap());
            prop_assert!(luhn_valid(&a));
            a[pos] = b'0' + (a[pos] - b'0' + delta) % 10;
            prop_assert!(!luhn_valid(&a));
        }

        #[test]
        fn luhn_agrees_with_the_textbook_sum(digits in proptest::collection::vec(0u8..10, 2..24)) {
            // Textbook form: from the right, double every second digit,
            // subtract 9 from results above 9; valid if the sum ends in 0.
            let sum: u32 = digits.iter().rev().enumerate().map(|(i, &d)| {
                let d = u32::from(d);
                match (i % 2, d * 2) {
                    (1, x) if x > 9 => x - 9,
                    (1, x) => x,
                    _ => d,
                }
            }).sum();
            let ascii: Vec<u8> = digits.iter().map(|d| b'0' + d).collect();
            prop_assert_eq!(luhn_valid(&ascii), sum % 10 == 0);
        }

        #[test]
        fn id_check_char_agrees_with_the_textbook_sum(
            bytes in proptest::collection::vec(prop_oneof![4 => b'0'..=b'9', 1 => any::<u8>()], 17),
        ) {
            // GB 11643: weights 2^(17-i) mod 11, check character "10X98765432"
            // indexed by the sum mod 11, byte by byte.
            let expected = bytes.iter().all(u8::is_ascii_digit).then(|| {
                let sum: u32 = bytes.iter().enumerate()
                    .map(|(i, &b)| u32::from(b - b'0') * ((1u32 << (17 - i)) % 11))
                    .sum();
                b"10X98765432"[(sum % 11) as usize]
            });
            prop_assert_eq!(resident_id_check_char(&bytes), expected);
        }
    }
}
