//! `ScanOptions`: everything a scan needs, as plain documented fields, built
//! once from the command line (`cli.rs`) and echoed in the report. No clap
//! types here.

use crate::classify::Tier;
use crate::detect::Confidence;
use serde::Serialize;
use std::path::PathBuf;

/// Default bytes read per chunk.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 20;

/// Default time limit of a parser child, in seconds.
pub const DEFAULT_PARSER_TIMEOUT_SECS: u64 = 60;
/// Default limit of a parser child's resident memory (`--parser-memory`).
pub const DEFAULT_PARSER_MEMORY: u64 = 1 << 30;

/// Options of one scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanOptions {
    /// Files and folders to scan.
    pub roots: Vec<PathBuf>,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Follow symbolic links (loop-safe).
    pub follow: bool,
    /// Glob patterns of paths to leave out.
    pub exclude: Vec<String>,
    /// Skip files larger than this many bytes.
    pub max_file_size: Option<u64>,
    /// Findings listed per file (0 = all); counts stay exact.
    pub max_findings_per_file: usize,
    /// Findings below this confidence are dropped; `None`: drop only weak
    /// pattern matches at `low` (SPEC: low is off by default for weak detectors).
    pub min_confidence: Option<Confidence>,
    /// Exit 1 when a file with findings is at or above this tier (`None` = never).
    pub fail_on: Option<Tier>,
    /// Exit 1 also when a file is in the report's errors.
    pub fail_on_errors: bool,
    /// Put normalised values in the report.
    pub reveal: bool,
    /// List files without findings in `files` too.
    pub all_files: bool,
    /// Bytes read per chunk.
    pub chunk_size: usize,
    /// Containers nested deeper than this are not opened.
    pub max_depth: u32,
    /// Uncompressed bytes read out of the containers of one file.
    pub max_archive_bytes: u64,
    /// Compression ratio above which a member is treated as a bomb.
    pub max_ratio: u64,
    /// Largest member or document loaded into memory whole.
    pub max_buffer: u64,
    /// Do not scan binary data raw.
    pub skip_binary: bool,
    /// Stop a parser child (PDF, spreadsheet) after this many seconds.
    pub parser_timeout_secs: u64,
    /// Stop a parser child whose resident memory passes this many bytes.
    pub parser_memory: u64,
    /// The binary that parses PDFs and spreadsheets in a child process (the
    /// `leakscan` binary sets itself); `None` parses them in this process.
    #[serde(skip)]
    pub parser_helper: Option<PathBuf>,
    /// UTF-8 and binary files larger than this are split at line starts and
    /// their parts (at most this size, smaller towards the end) scanned in
    /// parallel.
    pub split_size: u64,
    /// Suppression files in force (`--ignore-file`, or `.leakscanignore` found).
    pub ignore_files: Vec<PathBuf>,
    /// List suppressed findings in the report.
    pub show_suppressed: bool,
    /// Listed findings kept in the returned report: all (`None`), or only
    /// the first N in report order. The text summary keeps none and the
    /// HTML page its sample: a scan of a large share then holds its files
    /// and counts, not a million findings it never prints (all are counted
    /// as listed the same). Not echoed in the report.
    #[serde(skip)]
    pub findings_kept: Option<usize>,
    /// Report of an earlier scan to mark findings `new` or `known` against.
    pub baseline: Option<PathBuf>,
    /// Exit 1 only when a file with new findings (against the baseline) is at or above this tier.
    pub fail_on_new: Option<Tier>,
    /// Scan only this shard of the paths (`--shard`).
    pub shard: Option<crate::walk::Shard>,
    /// `--patterns DIR`.
    pub patterns_dir: Option<PathBuf>,
    /// `--policy FILE`.
    pub policy_file: Option<PathBuf>,
    /// Override of the bulk escalation threshold.
    pub bulk_threshold: Option<u64>,
    /// Where the fingerprint key came from (never the key itself).
    pub hash_key_source: String,
    /// Key material for fingerprints.
    #[serde(skip)]
    pub hash_key: Vec<u8>,
    /// A note for stderr about the key (created, or random per run).
    #[serde(skip)]
    pub key_note: Option<String>,
}

impl ScanOptions {
    /// How PDFs and spreadsheets are parsed: in a child process of
    /// `parser_helper`, if set.
    pub fn isolation(&self) -> Option<crate::extract::isolate::Isolation> {
        self.parser_helper
            .clone()
            .map(|helper| crate::extract::isolate::Isolation {
                helper,
                timeout: std::time::Duration::from_secs(self.parser_timeout_secs.max(1)),
                memory: self.parser_memory,
            })
    }

    /// Whether a finding of confidence `c` (weak or not) is kept.
    pub fn keeps(&self, c: Confidence, weak: bool) -> bool {
        match self.min_confidence {
            Some(min) => c >= min,
            None => !(weak && c == Confidence::Low),
        }
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            roots: vec![PathBuf::from(".")],
            threads: 0,
            follow: false,
            exclude: Vec::new(),
            max_file_size: None,
            max_findings_per_file: 100,
            min_confidence: None,
            fail_on: Some(Tier::Core),
            fail_on_errors: false,
            reveal: false,
            all_files: false,
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_depth: 8,
            max_archive_bytes: 16 << 30,
            max_ratio: 200,
            max_buffer: 64 << 20,
            skip_binary: false,
            parser_timeout_secs: DEFAULT_PARSER_TIMEOUT_SECS,
            parser_memory: DEFAULT_PARSER_MEMORY,
            parser_helper: None,
            split_size: 8 << 20,
            ignore_files: Vec::new(),
            show_suppressed: false,
            findings_kept: None,
            baseline: None,
            fail_on_new: None,
            shard: None,
            patterns_dir: None,
            policy_file: None,
            bulk_threshold: None,
            hash_key_source: "none".to_string(),
            hash_key: Vec::new(),
            key_note: None,
        }
    }
}
