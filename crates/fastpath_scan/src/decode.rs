//! Source bytes to text, as CPython's tokenizer does it (PEP 263 and PEP 3120).
//!
//! UTF-8 is the default; a UTF-8 byte-order mark or a `coding` cookie in one of the first two
//! lines changes it. Bytes that do not decode are replaced (U+FFFD) so the scan can go on, and
//! the first bad sequence is reported with its line: CPython itself would refuse the file.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

use crate::{Problem, ProblemKind};

/// The text of a source file and what went wrong decoding it.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    /// The encoding named by a coding cookie, when there was one.
    pub declared: Option<String>,
    pub problem: Option<Problem>,
}

pub fn decode_source(bytes: &[u8]) -> Decoded<'_> {
    let (bytes, had_bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let declared = if had_bom { None } else { coding_cookie(bytes) };
    let encoding = match declared.as_deref() {
        None => UTF_8,
        Some(label) => match encoding_for_python_label(label) {
            Some(encoding) => encoding,
            None => {
                let (text, _) = lossy_utf8(bytes);
                return Decoded {
                    text,
                    problem: Some(Problem {
                        kind: ProblemKind::Encoding,
                        message: format!(
                            "unknown encoding in coding cookie: `{label}`; read as UTF-8"
                        ),
                        line: cookie_line(bytes),
                        column: 1,
                    }),
                    declared,
                };
            }
        },
    };
    if encoding == UTF_8 {
        let (text, bad_at) = lossy_utf8(bytes);
        let problem = bad_at.map(|offset| Problem {
            kind: ProblemKind::Encoding,
            message: format!(
                "invalid UTF-8 at byte {offset}{}; bad bytes replaced with U+FFFD",
                if declared.is_some() {
                    ""
                } else {
                    " (no coding cookie declares another encoding)"
                }
            ),
            line: line_of(bytes, offset),
            column: 1,
        });
        return Decoded {
            text,
            declared,
            problem,
        };
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let problem = had_errors.then(|| Problem {
        kind: ProblemKind::Encoding,
        message: format!(
            "bytes invalid in the declared encoding `{}` were replaced",
            declared.as_deref().unwrap_or_default()
        ),
        line: 1,
        column: 1,
    });
    Decoded {
        text,
        declared,
        problem,
    }
}

fn lossy_utf8(bytes: &[u8]) -> (Cow<'_, str>, Option<usize>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), None),
        Err(error) => (String::from_utf8_lossy(bytes), Some(error.valid_up_to())),
    }
}

fn line_of(bytes: &[u8], offset: usize) -> u32 {
    memchr::memchr_iter(b'\n', &bytes[..offset]).count() as u32 + 1
}

/// The first two lines, as PEP 263 looks at them.
fn first_two_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|&b| b == b'\n').take(2)
}

/// The 1-based line of the coding cookie (1 when there is none).
pub fn cookie_line(bytes: &[u8]) -> u32 {
    first_two_lines(bytes)
        .position(|line| parse_cookie(line).is_some())
        .map_or(1, |i| i as u32 + 1)
}

/// PEP 263: `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` on line 1 or 2; line 2 only counts when
/// line 1 is blank or a comment.
pub fn coding_cookie(bytes: &[u8]) -> Option<String> {
    let mut lines = first_two_lines(bytes);
    let first = lines.next()?;
    if let Some(label) = parse_cookie(first) {
        return Some(label);
    }
    let trimmed = first.trim_ascii_start();
    if !(trimmed.is_empty() || trimmed.starts_with(b"#")) {
        return None;
    }
    lines.next().and_then(parse_cookie)
}

fn parse_cookie(line: &[u8]) -> Option<String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = line.trim_ascii_start();
    let comment = rest.strip_prefix(b"#")?;
    let at = memchr::memmem::find(comment, b"coding")?;
    let after = &comment[at + "coding".len()..];
    let after = after
        .strip_prefix(b":")
        .or_else(|| after.strip_prefix(b"="))?;
    let after = after.trim_ascii_start();
    let len = after
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        .count();
    (len > 0).then(|| String::from_utf8_lossy(&after[..len]).into_owned())
}

/// Python's codec names to WHATWG encodings; the names differ mostly by spelling. WHATWG has no
/// true ISO-8859-1 and reads it as windows-1252, which differs only in 0x80-0x9F and round-trips
/// every byte.
pub fn encoding_for_python_label(label: &str) -> Option<&'static Encoding> {
    let normalized = label.to_ascii_lowercase().replace('_', "-");
    let mapped = match normalized.as_str() {
        "utf8" | "utf-8" | "u8" | "utf" | "cp65001" => return Some(UTF_8),
        "latin-1" | "latin1" | "iso-latin-1" | "l1" | "iso8859-1" | "8859" | "cp819" | "ascii"
        | "us-ascii" => "iso-8859-1",
        other if other.starts_with("utf-8-") => return Some(UTF_8),
        other => other,
    };
    Encoding::for_label(mapped.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_on_first_or_second_line() {
        assert_eq!(
            coding_cookie(b"# -*- coding: latin-1 -*-\n"),
            Some("latin-1".into())
        );
        assert_eq!(
            coding_cookie(b"#!/usr/bin/python\n# vim: set fileencoding=utf-8 :\n"),
            Some("utf-8".into())
        );
        assert_eq!(coding_cookie(b"import x\n# coding: latin-1\n"), None);
    }

    #[test]
    fn latin1_source_decodes() {
        let decoded = decode_source(b"# coding: latin-1\ns = '\xe9'\n");
        assert!(decoded.problem.is_none());
        assert!(decoded.text.contains('\u{e9}'));
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let decoded = decode_source(b"import os\nx = '\xff'\nimport sys\n");
        let problem = decoded.problem.expect("a problem");
        assert_eq!(problem.line, 2);
        assert!(decoded.text.contains("import sys"));
    }

    #[test]
    fn unknown_cookie_is_reported() {
        let decoded = decode_source(b"# coding: klingon\nimport os\n");
        assert_eq!(decoded.problem.unwrap().line, 1);
    }

    #[test]
    fn bom_means_utf8() {
        let decoded = decode_source(b"\xEF\xBB\xBFimport os\n");
        assert_eq!(decoded.text, "import os\n");
    }
}
