//! The HTML report (`--format html`): one self-contained page for auditors
//! with tier totals, a chart of findings per detector, the top folders and
//! files, the detector breakdown, a sample of masked findings and what
//! could not be read. No scripts, no fonts, no images from anywhere: a
//! Content-Security-Policy of `default-src 'none'` forbids every network
//! request. Values are always masked here, even with `--reveal`.

use super::{FileEntry, ScanReport};
use crate::classify::Tier;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Rows shown in the top-folder and top-file tables.
const TOP: usize = 15;
/// Findings shown in the sample table.
pub const SAMPLE: usize = 200;

/// Escape text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn tier_label(t: Tier) -> &'static str {
    match t {
        Tier::Core => "core 核心敏感",
        Tier::General => "general 一般敏感",
        Tier::Public => "public 非敏感",
    }
}

fn colour(t: Tier) -> &'static str {
    match t {
        Tier::Core => "#c0392b",
        Tier::General => "#d68910",
        Tier::Public => "#2e86c1",
    }
}

/// The folder a report path is in (a container member: its outer file's folder).
fn folder(path: &str) -> &str {
    let outer = path.split('!').next().unwrap_or(path);
    outer.rfind('/').map_or(".", |i| &outer[..i])
}

/// Folders by (tier, findings, files), highest first.
fn top_folders(files: &[FileEntry]) -> Vec<(&str, Tier, u64, u64)> {
    let mut by: BTreeMap<&str, (Tier, u64, u64)> = BTreeMap::new();
    for f in files.iter().filter(|f| f.findings > 0) {
        let e = by.entry(folder(&f.path)).or_insert((Tier::Public, 0, 0));
        e.0 = e.0.max(f.tier);
        e.1 += f.findings;
        e.2 += 1;
    }
    let mut v: Vec<_> = by.into_iter().map(|(d, (t, n, c))| (d, t, n, c)).collect();
    v.sort_by(|a, b| (b.1, b.2).cmp(&(a.1, a.2)).then(a.0.cmp(b.0)));
    v
}

