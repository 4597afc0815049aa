//! Detector data and tier policy: the defaults in `patterns/` are embedded
//! with `include_str!`; `--patterns DIR` replaces any of the four files that
//! DIR holds and `--policy FILE` replaces the policy. Everything is parsed and
//! checked once, before the walk starts; a bad file is a setup error naming
//! the file (and, for TOML, the line and column).

use crate::classify::Tier;
use crate::detect::DetectorId;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The embedded `patterns/detectors.toml`.
pub const DETECTORS_TOML: &str = include_str!("../patterns/detectors.toml");
/// The embedded `patterns/policy.toml`.
pub const POLICY_TOML: &str = include_str!("../patterns/policy.toml");
/// The embedded `patterns/region-codes.csv`.
pub const REGION_CODES_CSV: &str = include_str!("../patterns/region-codes.csv");
/// The embedded `patterns/mobile-segments.csv`.
pub const MOBILE_SEGMENTS_CSV: &str = include_str!("../patterns/mobile-segments.csv");
/// The embedded `patterns/area-codes.csv`.
pub const AREA_CODES_CSV: &str = include_str!("../patterns/area-codes.csv");
/// The embedded `patterns/card-bins.csv`.
pub const CARD_BINS_CSV: &str = include_str!("../patterns/card-bins.csv");
/// The embedded `patterns/imei-rbi.csv`.
pub const IMEI_RBI_CSV: &str = include_str!("../patterns/imei-rbi.csv");
/// The embedded `patterns/imsi-mnc.csv`.
pub const IMSI_MNC_CSV: &str = include_str!("../patterns/imsi-mnc.csv");

/// A problem with a pattern or policy file.
#[derive(Debug, Error)]
pub enum PatternError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML did not parse or had unknown keys.
    #[error("parsing {origin}: {message}")]
    Toml {
        /// Which file.
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A table row or a definition is invalid.
    #[error("{origin}: {message}")]
    Invalid {
        /// Which file.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// `detectors.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorsFile {
    /// One entry per detector.
    pub detector: Vec<DetectorDef>,
    /// Names that make a value suspect.
    pub context: ContextDef,
    /// Column words giving CDR roles.
    pub cdr: CdrRoles,
}

/// `[context]` of `detectors.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextDef {
    /// Column or key names (order number, serial, …) that make a value suspect.
    pub suspect: Vec<String>,
}

/// One `[[detector]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorDef {
    /// Detector id.
    pub id: DetectorId,
    /// Human name.
    pub name: String,
    /// Summary of the validation.
    pub validation: String,
    /// Context words.
    #[serde(default)]
    pub hotwords: Vec<String>,
    /// Header substrings naming a column of this detector's values.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Texts that must produce a finding of this detector.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts that must not produce a finding of this detector.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// `[cdr]`: header words for each role of a call-detail record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdrRoles {
    /// Calling number column.
    pub caller: Vec<String>,
    /// Called number column.
    pub callee: Vec<String>,
    /// Start time column.
    pub start_time: Vec<String>,
    /// Duration column.
    pub duration: Vec<String>,
}

/// `policy.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Detector → tier.
    pub tiers: BTreeMap<DetectorId, Tier>,
    /// Escalation rules.
    pub escalation: EscalationDef,
}

/// A policy override (`--policy FILE`, or `policy.toml` in `--patterns DIR`):
/// any subset of the built-in policy's keys. Detectors it does not name keep
/// their built-in tier; unknown keys and unknown detectors are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverride {
    /// Detector → tier.
    #[serde(default)]
    pub tiers: BTreeMap<DetectorId, Tier>,
    /// Escalation rules.
    #[serde(default)]
    pub escalation: EscalationOverride,
}

/// `[escalation]` of a policy override.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationOverride {
    /// Bulk threshold.
    pub bulk_distinct: Option<u64>,
    /// ID + phone rule.
    pub id_with_phone: Option<bool>,
}

/// `[escalation]` of `policy.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationDef {
    /// Distinct values of one `general` detector that make a file `core` (0 = off).
    pub bulk_distinct: u64,
    /// Whether an ID number and a phone number in one record make a file `core`.
    pub id_with_phone: bool,
}

