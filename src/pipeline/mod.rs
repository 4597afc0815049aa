//! The pipeline for one walked file: open it, tell its format, open
//! containers and documents (recursively, within the limits of
//! `read::container`), extract text units, detect, classify, and emit one
//! [`FileOutcome`] per scanned blob: the file itself, or each archive member
//! (`outer.zip!inner/name.csv`), spreadsheet sheet (`book.xlsx!Sheet1`) or
//! slide (`deck.pptx!slide2`). Every problem becomes a `Failed` outcome with
//! a reason; the rest of the file is still scanned.

use crate::classify::{FileTally, Policy};
use crate::detect::{HeaderProfile, Match, Registry};
use crate::extract::{self, office::Block, Fields, TextUnit};
use crate::options::ScanOptions;
use crate::read::container::{read_bounded, Budget, Compressed, Counting, Limited};
use crate::read::{self, Kind, ReadError, Source};
use crate::report::fingerprint::Fingerprinter;
use crate::report::{self, FileOutcome};
use crate::suppress::{PathRules, Rules};
use rayon::prelude::*;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

mod containers;
mod documents;
mod text;

use documents::decode_whole;

/// A header cell or key name, if safe to put in a report: a name holding a
/// long digit run is data (a file without a header row), never echoed.
fn safe_field_name(name: &str) -> Option<String> {
    let mut run = 0;
    for b in name.bytes() {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 5 {
            return None;
        }
    }
    Some(name.to_string())
}

/// Header names as shown in findings (`#N` for a cell that holds data).
fn field_names(cells: &[String]) -> Vec<Arc<str>> {
    cells
        .iter()
        .enumerate()
        .map(|(i, c)| Arc::from(safe_field_name(c).unwrap_or_else(|| format!("#{}", i + 1))))
        .collect()
}

/// Where a blob came from and how deep it sits in containers.
struct Blob<'n> {
    display: String,
    name: &'n str,
    depth: u32,
    /// Whether the head handed over with the blob is all of it. A head cut
    /// short by a read error is not: the error comes with the next read.
    complete_head: bool,
}

/// Per-file scanning with shared, read-only detectors and policy.
pub struct Pipeline<'a> {
    /// Compiled detectors.
    pub registry: &'a Registry,
    /// Tier policy.
    pub policy: &'a Policy,
    /// Scan options.
    pub opts: &'a ScanOptions,
    /// Keyed fingerprints for the listed findings.
    pub fingerprinter: &'a Fingerprinter,
    /// Set when the scan is cancelled: reads fail with "scan interrupted".
    pub cancel: &'a AtomicBool,
    /// Suppression rules.
    pub rules: &'a Rules,
}

/// State of one text-like blob being scanned.
struct Scan<'r> {
    tally: FileTally,
    matches: Vec<Match>,
    rules: PathRules<'r>,
}

