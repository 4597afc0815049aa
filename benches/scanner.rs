//! Criterion micro-benchmarks for the hot paths: the candidate scanner over
//! typical lines (log lines dense with digits, prose without, CSV rows with
//! values), call-detail table rows under their header (the costliest data
//! per byte), the validators, the masks of listed findings, the merging
//! of files' distinct-value sets into the scan's and the distinct count
//! at the end of a scan (a merge of runs on disk). A
//! regression here shows before it reaches the corpus benchmark
//! (`bench/run.sh`).
//!
//! cargo bench --bench scanner

// `criterion_group!` generates items without doc comments.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leakscan::detect::candidates::Candidates;
use leakscan::detect::checksum::{luhn_valid, resident_id_check_char};
use leakscan::detect::{DetectorId, Registry};
use leakscan::extract::{Fields, TextUnit};
use leakscan::patterns::Patterns;
use leakscan::report::mask::mask;
use std::hint::black_box;

fn lines() -> Vec<(&'static str, String)> {
    let log = "2024-03-01T08:00:02Z DEBUG order=20240301123456789012 amount=1234.56 ip=10.1.2.3 latency_ms=87\n".repeat(64);
    let prose = "业务办理完成，感谢您的使用。The quick brown fox jumps over the lazy dog, again and again.\n".repeat(64);
    let rows = "张三,110101199003071233,13812345678,北京市东城区某街道1号\n".repeat(64);
    vec![("log", log), ("prose", prose), ("csv_rows", rows)]
}

fn scanner(c: &mut Criterion) {
    let patterns = Patterns::builtin().expect("built-in patterns load");
    let registry = Registry::new(&patterns, 20261128);
    let mut out = Vec::new();
    let mut group = c.benchmark_group("scan_lines");
    for (name, text) in lines() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0;
                for line in text.lines() {
                    let unit = TextUnit {
                        text: line.as_bytes(),
                        fields: Fields::None,
                        is_header: false,
                        binary: false,
                    };
                    registry.scan(black_box(&unit), None, &mut out);
                    n += out.len();
                }
                n
            })
        });
    }
    group.finish();
    // The candidate-run finder alone (the first step of every scan).
    let mut group = c.benchmark_group("candidate_runs");
    for (name, text) in lines() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let (mut runs, mut at) = (0, 0);
                let mut candidates = Candidates::new(black_box(text.as_bytes()));
                while let Some((_, end)) = candidates.next_from(at) {
                    runs += 1;
                    at = end;
                }
                runs
            })
        });
    }
    group.finish();
}

/// Rows of a call-detail export under its header: two numbers and a
/// record to read in every row.
fn cdr_rows(c: &mut Criterion) {
    let patterns = Patterns::builtin().expect("built-in patterns load");
    let registry = Registry::new(&patterns, 20261128);
    let header =
        registry.header_profile(&["主叫号码", "被叫号码", "开始时间", "通话时长(秒)", "基站号"]);
    let rows = [
        "13812345678,13912345678,2024-03-01 10:15:22,125,906248700",
        "15012345678,10086,2024-03-01 11:02:09,37,175762526",
        "18612345678,13712345678,2024-03-02 08:45:51,2552,840283417",
    ];
    let split: Vec<(&str, Vec<std::ops::Range<usize>>)> = rows
        .iter()
        .map(|row| {
            let mut fields = Vec::new();
            let mut start = 0;
            for cell in row.split(',') {
                fields.push(start..start + cell.len());
                start += cell.len() + 1;
            }
            (*row, fields)
        })
        .collect();
    let bytes: usize = rows.iter().map(|r| r.len()).sum();
    let mut out = Vec::new();
    let mut group = c.benchmark_group("cdr_rows");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("table_rule", |b| {
        b.iter(|| {
            let mut n = 0;
            for (row, fields) in &split {
                let unit = TextUnit {
                    text: row.as_bytes(),
                    fields: Fields::Ranges(fields),
                    is_header: false,
                    binary: false,
                };
                registry.scan(black_box(&unit), Some(&header), &mut out);
                n += out.len();
            }
            n
        })
    });
    group.finish();
}

fn masks(c: &mut Criterion) {
    c.bench_function("mask_mobile", |b| {
        b.iter(|| mask(DetectorId::CnMobile, black_box("13812345678")))
    });
    c.bench_function("mask_cdr_record", |b| {
        b.iter(|| {
            mask(
                DetectorId::CdrRecord,
                black_box("13812345678|13912345678|2024-03-01 10:15:22"),
            )
        })
    });
}

fn validators(c: &mut Criterion) {
    c.bench_function("gb11643_check_char", |b| {
        b.iter(|| resident_id_check_char(black_box(b"11010119900307123")))
    });
    c.bench_function("luhn_19_digits", |b| {
        b.iter(|| luhn_valid(black_box(b"6228480012345678903")))
    });
}

/// Counting a set of a million hashes that spilled four runs to disk, as
/// the summary of a large call-detail scan does once at its end.
fn distinct_count(c: &mut Criterion) {
    use leakscan::classify::DistinctSet;
    let filled = || {
        let mut set = DistinctSet::spilling_at(1 << 18);
        // A fixed odd multiplier walks every u64 once: distinct hashes in
        // no order, a few repeated.
        for i in 0..1_100_000u64 {
            set.insert((i % 1_000_000).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
        set.settle();
        set
    };
    let mut group = c.benchmark_group("distinct");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("count_1m_spilled", |b| {
        b.iter_batched(
            filled,
            |set| assert_eq!(set.len(), 1_000_000),
            criterion::BatchSize::PerIteration,
        )
    });
    // What the scan does with each file's set: 2,000 files of 560 distinct
    // hashes each (a call-detail export's numbers), a few shared between
    // neighbouring files, merged into one set and counted.
    let files: Vec<DistinctSet> = (0..2_000u64)
        .map(|f| {
            let mut set = DistinctSet::new();
            for i in 0..560u64 {
                set.insert((f * 500 + i).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            }
            set.settle();
            set
        })
        .collect();
    group.throughput(Throughput::Elements(2_000 * 560));
    group.bench_function("absorb_2000_files", |b| {
        b.iter_batched(
            || {
                files
                    .iter()
                    .map(|f| {
                        let mut copy = DistinctSet::new();
                        f.for_each(|h| copy.insert(h)).unwrap();
                        copy.settle();
                        copy
                    })
                    .collect::<Vec<_>>()
            },
            |files| {
                let mut all = DistinctSet::new();
                files.into_iter().for_each(|f| all.absorb(f));
                assert_eq!(all.len(), 1_999 * 500 + 560);
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(
    benches,
    scanner,
    cdr_rows,
    validators,
    masks,
    distinct_count
);
criterion_main!(benches);
