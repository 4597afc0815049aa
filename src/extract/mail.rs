//! E-mail messages (`.eml`, RFC 5322 with MIME) through `mail-parser`: the
//! header block, the text and HTML bodies, and the attachments (which the
//! pipeline scans like any other file, nested archives included).

use mail_parser::{MessageParser, MimeHeaders};

/// The parts of a message worth scanning.
#[derive(Debug, Default)]
pub struct MailParts {
    /// Raw header lines (addresses, names, phone numbers in signatures).
    pub headers: String,
    /// Text bodies (HTML bodies already stripped to text).
    pub bodies: Vec<String>,
    /// Attachments: file name and decoded bytes.
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Split a message into its parts, or `None` if it does not parse.
pub fn parts(raw: &[u8]) -> Option<MailParts> {
    let message = MessageParser::default().parse(raw)?;
    let mut out = MailParts::default();
    for (name, value) in message.headers_raw() {
        out.headers.push_str(name);
        out.headers.push(':');
        out.headers.push_str(value.trim_end());
        out.headers.push('\n');
    }
    for part in message.text_bodies() {
        if let Some(t) = part.text_contents() {
            out.bodies.push(t.to_string());
        }
    }
    for part in message.html_bodies() {
        if let Some(t) = part.text_contents() {
            out.bodies.push(super::markup::html_text(t));
        }
    }
    for (i, part) in message.attachments().enumerate() {
        let name = part
            .attachment_name()
            .map(|n| n.replace(['/', '\\', '!'], "_"))
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        out.attachments.push((name, part.contents().to_vec()));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_bodies_and_attachments() {
        let raw = "From: Zhang <zhang@example.com>\r\nTo: li@example.com\r\nSubject: =?UTF-8?B?5a6i5oi3?=\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n手机 13812345678\r\n\
--b\r\nContent-Type: text/csv; name=\"list.csv\"\r\nContent-Disposition: attachment; filename=\"list.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
c2Z6aAoxMTAxMDExOTkwMDMwNzEyMzMK\r\n--b--\r\n";
        let p = parts(raw.as_bytes()).unwrap();
        assert!(p.headers.contains("zhang@example.com"));
        assert!(p.bodies.iter().any(|b| b.contains("13812345678")));
        assert_eq!(p.attachments.len(), 1);
        assert_eq!(p.attachments[0].0, "list.csv");
        assert_eq!(p.attachments[0].1, b"sfzh\n110101199003071233\n");
    }
}
