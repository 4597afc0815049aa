//! Report formats, masking, fingerprints and file permissions.

use crate::util::*;
use std::os::unix::fs::PermissionsExt;

fn fixtures() -> String {
    root().join("fixtures").to_string_lossy().into_owned()
}

/// `leakscan scan fixtures/ --exclude formats` (the labelled fixtures
/// without the format set), for the caller's further arguments.
fn fixture_scan() -> assert_cmd::Command {
    let mut c = leakscan();
    c.args(["scan", &fixtures(), "--exclude", "formats"]);
    c
}

#[test]
fn json_report_has_the_specified_fields() {
    let (r, _, _) = scan_json(&[&fixtures(), "--exclude", "formats", "-q"]);
    assert_eq!(r["tool"], "leakscan");
    assert_eq!(r["version"], env!("CARGO_PKG_VERSION"));
    for k in [
        "roots",
        "started_at",
        "finished_at",
        "duration_ms",
        "options",
        "policy",
    ] {
        assert!(!r["scan"][k].is_null(), "scan.{k}");
    }
    for k in [
        "files_seen",
        "files_scanned",
        "files_skipped",
        "files_failed",
        "bytes_scanned",
        "findings_total",
        "findings_listed",
        "findings_per_tier",
        "findings_per_detector",
        "files_per_tier",
    ] {
        assert!(!r["summary"][k].is_null(), "summary.{k}");
    }
    assert_eq!(
        r["summary"]["files_scanned"], 11,
        "10 fixtures and their README"
    );
    assert_eq!(r["summary"]["findings_total"], 124);
    assert_eq!(r["summary"]["findings_per_tier"]["core"], 28);
    assert_eq!(r["summary"]["findings_per_tier"]["general"], 96);
    assert_eq!(r["summary"]["files_per_tier"]["core"], 8);
    let f = &r["findings"][0];
    for k in [
        "path",
        "line",
        "column",
        "detector",
        "tier",
        "confidence",
        "masked",
        "fingerprint",
    ] {
        assert!(!f[k].is_null(), "finding.{k}");
    }
    assert!(f["value"].is_null(), "no value without --reveal");
    assert!(r["errors"].as_array().unwrap().is_empty());
    let bulk = &entries_for(&r, "files", "bulk/contacts.txt")[0];
    assert_eq!(bulk["tier"], "core");
    assert_eq!(bulk["detectors"]["cn_mobile"]["distinct"], 60);
}

#[test]
fn masks_look_as_specified() {
    let (r, _, _) = scan_json(&[&fixtures(), "--exclude", "formats", "-q", "--reveal"]);
    for f in r["findings"].as_array().unwrap() {
        let (v, m) = (f["value"].as_str().unwrap(), f["masked"].as_str().unwrap());
        match f["detector"].as_str().unwrap() {
            "cn_resident_id" => assert_eq!(m, format!("{}********{}", &v[..6], &v[14..])),
            "cn_mobile" => assert_eq!(m, format!("{}****{}", &v[..3], &v[7..])),
            _ => assert!(m.contains(" -> ")),
        }
    }
}

#[test]
fn no_raw_value_in_any_output_without_reveal() {
    let values: Vec<String> = expected_fixture_findings()
        .into_iter()
        .flat_map(|(_, _, _, v)| v.split('|').map(str::to_string).collect::<Vec<_>>())
        .filter(|v| v.len() >= 11)
        .collect();
    assert!(values.len() > 100);
    let d = TestDir::new();
    for format in ["text", "json", "csv", "ndjson"] {
        for to_file in [false, true] {
            let out_path = d.path().join(format!("report.{format}"));
            let mut cmd = fixture_scan();
            cmd.args(["--format", format]);
            if to_file {
                cmd.arg("-o").arg(&out_path);
            }
            let out = cmd.output().unwrap();
            let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
            all.push_str(&String::from_utf8_lossy(&out.stderr));
            if to_file {
                all.push_str(&std::fs::read_to_string(&out_path).unwrap());
            }
            for v in &values {
                assert!(!all.contains(v.as_str()), "{format}: raw value leaked");
            }
        }
    }
}

#[test]
fn reveal_adds_values_and_warns() {
    let out = fixture_scan()
        .args(["--format", "csv", "--reveal"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("--reveal"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().next().unwrap().ends_with(",value"));
    let (_, _, _, v) = expected_fixture_findings().into_iter().next().unwrap();
    assert!(stdout.contains(&v));
}

#[test]
fn csv_has_bom_header_and_one_row_per_finding() {
    let out = fixture_scan().args(["--format", "csv"]).output().unwrap();
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8(out.stdout[3..].to_vec()).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "path",
            "line",
            "column",
            "detector",
            "tier",
            "confidence",
            "masked",
            "fingerprint",
            "field"
        ]
    );
    assert_eq!(rows.records().count(), 124);
}

