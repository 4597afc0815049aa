//! PDF text through `pdf-extract`, in a child process when the scan has a
//! helper binary (see [`super::isolate`]).

use super::isolate::{self, ChildError, Isolation, Parser, EXIT_PANICKED, EXIT_UNREADABLE};
use std::io::{BufRead, Write};

/// Why a PDF gave no text.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The parser reported an error.
    #[error("unreadable PDF: {0}")]
    Unreadable(String),
    /// The parser panicked.
    #[error("unreadable PDF: the parser failed")]
    Panicked,
    /// The child timed out, crashed or could not be run.
    #[error("{0}")]
    Child(#[from] ChildError),
}

/// What can be read of a PDF without its parser: the file's own bytes
/// (metadata, uncompressed streams) and, after them, each of its
/// `FlateDecode` streams inflated. A damaged, truncated or hostile PDF
/// whose parser failed still has most of its text findable: content
/// streams hold the page text as literal strings (`(…) Tj`) for simple
/// fonts. Inflated bytes stop at `max_out` in all and, for a stream, at
/// `max_ratio` times its size (at least 1 MiB): a 4 MB stream of a
/// crafted PDF inflated to 1.5 GB. Returns the text and, if a limit
/// stopped it, why.
pub fn recovered_text(bytes: &[u8], max_out: u64, max_ratio: u64) -> (Vec<u8>, Option<String>) {
    use std::io::Read;
    let mut out = bytes.to_vec();
    let mut limited = None;
    for data in flate_streams(bytes) {
        let left = max_out.saturating_sub((out.len() - bytes.len()) as u64);
        let cap = (data.len() as u64)
            .saturating_mul(max_ratio)
            .max(1 << 20)
            .min(left);
        out.push(b'\n');
        let before = out.len();
        // A stream that does not inflate to the end (damaged, encrypted)
        // keeps what inflated before the damage.
        let mut inflate = flate2::read::ZlibDecoder::new(data).take(cap + 1);
        let mut buf = [0u8; 16 << 10];
        while let Ok(n) = inflate.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        if (out.len() - before) as u64 > cap {
            out.truncate(before + cap as usize);
            limited = Some(if cap == left {
                format!("inflated streams stopped at {} MiB", max_out >> 20)
            } else {
                format!("a stream inflating more than {max_ratio}:1 was cut short")
            });
            if cap == left {
                break;
            }
        }
    }
    (out, limited)
}

/// The data of each `FlateDecode` stream of `bytes` that is not an image
/// or a font, found by the `stream` and `endstream` keywords (a stream cut
/// short ends with the file).
fn flate_streams(bytes: &[u8]) -> Vec<&[u8]> {
    use memchr::memmem;
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = memmem::find(&bytes[from..], b"stream").map(|i| from + i) {
        from = at + b"stream".len();
        if bytes[..at].ends_with(b"end") {
            continue;
        }
        // The keyword is followed by an end of line.
        let start = match &bytes[from..] {
            [b'\r', b'\n', ..] => from + 2,
            [b'\n' | b'\r', ..] => from + 1,
            _ => continue,
        };
        let end = memmem::find(&bytes[start..], b"endstream").map_or(bytes.len(), |i| start + i);
        // The stream's dictionary: back to the object's start, at most 4 KiB.
        let dict_from = at.saturating_sub(4096);
        let dict = &bytes[dict_from..at];
        let dict = memmem::rfind(dict, b"obj").map_or(dict, |i| &dict[i..]);
        let has = |name: &[u8]| memmem::find(dict, name).is_some();
        let flate = has(b"/FlateDecode") || has(b"/Fl ") || has(b"/Fl]") || has(b"/Fl/");
        let skipped = has(b"/Image") || has(b"/Length1") || has(b"/FontFile");
        if flate && !skipped && end > start {
            found.push(&bytes[start..end]);
        }
        from = end;
    }
    found
}

/// The text of the PDF `bytes`: in a child process under `isolation`, or in
/// this process without one.
pub fn text(bytes: &[u8], isolation: Option<&Isolation>) -> Result<String, PdfError> {
    let Some(iso) = isolation else {
        return in_process(bytes);
    };
    let mut text = Vec::new();
    let exit = match isolate::run(Parser::Pdf, bytes, iso, |out: &mut dyn BufRead| {
        let _ = out.read_to_end(&mut text);
    }) {
        Err(ChildError::Spawn(..)) => return in_process(bytes),
        other => other?,
    };
    match exit.code {
        0 => Ok(String::from_utf8(text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())),
        EXIT_UNREADABLE => Err(PdfError::Unreadable(exit.message)),
        EXIT_PANICKED => Err(PdfError::Panicked),
        code => Err(ChildError::Crashed("PDF", format!("exit code {code}")).into()),
    }
}

