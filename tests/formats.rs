//! Formats and containers: one labelled record set in every supported format
//! and encoding gives the same findings; hostile archives are reported with a
//! reason while the rest is scanned, within bounded memory.
// See: issue 4

use crate::synth;
use crate::util::*;
use std::collections::BTreeMap;

type Found = Vec<(String, String, u64)>;

/// Findings per top-level file of `dir`: (detector, value, line), sorted.
fn by_top_file(report: &serde_json::Value) -> BTreeMap<String, Vec<(String, String, u64, String)>> {
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap().to_string();
        let top = path.split('!').next().unwrap().to_string();
        out.entry(top).or_default().push((
            f["detector"].as_str().unwrap().to_string(),
            f["value"].as_str().unwrap().to_string(),
            f["line"].as_u64().unwrap(),
            path,
        ));
    }
    out.values_mut().for_each(|v| v.sort());
    out
}

#[test]
fn every_format_and_encoding_gives_the_same_findings() {
    let d = TestDir::new();
    for (rel, bytes) in synth::format_fixtures() {
        d.create_bytes(&rel, &bytes);
    }
    let (report, _, stderr) = scan_revealed(d.path(), &[]);
    assert!(
        report["errors"].as_array().unwrap().is_empty(),
        "{}\n{stderr}",
        report["errors"]
    );
    let files = by_top_file(&report);
    let strip = |v: &[(String, String, u64, String)], lines: bool| -> Found {
        let mut f: Found = v
            .iter()
            .map(|(d, val, l, _)| (d.clone(), val.clone(), if lines { *l } else { 0 }))
            .collect();
        f.sort();
        f
    };
    let base = &files["customers_utf8.csv"];
    assert_eq!(base.len(), 7, "3 IDs and 4 mobiles: {base:?}");
    // Text layers of HTML and PDF have their own line numbering.
    let free_lines = ["page.html", "statement.pdf"];
    let mut checked = 0;
    for (rel, _) in synth::format_fixtures() {
        let mut got = files.get(&rel).cloned().unwrap_or_default();
        if rel == "mail.eml" {
            // The headers hold two addresses; the attachment holds the records.
            let emails = got.iter().filter(|f| f.0 == "email").count();
            assert_eq!(emails, 2, "{got:?}");
            got.retain(|f| f.3 == "mail.eml!customers.csv");
        }
        let lines = !free_lines.contains(&rel.as_str());
        assert_eq!(strip(&got, lines), strip(base, lines), "{rel}");
        checked += 1;
    }
    assert_eq!(checked, 22);
    // Where each form's findings point.
    let path_of = |top: &str| files[top][0].3.clone();
    assert_eq!(path_of("book.xlsx"), "book.xlsx!客户");
    assert_eq!(path_of("nested.zip"), "nested.zip!inner.zip!book.xlsx!客户");
    assert_eq!(path_of("export.tgz"), "export.tgz!export.tar!customers.csv");
    assert_eq!(path_of("deck.pptx"), "deck.pptx!slide1");
    assert_eq!(
        path_of("really_a_zip.txt"),
        "really_a_zip.txt!customers.csv"
    );
    // Formats and encodings are recorded per file.
    let format_of = |p: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == p)
            .map(|f| {
                (
                    f["format"].as_str().unwrap().to_string(),
                    f["encoding"].as_str().unwrap_or("").to_string(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        format_of("customers_utf16be.csv"),
        ("text".into(), "UTF-16BE".into())
    );
    assert_eq!(
        format_of("customers_gb18030.csv"),
        ("text".into(), "GB18030".into())
    );
    assert_eq!(format_of("book.ods!客户").0, "ods");
    assert_eq!(format_of("report.docx").0, "docx");
    assert_eq!(format_of("statement.pdf").0, "pdf");
    // A sheet's header names the column; findings carry the cell's column.
    let sheet: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "book.xlsx!客户")
        .collect();
    assert_eq!(sheet[0]["field"], "身份证号");
    assert_eq!(sheet[0]["column"], 2);
    assert_eq!(sheet[0]["confidence"], "high");
}

#[test]
fn legacy_xls_gives_the_same_findings_as_its_csv() {
    // fixtures/formats/book.xls is made by tools/make_xls.py from the CSV.
    let formats = root().join("fixtures/formats");
    let xls = formats.join("book.xls");
    let csv = formats.join("customers_utf8.csv");
    let (report, _, _) = scan_json(&[
        xls.to_str().unwrap(),
        csv.to_str().unwrap(),
        "-q",
        "--reveal",
    ]);
    let files = by_top_file(&report);
    let of = |key: &str| -> Vec<(String, String, u64)> {
        let (_, v) = files.iter().find(|(k, _)| k.ends_with(key)).expect(key);
        v.iter()
            .map(|(d, val, l, _)| (d.clone(), val.clone(), *l))
            .collect()
    };
    assert_eq!(of("book.xls"), of("customers_utf8.csv"));
    assert!(files.keys().any(|k| k.ends_with("book.xls")));
    let sheet = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["format"] == "xls")
        .unwrap();
    assert!(sheet["path"].as_str().unwrap().ends_with("book.xls!客户"));
}

