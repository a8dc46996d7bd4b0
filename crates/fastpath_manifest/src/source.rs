//! The manifest's bytes, its decoded text, and the map between the two.
//!
//! The parser works on text, but every span the model hands out is a byte range of the file as
//! it sits on disk, because edits splice those original bytes: that is what keeps a Latin-1
//! manifest Latin-1 and every untouched byte identical. Decoding follows CPython's tokenizer
//! (PEP 263 coding cookie on line 1 or 2, UTF-8 byte-order mark, UTF-8 otherwise); bytes that do
//! not decode are replaced so reading can go on, and reported.

use encoding_rs::{Encoding, UTF_8};
use fastpath_scan::{coding_cookie, cookie_line, encoding_for_python_label};

use crate::model::{DiagnosticKind, LineEnding, ManifestDiagnostic, Span};

/// A decoded manifest with the means to turn text offsets into file positions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Source {
    pub(crate) bytes: Vec<u8>,
    pub(crate) text: String,
    pub(crate) encoding: &'static Encoding,
    /// The name the coding cookie used, as written.
    pub(crate) declared: Option<String>,
    /// Whether new text can be encoded and spliced in (false when the decoded text does not
    /// map back onto the bytes one character at a time).
    pub(crate) editable: bool,
    /// `(text offset, byte offset)` pairs; between two anchors one text byte is one file byte.
    anchors: Vec<(u32, u32)>,
    /// Text offsets where each line starts.
    line_starts: Vec<u32>,
    pub(crate) line_ending: LineEnding,
}

