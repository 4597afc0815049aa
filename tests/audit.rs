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

/// Run `leakscan` with `args`; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = leakscan().args(args).output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Month 1 is `tree(21)`; month 2 drops docs/notes.txt, adds
/// exports/new.csv and puts an ID number into docs/team.md.
fn second_month(dir: &TestDir, ids: &[String]) {
    std::fs::remove_file(dir.path().join("docs/notes.txt")).unwrap();
    dir.create("exports/new.csv", &format!("id_card\n{}\n", ids[4]));
    let team = std::fs::read_to_string(dir.path().join("docs/team.md")).unwrap();
    dir.create("docs/team.md", &format!("{team}身份证：{}\n", ids[5]));
}

#[test]
fn diff_shows_new_resolved_and_persisting_findings_and_tier_changes() {
    let (dir, ids, mobiles) = tree(21);
    let out = TestDir::new();
    let p = |n: &str| out.path().join(n).to_str().unwrap().to_string();
    let root = dir.path().to_str().unwrap();
    run(&["scan", root, "-q", "-f", "json", "-o", &p("m1.json")]);
    run(&["scan", root, "-q", "-f", "ndjson", "-o", &p("m1.ndjson")]);
    second_month(&dir, &ids);
    run(&["scan", root, "-q", "-f", "json", "-o", &p("m2.json")]);

    let (code, json, err) = run(&["diff", &p("m1.json"), &p("m2.json"), "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    let d: Value = serde_json::from_str(&json).unwrap();
    let s = &d["summary"];
    assert_eq!(
        (
            s["new"].as_u64(),
            s["resolved"].as_u64(),
            s["persisting"].as_u64()
        ),
        (Some(2), Some(1), Some(7))
    );
    assert_eq!(s["new_per_tier"]["core"], 2);
    assert_eq!(
        (s["files_added"].as_u64(), s["files_removed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (s["files_tier_rose"].as_u64(), s["files_tier_fell"].as_u64()),
        (Some(1), Some(0))
    );
    let file = |path: &str| {
        d["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path} in diff"))
            .clone()
    };
    let team = file("docs/team.md");
    assert_eq!(team["change"], "rose");
    assert_eq!(
        (team["old_tier"].as_str(), team["new_tier"].as_str()),
        (Some("general"), Some("core"))
    );
    assert_eq!(
        (team["new"].as_u64(), team["persisting"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(file("docs/notes.txt")["change"], "removed");
    assert_eq!(file("exports/new.csv")["change"], "added");
    assert_eq!(file("exports/customers.csv")["change"], "same");
    let resolved: Vec<_> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["change"] == "resolved")
        .collect();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["path"], "docs/notes.txt");

    // An NDJSON report compares the same.
    let (_, json2, _) = run(&["diff", &p("m1.ndjson"), &p("m2.json"), "-f", "json"]);
    let d2: Value = serde_json::from_str(&json2).unwrap();
    assert_eq!(d2["summary"], d["summary"]);

    // CSV: a BOM, a header and one row per finding with its change.
    let (_, csv_out, _) = run(&["diff", &p("m1.json"), &p("m2.json"), "-f", "csv"]);
    assert!(csv_out.starts_with('\u{feff}'));
    let rows: Vec<&str> = csv_out.lines().collect();
    assert!(rows[0]
        .ends_with("change,path,line,column,detector,tier,confidence,masked,fingerprint,field"));
    assert_eq!(rows.len(), 1 + 10);
    assert_eq!(rows.iter().filter(|r| r.starts_with("new,")).count(), 2);

    // Text: totals and changed files; values stay masked everywhere.
    let (_, text, _) = run(&["diff", &p("m1.json"), &p("m2.json")]);
    assert!(
        text.contains("findings: 2 new (core 2, general 0, public 0), 1 resolved, 7 persisting"),
        "{text}"
    );
    assert!(
        text.contains("rose") && text.contains("docs/team.md"),
        "{text}"
    );
    for v in ids.iter().chain(&mobiles) {
        for out in [&json, &csv_out, &text] {
            assert!(!out.contains(v.as_str()), "value leaked into diff output");
        }
    }
}

/// (new, known, resolved) of `summary.baseline`.
fn baseline_counts(r: &Value) -> (u64, u64, u64) {
    let b = &r["summary"]["baseline"];
    let n = |k: &str| b[k].as_u64().expect("a baseline count");
    (n("new"), n("known"), n("resolved"))
}

#[test]
fn baseline_marks_findings_and_fail_on_new_gates_only_new_ones() {
    let (dir, ids, _) = tree(31);
    let out = TestDir::new();
    let base = out.path().join("base.json");
    let root = dir.path().to_str().unwrap();
    run(&[
        "scan",
        root,
        "-q",
        "-f",
        "json",
        "-o",
        base.to_str().unwrap(),
    ]);
    let b = base.to_str().unwrap();
    // Nothing changed: core findings, but none new.
    let (r, code, err) = scan_json(&[root, "-q", "--baseline", b, "--fail-on-new", "core"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(baseline_counts(&r), (0, 8, 0));
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["status"] == "known"));
    assert_eq!(r["scan"]["baseline"], b);
    // Without --fail-on-new the usual --fail-on applies.
    let (_, code, _) = scan_json(&[root, "-q", "--baseline", b]);
    assert_eq!(code, 1);
    second_month(&dir, &ids);
    let (r, code, _) = scan_json(&[root, "-q", "--baseline", b, "--fail-on-new", "core"]);
    assert_eq!(code, 1, "new core findings");
    assert_eq!(baseline_counts(&r), (2, 7, 1));
    assert_eq!(r["summary"]["baseline"]["highest_new_tier"], "core");
    let new: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "new")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["docs/team.md", "exports/new.csv"]);
    // The text summary (which keeps no findings) marks them all the same.
    let (code, text, _) = run(&["scan", root, "--baseline", b, "--fail-on-new", "core"]);
    assert_eq!(code, 1, "new core findings");
    assert!(
        text.contains(
            "against the baseline: 2 new (core 2, general 0, public 0), 7 known, 1 resolved"
        ),
        "{text}"
    );
    // The NDJSON stream carries the status too.
    let (code, nd, _) = run(&["scan", root, "-q", "-f", "ndjson", "--baseline", b]);
    assert_eq!(code, 1);
    assert_eq!(
        nd.lines()
            .filter(|l| l.contains(r#""status":"new""#))
            .count(),
        2
    );
    // A baseline made with another key cannot be used.
    let out2 = leakscan()
        .env("LEAKSCAN_HASH_KEY", "another key")
        .args(["scan", root, "-q", "--baseline", b])
        .output()
        .unwrap();
    assert_eq!(out2.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out2.stderr).contains("different fingerprint keys"));
    // Neither can a file that is not a report.
    let junk = out.path().join("junk.json");
    std::fs::write(&junk, "{\"tool\":\"other\"}").unwrap();
    let (code, _, err) = run(&["diff", b, junk.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not a leakscan JSON or NDJSON report"),
        "{err}"
    );
}

#[test]
fn merged_shards_equal_the_full_scan() {
    // The labelled fixtures (every format, archives, bulk files) plus the
    // same values spread over many files, so distinct counts cannot be summed.
    let mut rng = Rng(41);
    let id = synth::id18(&mut rng);
    let mobile = synth::mobile(&mut rng);
    let spread = TestDir::new();
    for i in 0..24 {
        spread.create(
            &format!("d{}/f{i}.txt", i % 5),
            &format!("身份证 {id} 手机 {mobile} 序号 {i}\n"),
        );
    }
    let fixtures = root().join("fixtures");
    let roots = [fixtures.to_str().unwrap(), spread.path().to_str().unwrap()];
    let out = TestDir::new();
    // Last month's report, then a change: shards compare with the baseline
    // too, and the merged comparison must equal the full scan's.
    let base = out.path().join("base.json");
    let base = base.to_str().unwrap();
    run(&["scan", roots[0], roots[1], "-q", "-f", "json", "-o", base]);
    spread.create("d0/f0.txt", &format!("身份证 {}\n", synth::id18(&mut rng)));
    let full_path = out.path().join("full.json");
    let (code, _, err) = run(&[
        "scan",
        roots[0],
        roots[1],
        "-q",
        "-f",
        "json",
        "--baseline",
        base,
        "-o",
        full_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let full: Value = serde_json::from_slice(&std::fs::read(&full_path).unwrap()).unwrap();
    let b = &full["summary"]["baseline"];
    assert_eq!(
        (b["new"].as_u64(), b["resolved"].as_u64()),
        (Some(1), Some(2)),
        "{b}"
    );
    assert_eq!(
        full["summary"]["findings_per_detector"]["cn_resident_id"]["distinct"]
            .as_u64()
            .map(|d| d > 0),
        Some(true)
    );
    for n in [1u64, 2, 3, 5] {
        let mut parts = Vec::new();
        for k in 0..n {
            let part = out.path().join(format!(
                "part-{k}-of-{n}.{}",
                if k % 2 == 0 { "json" } else { "ndjson" }
            ));
            let fmt = if k % 2 == 0 { "json" } else { "ndjson" };
            let (code, _, err) = run(&[
                "scan",
                roots[0],
                roots[1],
                "-q",
                "-f",
                fmt,
                "--shard",
                &format!("{k}/{n}"),
                "--baseline",
                base,
                "-o",
                part.to_str().unwrap(),
            ]);
            assert!(code == 0 || code == 1, "{err}");
            parts.push(part.to_str().unwrap().to_string());
        }
        let merged_path = out.path().join(format!("merged-{n}.json"));
        let mut args = vec!["merge".to_string()];
        args.extend(parts.iter().cloned());
        args.extend(["-o".to_string(), merged_path.to_str().unwrap().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = run(&args);
        assert_eq!(code, 0, "merge of {n}: {err}");
        let merged: Value = serde_json::from_slice(&std::fs::read(&merged_path).unwrap()).unwrap();
        for section in ["summary", "files", "findings", "skipped", "errors"] {
            assert_eq!(
                merged[section], full[section],
                "{section} differs with {n} shards"
            );
        }
        assert!(merged.get("distinct").is_none());
        assert_eq!(
            merged["scan"]["merged_from"].as_array().unwrap().len(),
            n as usize
        );
        if n == 3 {
            // Every shard is needed, once.
            let (code, _, err) = run(&["merge", &parts[0], &parts[1]]);
            assert_eq!(code, 2);
            assert!(err.contains("shards missing: [2] of 3"), "{err}");
            let (code, _, err) = run(&["merge", &parts[0], &parts[1], &parts[1], &parts[2]]);
            assert_eq!(code, 2);
            assert!(err.contains("given twice"), "{err}");
            let (code, _, err) = run(&["merge", full_path.to_str().unwrap()]);
            assert_eq!(code, 2);
            assert!(err.contains("was not made with --shard"), "{err}");
        }
    }
}

#[test]
fn shard_auto_reads_kubernetes_and_slurm_variables() {
    let dir = TestDir::new();
    dir.create("a.txt", "nothing here\n");
    let root = dir.path().to_str().unwrap();
    let shard_of = |env: &[(&str, &str)]| {
        let mut c = leakscan();
        for k in [
            "JOB_COMPLETION_INDEX",
            "LEAKSCAN_SHARD_COUNT",
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_COUNT",
            "SLURM_ARRAY_TASK_MIN",
        ] {
            c.env_remove(k);
        }
        c.envs(env.iter().copied());
        let out = c
            .args(["scan", root, "-q", "-f", "json", "--shard", "auto"])
            .output()
            .unwrap();
        if out.status.code() != Some(0) {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let s = &r["scan"]["options"]["shard"];
        Ok((s["index"].as_u64().unwrap(), s["count"].as_u64().unwrap()))
    };
    assert_eq!(
        shard_of(&[("JOB_COMPLETION_INDEX", "2"), ("LEAKSCAN_SHARD_COUNT", "6")]),
        Ok((2, 6))
    );
    assert_eq!(
        shard_of(&[
            ("SLURM_ARRAY_TASK_ID", "11"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_COUNT", "3")
        ]),
        Ok((1, 3))
    );
    let err = shard_of(&[]).unwrap_err();
    assert!(err.contains("neither JOB_COMPLETION_INDEX"), "{err}");
}
