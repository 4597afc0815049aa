//! The pipeline for one walked file: open it, tell its format, open
//! containers and documents (recursively, within the limits of
//! `read::container`), extract text units, detect, classify, and emit one
//! [`FileOutcome`] per scanned blob: the file itself, or each archive member
//! (`outer.zip!inner/name.csv`), spreadsheet sheet (`book.xlsx!Sheet1`) or
//! slide (`deck.pptx!slide2`). Every problem becomes a `Failed` outcome with
//! a reason; the rest of the file is still scanned.

use crate::classify::{FileTally, Policy};
use crate::detect::{HeaderProfile, Match, Registry};
use crate::extract::{self, office::Block, TextUnit};
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
        let file = match read::open_regular(path) {
            Ok(f) => f,
            Err(ReadError::Special(kind)) => return emit(FileOutcome::Special { display, kind }),
            Err(e) => return emit(failed(display, "io", e.to_string())),
        };
        // A file that changes while it is read (truncated, rewritten,
        // appended to) gets an error on its outcome: findings may be incomplete.
        let stamp = |f: &File| f.metadata().ok().map(|m| (m.len(), m.modified().ok()));
        let before = stamp(&file);
        let top = display.clone();
        let probe = &file;
        let mut checked = |mut outcome: FileOutcome| {
            if let FileOutcome::Scanned { display, error, .. } = &mut outcome {
                let after = stamp(probe);
                if *display == top && error.is_none() && after != before {
                    let size = |s: Option<(u64, _)>| s.map_or(0, |(n, _)| n);
                    *error = Some(format!(
                        "the file changed while it was read ({} bytes at open, {} after): findings may be incomplete",
                        size(before),
                        size(after)
                    ));
                }
            }
            emit(outcome)
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.scan_file(&file, &name, display, &mut checked);
    }

    /// Scan an opened regular file called `name`.
    fn scan_file(
        &self,
        file: &File,
        name: &str,
        display: String,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        // The head is read from the file itself: `File` reads into spare
        // capacity, a wrapper's reads would zero 64 KiB a file first.
        let head = match read::read_head(&mut &*file) {
            Ok(h) => h,
            Err(e) => return emit(failed(display, "io", e.to_string())),
        };
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
        let kind = read::sniff_kind(&head, name);
        if kind == Kind::Text {
            let sniffed = read::decode::sniff(&head, blob.complete_head);
            let splittable = sniffed.encoding.is_none_or(|e| e == encoding_rs::UTF_8);
            let size = file.inner.metadata().map(|m| m.len()).unwrap_or(0);
            if splittable && size > self.opts.split_size && rayon::current_num_threads() > 1 {
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
                Ok(bytes) => {
                    if !self.sheets(bytes.clone(), blob, "xls", emit) {
                        // Old Word and other OLE files: their strings are ASCII or UTF-16.
                        self.text(bytes, &mut io::empty(), blob, "ole", emit);
                    }
                }
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

    /// Scan a member read from `reader`; a member cut short by an error is
    /// scanned up to the damage and reported with the error.
    fn member(
        &self,
        reader: &mut dyn Read,
        child: &Blob<'_>,
        budget: &Budget,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let (head, error) = read::read_head_partial(reader);
        let child = Blob {
            display: child.display.clone(),
            name: child.name,
            depth: child.depth,
            complete_head: error.is_none() && head.len() < read::HEAD_SIZE,
        };
        match error {
            None => self.blob(head, reader, &child, budget, emit),
            Some(e) if head.is_empty() => emit(failed(child.display, "archive", e.to_string())),
            Some(e) => self.blob(head, &mut read::Failing(Some(e)), &child, budget, emit),
        }
    }

    fn zip<R: Read + Seek>(
        &self,
        reader: R,
        blob: &Blob<'_>,
        budget: &Budget,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let mut archive = match zip::ZipArchive::new(reader) {
            Ok(a) => a,
            Err(e) => {
                return emit(failed(
                    blob.display.clone(),
                    "archive",
                    format!("broken zip: {e}"),
                ))
            }
        };
        let names: Vec<String> = archive.file_names().map(str::to_string).collect();
        let has = |n: &str| names.iter().any(|x| x == n);
        let ods = has("mimetype") && has("content.xml") && {
            let mut mime = Vec::new();
            archive
                .by_name("mimetype")
                .ok()
                .and_then(|mut f| f.by_ref().take(100).read_to_end(&mut mime).ok());
            mime.starts_with(b"application/vnd.oasis.opendocument.spreadsheet")
        };
        if has("xl/workbook.xml") || ods {
            let format = if ods { "ods" } else { "xlsx" };
            let mut inner = archive.into_inner();
            let bytes = inner
                .seek(SeekFrom::Start(0))
                .and_then(|_| read_bounded(&mut inner, self.opts.max_buffer, "spreadsheet"));
            match bytes {
                Ok(b) => {
                    self.sheets(b, blob, format, emit);
                }
                Err(e) => emit(failed(blob.display.clone(), format, e.to_string())),
            }
            return;
        }
        if has("word/document.xml") {
            return self.office_part(
                &mut archive,
                "word/document.xml",
                blob.display.clone(),
                "docx",
                budget,
                emit,
            );
        }
        if has("ppt/presentation.xml") {
            let mut slides: Vec<(u32, String)> = names
                .iter()
                .filter_map(|n| {
                    let num = n.strip_prefix("ppt/slides/slide")?.strip_suffix(".xml")?;
                    Some((num.parse().ok()?, n.clone()))
                })
                .collect();
            slides.sort();
            for (num, part) in slides {
                let display = format!("{}!slide{num}", blob.display);
                self.office_part(&mut archive, &part, display, "pptx", budget, emit);
            }
            return;
        }
        for i in 0..archive.len() {
            let member_name = archive.name_for_index(i).unwrap_or_default().to_string();
            if member_name.ends_with('/') {
                continue;
            }
            let child = self.child(blob, &member_name);
            let mut file = match archive.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    let reason = match e {
                        zip::result::ZipError::UnsupportedArchive(m) if m.contains("assword") => {
                            "encrypted member: cannot be read without the password".to_string()
                        }
                        other => format!("unreadable member: {other}"),
                    };
                    emit(failed(child.display, "archive", reason));
                    continue;
                }
            };
            let compressed = Compressed::Known(file.compressed_size());
            let mut limited = Limited::new(&mut file, budget, compressed, self.opts.max_ratio);
            self.member(&mut limited, &child, budget, emit);
        }
    }

    fn office_part<R: Read + Seek>(
        &self,
        archive: &mut zip::ZipArchive<R>,
        part: &str,
        display: String,
        format: &'static str,
        budget: &Budget,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let xml = archive
            .by_name(part)
            .map_err(|e| e.to_string())
            .and_then(|mut f| {
                let compressed = Compressed::Known(f.compressed_size());
                let mut limited = Limited::new(&mut f, budget, compressed, self.opts.max_ratio);
                read_bounded(&mut limited, self.opts.max_buffer, part).map_err(|e| e.to_string())
            });
        let blocks = xml.and_then(|x| extract::office::blocks(&x));
        match blocks {
            Ok(blocks) => self.blocks(&blocks, display, format, emit),
            Err(e) => emit(failed(display, format, e)),
        }
    }

    fn gzip(
        &self,
        head: Vec<u8>,
        rest: &mut dyn Read,
        blob: &Blob<'_>,
        budget: &Budget,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let count = Rc::new(Cell::new(0));
        let compressed = Counting::new(Cursor::new(head).chain(rest), count.clone());
        let decoder = flate2::read::MultiGzDecoder::new(compressed);
        let mut limited = Limited::new(
            decoder,
            budget,
            Compressed::Counted(count),
            self.opts.max_ratio,
        );
        let inner = Path::new(blob.name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "data".to_string());
        let inner = match Path::new(blob.name).extension().and_then(|e| e.to_str()) {
            Some("tgz") => format!("{inner}.tar"),
            _ => inner,
        };
        let child = self.child(blob, &inner);
        self.member(&mut limited, &child, budget, emit);
    }

    fn tar(
        &self,
        head: Vec<u8>,
        rest: &mut dyn Read,
        blob: &Blob<'_>,
        budget: &Budget,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let mut archive = tar::Archive::new(Cursor::new(head).chain(rest));
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => {
                return emit(failed(
                    blob.display.clone(),
                    "archive",
                    format!("broken tar: {e}"),
                ))
            }
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    emit(failed(
                        blob.display.clone(),
                        "archive",
                        format!("broken tar: {e}"),
                    ));
                    return;
                }
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let member = entry
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let child = self.child(blob, &member);
            let mut limited =
                Limited::new(&mut entry, budget, Compressed::Stored, self.opts.max_ratio);
            self.member(&mut limited, &child, budget, emit);
        }
    }

    fn pdf(&self, bytes: Vec<u8>, blob: &Blob<'_>, emit: &mut dyn FnMut(FileOutcome)) {
        // pdf-extract can panic on malformed input: a bad file must not stop the scan.
        let text = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(&bytes));
        match text {
            Ok(Ok(text)) if text.chars().any(|c| !c.is_whitespace()) => {
                self.text(text.into_bytes(), &mut io::empty(), blob, "pdf", emit);
            }
            Ok(Ok(_)) => emit(failed(
                blob.display.clone(),
                "pdf",
                "no text layer (scanned images?): not scanned; needs OCR".to_string(),
            )),
            Ok(Err(e)) => emit(failed(
                blob.display.clone(),
                "pdf",
                format!("unreadable PDF: {e}"),
            )),
            Err(_) => emit(failed(
                blob.display.clone(),
                "pdf",
                "unreadable PDF: the parser failed".to_string(),
            )),
        }
    }

    fn mail(
        &self,
        bytes: &[u8],
        blob: &Blob<'_>,
        budget: &Budget,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let Some(parts) = extract::mail::parts(bytes) else {
            return self.text(bytes.to_vec(), &mut io::empty(), blob, "eml", emit);
        };
        let mut text = parts.headers;
        for body in parts.bodies {
            text.push('\n');
            text.push_str(&body);
        }
        self.text(text.into_bytes(), &mut io::empty(), blob, "eml", emit);
        for (name, data) in parts.attachments {
            let child = self.child(blob, &name);
            self.member(&mut &data[..], &child, budget, emit);
        }
    }

    fn new_scan(&self, display: &str) -> Scan<'a> {
        Scan {
            tally: FileTally::new(self.opts.max_findings_per_file)
                .listing_suppressed(self.opts.show_suppressed),
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
        self.registry.scan(unit, header, &mut scan.matches);
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
        let verdict = tally.verdict(self.policy);
        let listed = std::mem::take(&mut tally.listed);
        let entries =
            report::finding_entries(&display, listed, self.fingerprinter, self.opts.reveal);
        let (by, hidden): (Vec<usize>, Vec<_>) = std::mem::take(&mut tally.suppressed_listed)
            .into_iter()
            .unzip();
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
            error,
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

    /// Text, logs and delimited tables, streamed line by line.
    fn text(
        &self,
        head: Vec<u8>,
        rest: &mut dyn Read,
        blob: &Blob<'_>,
        format: &'static str,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let source = Source::new(rest, head, blob.complete_head);
        let binary = source.is_binary();
        if let Some(skipped) = self.skip_binary(binary, blob) {
            return emit(skipped);
        }
        let encoding = source.encoding_label();
        let format = if binary && format == "text" {
            "binary"
        } else {
            format
        };
        let mut extractor = extract::Extractor::for_path(Path::new(blob.name), binary);
        let mut header: Option<HeaderProfile> = None;
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut scan = self.new_scan(&blob.display);
        let result = source
            .into_lines(self.opts.chunk_size)
            .for_each_segment(|seg| {
                let mut is_header = false;
                if seg.line == 1 && seg.whole {
                    if let Some((profile, n)) = self.table_header(&mut extractor, seg.text) {
                        is_header = true;
                        header = Some(profile);
                        names = n;
                    }
                }
                let unit = extractor.unit(seg.text, seg.whole, is_header);
                let column = |m: &Match| seg.column(m.span.start, binary);
                self.unit(
                    &mut scan,
                    &unit,
                    header.as_ref(),
                    &names,
                    Some(&seg.own),
                    seg.line,
                    &column,
                );
            });
        let (bytes, replaced, error) = match result {
            Ok(stats) => (stats.bytes, stats.replaced, None),
            Err(e) => (0, false, Some(format!("read stopped part-way: {e}"))),
        };
        emit(self.finish(
            scan,
            blob.display.clone(),
            (format, encoding),
            (bytes, replaced, error),
        ));
    }

    /// A large UTF-8 (or binary) file, split at line starts into parts of
    /// about `--split-size` scanned in parallel. Every line belongs to exactly
    /// one part; line numbers are fixed up from the parts' line counts.
    fn text_split(
        &self,
        file: &File,
        head: &[u8],
        sniffed: read::decode::Sniffed,
        size: u64,
        blob: &Blob<'_>,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let binary = sniffed.encoding.is_none();
        if let Some(skipped) = self.skip_binary(binary, blob) {
            return emit(skipped);
        }
        // Line 1 decides the table layout, as in the sequential path.
        let body = &head[sniffed.bom_len..];
        let first = body
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body, |nl| &body[..nl]);
        let first = first.strip_suffix(b"\r").unwrap_or(first);
        let mut extractor = extract::Extractor::for_path(Path::new(blob.name), binary);
        let (header, names) = match self.table_header(&mut extractor, first) {
            Some((profile, names)) => (Some(profile), names),
            None => (None, Vec::new()),
        };
        let mut starts = vec![sniffed.bom_len as u64];
        let mut at = self.opts.split_size;
        while at < size && !self.cancel.load(Ordering::Relaxed) {
            // No line break near a cut: data without lines (a dump) is not
            // split further.
            let Some(b) = next_line_start(file, at, size) else {
                break;
            };
            if b > *starts.last().unwrap_or(&0) && b < size {
                starts.push(b);
            }
            at += self.opts.split_size;
        }
        let parts: Vec<(u64, u64)> = starts
            .iter()
            .zip(starts.iter().skip(1).chain([&size]))
            .map(|(&s, &e)| (s, e))
            .collect();
        let results: Vec<(Scan, io::Result<read::chunk::ReadStats>)> = parts
            .par_iter()
            .enumerate()
            .map(|(i, &(start, end))| {
                let mut ex = extractor.clone();
                let mut scan = self.new_scan(&blob.display);
                let region = Region {
                    file,
                    pos: start,
                    end,
                    cancel: self.cancel,
                };
                let reader = read::chunk::TextReader::new(
                    region,
                    Vec::new(),
                    0,
                    false,
                    sniffed.encoding,
                    self.opts.chunk_size,
                );
                let result = reader.for_each_segment(|seg| {
                    let is_header = i == 0 && seg.line == 1 && seg.whole && header.is_some();
                    let unit = ex.unit(seg.text, seg.whole, is_header);
                    let column = |m: &Match| seg.column(m.span.start, binary);
                    self.unit(
                        &mut scan,
                        &unit,
                        header.as_ref(),
                        &names,
                        Some(&seg.own),
                        seg.line,
                        &column,
                    );
                });
                (scan, result)
            })
            .collect();
        let mut merged = self.new_scan(&blob.display);
        let (mut bytes, mut replaced, mut error, mut offset) =
            (sniffed.bom_len as u64, false, None, 0u64);
        for (mut scan, result) in results {
            scan.tally.listed.iter_mut().for_each(|f| f.line += offset);
            match result {
                Ok(stats) => {
                    bytes += stats.bytes;
                    replaced |= stats.replaced;
                    offset += stats.newlines;
                }
                Err(e) => {
                    error.get_or_insert(format!("read stopped part-way: {e}"));
                }
            }
            merged.tally.merge(scan.tally);
        }
        let format = if binary { "binary" } else { "text" };
        let encoding = read::decode::label(sniffed.encoding);
        emit(self.finish(
            merged,
            blob.display.clone(),
            (format, encoding),
            (bytes, replaced, error),
        ));
    }

    /// Spreadsheets: one outcome per sheet. Returns whether the bytes were a
    /// readable workbook.
    fn sheets(
        &self,
        bytes: Vec<u8>,
        blob: &Blob<'_>,
        format: &'static str,
        emit: &mut dyn FnMut(FileOutcome),
    ) -> bool {
        let result = extract::sheet::for_each_sheet(bytes, |sheet, rows| {
            let display = format!("{}!{sheet}", blob.display);
            let mut scan = self.new_scan(&display);
            let mut header: Option<HeaderProfile> = None;
            let mut names = Vec::new();
            let mut total = 0u64;
            let mut text = String::new();
            let mut fields = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                join_cells(&row.cells, &mut text, &mut fields);
                total += text.len() as u64;
                let is_header = i == 0;
                if is_header {
                    header = Some(self.registry.header_profile(&row.cells));
                    names = field_names(&row.cells);
                }
                let unit = TextUnit {
                    text: text.as_bytes(),
                    fields: Some(&fields),
                    is_header,
                    binary: false,
                };
                let first = row.first_column;
                let column = |m: &Match| first + m.field.unwrap_or(0) as u64;
                self.unit(
                    &mut scan,
                    &unit,
                    header.as_ref(),
                    &names,
                    None,
                    row.number,
                    &column,
                );
                if is_header && scan.tally.total() > 0 {
                    header = None;
                    names.clear();
                }
            }
            emit(self.finish(scan, display, (format, ""), (total, false, None)));
        });
        result.is_ok()
    }

    /// Office documents: paragraphs as lines, tables row by row with their
    /// first row as header.
    fn blocks(
        &self,
        blocks: &[Block],
        display: String,
        format: &'static str,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
        let mut scan = self.new_scan(&display);
        let mut line = 0u64;
        let mut total = 0u64;
        let mut fields = Vec::new();
        let mut text = String::new();
        for block in blocks {
            match block {
                Block::Paragraph(p) => {
                    let p = folded(p);
                    line += 1;
                    total += p.len() as u64;
                    let unit = TextUnit {
                        text: p.as_bytes(),
                        fields: None,
                        is_header: false,
                        binary: false,
                    };
                    let column =
                        |m: &Match| p[..m.span.start.min(p.len())].chars().count() as u64 + 1;
                    self.unit(&mut scan, &unit, None, &[], None, line, &column);
                }
                Block::Table(rows) => {
                    let mut header: Option<HeaderProfile> = None;
                    let mut names = Vec::new();
                    for (i, row) in rows.iter().enumerate() {
                        line += 1;
                        join_cells(row, &mut text, &mut fields);
                        total += text.len() as u64;
                        if i == 0 {
                            header = Some(self.registry.header_profile(row));
                            names = field_names(row);
                        }
                        let unit = TextUnit {
                            text: text.as_bytes(),
                            fields: Some(&fields),
                            is_header: i == 0,
                            binary: false,
                        };
                        let before = scan.tally.total();
                        let row_text = text.as_str();
                        let column = |m: &Match| {
                            row_text[..m.span.start.min(row_text.len())].chars().count() as u64 + 1
                        };
                        self.unit(
                            &mut scan,
                            &unit,
                            header.as_ref(),
                            &names,
                            None,
                            line,
                            &column,
                        );
                        if i == 0 && scan.tally.total() > before {
                            header = None;
                            names.clear();
                        }
                    }
                }
            }
        }
        emit(self.finish(scan, display, (format, ""), (total, false, None)));
    }
}

