//! The command line: clap types, all help text, and the conversion of
//! `scan` arguments into [`ScanOptions`] (including loading the fingerprint
//! key). Nothing else in the crate sees clap.

use crate::classify::Tier;
use crate::detect::Confidence;
use crate::options::{ScanOptions, DEFAULT_CHUNK_SIZE, DEFAULT_PARSER_TIMEOUT_SECS};
use crate::walk::Shard;
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const SCAN_EXAMPLES: &str = "\
Examples:
  leakscan scan fixtures/
  leakscan scan /shares/exports --format json -o report.json --fail-on core
  leakscan scan extract/ --format csv -o findings.csv
  leakscan scan release/extract/ --fail-on general --fail-on-errors
  LEAKSCAN_HASH_KEY=… leakscan scan --exclude '*.bak' --max-file-size 2G /data
  leakscan scan /shares --baseline last-month.json --fail-on-new core -f json -o this-month.json

Exit status: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, configuration or fatal error. Unreadable files are listed in the
report's errors and on stderr and do not change 0/1 (with --fail-on-errors,
they make it 1).";

/// leakscan: find Chinese customer information (ID numbers, phone numbers,
/// call-detail records) in files and report it by sensitivity tier.
#[derive(Debug, Parser)]
#[command(
    name = "leakscan",
    version,
    about,
    after_help = "Run `leakscan scan --help` for the scan options and examples."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders for customer information.
    #[command(after_long_help = SCAN_EXAMPLES, after_help = SCAN_EXAMPLES)]
    Scan(Box<ScanArgs>),
    /// List the detectors with their tier, validation and a masked example.
    Detectors(DetectorsArgs),
    /// Compare two reports: new, resolved and persisting findings, files whose tier changed.
    #[command(after_help = DIFF_EXAMPLES, after_long_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
    /// Combine the reports of `scan --shard K/N` runs into one report.
    #[command(after_help = MERGE_EXAMPLES, after_long_help = MERGE_EXAMPLES)]
    Merge(MergeArgs),
    /// Internal: run a document parser (`pdf`, `sheets`) on stdin, write
    /// what it read to stdout (the scanner runs its parsers this way, in a
    /// child process).
    #[command(name = crate::extract::isolate::SUBCOMMAND, hide = true)]
    InternalExtract {
        /// The parser.
        parser: String,
        /// Seconds after which the child stops itself.
        seconds: u64,
        /// Resident bytes past which the child stops itself (0: no limit).
        #[arg(default_value_t = 0)]
        memory: u64,
    },
}

const DIFF_EXAMPLES: &str = "\
Examples:
  leakscan diff 2026-10.json 2026-11.json
  leakscan diff 2026-10.json 2026-11.json --format csv -o changes.csv

Findings are matched by path, detector and keyed fingerprint; both reports
must come from scans with the same fingerprint key. Only listed findings can
be matched: scan with --max-findings-per-file 0 for an exact comparison.
JSON and NDJSON reports are accepted.";

const MERGE_EXAMPLES: &str = "\
Examples:
  for k in 0 1 2 3; do leakscan scan /shares --shard $k/4 -f json -o part-$k.json & done; wait
  leakscan merge part-*.json -o all.json

Every shard 0..N-1 must be there exactly once, made by the same leakscan
version with the same roots, policy, suppressions and fingerprint key.";

/// Arguments of `leakscan merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard reports (JSON or NDJSON).
    #[arg(value_name = "PART", required = true)]
    pub parts: Vec<PathBuf>,
    /// Write the merged JSON report to FILE (created owner-only, 0600) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `diff` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Totals, changed files, new and resolved findings.
    Text,
    /// One JSON object.
    Json,
    /// One row per finding with its change, UTF-8 with BOM.
    Csv,
}

/// `detectors` output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Text,
    /// A JSON array.
    Json,
}

/// Arguments of `leakscan diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older report (JSON or NDJSON).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The newer report (JSON or NDJSON).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Write to FILE (created owner-only, 0600) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human summary.
    Text,
    /// One JSON object.
    Json,
    /// One row per finding, UTF-8 with BOM.
    Csv,
    /// One JSON object per line, streamed while scanning.
    Ndjson,
    /// SARIF 2.1.0 for CI systems and code-scanning dashboards.
    Sarif,
    /// A self-contained HTML page for auditors (no network resources).
    Html,
}

impl Format {
    /// The name as given on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Sarif => "sarif",
            Format::Html => "html",
        }
    }
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 on core findings.
    Core,
    /// Exit 1 on general or core findings.
    General,
    /// Exit 1 on any finding.
    Public,
    /// Always exit 0 after a completed scan.
    Never,
}

