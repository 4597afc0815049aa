//! Office XML (DOCX `word/document.xml`, PPTX `ppt/slides/slideN.xml`) to
//! blocks: paragraphs of text and tables of cell texts. Both formats use the
//! local names `p` (paragraph), `t` (text run), `tbl`/`tr`/`tc` (table, row,
//! cell), `tab` and `br`, so one reader serves both. A table's first row is
//! its header, giving its columns context as in a CSV file.

use quick_xml::events::Event;
use quick_xml::Reader;

/// A piece of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph outside tables.
    Paragraph(String),
    /// A table: rows of cell texts.
    Table(Vec<Vec<String>>),
}

fn entity(name: &[u8]) -> Option<char> {
    Some(match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        _ => return None,
    })
}

/// Read the blocks of one Office XML part.
pub fn blocks(xml: &[u8]) -> Result<Vec<Block>, String> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut para = String::new();
    let mut in_text = false;
    // Tables may nest; cells of inner tables join their outer cell.
    let mut tables: Vec<(Vec<Vec<String>>, Vec<String>, String)> = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "malformed XML at byte {}: {}",
                reader.buffer_position(),
                super::parser_message(e)
            )
        })?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"t" => in_text = true,
                b"tbl" => tables.push((Vec::new(), Vec::new(), String::new())),
                b"tr" => {
                    if let Some(t) = tables.last_mut() {
                        t.1.clear();
                    }
                }
                b"tc" => {
                    if let Some(t) = tables.last_mut() {
                        t.2.clear();
                    }
                }
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => para.push('\t'),
                b"br" | b"cr" => para.push(' '),
                _ => {}
            },
            Event::Text(t) if in_text => {
                para.push_str(
                    &t.decode()
                        .map_err(|e| format!("bad text: {}", super::parser_message(e)))?,
                );
            }
            Event::GeneralRef(r) if in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    para.push(c);
                } else if let Some(c) = entity(r.as_ref()) {
                    para.push(c);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => {
                    let text = std::mem::take(&mut para);
                    match tables.last_mut() {
                        Some(t) => {
                            if !t.2.is_empty() && !text.is_empty() {
                                t.2.push(' ');
                            }
                            t.2.push_str(&text);
                        }
                        None if !text.trim().is_empty() => out.push(Block::Paragraph(text)),
                        None => {}
                    }
                }
                b"tc" => {
                    if let Some(t) = tables.last_mut() {
                        let cell = std::mem::take(&mut t.2);
                        t.1.push(cell);
                    }
                }
                b"tr" => {
                    if let Some(t) = tables.last_mut() {
                        let row = std::mem::take(&mut t.1);
                        t.0.push(row);
                    }
                }
                b"tbl" => {
                    if let Some((rows, _, _)) = tables.pop() {
                        match tables.last_mut() {
                            Some(outer) => {
                                let text: Vec<String> =
                                    rows.into_iter().map(|r| r.join(" ")).collect();
                                outer.2.push_str(&text.join(" "));
                            }
                            None => out.push(Block::Table(rows)),
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_tables() {
        let xml = r#"<w:document xmlns:w="w"><w:body>
            <w:p><w:r><w:t>客户</w:t></w:r><w:r><w:t xml:space="preserve"> 张三 &amp; 李四</w:t></w:r></w:p>
            <w:tbl>
              <w:tr><w:tc><w:p><w:r><w:t>姓名</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>身份证号</w:t></w:r></w:p></w:tc></w:tr>
              <w:tr><w:tc><w:p><w:r><w:t>王五</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>110101199003071233</w:t></w:r></w:p></w:tc></w:tr>
            </w:tbl>
            <w:p><w:r><w:t>end</w:t></w:r></w:p>
        </w:body></w:document>"#;
        assert_eq!(
            blocks(xml.as_bytes()).unwrap(),
            [
                Block::Paragraph("客户 张三 & 李四".into()),
                Block::Table(vec![
                    vec!["姓名".into(), "身份证号".into()],
                    vec!["王五".into(), "110101199003071233".into()],
                ]),
                Block::Paragraph("end".into()),
            ]
        );
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(blocks(b"<a><b></a>").is_err());
    }
}
