//! Formats for other tools: SARIF against the 2.1.0 schema, the HTML page
//! in headless Chromium, and no unmasked value in any output.

use crate::synth::{self, Rng};
use crate::util::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command as Process;

fn fixtures() -> String {
    root().join("fixtures").to_string_lossy().into_owned()
}

/// Scan `args` and return (stdout, stderr, exit code).
fn scan_raw(args: &[&str]) -> (String, String, i32) {
    let out = leakscan().arg("scan").args(args).output().expect("runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().expect("exit code"),
    )
}

#[test]
fn sarif_is_valid_sarif_2_1_0_and_carries_every_listed_finding() {
    let mut schema: Value = serde_json::from_slice(
        &std::fs::read(root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    // The published schema's pattern for `language` (on runs and tool
    // components) has a stray `]` that strict regex engines reject;
    // leakscan writes no `language`, so the pattern is set to what it means.
    for def in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][def]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
    }
    let validator = jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .expect("schema compiles");
    // A tree with findings of several tiers, a container member with a
    // space in its name, and an unreadable archive (a notification).
    let mut rng = Rng(51);
    let dir = TestDir::new();
    dir.create(
        "exports/客户 list.csv",
        &format!(
            "id_card,phone\n{},{}\n",
            synth::id18(&mut rng),
            synth::mobile(&mut rng)
        ),
    );
    let member = format!("mail {}\n", synth::email(&mut rng));
    dir.create_bytes(
        "a.zip",
        &synth::zip_bytes(&[("in/x y.txt", member.as_bytes())], &[]),
    );
    dir.create_bytes("broken.zip", b"PK\x03\x04 not really a zip");
    dir.create(
        "approved/list.txt",
        &format!("电话 {}\n", synth::mobile(&mut rng)),
    );
    dir.create(
        ".leakscanignore",
        "path=approved/** reason=approved test list\n",
    );
    for target in [dir.path().to_str().unwrap().to_string(), fixtures()] {
        let (sarif, _, _) = scan_raw(&[&target, "-q", "-f", "sarif", "--show-suppressed"]);
        let doc: Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "schema errors: {errors:#?}");
        assert_eq!(doc["version"], "2.1.0");
        // The validator has teeth: a wrong level is caught.
        let mut broken = doc.clone();
        broken["runs"][0]["results"][0]["level"] = "critical".into();
        assert!(validator.iter_errors(&broken).next().is_some());
        let (json, _, _) = scan_json(&[&target, "-q"]);
        let run = &doc["runs"][0];
        let all = run["results"].as_array().unwrap();
        let (suppressed, results): (Vec<&Value>, Vec<&Value>) =
            all.iter().partition(|r| r.get("suppressions").is_some());
        let findings = json["findings"].as_array().unwrap();
        assert_eq!(results.len(), findings.len());
        assert_eq!(
            suppressed.len() as u64,
            json["summary"]["suppressed_total"].as_u64().unwrap()
        );
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 12);
        for (r, f) in results.iter().zip(findings) {
            assert_eq!(r["ruleId"], f["detector"]);
            assert_eq!(
                rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
                f["detector"]
            );
            assert_eq!(
                r["partialFingerprints"]["leakscanValue/v1"],
                f["fingerprint"]
            );
            let level = match f["tier"].as_str().unwrap() {
                "core" => "error",
                "general" => "warning",
                _ => "note",
            };
            assert_eq!(r["level"], level);
            let region = &r["locations"][0]["physicalLocation"]["region"];
            assert_eq!(region["startLine"], f["line"]);
            assert!(r["message"]["text"]
                .as_str()
                .unwrap()
                .contains(f["masked"].as_str().unwrap()));
        }
        let notes = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        assert_eq!(notes.len(), json["errors"].as_array().unwrap().len());
        if target != fixtures() {
            let uris: Vec<&str> = results
                .iter()
                .map(|r| {
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap()
                })
                .collect();
            assert!(uris.contains(&"a.zip!in/x%20y.txt"), "{uris:?}");
            assert!(
                uris.contains(&"exports/%E5%AE%A2%E6%88%B7%20list.csv"),
                "{uris:?}"
            );
            assert_eq!(notes.len(), 1);
            assert_eq!(suppressed.len(), 1);
            assert_eq!(
                suppressed[0]["suppressions"][0]["justification"],
                "approved test list"
            );
        }
    }
}

/// Chromium, if installed (CI installs it and sets LEAKSCAN_REQUIRE_CHROMIUM=1).
fn chromium() -> Option<&'static str> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    if found.is_none() && std::env::var_os("LEAKSCAN_REQUIRE_CHROMIUM").is_some() {
        panic!("LEAKSCAN_REQUIRE_CHROMIUM is set but Chromium is not installed");
    }
    found
}

