//! The audit workflow: suppressions, baselines and `diff`, shards and `merge`.

use crate::synth::{self, Rng};
use crate::util::*;
use serde_json::Value;

/// A small tree with known values: (dir, ids, mobiles).
fn tree(seed: u64) -> (TestDir, Vec<String>, Vec<String>) {
    let mut rng = Rng(seed);
    let ids: Vec<String> = (0..6).map(|_| synth::id18(&mut rng)).collect();
    let mobiles: Vec<String> = (0..6).map(|_| synth::mobile(&mut rng)).collect();
    let dir = TestDir::new();
    dir.create(
        "exports/customers.csv",
        &format!(
            "name,id_card,phone\n张三,{},{}\n李四,{},{}\n",
            ids[0], mobiles[0], ids[1], mobiles[1]
        ),
    );
    dir.create(
        "testdata/sample.txt",
        &format!("身份证号 {} 电话 {}\n", ids[2], mobiles[2]),
    );
    dir.create("docs/team.md", &format!("联系电话：{}\n", mobiles[3]));
    dir.create("docs/notes.txt", &format!("客户身份证 {}\n", ids[3]));
    (dir, ids, mobiles)
}

fn findings(r: &Value, section: &str) -> Vec<(String, String, String)> {
    r[section]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["path"].as_str().unwrap().to_string(),
                        f["detector"].as_str().unwrap().to_string(),
                        f["value"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn suppressions_hide_counted_findings_with_their_reasons() {
    let (dir, ids, mobiles) = tree(11);
    // First find the fingerprint of one value to accept.
    let (full, code, _) = scan_revealed(dir.path(), &["--no-ignore-file"]);
    assert_eq!(code, 1, "core findings");
    assert_eq!(full["summary"]["findings_total"], 8);
    let fp = full["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["value"] == ids[3].as_str())
        .expect("notes id")["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    dir.create(
        ".leakscanignore",
        &format!(
            "# accepted findings\n\
             path=testdata/** reason=synthetic test data (SEC-1)\n\
             detector=cn_mobile path=*.md reason=published team contact\n\
             fingerprint={fp} reason=approved extract SEC-2\n\
             path=nowhere/** reason=matches nothing\n"
        ),
    );
    // Found in the scanned folder by default.
    let (r, code, stderr) = scan_revealed(dir.path(), &["--show-suppressed"]);
    assert_eq!(code, 1, "customers.csv is still core: {stderr}");
    let s = &r["summary"];
    assert_eq!(s["findings_total"], 4, "only customers.csv is left");
    assert_eq!(s["suppressed_total"], 4);
    let per_rule: Vec<(u64, &str)> = s["suppressed_per_rule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["findings"].as_u64().unwrap(),
                x["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_rule,
        [
            (2, "synthetic test data (SEC-1)"),
            (1, "published team contact"),
            (1, "approved extract SEC-2"),
            (0, "matches nothing"),
        ]
    );
    let listed = findings(&r, "suppressed");
    assert_eq!(listed.len(), 4);
    assert!(listed.contains(&(
        "docs/team.md".into(),
        "cn_mobile".into(),
        mobiles[3].clone()
    )));
    assert!(listed.contains(&(
        "docs/notes.txt".into(),
        "cn_resident_id".into(),
        ids[3].clone()
    )));
    let sup = &r["suppressed"][0];
    assert!(sup["suppressed_by"]
        .as_str()
        .unwrap()
        .ends_with(".leakscanignore:4"));
    // Kept findings are not suppressed ones.
    let kept = findings(&r, "findings");
    assert_eq!(kept.len(), 4);
    assert!(kept.iter().all(|(p, _, _)| p == "exports/customers.csv"));
    // The file stays visible with its count.
    let team = entries_for(&r, "files", "docs/team.md");
    assert_eq!(team[0]["suppressed"], 1);
    assert_eq!(team[0]["findings"], 0);
    // Without --show-suppressed they are counted, not listed.
    let (r2, _, _) = scan_revealed(dir.path(), &[]);
    assert!(r2.get("suppressed").is_none());
    assert_eq!(r2["summary"]["suppressed_total"], 4);
    // Accepting everything that is core turns the exit code to 0.
    let extra = dir.create(
        "more.ignore",
        "path=exports/customers.csv reason=contract export, DPA signed\n",
    );
    let (r3, code, _) = scan_revealed(
        dir.path(),
        &[
            "--ignore-file",
            dir.path().join(".leakscanignore").to_str().unwrap(),
            "--ignore-file",
            extra.to_str().unwrap(),
        ],
    );
    assert_eq!(r3["summary"]["findings_total"], 0);
    assert_eq!(r3["summary"]["suppressed_total"], 8);
    assert_eq!(code, 0);
    // --no-ignore-file ignores the file in the folder.
    let (r4, _, _) = scan_revealed(dir.path(), &["--no-ignore-file"]);
    assert_eq!(r4["summary"]["suppressed_total"], 0);
}

#[test]
fn a_rule_without_a_reason_is_a_usage_error() {
    let dir = TestDir::new();
    dir.create("a.txt", "nothing\n");
    let ign = dir.create("bad.ignore", "# ok\npath=a.txt\n");
    let out = leakscan()
        .args(["scan", "-q"])
        .arg(dir.path())
        .arg("--ignore-file")
        .arg(&ign)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.ignore:2: missing `reason=…`"), "{err}");
}
