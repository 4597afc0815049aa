//! Extract stage: turn decoded lines into text units for the detectors.
//!
//! Plain text and logs are one unit per line. Delimited tables (CSV, TSV,
//! pipe- or semicolon-separated exports) are one unit per record, with the
//! byte range of every field, so a detector can tell which column a value sits
//! in and the header row can name what the column holds. A file is a table
//! when its extension says so (`.csv`, `.tsv`) or when its first line splits
//! into several fields and the caller (which knows the column names) confirms
//! that the header is meaningful.
//!
//! Spreadsheets (`sheet`), Office documents (`office`), HTML and RTF
//! (`markup`), e-mail (`mail`) and PDF (`pdf`) have their own extractors;
//! the spreadsheet and PDF parsers run in a child process (`isolate`). Not handled:
//! quoted CSV fields that span lines (each physical line is a record).

pub mod isolate;
pub mod mail;
pub mod markup;
pub mod office;
pub mod pdf;
pub mod sheet;
pub mod table;

use std::cell::RefCell;
use std::ops::Range;
use std::path::Path;

/// A parser's error message as the report may show it: runs of six or more
/// digits become `<N digits>`. The messages are the parsers' own, and one
/// that quotes a cell or a token of the document must not put a number in
/// the report's errors or on the terminal.
pub fn parser_message(e: impl std::fmt::Display) -> String {
    let text = e.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let run = rest[start..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - start);
        out.push_str(&rest[..start]);
        if run >= 6 {
            out.push_str(&format!("<{run} digits>"));
        } else {
            out.push_str(&rest[start..start + run]);
        }
        rest = &rest[start + run..];
    }
    out.push_str(rest);
    out
}

/// One unit of text handed to the detectors.
#[derive(Debug, Clone, Copy)]
pub struct TextUnit<'a> {
    /// The text (UTF-8 for decoded files, raw bytes for binary files).
    pub text: &'a [u8],
    /// The fields, when the unit is a table record.
    pub fields: Fields<'a>,
    /// Whether this unit is the table's header row.
    pub is_header: bool,
    /// Whether the bytes are raw binary data (findings get lower confidence).
    pub binary: bool,
}

/// The fields of a table record.
#[derive(Debug, Clone, Copy)]
pub enum Fields<'a> {
    /// Not a table record.
    None,
    /// Byte ranges of the fields.
    Ranges(&'a [Range<usize>]),
    /// Split at this delimiter (outside quotes) into the buffer when asked
    /// for: most rows of an export hold no value and are never split.
    Delimited(u8, &'a RefCell<Vec<Range<usize>>>),
}

impl Fields<'_> {
    /// Whether the unit is a table record.
    pub fn is_some(&self) -> bool {
        !matches!(self, Fields::None)
    }
}

