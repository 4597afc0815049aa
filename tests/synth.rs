//! Synthetic data shared by the fixture and corpus generator
//! (`examples/gen.rs`) and the accuracy test: a seeded PRNG, generators of
//! valid values with their own check-digit code (independent of leakscan's),
//! hard negatives, and a labelled accuracy corpus with its ground truth.
//!
//! Every number is made up here from a seed; nothing is copied from anywhere.

#![allow(dead_code)] // each includer uses a different part

use std::fmt::Write as _;
use std::path::Path;

/// splitmix64: small, fast, deterministic.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// Region codes known to be in GB/T 2260 (checked against patterns/region-codes.csv).
pub const REGIONS: [&str; 8] = [
    "110101", "110102", "310115", "320102", "330106", "440305", "510107", "420102",
];
/// Allocated mobile segments.
pub const SEGMENTS: [&str; 10] = [
    "138", "139", "150", "186", "177", "199", "135", "158", "189", "166",
];
pub const SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄"];
pub const GIVEN: [&str; 8] = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋"];

pub fn check_char(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

pub fn birth(rng: &mut Rng) -> String {
    let y = 1950 + rng.below(56);
    let m = 1 + rng.below(12);
    let d = 1 + rng.below(28);
    format!("{y:04}{m:02}{d:02}")
}

pub fn id18(rng: &mut Rng) -> String {
    let first = format!("{}{}{}", rng.pick(&REGIONS), birth(rng), rng.digits(3));
    let c = check_char(&first);
    format!("{first}{c}")
}

/// An ID with every rule right except the check character.
pub fn id_bad_check(rng: &mut Rng) -> String {
    let good = id18(rng);
    let c = good.as_bytes()[17];
    let wrong = if c == b'0' { '1' } else { '0' };
    format!("{}{wrong}", &good[..17])
}

/// An ID with a correct check character for an impossible date (30 February).
pub fn id_bad_date(rng: &mut Rng) -> String {
    let first = format!(
        "{}{}0230{}",
        rng.pick(&REGIONS),
        1960 + rng.below(40),
        rng.digits(3)
    );
    let c = check_char(&first);
    format!("{first}{c}")
}

/// An ID with a correct check character and an unknown region (99xxxx).
pub fn id_bad_region(rng: &mut Rng) -> String {
    let first = format!("99{}{}{}", rng.digits(4), birth(rng), rng.digits(3));
    let c = check_char(&first);
    format!("{first}{c}")
}

pub fn mobile(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(&SEGMENTS), rng.digits(8))
}

pub fn name(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN))
}

