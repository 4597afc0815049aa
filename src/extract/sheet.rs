//! Spreadsheets (XLSX, XLS, ODS) through `calamine`: every sheet becomes rows
//! of cell texts, with the sheet's first non-empty row as its header. Rows
//! and columns keep their spreadsheet numbers (1-based), so a finding points
//! at `book.xlsx!Sheet1`, row N, column M. With a helper binary the parser
//! runs in a child process (see [`super::isolate`]; one changed byte in an
//! `.xls` header made it ask for 944 GB and abort the scan), which sends
//! each sheet back as JSON lines: its name, its rows in pieces, its end.
//! An `.xlsx` sheet is read cell by cell, so that neither process holds a
//! whole sheet.

use super::isolate::{self, ChildError, Isolation, Parser, EXIT_PANICKED};
use calamine::{open_workbook_auto_from_rs, Data, DataRef, Reader, Sheets, Xlsx, XlsxError};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Cursor, Write};

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// 1-based row number in the sheet.
    pub number: u64,
    /// 1-based column number of the first cell.
    pub first_column: u64,
    /// Cell texts.
    pub cells: Vec<String>,
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        // Whole numbers without a fraction (phone numbers stored as numbers).
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// What a workbook's reader passes on, in order: for each sheet its name,
/// its rows in pieces of at most [`ROWS_PER_PIECE`] rows (a sheet of a
/// million rows is never held whole), and its end. A sheet cut short by an
/// error has no `End`.
#[derive(Debug)]
pub enum SheetEvent<'a> {
    /// A sheet of this name starts.
    Begin(&'a str),
    /// The next rows of the sheet.
    Rows(&'a [Row]),
    /// The sheet is complete.
    End,
}

/// Why a workbook was not read, or not to the end.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// The parser's error: not a workbook, or a sheet it could not read.
    #[error("{0}")]
    Unreadable(String),
    /// The child timed out, crashed or could not be run.
    #[error("{0}")]
    Child(#[from] ChildError),
}

/// One line of a child's output, as read.
#[derive(Deserialize)]
enum Line {
    /// A sheet of this name starts.
    Begin(String),
    /// The next rows of the sheet.
    Rows(Vec<Row>),
    /// The sheet is complete.
    End,
    /// The parser's error, after the sheets it read.
    Error(String),
}

/// One line of a child's output, as written (the same JSON as [`Line`],
/// without copying the rows).
#[derive(Serialize)]
enum LineOut<'a> {
    Begin(&'a str),
    Rows(&'a [Row]),
    End,
    Error(&'a str),
}

impl<'a> From<SheetEvent<'a>> for LineOut<'a> {
    fn from(e: SheetEvent<'a>) -> Self {
        match e {
            SheetEvent::Begin(name) => LineOut::Begin(name),
            SheetEvent::Rows(rows) => LineOut::Rows(rows),
            SheetEvent::End => LineOut::End,
        }
    }
}

/// Rows passed on at a time: a sheet of millions of rows held whole took
/// gigabytes (a 34 MB export of a million rows peaked at 617 MB).
pub const ROWS_PER_PIECE: usize = 4096;
/// Cells passed on at a time (wide sheets).
const CELLS_PER_PIECE: usize = 1 << 16;
/// Columns a row is laid out to: Excel's last column is XFD (16,384). A
/// cell past it (only a crafted file has one) follows the row's last cell.
const MAX_COLUMNS: usize = 16_384;

/// As [`for_each_sheet`], in a child process under `isolation` (or in this
/// process without one). What was read before an error is passed on.
pub fn for_each_sheet_in(
    bytes: &[u8],
    isolation: Option<&Isolation>,
    mut f: impl FnMut(SheetEvent<'_>),
) -> Result<(), SheetError> {
    let Some(iso) = isolation else {
        return for_each_sheet(bytes, f).map_err(SheetError::Unreadable);
    };
    let mut error = None;
    let exit = isolate::run(Parser::Sheets, bytes, iso, |out: &mut dyn BufRead| {
        let mut line = String::new();
        // A line cut short by a crash does not parse: the exit says why.
        while out.read_line(&mut line).is_ok_and(|n| n > 0) {
            match serde_json::from_str(&line) {
                Ok(Line::Begin(name)) => f(SheetEvent::Begin(&name)),
                Ok(Line::Rows(rows)) => f(SheetEvent::Rows(&rows)),
                Ok(Line::End) => f(SheetEvent::End),
                Ok(Line::Error(e)) => error = Some(e),
                Err(_) => break,
            }
            line.clear();
        }
    });
    let exit = match exit {
        Err(ChildError::Spawn(..)) => {
            return for_each_sheet(bytes, f).map_err(SheetError::Unreadable);
        }
        other => other?,
    };
    match (exit.code, error) {
        (0, None) => Ok(()),
        (0, Some(e)) => Err(SheetError::Unreadable(e)),
        (EXIT_PANICKED, _) => Err(SheetError::Unreadable(PANICKED.to_string())),
        (code, _) => Err(ChildError::Crashed("spreadsheet", format!("exit code {code}")).into()),
    }
}

/// What a panic of the parser is reported as.
const PANICKED: &str = "not a readable spreadsheet: the parser failed";

/// The child's side: each sheet of `bytes` to `out` as a line that starts
/// it, lines of rows and a line that ends it, then the error if there was
/// one; the exit code.
pub(super) fn serve(bytes: &[u8], out: &mut impl Write) -> i32 {
    let mut write = |line: &LineOut<'_>| {
        let _ = serde_json::to_writer(&mut *out, line);
        let _ = out.write_all(b"\n");
    };
    match for_each_sheet(bytes, |event| write(&event.into())) {
        Ok(()) => 0,
        Err(e) if e == PANICKED => EXIT_PANICKED,
        Err(e) => {
            write(&LineOut::Error(&e));
            0
        }
    }
}

/// Run one call of the parser, its panic turned into an error: only the
/// parser's calls are guarded (a panic in the caller's `f` is not its).
fn guarded<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).map_err(|_| PANICKED.to_string())
}

