//! Deterministic generator of synthetic test data for leakscan.
//!
//! ```text
//! cargo run --example gen -- fixtures fixtures/ tests/data/fixtures-expected.csv
//! cargo run --release --example gen -- bench bench/corpus 256
//! cargo run --example gen -- accuracy /tmp/accuracy 200
//! ```
//!
//! `fixtures` writes the small labelled fixtures and their ground truth
//! (`path,line,detector,value`), plus `fixtures/formats/`: the same records
//! in every supported format and encoding (checked by `tests/formats.rs`); `bench` writes a corpus of about N MiB
//! (many small files, a few large ones, a GBK share) for the benchmark.
//!
//! Every number is made up here from a fixed seed: identity numbers get
//! their check digit from this file's own implementation of GB 11643 (not
//! leakscan's), mobile numbers a prefix from a fixed list of allocated
//! segments. No value is copied from anywhere.

#![allow(clippy::print_stderr)] // a command-line tool: its messages go to stderr

#[path = "../tests/synth.rs"]
mod synth;

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use synth::*;

fn customers(rng: &mut Rng, path: &str) -> Labelled {
    let mut f = Labelled::new(path);
    f.line("客户姓名,证件号码,手机号码,订单号,备注", &[]);
    for i in 0..8 {
        let (n, id, m) = (name(rng), id18(rng), mobile(rng));
        let order = format!("2024{}", rng.digits(16));
        let note = match i % 4 {
            0 => format!("旧证件 {}", id_bad_check(rng)),
            1 => "客服 10086".to_string(),
            2 => format!("时间 2024030{}101522", 1 + i % 9),
            _ => "正常".to_string(),
        };
        f.line(
            &format!("{n},{id},{m},{order},{note}"),
            &[("cn_resident_id", &id), ("cn_mobile", &m)],
        );
    }
    f
}

fn cdr(rng: &mut Rng) -> Labelled {
    let mut f = Labelled::new("cdr_202403.csv");
    f.line("主叫号码,被叫号码,开始时间,通话时长(秒),基站号", &[]);
    for i in 0..6 {
        let a = mobile(rng);
        let t = timestamp(rng);
        let cell = rng.digits(9);
        if i == 3 {
            let rec = format!("{a}|10086|{t}");
            f.line(
                &format!("{a},10086,{t},{},{cell}", 30 + i),
                &[("cn_mobile", &a), ("cdr_record", &rec)],
            );
        } else {
            let b = mobile(rng);
            let rec = format!("{a}|{b}|{t}");
            f.line(
                &format!("{a},{b},{t},{},{cell}", 30 + i * 17),
                &[("cn_mobile", &a), ("cn_mobile", &b), ("cdr_record", &rec)],
            );
        }
    }
    f
}

fn app_log(rng: &mut Rng) -> Labelled {
    let mut f = Labelled::new("logs/app.log");
    let m1 = mobile(rng);
    f.line(
        &format!("2024-03-01T08:00:01Z INFO login user_mobile={m1} ok"),
        &[("cn_mobile", &m1)],
    );
    f.line(
        "2024-03-01T08:00:02Z INFO order_id=2023110511010119900307123300 paid",
        &[],
    );
    let m2 = mobile(rng);
    let grouped = format!("+86 {} {} {}", &m2[..3], &m2[3..7], &m2[7..]);
    f.line(
        &format!("2024-03-01T08:00:03Z WARN msisdn: {grouped} retry"),
        &[("cn_mobile", &m2)],
    );
    f.line("2024-03-01T08:00:04Z INFO ts=20240301101522 service=10086 hotline=95588 sales=400-810-8888", &[]);
    let (a, b) = (mobile(rng), mobile(rng));
    let t = timestamp(rng);
    f.line(
        &format!("{t} CDR calling={a} called={b} duration=65s"),
        &[
            ("cn_mobile", &a),
            ("cn_mobile", &b),
            ("cdr_record", &format!("{a}|{b}|{t}")),
        ],
    );
    f.line(
        "2024-03-01T08:00:06Z DEBUG trace=7f3a9c1e-2b4d-4e8f-9a01-123456789abc span=13812345678901",
        &[],
    );
    let id = id18(rng);
    f.line(
        &format!("2024-03-01T08:00:07Z INFO kyc id_no={id} verified"),
        &[("cn_resident_id", &id)],
    );
    f.line(
        &format!(
            "2024-03-01T08:00:08Z INFO rejected id_no={}",
            id_bad_check(rng)
        ),
        &[],
    );
    f
}