impl FailOn {
    /// The tier it fails at (`None`: never).
    pub fn tier(self) -> Option<Tier> {
        match self {
            FailOn::Core => Some(Tier::Core),
            FailOn::General => Some(Tier::General),
            FailOn::Public => Some(Tier::Public),
            FailOn::Never => None,
        }
    }
}

/// `--min-confidence` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinConfidence {
    /// Everything, including unvalidated pattern matches.
    Low,
    /// Validated values.
    Medium,
    /// Validated values with context.
    High,
}

/// Arguments of `leakscan scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE (created owner-only, 0600) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Tier policy file replacing patterns/policy.toml.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Folder whose pattern files replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
    /// Exit 1 when a file with findings is at or above this tier.
    #[arg(long, value_enum, default_value_t = FailOn::Core)]
    pub fail_on: FailOn,
    /// Exit 1 also when a file is in the report's errors (not read, or not to the end): for release gates.
    #[arg(long)]
    pub fail_on_errors: bool,
    /// Earlier report (JSON or NDJSON) to mark each listed finding new or known against.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 only when a file with new findings is at or above this tier (replaces --fail-on).
    #[arg(long, value_enum, value_name = "TIER", requires = "baseline")]
    pub fail_on_new: Option<FailOn>,
    /// Scan only shard K of N (K from 0 to N-1; stable partition by path), or `auto` from JOB_COMPLETION_INDEX + LEAKSCAN_SHARD_COUNT (Kubernetes) or SLURM_ARRAY_TASK_ID/_COUNT (Slurm).
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// Put unmasked values in the report (prints a warning).
    #[arg(long)]
    pub reveal: bool,
    /// Leave out paths matching GLOB (repeatable; matched on relative path and name).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip files larger than SIZE (bytes, or with K/M/G/T suffix).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Worker threads (0 = one per CPU core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(short = 'L', long)]
    pub follow: bool,
    /// Do not show the progress line on stderr.
    #[arg(long)]
    pub no_progress: bool,
    /// Print nothing but the report and fatal errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// File holding the fingerprint key (else $LEAKSCAN_HASH_KEY; else ~/.config/leakscan/fingerprint.key, created on first use).
    #[arg(long, value_name = "FILE")]
    pub hash_key_file: Option<PathBuf>,
    /// Suppression file (repeatable) instead of the .leakscanignore files found in . and the scanned folders.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Vec<PathBuf>,
    /// Use no suppression file at all.
    #[arg(long, conflicts_with = "ignore_file")]
    pub no_ignore_file: bool,
    /// List suppressed findings (with rule and reason) in the report.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Findings listed per file (0 = all); counts stay exact.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_findings_per_file: usize,
    /// Drop findings below this confidence [default: drop only weak pattern matches at low].
    #[arg(long, value_enum)]
    pub min_confidence: Option<MinConfidence>,
    /// Distinct general values of one kind that make a file core (overrides the policy).
    #[arg(long, value_name = "N")]
    pub bulk_threshold: Option<u64>,
    /// List files without findings in the report's files too.
    #[arg(long)]
    pub all_files: bool,
    /// Do not scan binary files (database files, dumps) raw for values.
    #[arg(long)]
    pub skip_binary: bool,
    /// Open containers (zip, gzip, tar, office files) nested at most N deep.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_depth: u32,
    /// Stop reading a file's archives after SIZE uncompressed bytes.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16G")]
    pub max_archive_bytes: u64,
    /// Treat an archive member compressed more than N:1 as a bomb.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_ratio: u64,
    /// Largest nested archive, spreadsheet, document or PDF loaded into memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64M")]
    pub max_buffer: u64,
    /// Stop parsing a PDF or spreadsheet after SECS seconds (the file is listed in errors).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_PARSER_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    pub parser_timeout: u64,
    /// Stop a PDF or spreadsheet parser that uses more than SIZE of memory, 0 for no limit (the file is listed in errors).
    #[arg(long, value_name = "SIZE", value_parser = parse_parser_memory, default_value = "1G")]
    pub parser_memory: u64,
    /// Split UTF-8 and binary files larger than SIZE into parts scanned in parallel.
    #[arg(long, hide = true, value_name = "SIZE", value_parser = parse_size, default_value = "8M")]
    pub split_size: u64,
    /// Bytes read per chunk (for testing chunk boundaries).
    #[arg(long, hide = true, default_value_t = DEFAULT_CHUNK_SIZE as u64, value_parser = clap::value_parser!(u64).range(16..))]
    pub chunk_size: u64,
}

/// Arguments of `leakscan detectors`.
#[derive(Debug, Args)]
pub struct DetectorsArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Tier policy file to show tiers from.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Folder whose pattern files replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
}

