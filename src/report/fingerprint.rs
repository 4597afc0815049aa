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

    /// The first 128 bits of the keyed hash of the detector id and the
    /// normalised value.
    pub fn fingerprint(&self, d: DetectorId, value: &str) -> Fingerprint {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(d.as_str().as_bytes());
        h.update(&[0]);
        h.update(value.as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize().as_bytes()[..16]);
        Fingerprint(out)
    }
}

/// A fingerprint, written `b3:` and 32 hex digits. Kept as 16 bytes until
/// written (a report can hold a million of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 16]);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("b3:")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
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
        let fa = a.fingerprint(DetectorId::CnResidentId, v).to_string();
        assert_eq!(
            fa,
            Fingerprinter::new(b"key one")
                .fingerprint(DetectorId::CnResidentId, v)
                .to_string()
        );
        assert_ne!(fa, b.fingerprint(DetectorId::CnResidentId, v).to_string());
        assert_ne!(fa, a.fingerprint(DetectorId::CnMobile, v).to_string());
        assert_eq!(fa.len(), 35);
        // Not the unkeyed hash of the value.
        assert!(!blake3::hash(v.as_bytes()).to_hex().starts_with(&fa[3..]));
    }
}
