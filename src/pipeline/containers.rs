//! Containers: archive members (zip, gzip, tar) scanned as blobs of their
//! own, nested within the limits of `read::container`; Office parts.

use super::*;

impl<'a> Pipeline<'a> {
    /// Scan a member read from `reader`; a member cut short by an error is
    /// scanned up to the damage and reported with the error.
    pub(super) fn member(
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
        let kind = read::sniff_kind(&head, child.name);
        let size = head.len() as u64;
        let empty = || self.empty(child.display.clone(), kind, child.name, size);
        at_least_one(emit, empty, |emit| match error {
            None => self.blob(head, reader, &child, budget, emit),
            Some(e) if head.is_empty() => {
                emit(failed(child.display.clone(), "archive", e.to_string()))
            }
            Some(e) => self.blob(head, &mut read::Failing(Some(e)), &child, budget, emit),
        });
    }

    pub(super) fn zip<R: Read + Seek>(
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
                Ok(b) => match self.sheets(&b, blob, format, emit) {
                    Ok(()) => {}
                    // The parser crashed or hung before a sheet: the
                    // workbook's parts (shared strings, sheet XML) are
                    // scanned as the members of a zip, and the workbook
                    // says why.
                    Err((0, e @ extract::sheet::SheetError::Child(_))) => {
                        let why = format!("{e}; its parts were scanned as text instead");
                        emit(failed(blob.display.clone(), format, why));
                        if let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(&b[..])) {
                            self.zip_members(&mut archive, blob, budget, emit);
                        }
                    }
                    // A workbook that cannot be read (or not to the end) is
                    // an error of its own; its sheets read before stay.
                    Err((_, e)) => emit(failed(blob.display.clone(), format, e.to_string())),
                },
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
        self.zip_members(&mut archive, blob, budget, emit);
    }

    /// Every member of `archive` (folders aside), scanned as a blob of its own.
    fn zip_members<R: Read + Seek>(
        &self,
        archive: &mut zip::ZipArchive<R>,
        blob: &Blob<'_>,
        budget: &Budget,
        emit: &mut dyn FnMut(FileOutcome),
    ) {
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

    pub(super) fn office_part<R: Read + Seek>(
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

    pub(super) fn gzip(
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

    pub(super) fn tar(
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
}