/// Decode a whole document's bytes (BOM, UTF-8, GB18030, …) to text.
fn decode_whole(bytes: &[u8]) -> String {
    let sniffed = read::decode::sniff(bytes, true);
    let enc = sniffed.encoding.unwrap_or(encoding_rs::UTF_8);
    enc.decode_without_bom_handling(&bytes[sniffed.bom_len..])
        .0
        .into_owned()
}

/// Join table cells with tabs into `text` (full-width forms folded, tabs and
/// line breaks inside cells made spaces), recording each cell's byte range.
fn join_cells(cells: &[String], text: &mut String, fields: &mut Vec<Range<usize>>) {
    text.clear();
    fields.clear();
    for (j, cell) in cells.iter().enumerate() {
        if j > 0 {
            text.push('\t');
        }
        let start = text.len();
        text.push_str(&folded(&cell.replace(['\t', '\n', '\r'], " ")));
        fields.push(start..text.len());
    }
}

/// A byte range of a file, read with positional reads (parts of one file
/// are read by several threads at once).
struct Region<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
    cancel: &'f AtomicBool,
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

impl Read for Region<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(interrupted());
        }
        let n = (self.end - self.pos).min(buf.len() as u64) as usize;
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        self.pos += got as u64;
        Ok(got)
    }
}

/// The offset just after the first line break at or after `from`, looking at
/// most 1 MiB ahead (a longer line is not split).
fn next_line_start(file: &File, from: u64, size: u64) -> Option<u64> {
    let mut buf = vec![0u8; 64 << 10];
    let mut pos = from;
    while pos < size.min(from + (1 << 20)) {
        let n = file.read_at(&mut buf, pos).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Some(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
    None
}

/// Text with full-width forms folded to ASCII, as the read stage does for
/// decoded files (documents and sheets do not pass through it).
fn folded(s: &str) -> String {
    let mut b = s.as_bytes().to_vec();
    read::chunk::fold_fullwidth(&mut b, 0);
    String::from_utf8_lossy(&b).into_owned()
}

fn failed(display: String, kind: &'static str, reason: String) -> FileOutcome {
    FileOutcome::Failed {
        display,
        kind,
        reason,
    }
}
