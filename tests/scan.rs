//! Findings on the labelled fixtures, encodings, and the walk's edge cases.

use crate::util::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

#[test]
fn fixtures_give_exactly_the_labelled_findings() {
    let fixtures = root().join("fixtures");
    // formats/ holds one record set in every format: see tests/formats.rs.
    let (report, code, _) = scan_revealed(&fixtures, &["--exclude", "formats"]);
    assert_eq!(code, 1, "fixtures hold core findings");
    let got = finding_set(&report);
    let want = expected_fixture_findings();
    let missed: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed {missed:#?}\nextra {extra:#?}"
    );
    assert!(want.len() > 100, "the fixtures are labelled");
}

#[test]
fn gbk_export_finds_same_ids_as_utf8() {
    let fixtures = root().join("fixtures");
    let (report, _, _) = scan_json(&[fixtures.to_str().unwrap(), "--reveal", "-q"]);
    let of = |path: &str| {
        entries_for(&report, "findings", path)
            .iter()
            .map(|f| {
                (
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                    f["detector"].as_str().unwrap().to_string(),
                    f["value"].as_str().unwrap().to_string(),
                    f["field"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let utf8 = of("customers.csv");
    assert_eq!(utf8.len(), 16);
    assert_eq!(utf8, of("customers_gbk.csv"));
    let gbk_file = &entries_for(&report, "files", "customers_gbk.csv")[0];
    assert_eq!(gbk_file["encoding"], "GB18030");
    assert_eq!(
        entries_for(&report, "files", "windows_export_utf16.txt")[0]["encoding"],
        "UTF-16LE"
    );
}

#[test]
fn table_header_names_the_field_and_raises_confidence() {
    let d = TestDir::new();
    d.create("x.csv", "姓名,证件号码,备注\n张三,110101199003071233,无\n");
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    let f = &report["findings"][0];
    assert_eq!(f["field"], "证件号码");
    assert_eq!(f["confidence"], "high");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(4))
    );
}

#[test]
fn first_row_of_data_is_not_taken_for_a_header() {
    let d = TestDir::new();
    d.create(
        "noheader.csv",
        "张三,110101199003071233,13812345678\n李四,11010119900307109X,13912345678\n",
    );
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 4);
    let text = report.to_string();
    assert!(
        !text.contains("13812345678"),
        "a data row's cells must not become field names"
    );
}

fn is_root(d: &TestDir) -> bool {
    std::fs::metadata(d.path()).unwrap().uid() == 0
}

#[test]
fn unreadable_file_and_fifo_are_listed_and_the_scan_completes() {
    let d = TestDir::new();
    d.create("good.txt", "身份证 110101199003071233\n");
    let secret = d.create("unreadable.txt", "身份证 11010119900307109X\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::create_dir(d.path().join("locked")).unwrap();
    d.create("locked/inner.txt", "x");
    std::fs::set_permissions(
        d.path().join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let fifo = d.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();

    // Root reads anything: drop to `nobody` to make the permission bits count.
    let mut cmd = if is_root(&d) {
        let bin = d.path().join("leakscan-bin");
        std::fs::copy(assert_cmd::cargo::cargo_bin("leakscan"), &bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut c = assert_cmd::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c.env("LEAKSCAN_HASH_KEY", KEY);
        c
    } else {
        leakscan()
    };
    let out = cmd
        .args(["scan", "--format", "json", "--exclude", "leakscan-bin"])
        .arg(d.path())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the readable file's ID is core; errors do not change 0/1"
    );
    assert_eq!(entries_for(&report, "findings", "good.txt").len(), 1);

    let err = |p: &str| {
        entries_for(&report, "errors", p)
            .first()
            .map(|e| (e["kind"].clone(), e["reason"].clone()))
    };
    let (kind, reason) = err("unreadable.txt").expect("unreadable file listed");
    assert_eq!(kind, "io");
    assert!(
        reason.as_str().unwrap().contains("Permission denied"),
        "{reason}"
    );
    let (kind, reason) = err("pipe").expect("FIFO listed");
    assert_eq!(kind, "special");
    assert!(reason.as_str().unwrap().contains("FIFO"), "{reason}");
    let (kind, _) = err("locked").expect("unreadable folder listed");
    assert_eq!(kind, "walk");
    assert_eq!(report["summary"]["files_skipped"], 1, "the FIFO");
    assert_eq!(report["summary"]["files_failed"], 2);
    assert!(
        stderr.contains("unreadable.txt") && stderr.contains("pipe"),
        "{stderr}"
    );
    assert!(!stderr.contains("11010119900307109X"));
}

#[test]
fn symlinks_skipped_by_default_and_loops_reported_when_followed() {
    let d = TestDir::new();
    d.create("real/a.txt", "手机 13812345678\n");
    std::os::unix::fs::symlink(d.path().join("real"), d.path().join("real/loop")).unwrap();
    std::os::unix::fs::symlink(d.path().join("real/a.txt"), d.path().join("alias.txt")).unwrap();
    let root = d.path().to_str().unwrap();

    let (report, _, _) = scan_json(&[root, "-q"]);
    assert_eq!(report["summary"]["findings_total"], 1);
    assert_eq!(
        report["skipped"].as_array().unwrap().len(),
        2,
        "{}",
        report["skipped"]
    );

    let (report, _, _) = scan_json(&[root, "-q", "--follow"]);
    assert_eq!(
        report["summary"]["findings_total"], 2,
        "a.txt and its alias"
    );
    let loops = entries_for(&report, "errors", "real/loop");
    assert_eq!(loops.len(), 1, "{}", report["errors"]);
    assert!(loops[0]["reason"].as_str().unwrap().contains("loop"));
}

#[test]
fn hidden_files_are_scanned_and_excludes_and_size_limits_apply() {
    let d = TestDir::new();
    d.create(".git/secrets.txt", "手机 13812345678\n");
    d.create("vendor/x.txt", "手机 13912345678\n");
    d.create(
        "big.txt",
        &format!("手机 15012345678\n{}", "x".repeat(5000)),
    );
    let (report, _, _) = scan_json(&[
        d.path().to_str().unwrap(),
        "-q",
        "--exclude",
        "vendor",
        "--max-file-size",
        "4K",
    ]);
    let paths: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].clone())
        .collect();
    assert_eq!(paths, [".git/secrets.txt"]);
    assert_eq!(report["skipped"][0]["path"], "big.txt");
    assert!(report["skipped"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("max-file-size"));
}

#[test]
fn binary_files_are_scanned_raw_with_lower_confidence() {
    let d = TestDir::new();
    let mut bytes = b"\x00\x01\x02header\x00".to_vec();
    bytes.extend_from_slice(b"110101199003071233\x00sfzh\x0011010119900307109X\x00");
    d.create_bytes("table.db", &bytes);
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    assert_eq!(report["files"][0]["encoding"], "binary");
    let conf: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["confidence"].clone())
        .collect();
    // The line holds the hotword `sfzh`: high becomes medium in binary data.
    assert_eq!(conf, ["medium", "medium"]);
}

#[test]
fn legacy_15_digit_ids_need_context_unless_asked_for() {
    let d = TestDir::new();
    d.create("a.txt", "ref 110101900307123\n身份证 110101900307124\n");
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    assert_eq!(report["summary"]["findings_total"], 1);
    assert_eq!(report["findings"][0]["line"], 2);
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "--min-confidence", "low"]);
    assert_eq!(report["summary"]["findings_total"], 2);
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "--min-confidence", "high"]);
    assert_eq!(report["summary"]["findings_total"], 0);
}

