//! The hostile-tree suite: trees built at test time with what real shares
//! hold (sockets, non-UTF-8 names, a 100 MiB line, files that change or
//! vanish under the scan, deep nesting). The scan completes, never panics
//! or hangs, lists every problem in `errors` with a reason, and keeps its
//! memory bounded. (Permission-denied paths, FIFOs, symlink loops and
//! dangling links are in `scan.rs`; random bytes in `fuzz.rs`; Ctrl-C in
//! `exit_codes.rs`.)

use crate::synth::{self, Rng};
use crate::util::*;
use serde_json::Value;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

fn scan_dir(dir: &std::path::Path, extra: &[&str]) -> (Value, i32, String) {
    let out = leakscan()
        .args([
            "scan",
            "-f",
            "json",
            "-q",
            "--reveal",
            "--max-findings-per-file",
            "0",
        ])
        .arg(dir)
        .args(extra)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).expect("a JSON report");
    (
        report,
        out.status
            .code()
            .expect("exited, did not hang or get killed"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn values(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["value"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sockets_and_non_utf8_names_are_handled() {
    let mut rng = Rng(71);
    let (a, b) = (synth::id18(&mut rng), synth::id18(&mut rng));
    let dir = TestDir::new();
    let _listener = std::os::unix::net::UnixListener::bind(dir.path().join("agent.sock")).unwrap();
    // A file and a folder whose names are not UTF-8 (GBK bytes, as a
    // Windows share mounted without iocharset gives them).
    let bad_dir = dir.path().join(OsStr::from_bytes(b"\xbf\xcd\xbb\xa7"));
    std::fs::create_dir(&bad_dir).unwrap();
    std::fs::write(
        bad_dir.join(OsStr::from_bytes(b"\xc3\xfb\xb5\xa5.txt")),
        format!("身份证 {a}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(OsStr::from_bytes(b"list-\xff.csv")),
        format!("id_card\n{b}\n"),
    )
    .unwrap();
    let (r, code, stderr) = scan_dir(dir.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    let mut found = values(&r);
    found.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(found, want);
    // Undecodable bytes are shown as U+FFFD; the report stays valid JSON.
    let paths: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"list-\u{fffd}.csv"), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.contains('\u{fffd}') && p.ends_with(".txt")),
        "{paths:?}"
    );
    let sock = entries_for(&r, "errors", "agent.sock");
    assert_eq!(sock.len(), 1, "socket listed");
    assert_eq!(sock[0]["kind"], "special");
    assert!(sock[0]["reason"].as_str().unwrap().contains("socket"));
}

#[test]
fn a_100_mib_line_without_newline_is_scanned_in_bounded_memory() {
    let mut rng = Rng(81);
    let ids: Vec<String> = (0..3).map(|_| synth::id18(&mut rng)).collect();
    let dir = TestDir::new();
    let size = 100usize << 20;
    let mut data = vec![b'x'; size];
    for (id, at) in ids.iter().zip([10, size / 2 + 7, size - 40]) {
        data[at - 1] = b' ';
        data[at..at + 18].copy_from_slice(id.as_bytes());
        data[at + 18] = b' ';
    }
    dir.create_bytes("one-line.txt", &data);
    drop(data);
    let (r, code, stderr) = scan_dir(dir.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(values(&r), ids, "each value once, in order");
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["line"] == 1));
    assert_eq!(r["summary"]["bytes_scanned"], size as u64);
    let rss = r["scan"]["peak_rss_kib"]
        .as_u64()
        .expect("Linux reports VmHWM");
    assert!(rss < 96 * 1024, "peak RSS {rss} KiB for a 100 MiB line");
}

#[test]
fn deep_nesting_is_walked_to_the_bottom() {
    let mut rng = Rng(91);
    let id = synth::id18(&mut rng);
    let dir = TestDir::new();
    // 200 levels: deeper than most tools' recursion, well within PATH_MAX.
    let rel: Vec<String> = (0..200).map(|i| format!("d{}", i % 10)).collect();
    let deep = dir.path().join(rel.join("/"));
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("bottom.txt"), format!("身份证 {id}\n")).unwrap();
    let (r, code, stderr) = scan_dir(dir.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(values(&r), [id]);
    assert!(r["findings"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("d9/bottom.txt"));
    assert_eq!(r["errors"].as_array().unwrap().len(), 0);
}

#[test]
fn files_deleted_or_truncated_during_the_scan_are_accounted_for() {
    let mut rng = Rng(101);
    let dir = TestDir::new();
    // Many small files deleted while the scan walks them, and big files
    // truncated while they are read.
    let n = 3000;
    for i in 0..n {
        dir.create(
            &format!("small/f{i:05}.txt"),
            &format!("电话 {}\n", synth::mobile(&mut rng)),
        );
    }
    let line = format!(
        "身份证 {} 电话 {}\n",
        synth::id18(&mut rng),
        synth::mobile(&mut rng)
    );
    let big = line.repeat((48 << 20) / line.len());
    for i in 0..3 {
        dir.create(&format!("big{i}.txt"), &big);
    }
    let big_len = big.len();
    // A log written to all through the scan: always changes while read
    // (large enough that reading it takes many of the writer's intervals,
    // however fast the scan).
    dir.create("growing.log", &line.repeat(100_000));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (path, stop, line) = (dir.path().join("growing.log"), stop.clone(), line.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(line.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let root = dir.path().to_path_buf();
    let vandal = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        for i in 0..3 {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(root.join(format!("big{i}.txt")))
                .unwrap();
            f.set_len(1 << 20).unwrap();
        }
        for i in (0..n).rev().step_by(2) {
            let _ = std::fs::remove_file(root.join(format!("small/f{i:05}.txt")));
        }
    });
    let (r, code, stderr) = scan_dir(dir.path(), &["-j", "1", "--chunk-size", "65536"]);
    vandal.join().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(code == 0 || code == 1, "completed: {stderr}");
    let s = &r["summary"];
    let num = |k: &str| s[k].as_u64().unwrap();
    let errors = r["errors"].as_array().unwrap();
    let changed = |e: &&Value| {
        e["reason"]
            .as_str()
            .unwrap()
            .contains("changed while it was read")
    };
    // Every error says why: gone before it was opened, or changed while read.
    for e in errors {
        let reason = e["reason"].as_str().unwrap();
        assert!(
            reason.contains("No such file") || changed(&e),
            "unexpected error {e}"
        );
    }
    // Nothing is silently lost: every path seen was scanned, or failed with
    // an error (a changed file is both scanned and in errors).
    let vanished = errors.iter().filter(|e| !changed(e)).count() as u64;
    assert_eq!(num("files_seen"), num("files_scanned") + vanished, "{s}");
    assert_eq!(num("files_failed"), errors.len() as u64);
    // Each big file was read whole before the cut, after it, or is marked changed.
    for i in 0..3 {
        let path = format!("big{i}.txt");
        let file = entries_for(&r, "files", &path);
        let bytes = file[0]["bytes"].as_u64().unwrap();
        let marked = entries_for(&r, "errors", &path).iter().any(changed);
        assert!(
            marked || bytes == 1 << 20 || bytes == big_len as u64,
            "{path}: {bytes} bytes read and not marked changed"
        );
    }
    assert!(
        entries_for(&r, "errors", "growing.log").iter().any(changed),
        "a file written to during the scan is marked changed"
    );
    #[allow(clippy::print_stdout)]
    {
        println!(
            "vanished {vanished}, changed {}",
            errors.len() as u64 - vanished
        );
    }
}
