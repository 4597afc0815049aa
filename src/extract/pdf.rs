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
    #[error("{0}; not scanned")]
    Child(#[from] ChildError),
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
        Ok(Err(e)) => Err(PdfError::Unreadable(e.to_string())),
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
}