/// Call `f` with each sheet's name, rows and end. An error names the
/// problem, not the content; a panic of the parser is an error too. The
/// rows of an `.xlsx` sheet are read cell by cell as they are passed on;
/// other formats are read a sheet at a time by the parser.
pub fn for_each_sheet(bytes: &[u8], mut f: impl FnMut(SheetEvent<'_>)) -> Result<(), String> {
    let mut book = match guarded(|| open_workbook_auto_from_rs(Cursor::new(bytes)))? {
        Ok(b) => b,
        Err(e) => {
            return Err(format!(
                "not a readable spreadsheet: {}",
                super::parser_message(e)
            ))
        }
    };
    for name in book.sheet_names() {
        if let Sheets::Xlsx(xlsx) = &mut book {
            stream_xlsx_sheet(xlsx, &name, &mut f)?;
            continue;
        }
        let range = match guarded(|| book.worksheet_range(&name))? {
            Ok(r) => r,
            Err(e) => return Err(format!("sheet {name}: {}", super::parser_message(e))),
        };
        f(SheetEvent::Begin(&name));
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut rows = Pieces::new(&mut f);
        for (i, cells) in range.rows().enumerate() {
            rows.push(Row {
                number: u64::from(row0) + i as u64 + 1,
                first_column: u64::from(col0) + 1,
                cells: cells.iter().map(cell_text).collect(),
            });
        }
        rows.flush();
        f(SheetEvent::End);
    }
    Ok(())
}

/// One `.xlsx` sheet, cell by cell: each row laid out from column A (its
/// cells at their columns, empty strings between), passed on in pieces.
/// The parser's grid for a whole sheet held every cell at once, and a
/// single cell in the last column of the last row made it allocate the
/// grid of all the cells between.
fn stream_xlsx_sheet<RS: std::io::Read + std::io::Seek>(
    xlsx: &mut Xlsx<RS>,
    name: &str,
    f: &mut impl FnMut(SheetEvent<'_>),
) -> Result<(), String> {
    let mut cells = match guarded(|| xlsx.worksheet_cells_reader(name))? {
        Ok(r) => r,
        // A chart sheet: no cells (as the parser's grid has none).
        Err(XlsxError::NotAWorksheet(_)) => {
            f(SheetEvent::Begin(name));
            f(SheetEvent::End);
            return Ok(());
        }
        Err(e) => return Err(format!("sheet {name}: {}", super::parser_message(e))),
    };
    f(SheetEvent::Begin(name));
    let mut rows = Pieces::new(f);
    let (mut number, mut row) = (0, Vec::new());
    loop {
        // What was read before an error or a panic of the parser is
        // passed on first.
        let cell = match guarded(|| cells.next_cell())
            .and_then(|r| r.map_err(|e| format!("sheet {name}: {}", super::parser_message(e))))
        {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => {
                rows.push(Row::from_a(number, row));
                rows.flush();
                return Err(e);
            }
        };
        let (r, c) = cell.get_position();
        if u64::from(r) + 1 != number {
            rows.push(Row::from_a(number, std::mem::take(&mut row)));
            number = u64::from(r) + 1;
        }
        let text = ref_text(cell.get_value());
        if !text.is_empty() {
            place(&mut row, c as usize, text);
        }
    }
    rows.push(Row::from_a(number, row));
    rows.flush();
    f(SheetEvent::End);
    Ok(())
}

impl Row {
    /// A row laid out from column A.
    fn from_a(number: u64, cells: Vec<String>) -> Self {
        Row {
            number,
            first_column: 1,
            cells,
        }
    }
}

/// A streamed cell's text, as [`cell_text`] gives it.
fn ref_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::String(s) => s.clone(),
        other => cell_text(&Data::from(other.clone())),
    }
}