fn errors_of(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The entry of `errors` (as [`errors_of`] gives them) for `path`.
fn error_for<'e>(
    errors: &'e [(String, String, String)],
    path: &str,
) -> &'e (String, String, String) {
    errors
        .iter()
        .find(|e| e.0 == path)
        .unwrap_or_else(|| panic!("{path} not in errors: {errors:?}"))
}

/// (path, revealed value) of every finding, in report order.
fn path_values(report: &serde_json::Value) -> Vec<(&str, &str)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["value"].as_str().unwrap()))
        .collect()
}

const CSV: &[u8] = "sfzh,sjhm\n110101199003071233,13812345678\n".as_bytes();

#[test]
fn zip_bomb_is_reported_and_the_rest_of_the_archive_scanned() {
    let d = TestDir::new();
    let zeros = vec![b'0'; 64 << 20];
    let bomb = synth::zip_bytes(&[("bomb.txt", &zeros), ("ok.csv", CSV)], &[]);
    assert!(bomb.len() < 1 << 20, "small on disk: {}", bomb.len());
    d.create_bytes("bomb.zip", &bomb);
    let out = leakscan()
        .args(["scan", "--format", "json", "-q"])
        .arg(d.path())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = errors_of(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.0 == "bomb.zip!bomb.txt" && e.2.contains("compression ratio")),
        "{errors:?}"
    );
    assert_eq!(entries_for(&report, "findings", "bomb.zip!ok.csv").len(), 2);
    let rss = report["scan"]["peak_rss_kib"]
        .as_u64()
        .expect("peak RSS on Linux");
    assert!(rss < 64 * 1024, "memory stays bounded: peak RSS {rss} KiB");

    // The total budget trips too, whatever the ratio.
    let (report, _, _) = scan_json(&[
        d.path().to_str().unwrap(),
        "-q",
        "--max-ratio",
        "100000",
        "--max-archive-bytes",
        "8M",
    ]);
    assert!(
        errors_of(&report)
            .iter()
            .any(|e| e.2.contains("--max-archive-bytes")),
        "{:?}",
        errors_of(&report)
    );
}

