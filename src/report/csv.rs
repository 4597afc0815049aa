//! The CSV report: one row per listed finding, UTF-8 with a byte-order mark
//! so that Excel on a Chinese Windows opens it as UTF-8. Cells that a
//! spreadsheet would run as a formula (starting with `= + - @`) are prefixed
//! with `'`.

use super::{FindingEntry, ScanReport};
use std::borrow::Cow;
use std::io::{self, Write};

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
    let mut out = csv::Writer::from_writer(w);
    let reveal = report.scan.options.reveal;
    let mut header = FINDING_COLUMNS.to_vec();
    if reveal {
        header.push("value");
    }
    out.write_record(&header)?;
    for f in &report.findings {
        let mut row = finding_cells(f);
        if reveal {
            row.push(f.value.as_deref().unwrap_or_default().into());
        }
        out.write_record(row.iter().map(|c| c.as_ref()))?;
    }
    out.flush()?;
    Ok(())
}
