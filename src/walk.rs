//! Walk stage: enumerate the files under the scan roots.
//!
//! Hidden files and folders are included (leaks hide in dot-folders).
//! Symbolic links are not followed unless asked, and then loops are detected
//! by `walkdir` and reported. FIFOs, sockets and devices are reported, never
//! opened. Excluded paths (globs, matched against the path relative to its
//! root and against the file name) are not descended into. With a [`Shard`],
//! only the paths of that shard are handed on (every process still walks
//! the whole tree, which costs directory reads, not file reads).

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use thiserror::Error;
use walkdir::WalkDir;

/// Walk settings.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Follow symbolic links (loop-safe).
    pub follow: bool,
    /// Glob patterns of paths to leave out.
    pub exclude: Vec<String>,
    /// Files larger than this are skipped.
    pub max_file_size: Option<u64>,
    /// Hand on only this shard's paths.
    pub shard: Option<Shard>,
}

/// One part of a stable partition of the paths: shard `index` of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 0-based index.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Whether the path shown as `display` (a report path; a container
    /// member goes with its outermost file) belongs to this shard. The
    /// partition depends only on the path, so it is the same on every
    /// machine and in every run.
    pub fn owns(&self, display: &str) -> bool {
        let outer = display.split('!').next().unwrap_or(display);
        let h = blake3::hash(outer.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&h.as_bytes()[..8]);
        u64::from_le_bytes(first) % self.count.max(1) == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `K/N` with `0 <= K < N`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not K/N (e.g. 0/4)"))?;
        let parse = |v: &str| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{s}` is not K/N (e.g. 0/4)"))
        };
        let (index, count) = (parse(k)?, parse(n)?);
        if count == 0 || index >= count {
            return Err(format!(
                "shard `{s}`: K must be at least 0 and below N (shards are numbered 0 to N-1)"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A bad walk setting.
#[derive(Debug, Error)]
pub enum WalkError {
    /// An exclude pattern is not a valid glob.
    #[error("invalid --exclude pattern `{pattern}`: {message}")]
    Glob {
        /// The pattern.
        pattern: String,
        /// The parser's message.
        message: String,
    },
}

/// One thing the walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file to scan.
    File {
        /// Path to open.
        path: PathBuf,
        /// Path as shown in reports (relative to its root).
        display: String,
        /// Size in bytes.
        size: u64,
    },
    /// Not scanned, by design (too large, a link not followed).
    Skipped {
        /// Path as shown in reports.
        display: String,
        /// Why.
        reason: String,
    },
    /// A FIFO, socket or device: never opened.
    Special {
        /// Path as shown in reports.
        display: String,
        /// What kind of file it is.
        kind: &'static str,
    },
    /// The walk could not look at this path.
    Failed {
        /// Path as shown in reports.
        display: String,
        /// Why.
        reason: String,
    },
}

/// The kind of a special file, or `None` for regular files, folders and links.
pub fn special_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    if ft.is_fifo() {
        Some("FIFO")
    } else if ft.is_socket() {
        Some("socket")
    } else if ft.is_block_device() {
        Some("block device")
    } else if ft.is_char_device() {
        Some("character device")
    } else {
        None
    }
}

fn build_excludes(patterns: &[String]) -> Result<GlobSet, WalkError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| WalkError::Glob {
            pattern: p.clone(),
            message: e.kind().to_string(),
        })?;
        b.add(glob);
    }
    b.build().map_err(|e| WalkError::Glob {
        pattern: patterns.join(" "),
        message: e.to_string(),
    })
}

impl Entry {
    /// The path as shown in reports.
    pub fn display(&self) -> &str {
        match self {
            Entry::File { display, .. }
            | Entry::Skipped { display, .. }
            | Entry::Special { display, .. }
            | Entry::Failed { display, .. } => display,
        }
    }
}

/// How a path is shown: relative to its root when there is one root folder,
/// otherwise as walked (root joined with the relative path).
fn display_path(root: &Path, path: &Path, single_root: bool) -> String {
    let shown = if single_root {
        match path.strip_prefix(root) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel,
            _ => Path::new(path.file_name().unwrap_or(path.as_os_str())),
        }
    } else {
        path
    };
    shown.to_string_lossy().into_owned()
}

/// Every entry under `roots`, lazily, in walk order.
pub fn entries(
    roots: &[PathBuf],
    opts: &WalkOptions,
) -> Result<impl Iterator<Item = Entry> + Send + use<>, WalkError> {
    let excludes = build_excludes(&opts.exclude)?;
    let single_root = roots.len() == 1;
    let opts = opts.clone();
    let shard = opts.shard;
    let roots = roots.to_vec();
    Ok(roots.into_iter().flat_map(move |root| {
        let excludes = excludes.clone();
        let opts = opts.clone();
        let root_for_filter = root.clone();
        // In name order: files then reach the collector nearly in report
        // order, so putting the findings in order moves them only locally.
        WalkDir::new(&root)
            .follow_links(opts.follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(move |e| {
                if e.depth() == 0 {
                    return true;
                }
                let rel = e.path().strip_prefix(&root_for_filter).unwrap_or(e.path());
                !(excludes.is_match(rel) || excludes.is_match(e.file_name()))
            })
            .filter_map(move |item| classify_entry(item, &root, single_root, &opts))
            .filter(move |e| shard.is_none_or(|s| s.owns(e.display())))
    }))
}

fn classify_entry(
    item: walkdir::Result<walkdir::DirEntry>,
    root: &Path,
    single_root: bool,
    opts: &WalkOptions,
) -> Option<Entry> {
    let e = match item {
        Ok(e) => e,
        Err(err) => {
            let display = err.path().map_or_else(
                || root.display().to_string(),
                |p| display_path(root, p, single_root),
            );
            let reason = match (err.loop_ancestor(), err.io_error()) {
                (Some(anc), _) => format!(
                    "symbolic link loop (points back to {})",
                    display_path(root, anc, single_root)
                ),
                (None, Some(io)) => io.to_string(),
                (None, None) => err.to_string(),
            };
            return Some(Entry::Failed { display, reason });
        }
    };
    let display = display_path(root, e.path(), single_root);
    let ft = e.file_type();
    if ft.is_dir() {
        return None;
    }
    if ft.is_symlink() {
        // Only reached when links are not followed (or a dangling link).
        let reason = if opts.follow {
            "dangling symbolic link".to_string()
        } else {
            "symbolic link not followed (use --follow)".to_string()
        };
        return Some(Entry::Skipped { display, reason });
    }
    if let Some(kind) = special_kind(&ft) {
        return Some(Entry::Special { display, kind });
    }
    let size = match e.metadata() {
        Ok(m) => m.len(),
        Err(err) => {
            let reason = err
                .io_error()
                .map_or_else(|| err.to_string(), ToString::to_string);
            return Some(Entry::Failed { display, reason });
        }
    };
    if let Some(max) = opts.max_file_size.filter(|&max| size > max) {
        return Some(Entry::Skipped {
            display,
            reason: format!("larger than --max-file-size ({size} > {max} bytes)"),
        });
    }
    Some(Entry::File {
        path: e.into_path(),
        display,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn walk(root: &Path, opts: &WalkOptions) -> Vec<Entry> {
        let mut v: Vec<Entry> = entries(&[root.to_path_buf()], opts).unwrap().collect();
        v.sort_by_key(|e| format!("{e:?}"));
        v
    }

    fn names(v: &[Entry]) -> Vec<String> {
        let mut n: Vec<String> = v
            .iter()
            .map(|e| match e {
                Entry::File { display, .. } => format!("file {display}"),
                Entry::Skipped { display, .. } => format!("skipped {display}"),
                Entry::Special { display, kind } => format!("{kind} {display}"),
                Entry::Failed { display, .. } => format!("failed {display}"),
            })
            .collect();
        n.sort();
        n
    }

    #[test]
    fn hidden_included_excludes_and_size_limit_applied() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join(".hidden/sub")).unwrap();
        fs::create_dir_all(d.path().join("node_modules")).unwrap();
        fs::write(d.path().join(".hidden/sub/a.csv"), "x").unwrap();
        fs::write(d.path().join("node_modules/b.txt"), "x").unwrap();
        fs::write(d.path().join("big.log"), "0123456789").unwrap();
        fs::write(d.path().join("c.txt"), "x").unwrap();
        let opts = WalkOptions {
            exclude: vec!["node_modules".into(), "*.tmp".into()],
            max_file_size: Some(5),
            ..Default::default()
        };
        assert_eq!(
            names(&walk(d.path(), &opts)),
            ["file .hidden/sub/a.csv", "file c.txt", "skipped big.log"]
        );
    }

    #[test]
    fn links_are_skipped_unless_followed_and_loops_are_failures() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("dir")).unwrap();
        fs::write(d.path().join("dir/a.txt"), "x").unwrap();
        std::os::unix::fs::symlink(d.path().join("dir"), d.path().join("dir/loop")).unwrap();
        std::os::unix::fs::symlink(d.path().join("missing"), d.path().join("dangling")).unwrap();
        let plain = names(&walk(d.path(), &WalkOptions::default()));
        assert_eq!(
            plain,
            ["file dir/a.txt", "skipped dangling", "skipped dir/loop"]
        );
        let follow = WalkOptions {
            follow: true,
            ..Default::default()
        };
        let followed = names(&walk(d.path(), &follow));
        assert!(
            followed.contains(&"failed dir/loop".to_string()),
            "{followed:?}"
        );
        assert!(
            followed.contains(&"file dir/a.txt".to_string()),
            "{followed:?}"
        );
    }

    #[test]
    fn bad_glob_is_an_error() {
        let opts = WalkOptions {
            exclude: vec!["a[".into()],
            ..Default::default()
        };
        assert!(entries(&[PathBuf::from(".")], &opts).is_err());
    }

    #[test]
    fn single_file_root_shows_its_name() {
        assert_eq!(
            display_path(Path::new("x/y.csv"), Path::new("x/y.csv"), true),
            "y.csv"
        );
        assert_eq!(
            display_path(Path::new("x/"), Path::new("x/y.csv"), true),
            "y.csv"
        );
        assert_eq!(
            display_path(Path::new("x"), Path::new("x/y.csv"), false),
            "x/y.csv"
        );
    }
}
