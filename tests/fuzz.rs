//! Random bytes fed to every decoder and extractor, in process (proptest on
//! stable Rust): nothing panics, whatever the input. The pipeline turns
//! errors into report entries; these properties make sure there is no panic
//! on the way.
// See: issue 6 (hostile inputs), issue 4 (formats)

use leakscan::extract::{mail, markup, office, sheet};
use leakscan::read::chunk::TextReader;
use leakscan::read::{decode, sniff_kind};
use proptest::prelude::*;

/// Bytes that look like the start of a given format, then random.
fn with_magic() -> impl Strategy<Value = Vec<u8>> {
    let magics: Vec<&'static [u8]> = vec![
        b"PK\x03\x04",
        b"\x1F\x8B\x08\x00",
        b"%PDF-1.4\n",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        b"{\\rtf1\\ansi\\ansicpg936 ",
        b"<!DOCTYPE html><table><tr><td>",
        b"From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n",
        b"\xFF\xFE",
        b"\xEF\xBB\xBF",
        b"",
    ];
    (
        proptest::sample::select(magics),
        proptest::collection::vec(any::<u8>(), 0..2048),
    )
        .prop_map(|(m, rest)| {
            let mut v = m.to_vec();
            v.extend(rest);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic(bytes in with_magic(), chunk in 1usize..64) {
        let _ = sniff_kind(&bytes, "x.bin");
        let sniffed = decode::sniff(&bytes, true);
        let mut lines = 0u64;
        let reader = TextReader::new(&bytes[..], Vec::new(), 0, false, sniffed.encoding, chunk);
        let stats = reader.for_each_segment(|s| {
            lines += 1;
            assert!(s.own.end <= s.text.len());
        });
        prop_assert!(stats.is_ok());
    }

    #[test]
    fn extractors_never_panic(bytes in with_magic()) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = markup::html_text(&text);
        let _ = markup::rtf_text(&bytes);
        let _ = office::blocks(&bytes);
        let _ = mail::parts(&bytes);
        let _ = sheet::for_each_sheet(&bytes, |_| {});
    }
}

#[test]
fn the_scanner_survives_random_files_of_every_kind() {
    // Whole-pipeline check: random and truncated blobs with format magic,
    // as files and inside a zip, scan without a panic and exit 0 or 1.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let d = crate::util::TestDir::new();
    let mut runner = TestRunner::deterministic();
    let mut members = Vec::new();
    for i in 0..60 {
        let bytes = with_magic()
            .new_tree(&mut runner)
            .expect("strategy")
            .current();
        let name = format!(
            "f{i}.{}",
            ["csv", "xlsx", "docx", "pdf", "eml", "gz", "zip", "txt"][i % 8]
        );
        d.create_bytes(&name, &bytes);
        members.push((name, bytes));
    }
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    d.create_bytes("all.zip", &crate::synth::zip_bytes(&refs, &[]));
    let out = crate::util::leakscan()
        .args(["scan", "-q", "--format", "json"])
        .arg(d.path())
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert!(report["summary"]["files_seen"].as_u64().unwrap() >= 61);
}
