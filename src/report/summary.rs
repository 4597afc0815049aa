//! The human summary for the terminal: totals, counts per tier and detector,
//! the files that matter most, and what could not be read. Values never
//! appear here, masked or not.

use super::ScanReport;
use std::io::{self, Write};

/// How many files the summary lists.
const TOP_FILES: usize = 10;

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Write the summary of `report`.
pub fn write(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(
        w,
        "leakscan {}: scanned {} file{} ({}) in {:.2} s; {} skipped, {} failed",
        report.version,
        s.files_scanned,
        if s.files_scanned == 1 { "" } else { "s" },
        human_bytes(s.bytes_scanned),
        report.scan.duration_ms as f64 / 1000.0,
        s.files_skipped,
        s.files_failed,
    )?;
    let t = &s.findings_per_tier;
    writeln!(
        w,
        "findings: {} (core {}, general {}, public {}); {} listed",
        s.findings_total, t.core, t.general, t.public, s.findings_listed
    )?;
    for (d, c) in &s.findings_per_detector {
        let tier = report.scan.policy.tier(d);
        writeln!(
            w,
            "  {:<16} {:>9} ({} distinct)  {}",
            d.as_str(),
            c.total,
            c.distinct,
            tier
        )?;
    }
    if let Some(b) = &s.baseline {
        writeln!(
            w,
            "against the baseline: {} new (core {}, general {}, public {}), {} known, {} resolved",
            b.new,
            b.new_per_tier.core,
            b.new_per_tier.general,
            b.new_per_tier.public,
            b.known,
            b.resolved
        )?;
    }
    if s.suppressed_total > 0 || !s.suppressed_per_rule.is_empty() {
        writeln!(
            w,
            "suppressed: {} findings by {} rules",
            s.suppressed_total,
            s.suppressed_per_rule.len()
        )?;
        for r in &s.suppressed_per_rule {
            writeln!(w, "  {:>9}  {}  ({})", r.findings, r.rule, r.reason)?;
        }
    }
    let f = &s.files_per_tier;
    writeln!(
        w,
        "files: core {}, general {}, public {} ({} with findings)",
        f.core, f.general, f.public, s.files_with_findings
    )?;
    let top = report.top_files();
    if !top.is_empty() {
        writeln!(w, "top files:")?;
    }
    for file in top.iter().take(TOP_FILES) {
        write!(
            w,
            "  {:<8} {:>7}  {}",
            file.tier.as_str(),
            file.findings,
            file.path
        )?;
        if !file.escalations.is_empty() {
            write!(w, "  [{}]", file.escalations.join("; "))?;
        }
        writeln!(w)?;
    }
    if top.len() > TOP_FILES {
        writeln!(
            w,
            "  … and {} more files with findings",
            top.len() - TOP_FILES
        )?;
    }
    if !report.errors.is_empty() {
        writeln!(
            w,
            "not read: {} (see the report's errors)",
            report.errors.len()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