fn prose(rng: &mut Rng) -> Labelled {
    let mut f = Labelled::new("自查报告.txt");
    f.line("2024年3月客户信息安全自查报告", &[]);
    f.line("", &[]);
    let (id, m) = (id18(rng), mobile(rng));
    let spaced = format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]);
    f.line(
        &format!(
            "经查，营业厅台账中存有客户{}（公民身份号码{}，联系电话{}）的完整资料。",
            name(rng),
            id,
            spaced
        ),
        &[("cn_resident_id", &id), ("cn_mobile", &m)],
    );
    f.line(
        &format!("工单号{}与证件无关，已核实。", id_bad_date(rng)),
        &[],
    );
    f.line(
        &format!("测试数据{}不在行政区划代码表中。", id_bad_region(rng)),
        &[],
    );
    f.line("请拨打客服热线10086或10010，或400-810-8888咨询。", &[]);
    f
}

fn bulk(rng: &mut Rng) -> Labelled {
    let mut f = Labelled::new("bulk/contacts.txt");
    for _ in 0..60 {
        let m = mobile(rng);
        f.line(&format!("{} 手机 {m}", name(rng)), &[("cn_mobile", &m)]);
    }
    f
}

fn hidden_tsv(rng: &mut Rng) -> Labelled {
    let mut f = Labelled::new(".backup/old_export.tsv");
    f.line("xm\tsfzh\tsjhm", &[]);
    for _ in 0..2 {
        let (id, m) = (id18(rng), mobile(rng));
        f.line(
            &format!("{}\t{id}\t{m}", name(rng)),
            &[("cn_resident_id", &id), ("cn_mobile", &m)],
        );
    }
    f
}

fn clean(rng: &mut Rng) -> Labelled {
    let mut f = Labelled::new("clean/notes.md");
    f.line("# Hard negatives: none of these is personal data", &[]);
    f.line(&format!("wrong check digit: {}", id_bad_check(rng)), &[]);
    f.line(&format!("30 February: {}", id_bad_date(rng)), &[]);
    f.line(&format!("unknown region: {}", id_bad_region(rng)), &[]);
    f.line(
        &format!("inside a 25-digit order number: 1234{}567", id18(rng)),
        &[],
    );
    f.line(&format!("glued to letters: ORD{}X", mobile(rng)), &[]);
    f.line(
        "unallocated segments: 12012345678 10012345678 14012345678",
        &[],
    );
    f.line("timestamps: 20240301101522 1709288122000", &[]);
    f.line(
        "service numbers: 10086 10010 95588 400-810-8888 800-820-8820",
        &[],
    );
    f.line(
        "uuid: 550e8400-e29b-41d4-a716-446655440000 sha1: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        &[],
    );
    f
}

