//! The JSON report: the [`ScanReport`] serialised as one
//! pretty-printed object (schema in the `report` module docs).

use super::ScanReport;
use std::io::{self, Write};

/// Write `report` as JSON followed by a newline.
pub fn write(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report)?;
    writeln!(w)
}
