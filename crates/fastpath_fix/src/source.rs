//! A Python file as bytes and as text, and the text edits a fix is made of.
//!
//! Fixes are computed on decoded text (ruff's parser works on `str`), but the file on disk is
//! bytes in the encoding its PEP 263 cookie names (UTF-8 by default, possibly behind a BOM).
//! Writing back encodes the new text in that same encoding and then *checks* that every byte
//! outside the edited ranges is the byte that was read: a file whose bytes do not survive the
//! round trip (invalid UTF-8, characters a legacy codec cannot map back) is refused rather than
//! silently rewritten. Line endings are whatever the file uses; new lines are written with the
//! file's first line break.

use encoding_rs::{Encoding, UTF_8};
use fastpath_scan::{decode_source, encoding_for_python_label};

use crate::error::FixError;

/// One replacement of the text range `start..end` (byte offsets into the text) by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: u32,
    pub end: u32,
    pub text: String,
}

impl Edit {
    pub fn insert(at: u32, text: impl Into<String>) -> Edit {
        Edit {
            start: at,
            end: at,
            text: text.into(),
        }
    }

    pub fn delete(start: u32, end: u32) -> Edit {
        Edit {
            start,
            end,
            text: String::new(),
        }
    }

    pub fn replace(start: u32, end: u32, text: impl Into<String>) -> Edit {
        Edit {
            start,
            end,
            text: text.into(),
        }
    }
}

/// Applies edits to `text`. Edits are sorted by position (insertions at one point keep their
/// order); overlapping edits are an error, never a guess.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, FixError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 128);
    let mut at = 0usize;
    for edit in sorted {
        let (start, end) = (edit.start as usize, edit.end as usize);
        if start < at || end > text.len() || start > end {
            return Err(FixError::Overlap {
                line: line_of(text, start.min(text.len())),
            });
        }
        out.push_str(&text[at..start]);
        out.push_str(&edit.text);
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

fn line_of(text: &str, offset: usize) -> u32 {
    text[..offset].matches('\n').count() as u32 + 1
}

/// A source file: its bytes, its decoded text and how to encode new text back.
#[derive(Debug, Clone)]
pub struct SourceFile {
    bytes: Vec<u8>,
    text: String,
    encoding: &'static Encoding,
    /// Length of a UTF-8 byte-order mark the file starts with (0 or 3).
    bom: usize,
    /// Why the file cannot be edited in place, when it cannot.
    not_editable: Option<String>,
}

impl SourceFile {
    pub fn new(bytes: &[u8]) -> SourceFile {
        let decoded = decode_source(bytes);
        let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let encoding = decoded
            .declared
            .as_deref()
            .and_then(encoding_for_python_label)
            .unwrap_or(UTF_8);
        let text = decoded.text.into_owned();
        let mut not_editable = decoded.problem.map(|p| p.message);
        if not_editable.is_none() {
            let (encoded, _, unmappable) = encoding.encode(&text);
            if unmappable || encoded[..] != bytes[bom..] {
                not_editable = Some(format!(
                    "its text does not encode back to the same bytes in {}",
                    encoding.name()
                ));
            }
        }
        SourceFile {
            bytes: bytes.to_vec(),
            text,
            encoding,
            bom,
            not_editable,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The encoding the file is written in (`UTF-8`, `windows-1252`, ...).
    pub fn encoding(&self) -> &'static str {
        self.encoding.name()
    }

    /// The file's line break: its first one, `\n` when it has none.
    pub fn line_ending(&self) -> &'static str {
        line_ending(&self.text)
    }

    /// Why the file cannot be edited, if it cannot.
    pub fn not_editable(&self) -> Option<&str> {
        self.not_editable.as_deref()
    }

    /// The bytes of the file with its text replaced by `new_text`. Every byte before the first
    /// changed character and after the last one must be the byte that was read.
    pub fn encode(&self, new_text: &str) -> Result<Vec<u8>, FixError> {
        if new_text == self.text {
            return Ok(self.bytes.clone());
        }
        if let Some(reason) = &self.not_editable {
            return Err(FixError::NotEditable {
                reason: reason.clone(),
            });
        }
        let (encoded, _, unmappable) = self.encoding.encode(new_text);
        if unmappable {
            return Err(FixError::Unencodable {
                encoding: self.encoding.name(),
            });
        }
        let mut out = Vec::with_capacity(self.bom + encoded.len());
        out.extend_from_slice(&self.bytes[..self.bom]);
        out.extend_from_slice(&encoded);
        // The untouched head and tail must be byte-identical.
        let prefix = common_prefix(&self.text, new_text);
        let suffix = common_suffix(&self.text[prefix..], &new_text[prefix..]);
        let head = self.bom + self.encoding.encode(&self.text[..prefix]).0.len();
        let tail = self
            .encoding
            .encode(&self.text[self.text.len() - suffix..])
            .0
            .len();
        let same_head = out.get(..head) == self.bytes.get(..head);
        let same_tail = out.len() >= tail
            && self.bytes.len() >= tail
            && out[out.len() - tail..] == self.bytes[self.bytes.len() - tail..];
        if !(same_head && same_tail) {
            return Err(FixError::NotEditable {
                reason: "the untouched bytes would change when re-encoded".to_owned(),
            });
        }
        Ok(out)
    }
}

/// The first line break of `text`, `\n` when there is none.
pub fn line_ending(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(at) if text[at..].starts_with("\r\n") => "\r\n",
        Some(at) if text[at..].starts_with('\r') => "\r",
        _ => "\n",
    }
}