pub fn timestamp(rng: &mut Rng) -> String {
    format!(
        "2024-03-{:02} {:02}:{:02}:{:02}",
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

/// Ground truth rows: (path, line, detector, value).
pub type Truth = Vec<(String, u64, &'static str, String)>;

/// A labelled text file under construction.
pub struct Labelled {
    pub path: String,
    pub text: String,
    pub line: u64,
    pub truth: Truth,
}

impl Labelled {
    pub fn new(path: &str) -> Self {
        Labelled {
            path: path.to_string(),
            text: String::new(),
            line: 0,
            truth: Vec::new(),
        }
    }

    /// Add a line holding the given (detector, value) findings.
    pub fn line(&mut self, text: &str, found: &[(&'static str, &str)]) {
        self.line += 1;
        self.text.push_str(text);
        self.text.push('\n');
        for (d, v) in found {
            self.truth
                .push((self.path.clone(), self.line, d, v.to_string()));
        }
    }
}

/// Append the Luhn check digit to `body`.
pub fn luhn_complete(body: &str) -> String {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Replace the last digit with a different one (breaks any check digit).
pub fn break_last(v: &str) -> String {
    let last = v.as_bytes()[v.len() - 1];
    let other = if last == b'0' { '1' } else { '0' };
    format!("{}{other}", &v[..v.len() - 1])
}

pub fn bank_card(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => luhn_complete(&format!("622202{}", rng.digits(9))),
        1 => luhn_complete(&format!("622848{}", rng.digits(12))),
        _ => luhn_complete(&format!("4{}", rng.digits(14))),
    }
}

pub fn imsi(rng: &mut Rng) -> String {
    format!(
        "460{}{}",
        rng.pick(&["00", "01", "02", "03", "07", "11"]),
        rng.digits(10)
    )
}

pub fn imei(rng: &mut Rng) -> String {
    luhn_complete(&format!("{}{}", rng.pick(&["35", "86"]), rng.digits(12)))
}

pub fn iccid(rng: &mut Rng) -> String {
    let body = format!(
        "8986{}{}",
        rng.pick(&["00", "01", "03", "11"]),
        rng.digits(12)
    );
    if rng.below(2) == 0 {
        luhn_complete(&body)
    } else {
        luhn_complete(&format!("{body}{}", rng.digits(1)))
    }
}

/// A unified social credit code with a GB 32100 check character.
pub fn uscc(rng: &mut Rng) -> String {
    const C: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const W: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let mut s = format!("91{}", rng.pick(&REGIONS));
    for _ in 0..9 {
        s.push(char::from(C[rng.below(31) as usize]));
    }
    let sum: u32 = s
        .bytes()
        .zip(W)
        .map(|(b, w)| C.iter().position(|&c| c == b).unwrap_or(0) as u32 * w)
        .sum();
    s.push(char::from(C[((31 - sum % 31) % 31) as usize]));
    s
}

pub fn passport(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(&["E", "G"]), rng.digits(8))
}

pub fn permit(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(&["H", "M"]), rng.digits(8))
}

pub fn email(rng: &mut Rng) -> String {
    let users = ["zhangwei", "li.na", "wang_fang", "liu.yang88", "chen.jing"];
    let domains = ["example.com", "mail.example.cn", "corp.example.net"];
    format!(
        "{}{}@{}",
        rng.pick(&users),
        rng.below(1000),
        rng.pick(&domains)
    )
}

/// A landline (national form) and its display in one of several formats.
pub fn landline(rng: &mut Rng) -> (String, String) {
    let (area, local) = match rng.below(3) {
        0 => ("010", format!("6{}", rng.digits(7))),
        1 => ("021", format!("5{}", rng.digits(7))),
        _ => ("0755", format!("8{}", rng.digits(7))),
    };
    let shown = match rng.below(3) {
        0 => format!("{area}-{local}"),
        1 => format!("({area}) {} {}", &local[..4], &local[4..]),
        _ => format!("+86 {} {} {}", &area[1..], &local[..4], &local[4..]),
    };
    (format!("{area}{local}"), shown)
}

/// A hard negative line: nothing in it is personal data.
pub fn negative_line(rng: &mut Rng) -> String {
    match rng.below(18) {
        0 => format!("order={} status=paid", rng.digits(25)),
        1 => format!(
            "ts={} elapsed={}ms",
            20_240_301_000_000u64 + rng.below(100_000_000),
            rng.below(999)
        ),
        2 => format!("wrong check: {}", id_bad_check(rng)),
        3 => format!("impossible date: {}", id_bad_date(rng)),
        4 => format!("unknown region: {}", id_bad_region(rng)),
        5 => format!("card failing Luhn: {}", break_last(&bank_card(rng))),
        6 => format!("iccid failing Luhn: {}", break_last(&iccid(rng))),
        7 => format!("hotline 10086 / 10010 / 95588 / 400-810-{}", rng.digits(4)),
        8 => format!(
            "uuid {:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            rng.next() as u32,
            rng.below(65536),
            rng.below(4096),
            rng.below(4096),
            rng.next() & 0xFFFF_FFFF_FFFF
        ),
        9 => format!(
            "sha1 {:016x}{:016x}{:08x}",
            rng.next(),
            rng.next(),
            rng.next() as u32
        ),
        10 => format!("unallocated 120{} 100{}", rng.digits(8), rng.digits(8)),
        11 => format!("imsi=46099{} (unknown network)", rng.digits(10)),
        12 => format!("IMEI:{} (bad check digit)", break_last(&imei(rng))),
        13 => format!("ref E{} code G{}", rng.digits(8), rng.digits(8)),
        14 => "mail user@localhost or a@b or name@.com".to_string(),
        15 => format!("tel 0900-{} (no such area code)", rng.digits(7)),
        16 => {
            let u = uscc(rng);
            let bad = if u.ends_with('0') {
                format!("{}1", &u[..17])
            } else {
                format!("{}0", &u[..17])
            };
            format!("credit code {bad} (bad check character)")
        }
        _ => format!("glued ORD{}X and no{}", mobile(rng), id18(rng)),
    }
}

/// Write the labelled accuracy corpus under `dir`: customer exports (UTF-8
/// and GBK), a device table, a CDR table, a log, NDJSON events and a prose
/// report in UTF-16LE, each mixed with hard negatives. Returns the truth.
pub fn accuracy_corpus(dir: &Path, rows: usize) -> Truth {
    let mut rng = Rng(77);
    let mut truth = Truth::new();
    let mut files: Vec<(Labelled, &str)> = Vec::new();

    let mut c = Labelled::new("exports/customers.csv");
    c.line(
        "客户姓名,证件号码,手机号码,固定电话,银行卡号,邮箱,订单号,备注",
        &[],
    );
    for _ in 0..rows {
        let (id, m, card, mail) = (
            id18(&mut rng),
            mobile(&mut rng),
            bank_card(&mut rng),
            email(&mut rng),
        );
        let (land, land_shown) = landline(&mut rng);
        let order = format!("2024{}", rng.digits(16));
        let note = negative_line(&mut rng).replace(',', ";");
        c.line(
            &format!(
                "{},{id},{m},{land_shown},{card},{mail},{order},{note}",
                name(&mut rng)
            ),
            &[
                ("cn_resident_id", &id),
                ("cn_mobile", &m),
                ("cn_landline", &land),
                ("bank_card", &card),
                ("email", &mail),
            ],
        );
    }
    let mut g = Labelled::new("exports/customers_gbk.csv");
    g.text = c.text.clone();
    g.truth = c
        .truth
        .iter()
        .map(|t| (g.path.clone(), t.1, t.2, t.3.clone()))
        .collect();
    files.push((c, "utf-8"));
    files.push((g, "gbk"));

    let mut dev = Labelled::new("exports/devices.tsv");
    dev.line("msisdn\timsi\timei\ticcid\tserial_no", &[]);
    for _ in 0..rows {
        let (m, s, e, cc) = (
            mobile(&mut rng),
            imsi(&mut rng),
            imei(&mut rng),
            iccid(&mut rng),
        );
        let serial = rng.digits(15);
        dev.line(
            &format!("{m}\t{s}\t{e}\t{cc}\t{serial}"),
            &[
                ("cn_mobile", &m),
                ("imsi", &s),
                ("imei", &e),
                ("iccid", &cc),
            ],
        );
    }
    files.push((dev, "utf-8"));

    let mut cdr = Labelled::new("cdr/202403.csv");
    cdr.line("主叫号码,被叫号码,开始时间,通话时长,基站", &[]);
    for i in 0..rows {
        let (a, t) = (mobile(&mut rng), timestamp(&mut rng));
        // Every tenth callee is a landline, written without separators:
        // the callee column names it.
        let (b, callee) = if i % 10 == 9 {
            (landline(&mut rng).0, "cn_landline")
        } else {
            (mobile(&mut rng), "cn_mobile")
        };
        let rec = format!("{a}|{b}|{t}");
        cdr.line(
            &format!("{a},{b},{t},{},{}", rng.below(3600), rng.digits(9)),
            &[("cn_mobile", &a), (callee, &b), ("cdr_record", &rec)],
        );
    }
    files.push((cdr, "utf-8"));

    let mut log = Labelled::new("logs/app.log");
    for i in 0..rows * 2 {
        let t = timestamp(&mut rng);
        match i % 6 {
            0 => {
                let m = mobile(&mut rng);
                let shown = format!("+86 {} {} {}", &m[..3], &m[3..7], &m[7..]);
                log.line(
                    &format!("{t} INFO login msisdn={shown} ok"),
                    &[("cn_mobile", &m)],
                );
            }
            1 => {
                let (a, b) = (mobile(&mut rng), mobile(&mut rng));
                let rec = format!("{a}|{b}|{t}");
                log.line(
                    &format!(
                        "{t} CDR calling={a} called={b} duration={}s",
                        rng.below(600)
                    ),
                    &[("cn_mobile", &a), ("cn_mobile", &b), ("cdr_record", &rec)],
                );
            }
            2 => {
                let id = id18(&mut rng);
                let spaced = format!("{} {} {}", &id[..6], &id[6..14], &id[14..]);
                log.line(
                    &format!("{t} INFO kyc id_no={spaced} passed"),
                    &[("cn_resident_id", &id)],
                );
            }
            3 => {
                let e = imei(&mut rng);
                log.line(&format!("{t} INFO attach IMEI:{e}"), &[("imei", &e)]);
            }
            _ => log.line(&format!("{t} DEBUG {}", negative_line(&mut rng)), &[]),
        }
    }
    files.push((log, "utf-8"));

    let mut ev = Labelled::new("events/kyc.ndjson");
    for _ in 0..rows {
        let (id, p, u) = (id18(&mut rng), passport(&mut rng), uscc(&mut rng));
        let fake = id18(&mut rng);
        ev.line(
            &format!("{{\"id_card\":\"{id}\",\"passport_no\":\"{p}\",\"credit_code\":\"{u}\",\"order_no\":\"{fake}\"}}"),
            &[("cn_resident_id", &id), ("cn_passport", &p), ("uscc", &u)],
        );
    }
    files.push((ev, "utf-8"));

    let mut prose = Labelled::new("reports/自查报告.txt");
    for _ in 0..rows {
        let (id, m, pm) = (id18(&mut rng), mobile(&mut rng), permit(&mut rng));
        let full_width: String = m
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap_or(c))
            .collect();
        prose.line(
            &format!("经查，客户{}（公民身份号码{id}，手机{full_width}）持港澳居民来往内地通行证{pm}办理业务。", name(&mut rng)),
            &[("cn_resident_id", &id), ("cn_mobile", &m), ("cn_travel_permit", &pm)],
        );
        prose.line(&format!("备注：{}。", negative_line(&mut rng)), &[]);
    }
    files.push((prose, "utf-16le"));

    // The same data again in other containers and formats, with the same truth.
    let mut extra: Vec<(String, Vec<u8>, Truth)> = Vec::new();
    for (f, _) in &files {
        let retarget = |path: &str| -> Truth {
            f.truth
                .iter()
                .map(|t| (path.to_string(), t.1, t.2, t.3.clone()))
                .collect()
        };
        match f.path.as_str() {
            "exports/customers.csv" => {
                let rows: Vec<Vec<String>> = f
                    .text
                    .lines()
                    .map(|l| l.split(',').map(str::to_string).collect())
                    .collect();
                extra.push((
                    "exports/customers.xlsx".into(),
                    xlsx_bytes("customers", &rows),
                    retarget("exports/customers.xlsx!customers"),
                ));
            }
            "exports/devices.tsv" => {
                let zipped = zip_bytes(&[("devices.tsv", f.text.as_bytes())], &[]);
                extra.push((
                    "exports/devices.zip".into(),
                    zipped,
                    retarget("exports/devices.zip!devices.tsv"),
                ));
            }
            "logs/app.log" => {
                extra.push((
                    "logs/app.log.gz".into(),
                    gzip_bytes(f.text.as_bytes()),
                    retarget("logs/app.log.gz!app.log"),
                ));
            }
            "reports/自查报告.txt" => {
                let paragraphs: Vec<String> = f.text.lines().map(str::to_string).collect();
                extra.push((
                    "reports/report.docx".into(),
                    docx_bytes(&[], &paragraphs),
                    retarget("reports/report.docx"),
                ));
            }
            _ => {}
        }
    }
    for (path, bytes, t) in extra {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create folder");
        std::fs::write(&path, bytes).expect("write corpus file");
        truth.extend(t);
    }
    for (f, encoding) in files {
        let bytes = match encoding {
            "gbk" => encoding_rs::GB18030.encode(&f.text).0.into_owned(),
            "utf-16le" => {
                let mut b = vec![0xFF, 0xFE];
                b.extend(f.text.encode_utf16().flat_map(u16::to_le_bytes));
                b
            }
            _ => f.text.clone().into_bytes(),
        };
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create folder");
        std::fs::write(&path, bytes).expect("write corpus file");
        truth.extend(f.truth);
    }
    truth.sort();
    truth
}

/// The truth as CSV text (`path,line,detector,value`).
pub fn truth_csv(truth: &Truth) -> String {
    let mut out = String::from("path,line,detector,value\n");
    for (p, l, d, v) in truth {
        let _ = writeln!(out, "{p},{l},{d},{v}");
    }
    out
}

/// A zip archive of `(name, bytes)` members (deflated, or stored when asked).
pub fn zip_bytes(members: &[(&str, &[u8])], stored: &[&str]) -> Vec<u8> {
    use std::io::Write as _;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        let method = if stored.contains(name) {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(zip::DateTime::default());
        w.start_file(*name, opts).expect("start zip member");
        w.write_all(data).expect("write zip member");
    }
    w.finish().expect("finish zip").into_inner()
}

/// A gzip stream of `data`.
pub fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// A tar archive of `(name, bytes)` members.
pub fn tar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        b.append_data(&mut h, name, *data).expect("tar member");
    }
    b.into_inner().expect("finish tar")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A minimal XLSX workbook with one sheet of inline-string cells.
pub fn xlsx_bytes(sheet: &str, rows: &[Vec<String>]) -> Vec<u8> {
    xlsx_book(&[(sheet, sheet_xml(rows))])
}

/// The worksheet part holding `rows` as inline strings.
pub fn sheet_xml(rows: &[Vec<String>]) -> String {
    let mut data = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (i, row) in rows.iter().enumerate() {
        let _ = write!(data, r#"<row r="{}">"#, i + 1);
        for (j, cell) in row.iter().enumerate() {
            let col = char::from(b'A' + j as u8);
            let _ = write!(
                data,
                r#"<c r="{col}{}" t="inlineStr"><is><t>{}</t></is></c>"#,
                i + 1,
                xml_escape(cell)
            );
        }
        data.push_str("</row>");
    }
    data.push_str("</sheetData></worksheet>");
    data
}

/// An XLSX workbook of the sheets `(name, worksheet part)`, in order.
pub fn xlsx_book(sheets: &[(&str, String)]) -> Vec<u8> {
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
    );
    let mut listed = String::new();
    let mut wb_rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    let mut parts = Vec::new();
    for (i, (name, xml)) in sheets.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            types,
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
        let _ = write!(
            listed,
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            xml_escape(name)
        );
        let _ = write!(
            wb_rels,
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
        parts.push((format!("xl/worksheets/sheet{n}.xml"), xml.as_bytes()));
    }
    types.push_str("</Types>");
    wb_rels.push_str("</Relationships>");
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{listed}</sheets></workbook>"#
    );
    let mut members: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", wb_rels.as_bytes()),
    ];
    members.extend(parts.iter().map(|(name, xml)| (name.as_str(), *xml)));
    zip_bytes(&members, &[])
}

