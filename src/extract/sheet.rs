//! Spreadsheets (XLSX, XLS, ODS) through `calamine`: every sheet becomes rows
//! of cell texts, with the sheet's first non-empty row as its header. Rows
//! and columns keep their spreadsheet numbers (1-based), so a finding points
//! at `book.xlsx!Sheet1`, row N, column M.

use calamine::{open_workbook_auto_from_rs, Data, Reader};
use std::io::Cursor;

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Call `f` with each sheet's name and rows. An error names the problem, not
/// the content.
pub fn for_each_sheet(bytes: Vec<u8>, mut f: impl FnMut(&str, &[Row])) -> Result<(), String> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("not a readable spreadsheet: {e}"))?;
    let names = book.sheet_names();
    for name in names {
        let range = match book.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => return Err(format!("sheet {name}: {e}")),
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
        assert!(for_each_sheet(b"not a workbook".to_vec(), |_, _| {}).is_err());
    }
}