#[test]
fn truncated_gzip_broken_zip_and_encrypted_member_are_errors() {
    let d = TestDir::new();
    let mut big = String::from("sfzh\n");
    for i in 0..2000 {
        big.push_str(&format!("row {i} 110101199003071233\n"));
    }
    let gz = synth::gzip_bytes(big.as_bytes());
    d.create_bytes("cut.csv.gz", &gz[..gz.len() / 2]);
    let zipped = synth::zip_bytes(&[("a.csv", CSV)], &[]);
    d.create_bytes("broken.zip", &zipped[..zipped.len() - 30]);
    // Mark the first member encrypted (general-purpose flag bit 0) in its
    // local header and in the central directory.
    let mut enc = synth::zip_bytes(&[("secret.csv", CSV), ("open.csv", CSV)], &[]);
    enc[6] |= 1;
    let central = enc.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    enc[central + 8] |= 1;
    d.create_bytes("enc.zip", &enc);
    let (report, code, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    assert_eq!(code, 1, "the readable parts hold core data");
    let errors = errors_of(&report);
    let reason = |p: &str| {
        errors
            .iter()
            .find(|e| e.0 == p)
            .map(|e| e.2.clone())
            .unwrap_or_default()
    };
    assert!(!reason("cut.csv.gz!cut.csv").is_empty(), "{errors:?}");
    assert!(reason("broken.zip").contains("broken zip"), "{errors:?}");
    assert!(
        reason("enc.zip!secret.csv").contains("encrypted"),
        "{errors:?}"
    );
    assert_eq!(
        entries_for(&report, "findings", "enc.zip!open.csv").len(),
        2
    );
    // The part of the gzip before the cut was scanned.
    assert!(!entries_for(&report, "findings", "cut.csv.gz!cut.csv").is_empty());
}

#[test]
fn deep_nesting_stops_at_the_depth_limit() {
    let d = TestDir::new();
    let mut blob = CSV.to_vec();
    let mut name = "data.csv".to_string();
    for i in 0..20 {
        blob = synth::zip_bytes(&[(name.as_str(), &blob)], &[]);
        name = format!("level{i}.zip");
    }
    d.create_bytes("deep.zip", &blob);
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    assert_eq!(report["summary"]["findings_total"], 0);
    let errors = errors_of(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].2.contains("--max-depth 8"), "{errors:?}");
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "--max-depth", "25"]);
    assert_eq!(report["summary"]["findings_total"], 2);
    let path = report["findings"][0]["path"].as_str().unwrap().to_string();
    assert_eq!(path.matches('!').count(), 20, "{path}");
}

#[test]
fn pdf_without_text_layer_is_listed_not_called_clean() {
    let d = TestDir::new();
    d.create_bytes("scan.pdf", &synth::pdf_bytes(&[]));
    d.create_bytes("junk.pdf", b"%PDF-1.4\nthis is not a pdf\n");
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    let errors = errors_of(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.0 == "scan.pdf" && e.2.contains("no text layer")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.0 == "junk.pdf" && e.1 == "pdf"),
        "{errors:?}"
    );
}

#[test]
fn a_pdf_that_hangs_or_crashes_the_parser_is_an_error_and_the_scan_goes_on() {
    let mut rng = synth::Rng(41);
    let (in_pdf, in_csv) = (synth::mobile(&mut rng), synth::id18(&mut rng));
    let d = TestDir::new();
    d.create_bytes("loop.pdf", &synth::pdf_hanging());
    d.create_bytes("deep.pdf", &synth::pdf_deep(200_000));
    d.create_bytes("fine.pdf", &synth::pdf_bytes(&[format!("tel {in_pdf}")]));
    d.create("customers.csv", &format!("name,id\nWang,{in_csv}\n"));
    // Before the parser ran in a child process, loop.pdf never finished
    // and deep.pdf aborted the scan with no report.
    let (report, code, stderr) =
        scan_within(120, d.path(), &["-q", "--reveal", "--parser-timeout", "2"]);
    assert_eq!(code, 1, "core finding in the CSV");
    let errors = errors_of(&report);
    let reason = |path: &str| {
        errors
            .iter()
            .find(|e| e.0 == path && e.1 == "pdf")
            .map(|e| e.2.clone())
            .unwrap_or_else(|| panic!("{path} not in errors: {errors:?}"))
    };
    assert!(reason("loop.pdf").contains("did not finish within 2 s"));
    assert!(reason("deep.pdf").contains("crashed"));
    assert_eq!(errors.len(), 2, "{errors:?}");
    let values = path_values(&report);
    assert!(
        values.contains(&("fine.pdf", in_pdf.as_str())),
        "{values:?}"
    );
    assert!(
        values.contains(&("customers.csv", in_csv.as_str())),
        "{values:?}"
    );
    // The parser's panic messages and the crash stay out of the output.
    assert!(
        !stderr.contains("panicked") && !stderr.contains("overflow"),
        "{stderr}"
    );
}