/// All pattern data, loaded and checked.
#[derive(Debug, Clone)]
pub struct Patterns {
    /// Detector definitions.
    pub detectors: DetectorsFile,
    /// Tier policy.
    pub policy: PolicyFile,
    /// Where the policy came from (`built-in` or a path).
    pub policy_origin: String,
    /// Six-digit region codes, sorted.
    pub region_codes: Vec<u32>,
    /// Mobile segment prefixes (3 or 4 digits).
    pub mobile_segments: Vec<String>,
    /// Landline area codes with their leading 0.
    pub area_codes: Vec<String>,
    /// Card issuer prefixes with their allowed lengths (bit mask).
    pub card_bins: Vec<(String, u32)>,
    /// IMEI reporting-body identifiers (two digits).
    pub imei_prefixes: Vec<String>,
    /// Chinese mobile network codes (two digits).
    pub imsi_networks: Vec<String>,
}

fn toml_parse<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T, PatternError> {
    toml::from_str(text).map_err(|e| PatternError::Toml {
        origin: origin.to_string(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn invalid(origin: &str, message: impl Into<String>) -> PatternError {
    PatternError::Invalid {
        origin: origin.to_string(),
        message: message.into(),
    }
}

/// Parse column `col` of a CSV table with a header row.
fn column(text: &str, origin: &str, col: usize) -> Result<Vec<String>, PatternError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    // One record buffer for every row (region codes: thousands of rows at
    // every start).
    let mut rec = csv::StringRecord::new();
    for row in 2.. {
        match reader.read_record(&mut rec) {
            Ok(true) => out.push(rec.get(col).unwrap_or_default().trim().to_string()),
            Ok(false) => break,
            Err(e) => return Err(invalid(origin, format!("row {row}: {e}"))),
        }
    }
    Ok(out)
}

fn first_column(text: &str, origin: &str) -> Result<Vec<String>, PatternError> {
    column(text, origin, 0)
}

/// Parse a table whose first column holds digit codes of the given lengths.
pub fn parse_digit_codes(
    text: &str,
    origin: &str,
    lengths: &[usize],
) -> Result<Vec<String>, PatternError> {
    let rows = first_column(text, origin)?;
    for (i, c) in rows.iter().enumerate() {
        if !lengths.contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                origin,
                format!("row {}: `{c}` is not a {lengths:?}-digit code", i + 2),
            ));
        }
    }
    Ok(rows)
}

/// Parse `card-bins.csv`: prefix, network, lengths (`16`, `16-19`, `16|19`).
/// Lengths become a bit mask (bit N set: N digits allowed).
pub fn parse_card_bins(text: &str, origin: &str) -> Result<Vec<(String, u32)>, PatternError> {
    let prefixes = parse_digit_codes(text, origin, &[1, 2, 3, 4, 5, 6])?;
    let lengths = column(text, origin, 2)?;
    prefixes
        .into_iter()
        .zip(lengths)
        .enumerate()
        .map(|(i, (p, l))| {
            let bad = || {
                invalid(
                    origin,
                    format!(
                        "row {}: lengths `{l}` are not `N`, `N-M` or `N|M` within 12-19",
                        i + 2
                    ),
                )
            };
            let mut mask = 0u32;
            for part in l.split('|') {
                let (lo, hi) = match part.split_once('-') {
                    Some((a, b)) => (
                        a.parse::<u32>().map_err(|_| bad())?,
                        b.parse::<u32>().map_err(|_| bad())?,
                    ),
                    None => {
                        let n = part.parse::<u32>().map_err(|_| bad())?;
                        (n, n)
                    }
                };
                if !(12..=19).contains(&lo) || !(lo..=19).contains(&hi) {
                    return Err(bad());
                }
                (lo..=hi).for_each(|n| mask |= 1 << n);
            }
            Ok((p, mask))
        })
        .collect()
}

/// Parse `region-codes.csv`: six-digit codes.
pub fn parse_region_codes(text: &str, origin: &str) -> Result<Vec<u32>, PatternError> {
    first_column(text, origin)?
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) {
                c.parse()
                    .map_err(|_| invalid(origin, format!("row {}: bad code", i + 2)))
            } else {
                Err(invalid(
                    origin,
                    format!("row {}: `{c}` is not a six-digit code", i + 2),
                ))
            }
        })
        .collect()
}

