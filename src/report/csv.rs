//! The CSV report: one row per listed finding, UTF-8 with a byte-order mark
//! so that Excel on a Chinese Windows opens it as UTF-8. Cells that a
//! spreadsheet would run as a formula (starting with `= + - @`) are prefixed
//! with `'`.

use super::{FindingEntry, ScanReport};
use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

fn cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The columns of a finding row.
pub const FINDING_COLUMNS: [&str; 9] = [
    "path",
    "line",
    "column",
    "detector",
    "tier",
    "confidence",
    "masked",
    "fingerprint",
    "field",
];

/// The cells of a finding row, in [`FINDING_COLUMNS`] order.
pub fn finding_cells(f: &FindingEntry) -> Vec<Cow<'_, str>> {
    vec![
        cell(&f.path),
        f.line.to_string().into(),
        f.column.to_string().into(),
        f.detector.as_str().into(),
        f.tier.as_str().into(),
        f.confidence.as_str().into(),
        f.masked.as_str().into(),
        f.fingerprint.to_string().into(),
        cell(f.field.as_deref().unwrap_or_default()),
    ]
}

/// Write the findings of `report` as CSV.
pub fn write(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(BOM)?;
    let reveal = report.scan.options.reveal;
    let mut header = FINDING_COLUMNS.to_vec();
    if reveal {
        header.push("value");
    }
    let mut out = csv::Writer::from_writer(&mut *w);
    out.write_record(&header)?;
    out.flush()?;
    drop(out);
    // Rows in parallel pieces, each piece through its own CSV writer (the
    // same quoting as one writer for all: a record is written on its own).
    super::json::write_in_parallel(&report.findings, w, || {
        let written = Rc::new(RefCell::new(Vec::new()));
        let mut rows = csv::Writer::from_writer(Shared(written.clone()));
        move |out: &mut Vec<u8>, _: usize, f: &FindingEntry| {
            let mut row = finding_cells(f);
            if reveal {
                row.push(f.value.as_deref().unwrap_or_default().into());
            }
            rows.write_record(row.iter().map(|c| c.as_ref()))?;
            rows.flush()?;
            out.append(&mut written.borrow_mut());
            Ok(())
        }
    })
}

/// A CSV writer's output, taken row by row by the piece that owns it.
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
