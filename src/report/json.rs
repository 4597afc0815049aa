//! The JSON report: the [`ScanReport`] as one pretty-printed object
//! (schema in the `report` module docs), except that each entry of `files`
//! and `findings` is written on one line: a report of half a million
//! findings stays greppable and a third smaller, and is written faster.
//! Those two arrays, nearly all of a large report, are serialised in
//! parallel in bounded batches and spliced in where the rest of the report
//! leaves markers.

use super::{FindingEntry, ScanReport};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Write};
use std::sync::Arc;

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
    files: &'static str,
    findings: &'static str,
    skipped: &'a [super::SkipEntry],
    errors: &'a [super::ErrorEntry],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    suppressed: &'a [super::SuppressedEntry],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    distinct: &'a std::collections::BTreeMap<crate::detect::DetectorId, Vec<u64>>,
}

/// No report string can hold a NUL (paths cannot, content never comes
/// before `findings`), so these escaped values appear only as the markers.
const FILES: &str = "\u{0}leakscan files\u{0}";
const FINDINGS: &str = "\u{0}leakscan findings\u{0}";

/// Write `report` as JSON followed by a newline.
pub fn write<S: Serialize>(report: &ScanReport<S>, w: &mut dyn Write) -> io::Result<()> {
    let shell = Shell {
        tool: &report.tool,
        version: &report.version,
        scan: &report.scan,
        summary: &report.summary,
        files: FILES,
        findings: FINDINGS,
        skipped: &report.skipped,
        errors: &report.errors,
        suppressed: &report.suppressed,
        distinct: &report.distinct,
    };
    let mut text: &[u8] = &serde_json::to_vec_pretty(&shell)?;
    // The two markers, in field order, each replaced by its array.
    for (key, marker) in [("files", FILES), ("findings", FINDINGS)] {
        let pattern = [
            format!("\"{key}\": ").as_bytes(),
            &serde_json::to_vec(marker)?,
        ]
        .concat();
        let at = memchr::memmem::find(text, &pattern)
            .ok_or_else(|| io::Error::other("report marker not found"))?;
        w.write_all(&text[..at + key.len() + 4])?;
        match key {
            "files" => write_array(&report.files, w, 1, || {
                |out: &mut Vec<u8>, file: &super::FileEntry| serde_json::to_writer(out, file)
            })?,
            _ => write_array(&report.findings, w, 1, || {
                let mut path = PathCache::default();
                move |out: &mut Vec<u8>, f: &FindingEntry| write_finding(out, f, &mut path)
            })?,
        }
        text = &text[at + pattern.len()..];
    }
    w.write_all(text)?;
    writeln!(w)
}

/// An array `depth` levels into a pretty-printed document (the report's
/// top level is 1), one compact entry a line, each written by a writer
/// from `writer` (one per parallel piece). Also SARIF's results.
pub(crate) fn write_array<T: Sync, F>(
    items: &[T],
    w: &mut dyn Write,
    depth: usize,
    writer: impl Fn() -> F + Sync,
) -> io::Result<()>
where
    F: FnMut(&mut Vec<u8>, &T) -> serde_json::Result<()>,
{
    if items.is_empty() {
        return w.write_all(b"[]");
    }
    w.write_all(b"[\n")?;
    let indent = vec![b' '; 2 * depth + 2];
    let indent = &indent;
    write_in_parallel(items, w, || {
        let mut write_item = writer();
        move |out: &mut Vec<u8>, i: usize, item: &T| {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            out.extend_from_slice(indent);
            write_item(out, item).map_err(io::Error::from)
        }
    })?;
    w.write_all(b"\n")?;
    w.write_all(&indent[..2 * depth])?;
    w.write_all(b"]")
}

/// Write every item of `items`, in order, as the writers from `writer`
/// (one per parallel piece; told each item's index) put it into a piece's
/// buffer. Batches are serialised (in parallel pieces) on another thread
/// while this one writes the batch before: the write is a copy into the
/// page cache as long as the serialising. Used by the JSON, SARIF and CSV
/// reports.
pub(crate) fn write_in_parallel<T: Sync, F>(
    items: &[T],
    w: &mut dyn Write,
    writer: impl Fn() -> F + Sync,
) -> io::Result<()>
where
    F: FnMut(&mut Vec<u8>, usize, &T) -> io::Result<()>,
{
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<io::Result<Vec<u8>>>>(1);
        let writer = &writer;
        scope.spawn(move || {
            for (b, batch) in items.chunks(BATCH).enumerate() {
                let pieces = batch
                    .par_chunks(PIECE)
                    .enumerate()
                    .map(|(p, piece)| {
                        let mut out = Vec::with_capacity(piece.len() * 240);
                        let mut write_item = writer();
                        for (i, item) in piece.iter().enumerate() {
                            write_item(&mut out, b * BATCH + p * PIECE + i, item)?;
                        }
                        Ok(out)
                    })
                    .collect();
                // The receiver stops at the first write error.
                if tx.send(pieces).is_err() {
                    break;
                }
            }
        });
        for pieces in rx {
            for piece in pieces {
                w.write_all(&piece?)?;
            }
        }
        io::Result::Ok(())
    })
}

/// The last path written, escaped: consecutive findings share their file's.
#[derive(Default)]
pub(crate) struct PathCache {
    path: Option<Arc<str>>,
    json: Vec<u8>,
}

/// One finding as compact JSON: byte for byte what `serde_json::to_writer`
/// writes for a [`FindingEntry`] (a test compares them), without serde's
/// per-field machinery and with the path escaped once per file. Half a
/// million findings make the bulk of a large report.
fn write_finding(
    out: &mut Vec<u8>,
    f: &FindingEntry,
    cache: &mut PathCache,
) -> serde_json::Result<()> {
    write_tagged_finding(out, b"", f, cache)
}

