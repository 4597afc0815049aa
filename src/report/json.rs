//! The JSON report: the [`ScanReport`] serialised as one pretty-printed
//! object (schema in the `report` module docs). The findings, which can be
//! most of a large report, are serialised in parallel in bounded batches and
//! spliced in where the rest of the report leaves a marker; the bytes are
//! the same as serialising the whole report in one go.

use super::{FindingEntry, ScanReport};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Write};

/// Findings serialised per parallel batch (bounds the bytes held at once).
const BATCH: usize = 16_384;
/// Findings per task within a batch.
const PIECE: usize = 1_024;

/// The report with the findings replaced by a marker string.
#[derive(Serialize)]
struct Shell<'a, S> {
    tool: &'a str,
    version: &'a str,
    scan: &'a S,
    summary: &'a super::Summary,
    files: &'a [super::FileEntry],
    findings: &'static str,
    skipped: &'a [super::SkipEntry],
    errors: &'a [super::ErrorEntry],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    suppressed: &'a [super::SuppressedEntry],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    distinct: &'a std::collections::BTreeMap<crate::detect::DetectorId, Vec<u64>>,
}

/// No report string can hold a NUL (paths cannot, content never comes
/// before `findings`), so this escaped value appears only as the marker.
const MARKER: &str = "\u{0}leakscan findings\u{0}";

/// Write `report` as JSON followed by a newline.
pub fn write<S: Serialize>(report: &ScanReport<S>, w: &mut dyn Write) -> io::Result<()> {
    let shell = Shell {
        tool: &report.tool,
        version: &report.version,
        scan: &report.scan,
        summary: &report.summary,
        files: &report.files,
        findings: MARKER,
        skipped: &report.skipped,
        errors: &report.errors,
        suppressed: &report.suppressed,
        distinct: &report.distinct,
    };
    let text = serde_json::to_vec_pretty(&shell)?;
    let marker = serde_json::to_vec(MARKER)?;
    let key = [b"\"findings\": ".as_slice(), &marker].concat();
    let at = memchr::memmem::find(&text, &key)
        .ok_or_else(|| io::Error::other("report marker not found"))?;
    let (head, tail) = (&text[..at + 12], &text[at + key.len()..]);
    w.write_all(head)?;
    write_findings(&report.findings, w)?;
    w.write_all(tail)?;
    writeln!(w)
}

/// The `findings` array as `serde_json` pretty-prints it one level deep.
fn write_findings(findings: &[FindingEntry], w: &mut dyn Write) -> io::Result<()> {
    if findings.is_empty() {
        return w.write_all(b"[]");
    }
    w.write_all(b"[\n")?;
    for (b, batch) in findings.chunks(BATCH).enumerate() {
        let pieces: Vec<io::Result<Vec<u8>>> = batch
            .par_chunks(PIECE)
            .enumerate()
            .map(|(p, piece)| {
                let mut out = Vec::with_capacity(piece.len() * 320);
                for (i, f) in piece.iter().enumerate() {
                    if b + p + i > 0 {
                        out.extend_from_slice(b",\n");
                    }
                    let one = serde_json::to_vec_pretty(f)?;
                    for (n, line) in one.split(|&c| c == b'\n').enumerate() {
                        if n > 0 {
                            out.push(b'\n');
                        }
                        out.extend_from_slice(b"    ");
                        out.extend_from_slice(line);
                    }
                }
                Ok(out)
            })
            .collect();
        for piece in pieces {
            w.write_all(&piece?)?;
        }
    }
    w.write_all(b"\n  ]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Tier;
    use crate::detect::{Confidence, DetectorId};
    use crate::report::fingerprint::Fingerprint;
    use crate::report::Summary;
    use std::sync::Arc;

    fn report(n: usize) -> ScanReport<serde_json::Value> {
        let findings = (0..n)
            .map(|i| FindingEntry {
                path: Arc::from(format!("dir/f{}.csv", i / 3).as_str()),
                line: i as u64 + 1,
                column: 3,
                detector: DetectorId::CnMobile,
                tier: Tier::General,
                confidence: Confidence::High,
                masked: "138****5678".to_string(),
                fingerprint: Fingerprint([i as u8; 16]),
                field: (i % 2 == 0).then(|| Arc::from("手机\"号")),
                value: None,
                status: None,
            })
            .collect();
        ScanReport {
            tool: "leakscan".into(),
            version: "0.1.0".into(),
            scan: serde_json::json!({"roots": ["x"], "nested": {"a": [1, 2]}}),
            summary: Summary::default(),
            files: Vec::new(),
            findings,
            skipped: Vec::new(),
            errors: Vec::new(),
            suppressed: Vec::new(),
            distinct: Default::default(),
        }
    }

    #[test]
    fn spliced_output_is_what_serde_json_writes() {
        // Sizes around the piece and batch boundaries, and none at all.
        for n in [0, 1, 2, PIECE - 1, PIECE, PIECE + 1, BATCH + PIECE + 5] {
            let r = report(n);
            let mut ours = Vec::new();
            write(&r, &mut ours).unwrap();
            let mut want = serde_json::to_vec_pretty(&r).unwrap();
            want.push(b'\n');
            assert!(ours == want, "{n} findings: output differs");
        }
    }
}
