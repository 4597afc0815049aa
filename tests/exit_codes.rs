//! Exit codes: 0 / 1 / 2 as SPEC.md says, and `--fail-on`.

use crate::util::*;

#[test]
fn fail_on_thresholds() {
    let d = TestDir::new();
    d.create("general/a.txt", "手机 13812345678\n");
    d.create("clean/b.txt", "nothing here 10086\n");
    let general = d.path().join("general");
    let clean = d.path().join("clean");
    let code = |dir: &std::path::Path, fail_on: &str| {
        leakscan()
            .args(["scan", "-q", "--fail-on", fail_on])
            .arg(dir)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&general, "core"), Some(0));
    assert_eq!(code(&general, "general"), Some(1));
    assert_eq!(code(&general, "public"), Some(1));
    assert_eq!(code(&general, "never"), Some(0));
    assert_eq!(code(&clean, "public"), Some(0));
    assert_eq!(code(&root().join("fixtures"), "core"), Some(1));
    assert_eq!(code(&root().join("fixtures"), "never"), Some(0));
}

#[test]
fn fail_on_errors_fails_a_gate_on_files_it_could_not_read() {
    // An extract with a broken zip and no finding:
    // a release gate passed it (exit 0) unless asked not to.
    let d = TestDir::new();
    d.create("clean.txt", "nothing here 10086\n");
    d.create_bytes("broken.zip", b"PK\x03\x04 not really a zip");
    let run = |extra: &[&str]| {
        leakscan()
            .args(["scan", "--no-progress"])
            .args(extra)
            .arg(d.path())
            .output()
            .unwrap()
    };
    assert_eq!(run(&["-q"]).status.code(), Some(0), "errors alone: 0");
    let out = run(&["--fail-on-errors"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--fail-on-errors"), "{stderr}");
    assert_eq!(
        run(&["-q", "--fail-on-errors", "--fail-on", "never"])
            .status
            .code(),
        Some(1)
    );
    // Nothing in errors: the flag changes nothing.
    let clean = TestDir::new();
    clean.create("clean.txt", "nothing here 10086\n");
    let out = leakscan()
        .args(["scan", "-q", "--fail-on-errors"])
        .arg(clean.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn fatal_errors_exit_2_with_a_message() {
    let d = TestDir::new();
    let bad = d.create("policy.toml", "[tiers]\ncn_mobile = \"secret\"\n");
    let out = leakscan()
        .args(["scan", "-q", "--policy"])
        .arg(&bad)
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("leakscan: ") && err.contains("policy.toml"),
        "{err}"
    );

    let out = leakscan()
        .args(["scan", "/nonexistent/leakscan/root"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/leakscan/root"));

    let out = leakscan()
        .args(["scan", "--format", "yaml", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "usage error");

    let out = leakscan()
        .args(["scan", "--exclude", "a[", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "bad glob");

    let out = leakscan()
        .args(["scan", "-q", "-o", "/nonexistent/dir/report.json"])
        .arg(root().join("fixtures"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "unwritable output");
}

#[test]
fn help_shows_examples_and_every_flag_has_help() {
    let out = leakscan().args(["scan", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("Examples:") && help.contains("leakscan scan fixtures/"),
        "{help}"
    );
    for flag in [
        "--format",
        "--output",
        "--policy",
        "--fail-on",
        "--reveal",
        "--exclude",
        "--max-file-size",
        "--threads",
        "--no-progress",
        "--quiet",
        "--hash-key-file",
        "--follow",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn detectors_lists_every_detector_with_a_masked_example() {
    let out = leakscan()
        .args(["detectors", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "cn_resident_id",
            "cn_mobile",
            "cn_landline",
            "imsi",
            "imei",
            "iccid",
            "bank_card",
            "uscc",
            "cn_passport",
            "cn_travel_permit",
            "email",
            "cdr_record"
        ]
    );
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| !r["example"].as_str().unwrap().is_empty()));
    assert_eq!(rows[0]["example"], "110101********1233");
    assert_eq!(rows[0]["tier"], "core");
    assert_eq!(rows[1]["example"], "138****5678");
}

#[test]
fn ctrl_c_writes_the_report_gathered_so_far_marked_interrupted() {
    // See: issue 6 — Ctrl-C writes a partial report, marked interrupted.
    use std::time::{Duration, Instant};
    let d = TestDir::new();
    d.create("a.txt", "sfzh 110101199003071233\n");
    // Sparse: no disk used, far longer to read than the test waits.
    let big = std::fs::File::create(d.path().join("big.bin")).unwrap();
    big.set_len(64 << 30).unwrap();
    let out = d.path().join("report.json");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("leakscan"))
        .env("LEAKSCAN_HASH_KEY", KEY)
        .args([
            "scan",
            "--format",
            "json",
            "-q",
            "--exclude",
            "report.json",
            "-o",
        ])
        .arg(&out)
        .arg(d.path())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // The shell's built-in kill: no procps needed.
    let sent = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the scan did not stop after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.code(),
        Some(2),
        "an interrupted scan is not a clean scan"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(report["scan"]["interrupted"], true);
    let big_error = entries_for(&report, "errors", "big.bin");
    assert!(
        big_error
            .iter()
            .any(|e| e["reason"].as_str().unwrap().contains("scan interrupted")),
        "{}",
        report["errors"]
    );
}
