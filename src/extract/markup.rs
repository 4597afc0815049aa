//! Markup to text: HTML (tags and scripts dropped, entities decoded, block
//! ends become line breaks and table cells tabs) and RTF (control words
//! dropped, `\'hh` bytes decoded in the document's code page, `\uN` escapes
//! kept). Both are small hand-written strippers: what they keep is the text a
//! reader sees, which is where personal data is.

use encoding_rs::Encoding;

fn html_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => return None,
    })
}

/// The visible text of an HTML document.
pub fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find(['<', '&']) {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        if rest.starts_with('&') {
            match rest[1..]
                .find(';')
                .filter(|&e| e <= 10)
                .and_then(|e| html_entity(&rest[1..=e]).map(|c| (c, e)))
            {
                Some((c, e)) => {
                    out.push(c);
                    rest = &rest[e + 2..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
            continue;
        }
        let Some(gt) = rest.find('>') else {
            rest = "";
            break;
        };
        let closing = rest[1..gt].starts_with('/');
        let tag = rest[1..gt].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        rest = &rest[gt + 1..];
        if !closing && (name == "script" || name == "style") {
            let close = format!("</{name}");
            let end = rest.to_ascii_lowercase().find(&close).unwrap_or(rest.len());
            rest = &rest[end..];
            continue;
        }
        match name.as_str() {
            "td" | "th" if closing => out.push('\t'),
            "tr" if closing => out.push('\n'),
            "tr" => {}
            "br" | "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table"
            | "title" => out.push('\n'),
            _ => {}
        }
    }
    out.push_str(rest);
    out
}

/// The text of an RTF document.
pub fn rtf_text(rtf: &[u8]) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut codepage: &'static Encoding = encoding_rs::WINDOWS_1252;
    // Per group: whether its text is skipped (font tables, \* destinations).
    let mut skip_stack: Vec<bool> = vec![false];
    let mut skip_next_chars = 0usize;
    let flush = |pending: &mut Vec<u8>, out: &mut String, cp: &'static Encoding| {
        if !pending.is_empty() {
            out.push_str(&cp.decode_without_bom_handling(pending).0);
            pending.clear();
        }
    };
    let mut i = 0;
    while i < rtf.len() {
        let skipping = *skip_stack.last().unwrap_or(&false);
        let b = rtf[i];
        match b {
            b'{' => {
                skip_stack.push(skipping);
                i += 1;
            }
            b'}' => {
                if skip_stack.len() > 1 {
                    skip_stack.pop();
                }
                i += 1;
            }
            b'\\' => {
                let next = rtf.get(i + 1).copied().unwrap_or(b' ');
                if next == b'\'' {
                    let hex = rtf
                        .get(i + 2..i + 4)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        if !skipping && skip_next_chars == 0 {
                            pending.push(v);
                        }
                        skip_next_chars = skip_next_chars.saturating_sub(1);
                    }
                    i += 4;
                    continue;
                }
                if !next.is_ascii_alphabetic() {
                    if next == b'*' {
                        if let Some(top) = skip_stack.last_mut() {
                            *top = true;
                        }
                    } else if !skipping && matches!(next, b'\\' | b'{' | b'}') {
                        flush(&mut pending, &mut out, codepage);
                        out.push(char::from(next));
                    }
                    i += 2;
                    continue;
                }
                let start = i + 1;
                let mut j = start;
                while j < rtf.len() && rtf[j].is_ascii_alphabetic() {
                    j += 1;
                }
                let word = &rtf[start..j];
                let num_start = j;
                if j < rtf.len() && rtf[j] == b'-' {
                    j += 1;
                }
                while j < rtf.len() && rtf[j].is_ascii_digit() {
                    j += 1;
                }
                let num: Option<i32> = std::str::from_utf8(&rtf[num_start..j])
                    .ok()
                    .and_then(|n| n.parse().ok());
                if j < rtf.len() && rtf[j] == b' ' {
                    j += 1;
                }
                i = j;
                match word {
                    b"fonttbl" | b"colortbl" | b"stylesheet" | b"info" | b"pict" | b"header"
                    | b"footer" => {
                        if let Some(top) = skip_stack.last_mut() {
                            *top = true;
                        }
                    }
                    b"ansicpg" => {
                        if let Some(cp) = num.and_then(codepage_encoding) {
                            codepage = cp;
                        }
                    }
                    b"par" | b"line" | b"row" if !skipping => {
                        flush(&mut pending, &mut out, codepage);
                        out.push('\n');
                    }
                    b"tab" | b"cell" if !skipping => {
                        flush(&mut pending, &mut out, codepage);
                        out.push('\t');
                    }
                    b"u" if !skipping => {
                        flush(&mut pending, &mut out, codepage);
                        if let Some(c) = num.and_then(|n| {
                            char::from_u32(if n < 0 { (n + 65536) as u32 } else { n as u32 })
                        }) {
                            out.push(c);
                        }
                        skip_next_chars = 1;
                    }
                    _ => {}
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                if !skipping {
                    if skip_next_chars > 0 {
                        skip_next_chars -= 1;
                    } else {
                        pending.push(b);
                    }
                }
                i += 1;
            }
        }
    }
    flush(&mut pending, &mut out, codepage);
    out
}

fn codepage_encoding(cp: i32) -> Option<&'static Encoding> {
    let label = match cp {
        936 => "gbk",
        950 => "big5",
        65001 => "utf-8",
        1252 => "windows-1252",
        n => return Encoding::for_label(format!("windows-{n}").as_bytes()),
    };
    Encoding::for_label(label.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_keeps_visible_text() {
        let html = "<html><head><title>T</title><style>p{color:red}</style><script>var x='13812345678';</script></head>\
            <body><p>手机&#65306;138 1234 5678&amp;more</p><table><tr><th>姓名</th><th>身份证</th></tr>\
            <tr><td>张三</td><td>110101199003071233</td></tr></table></body></html>";
        let text = html_text(html);
        assert!(text.contains("手机：138 1234 5678&more"), "{text}");
        assert!(text.contains("张三\t110101199003071233"), "{text}");
        assert!(!text.contains("color") && !text.contains("var x"), "{text}");
    }

    #[test]
    fn rtf_decodes_code_page_bytes_and_unicode() {
        // 身份证 in GBK is C9ED B7DD D6A4.
        let rtf = br"{\rtf1\ansi\ansicpg936{\fonttbl{\f0 SimSun;}}{\*\generator x;}\f0 \'c9\'ed\'b7\'dd\'d6\'a4 110101199003071233\par \u25163?\u26426? 13812345678}";
        let text = rtf_text(rtf);
        assert_eq!(text.trim(), "身份证 110101199003071233\n手机 13812345678");
    }
}