#[test]
fn a_parser_child_left_without_its_scan_stops_itself() {
    // A scan that is killed cannot kill its children: a child stuck in the
    // PDF parser's loop stops itself at the time limit it was given.
    let out = leakscan()
        .args(["internal-extract", "pdf", "1"])
        .write_stdin(synth::pdf_hanging())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(5), "stopped by its own limit");
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn a_workbook_that_crashes_the_parser_is_an_error_and_the_scan_goes_on() {
    let mut rng = synth::Rng(43);
    let in_csv = synth::id18(&mut rng);
    let d = TestDir::new();
    // The fixture workbook with its header's mini-FAT sector count set to
    // 2^31 - 1: the parser asks for an impossible allocation, which aborted
    // the whole scan before the parser ran in a child process.
    let mut xls = std::fs::read(root().join("fixtures/formats/book.xls")).expect("fixture");
    xls[64..68].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    d.create_bytes("damaged.xls", &xls);
    // A zip that names a workbook part the parser cannot read: it was
    // dropped without an error.
    d.create_bytes(
        "broken.xlsx",
        &synth::zip_bytes(
            &[
                ("xl/workbook.xml", b"<garbage"),
                ("[Content_Types].xml", b"<x/>"),
            ],
            &[],
        ),
    );
    // A well-formed workbook with one cell in the last column of the last
    // row: the parser's grid of all the cells between aborted the scan
    // before its parser ran in a child process, and the child after. Its
    // sheets are read cell by cell now.
    let in_sheet = synth::mobile(&mut rng);
    let far = format!(
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>tel {in_sheet}</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#
    );
    d.create_bytes("sparse.xlsx", &synth::xlsx_book(&[("S", far)]));
    // A 1 KB spreadsheet whose last row is repeated a million times, with
    // a cell repeated 16,384 times: the parser filled 24 GB before the
    // kernel killed it. Its child stops at its memory limit now.
    let in_ods = synth::mobile(&mut rng);
    let repeated = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row><table:table-cell office:value-type="string"><text:p>tel {in_ods}</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    d.create_bytes("repeated.ods", &synth::ods_of_content(&repeated));
    d.create("customers.csv", &format!("name,id\nWang,{in_csv}\n"));
    let (report, code, stderr) = scan_within(
        120,
        d.path(),
        &["-q", "--reveal", "--parser-memory", "256M"],
    );
    assert_eq!(code, 1, "core finding in the CSV");
    let errors = errors_of(&report);
    assert!(
        errors.iter().all(|e| e.0 != "sparse.xlsx"),
        "read whole: {errors:?}"
    );
    assert!(path_values(&report).contains(&("sparse.xlsx!S", in_sheet.as_str())));
    let repeated = error_for(&errors, "repeated.ods");
    assert_eq!(repeated.1, "ods");
    assert!(
        repeated.2.contains("more than 256 MiB of memory")
            && repeated.2.contains("scanned as text"),
        "{repeated:?}"
    );
    // Its value is still found, in the sheet's XML.
    assert!(path_values(&report).contains(&("repeated.ods!content.xml", in_ods.as_str())));
    let damaged = error_for(&errors, "damaged.xls");
    assert!(
        damaged.2.contains("spreadsheet parser crashed"),
        "{damaged:?}"
    );
    assert!(damaged.2.contains("scanned raw"), "{damaged:?}");
    assert_eq!(damaged.1, "xls", "the kind names the parser's format");
    let broken = error_for(&errors, "broken.xlsx");
    assert_eq!(broken.1, "xlsx");
    assert!(
        broken.2.contains("not a readable spreadsheet"),
        "{broken:?}"
    );
    // (damaged.xls has findings too: its strings were scanned raw.)
    let in_csv_found: Vec<_> = path_values(&report)
        .into_iter()
        .filter(|(path, _)| *path == "customers.csv")
        .collect();
    assert_eq!(in_csv_found, [("customers.csv", in_csv.as_str())]);
    assert!(!stderr.contains("memory allocation"), "{stderr}");
}

