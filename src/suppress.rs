//! Suppressions: `.leakscanignore` rules that accept known, approved
//! findings. A suppressed finding is still counted (per rule, in the
//! summary) and can be listed with `--show-suppressed`; it only stops
//! counting towards a file's tier and the exit code.
//!
//! # The file
//!
//! One rule a line; `#` starts a comment line. A rule is one or more
//! selectors and a required reason, which runs to the end of the line:
//!
//! ```text
//! # synthetic numbers generated for the billing test suite
//! path=testdata/** reason=synthetic test data (SEC-2211)
//! detector=email path=docs/contacts/** reason=published staff contacts
//! fingerprint=b3:00112233445566778899aabbccddeeff reason=approved partner extract, ticket SEC-1234
//! ```
//!
//! * `path=GLOB`: the finding's path (relative to the scan root, as in the
//!   report). A glob without `/` matches a file name at any depth. A rule
//!   that matches a container (`exports/a.zip`) covers its members too.
//! * `detector=ID`: a detector id (`leakscan detectors`).
//! * `fingerprint=b3:…`: one value, by its keyed fingerprint from a report.
//!
//! A finding is suppressed by the first rule whose selectors all match.

use crate::detect::DetectorId;
use crate::report::fingerprint::Fingerprint;
use globset::{GlobBuilder, GlobMatcher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// The default suppression file name, looked for in the working folder and
/// in every scanned folder.
pub const FILE_NAME: &str = ".leakscanignore";

/// A bad or unreadable suppression file.
#[derive(Debug, Error)]
pub enum IgnoreError {
    /// The file could not be read.
    #[error("reading suppression file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a valid rule.
    #[error("{origin}:{line}: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `file:line` where the rule was written.
    pub source: Arc<str>,
    /// The rule's selectors as written (without the reason).
    pub selectors: String,
    /// Why the findings are accepted.
    pub reason: Arc<str>,
    path: Option<GlobMatcher>,
    detector: Option<DetectorId>,
    fingerprint: Option<Fingerprint>,
}

/// All rules in force, in file order.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    /// Parse the text of one suppression file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, IgnoreError> {
        let mut rules = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| IgnoreError::Syntax {
                origin: origin.to_string(),
                line: i + 1,
                message,
            };
            rules.push(parse_rule(line, &format!("{origin}:{}", i + 1)).map_err(err)?);
        }
        Ok(Rules { rules })
    }

    /// Load and join the rules of several files, in order.
    pub fn load(paths: &[PathBuf]) -> Result<Self, IgnoreError> {
        let mut all = Rules::default();
        for path in paths {
            let text = std::fs::read_to_string(path).map_err(|source| IgnoreError::Io {
                path: path.clone(),
                source,
            })?;
            all.rules
                .extend(Rules::parse(&text, &path.display().to_string())?.rules);
        }
        Ok(all)
    }

    /// The rules, in order (a rule's index is its id in tallies).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that can apply to findings in the file shown as `display`.
    pub fn for_path(&self, display: &str) -> PathRules<'_> {
        let outer = display.split('!').next().unwrap_or(display);
        let applicable: Vec<usize> = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.path
                    .as_ref()
                    .is_none_or(|g| g.is_match(display) || g.is_match(outer))
            })
            .map(|(i, _)| i)
            .collect();
        let needs_fingerprint = applicable
            .iter()
            .any(|&i| self.rules[i].fingerprint.is_some());
        PathRules {
            rules: self,
            applicable,
            needs_fingerprint,
        }
    }
}

/// The rules that apply to one file.
#[derive(Debug, Clone)]
pub struct PathRules<'r> {
    rules: &'r Rules,
    applicable: Vec<usize>,
    needs_fingerprint: bool,
}

impl PathRules<'_> {
    /// No rule applies to this file.
    pub fn is_empty(&self) -> bool {
        self.applicable.is_empty()
    }

    /// The index of the first rule suppressing a finding of detector `d`;
    /// `fingerprint` is called only when a fingerprint rule could apply.
    pub fn check(&self, d: DetectorId, fingerprint: impl FnOnce() -> Fingerprint) -> Option<usize> {
        if self.applicable.is_empty() {
            return None;
        }
        let fp = self.needs_fingerprint.then(fingerprint);
        self.applicable.iter().copied().find(|&i| {
            let r = &self.rules.rules[i];
            r.detector.is_none_or(|x| x == d) && r.fingerprint.is_none_or(|x| Some(x) == fp)
        })
    }
}