/// Parse `mobile-segments.csv`: 3- or 4-digit prefixes starting with 1.
pub fn parse_mobile_segments(text: &str, origin: &str) -> Result<Vec<String>, PatternError> {
    let rows = first_column(text, origin)?;
    for (i, p) in rows.iter().enumerate() {
        if !(3..=4).contains(&p.len())
            || !p.starts_with('1')
            || !p.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid(
                origin,
                format!("row {}: `{p}` is not a 3- or 4-digit prefix", i + 2),
            ));
        }
    }
    Ok(rows)
}

impl Patterns {
    /// The embedded defaults.
    pub fn builtin() -> Result<Self, PatternError> {
        Self::load(None, None)
    }

    /// Load the defaults, replacing files found in `dir` and the policy with
    /// `policy`.
    pub fn load(dir: Option<&Path>, policy: Option<&Path>) -> Result<Self, PatternError> {
        let read = |name: &str, builtin: &'static str| -> Result<(String, String), PatternError> {
            if let Some(path) = dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                let text = fs::read_to_string(&path).map_err(|source| PatternError::Io {
                    path: path.clone(),
                    source,
                })?;
                return Ok((text, path.display().to_string()));
            }
            Ok((builtin.to_string(), format!("built-in patterns/{name}")))
        };
        let (det_text, det_origin) = read("detectors.toml", DETECTORS_TOML)?;
        let (dir_pol_text, dir_pol_origin) = read("policy.toml", POLICY_TOML)?;
        let mut overrides = Vec::new();
        if dir_pol_text != POLICY_TOML {
            overrides.push((dir_pol_text, dir_pol_origin));
        }
        if let Some(path) = policy {
            let text = fs::read_to_string(path).map_err(|source| PatternError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            overrides.push((text, path.display().to_string()));
        }
        let (reg_text, reg_origin) = read("region-codes.csv", REGION_CODES_CSV)?;
        let (seg_text, seg_origin) = read("mobile-segments.csv", MOBILE_SEGMENTS_CSV)?;
        let (area_text, area_origin) = read("area-codes.csv", AREA_CODES_CSV)?;
        let (bin_text, bin_origin) = read("card-bins.csv", CARD_BINS_CSV)?;
        let (rbi_text, rbi_origin) = read("imei-rbi.csv", IMEI_RBI_CSV)?;
        let (mnc_text, mnc_origin) = read("imsi-mnc.csv", IMSI_MNC_CSV)?;

        let detectors: DetectorsFile = toml_parse(&det_text, &det_origin)?;
        for id in DetectorId::ALL {
            match detectors.detector.iter().filter(|d| d.id == id).count() {
                1 => {}
                0 => {
                    return Err(invalid(
                        &det_origin,
                        format!("detector `{id}` is not defined"),
                    ))
                }
                _ => {
                    return Err(invalid(
                        &det_origin,
                        format!("detector `{id}` is defined twice"),
                    ))
                }
            }
        }
        let mut policy: PolicyFile = toml_parse(POLICY_TOML, "built-in patterns/policy.toml")?;
        let mut policy_origin = "built-in patterns/policy.toml".to_string();
        for (text, origin) in overrides {
            let o: PolicyOverride = toml_parse(&text, &origin)?;
            policy.tiers.extend(o.tiers);
            if let Some(n) = o.escalation.bulk_distinct {
                policy.escalation.bulk_distinct = n;
            }
            if let Some(b) = o.escalation.id_with_phone {
                policy.escalation.id_with_phone = b;
            }
            policy_origin = format!("{origin} over {policy_origin}");
        }
        for id in DetectorId::ALL {
            if !policy.tiers.contains_key(&id) {
                return Err(invalid(
                    &policy_origin,
                    format!("[tiers] gives no tier for `{id}`"),
                ));
            }
        }
        Ok(Patterns {
            detectors,
            policy,
            policy_origin,
            region_codes: parse_region_codes(&reg_text, &reg_origin)?,
            mobile_segments: parse_mobile_segments(&seg_text, &seg_origin)?,
            area_codes: parse_digit_codes(&area_text, &area_origin, &[3, 4])?,
            card_bins: parse_card_bins(&bin_text, &bin_origin)?,
            imei_prefixes: parse_digit_codes(&rbi_text, &rbi_origin, &[2])?,
            imsi_networks: parse_digit_codes(&mnc_text, &mnc_origin, &[2])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{DetectorId, Registry};
    use crate::extract::TextUnit;

    const TODAY: u32 = 20261128;

    #[test]
    fn examples_hold() {
        let p = Patterns::builtin().unwrap();
        let r = Registry::new(&p, TODAY);
        let mut out = Vec::new();
        let found = |text: &str, out: &mut Vec<_>| {
            let unit = TextUnit {
                text: text.as_bytes(),
                fields: crate::extract::Fields::None,
                is_header: false,
                binary: false,
            };
            r.scan(&unit, None, out);
            out.iter()
                .filter(|m: &&crate::detect::Match| {
                    m.confidence >= crate::detect::Confidence::Medium
                })
                .map(|m| m.detector)
                .collect::<Vec<DetectorId>>()
        };
        for d in &p.detectors.detector {
            assert!(!d.examples.is_empty(), "{} has no examples", d.id);
            for ex in &d.examples {
                assert!(
                    found(ex, &mut out).contains(&d.id),
                    "{}: example not found: {ex}",
                    d.id
                );
            }
            for ex in &d.negative_examples {
                assert!(
                    !found(ex, &mut out).contains(&d.id),
                    "{}: negative example found: {ex}",
                    d.id
                );
            }
        }
    }

    #[test]
    fn tables_are_canonical() {
        let codes = parse_region_codes(REGION_CODES_CSV, "regions").unwrap();
        assert!(codes.len() > 7000, "{} region codes", codes.len());
        assert!(
            codes.windows(2).all(|w| w[0] < w[1]),
            "region codes sorted and unique"
        );
        for permit in [810000, 820000, 830000] {
            assert!(codes.binary_search(&permit).is_ok(), "{permit}");
        }
        let segs = parse_mobile_segments(MOBILE_SEGMENTS_CSV, "segments").unwrap();
        assert!(
            segs.windows(2).all(|w| w[0] < w[1]),
            "segments sorted and unique"
        );
        // No 4-digit prefix repeats a 3-digit one.
        for s in segs.iter().filter(|s| s.len() == 4) {
            assert!(
                !segs.contains(&s[..3].to_string()),
                "{s} is covered by {}",
                &s[..3]
            );
        }
    }

    #[test]
    fn policy_covers_every_detector() {
        let p = Patterns::builtin().unwrap();
        for id in DetectorId::ALL {
            assert!(p.policy.tiers.contains_key(&id), "{id}");
        }
        assert_eq!(p.policy.tiers[&DetectorId::CnResidentId], Tier::Core);
        assert_eq!(p.policy.tiers[&DetectorId::CnMobile], Tier::General);
        assert_eq!(p.policy.tiers[&DetectorId::CdrRecord], Tier::Core);
        assert_eq!(p.policy.tiers[&DetectorId::BankCard], Tier::Core);
        assert_eq!(p.policy.tiers[&DetectorId::Uscc], Tier::Public);
    }

    #[test]
    fn bad_override_files_are_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("policy.toml"),
            "[tiers]\ncn_mobile = \"secret\"\n",
        )
        .unwrap();
        let err = Patterns::load(Some(dir.path()), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("policy.toml") && err.contains("secret"),
            "{err}"
        );

        // A partial override keeps the built-in tiers of the detectors it does not name.
        std::fs::write(
            dir.path().join("policy.toml"),
            "[tiers]\ncn_mobile = \"core\"\n",
        )
        .unwrap();
        let p = Patterns::load(Some(dir.path()), None).unwrap();
        assert_eq!(p.policy.tiers[&DetectorId::CnMobile], Tier::Core);
        assert_eq!(p.policy.tiers[&DetectorId::Uscc], Tier::Public);
        assert!(
            p.policy_origin.contains("policy.toml over built-in"),
            "{}",
            p.policy_origin
        );

        std::fs::write(
            dir.path().join("policy.toml"),
            "[tiers]\nno_such_detector = \"core\"\n",
        )
        .unwrap();
        let err = Patterns::load(Some(dir.path()), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no_such_detector"), "{err}");

        std::fs::write(dir.path().join("region-codes.csv"), "code,name\n11010,x\n").unwrap();
        std::fs::remove_file(dir.path().join("policy.toml")).unwrap();
        let err = Patterns::load(Some(dir.path()), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("six-digit"), "{err}");
    }
}
