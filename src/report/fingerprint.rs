//! Keyed fingerprints of normalised values: BLAKE3 in keyed mode, so a report
//! lets two scans be compared without letting anyone recover a value by
//! hashing every possible ID number (there are few enough to try them all).

use crate::detect::DetectorId;

/// Context string for deriving the fingerprint key from the user's key material.
const KEY_CONTEXT: &str = "leakscan 2026-11 value fingerprint key v1";

/// Computes fingerprints with one key.
#[derive(Clone)]
pub struct Fingerprinter {
    key: [u8; 32],
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter { key: <redacted> }")
    }
}

impl Fingerprinter {
    /// A fingerprinter keyed by `material` (any length; a key is derived from it).
    pub fn new(material: &[u8]) -> Self {
        Fingerprinter {
            key: blake3::derive_key(KEY_CONTEXT, material),
        }
    }

    /// `b3:` and 32 hex digits (128 bits) of the keyed hash of the detector id
    /// and the normalised value.
    pub fn fingerprint(&self, d: DetectorId, value: &str) -> String {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(d.as_str().as_bytes());
        h.update(&[0]);
        h.update(value.as_bytes());
        let hex = h.finalize().to_hex();
        format!("b3:{}", &hex[..32])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_key_and_different_across_keys() {
        let a = Fingerprinter::new(b"key one");
        let b = Fingerprinter::new(b"key two");
        let v = "110101199003071233";
        let fa = a.fingerprint(DetectorId::CnResidentId, v);
        assert_eq!(
            fa,
            Fingerprinter::new(b"key one").fingerprint(DetectorId::CnResidentId, v)
        );
        assert_ne!(fa, b.fingerprint(DetectorId::CnResidentId, v));
        assert_ne!(fa, a.fingerprint(DetectorId::CnMobile, v));
        assert_eq!(fa.len(), 35);
        // Not the unkeyed hash of the value.
        assert!(!blake3::hash(v.as_bytes()).to_hex().starts_with(&fa[3..]));
    }
}