#[test]
fn damaged_documents_never_stop_the_scan() {
    // Every format fixture, each damaged 12 ways (bytes overwritten,
    // inserted or cut at random places, with a fixed seed), scanned in one
    // run: each file ends up in the report (scanned or in errors), and the
    // scan ends with a report. Run with 150 mutations each before parsers
    // moved to a child process, 109 of the `.xls` copies aborted the scan.
    let formats = root().join("fixtures/formats");
    let mut names: Vec<String> = std::fs::read_dir(&formats)
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .collect();
    names.sort();
    let mut rng = synth::Rng(47);
    let d = TestDir::new();
    let mut made = 0;
    for name in &names {
        let original = std::fs::read(formats.join(name)).expect("fixture");
        for k in 0..12 {
            let mut bytes = original.clone();
            for _ in 0..1 << rng.below(6) {
                let at = rng.below(bytes.len() as u64) as usize;
                match rng.below(5) {
                    0..=2 => bytes[at] = rng.below(256) as u8,
                    3 => bytes
                        .splice(at..at, (0..1 + rng.below(7)).map(|_| rng.below(256) as u8))
                        .for_each(drop),
                    _ => bytes
                        .drain(at..(at + 1 + rng.below(15) as usize).min(bytes.len()))
                        .for_each(drop),
                }
            }
            d.create_bytes(&format!("m{k:02}_{name}"), &bytes);
            made += 1;
        }
    }
    let (report, code, stderr) = scan_within(
        600,
        d.path(),
        &[
            "-q",
            "--fail-on",
            "never",
            "--all-files",
            "--parser-timeout",
            "10",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    // Scanned (with --all-files, also without findings), failed or skipped:
    // by its own path or a member's (`book.xlsx!Sheet1`).
    let seen: std::collections::BTreeSet<&str> = ["files", "errors", "skipped"]
        .iter()
        .flat_map(|k| report[k].as_array().unwrap())
        .map(|e| e["path"].as_str().unwrap().split('!').next().unwrap())
        .collect();
    assert_eq!(seen.len(), made, "{seen:?}");
}

#[test]
fn a_workbook_read_part_way_keeps_its_first_sheets_and_says_why() {
    let mut rng = synth::Rng(53);
    let id = synth::id18(&mut rng);
    let d = TestDir::new();
    let good = synth::sheet_xml(&[
        vec!["姓名".into(), "身份证号".into()],
        vec!["王芳".into(), id.clone()],
    ]);
    let cut = r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is>"#;
    d.create_bytes(
        "book.xlsx",
        &synth::xlsx_book(&[("客户", good), ("坏", cut.to_string())]),
    );
    let (report, code, _) = scan_revealed(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(path_values(&report), [("book.xlsx!客户", id.as_str())]);
    let errors = errors_of(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        ("book.xlsx", "xlsx")
    );
    assert!(errors[0].2.contains("坏"), "names the sheet: {errors:?}");
}

#[test]
fn containers_with_nothing_in_them_are_still_in_the_report() {
    let d = TestDir::new();
    // No members; folders only; an empty zip inside a zip; a presentation
    // without slides. Each gave no outcome at all, so the file was missing
    // from the report even with --all-files.
    d.create_bytes("empty.zip", &synth::zip_bytes(&[], &[]));
    d.create_bytes(
        "folders.zip",
        &synth::zip_bytes(&[("a/", b""), ("a/b/", b"")], &[]),
    );
    let empty = synth::zip_bytes(&[], &[]);
    d.create_bytes(
        "outer.zip",
        &synth::zip_bytes(&[("inner.zip", &empty), ("note.txt", b"hello")], &[]),
    );
    d.create_bytes(
        "deck.pptx",
        &synth::zip_bytes(&[("ppt/presentation.xml", b"<p:presentation/>")], &[]),
    );
    let (report, code, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "--all-files"]);
    assert_eq!(code, 0);
    let files: Vec<(&str, &str)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["format"].as_str().unwrap()))
        .collect();
    for want in [
        ("empty.zip", "zip"),
        ("folders.zip", "zip"),
        ("outer.zip!inner.zip", "zip"),
        ("outer.zip!note.txt", "text"),
        ("deck.pptx", "pptx"),
    ] {
        assert!(files.contains(&want), "{want:?} not in {files:?}");
    }
    assert_eq!(report["summary"]["files_seen"], 5);
    assert!(report["errors"].as_array().unwrap().is_empty());
}

