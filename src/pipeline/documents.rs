//! Documents: PDF text, e-mail with attachments, spreadsheets (one outcome
//! per sheet) and Office/HTML/RTF blocks as table rows and paragraphs.

use super::*;

impl<'a> Pipeline<'a> {
    pub(super) fn pdf(&self, bytes: Vec<u8>, blob: &Blob<'_>, emit: &mut dyn FnMut(FileOutcome)) {
        // The parser can panic, hang or overflow its stack on a crafted
        // file: it runs in a child process with a time limit.
        let isolation = self.opts.isolation();
        match extract::pdf::text(&bytes, isolation.as_ref()) {
            Ok(text) if text.chars().any(|c| !c.is_whitespace()) => {
                self.text(text.into_bytes(), &mut io::empty(), blob, "pdf", emit);
            }
            Ok(_) => emit(failed(
                blob.display.clone(),
                "pdf",
                "no text layer (scanned images?): not scanned; needs OCR".to_string(),
            )),
            // The parser failed (a damaged, truncated or hostile file): the
            // raw bytes and inflated streams are scanned, and the file says
            // why.
            Err(e) => {
                let (text, limited) =
                    extract::pdf::recovered_text(&bytes, self.opts.max_buffer, self.opts.max_ratio);
                let mut why =
                    format!("{e}; its raw bytes and compressed streams were scanned instead");
                if let Some(limited) = limited {
                    why = format!("{why} ({limited})");
                }
                let mut noted = |o: FileOutcome| emit(o.with_error("pdf", why.clone()));
                self.text(text, &mut io::empty(), blob, "pdf", &mut noted);
            }
        }
    }

    pub(super) fn mail(
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

    /// Spreadsheets: one outcome per sheet, its rows scanned piece by piece
    /// as the parser passes them on. On an error, the number of sheets
    /// begun before it (the parser runs in a child process: a crafted
    /// workbook can crash or hang it); a sheet cut short keeps what was
    /// read of it.
    pub(super) fn sheets(
        &self,
        bytes: &[u8],
        blob: &Blob<'_>,
        format: &'static str,
        emit: &mut dyn FnMut(FileOutcome),
    ) -> Result<(), (usize, extract::sheet::SheetError)> {
        use extract::sheet::SheetEvent;
        let isolation = self.opts.isolation();
        let mut begun = 0;
        let mut open: Option<SheetScan<'a>> = None;
        let result =
            extract::sheet::for_each_sheet_in(bytes, isolation.as_ref(), |event| match event {
                SheetEvent::Begin(name) => {
                    begun += 1;
                    let display = format!("{}!{name}", blob.display);
                    open = Some(SheetScan {
                        scan: self.new_scan(&display),
                        display,
                        header: None,
                        names: Vec::new(),
                        rows: 0,
                        bytes: 0,
                    });
                }
                SheetEvent::Rows(rows) => {
                    if let Some(sheet) = open.as_mut() {
                        self.sheet_rows(sheet, rows);
                    }
                }
                SheetEvent::End => {
                    if let Some(sheet) = open.take() {
                        emit(self.finish_sheet(sheet, format));
                    }
                }
            });
        if let Some(sheet) = open.take() {
            emit(self.finish_sheet(sheet, format));
        }
        result.map_err(|e| (begun, e))
    }

    /// Scan the next rows of a sheet; its first row (with text) is its
    /// header.
    fn sheet_rows(&self, sheet: &mut SheetScan<'a>, rows: &[extract::sheet::Row]) {
        let mut text = String::new();
        let mut fields = Vec::new();
        for row in rows {
            join_cells(&row.cells, &mut text, &mut fields);
            sheet.bytes += text.len() as u64;
            let is_header = sheet.rows == 0;
            sheet.rows += 1;
            if is_header {
                sheet.header = Some(self.registry.header_profile(&row.cells));
                sheet.names = field_names(&row.cells);
            }
            let unit = TextUnit {
                text: text.as_bytes(),
                fields: Fields::Ranges(&fields),
                is_header,
                binary: false,
            };
            let first = row.first_column;
            let column = |m: &Match| first + m.field.unwrap_or(0) as u64;
            self.unit(
                &mut sheet.scan,
                &unit,
                sheet.header.as_ref(),
                &sheet.names,
                None,
                row.number,
                &column,
            );
            if is_header && sheet.scan.tally.total() > 0 {
                sheet.header = None;
                sheet.names.clear();
            }
        }
    }

    fn finish_sheet(&self, sheet: SheetScan<'a>, format: &'static str) -> FileOutcome {
        self.finish(
            sheet.scan,
            sheet.display,
            (format, ""),
            (sheet.bytes, false, None),
        )
    }

    /// Office documents: paragraphs as lines, tables row by row with their
    /// first row as header.
    pub(super) fn blocks(
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
                        fields: Fields::None,
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
                            fields: Fields::Ranges(&fields),
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

/// A sheet being scanned: its rows come in pieces.
pub(super) struct SheetScan<'a> {
    scan: Scan<'a>,
    display: String,
    /// The header's profile and field names (none once the header row
    /// turned out to hold values itself).
    header: Option<HeaderProfile>,
    names: Vec<Arc<str>>,
    /// Rows scanned so far.
    rows: u64,
    /// Bytes of row text scanned so far.
    bytes: u64,
}

/// Decode a whole document's bytes (BOM, UTF-8, GB18030, …) to text.
pub(super) fn decode_whole(bytes: &[u8]) -> String {
    let sniffed = read::decode::sniff(bytes, true);
    let enc = sniffed.encoding.unwrap_or(encoding_rs::UTF_8);
    enc.decode_without_bom_handling(&bytes[sniffed.bom_len..])
        .0
        .into_owned()
}

/// Join table cells with tabs into `text` (full-width forms folded, tabs and
/// line breaks inside cells made spaces), recording each cell's byte range.
pub(super) fn join_cells(cells: &[String], text: &mut String, fields: &mut Vec<Range<usize>>) {
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

/// Text with full-width forms folded to ASCII, as the read stage does for
/// decoded files (documents and sheets do not pass through it).
pub(super) fn folded(s: &str) -> String {
    let mut b = s.as_bytes().to_vec();
    let n = read::chunk::fold_fullwidth(&mut b);
    String::from_utf8_lossy(&b[..n]).into_owned()
}
