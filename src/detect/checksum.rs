//! Check-digit algorithms as pure functions: GB 11643 MOD 11-2 for resident
//! identity numbers. Inputs are ASCII digits; nothing here allocates.

/// Weights of the first 17 digits in GB 11643 (2^(18-i) mod 11).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder of the weighted sum modulo 11.
const ID_CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// The GB 11643 check character (`0`-`9` or `X`) for the first 17 digits of an
/// identity number, or `None` if the input is not 17 ASCII digits.
pub fn resident_id_check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(ID_CHECK_CHARS[(sum % 11) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    }
}