#[test]
#[allow(clippy::print_stderr)] // says why the check was skipped
fn html_report_renders_in_headless_chromium_without_errors() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: Chromium not installed (apt-get install chromium)");
        return;
    };
    let out = TestDir::new();
    let page = out.path().join("report.html");
    let (_, _, code) = scan_raw(&[
        &fixtures(),
        "-q",
        "-f",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("src="),
        "no network resources"
    );
    let (json, _, _) = scan_json(&[&fixtures(), "-q"]);
    let profile = out.path().join("profile");
    let run = Process::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&run.stdout);
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "chromium failed: {log}");
    // The page as the browser built it: the tier cards with the report's
    // numbers, one chart bar per detector, the tables.
    for t in ["core", "general", "public"] {
        let n = &json["summary"]["findings_per_tier"][t];
        let card = format!(r#"data-tier="{t}"><b>{n}</b>"#);
        assert!(dom.contains(&card), "tier card {card} in the rendered DOM");
    }
    let detectors = json["summary"]["findings_per_detector"]
        .as_object()
        .unwrap()
        .len();
    assert!(detectors > 3);
    assert_eq!(
        dom.matches(r#"class="bar""#).count(),
        detectors,
        "one bar per detector"
    );
    for id in [
        "chart",
        "detectors",
        "folders",
        "files",
        "findings",
        "errors",
    ] {
        assert!(dom.contains(&format!(r#"id="{id}""#)), "#{id} rendered");
    }
    // Nothing blocked, failed or thrown while loading.
    for bad in ["Refused to", "Uncaught", "net::ERR", "Failed to load"] {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(bad)).collect();
        assert!(hits.is_empty(), "{bad}: {hits:#?}");
    }
}

#[test]
fn no_output_format_leaks_a_value_unless_revealed() {
    let mut rng = Rng(61);
    let id = synth::id18(&mut rng);
    let mobile = synth::mobile(&mut rng);
    let email = synth::email(&mut rng);
    let card = synth::bank_card(&mut rng);
    let imsi = synth::imsi(&mut rng);
    let values = [&id, &mobile, &email, &card, &imsi];
    let dir = TestDir::new();
    dir.create(
        "export.csv",
        &format!("id_card,phone,email,bank_card,imsi\n{id},{mobile},{email},{card},{imsi}\n"),
    );
    dir.create(
        "notes.txt",
        &format!("客户 {id} 电话 {mobile} 邮箱 {email}\n"),
    );
    dir.create_bytes(
        "packed.zip",
        &synth::zip_bytes(&[("inner.txt", format!("卡号 {card}\n").as_bytes())], &[]),
    );
    dir.create_bytes("broken.zip", b"PK\x03\x04 broken");
    let root = dir.path().to_str().unwrap();
    let out = TestDir::new();
    let mut outputs: Vec<(String, String)> = Vec::new();
    for fmt in ["text", "json", "csv", "ndjson", "sarif", "html"] {
        let (stdout, stderr, code) = scan_raw(&[root, "-f", fmt]);
        assert_eq!(code, 1, "{fmt}: {stderr}");
        outputs.push((format!("{fmt} stdout"), stdout));
        outputs.push((format!("{fmt} stderr"), stderr));
        let file = out.path().join(format!("r.{fmt}"));
        let (stdout, stderr, _) = scan_raw(&[root, "-f", fmt, "-o", file.to_str().unwrap()]);
        outputs.push((format!("{fmt} -o stdout"), stdout));
        outputs.push((format!("{fmt} -o stderr"), stderr));
        outputs.push((
            format!("{fmt} file"),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    // diff output too.
    let a = out.path().join("r.json");
    let d = leakscan().args(["diff"]).arg(&a).arg(&a).output().unwrap();
    outputs.push((
        "diff".into(),
        String::from_utf8_lossy(&d.stdout).into_owned(),
    ));
    for (what, text) in &outputs {
        for v in values {
            assert!(!text.contains(v.as_str()), "{what} leaks a value");
        }
    }
    // The check has teeth: with --reveal the values are there.
    let (revealed, stderr, _) = scan_raw(&[root, "-f", "json", "--reveal"]);
    assert!(stderr.contains("--reveal puts unmasked personal data"));
    for v in values {
        assert!(
            revealed.contains(v.as_str()),
            "revealed report holds every value"
        );
    }
}

/// The text summary prints counts only: its scan keeps no findings, and
/// still counts as listed what a JSON report of the same scan lists.
#[test]
fn text_summary_keeps_no_findings_and_counts_the_listed_ones() {
    let fx = fixtures();
    let args = [
        fx.as_str(),
        "--max-findings-per-file",
        "3",
        "--fail-on",
        "never",
    ];
    let (json, _, code) = scan_raw(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&json).expect("json report");
    let (total, listed) = (
        json["summary"]["findings_total"].as_u64().expect("total"),
        json["summary"]["findings_listed"].as_u64().expect("listed"),
    );
    assert!(listed > 0 && listed < total, "the cap leaves some unlisted");
    let (text, _, code) = scan_raw(&args);
    assert_eq!(code, 0);
    let want = format!("findings: {total} (");
    let line = text
        .lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no findings line in {text}"));
    assert!(line.ends_with(&format!("; {listed} listed")), "{line}");

    // The library's report behind that summary holds no finding entries.
    let mut opts = leakscan::options::ScanOptions {
        roots: vec![Path::new(&fx).to_path_buf()],
        max_findings_per_file: 3,
        findings_kept: Some(0),
        ..Default::default()
    };
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut progress = leakscan::progress::Progress::new(false);
    let report = leakscan::scan(&opts, &mut progress, None, &cancel).expect("scan");
    assert!(report.findings.is_empty());
    assert_eq!(report.summary.findings_listed, listed);
    assert_eq!(report.summary.findings_total, total);
    opts.findings_kept = None;
    let report = leakscan::scan(&opts, &mut progress, None, &cancel).expect("scan");
    assert_eq!(report.findings.len() as u64, listed);
}

/// The HTML page shows the first findings of the report: kept as it scans
/// (at most twice the sample), they are the JSON report's first ones.
#[test]
fn html_sample_is_the_reports_first_findings() {
    let dir = TestDir::new();
    let mut rng = Rng(77);
    // 12 files of 60 numbers: 720 listed, more than twice the sample. The
    // walk reads `a/` before `a-b/`, the report puts `a-b/` first ('-' sorts
    // before '/'): the first findings to arrive are not the first listed.
    for f in 0..12 {
        let text: String = (0..60)
            .map(|_| format!("手机号码 {}\n", synth::mobile(&mut rng)))
            .collect();
        dir.create(
            &format!("{}/notes_{f}.txt", ["a", "a-b", "b"][f % 3]),
            &text,
        );
    }
    let root = dir.path().to_str().unwrap();
    let (json, _, _) = scan_raw(&[root, "-f", "json", "--fail-on", "never"]);
    let json: Value = serde_json::from_str(&json).expect("json report");
    let listed = json["findings"].as_array().expect("findings");
    assert_eq!(listed.len(), 720);
    let (html, _, code) = scan_raw(&[root, "-f", "html", "--fail-on", "never"]);
    assert_eq!(code, 0);
    assert!(
        html.contains("Findings (first 200 of 720 listed"),
        "heading"
    );
    let table = &html[html
        .find(r#"<table id="findings">"#)
        .expect("findings table")..];
    let table = &table[..table.find("</table>").expect("table end")];
    let shown: Vec<(String, String)> = table
        .split("<tr><td>")
        .skip(1)
        .map(|row| {
            let cells: Vec<&str> = row.split("</td><td>").collect();
            (cells[0].to_string(), cells[5].to_string())
        })
        .collect();
    let first: Vec<(String, String)> = listed[..200]
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                format!("<code>{}</code>", f["masked"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(shown, first);
}

/// CSV rows are written in parallel pieces (of 1,024): across several
/// pieces they are the JSON report's findings, in its order, with field
/// names that need quoting and a formula guard.
#[test]
fn csv_rows_are_the_json_findings_in_order() {
    let dir = TestDir::new();
    let mut rng = Rng(91);
    for f in 0..3 {
        let mut text = String::from("name,\"手机,号码\",=mobile\n");
        for i in 0..900 {
            let (a, b) = (synth::mobile(&mut rng), synth::mobile(&mut rng));
            text.push_str(&format!("客户{i},{a},{b}\n"));
        }
        dir.create(&format!("t{f}.csv"), &text);
    }
    let root = dir.path().to_str().unwrap();
    let args = [root, "--max-findings-per-file", "0", "--fail-on", "never"];
    let (json, _, _) = scan_raw(&[&args[..], &["-f", "json"]].concat());
    let json: Value = serde_json::from_str(&json).expect("json report");
    let want: Vec<Vec<String>> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().map_or_else(|| f[k].to_string(), String::from);
            let field = s("field");
            let field = if field.starts_with('=') {
                format!("'{field}")
            } else {
                field
            };
            vec![
                s("path"),
                s("line"),
                s("column"),
                s("detector"),
                s("tier"),
                s("confidence"),
                s("masked"),
                s("fingerprint"),
                field,
            ]
        })
        .collect();
    assert_eq!(want.len(), 5400);
    let (csv_text, _, _) = scan_raw(&[&args[..], &["-f", "csv"]].concat());
    let body = csv_text.strip_prefix('\u{feff}').expect("BOM");
    let got: Vec<Vec<String>> = csv::Reader::from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("a CSV row").iter().map(String::from).collect())
        .collect();
    assert_eq!(got, want);
}