/// `--parser-memory`: 0 (no limit) or a size of at least 16 MiB (a parser
/// process takes a few MiB before it reads a byte: a number meant as MiB
/// would stop every document).
fn parse_parser_memory(s: &str) -> Result<u64, String> {
    match parse_size(s)? {
        n if n == 0 || n >= 16 << 20 => Ok(n),
        _ => Err(format!(
            "`{s}` is too small: use 0 (no limit) or at least 16M"
        )),
    }
}

/// Parse `123`, `10K`, `5M`, `2G`, `1T` (binary multiples).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown size suffix `{c}` (use K, M, G or T)")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a size"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// The fingerprint key kept in the user's config directory
/// (`$XDG_CONFIG_HOME/leakscan/fingerprint.key`, else
/// `~/.config/leakscan/fingerprint.key`): `(key, path, created now)`, or `None`
/// when there is no config directory. A new key is 32 random bytes in hex,
/// written owner-only (0600) in an owner-only (0700) folder.
fn config_key() -> anyhow::Result<Option<(Vec<u8>, PathBuf, bool)>> {
    use std::io::Write as _;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let set = |v: &str| {
        std::env::var_os(v)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let Some(base) = set("XDG_CONFIG_HOME").or_else(|| set("HOME").map(|h| h.join(".config")))
    else {
        return Ok(None);
    };
    let dir = base.join("leakscan");
    let path = dir.join("fingerprint.key");
    let read = |path: &PathBuf| -> anyhow::Result<Vec<u8>> {
        let key = std::fs::read(path)
            .with_context(|| format!("reading fingerprint key {}", path.display()))?;
        let key = key.trim_ascii().to_vec();
        if key.is_empty() {
            bail!("fingerprint key {} is empty", path.display());
        }
        Ok(key)
    };
    if path.exists() {
        return Ok(Some((read(&path)?, path, false)));
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("generating a fingerprint key: {e}"))?;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut f) => {
            f.write_all(hex.as_bytes())
                .and_then(|_| f.write_all(b"\n"))
                .with_context(|| format!("writing fingerprint key {}", path.display()))?;
            Ok(Some((hex.into_bytes(), path, true)))
        }
        // Another scan created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(Some((read(&path)?, path, false)))
        }
        Err(e) => Err(e).with_context(|| format!("creating fingerprint key {}", path.display())),
    }
}

/// `--shard K/N`, or `auto`: the index and count from a Kubernetes Indexed
/// Job (`JOB_COMPLETION_INDEX`, with the count in `LEAKSCAN_SHARD_COUNT`)
/// or a Slurm job array (`SLURM_ARRAY_TASK_ID` less `SLURM_ARRAY_TASK_MIN`,
/// `SLURM_ARRAY_TASK_COUNT`).
fn resolve_shard(spec: &str) -> anyhow::Result<Shard> {
    resolve_shard_with(spec, |k| std::env::var(k).ok())
}

fn resolve_shard_with(spec: &str, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Shard> {
    if spec != "auto" {
        return spec
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--shard: {e}"));
    }
    let num = |k: &str| -> anyhow::Result<Option<u64>> {
        env(k)
            .map(|v| {
                v.trim()
                    .parse::<u64>()
                    .with_context(|| format!("--shard auto: ${k} is `{v}`, not a number"))
            })
            .transpose()
    };
    let (index, count) = if let Some(index) = num("JOB_COMPLETION_INDEX")? {
        let count = num(SHARD_COUNT_ENV)?.with_context(|| {
            format!("--shard auto: JOB_COMPLETION_INDEX is set but ${SHARD_COUNT_ENV} is not (set it to the Job's completions)")
        })?;
        (index, count)
    } else if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
        let count = num("SLURM_ARRAY_TASK_COUNT")?.context(
            "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not",
        )?;
        let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        (id.saturating_sub(min), count)
    } else {
        bail!("--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm array) is set; use --shard K/N");
    };
    format!("{index}/{count}")
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--shard auto: {e}"))
}

/// Environment variable with the shard count for `--shard auto` under Kubernetes.
pub const SHARD_COUNT_ENV: &str = "LEAKSCAN_SHARD_COUNT";

/// Environment variable holding the fingerprint key.
pub const HASH_KEY_ENV: &str = "LEAKSCAN_HASH_KEY";