impl<'a> Pipeline<'a> {
    /// Scan the walked file at `path`, emitting an outcome per blob.
    pub fn scan_path(&self, path: &Path, display: String, emit: &mut dyn FnMut(FileOutcome)) {
        let (file, meta) = match read::open_regular(path) {
            Ok(opened) => opened,
            Err(ReadError::Special(kind)) => return emit(FileOutcome::Special { display, kind }),
            Err(e) => return emit(failed(display, "io", e.to_string())),
        };
        // A file that changes while it is read (truncated, rewritten,
        // appended to) gets an error on its outcome: findings may be incomplete.
        let stamp = |m: &std::fs::Metadata| (m.len(), m.modified().ok());
        let before = stamp(&meta);
        let top = display.clone();
        let probe = &file;
        let mut checked = |mut outcome: FileOutcome| {
            if let FileOutcome::Scanned { display, error, .. } = &mut outcome {
                let after = probe.metadata().ok().as_ref().map(stamp);
                if *display == top && error.is_none() && after != Some(before) {
                    *error = Some((
                        "io",
                        format!(
                            "the file changed while it was read ({} bytes at open, {} after): findings may be incomplete",
                            before.0,
                            after.map_or(0, |(n, _)| n)
                        ),
                    ));
                }
            }
            emit(outcome)
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.scan_file(&file, meta.len(), &name, display, &mut checked);
    }

    /// Scan an opened regular file called `name`, `size` bytes at open.
    fn scan_file(
        &self,
        file: &File,
        size: u64,
        name: &str,
        display: String,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let head = match read::read_head(&mut &*file, size) {
            Ok(h) => h,
            Err(e) => return emit(failed(display, "io", e.to_string())),
        };
        let kind = read::sniff_kind(&head, name);
        let empty = || self.empty(display.clone(), kind, name, size);
        at_least_one(emit, empty, |emit| {
            self.scan_head(file, head, (kind, size, name), display.clone(), emit);
        });
    }

    /// A blob that was opened and gave no outcome of its own: scanned, with
    /// nothing in it. An empty archive, an archive of folders only or a
    /// presentation without slides gave no outcome at all, and the file was
    /// missing from the report, even with `--all-files`.
    fn empty(&self, display: String, kind: Kind, name: &str, bytes: u64) -> FileOutcome {
        let format = match kind {
            Kind::Zip => match read::extension(name).as_str() {
                "xlsx" => "xlsx",
                "docx" => "docx",
                "pptx" => "pptx",
                "ods" => "ods",
                _ => "zip",
            },
            Kind::Gzip => "gzip",
            Kind::Tar => "tar",
            Kind::Pdf => "pdf",
            Kind::Ole => "ole",
            Kind::Rtf => "rtf",
            Kind::Html => "html",
            Kind::Eml => "eml",
            Kind::Text => "text",
        };
        let scan = self.new_scan(&display);
        self.finish(scan, display, (format, ""), (bytes, false, None))
    }

    /// [`Pipeline::scan_file`] once the head is read and its kind sniffed.
    fn scan_head(
        &self,
        file: &File,
        head: Vec<u8>,
        (kind, size, name): (Kind, u64, &str),
        display: String,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let mut file = Cancellable {
            inner: file,
            cancel: self.cancel,
        };
        let budget = Budget::new(self.opts.max_archive_bytes);
        let blob = Blob {
            display,
            name,
            depth: 0,
            complete_head: head.len() < read::HEAD_SIZE,
        };
        if kind == Kind::Text && rayon::current_num_threads() > 1 && size > self.opts.split_size {
            let sniffed = read::decode::sniff(&head, blob.complete_head);
            if sniffed.encoding.is_none_or(|e| e == encoding_rs::UTF_8) {
                return self.text_split(file.inner, &head, sniffed, size, &blob, emit);
            }
        }
        if kind == Kind::Zip {
            // Zip needs random access: reopen the file from its start.
            if let Err(e) = file.seek(SeekFrom::Start(0)) {
                return emit(failed(blob.display, "io", e.to_string()));
            }
            return self.zip(file, &blob, &budget, emit);
        }
        self.blob(head, &mut file, &blob, &budget, emit);
    }

    /// Scan any blob whose first bytes `head` were read from `rest`.
    fn blob(
        &self,
        head: Vec<u8>,
        rest: &mut dyn Read,
        blob: &Blob<'_>,
        budget: &Budget,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        if blob.depth > self.opts.max_depth {
            return emit(failed(
                blob.display.clone(),
                "archive",
                format!(
                    "nested deeper than --max-depth {}; not opened",
                    self.opts.max_depth
                ),
            ));
        }
        let kind = read::sniff_kind(&head, blob.name);
        let whole = |rest: &mut dyn Read, what: &str| -> io::Result<Vec<u8>> {
            let mut all = Cursor::new(head.clone()).chain(rest);
            read_bounded(&mut all, self.opts.max_buffer, what)
        };
        match kind {
            Kind::Text => self.text(head, rest, blob, "text", emit),
            Kind::Zip => match whole(rest, "nested zip") {
                Ok(bytes) => self.zip(Cursor::new(bytes), blob, budget, emit),
                Err(e) => emit(failed(blob.display.clone(), "archive", e.to_string())),
            },
            Kind::Gzip => self.gzip(head, rest, blob, budget, emit),
            Kind::Tar => self.tar(head, rest, blob, budget, emit),
            Kind::Pdf => match whole(rest, "PDF") {
                Ok(bytes) => self.pdf(bytes, blob, emit),
                Err(e) => emit(failed(blob.display.clone(), "pdf", e.to_string())),
            },
            Kind::Ole => match whole(rest, "OLE2 document") {
                Ok(bytes) => match self.sheets(&bytes, blob, "xls", emit) {
                    Ok(()) => {}
                    // Old Word and other OLE files: their strings are ASCII or UTF-16.
                    Err((0, extract::sheet::SheetError::Unreadable(_))) => {
                        self.text(bytes, &mut io::empty(), blob, "ole", emit);
                    }
                    // The parser crashed or hung before a sheet: the strings
                    // are scanned raw, and the file says why.
                    Err((0, e)) => {
                        let why = format!("{e}; its strings were scanned raw instead");
                        let mut noted = |o: FileOutcome| emit(o.with_error("xls", why.clone()));
                        self.text(bytes, &mut io::empty(), blob, "ole", &mut noted);
                    }
                    Err((_, e)) => emit(failed(blob.display.clone(), "xls", e.to_string())),
                },
                Err(e) => emit(failed(blob.display.clone(), "io", e.to_string())),
            },
            Kind::Rtf => match whole(rest, "RTF document") {
                Ok(bytes) => {
                    let text = extract::markup::rtf_text(&bytes);
                    self.text(text.into_bytes(), &mut io::empty(), blob, "rtf", emit);
                }
                Err(e) => emit(failed(blob.display.clone(), "io", e.to_string())),
            },
            Kind::Html => match whole(rest, "HTML document") {
                Ok(bytes) => {
                    let text = extract::markup::html_text(&decode_whole(&bytes));
                    self.text(text.into_bytes(), &mut io::empty(), blob, "html", emit);
                }
                Err(e) => emit(failed(blob.display.clone(), "io", e.to_string())),
            },
            Kind::Eml => match whole(rest, "e-mail message") {
                Ok(bytes) => self.mail(&bytes, blob, budget, emit),
                Err(e) => emit(failed(blob.display.clone(), "io", e.to_string())),
            },
        }
    }

    fn child<'n>(&self, blob: &Blob<'_>, member: &'n str) -> Blob<'n> {
        Blob {
            display: format!("{}!{member}", blob.display),
            name: member,
            depth: blob.depth + 1,
            complete_head: false,
        }
    }

    /// Whether the report needs the listed findings as entries: all but
    /// one that keeps none and marks none against a baseline.
    fn keeps_entries(&self) -> bool {
        self.opts.findings_kept != Some(0) || self.opts.baseline.is_some()
    }

    fn new_scan(&self, display: &str) -> Scan<'a> {
        Scan {
            tally: FileTally::new(self.opts.max_findings_per_file)
                .listing_suppressed(self.opts.show_suppressed)
                .counting_only(!self.keeps_entries()),
            matches: Vec::new(),
            rules: self.rules.for_path(display),
        }
    }

