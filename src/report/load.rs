//! Reading reports back (for `diff`, `merge` and `--baseline`): a JSON report
//! as written by `--format json`, or an NDJSON report (`--format ndjson`),
//! into a [`ScanReport`] whose `scan` section stays raw JSON.

use super::{ErrorEntry, FileEntry, FindingEntry, ScanReport, SkipEntry, Summary, SuppressedEntry};
use crate::detect::DetectorId;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A report read from a file.
pub type LoadedReport = ScanReport<Value>;

/// A report that could not be read.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("reading report {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a leakscan JSON or NDJSON report.
    #[error("{path} is not a leakscan JSON or NDJSON report: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One line of an NDJSON report.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    File(FileEntry),
    Finding(FindingEntry),
    Suppressed(SuppressedEntry),
    Skipped(SkipEntry),
    Error(ErrorEntry),
    Summary {
        tool: String,
        version: String,
        scan: Value,
        summary: Summary,
        #[serde(default)]
        distinct: BTreeMap<DetectorId, Vec<u64>>,
    },
}

/// Read a JSON or NDJSON report.
pub fn load(path: &Path) -> Result<LoadedReport, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes).map_err(|message| LoadError::Format {
        path: path.to_path_buf(),
        message,
    })
}

/// Parse the bytes of a JSON or NDJSON report.
pub fn parse(bytes: &[u8]) -> Result<LoadedReport, String> {
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let looks_ndjson = serde_json::from_slice::<Value>(first_line)
        .ok()
        .is_some_and(|v| v.get("type").is_some());
    if !looks_ndjson {
        let report = serde_json::from_slice::<LoadedReport>(bytes).map_err(|e| e.to_string())?;
        return check_tool(report);
    }
    let mut report = LoadedReport {
        tool: "".into(),
        version: "".into(),
        scan: Value::Null,
        summary: Summary::default(),
        files: Vec::new(),
        findings: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
        suppressed: Vec::new(),
        distinct: BTreeMap::new(),
    };
    let mut complete = false;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: Line =
            serde_json::from_slice(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        match line {
            Line::File(f) => report.files.push(f),
            Line::Finding(f) => report.findings.push(f),
            Line::Suppressed(f) => report.suppressed.push(f),
            Line::Skipped(s) => report.skipped.push(s),
            Line::Error(e) => report.errors.push(e),
            Line::Summary {
                tool,
                version,
                scan,
                summary,
                distinct,
            } => {
                report.distinct = distinct;
                report.tool = tool.into();
                report.version = version.into();
                report.scan = scan;
                report.summary = summary;
                complete = true;
            }
        }
    }
    if !complete {
        return Err("no summary line: the NDJSON report is cut short".to_string());
    }
    // Same order as a JSON report.
    report.sort();
    check_tool(report)
}

fn check_tool(report: LoadedReport) -> Result<LoadedReport, String> {
    if report.tool != "leakscan" {
        return Err(format!("tool is `{}`, not leakscan", report.tool));
    }
    Ok(report)
}

impl LoadedReport {
    /// The fingerprint key id the report was made with, if it says.
    pub fn key_id(&self) -> Option<&str> {
        self.scan.get("key_id").and_then(Value::as_str)
    }
}