/// [`write_finding`] with `tag` (`"key":"value",`) as the object's first
/// member: an NDJSON finding line is `"type":"finding",` and the finding.
pub(crate) fn write_tagged_finding(
    out: &mut Vec<u8>,
    tag: &[u8],
    f: &FindingEntry,
    cache: &mut PathCache,
) -> serde_json::Result<()> {
    if !cache.path.as_ref().is_some_and(|p| Arc::ptr_eq(p, &f.path)) {
        cache.json.clear();
        serde_json::to_writer(&mut cache.json, &*f.path)?;
        cache.path = Some(f.path.clone());
    }
    let mut number = itoa::Buffer::new();
    out.push(b'{');
    out.extend_from_slice(tag);
    out.extend_from_slice(b"\"path\":");
    out.extend_from_slice(&cache.json);
    out.extend_from_slice(b",\"line\":");
    out.extend_from_slice(number.format(f.line).as_bytes());
    out.extend_from_slice(b",\"column\":");
    out.extend_from_slice(number.format(f.column).as_bytes());
    // Identifiers and hex digits: nothing to escape.
    for (key, word) in [
        (&b",\"detector\":\""[..], f.detector.as_str()),
        (b"\",\"tier\":\"", f.tier.as_str()),
        (b"\",\"confidence\":\"", f.confidence.as_str()),
    ] {
        out.extend_from_slice(key);
        out.extend_from_slice(word.as_bytes());
    }
    out.extend_from_slice(b"\",\"masked\":");
    write_str(out, &f.masked)?;
    out.extend_from_slice(b",\"fingerprint\":\"");
    out.extend_from_slice(&f.fingerprint.text());
    out.push(b'"');
    if let Some(field) = &f.field {
        out.extend_from_slice(b",\"field\":");
        write_str(out, field)?;
    }
    if let Some(value) = &f.value {
        out.extend_from_slice(b",\"value\":");
        write_str(out, value)?;
    }
    if let Some(status) = &f.status {
        out.extend_from_slice(b",\"status\":");
        serde_json::to_writer(&mut *out, status)?;
    }
    out.push(b'}');
    Ok(())
}

/// `s` as a JSON string: copied between quotes when nothing in it needs
/// escaping (the masked values and field names of nearly every finding),
/// else written by serde_json.
fn write_str(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    // serde_json escapes `"`, `\` and the control characters below 0x20.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return Ok(());
    }
    serde_json::to_writer(out, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Tier;
    use crate::detect::{Confidence, DetectorId};
    use crate::report::fingerprint::Fingerprint;
    use crate::report::{FindingEntry, Summary};
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
                masked: "138****5678".into(),
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
            files: (0..n / 2)
                .map(|i| crate::report::FileEntry {
                    path: format!("dir/f{i}.csv"),
                    tier: Tier::Core,
                    format: "text".into(),
                    encoding: if i % 2 == 0 {
                        "UTF-8".into()
                    } else {
                        "".into()
                    },
                    bytes: 100,
                    findings: 3,
                    listed: 3,
                    not_listed: 0,
                    detectors: [(DetectorId::CnMobile, Default::default())].into(),
                    escalations: vec!["bulk".to_string()],
                    decode_replacements: false,
                    suppressed: (i % 3) as u64,
                })
                .collect(),
            findings,
            skipped: Vec::new(),
            errors: Vec::new(),
            suppressed: Vec::new(),
            distinct: Default::default(),
        }
    }

    #[test]
    fn findings_are_written_as_serde_writes_them() {
        let mut r = report(6);
        // Every optional field present or absent, strings needing escapes.
        r.findings[1].path = Arc::from("dir/\"quoted\"\\ 号\u{1}.csv");
        r.findings[1].value = Some("a\"b\n".into());
        r.findings[2].status = Some(crate::report::Status::New);
        r.findings[3].status = Some(crate::report::Status::Known);
        r.findings[3].detector = DetectorId::CnResidentId;
        r.findings[3].tier = Tier::Core;
        r.findings[3].confidence = Confidence::Low;
        r.findings[4].masked = "z***@例子.com".into();
        let mut cache = PathCache::default();
        for f in &r.findings {
            let mut ours = Vec::new();
            write_finding(&mut ours, f, &mut cache).unwrap();
            let theirs = serde_json::to_vec(f).unwrap();
            assert_eq!(String::from_utf8(ours), String::from_utf8(theirs));
        }
    }

    proptest::proptest! {
        #[test]
        fn strings_are_written_as_serde_writes_them(s in "[a-z*@.号\"\\\\\u{0}-\u{1f}\u{7f}\u{2028}]{0,12}") {
            let mut ours = Vec::new();
            write_str(&mut ours, &s).unwrap();
            proptest::prop_assert_eq!(ours, serde_json::to_vec(&s).unwrap());
        }
    }

    #[test]
    fn spliced_output_is_the_report_with_one_entry_a_line() {
        // Sizes around the piece and batch boundaries, and none at all.
        for n in [0, 1, 2, PIECE - 1, PIECE, PIECE + 1, BATCH + PIECE + 5] {
            let r = report(n);
            let mut ours = Vec::new();
            write(&r, &mut ours).unwrap();
            let parsed: serde_json::Value = serde_json::from_slice(&ours).unwrap();
            assert_eq!(parsed, serde_json::to_value(&r).unwrap(), "{n} findings");
            let text = String::from_utf8(ours).unwrap();
            let lines = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
            assert_eq!(
                lines("    {\"path\":\"dir/f"),
                n + n / 2,
                "one line an entry"
            );
            if n == 0 {
                assert!(text.contains("\"files\": [],\n  \"findings\": [],"));
            }
        }
    }
}