    /// Detect in one unit and add what is kept to the tally.
    #[allow(clippy::too_many_arguments)]
    fn unit(
        &self,
        scan: &mut Scan<'_>,
        unit: &TextUnit<'_>,
        header: Option<&HeaderProfile>,
        names: &[Arc<str>],
        own: Option<&Range<usize>>,
        line: u64,
        column: &dyn Fn(&Match) -> u64,
    ) {
        // Values are built while the file's listing has room (and for the
        // suppression rules' fingerprints); past it, records are only hashed.
        let values = !scan.rules.is_empty() || scan.tally.lists_more();
        self.registry
            .scan_counting(unit, header, &mut scan.matches, values);
        if scan.matches.is_empty() {
            return;
        }
        let opts = self.opts;
        scan.matches.retain(|m| {
            own.is_none_or(|o| o.contains(&m.span.start)) && opts.keeps(m.confidence, m.weak)
        });
        if scan.matches.is_empty() {
            return;
        }
        let text = unit.text;
        let locate = |m: &Match| {
            let field = m.field.and_then(|i| names.get(i).cloned()).or_else(|| {
                m.key
                    .clone()
                    .and_then(|k| safe_field_name(&String::from_utf8_lossy(&text[k])))
                    .map(Arc::from)
            });
            (line, column(m), field)
        };
        if !scan.rules.is_empty() {
            let mut i = 0;
            while i < scan.matches.len() {
                let m = &scan.matches[i];
                let fp = || self.fingerprinter.fingerprint(m.detector, &m.value);
                match scan.rules.check(m.detector, fp) {
                    Some(rule) => {
                        let m = scan.matches.remove(i);
                        let at = locate(&m);
                        scan.tally.add_suppressed(self.policy, rule, m, at);
                    }
                    None => i += 1,
                }
            }
        }
        scan.tally.add_record(self.policy, &scan.matches, locate);
    }