/// The chart: one bar per detector, coloured by its tier.
fn chart(report: &ScanReport) -> String {
    let s = &report.summary;
    let rows: Vec<_> = s.findings_per_detector.iter().collect();
    let max = rows.iter().map(|(_, c)| c.total).max().unwrap_or(0).max(1);
    let (w, bar, gap, label) = (640.0, 22.0, 8.0, 150.0);
    let h = (rows.len().max(1) as f64) * (bar + gap) + gap;
    let mut svg = format!(
        r#"<svg id="chart" role="img" aria-label="findings per detector" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    for (i, (d, c)) in rows.iter().enumerate() {
        let tier = report.scan.policy.tier(d);
        let y = gap + i as f64 * (bar + gap);
        let len = (w - label - 90.0) * c.total as f64 / max as f64;
        let _ = write!(
            svg,
            r#"<text x="{tx}" y="{ty}" text-anchor="end" font-size="13">{name}</text><rect class="bar" x="{label}" y="{y}" width="{len:.1}" height="{bar}" fill="{fill}"><title>{name}: {n}</title></rect><text x="{vx:.1}" y="{ty}" font-size="13">{n}</text>"#,
            tx = label - 8.0,
            ty = y + 16.0,
            name = esc(d.as_str()),
            fill = colour(tier),
            vx = label + len + 6.0,
            n = c.total,
        );
    }
    if rows.is_empty() {
        svg.push_str(r#"<text x="10" y="20" font-size="13">no findings</text>"#);
    }
    svg.push_str("</svg>");
    svg
}

fn table(out: &mut String, id: &str, head: &[&str], rows: impl Iterator<Item = Vec<String>>) {
    let _ = write!(out, r#"<table id="{id}"><thead><tr>"#);
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    let mut any = false;
    for row in rows {
        any = true;
        out.push_str("<tr>");
        for cell in row {
            // Cells are escaped by the caller (some hold markup).
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    if !any {
        let _ = write!(out, r#"<tr><td colspan="{}">none</td></tr>"#, head.len());
    }
    out.push_str("</tbody></table>");
}

fn badge(t: Tier) -> String {
    format!(
        r#"<span class="tier" style="background:{}">{}</span>"#,
        colour(t),
        t.as_str()
    )
}

/// Write `report` as one HTML page.
pub fn write(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let scan = &report.scan;
    let mut b = String::new();
    let roots = scan.roots.join(", ");
    let _ = write!(
        b,
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leakscan report: {title}</title>
<style>
body{{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:72em}}
h1{{font-size:1.5em}} h2{{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}}
table{{border-collapse:collapse;margin:.5em 0}} th,td{{border:1px solid #ddd;padding:.25em .6em;text-align:left;font-size:.9em}}
th{{background:#f4f4f4}} td.n{{text-align:right}} .tier{{color:#fff;border-radius:3px;padding:0 .4em;font-size:.85em}}
.cards{{display:flex;gap:1em;flex-wrap:wrap}} .card{{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}}
.card b{{font-size:1.6em;display:block}} .warn{{color:#c0392b}} code{{font-size:.9em}}
</style></head><body>
<h1>leakscan report</h1>
<p>Roots: <code>{roots}</code> · started {start} · {dur:.1} s · leakscan {version}{interrupted}</p>
"#,
        title = esc(&roots),
        roots = esc(&roots),
        start = esc(&scan.started_at),
        dur = scan.duration_ms as f64 / 1000.0,
        version = esc(&report.version),
        interrupted = if scan.interrupted {
            r#" · <b class="warn">interrupted: partial report</b>"#
        } else {
            ""
        },
    );
    b.push_str(r#"<h2>Tier totals</h2><div class="cards" id="tiers">"#);
    for t in Tier::ALL {
        let _ = write!(
            b,
            r#"<div class="card" style="border-top:4px solid {c}" data-tier="{t}"><b>{n}</b>findings · {label}<br>{f} files</div>"#,
            c = colour(t),
            t = t.as_str(),
            n = s.findings_per_tier.get(t),
            label = tier_label(t),
            f = s.files_per_tier.get(t),
        );
    }
    let _ = write!(
        b,
        r#"</div><p>{scanned} files scanned ({bytes} bytes), {with} with findings, {skipped} skipped, {failed} failed; {total} findings, {listed} listed{sup}.</p>"#,
        scanned = s.files_scanned,
        bytes = s.bytes_scanned,
        with = s.files_with_findings,
        skipped = s.files_skipped,
        failed = s.files_failed,
        total = s.findings_total,
        listed = s.findings_listed,
        sup = if s.suppressed_total > 0 {
            format!("; {} suppressed", s.suppressed_total)
        } else {
            String::new()
        },
    );
    b.push_str("<h2>Findings per detector</h2>");
    b.push_str(&chart(report));
    table(
        &mut b,
        "detectors",
        &["detector", "tier", "findings", "distinct values"],
        s.findings_per_detector.iter().map(|(d, c)| {
            let tier = scan.policy.tier(d);
            vec![
                esc(d.as_str()),
                badge(tier),
                c.total.to_string(),
                c.distinct.to_string(),
            ]
        }),
    );
    b.push_str("<h2>Top folders</h2>");
    table(
        &mut b,
        "folders",
        &["folder", "tier", "findings", "files"],
        top_folders(&report.files)
            .into_iter()
            .take(TOP)
            .map(|(d, t, n, c)| vec![esc(d), badge(t), n.to_string(), c.to_string()]),
    );
    let files = report.top_files();
    b.push_str("<h2>Top files</h2>");
    table(
        &mut b,
        "files",
        &["file", "tier", "findings", "detectors", "escalation"],
        files.iter().take(TOP).map(|f| {
            let dets: Vec<String> = f
                .detectors
                .iter()
                .map(|(d, c)| format!("{d} {}", c.total))
                .collect();
            vec![
                esc(&f.path),
                badge(f.tier),
                f.findings.to_string(),
                esc(&dets.join(", ")),
                esc(&f.escalations.join("; ")),
            ]
        }),
    );
    let _ = write!(
        b,
        "<h2>Findings (first {} of {} listed; values masked)</h2>",
        SAMPLE.min(report.findings.len()),
        report.summary.findings_listed
    );
    table(
        &mut b,
        "findings",
        &[
            "file",
            "line",
            "detector",
            "tier",
            "confidence",
            "masked",
            "field",
        ],
        report.findings.iter().take(SAMPLE).map(|f| {
            vec![
                esc(&f.path),
                f.line.to_string(),
                esc(f.detector.as_str()),
                badge(f.tier),
                f.confidence.as_str().to_string(),
                format!("<code>{}</code>", esc(&f.masked)),
                esc(f.field.as_deref().unwrap_or("")),
            ]
        }),
    );
    b.push_str("<h2>Not read</h2>");
    table(
        &mut b,
        "errors",
        &["path", "kind", "reason"],
        report
            .errors
            .iter()
            .map(|e| vec![esc(&e.path), esc(&e.kind), esc(&e.reason)]),
    );
    b.push_str("</body></html>\n");
    w.write_all(b.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_folders_found() {
        assert_eq!(
            esc(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(folder("a/b/c.csv"), "a/b");
        assert_eq!(folder("a/x.zip!in/y.csv"), "a");
        assert_eq!(folder("top.csv"), ".");
    }
}