impl ScanArgs {
    /// Build the scan options, loading the fingerprint key.
    pub fn to_options(&self) -> anyhow::Result<ScanOptions> {
        let mut key_note = None;
        let (hash_key, hash_key_source) = if let Some(path) = &self.hash_key_file {
            let key = std::fs::read(path)
                .with_context(|| format!("reading hash key file {}", path.display()))?;
            let key = key.trim_ascii().to_vec();
            if key.is_empty() {
                bail!("hash key file {} is empty", path.display());
            }
            (key, format!("file {}", path.display()))
        } else if let Some(v) = std::env::var_os(HASH_KEY_ENV).filter(|v| !v.is_empty()) {
            (v.as_encoded_bytes().to_vec(), format!("${HASH_KEY_ENV}"))
        } else {
            match config_key()? {
                Some((key, path, created)) => {
                    if created {
                        key_note = Some(format!(
                            "created the fingerprint key {} (owner-only); keep it and scan with the same key every month so reports can be compared",
                            path.display()
                        ));
                    }
                    (key, format!("key file {}", path.display()))
                }
                None => {
                    let mut key = vec![0u8; 32];
                    getrandom::fill(&mut key)
                        .map_err(|e| anyhow::anyhow!("generating a hash key: {e}"))?;
                    key_note = Some(format!(
                        "no --hash-key-file, ${HASH_KEY_ENV} or config directory: fingerprints use a random key and cannot be compared with other runs"
                    ));
                    (key, "random per run".to_string())
                }
            }
        };
        let shard = self.shard.as_deref().map(resolve_shard).transpose()?;
        Ok(ScanOptions {
            shard,
            roots: self.paths.clone(),
            threads: self.threads,
            follow: self.follow,
            exclude: self.exclude.clone(),
            max_file_size: self.max_file_size,
            max_findings_per_file: self.max_findings_per_file,
            min_confidence: self.min_confidence.map(|c| match c {
                MinConfidence::Low => Confidence::Low,
                MinConfidence::Medium => Confidence::Medium,
                MinConfidence::High => Confidence::High,
            }),
            fail_on: self.fail_on.tier(),
            baseline: self.baseline.clone(),
            fail_on_new: self.fail_on_new.and_then(FailOn::tier),
            fail_on_errors: self.fail_on_errors,
            reveal: self.reveal,
            all_files: self.all_files,
            chunk_size: usize::try_from(self.chunk_size).unwrap_or(DEFAULT_CHUNK_SIZE),
            max_depth: self.max_depth,
            max_archive_bytes: self.max_archive_bytes,
            max_ratio: self.max_ratio.max(1),
            max_buffer: self.max_buffer,
            skip_binary: self.skip_binary,
            parser_timeout_secs: self.parser_timeout,
            parser_memory: self.parser_memory,
            parser_helper: None,
            split_size: self.split_size.max(1),
            ignore_files: if self.no_ignore_file {
                Vec::new()
            } else if self.ignore_file.is_empty() {
                crate::suppress::discover(&self.paths)
            } else {
                self.ignore_file.clone()
            },
            show_suppressed: self.show_suppressed,
            findings_kept: match self.format {
                Format::Text => Some(0),
                Format::Html => Some(crate::report::html::SAMPLE),
                _ => None,
            },
            patterns_dir: self.patterns.clone(),
            policy_file: self.policy.clone(),
            bulk_threshold: self.bulk_threshold,
            hash_key_source,
            hash_key,
            key_note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parser_memory_is_none_or_a_real_size() {
        assert_eq!(parse_parser_memory("0"), Ok(0));
        assert_eq!(parse_parser_memory("16M"), Ok(16 << 20));
        assert_eq!(parse_parser_memory("2G"), Ok(2 << 30));
        for small in ["512", "1K", "15M"] {
            let e = parse_parser_memory(small).unwrap_err();
            assert!(e.contains("too small"), "{e}");
        }
    }

    #[test]
    fn shards_from_flags_and_job_runners() {
        let none = |_: &str| None;
        let s = resolve_shard_with("2/5", none).unwrap();
        assert_eq!((s.index, s.count), (2, 5));
        for bad in ["5/5", "1/0", "x/2", "3", "-1/2"] {
            assert!(resolve_shard_with(bad, none).is_err(), "{bad}");
        }
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let k8s = env(&[("JOB_COMPLETION_INDEX", "3"), ("LEAKSCAN_SHARD_COUNT", "4")]);
        assert_eq!(resolve_shard_with("auto", k8s).unwrap().to_string(), "3/4");
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "8"),
            ("SLURM_ARRAY_TASK_MIN", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            resolve_shard_with("auto", slurm).unwrap().to_string(),
            "3/4"
        );
        let no_count = env(&[("JOB_COMPLETION_INDEX", "0")]);
        let err = resolve_shard_with("auto", no_count)
            .unwrap_err()
            .to_string();
        assert!(err.contains("LEAKSCAN_SHARD_COUNT"), "{err}");
        assert!(resolve_shard_with("auto", none).is_err());
        let out_of_range = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert!(resolve_shard_with("auto", out_of_range).is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("10K"), Ok(10 << 10));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("2X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
