//! The CSV report: one row per listed finding, UTF-8 with a byte-order mark
//! so that Excel on a Chinese Windows opens it as UTF-8. Cells that a
//! spreadsheet would run as a formula (starting with `= + - @`) are prefixed
//! with `'`.

use super::ScanReport;
use std::io::{self, Write};

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// Write the findings of `report` as CSV.
pub fn write(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(BOM)?;
    let mut out = csv::Writer::from_writer(w);
    let reveal = report.scan.options.reveal;
    let mut header = vec![
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
    if reveal {
        header.push("value");
    }
    out.write_record(&header)?;
    for f in &report.findings {
        let (line, column) = (f.line.to_string(), f.column.to_string());
        let mut row = vec![
            cell(&f.path),
            line.as_str().into(),
            column.as_str().into(),
            f.detector.as_str().into(),
            f.tier.as_str().into(),
            cell(match f.confidence {
                crate::detect::Confidence::High => "high",
                crate::detect::Confidence::Medium => "medium",
                crate::detect::Confidence::Low => "low",
            }),
            f.masked.as_str().into(),
            f.fingerprint.to_string().into(),
            cell(f.field.as_deref().unwrap_or_default()),
        ];
        if reveal {
            row.push(f.value.as_deref().unwrap_or_default().into());
        }
        out.write_record(row.iter().map(|c| c.as_ref()))?;
    }
    out.flush()?;
    Ok(())
}
