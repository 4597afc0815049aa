//! Spreadsheets (XLSX, XLS, ODS) through `calamine`: every sheet becomes rows
//! of cell texts, with the sheet's first non-empty row as its header. Rows
//! and columns keep their spreadsheet numbers (1-based), so a finding points
//! at `book.xlsx!Sheet1`, row N, column M. With a helper binary the parser
//! runs in a child process (see [`super::isolate`]; one changed byte in an
//! `.xls` header made it ask for 944 GB and abort the scan), which sends
//! each sheet back as a JSON line.

use super::isolate::{self, ChildError, Isolation, Parser, EXIT_PANICKED};
use calamine::{open_workbook_auto_from_rs, Data, Reader};
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
    /// The next rows of the sheet being sent.
    Rows(Vec<Row>),
    /// The sheet of that name is complete.
    Sheet(String),
    /// The parser's error, after the sheets it read.
    Error(String),
}

/// One line of a child's output, as written (the same JSON as [`Line`],
/// without copying the rows).
#[derive(Serialize)]
enum LineOut<'a> {
    Rows(&'a [Row]),
    Sheet(&'a str),
    Error(&'a str),
}

/// Rows a child sends per line: a sheet of millions of rows as one line
/// held the whole sheet twice in the scanner (the line and its rows).
const ROWS_PER_LINE: usize = 4096;

/// As [`for_each_sheet`], in a child process under `isolation` (or in this
/// process without one). The sheets read before an error are passed on.
pub fn for_each_sheet_in(
    bytes: &[u8],
    isolation: Option<&Isolation>,
    mut f: impl FnMut(&str, &[Row]),
) -> Result<(), SheetError> {
    let Some(iso) = isolation else {
        return for_each_sheet(bytes, f).map_err(SheetError::Unreadable);
    };
    let mut error = None;
    let exit = isolate::run(Parser::Sheets, bytes, iso, |out: &mut dyn BufRead| {
        let (mut line, mut rows) = (String::new(), Vec::new());
        // A line cut short by a crash does not parse, and a sheet whose
        // end did not come is not passed on: the exit says why.
        while out.read_line(&mut line).is_ok_and(|n| n > 0) {
            match serde_json::from_str(&line) {
                Ok(Line::Rows(more)) => rows.extend(more),
                Ok(Line::Sheet(name)) => {
                    f(&name, &rows);
                    rows.clear();
                }
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

/// The child's side: each sheet of `bytes` to `out` as lines of rows and a
/// line that ends it, then the error if there was one; the exit code.
pub(super) fn serve(bytes: &[u8], out: &mut impl Write) -> i32 {
    let mut write = |line: &LineOut<'_>| {
        let _ = serde_json::to_writer(&mut *out, line);
        let _ = out.write_all(b"\n");
    };
    let result = for_each_sheet(bytes, |name, rows| {
        for part in rows.chunks(ROWS_PER_LINE) {
            write(&LineOut::Rows(part));
        }
        write(&LineOut::Sheet(name));
    });
    match result {
        Ok(()) => 0,
        Err(e) if e == PANICKED => EXIT_PANICKED,
        Err(e) => {
            write(&LineOut::Error(&e));
            0
        }
    }
}

/// Call `f` with each sheet's name and rows. An error names the problem, not
/// the content; a panic of the parser is an error too.
pub fn for_each_sheet(bytes: &[u8], mut f: impl FnMut(&str, &[Row])) -> Result<(), String> {
    // Only the parser's calls are guarded: a panic in `f` is not its.
    let guarded = |call: &mut dyn FnMut()| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(call))
            .map_err(|_| PANICKED.to_string())
    };
    let mut opened = None;
    guarded(&mut || opened = Some(open_workbook_auto_from_rs(Cursor::new(bytes))))?;
    let mut book = match opened {
        Some(Ok(b)) => b,
        Some(Err(e)) => return Err(format!("not a readable spreadsheet: {e}")),
        None => return Err(PANICKED.to_string()),
    };
    let names = book.sheet_names();
    for name in names {
        let mut range = None;
        guarded(&mut || range = Some(book.worksheet_range(&name)))?;
        let range = match range {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(format!("sheet {name}: {e}")),
            None => return Err(PANICKED.to_string()),
        };
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let rows: Vec<Row> = range
            .rows()
            .enumerate()
            .map(|(i, cells)| Row {
                number: u64::from(row0) + i as u64 + 1,
                first_column: u64::from(col0) + 1,
                cells: cells.iter().map(cell_text).collect(),
            })
            .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
            .collect();
        f(&name, &rows);
    }
    Ok(())
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
        assert!(for_each_sheet(b"not a workbook", |_, _| {}).is_err());
    }

    #[test]
    fn a_helper_that_cannot_start_means_parsing_here() {
        let iso = Isolation {
            helper: "/nonexistent/leakscan".into(),
            timeout: std::time::Duration::from_secs(5),
        };
        match for_each_sheet_in(b"not a workbook", Some(&iso), |_, _| {}) {
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
        let line = serde_json::to_string(&LineOut::Sheet("客户")).unwrap();
        assert!(matches!(serde_json::from_str(&line).unwrap(), Line::Sheet(n) if n == "客户"));
        let line = serde_json::to_string(&LineOut::Error("sheet 坏: bad")).unwrap();
        assert!(
            matches!(serde_json::from_str(&line).unwrap(), Line::Error(e) if e == "sheet 坏: bad")
        );
    }
}