    /// The outcome of a scanned blob: `kind` is (format, encoding), `read`
    /// is (bytes, whether bytes were replaced, the error that cut it short).
    fn finish(
        &self,
        scan: Scan<'_>,
        display: String,
        (format, encoding): (&'static str, &'static str),
        (bytes, replaced, error): (u64, bool, Option<String>),
    ) -> FileOutcome {
        let mut tally = scan.tally;
        tally.settle();
        let verdict = tally.verdict(self.policy);
        let lost = tally.counts.iter().find_map(|(&d, c)| c.shortfall(d));
        let error = error.or(lost);
        let listed = std::mem::take(&mut tally.listed);
        let (by, mut hidden): (Vec<usize>, Vec<_>) = std::mem::take(&mut tally.suppressed_listed)
            .into_iter()
            .unzip();
        // A report that keeps no findings (and marks none against a
        // baseline) needs only their number, which the tally counted
        // (`FileTally::counting_only`): no masks, no fingerprints.
        let entries = if self.keeps_entries() {
            report::finding_entries(&display, listed, self.fingerprinter, self.opts.reveal)
        } else {
            hidden.clear();
            Vec::new()
        };
        let suppressed =
            report::finding_entries(&display, hidden, self.fingerprinter, self.opts.reveal)
                .into_iter()
                .zip(by)
                .map(|(finding, i)| {
                    let rule = &self.rules.rules()[i];
                    report::SuppressedEntry {
                        finding,
                        suppressed_by: rule.source.clone(),
                        reason: rule.reason.clone(),
                    }
                })
                .collect();
        FileOutcome::Scanned {
            display,
            format,
            encoding,
            bytes,
            replaced,
            tally,
            entries,
            suppressed,
            verdict,
            error: error.map(|e| ("io", e)),
        }
    }

    /// Decide from line 1 whether the file is a table with a header row:
    /// the header's profile and field names, or `None` (not a table, or a
    /// first row that already holds values).
    fn table_header(
        &self,
        extractor: &mut extract::Extractor,
        first: &[u8],
    ) -> Option<(HeaderProfile, Vec<Arc<str>>)> {
        let cells = extractor.header_names(first)?;
        let profile = self.registry.header_profile(&cells);
        let is_table = extractor.is_declared_table() || profile.is_informative();
        extractor.confirm_table(is_table);
        if !is_table {
            return None;
        }
        let mut probe = Vec::new();
        self.registry.scan(
            &extractor.clone().unit(first, true, true),
            Some(&profile),
            &mut probe,
        );
        probe.is_empty().then(|| (profile, field_names(&cells)))
    }

    /// The outcome for binary data when `--skip-binary` is given.
    fn skip_binary(&self, binary: bool, blob: &Blob<'_>) -> Option<FileOutcome> {
        (binary && self.opts.skip_binary).then(|| FileOutcome::Skipped {
            display: blob.display.clone(),
            reason: "binary data (--skip-binary)".to_string(),
        })
    }
}

fn interrupted() -> io::Error {
    io::Error::other("scan interrupted")
}

/// A reader that fails once the scan is cancelled.
struct Cancellable<'c, R> {
    inner: R,
    cancel: &'c AtomicBool,
}

impl<R: Read> Read for Cancellable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for Cancellable<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Run `scan` with `emit`; if it passed on no outcome, pass on `empty()`
/// (see [`Pipeline::empty`]).
fn at_least_one(
    emit: &mut dyn FnMut(FileOutcome),
    empty: impl FnOnce() -> FileOutcome,
    scan: impl FnOnce(&mut dyn FnMut(FileOutcome)),
) {
    let mut emitted = false;
    scan(&mut |o| {
        emitted = true;
        emit(o);
    });
    if !emitted {
        emit(empty());
    }
}

fn failed(display: String, kind: &'static str, reason: String) -> FileOutcome {
    FileOutcome::Failed {
        display,
        kind,
        reason,
    }
}