#[test]
fn report_files_are_owner_only() {
    let d = TestDir::new();
    let out = d.path().join("report.json");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    fixture_scan()
        .args(["-q", "--format", "json", "-o"])
        .arg(&out)
        .assert()
        .code(1)
        .stdout("");
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(r["tool"], "leakscan");
}

/// `-o` naming a FIFO (or `/dev/null`, `/dev/stdout`): the report is
/// written into it, and the FIFO stays a FIFO (renaming a finished file over
/// it would replace it, and as root would replace `/dev/null` for everyone).
#[test]
fn reports_to_a_fifo_are_written_into_it() {
    use std::os::unix::fs::FileTypeExt;
    let d = TestDir::new();
    for format in ["json", "ndjson"] {
        let fifo = d.path().join(format!("report.{format}.fifo"));
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        fixture_scan()
            .args(["-q", "--format", format, "-o"])
            .arg(&fifo)
            .assert()
            .code(1)
            .stdout("");
        let kind = std::fs::metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "{format}: the FIFO was replaced");
        // A reader still waiting for a writer (the scan never opened the
        // FIFO) gets end-of-file instead of hanging the test.
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo);
        let text = String::from_utf8(reader.join().unwrap()).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let report: serde_json::Value = if format == "json" {
            serde_json::from_str(&text).unwrap()
        } else {
            serde_json::from_str(first).unwrap()
        };
        assert!(report.is_object(), "{format}: {first}");
        assert!(text.contains("cn_resident_id"), "{format}");
    }
}

#[test]
fn fingerprints_are_keyed_and_stable() {
    let fp = |key: &str| {
        let out = fixture_scan()
            .env("LEAKSCAN_HASH_KEY", key)
            .args(["-q", "--format", "json"])
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let a = fp("key-a");
    assert_eq!(a, fp("key-a"));
    let b = fp("key-b");
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x != y));

    // A key file gives the same fingerprints as the same key in the environment.
    let d = TestDir::new();
    let key = d.create("key", "key-a\n");
    let out = leakscan()
        .env_remove("LEAKSCAN_HASH_KEY")
        .args([
            "scan",
            &fixtures(),
            "-q",
            "--format",
            "json",
            "--hash-key-file",
        ])
        .arg(&key)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["findings"][0]["fingerprint"].as_str().unwrap(), a[0]);
}

#[test]
fn findings_listed_per_file_are_capped_but_counts_stay_exact() {
    let (r, _, _) = scan_json(&[
        &fixtures(),
        "--exclude",
        "formats",
        "-q",
        "--max-findings-per-file",
        "10",
    ]);
    let bulk = &entries_for(&r, "files", "bulk/contacts.txt")[0];
    assert_eq!(
        (
            bulk["findings"].as_u64(),
            bulk["listed"].as_u64(),
            bulk["not_listed"].as_u64()
        ),
        (Some(60), Some(10), Some(50))
    );
    assert_eq!(entries_for(&r, "findings", "bulk/contacts.txt").len(), 10);
    assert_eq!(r["summary"]["findings_total"], 124);
}

#[test]
fn terminal_summary_names_tiers_detectors_and_top_files() {
    let out = fixture_scan().arg("--no-progress").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "findings: 124 (core 28, general 96, public 0)",
        "cn_resident_id",
        "cdr_record",
        "bulk/contacts.txt",
        "top files:",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(text.contains(" files ("), "{text}");
    // One file is one file.
    let one = leakscan()
        .args(["scan", "--no-progress"])
        .arg(root().join("fixtures/customers.csv"))
        .output()
        .unwrap();
    let text = String::from_utf8(one.stdout).unwrap();
    assert!(text.contains(": scanned 1 file ("), "{text}");
}