#[test]
fn skip_binary_turns_raw_scanning_off() {
    let d = TestDir::new();
    d.create_bytes("table.db", b"\x00\x01\x02sfzh\x00110101199003071233\x00");
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    assert_eq!(report["summary"]["findings_total"], 1);
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "--skip-binary"]);
    assert_eq!(report["summary"]["findings_total"], 0);
    assert!(report["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("--skip-binary"));
}

#[test]
fn a_long_sheet_is_read_in_pieces_that_keep_its_header() {
    // 10,000 rows, more than one piece of rows from the parser: the rows of
    // the last piece still take their field names from the first row, and
    // keep their row and column numbers (the table starts at column C).
    let mut rng = synth::Rng(59);
    let ids: Vec<String> = (0..10_000).map(|_| synth::id18(&mut rng)).collect();
    let mut xml = String::from(
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="C1" t="inlineStr"><is><t>姓名</t></is></c><c r="D1" t="inlineStr"><is><t>证件号码</t></is></c></row>"#,
    );
    for (i, id) in ids.iter().enumerate() {
        let r = i + 2;
        xml.push_str(&format!(
            r#"<row r="{r}"><c r="C{r}" t="inlineStr"><is><t>客户{i}</t></is></c><c r="D{r}" t="inlineStr"><is><t>{id}</t></is></c></row>"#
        ));
    }
    xml.push_str("</sheetData></worksheet>");
    let d = TestDir::new();
    d.create_bytes("long.xlsx", &synth::xlsx_book(&[("客户", xml)]));
    let (report, code, _) = scan_revealed(d.path(), &[]);
    assert_eq!(code, 1);
    let found: Vec<(String, u64, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["value"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want: Vec<(String, u64, u64, String)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), i as u64 + 2, 4, "证件号码".to_string()))
        .collect();
    assert_eq!(found.len(), want.len());
    assert_eq!(found, want);
    assert_eq!(report["files"][0]["path"], "long.xlsx!客户");
    assert_eq!(report["errors"].as_array().unwrap().len(), 0);
}

#[test]
fn a_pdf_the_parser_cannot_read_has_its_streams_scanned() {
    use std::io::Write;
    // A PDF cut short after its compressed page content (no cross-reference
    // table, no trailer: a download that stopped). The parser gives up;
    // the page's text is still in its inflated content stream.
    let mut rng = synth::Rng(61);
    let (mobile, id) = (synth::mobile(&mut rng), synth::id18(&mut rng));
    let content = format!("BT /F1 11 Tf 50 780 Td (tel {mobile}) Tj T* (ID {id}) Tj ET\n");
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(content.as_bytes()).unwrap();
    let stream = z.finish().unwrap();
    let mut pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n".to_vec();
    pdf.extend_from_slice(
        format!(
            "4 0 obj << /Length {} /Filter /FlateDecode >>\nstream\n",
            stream.len()
        )
        .as_bytes(),
    );
    pdf.extend_from_slice(&stream);
    pdf.extend_from_slice(b"\nendstream\nendobj\n");
    assert!(
        !String::from_utf8_lossy(&pdf).contains(&mobile),
        "the values are only in the compressed stream"
    );
    let d = TestDir::new();
    d.create_bytes("cut.pdf", &pdf);
    let (report, code, _) = scan_revealed(d.path(), &[]);
    assert_eq!(code, 1, "the ID number is core");
    let mut values = path_values(&report);
    values.sort();
    let mut want = vec![("cut.pdf", mobile.as_str()), ("cut.pdf", id.as_str())];
    want.sort();
    assert_eq!(values, want);
    let errors = errors_of(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        ("cut.pdf", "pdf")
    );
    assert!(
        errors[0]
            .2
            .contains("compressed streams were scanned instead"),
        "{errors:?}"
    );
}

#[test]
fn a_sheet_of_many_rows_is_scanned_in_bounded_memory() {
    // 400,000 rows: the scanner held every row of a sheet before rows came
    // in pieces (peak RSS 105 MiB for this workbook; 23 MiB now).
    let mut rng = synth::Rng(67);
    let mut xml = String::from(
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>证件号码</t></is></c></row>"#,
    );
    let rows = 400_000;
    for r in 2..rows + 2 {
        let id = synth::id18(&mut rng);
        xml.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>客户{r}</t></is></c><c r="B{r}" t="inlineStr"><is><t>{id}</t></is></c></row>"#
        ));
    }
    xml.push_str("</sheetData></worksheet>");
    let d = TestDir::new();
    d.create_bytes("long.xlsx", &synth::xlsx_book(&[("客户", xml)]));
    let (report, code, _) = scan_within(300, d.path(), &["-q"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["findings_total"].as_u64(), Some(rows));
    let rss = report["scan"]["peak_rss_kib"]
        .as_u64()
        .expect("peak RSS on Linux");
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
}