/// A minimal ODS spreadsheet with one table.
pub fn ods_bytes(sheet: &str, rows: &[Vec<String>]) -> Vec<u8> {
    let mut content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="{}">"#,
        xml_escape(sheet)
    );
    for row in rows {
        content.push_str("<table:table-row>");
        for cell in row {
            let _ = write!(
                content,
                r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                xml_escape(cell)
            );
        }
        content.push_str("</table:table-row>");
    }
    content.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    ods_of_content(&content)
}

/// An ODS spreadsheet whose `content.xml` is `content`.
pub fn ods_of_content(content: &str) -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    zip_bytes(
        &[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            ),
            ("META-INF/manifest.xml", manifest.as_bytes()),
            ("content.xml", content.as_bytes()),
        ],
        &["mimetype"],
    )
}

fn office_table(prefix: &str, rows: &[Vec<String>]) -> String {
    let mut x = format!("<{prefix}:tbl>");
    for row in rows {
        let _ = write!(x, "<{prefix}:tr>");
        for cell in row {
            let _ = write!(x, "<{prefix}:tc><{prefix}:p><{prefix}:r><{prefix}:t>{}</{prefix}:t></{prefix}:r></{prefix}:p></{prefix}:tc>", xml_escape(cell));
        }
        let _ = write!(x, "</{prefix}:tr>");
    }
    let _ = write!(x, "</{prefix}:tbl>");
    x
}