#[test]
fn policy_override_changes_tiers() {
    let d = TestDir::new();
    let policy = d.create(
        "policy.toml",
        "[tiers]\ncn_resident_id = \"core\"\ncn_mobile = \"core\"\ncdr_record = \"core\"\n[escalation]\nbulk_distinct = 0\nid_with_phone = false\n",
    );
    d.create("data/a.txt", "手机 13812345678\n");
    let data = d.path().join("data");
    let (r, code, _) = scan_json(&[
        data.to_str().unwrap(),
        "-q",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(r["findings"][0]["tier"], "core");
    assert_eq!(code, 1);
    let (r, code, _) = scan_json(&[data.to_str().unwrap(), "-q"]);
    assert_eq!(r["findings"][0]["tier"], "general");
    assert_eq!(code, 0);
}

#[test]
fn bulk_threshold_flag_overrides_the_policy() {
    let d = TestDir::new();
    d.create("a.txt", "13812345678\n13912345678\n15012345678\n");
    let (r, code, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "--bulk-threshold", "3"]);
    assert_eq!(r["files"][0]["tier"], "core");
    assert_eq!(code, 1);
}

#[test]
fn ndjson_streams_files_findings_and_a_closing_summary() {
    // See: issue 6 — NDJSON written while scanning; the same findings as JSON.
    let d = TestDir::new();
    let out_path = d.path().join("report.ndjson");
    let out = fixture_scan()
        .args(["-q", "--reveal", "--max-findings-per-file", "0"])
        .args(["--format", "ndjson", "-o"])
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let mode = std::fs::metadata(&out_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&out_path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["summary"]["findings_total"], 124);
    assert_eq!(last["summary"]["highest_tier"], "core");
    let mut streamed: Vec<(String, u64, String, String)> = lines
        .iter()
        .filter(|l| l["type"] == "finding")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["detector"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    streamed.sort();
    let want: Vec<_> = expected_fixture_findings().into_iter().collect();
    assert_eq!(streamed, want);
    assert_eq!(lines.iter().filter(|l| l["type"] == "file").count(), 9);
}

#[test]
fn without_a_key_one_is_created_owner_only_in_the_config_dir_and_reused() {
    // See: issue 6 — the same key every month, so reports can be compared.
    let d = TestDir::new();
    let config = d.path().join("config");
    let run = || {
        fixture_scan()
            .env_remove("LEAKSCAN_HASH_KEY")
            .env("XDG_CONFIG_HOME", &config)
            .args(["--format", "json", "--no-progress"])
            .output()
            .unwrap()
    };
    let first = run();
    let note = String::from_utf8_lossy(&first.stderr).into_owned();
    let key = config.join("leakscan/fingerprint.key");
    assert!(
        note.contains("created the fingerprint key") && note.contains("fingerprint.key"),
        "{note}"
    );
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(key.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    let second = run();
    assert!(!String::from_utf8_lossy(&second.stderr).contains("created"));
    let fps = |out: &std::process::Output| {
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(fps(&first), fps(&second));
    let r: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert!(r["scan"]["options"]["hash_key_source"]
        .as_str()
        .unwrap()
        .starts_with("key file "));
    assert!(
        !r.to_string()
            .contains(std::fs::read_to_string(&key).unwrap().trim()),
        "the key never appears in a report"
    );
}

#[test]
fn ndjson_memory_does_not_grow_with_the_findings_listed() {
    // See: issue 6 — NDJSON keeps no findings; the sorted JSON keeps them all.
    // Two trees of 5,000-finding files, one 6x the other, every finding
    // listed: the JSON report's peak grows with the findings, the NDJSON
    // stream's does not. (At 4x the JSON growth sat close enough to its
    // 16 MiB bar to fail once under load.)
    use crate::synth::{self, Rng};
    let mut rng = Rng(7);
    let values: Vec<String> = (0..2000).map(|_| synth::mobile(&mut rng)).collect();
    let tree = |files: usize| {
        let d = TestDir::new();
        for f in 0..files {
            let mut text = String::new();
            for i in 0..5_000 {
                text.push_str("电话 ");
                text.push_str(&values[(i * 7 + f) % values.len()]);
                text.push('\n');
            }
            d.create(&format!("part{f:02}.txt"), &text);
        }
        d
    };
    let peak = |d: &TestDir, format: &str| {
        let out = leakscan()
            .args([
                "scan",
                "-q",
                "--max-findings-per-file",
                "0",
                "--fail-on",
                "never",
                "-f",
                format,
            ])
            .arg(d.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let summary: serde_json::Value = match format {
            "ndjson" => serde_json::from_str(text.lines().last().unwrap()).unwrap(),
            _ => serde_json::from_str(&text).unwrap(),
        };
        (
            summary["summary"]["findings_total"].as_u64().unwrap(),
            summary["scan"]["peak_rss_kib"].as_u64().unwrap(),
        )
    };
    let (small, large) = (tree(10), tree(60));
    let (n_small, json_small) = peak(&small, "json");
    let (n_large, json_large) = peak(&large, "json");
    assert_eq!((n_small, n_large), (50_000, 300_000));
    let (_, nd_small) = peak(&small, "ndjson");
    let (_, nd_large) = peak(&large, "ndjson");
    assert!(
        json_large > json_small + 16 * 1024,
        "the JSON report keeps its findings: {json_small} -> {json_large} KiB"
    );
    // What NDJSON holds is bounded by the outcome queue (two batches of
    // outcomes a worker), not by the number of findings.
    assert!(
        nd_large < nd_small + 8 * 1024,
        "NDJSON memory stays flat: {nd_small} -> {nd_large} KiB"
    );
}
