//! Test helpers: a temp dir to build trees in, the command builder, and
//! readers for reports and the fixtures' ground truth.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A fixed key so fingerprints are stable in tests.
pub const KEY: &str = "test-key-not-secret";

/// `leakscan` with a fixed hash key, no progress line.
pub fn leakscan() -> Command {
    let mut c = Command::cargo_bin("leakscan").expect("binary is built");
    c.env("LEAKSCAN_HASH_KEY", KEY).env_remove("RUST_BACKTRACE");
    c
}

/// The crate root (fixtures/ and tests/data/ live there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary directory to build a tree in.
pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        TestDir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn create(&self, rel: &str, text: &str) -> PathBuf {
        self.create_bytes(rel, text.as_bytes())
    }

    pub fn create_bytes(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write");
        p
    }
}

/// Run a scan with `args` and JSON output; returns (report, exit code, stderr).
pub fn scan_json(args: &[&str]) -> (Value, i32, String) {
    let out = leakscan()
        .arg("scan")
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let code = out.status.code().expect("exit code");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (
        report,
        code,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A JSON scan of `path` with `args` that must end within `secs` seconds
/// (for inputs that once hung or crashed the scan); returns (report, exit
/// code, stderr), and fails if there is no report.
pub fn scan_within(secs: u64, path: &Path, args: &[&str]) -> (Value, i32, String) {
    let out = leakscan()
        .arg("scan")
        .arg(path)
        .args(["--format", "json"])
        .args(args)
        .timeout(std::time::Duration::from_secs(secs))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}), exit {:?}: {stderr}", out.status));
    (report, out.status.code().unwrap_or(-1), stderr)
}

/// Scan `path` quietly with every finding listed and its value revealed,
/// plus `extra` flags.
pub fn scan_revealed(path: &Path, extra: &[&str]) -> (Value, i32, String) {
    let path = path.to_str().expect("test paths are UTF-8");
    let mut args = vec![path, "-q", "--reveal", "--max-findings-per-file", "0"];
    args.extend_from_slice(extra);
    scan_json(&args)
}

/// (path, line, detector, value) of every finding in a revealed report.
pub fn finding_set(report: &Value) -> BTreeSet<(String, u64, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["line"].as_u64().expect("line"),
                f["detector"].as_str().expect("detector").to_string(),
                f["value"]
                    .as_str()
                    .expect("value (run with --reveal)")
                    .to_string(),
            )
        })
        .collect()
}

/// The fixtures' ground truth, written by `examples/gen.rs`.
pub fn expected_fixture_findings() -> BTreeSet<(String, u64, String, String)> {
    let mut r = csv::Reader::from_path(root().join("tests/data/fixtures-expected.csv"))
        .expect("expected csv");
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            (
                rec[0].to_string(),
                rec[1].parse().expect("line"),
                rec[2].to_string(),
                rec[3].to_string(),
            )
        })
        .collect()
}

/// Entries of `report[section]` whose path is `path`.
pub fn entries_for<'a>(report: &'a Value, section: &str, path: &str) -> Vec<&'a Value> {
    report[section]
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["path"] == path)
        .collect()
}