/// Parse in this process; a panic is caught (a loop or a stack overflow is
/// not).
pub fn in_process(bytes: &[u8]) -> Result<String, PdfError> {
    match std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes)) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(PdfError::Unreadable(super::parser_message(e))),
        Err(_) => Err(PdfError::Panicked),
    }
}

/// The child's side: the text of `bytes` to `out`; the exit code.
pub(super) fn serve(bytes: &[u8], out: &mut impl Write) -> i32 {
    match in_process(bytes) {
        Ok(text) => match out.write_all(text.as_bytes()) {
            Ok(()) => 0,
            Err(_) => EXIT_UNREADABLE,
        },
        Err(PdfError::Unreadable(message)) => {
            isolate::tell(&message);
            EXIT_UNREADABLE
        }
        Err(_) => EXIT_PANICKED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_helper_that_cannot_start_means_parsing_here() {
        let iso = Isolation {
            helper: "/nonexistent/leakscan".into(),
            timeout: Duration::from_secs(5),
            memory: 0,
        };
        // Parsed in this process: the parser's own error, not the spawn's.
        match text(b"%PDF-1.4\nnot a pdf\n", Some(&iso)) {
            Err(PdfError::Unreadable(_) | PdfError::Panicked) => {}
            other => panic!("{other:?}"),
        }
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn pdf_with_streams(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n1 0 obj << /Title (report) >> endobj\n".to_vec();
        for (k, (dict, data)) in streams.iter().enumerate() {
            pdf.extend_from_slice(
                format!(
                    "{} 0 obj << /Length {} {dict} >>\nstream\r\n",
                    k + 2,
                    data.len()
                )
                .as_bytes(),
            );
            pdf.extend_from_slice(data);
            pdf.extend_from_slice(b"\nendstream\nendobj\n");
        }
        pdf
    }

    #[test]
    fn inflated_streams_follow_the_raw_bytes() {
        let page = deflate(b"BT (tel 13912345678) Tj ET");
        let font = deflate(b"font program 13800000000");
        let pdf = pdf_with_streams(&[
            ("/Filter /FlateDecode", page),
            ("/Filter /FlateDecode /Length1 100", font),
            ("", b"BT (plain) Tj ET".to_vec()),
        ]);
        let (text, limited) = recovered_text(&pdf, 1 << 20, 100);
        assert_eq!(limited, None);
        assert!(text.starts_with(&pdf), "the raw bytes first");
        let rest = String::from_utf8_lossy(&text[pdf.len()..]).to_string();
        assert_eq!(rest, "\nBT (tel 13912345678) Tj ET", "fonts are left out");
    }

    #[test]
    fn a_stream_cut_short_keeps_what_inflated() {
        let long: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let page = deflate(&long);
        let mut pdf = pdf_with_streams(&[("/Filter /FlateDecode", page)]);
        // Cut in the middle of the stream: no `endstream`.
        pdf.truncate(pdf.len() - 5_000);
        let (text, _) = recovered_text(&pdf, 1 << 30, 1000);
        let rest = String::from_utf8_lossy(&text[pdf.len()..]).to_string();
        assert!(rest.starts_with("\nline 0\nline 1\n"), "{}", &rest[..40]);
        assert!(rest.len() > 1000);
    }

    #[test]
    fn inflating_stops_at_the_limits() {
        let bomb = deflate(&vec![b' '; 8 << 20]);
        let pdf = pdf_with_streams(&[("/Filter /FlateDecode", bomb.clone())]);
        let (text, limited) = recovered_text(&pdf, 64 << 20, 100);
        // 1 MiB at least, 100:1 past that.
        assert_eq!(
            text.len() - pdf.len() - 1,
            (bomb.len() as u64 * 100).max(1 << 20) as usize
        );
        assert!(limited.is_some_and(|l| l.contains("100:1")));
        let (text, limited) = recovered_text(&pdf, 2 << 20, 1000);
        assert_eq!(text.len() - pdf.len() - 1, 2 << 20);
        assert!(limited.is_some_and(|l| l.contains("stopped at 2 MiB")));
    }
}