impl Source {
    pub(crate) fn new(bytes: &[u8], diagnostics: &mut Vec<ManifestDiagnostic>) -> Source {
        let (body, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest, 3u32),
            None => (bytes, 0u32),
        };
        let declared = if bom > 0 { None } else { coding_cookie(body) };
        let mut problem = None;
        let encoding = match declared.as_deref() {
            None => UTF_8,
            Some(label) => encoding_for_python_label(label).unwrap_or_else(|| {
                problem = Some((
                    format!("unknown encoding `{label}` in the coding cookie; read as UTF-8"),
                    cookie_line(body),
                ));
                UTF_8
            }),
        };
        let (text, anchors, editable) = if encoding == UTF_8 {
            let (text, anchors, bad_at) = decode_utf8(body, bom);
            if let Some(offset) = bad_at {
                problem.get_or_insert_with(|| {
                    (
                        format!(
                            "invalid UTF-8 at byte {}{}; the bad bytes were read as U+FFFD",
                            offset + bom as usize,
                            if declared.is_some() {
                                ""
                            } else {
                                " and no coding cookie declares another encoding"
                            }
                        ),
                        line_of(body, offset),
                    )
                });
            }
            (text, anchors, true)
        } else {
            let (text, had_errors) = encoding.decode_without_bom_handling(body);
            let text = text.into_owned();
            if had_errors {
                problem.get_or_insert_with(|| {
                    (
                        format!(
                            "bytes invalid in the declared encoding `{}` were read as U+FFFD",
                            declared.as_deref().unwrap_or_default()
                        ),
                        1,
                    )
                });
            }
            match legacy_anchors(&text, body, encoding, bom) {
                Some(anchors) => (text, anchors, !had_errors),
                None => (text, vec![(0, bom)], false),
            }
        };
        let line_starts = line_starts(&text);
        let line_ending = LineEnding::detect(&text);
        let source = Source {
            bytes: bytes.to_vec(),
            text,
            encoding,
            declared,
            editable,
            anchors,
            line_starts,
            line_ending,
        };
        if let Some((message, line)) = problem {
            diagnostics.push(ManifestDiagnostic {
                kind: DiagnosticKind::Encoding,
                message,
                span: Span {
                    start: 0,
                    end: 0,
                    line,
                    column: 1,
                },
            });
        }
        source
    }

    /// The file byte offset of a text offset.
    pub(crate) fn byte_offset(&self, text_offset: u32) -> u32 {
        let at = self.anchors.partition_point(|&(t, _)| t <= text_offset) - 1;
        let (t, b) = self.anchors[at];
        b + (text_offset - t)
    }

    /// The text offset of a file byte offset (one that starts a character).
    pub(crate) fn text_offset(&self, byte_offset: u32) -> u32 {
        let at = self.anchors.partition_point(|&(_, b)| b <= byte_offset) - 1;
        let (t, b) = self.anchors[at];
        t + (byte_offset - b)
    }

    /// The span of a text range: file bytes plus the 1-based line and character column of its
    /// start.
    pub(crate) fn span(&self, start: u32, end: u32) -> Span {
        let line = self.line_starts.partition_point(|&s| s <= start) - 1;
        let line_start = self.line_starts[line] as usize;
        let column = self
            .text
            .get(line_start..start as usize)
            .map_or(start as usize - line_start, |prefix| prefix.chars().count());
        Span {
            start: self.byte_offset(start),
            end: self.byte_offset(end),
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// Text offset where the line holding `offset` starts.
    pub(crate) fn line_start(&self, offset: u32) -> u32 {
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        self.line_starts[line]
    }

    /// Text offset of the line break ending the line that holds `offset` (or the end of text).
    pub(crate) fn line_end(&self, offset: u32) -> u32 {
        let rest = &self.text.as_bytes()[offset as usize..];
        let len = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        offset + len as u32
    }
}

/// UTF-8 text of `body` (bytes after any BOM), with invalid sequences replaced the way
/// `String::from_utf8_lossy` does, anchors that account for each replacement, and where the
/// first bad byte was.
fn decode_utf8(body: &[u8], bom: u32) -> (String, Vec<(u32, u32)>, Option<usize>) {
    if let Ok(text) = std::str::from_utf8(body) {
        return (text.to_owned(), vec![(0, bom)], None);
    }
    let mut text = String::with_capacity(body.len() + 16);
    let mut anchors = vec![(0, bom)];
    let mut byte = bom;
    let mut first_bad = None;
    for chunk in body.utf8_chunks() {
        text.push_str(chunk.valid());
        byte += chunk.valid().len() as u32;
        if !chunk.invalid().is_empty() {
            first_bad.get_or_insert((byte - bom) as usize);
            text.push(char::REPLACEMENT_CHARACTER);
            byte += chunk.invalid().len() as u32;
            anchors.push((text.len() as u32, byte));
        }
    }
    (text, anchors, first_bad)
}

/// Anchors for a single- or double-byte legacy encoding, or `None` when the text does not
/// encode back to exactly these bytes (then no edit can be spliced safely).
fn legacy_anchors(
    text: &str,
    body: &[u8],
    encoding: &'static Encoding,
    bom: u32,
) -> Option<Vec<(u32, u32)>> {
    let (again, _, unmappable) = encoding.encode(text);
    if unmappable || *again != *body {
        return None;
    }
    let mut anchors = vec![(0, bom)];
    let mut byte = bom;
    let mut buf = [0u8; 4];
    for (at, ch) in text.char_indices() {
        let utf8_len = ch.len_utf8() as u32;
        let encoded_len = if ch.is_ascii() {
            1
        } else {
            encoding.encode(ch.encode_utf8(&mut buf)).0.len() as u32
        };
        byte += encoded_len;
        if encoded_len != utf8_len {
            anchors.push((at as u32 + utf8_len, byte));
        }
    }
    (byte - bom == body.len() as u32).then_some(anchors)
}

fn line_starts(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (pos, &b) in bytes.iter().enumerate() {
        // "\r\n" is one break; a lone "\r" is one too (Python's universal newlines).
        if b == b'\n' || (b == b'\r' && bytes.get(pos + 1) != Some(&b'\n')) {
            starts.push(pos as u32 + 1);
        }
    }
    starts
}

fn line_of(bytes: &[u8], offset: usize) -> u32 {
    bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(bytes: &[u8]) -> (Source, Vec<ManifestDiagnostic>) {
        let mut diagnostics = Vec::new();
        (Source::new(bytes, &mut diagnostics), diagnostics)
    }

    #[test]
    fn latin1_offsets_map_back_to_file_bytes() {
        let (src, diagnostics) = source(b"# coding: latin-1\n# caf\xe9\nimport json\n");
        assert!(diagnostics.is_empty());
        assert!(src.editable);
        let at = src.text.find("import").unwrap() as u32;
        // 'é' is two bytes of text but one byte of file.
        assert_eq!(src.byte_offset(at), at - 1);
        assert_eq!(&src.bytes[src.byte_offset(at) as usize..][..6], b"import");
        assert_eq!(src.span(at, at + 6).line, 3);
    }

    #[test]
    fn invalid_utf8_without_cookie_is_reported_and_still_maps() {
        let (src, diagnostics) = source(b"# \xff\xfe\nimport json\n");
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].span.line, 1);
        assert!(diagnostics[0].message.contains("no coding cookie"));
        let at = src.text.find("import").unwrap() as u32;
        assert_eq!(&src.bytes[src.byte_offset(at) as usize..][..6], b"import");
    }

    #[test]
    fn bom_is_skipped_but_counted() {
        let (src, _) = source(b"\xEF\xBB\xBFimport json\n");
        assert_eq!(src.text, "import json\n");
        assert_eq!(src.byte_offset(0), 3);
    }

    #[test]
    fn unknown_cookie_is_reported_on_its_line() {
        let (_, diagnostics) = source(b"#!/usr/bin/env python\n# coding: klingon\n");
        assert_eq!(diagnostics[0].span.line, 2);
    }

    #[test]
    fn columns_count_characters() {
        let (src, _) = source("x = 'é' # 1ms\n".as_bytes());
        let at = src.text.find('#').unwrap() as u32;
        assert_eq!(src.span(at, at + 1).column, 9);
    }
}
