//! The SARIF 2.1.0 report (`--format sarif`) for CI systems and code-scanning
//! dashboards: one run, one rule per detector, one result per listed
//! finding with its masked value, tier and keyed fingerprint (as a partial
//! fingerprint, so a CI system tracks a finding across runs), files that
//! could not be read as tool notifications, suppressed findings (with
//! `--show-suppressed`) as results with an accepted suppression. Values are masked unless
//! `--reveal`, and even then they stay out of the message text.

use super::{FindingEntry, ScanReport};
use crate::classify::Tier;
use crate::DetectorRow;
use serde_json::{json, Value};
use std::io::{self, Write};

/// The SARIF schema the output follows.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(t: Tier) -> &'static str {
    match t {
        Tier::Core => "error",
        Tier::General => "warning",
        Tier::Public => "note",
    }
}

/// A path as a relative URI reference: bytes outside the unreserved and
/// path characters are percent-encoded (`!` of container members stays).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn result(f: &FindingEntry, index: usize) -> Value {
    let mut text = format!(
        "{} ({} tier, {} confidence): {}",
        f.detector, f.tier, f.confidence, f.masked
    );
    if let Some(field) = &f.field {
        text.push_str(&format!(" in field {field}"));
    }
    let mut properties = json!({
        "tier": f.tier,
        "confidence": f.confidence,
        "masked": f.masked,
    });
    if let Some(field) = &f.field {
        properties["field"] = json!(field);
    }
    if let Some(status) = f.status {
        properties["status"] = json!(status);
    }
    if let Some(value) = &f.value {
        properties["value"] = json!(value);
    }
    let mut r = json!({
        "ruleId": f.detector,
        "ruleIndex": index,
        "level": level(f.tier),
        "kind": "fail",
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri(&f.path), "uriBaseId": "SCANROOT" },
                "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) }
            }
        }],
        "partialFingerprints": { "leakscanValue/v1": f.fingerprint.to_string() },
        "properties": properties,
    });
    if let Some(status) = f.status {
        r["baselineState"] = json!(match status {
            super::Status::New => "new",
            super::Status::Known => "unchanged",
        });
    }
    r
}

/// Write `report` as SARIF; `rules` are the detectors (`detector_rows`).
pub fn write(report: &ScanReport, rules: &[DetectorRow], w: &mut dyn Write) -> io::Result<()> {
    let index = |d| rules.iter().position(|r| r.id == d).unwrap_or(0);
    let driver_rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.name },
                "fullDescription": { "text": format!("{}: {}", r.name, r.validation) },
                "defaultConfiguration": { "level": level(r.tier) },
                "properties": { "tier": r.tier, "tags": ["privacy", "pii", r.tier.as_str()] }
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "warning",
                "message": { "text": format!("{} ({}): {}", e.path, e.kind, e.reason) },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": uri(&e.path), "uriBaseId": "SCANROOT" } }
                }]
            })
        })
        .collect();
    let scan = &report.scan;
    let mut run = json!({
        "tool": { "driver": {
            "name": "leakscan",
            "version": report.version,
            "semanticVersion": report.version,
            "rules": driver_rules,
        }},
        "invocations": [{
            "executionSuccessful": !scan.interrupted,
            "startTimeUtc": scan.started_at,
            "endTimeUtc": scan.finished_at,
            "toolExecutionNotifications": notifications,
        }],
        "columnKind": "unicodeCodePoints",
        "results": RESULTS,
        "properties": {
            "summary": report.summary,
            "keyId": scan.key_id,
        },
    });
    if let [root] = scan.roots.as_slice() {
        if let Ok(abs) = std::path::Path::new(root).canonicalize() {
            if abs.is_dir() {
                let mut base = uri(&abs.to_string_lossy());
                if !base.ends_with('/') {
                    base.push('/');
                }
                run["originalUriBaseIds"] =
                    json!({ "SCANROOT": { "uri": format!("file://{base}") } });
            }
        }
    }
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    });
    // The results, nearly all of a large report, are built one at a time
    // (in parallel pieces) and spliced in where the marker is: built as one
    // document they took 17 GB for a million findings.
    let text = serde_json::to_vec_pretty(&doc)?;
    let pattern = [b"\"results\": ".as_slice(), &serde_json::to_vec(RESULTS)?].concat();
    let at = memchr::memmem::find(&text, &pattern)
        .ok_or_else(|| io::Error::other("SARIF results marker not found"))?;
    w.write_all(&text[..at + b"\"results\": ".len()])?;
    // Suppressed findings (`--show-suppressed`) are results with a SARIF
    // suppression, so dashboards show them as accepted, not open.
    let items: Vec<Item<'_>> = report
        .findings
        .iter()
        .map(Item::Finding)
        .chain(report.suppressed.iter().map(Item::Suppressed))
        .collect();
    super::json::write_array(&items, w, 3, || {
        |out: &mut Vec<u8>, item: &Item<'_>| {
            let r = match item {
                Item::Finding(f) => result(f, index(f.detector)),
                Item::Suppressed(s) => {
                    let mut r = result(&s.finding, index(s.finding.detector));
                    r["suppressions"] = json!([{
                        "kind": "external",
                        "status": "accepted",
                        "justification": s.reason,
                        "properties": { "rule": s.suppressed_by }
                    }]);
                    r
                }
            };
            serde_json::to_writer(out, &r)
        }
    })?;
    w.write_all(&text[at + pattern.len()..])?;
    writeln!(w)
}

/// Stands for the results in the document around them: no string of the
/// report can hold a NUL, so it is found only where it was put.
const RESULTS: &str = "\u{0}leakscan results\u{0}";

/// One SARIF result to write.
enum Item<'a> {
    Finding(&'a FindingEntry),
    Suppressed(&'a super::SuppressedEntry),
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("a/b.csv"), "a/b.csv");
        assert_eq!(uri("out/x.zip!in/y z.csv"), "out/x.zip!in/y%20z.csv");
        assert_eq!(uri("报告.txt"), "%E6%8A%A5%E5%91%8A.txt");
        assert_eq!(uri("50%#?.txt"), "50%25%23%3F.txt");
    }
}