/// A minimal DOCX with a table followed by paragraphs.
pub fn docx_bytes(rows: &[Vec<String>], paragraphs: &[String]) -> Vec<u8> {
    let mut body = office_table("w", rows);
    for p in paragraphs {
        let _ = write!(
            body,
            "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
            xml_escape(p)
        );
    }
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    zip_bytes(
        &[
            ("[Content_Types].xml", types.as_bytes()),
            ("_rels/.rels", rels.as_bytes()),
            ("word/document.xml", doc.as_bytes()),
        ],
        &[],
    )
}

/// A minimal PPTX with one slide holding a table followed by paragraphs.
pub fn pptx_bytes(rows: &[Vec<String>], paragraphs: &[String]) -> Vec<u8> {
    let mut body = office_table("a", rows);
    for p in paragraphs {
        let _ = write!(body, "<a:p><a:r><a:t>{}</a:t></a:r></a:p>", xml_escape(p));
    }
    let slide = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree>{body}</p:spTree></p:cSld></p:sld>"#
    );
    let pres = r#"<?xml version="1.0" encoding="UTF-8"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>"#;
    zip_bytes(
        &[
            ("ppt/presentation.xml", pres.as_bytes()),
            ("ppt/slides/slide1.xml", slide.as_bytes()),
        ],
        &[],
    )
}