impl TextUnit<'_> {
    /// Call `f` with the byte ranges of the fields (`None` if the unit is
    /// not a table record), splitting the text now if that is still to do.
    pub fn with_fields<R>(&self, f: impl FnOnce(Option<&[Range<usize>]>) -> R) -> R {
        match self.fields {
            Fields::None => f(None),
            Fields::Ranges(r) => f(Some(r)),
            Fields::Delimited(d, buf) => {
                let mut ranges = buf.borrow_mut();
                table::split_fields(self.text, d, &mut ranges);
                f(Some(&ranges))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Line by line.
    Lines,
    /// Declared by extension: always a table.
    Table(Option<u8>),
    /// Maybe a table: decided from the header.
    MaybeTable,
}

/// Per-file extraction state: the layout and a reusable field buffer.
#[derive(Debug, Clone)]
pub struct Extractor {
    layout: Layout,
    delimiter: Option<u8>,
    binary: bool,
    fields: RefCell<Vec<Range<usize>>>,
}

impl Extractor {
    /// Choose the layout for a file from its name; `binary` files are always
    /// scanned line by line.
    pub fn for_path(path: &Path, binary: bool) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let layout = match ext.as_deref() {
            _ if binary => Layout::Lines,
            Some("csv") => Layout::Table(None),
            Some("tsv" | "tab") => Layout::Table(Some(b'\t')),
            Some("psv") => Layout::Table(Some(b'|')),
            None | Some("txt" | "dat" | "log" | "unl" | "del" | "out" | "exp") => {
                Layout::MaybeTable
            }
            Some(_) => Layout::Lines,
        };
        Extractor {
            layout,
            delimiter: None,
            binary,
            fields: RefCell::new(Vec::new()),
        }
    }

    /// Called with the first line of the file: the header cell names when the
    /// file is or may be a table, else `None`.
    pub fn header_names(&mut self, first_line: &[u8]) -> Option<Vec<String>> {
        let delimiter = match self.layout {
            Layout::Lines => return None,
            Layout::Table(Some(d)) => Some(d),
            Layout::Table(None) => Some(table::sniff_delimiter(first_line).unwrap_or(b',')),
            Layout::MaybeTable => table::sniff_delimiter(first_line),
        }?;
        self.delimiter = Some(delimiter);
        let fields = self.fields.get_mut();
        table::split_fields(first_line, delimiter, fields);
        Some(
            fields
                .iter()
                .map(|r| {
                    String::from_utf8_lossy(table::trim_cell(&first_line[r.clone()])).into_owned()
                })
                .collect(),
        )
    }

    /// Whether a table layout is certain (from the extension) rather than
    /// needing a meaningful header.
    pub fn is_declared_table(&self) -> bool {
        matches!(self.layout, Layout::Table(_))
    }

    /// Settle a maybe-table: `false` turns the file back into plain lines.
    pub fn confirm_table(&mut self, is_table: bool) {
        if !is_table {
            self.layout = Layout::Lines;
            self.delimiter = None;
        }
    }

    /// The unit for one line. `whole` is false for the continuation pieces of
    /// an over-long line (they are scanned as plain text: the field boundaries
    /// before the cut are unknown). `is_header` marks the first line of a table.
    pub fn unit<'a>(&'a mut self, text: &'a [u8], whole: bool, is_header: bool) -> TextUnit<'a> {
        let fields = match (self.layout, self.delimiter) {
            (Layout::Lines, _) | (_, None) => Fields::None,
            (_, Some(_)) if !whole => Fields::None,
            (_, Some(d)) => Fields::Delimited(d, &self.fields),
        };
        TextUnit {
            text,
            is_header: is_header && fields.is_some(),
            fields,
            binary: self.binary,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parser_messages_lose_long_digit_runs() {
        assert_eq!(
            parser_message("bad cell 13812345678 at row 42, offset 123456"),
            "bad cell <11 digits> at row 42, offset <6 digits>"
        );
        assert_eq!(parser_message("12345 ok"), "12345 ok");
        assert_eq!(parser_message("号码1381234567"), "号码<10 digits>");
    }

    use super::*;

    #[test]
    fn csv_by_extension_sniffs_its_delimiter() {
        let mut x = Extractor::for_path(Path::new("a/b.CSV"), false);
        assert!(x.is_declared_table());
        assert_eq!(
            x.header_names(b"name;id;tel").unwrap(),
            ["name", "id", "tel"]
        );
        let u = x.unit(b"a;b;c", true, false);
        u.with_fields(|f| assert_eq!(f.unwrap(), &[0..1, 2..3, 4..5]));
    }

    #[test]
    fn txt_with_one_field_is_lines() {
        let mut x = Extractor::for_path(Path::new("notes.txt"), false);
        assert_eq!(x.header_names(b"just a sentence"), None);
        assert!(!x.unit(b"a,b", true, false).fields.is_some());
    }

    #[test]
    fn unconfirmed_maybe_table_is_lines() {
        let mut x = Extractor::for_path(Path::new("export.dat"), false);
        assert_eq!(x.header_names(b"a|b|c").unwrap(), ["a", "b", "c"]);
        x.confirm_table(false);
        assert!(!x.unit(b"1|2|3", true, false).fields.is_some());
    }

    #[test]
    fn continuation_pieces_have_no_fields() {
        let mut x = Extractor::for_path(Path::new("a.tsv"), false);
        x.header_names(b"a\tb");
        assert!(!x.unit(b"1\t2", false, false).fields.is_some());
        assert!(x.unit(b"1\t2", true, false).fields.is_some());
    }

    #[test]
    fn binary_files_are_lines() {
        let mut x = Extractor::for_path(Path::new("a.csv"), true);
        assert_eq!(x.header_names(b"a,b"), None);
        assert!(x.unit(b"a,b", true, false).binary);
    }
}