fn parse_rule(line: &str, source: &str) -> Result<Rule, String> {
    let (selectors, reason) = match line.find("reason=") {
        Some(at) if at == 0 || line[..at].ends_with(char::is_whitespace) => {
            (line[..at].trim(), line[at + "reason=".len()..].trim())
        }
        _ => return Err("missing `reason=…` (every suppression needs a reason)".to_string()),
    };
    if reason.is_empty() {
        return Err("empty reason (every suppression needs a reason)".to_string());
    }
    let mut rule = Rule {
        source: Arc::from(source),
        selectors: selectors.to_string(),
        reason: Arc::from(reason),
        path: None,
        detector: None,
        fingerprint: None,
    };
    for token in selectors.split_whitespace() {
        let (key, value) = token
            .split_once('=')
            .ok_or_else(|| format!("`{token}` is not key=value"))?;
        if value.is_empty() {
            return Err(format!("`{key}=` needs a value"));
        }
        let dup = || format!("`{key}=` given twice");
        match key {
            "path" => {
                if rule.path.is_some() {
                    return Err(dup());
                }
                rule.path = Some(path_glob(value)?);
            }
            "detector" => {
                if rule.detector.is_some() {
                    return Err(dup());
                }
                rule.detector = Some(
                    DetectorId::from_name(value)
                        .ok_or_else(|| format!("unknown detector `{value}`"))?,
                );
            }
            "fingerprint" => {
                if rule.fingerprint.is_some() {
                    return Err(dup());
                }
                rule.fingerprint = Some(value.parse()?);
            }
            _ => {
                return Err(format!(
                    "unknown selector `{key}` (use path=, detector=, fingerprint=)"
                ))
            }
        }
    }
    if rule.path.is_none() && rule.detector.is_none() && rule.fingerprint.is_none() {
        return Err("a rule needs path=, detector= or fingerprint=".to_string());
    }
    if rule.path.is_none() && rule.fingerprint.is_none() {
        return Err(
            "detector= alone would hide a detector everywhere; add path= (or use --policy)"
                .to_string(),
        );
    }
    Ok(rule)
}

/// A glob on report paths: `/` is literal; a glob without `/` matches a
/// name at any depth; a leading `/` anchors at the scan root.
fn path_glob(pattern: &str) -> Result<GlobMatcher, String> {
    let full = if let Some(anchored) = pattern.strip_prefix('/') {
        anchored.to_string()
    } else if pattern.contains('/') {
        pattern.to_string()
    } else {
        format!("**/{pattern}")
    };
    GlobBuilder::new(&full)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{pattern}`: {e}"))
}

/// The suppression files used when none is named: `.leakscanignore` in the
/// working folder and in each root folder, each once.
pub fn discover(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let candidates = std::iter::once(Path::new(".").to_path_buf())
        .chain(roots.iter().filter(|r| r.is_dir()).cloned());
    for dir in candidates {
        let file = dir.join(FILE_NAME);
        if !file.is_file() {
            continue;
        }
        let same = |p: &PathBuf| match (p.canonicalize(), file.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !found.iter().any(same) {
            found.push(file);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(byte: u8) -> Fingerprint {
        Fingerprint([byte; 16])
    }

    #[test]
    fn rules_match_by_path_detector_and_fingerprint() {
        let text = format!(
            "# comment\n\npath=testdata/** reason=synthetic\n\
             detector=email path=*.md reason=public contacts\n\
             fingerprint={} reason=approved SEC-1\n",
            fp(7)
        );
        let rules = Rules::parse(&text, "ign").unwrap();
        assert_eq!(rules.rules().len(), 3);
        assert_eq!(&*rules.rules()[2].source, "ign:5");
        let never = || fp(0);
        let t = rules.for_path("testdata/a/b.csv");
        assert_eq!(t.check(DetectorId::CnResidentId, never), Some(0));
        // A container's rule covers its members.
        let rules2 = Rules::parse("path=out/x.zip reason=r", "f").unwrap();
        assert_eq!(
            rules2
                .for_path("out/x.zip!in/y.csv")
                .check(DetectorId::Email, never),
            Some(0)
        );
        assert!(rules2.for_path("out/x.zip2").is_empty());
        // Name globs match at any depth; only the named detector.
        let md = rules.for_path("docs/team/README.md");
        assert_eq!(md.check(DetectorId::Email, never), Some(1));
        assert_eq!(md.check(DetectorId::CnMobile, never), None);
        // `*` does not cross `/`.
        assert!(Rules::parse("path=docs/*.md reason=r", "f")
            .unwrap()
            .for_path("docs/a/b.md")
            .is_empty());
        // Fingerprints anywhere.
        let other = rules.for_path("x/y.txt");
        assert_eq!(other.check(DetectorId::CnMobile, || fp(7)), Some(2));
        assert_eq!(other.check(DetectorId::CnMobile, || fp(8)), None);
    }

    #[test]
    fn bad_rules_are_errors_with_line_numbers() {
        for (text, needle) in [
            ("path=a/**", "reason"),
            ("path=a/** reason=  ", "empty reason"),
            ("reason=because", "needs path="),
            ("detector=email reason=x", "detector= alone"),
            ("detector=nope path=a reason=x", "unknown detector"),
            ("fingerprint=b3:12 reason=x", "fingerprint"),
            ("colour=red reason=x", "unknown selector"),
            ("path=a path=b reason=x", "twice"),
            ("path=[ reason=x", "bad glob"),
        ] {
            let err = Rules::parse(&format!("# c\n{text}\n"), "f.ignore")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("f.ignore:2: "), "{text}: {err}");
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