/// Raw records of a database-like file: NUL-separated ASCII fields.
fn binary_dump(rng: &mut Rng) -> (Vec<u8>, Truth) {
    let mut bytes = b"SQLite format 3\0\x10\x00\x01\x01".to_vec();
    bytes.extend((0..200).map(|i| {
        if i % 3 == 0 {
            0
        } else {
            0x80 + (i % 0x7f) as u8
        }
    }));
    let (id, m) = (id18(rng), mobile(rng));
    bytes.extend_from_slice(format!("\0\x07{id}\0\x05{m}\0").as_bytes());
    bytes.extend((0..64).map(|i| if i % 2 == 0 { 0 } else { 0xA5 }));
    let truth = vec![
        ("dump.db".to_string(), 1, "cn_resident_id", id),
        ("dump.db".to_string(), 1, "cn_mobile", m),
    ];
    (bytes, truth)
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create folder");
    }
    fs::write(&path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

fn fixtures(dir: &Path, expected: &Path) {
    let mut rng = Rng(20261128);
    let mut truth = Vec::new();
    let add = |f: Labelled, bytes: Vec<u8>, truth: &mut Vec<_>| {
        write(dir, &f.path, &bytes);
        truth.extend(f.truth);
    };
    let c = customers(&mut rng, "customers.csv");
    let gbk_bytes = encoding_rs::GB18030.encode(&c.text).0.into_owned();
    let mut g = Labelled::new("customers_gbk.csv");
    g.truth = c
        .truth
        .iter()
        .map(|t| ("customers_gbk.csv".to_string(), t.1, t.2, t.3.clone()))
        .collect();
    let utf8 = c.text.clone().into_bytes();
    add(c, utf8, &mut truth);
    add(g, gbk_bytes, &mut truth);
    for f in [
        cdr(&mut rng),
        app_log(&mut rng),
        prose(&mut rng),
        bulk(&mut rng),
        hidden_tsv(&mut rng),
        clean(&mut rng),
    ] {
        let bytes = f.text.clone().into_bytes();
        add(f, bytes, &mut truth);
    }
    // UTF-16LE with BOM, as Windows tools write it.
    let mut u = Labelled::new("windows_export_utf16.txt");
    let m = mobile(&mut rng);
    u.line("联系人清单", &[]);
    u.line(
        &format!("{}，移动电话：{m}", name(&mut rng)),
        &[("cn_mobile", &m)],
    );
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(u.text.encode_utf16().flat_map(u16::to_le_bytes));
    add(u, bytes, &mut truth);
    for (rel, bytes) in format_fixtures() {
        write(dir, &format!("formats/{rel}"), &bytes);
    }
    let (bin, bin_truth) = binary_dump(&mut rng);
    write(dir, "dump.db", &bin);
    truth.extend(bin_truth);

    truth.sort();
    fs::create_dir_all(expected.parent().unwrap_or(Path::new("."))).expect("create folder");
    fs::write(expected, truth_csv(&truth)).expect("write expected findings");
    eprintln!(
        "wrote {} labelled findings to {}",
        truth.len(),
        expected.display()
    );
}

/// One line of background text for the benchmark, sometimes with a value.
fn bench_line(rng: &mut Rng, out: &mut String) {
    match rng.below(100) {
        0..=3 => {
            let _ = writeln!(
                out,
                "{} INFO user {} mobile={} status=ok",
                timestamp(rng),
                name(rng),
                mobile(rng)
            );
        }
        4 => {
            let _ = writeln!(
                out,
                "{} INFO kyc id_no={} verified",
                timestamp(rng),
                id18(rng)
            );
        }
        5..=9 => {
            let _ = writeln!(
                out,
                "{},{},{},{}",
                name(rng),
                id_bad_check(rng),
                rng.digits(20),
                rng.digits(14)
            );
        }
        10..=40 => {
            let _ = writeln!(
                out,
                "{} DEBUG order={} amount={}.{:02} ip=10.{}.{}.{} latency_ms={}",
                timestamp(rng),
                rng.digits(20),
                rng.below(100_000),
                rng.below(100),
                rng.below(256),
                rng.below(256),
                rng.below(256),
                rng.below(5000)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{} INFO request path=/api/v2/items/{} took {} ms; cache hit ratio {}%, 业务办理完成，感谢您的使用",
                timestamp(rng),
                rng.below(1_000_000),
                rng.below(900),
                rng.below(100)
            );
        }
    }
}

/// `count` small files (about 2 KiB, 40 lines of the benchmark's mix each)
/// in folders of 1,000: the many-small-files memory case.
fn many(dir: &Path, count: u64) {
    let mut rng = Rng(9);
    let mut text = String::new();
    for i in 0..count {
        text.clear();
        for _ in 0..40 {
            bench_line(&mut rng, &mut text);
        }
        let path = dir.join(format!("d{:03}/f{i:06}.log", i / 1000));
        if i % 1000 == 0 {
            fs::create_dir_all(path.parent().expect("has parent")).expect("create folder");
        }
        fs::write(&path, &text).expect("write file");
    }
}

/// A customer export of about `size` bytes: one valid row in 21, the rest
/// identity numbers with a wrong check digit and 12-digit numbers.
fn customer_export(rng: &mut Rng, size: u64, buf: &mut String) {
    buf.push_str("姓名,证件号码,手机号码,地址\n");
    while (buf.len() as u64) < size {
        let _ = writeln!(
            buf,
            "{},{},{},北京市东城区某街道{}号",
            name(rng),
            id18(rng),
            mobile(rng),
            rng.below(999)
        );
        for _ in 0..20 {
            let _ = writeln!(
                buf,
                "{},{},{},备注{}",
                name(rng),
                id_bad_check(rng),
                rng.digits(12),
                rng.digits(6)
            );
        }
    }
}

/// A call-detail export of about `size` bytes: caller, callee (now and then
/// a service number or a landline), start time, duration and cell id.
fn cdr_export(rng: &mut Rng, size: u64, buf: &mut String) {
    buf.push_str("主叫号码,被叫号码,开始时间,通话时长(秒),基站号\n");
    while (buf.len() as u64) < size {
        let callee = match rng.below(10) {
            0 => rng.pick(&["10086", "10010", "95588", "12345"]).to_string(),
            1 => landline(rng).0,
            _ => mobile(rng),
        };
        let _ = writeln!(
            buf,
            "{},{callee},{},{},{}",
            mobile(rng),
            timestamp(rng),
            rng.below(3600),
            rng.digits(9)
        );
    }
}

/// A prose report of about `size` bytes: Chinese sentences, dates and
/// amounts, a service number now and then, and about one customer value
/// in every twenty sentences.
fn prose_report(rng: &mut Rng, size: u64, buf: &mut String) {
    const SENTENCES: [&str; 8] = [
        "本季度营业厅共受理业务办理申请，均按规定核验身份并留存影像资料。",
        "经抽查，部分台账未按要求脱敏，已责令整改并限期复查。",
        "客户经理应妥善保管纸质资料，离岗时锁入文件柜，不得随意放置。",
        "系统日志保留期限为六个月，导出数据须经部门负责人审批。",
        "对外提供数据前，应完成安全评估并签订保密协议。",
        "请拨打客服热线10086咨询，或登录网上营业厅查询办理进度。",
        "培训覆盖全体一线员工，考试合格率达到百分之九十八。",
        "发现异常访问行为的，应立即上报信息安全管理部门。",
    ];
    buf.push_str("客户信息安全自查报告\n\n");
    while (buf.len() as u64) < size {
        for _ in 0..4 {
            match rng.below(20) {
                0 => {
                    let _ = write!(
                        buf,
                        "核查中发现客户{}的身份证号码{}出现在共享目录中。",
                        name(rng),
                        id18(rng)
                    );
                }
                1 => {
                    let m = mobile(rng);
                    let _ = write!(
                        buf,
                        "联系电话{}-{}-{}已通知本人。",
                        &m[..3],
                        &m[3..7],
                        &m[7..]
                    );
                }
                2 => {
                    let _ = write!(
                        buf,
                        "{}年{}月{}日共处理工单{}件，涉及金额{}.{:02}元。",
                        2020 + rng.below(5),
                        1 + rng.below(12),
                        1 + rng.below(28),
                        rng.below(5000),
                        rng.below(100_000),
                        rng.below(100)
                    );
                }
                _ => buf.push_str(rng.pick::<&str>(&SENTENCES)),
            }
        }
        buf.push('\n');
    }
}

fn bench(dir: &Path, mib: u64) {
    let mut rng = Rng(5);
    let total = mib << 20;
    let large_files = 2u64;
    let large_each = total * 2 / 5 / large_files;
    let small_total = total - large_each * large_files;
    let small_size = 32 << 10;
    let small_count = (small_total / small_size).max(1);
    let mut written = 0u64;
    for i in 0..large_files {
        let path = dir.join(format!("large/export_{i}.log"));
        fs::create_dir_all(path.parent().expect("has parent")).expect("create folder");
        let mut f = std::io::BufWriter::new(fs::File::create(&path).expect("create file"));
        let mut n = 0u64;
        let mut buf = String::new();
        while n < large_each {
            buf.clear();
            for _ in 0..1000 {
                bench_line(&mut rng, &mut buf);
            }
            f.write_all(buf.as_bytes()).expect("write");
            n += buf.len() as u64;
        }
        written += n;
    }
    for i in 0..small_count {
        let gbk = i % 10 == 0;
        // Of six files: two customer exports, one call-detail export, one
        // prose report and two logs; every tenth file GBK.
        let (stem, ext) = match i % 6 {
            0 | 3 => ("report", "csv"),
            1 => ("cdr", "csv"),
            2 => ("notes", "txt"),
            _ => ("report", "txt"),
        };
        let rel = format!(
            "share/dept{:02}/{}{stem}_{i:06}.{ext}",
            i % 37,
            if gbk { "gbk_" } else { "" },
        );
        let mut buf = String::new();
        match (stem, ext) {
            ("report", "csv") => customer_export(&mut rng, small_size, &mut buf),
            ("cdr", _) => cdr_export(&mut rng, small_size, &mut buf),
            ("notes", _) => prose_report(&mut rng, small_size, &mut buf),
            _ => {
                while (buf.len() as u64) < small_size {
                    bench_line(&mut rng, &mut buf);
                }
            }
        }
        let bytes = if gbk {
            encoding_rs::GB18030.encode(&buf).0.into_owned()
        } else {
            buf.into_bytes()
        };
        written += bytes.len() as u64;
        write(dir, &rel, &bytes);
    }
    eprintln!(
        "wrote {:.1} MiB in {} files to {}",
        written as f64 / (1 << 20) as f64,
        small_count + large_files,
        dir.display()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["fixtures", dir, expected] => fixtures(&PathBuf::from(dir), &PathBuf::from(expected)),
        ["bench", dir, mib] => bench(&PathBuf::from(dir), mib.parse().expect("size in MiB")),
        ["bench", dir] => bench(&PathBuf::from(dir), 256),
        ["many", dir, count] => many(&PathBuf::from(dir), count.parse().expect("file count")),
        ["accuracy", dir, rows] => {
            let dir = PathBuf::from(dir);
            let truth = accuracy_corpus(&dir, rows.parse().expect("rows per file"));
            fs::write(dir.join("truth.csv"), truth_csv(&truth)).expect("write truth");
            eprintln!("wrote {} labelled values to {}", truth.len(), dir.display());
        }
        _ => {
            eprintln!("usage: gen fixtures DIR EXPECTED.csv | gen bench DIR [MIB] | gen many DIR FILES | gen accuracy DIR ROWS");
            std::process::exit(2);
        }
    }
}