/// A one-page PDF whose text layer holds `lines` (ASCII, Helvetica).
pub fn pdf_bytes(lines: &[String]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 50 780 Td 14 TL\n");
    for l in lines {
        let esc = l
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        let _ = writeln!(content, "({esc}) Tj T*");
    }
    content.push_str("ET\n");
    pdf_of_objects(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ])
}

/// A PDF whose page has no media box and whose page tree is its own
/// parent: the parser looks for the inherited box forever.
pub fn pdf_hanging() -> Vec<u8> {
    let content = "BT /F1 11 Tf 50 780 Td (page) Tj ET\n";
    pdf_of_objects(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 2 0 R >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
    ])
}

/// A PDF whose catalog holds arrays nested `depth` deep: a recursive parser
/// overflows its stack.
pub fn pdf_deep(depth: usize) -> Vec<u8> {
    pdf_of_objects(&[
        format!(
            "<< /Type /Catalog /Pages 2 0 R /X {}{} >>",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
        "<< /Type /Pages /Kids [] /Count 0 >>".to_string(),
    ])
}

/// A PDF of `objects` (numbered from 1, the first the catalog), with its
/// cross-reference table.
fn pdf_of_objects(objects: &[String]) -> Vec<u8> {
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{o}\nendobj\n", i + 1);
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(out, "{off:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.into_bytes()
}

/// An RTF document (code page 936) with the rows as tab-separated lines.
pub fn rtf_bytes(rows: &[Vec<String>], paragraphs: &[String]) -> Vec<u8> {
    let mut out = b"{\\rtf1\\ansi\\ansicpg936{\\fonttbl{\\f0 SimSun;}}\\f0 ".to_vec();
    let line = |s: &str, out: &mut Vec<u8>| {
        let (gbk, _, _) = encoding_rs::GB18030.encode(s);
        for &b in gbk.iter() {
            match b {
                b'\t' => out.extend_from_slice(b"\\tab "),
                0x80..=0xFF => out.extend_from_slice(format!("\\'{b:02x}").as_bytes()),
                b'\\' | b'{' | b'}' => {
                    out.push(b'\\');
                    out.push(b);
                }
                _ => out.push(b),
            }
        }
        out.extend_from_slice(b"\\par\n");
    };
    for row in rows {
        line(&row.join("\t"), &mut out);
    }
    for p in paragraphs {
        line(p, &mut out);
    }
    out.push(b'}');
    out
}

/// An HTML page with the rows as a table followed by paragraphs.
pub fn html_bytes(rows: &[Vec<String>], paragraphs: &[String]) -> Vec<u8> {
    let mut h = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>客户清单</title><style>td{padding:2px}</style></head><body><table>\n");
    for (i, row) in rows.iter().enumerate() {
        let tag = if i == 0 { "th" } else { "td" };
        h.push_str("<tr>");
        for c in row {
            let _ = write!(h, "<{tag}>{}</{tag}>", xml_escape(c));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    for p in paragraphs {
        let _ = writeln!(h, "<p>{}</p>", xml_escape(p));
    }
    h.push_str("</body></html>\n");
    h.into_bytes()
}

/// An e-mail with a text body and `attachment` as a base64 attachment.
pub fn eml_bytes(body: &str, attachment: (&str, &[u8])) -> Vec<u8> {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut enc = String::new();
    for chunk in attachment.1.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, &b)| a | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                enc.push(char::from(B64[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                enc.push('=');
            }
        }
    }
    let wrapped: Vec<String> = enc
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "From: Audit <audit@example.com>\r\nTo: Ops <ops@example.com>\r\nSubject: export\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n--BOUNDARY\r\nContent-Type: application/octet-stream; name=\"{0}\"\r\n\
Content-Disposition: attachment; filename=\"{0}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{1}\r\n--BOUNDARY--\r\n",
        attachment.0,
        wrapped.join("\r\n"),
    )
    .into_bytes()
}

/// The same labelled customer records written in every supported format and
/// encoding: `(relative path, bytes)`. The records: a header row and three
/// rows of name, ID and mobile, then a paragraph with one more mobile.
pub fn format_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng(4242);
    let mut rows = vec![vec![
        "姓名".to_string(),
        "身份证号".to_string(),
        "手机号码".to_string(),
    ]];
    for _ in 0..3 {
        rows.push(vec![name(&mut rng), id18(&mut rng), mobile(&mut rng)]);
    }
    let m4 = mobile(&mut rng);
    let para = vec![format!("客服回访：联系电话 {m4}，已核实。")];
    let mut csv = String::new();
    for r in &rows {
        csv.push_str(&r.join(","));
        csv.push('\n');
    }
    csv.push_str(&para[0]);
    csv.push('\n');
    let utf16 = |le: bool, bom: bool| {
        let mut b: Vec<u8> = if bom {
            if le {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            }
        } else {
            Vec::new()
        };
        for u in csv.encode_utf16() {
            b.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        b
    };
    let utf8 = csv.clone().into_bytes();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(&utf8);
    let gbk = encoding_rs::GB18030.encode(&csv).0.into_owned();
    // Big5 holds traditional characters only: the same records, traditional header.
    let big5_text = csv
        .replacen("身份证号,手机号码", "身份證號,手機號碼", 1)
        .replace("客服回访：联系电话", "客服回訪：聯繫電話")
        .replace("已核实", "已核實")
        .chars()
        .map(|c| match c {
            '张' => '張',
            '赵' => '趙',
            '刘' => '劉',
            '陈' => '陳',
            '杨' => '楊',
            '黄' => '黃',
            '伟' => '偉',
            '静' => '靜',
            '强' => '強',
            other => other,
        })
        .collect::<String>();
    let big5 = encoding_rs::BIG5.encode(&big5_text).0.into_owned();
    let xlsx = xlsx_bytes("客户", &[rows.clone(), vec![para.clone()]].concat());
    let pdf_lines: Vec<String> = rows[1..]
        .iter()
        .map(|r| format!("customer ID {} mobile {}", r[1], r[2]))
        .chain([format!("callback tel {m4}")])
        .collect();
    let inner_zip = zip_bytes(&[("book.xlsx", &xlsx)], &[]);
    vec![
        ("customers_utf8.csv".into(), utf8.clone()),
        ("customers_utf8_bom.csv".into(), bom),
        ("customers_gb18030.csv".into(), gbk),
        ("customers_big5.csv".into(), big5),
        ("customers_utf16le_bom.csv".into(), utf16(true, true)),
        ("customers_utf16be_bom.csv".into(), utf16(false, true)),
        ("customers_utf16le.csv".into(), utf16(true, false)),
        ("customers_utf16be.csv".into(), utf16(false, false)),
        ("book.xlsx".into(), xlsx.clone()),
        (
            "book.ods".into(),
            ods_bytes("客户", &[rows.clone(), vec![para.clone()]].concat()),
        ),
        ("report.docx".into(), docx_bytes(&rows, &para)),
        ("deck.pptx".into(), pptx_bytes(&rows, &para)),
        ("page.html".into(), html_bytes(&rows, &para)),
        ("letter.rtf".into(), rtf_bytes(&rows, &para)),
        (
            "mail.eml".into(),
            eml_bytes("请查收附件。", ("customers.csv", &utf8)),
        ),
        (
            "export.zip".into(),
            zip_bytes(&[("dir/customers.csv", &utf8)], &[]),
        ),
        (
            "nested.zip".into(),
            zip_bytes(&[("inner.zip", &inner_zip)], &[]),
        ),
        ("customers.csv.gz".into(), gzip_bytes(&utf8)),
        ("export.tar".into(), tar_bytes(&[("customers.csv", &utf8)])),
        (
            "export.tgz".into(),
            gzip_bytes(&tar_bytes(&[("customers.csv", &utf8)])),
        ),
        (
            "really_a_zip.txt".into(),
            zip_bytes(&[("customers.csv", &utf8)], &[]),
        ),
        ("statement.pdf".into(), pdf_bytes(&pdf_lines)),
    ]
}