/// Length in bytes of the longest common prefix, on a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    let mut len = 0;
    for ((i, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            return i;
        }
        len = i + x.len_utf8();
    }
    len
}

/// Length in bytes of the longest common suffix, on a character boundary.
fn common_suffix(a: &str, b: &str) -> usize {
    let mut len = 0;
    for (x, y) in a.chars().rev().zip(b.chars().rev()) {
        if x != y {
            break;
        }
        len += x.len_utf8();
    }
    len
}

/// Line starts and positions in a text.
#[derive(Debug, Clone)]
pub(crate) struct Lines {
    starts: Vec<u32>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        let mut starts = vec![0u32];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i as u32 + 2);
                    i += 1;
                }
                b'\r' => starts.push(i as u32 + 1),
                _ => {}
            }
            i += 1;
        }
        Lines { starts }
    }

    /// 1-based line of an offset.
    pub(crate) fn line(&self, offset: u32) -> u32 {
        self.starts.partition_point(|&s| s <= offset) as u32
    }

    /// Offset where the line holding `offset` starts.
    pub(crate) fn line_start(&self, offset: u32) -> u32 {
        self.starts[self.line(offset) as usize - 1]
    }

    /// Offset just past the line break of the line holding `offset` (or the end of the text).
    pub(crate) fn next_line_start(&self, offset: u32, text_len: u32) -> u32 {
        let line = self.line(offset) as usize;
        self.starts.get(line).copied().unwrap_or(text_len)
    }

    /// Offset of a 1-based line and character column.
    pub(crate) fn offset(&self, text: &str, line: u32, column: u32) -> Option<u32> {
        let start = *self.starts.get(line.checked_sub(1)? as usize)? as usize;
        let rest = &text[start..];
        let mut chars = rest.char_indices();
        let mut at = 0;
        for _ in 1..column {
            let (_, c) = chars.next()?;
            at += c.len_utf8();
        }
        Some((start + at) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order_and_overlaps_are_refused() {
        let text = "import a\nimport b\n";
        let out = apply_edits(
            text,
            &[
                Edit::delete(9, 18),
                Edit::insert(0, "# x\n"),
                Edit::insert(0, "# y\n"),
            ],
        )
        .unwrap();
        assert_eq!(out, "# x\n# y\nimport a\n");
        assert!(apply_edits(text, &[Edit::delete(0, 10), Edit::delete(5, 12)]).is_err());
    }

    #[test]
    fn latin1_file_keeps_its_bytes() {
        let bytes = b"# -*- coding: latin-1 -*-\ns = '\xe9'\nimport json\n";
        let file = SourceFile::new(bytes);
        assert!(file.not_editable().is_none());
        let new = file.text().replace("import json\n", "");
        let out = file.encode(&new).unwrap();
        assert_eq!(out, b"# -*- coding: latin-1 -*-\ns = '\xe9'\n");
    }

    #[test]
    fn bom_and_crlf_survive() {
        let bytes = b"\xEF\xBB\xBFimport json\r\nx = 1\r\n";
        let file = SourceFile::new(bytes);
        assert_eq!(file.line_ending(), "\r\n");
        let out = file.encode("import json\r\nx = 2\r\n").unwrap();
        assert_eq!(out, b"\xEF\xBB\xBFimport json\r\nx = 2\r\n");
    }

    #[test]
    fn invalid_utf8_is_not_editable() {
        let file = SourceFile::new(b"import json\nx = '\xff'\n");
        assert!(file.not_editable().is_some());
        assert!(file.encode("x = 1\n").is_err());
        // Unchanged text is always fine: nothing is written.
        assert_eq!(file.encode(file.text()).unwrap(), file.bytes());
    }

    #[test]
    fn lines_and_columns() {
        let text = "a\r\nbé c\rd\n";
        let lines = Lines::new(text);
        assert_eq!(lines.line(0), 1);
        assert_eq!(lines.line(3), 2);
        assert_eq!(lines.offset(text, 2, 3), Some(6));
        assert_eq!(lines.line_start(7), 3);
        assert_eq!(lines.line(text.len() as u32 - 1), 3);
        assert_eq!(lines.next_line_start(3, text.len() as u32), 9);
    }
}