/// Put `text` at `column` (0-based) of a row laid out from column A. A cell
/// past [`MAX_COLUMNS`] follows the row's last cell; a second cell at one
/// place (a crafted file) is added to it after a space: nothing is lost.
fn place(cells: &mut Vec<String>, column: usize, text: String) {
    let at = if column < MAX_COLUMNS {
        column
    } else {
        cells.len().max(MAX_COLUMNS)
    };
    if at >= cells.len() {
        cells.resize(at, String::new());
        cells.push(text);
    } else if cells[at].is_empty() {
        cells[at] = text;
    } else {
        cells[at].push(' ');
        cells[at].push_str(&text);
    }
}

/// Rows gathered into pieces for `f`; rows without text are left out.
struct Pieces<'f, F: FnMut(SheetEvent<'_>)> {
    rows: Vec<Row>,
    cells: usize,
    f: &'f mut F,
}

impl<'f, F: FnMut(SheetEvent<'_>)> Pieces<'f, F> {
    fn new(f: &'f mut F) -> Self {
        Pieces {
            rows: Vec::new(),
            cells: 0,
            f,
        }
    }

    fn push(&mut self, row: Row) {
        if row.cells.iter().all(|c| c.is_empty()) {
            return;
        }
        self.cells += row.cells.len();
        self.rows.push(row);
        if self.rows.len() >= ROWS_PER_PIECE || self.cells >= CELLS_PER_PIECE {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.rows.is_empty() {
            (self.f)(SheetEvent::Rows(&self.rows));
            self.rows.clear();
            self.cells = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_without_fractions() {
        assert_eq!(cell_text(&Data::Float(13812345678.0)), "13812345678");
        assert_eq!(cell_text(&Data::Float(12.5)), "12.5");
        assert_eq!(cell_text(&Data::String("身份证".into())), "身份证");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(for_each_sheet(b"not a workbook", |_| {}).is_err());
    }

    #[test]
    fn a_helper_that_cannot_start_means_parsing_here() {
        let iso = Isolation {
            helper: "/nonexistent/leakscan".into(),
            timeout: std::time::Duration::from_secs(5),
            memory: 0,
        };
        match for_each_sheet_in(b"not a workbook", Some(&iso), |_| {}) {
            Err(SheetError::Unreadable(e)) => assert!(e.contains("not a readable spreadsheet")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn child_lines_round_trip() {
        let rows = vec![Row {
            number: 3,
            first_column: 2,
            cells: vec!["姓名".into(), "a\"b\nc".into()],
        }];
        let line = serde_json::to_string(&LineOut::Rows(&rows)).unwrap();
        assert!(!line.contains('\n'), "one line");
        match serde_json::from_str(&line).unwrap() {
            Line::Rows(back) => assert_eq!(back, rows),
            _ => panic!("rows"),
        }
        let line = serde_json::to_string(&LineOut::Begin("客户")).unwrap();
        assert!(matches!(serde_json::from_str(&line).unwrap(), Line::Begin(n) if n == "客户"));
        let line = serde_json::to_string(&LineOut::End).unwrap();
        assert!(matches!(serde_json::from_str(&line).unwrap(), Line::End));
        let line = serde_json::to_string(&LineOut::Error("sheet 坏: bad")).unwrap();
        assert!(
            matches!(serde_json::from_str(&line).unwrap(), Line::Error(e) if e == "sheet 坏: bad")
        );
    }

    #[test]
    fn cells_are_placed_at_their_columns() {
        let mut row = Vec::new();
        place(&mut row, 2, "c".into());
        place(&mut row, 4, "e".into());
        assert_eq!(row, ["", "", "c", "", "e"]);
        // A second cell at one place is kept beside the first.
        place(&mut row, 2, "again".into());
        assert_eq!(row[2], "c again");
        // Before the last cell, in an empty place.
        place(&mut row, 0, "a".into());
        assert_eq!(row, ["a", "", "c again", "", "e"]);
    }

    #[test]
    fn a_cell_past_the_last_column_follows_the_row() {
        let mut row = Vec::new();
        place(&mut row, 1, "b".into());
        place(&mut row, u32::MAX as usize, "far".into());
        assert_eq!(row.len(), MAX_COLUMNS + 1);
        assert_eq!(row[MAX_COLUMNS], "far");
        place(&mut row, MAX_COLUMNS + 7, "farther".into());
        assert_eq!(row.len(), MAX_COLUMNS + 2);
        assert_eq!(row[MAX_COLUMNS + 1], "farther");
    }

    #[test]
    fn rows_go_out_in_pieces_without_empty_ones() {
        let mut pieces = Vec::new();
        let mut f = |e: SheetEvent<'_>| {
            if let SheetEvent::Rows(rows) = e {
                pieces.push(rows.iter().map(|r| r.number).collect::<Vec<_>>());
            }
        };
        let mut rows = Pieces::new(&mut f);
        for n in 1..=(ROWS_PER_PIECE as u64 * 2 + 10) {
            let text = if n % 2 == 0 { "" } else { "x" };
            rows.push(Row::from_a(n, vec![String::new(), text.to_string()]));
        }
        rows.flush();
        rows.flush();
        let lens: Vec<usize> = pieces.iter().map(Vec::len).collect();
        assert_eq!(lens, [ROWS_PER_PIECE, 5]);
        assert!(pieces.concat().iter().all(|n| n % 2 == 1));
        assert_eq!(pieces.concat().len(), ROWS_PER_PIECE + 5);
    }

    #[test]
    fn wide_rows_go_out_in_smaller_pieces() {
        let mut lens = Vec::new();
        let mut f = |e: SheetEvent<'_>| {
            if let SheetEvent::Rows(rows) = e {
                lens.push(rows.len());
            }
        };
        let mut rows = Pieces::new(&mut f);
        for n in 1..=40 {
            rows.push(Row::from_a(n, vec!["x".to_string(); MAX_COLUMNS]));
        }
        rows.flush();
        assert_eq!(lens, [4; 10], "{} cells a piece", CELLS_PER_PIECE);
    }
}
