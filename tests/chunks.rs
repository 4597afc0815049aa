//! Chunk boundaries: every value is found exactly once whatever the chunk
//! size, inside over-long lines, and in a large generated file.

use crate::util::*;
use std::collections::BTreeSet;
use std::io::Write;

/// Valid IDs with GB 11643 check characters computed by hand: region 110101,
/// born 1990-03-07, sequence numbers below.
const IDS: [&str; 4] = [
    "110101199003071233",
    "11010119900307109X",
    "110101199003071241",
    "440305198512310026",
];

fn located(report: &serde_json::Value) -> BTreeSet<(u64, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn tiny_chunks_find_the_same_values_as_large_ones() {
    let d = TestDir::new();
    let mut text = String::new();
    let mut want = BTreeSet::new();
    for i in 0..200u64 {
        let pad = "号".repeat((i % 13) as usize);
        let id = IDS[(i % 4) as usize];
        text.push_str(&format!("{pad}x {id} y\n"));
        want.insert((i + 1, (i % 13) + 3, id.to_string()));
    }
    d.create("a.txt", &text);
    for chunk in ["16", "64", "1000", "1048576"] {
        let (report, _, _) = scan_revealed(d.path(), &["--chunk-size", chunk]);
        assert_eq!(located(&report), want, "chunk size {chunk}");
        assert_eq!(
            report["summary"]["findings_total"], 200,
            "chunk size {chunk}"
        );
    }
}

#[test]
fn values_in_an_over_long_line_are_found_once_each() {
    let d = TestDir::new();
    // One 300 KB line: a value every 1,013 characters, so values land at every
    // offset relative to the reader's windows.
    let mut line = String::new();
    let mut want = BTreeSet::new();
    let mut chars = 0u64;
    for i in 0..300u64 {
        let filler = "号".repeat(1000 - (i % 7) as usize);
        line.push_str(&filler);
        line.push(' ');
        chars += filler.chars().count() as u64 + 1;
        let id = IDS[(i % 4) as usize];
        want.insert((1, chars + 1, id.to_string()));
        line.push_str(id);
        line.push(' ');
        chars += id.len() as u64 + 1;
    }
    d.create("long.txt", &line);
    for chunk in ["64", "4096", "1048576"] {
        let (report, _, _) = scan_revealed(d.path(), &["--chunk-size", chunk]);
        assert_eq!(
            report["summary"]["findings_total"], 300,
            "chunk size {chunk}"
        );
        assert_eq!(located(&report), want, "chunk size {chunk}");
    }
}

#[test]
fn large_file_value_across_chunk_boundaries_found_exactly_once() {
    // See: issue 2 — a few hundred MiB, values placed across the default
    // 1 MiB read boundaries and across the windows of a 3 MiB line.
    let d = TestDir::new();
    let path = d.path().join("big.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let filler_line = "2024-03-01 10:00:00 INFO nothing to see here, order 20240301000000000001\n";
    let mib = 1u64 << 20;
    let total = 256 * mib;
    let mut written = 0u64;
    let mut placed = 0u64;
    let mut next_boundary = mib;
    while written < total {
        if written + filler_line.len() as u64 + 40 > next_boundary {
            // Pad up to 7 bytes before the boundary, then a value spanning it.
            let pad = (next_boundary - written).saturating_sub(7) as usize;
            let prefix = " ".repeat(pad);
            let line = format!("{prefix}{}\n", IDS[(placed % 4) as usize]);
            f.write_all(line.as_bytes()).unwrap();
            written += line.len() as u64;
            placed += 1;
            next_boundary += 17 * mib;
            continue;
        }
        f.write_all(filler_line.as_bytes()).unwrap();
        written += filler_line.len() as u64;
    }
    // A 3 MiB line without a newline, a value every 4,099 bytes.
    let mut long = Vec::with_capacity(3 << 20);
    while long.len() < (3 << 20) {
        long.extend(std::iter::repeat_n(b'z', 4080));
        long.push(b' ');
        long.extend_from_slice(IDS[(placed % 4) as usize].as_bytes());
        long.push(b' ');
        placed += 1;
    }
    f.write_all(&long).unwrap();
    f.flush().unwrap();
    drop(f);

    let (report, code, _) = scan_json(&[
        d.path().to_str().unwrap(),
        "-q",
        "--max-findings-per-file",
        "0",
    ]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["findings_total"].as_u64(), Some(placed));
    assert_eq!(report["summary"]["findings_listed"].as_u64(), Some(placed));
    assert_eq!(
        report["summary"]["findings_per_detector"]["cn_resident_id"]["distinct"],
        4
    );
    assert!(report["summary"]["bytes_scanned"].as_u64().unwrap() > total);
    assert!(placed > 700, "{placed} values placed");
    // Memory does not grow with the file: 256 MiB of data, a 3 MiB line.
    let rss = report["scan"]["peak_rss_kib"]
        .as_u64()
        .expect("peak RSS on Linux");
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
}

#[test]
fn files_split_across_threads_give_the_same_findings() {
    // See: issue 5 — a large file is cut at line starts into parts scanned in
    // parallel; findings, lines and counts must equal the sequential scan.
    let d = TestDir::new();
    let mut csv = String::from("姓名,身份证号,手机号码\n");
    let mut log = String::new();
    for i in 0..3000u64 {
        let id = IDS[(i % 4) as usize];
        csv.push_str(&format!("客户{i},{id},1381234{:04}\n", i % 10_000));
        log.push_str(&format!(
            "{} INFO user id_no={id} {}\n",
            20_240_301_000_000 + i,
            "x".repeat((i % 50) as usize)
        ));
    }
    d.create("big.csv", &csv);
    d.create("big.log", &log);
    let run = |split: &str| {
        let (report, _, _) = scan_revealed(d.path(), &["--threads", "4", "--split-size", split]);
        let mut f: Vec<(String, u64, u64, String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["column"].as_u64().unwrap(),
                    f["value"].as_str().unwrap().to_string(),
                    f["field"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        f.sort();
        (f, report["summary"].clone(), report["files"].clone())
    };
    let (whole, summary, files) = run("1G");
    assert_eq!(
        whole.len(),
        9000,
        "3000 IDs and 3000 mobiles in the CSV, 3000 IDs in the log"
    );
    for split in ["1K", "7K", "64K"] {
        let (parts, s, f) = run(split);
        assert_eq!(parts, whole, "split {split}");
        assert_eq!(
            s["findings_per_detector"], summary["findings_per_detector"],
            "split {split}"
        );
        assert_eq!(f, files, "split {split}");
    }
    // The CSV header still names the columns in every part.
    assert!(whole
        .iter()
        .filter(|f| f.0 == "big.csv")
        .all(|f| !f.4.is_empty() && !f.4.starts_with('#')));
}

#[test]
fn distinct_values_are_counted_exactly_in_bounded_memory() {
    // See: issue 5 — a call-detail export holds millions of distinct numbers;
    // their exact distinct count must not hold them all in memory.
    let d = TestDir::new();
    let n: u64 = 2_000_000;
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(d.path().join("numbers.txt")).unwrap());
    // Every number twice: in order, then in another order (7919 is prime
    // and does not divide n, so i * 7919 mod n visits every i once).
    for i in (0..n).chain((0..n).map(|i| i * 7919 % n)) {
        writeln!(f, "138{i:08}").unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let (report, code, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "-j", "2"]);
    assert_eq!(
        code, 1,
        "two million distinct numbers escalate the file to core"
    );
    assert_eq!(report["files"][0]["tier"], "core");
    let mobile = &report["summary"]["findings_per_detector"]["cn_mobile"];
    assert_eq!(mobile["total"].as_u64(), Some(2 * n));
    assert_eq!(mobile["distinct"].as_u64(), Some(n));
    let file = &report["files"][0]["detectors"]["cn_mobile"];
    assert_eq!(file["distinct"].as_u64(), Some(n));
    // Held in a hash set, two million hashes took about 100 MiB.
    let rss = report["scan"]["peak_rss_kib"]
        .as_u64()
        .expect("peak RSS on Linux");
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
}

#[test]
fn distinct_counts_are_exact_whatever_the_number_of_workers() {
    // See: issue 5 — each worker merges the distinct values of the files
    // it read into the scan's sets (stashing them when another worker
    // holds a set); the summary must count every value once whatever the
    // workers and their order. 60 files of 200 mobile numbers, each file
    // sharing 100 with the one before: 12,000 findings, 6,100 distinct.
    let d = TestDir::new();
    for f in 0..60u64 {
        let mut text = String::from("手机号码\n");
        for i in 0..200u64 {
            text.push_str(&format!("1381234{:04}\n", f * 100 + i));
        }
        d.create(&format!("part{f:02}.csv"), &text);
    }
    for threads in ["1", "2", "4", "8"] {
        let (report, _, _) = scan_json(&[d.path().to_str().unwrap(), "-q", "-j", threads]);
        let mobile = &report["summary"]["findings_per_detector"]["cn_mobile"];
        assert_eq!(mobile["total"], 12_000, "-j {threads}");
        assert_eq!(mobile["distinct"], 6_100, "-j {threads}");
        let files = report["files"].as_array().unwrap();
        assert_eq!(files.len(), 60);
        for f in files {
            // Each file keeps its own count (200 distinct: past the bulk
            // threshold, so the file is core).
            assert_eq!(f["detectors"]["cn_mobile"]["distinct"], 200, "-j {threads}");
            assert_eq!(f["tier"], "core");
        }
    }
}

#[test]
fn records_past_the_listing_count_with_those_listed() {
    // See: issue 5 — past a file's listing (100 findings by default), a
    // call-detail record is only hashed, never built; the hash must be the
    // one its value has, or a record listed early and seen again later
    // would count twice. 300 rows: 150 calls, then the same 150 again.
    let d = TestDir::new();
    let mut text = String::from("主叫号码,被叫号码,开始时间,通话时长(秒)\n");
    for round in 0..2 {
        for i in 0..150u64 {
            text.push_str(&format!(
                "1381234{i:04},1391234{i:04},2024-03-01 10:{:02}:{:02},{}\n",
                i / 60,
                i % 60,
                30 + round
            ));
        }
    }
    d.create("cdr.csv", &text);
    let path = d.path().to_str().unwrap();
    for format in ["json", "text"] {
        let out = leakscan()
            .args(["scan", path, "--format", format, "-q"])
            .output()
            .expect("runs");
        let json: serde_json::Value;
        let counts = if format == "json" {
            json = serde_json::from_slice(&out.stdout).expect("JSON");
            let c = &json["summary"]["findings_per_detector"]["cdr_record"];
            (
                c["total"].as_u64().unwrap(),
                c["distinct"].as_u64().unwrap(),
            )
        } else {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with("cdr_record"))
                .expect("a cdr_record line");
            // "  cdr_record   300 (150 distinct)  core"
            let nums: Vec<u64> = line
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            (nums[0], nums[1])
        };
        assert_eq!(counts, (300, 150), "--format {format}");
    }
}
