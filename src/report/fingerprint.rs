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

    /// A public id of the key: two reports with the same key id were made
    /// with the same key, so their fingerprints can be compared. It is a
    /// keyed hash of a fixed text and tells nothing about the key.
    pub fn key_id(&self) -> String {
        let h = blake3::keyed_hash(&self.key, b"leakscan key id");
        h.as_bytes()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A keyed 64-bit mix of an in-memory value hash, for the distinct-value
    /// sets that shard reports carry: comparable across shards with the
    /// same key, meaningless without it.
    pub fn mix(&self, h: u64) -> u64 {
        let out = blake3::keyed_hash(&self.key, &h.to_le_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&out.as_bytes()[..8]);
        u64::from_le_bytes(first)
    }

    /// The first 128 bits of the keyed hash of the detector id and the
    /// normalised value.
    pub fn fingerprint(&self, d: DetectorId, value: &str) -> Fingerprint {
        let (id, value) = (d.as_str().as_bytes(), value.as_bytes());
        // The input is `id 0x00 value`; short ones (nearly all) are hashed
        // from the stack in one call, which is much cheaper than setting up
        // an incremental hasher for every finding.
        let mut input = [0u8; 128];
        let n = id.len() + 1 + value.len();
        let hash = if n <= input.len() {
            input[..id.len()].copy_from_slice(id);
            input[id.len() + 1..n].copy_from_slice(value);
            blake3::keyed_hash(&self.key, &input[..n])
        } else {
            let mut h = blake3::Hasher::new_keyed(&self.key);
            h.update(id).update(&[0]).update(value);
            h.finalize()
        };
        let mut out = [0u8; 16];
        out.copy_from_slice(&hash.as_bytes()[..16]);
        Fingerprint(out)
    }
}

/// A fingerprint, written `b3:` and 32 hex digits. Kept as 16 bytes until
/// written (a report can hold a million of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 16]);

impl Fingerprint {
    /// The written form, `b3:` and 32 hex digits, without formatting machinery
    /// (a report can write a million of them).
    pub(crate) fn text(&self) -> [u8; 35] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 35];
        out[..3].copy_from_slice(b"b3:");
        for (i, b) in self.0.iter().enumerate() {
            out[3 + 2 * i] = HEX[usize::from(b >> 4)];
            out[4 + 2 * i] = HEX[usize::from(b & 15)];
        }
        out
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.text();
        f.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.text();
        s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = String;

    /// Parse `b3:` and 32 hex digits.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a fingerprint (b3: and 32 hex digits)");
        let hex = s.strip_prefix("b3:").ok_or_else(bad)?;
        if hex.len() != 32 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Fingerprint(out))
    }
}

impl<'de> serde::Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
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
        // Short and long values hash `id 0x00 value` alike.
        for value in ["1".repeat(10), "号".repeat(200)] {
            let mut h = blake3::Hasher::new_keyed(&a.key);
            h.update(b"email\0").update(value.as_bytes());
            assert_eq!(
                a.fingerprint(DetectorId::Email, &value).0,
                h.finalize().as_bytes()[..16]
            );
        }
        assert_eq!(a.key_id(), Fingerprinter::new(b"key one").key_id());
        assert_ne!(a.key_id(), b.key_id());
        assert_eq!(a.key_id().len(), 16);
        // Written and read back.
        let parsed: Fingerprint = fa.parse().unwrap();
        assert_eq!(parsed.to_string(), fa);
        for bad in [
            "",
            "b3:",
            "b4:00112233445566778899aabbccddeeff",
            "b3:0011223344556677889900aabbccddeeff",
            "b3:zz112233445566778899aabbccddeeff",
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad}");
        }
    }
}