#[test]
fn every_written_form_of_a_value_normalises_alike() {
    // See: issue 3 — full-width digits, +86 and separators, tel:, (010),
    // lower-case x, IDs split by spaces in printed forms.
    let d = TestDir::new();
    let mobiles = [
        "手机：１３８１２３４５６７８",
        "mobile +86 138 1234 5678",
        "tel:+8613812345678",
        "联系 138-1234-5678",
        "call ＋８６－１３８－１２３４－５６７８ now",
    ];
    let landlines = [
        "(010) 6234 5678",
        "（０１０）６２３４５６７８",
        "010-62345678",
        "+86 10 6234 5678",
    ];
    let ids = [
        "110101199003071233",
        "１１０１０１１９９００３０７１２３３",
        "110101 19900307 1233",
        "110101 1990 0307 1233",
    ];
    let x_ids = [
        "11010119900307109x",
        "11010119900307109X",
        "１１０１０１１９９００３０７１０９ｘ",
    ];
    let mut text = String::new();
    for l in mobiles.iter().chain(&landlines).chain(&ids).chain(&x_ids) {
        text.push_str(l);
        text.push('\n');
    }
    d.create("forms.txt", &text);
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "--reveal"]);
    let by_line: Vec<(u64, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["detector"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want = Vec::new();
    let mut line = 0;
    for (n, det, v) in [
        (mobiles.len(), "cn_mobile", "13812345678"),
        (landlines.len(), "cn_landline", "01062345678"),
        (ids.len(), "cn_resident_id", "110101199003071233"),
        (x_ids.len(), "cn_resident_id", "11010119900307109X"),
    ] {
        for _ in 0..n {
            line += 1;
            want.push((line, det.to_string(), v.to_string()));
        }
    }
    assert_eq!(by_line, want);
    // Full-width characters stay one column each.
    let fw = &report["findings"][0];
    assert_eq!(fw["column"], 4);
}

#[test]
fn json_keys_and_log_pairs_name_the_field() {
    let d = TestDir::new();
    d.create(
        "events.ndjson",
        "{\"event\":\"kyc\",\"id_card\":\"110101199003071233\",\"order_no\":\"11010119900307109X\"}\n",
    );
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q"]);
    let f = report["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "the value under order_no is suspect: {f:?}");
    assert_eq!(f[0]["field"], "id_card");
    assert_eq!(f[0]["confidence"], "high");
    let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "--min-confidence", "low"]);
    assert_eq!(report["findings"][1]["field"], "order_no");
    assert_eq!(report["findings"][1]["confidence"], "low");
}
