//! The module docstring: the `Last profiled:` / `Last reviewed:` dates, the cold-start target,
//! and the criteria bullets (`- Import time <10ms, OR`, `- Used on >80% of requests`).
//!
//! The docstring is read line by line from its source text, not from its value, so that every
//! key keeps a span an edit can replace; escapes inside a docstring are not interpreted (the
//! keys never need them).

use crate::date::Date;
use crate::model::{
    Criterion, CriterionKind, DateKey, DiagnosticKind, Docstring, ManifestDiagnostic, TargetKey,
    Threshold, Unit,
};
use crate::source::Source;
use crate::text;

/// Which docstring key a line holds. The seed writes `Last profiled` and `Target cold start`;
/// its family also writes `Last reviewed` and `Cold start target`.
#[derive(Clone, Copy)]
enum Key {
    LastProfiled,
    LastReviewed,
    Target,
}

const KEYS: &[(&str, Key)] = &[
    ("last profiled", Key::LastProfiled),
    ("last reviewed", Key::LastReviewed),
    ("target cold start", Key::Target),
    ("cold start target", Key::Target),
];

/// Reads the docstring whose literal spans text offsets `start..end` (prefix and quotes
/// included).
pub(crate) fn parse(
    source: &Source,
    start: u32,
    end: u32,
    diagnostics: &mut Vec<ManifestDiagnostic>,
) -> Docstring {
    let literal = &source.text[start as usize..end as usize];
    let prefix = literal
        .bytes()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let quote = if literal[prefix..].starts_with("\"\"\"") || literal[prefix..].starts_with("'''") {
        3
    } else {
        1
    };
    let open = (prefix + quote).min(literal.len());
    // An unterminated docstring runs to the end of the file without closing quotes (found by
    // the `manifest` fuzz target: cutting them off blindly can split a character).
    let quotes = &literal[prefix.min(literal.len())..open];
    let close = if literal.len() >= open + quote && literal.ends_with(quotes) {
        literal.len() - quote
    } else {
        literal.len()
    };
    let content = &literal[open..close];
    let base = start as usize + open;

    let mut docstring = Docstring {
        span: source.span(start, end),
        title: None,
        last_profiled: None,
        last_reviewed: None,
        cold_start_target: None,
        criteria: Vec::new(),
    };
    let mut diagnose = |kind, s: usize, e: usize, message: String| {
        diagnostics.push(ManifestDiagnostic {
            kind,
            message,
            span: source.span((base + s) as u32, (base + e) as u32),
        });
    };

    let mut line_start = 0;
    for raw_line in content.split_inclusive('\n') {
        let this_start = line_start;
        line_start += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let s = this_start + (line.len() - line.trim_start().len());
        let e = s + trimmed.len();
        if docstring.title.is_none() {
            docstring.title = Some(trimmed.to_owned());
        }
        if let Some((key, key_len)) = key_of(trimmed) {
            let value_part = &trimmed[key_len..];
            let colon = value_part.len() - value_part.trim_start().len();
            let after_colon = &value_part[colon + 1..];
            let value_start =
                s + key_len + colon + 1 + (after_colon.len() - after_colon.trim_start().len());
            let value = &content[value_start..e];
            let key_text = trimmed[..key_len].to_owned();
            match key {
                Key::LastProfiled | Key::LastReviewed => {
                    let token_len = value.find(char::is_whitespace).unwrap_or(value.len());
                    let token = &value[..token_len];
                    match token.parse::<Date>() {
                        Ok(date) => {
                            let slot = match key {
                                Key::LastProfiled => &mut docstring.last_profiled,
                                _ => &mut docstring.last_reviewed,
                            };
                            if slot.is_some() {
                                diagnose(
                                    DiagnosticKind::DocstringKey,
                                    s,
                                    e,
                                    format!("`{key_text}:` appears twice; the first one is read"),
                                );
                                continue;
                            }
                            *slot = Some(DateKey {
                                key: key_text,
                                date,
                                span: source.span((base + s) as u32, (base + e) as u32),
                                date_span: source.span(
                                    (base + value_start) as u32,
                                    (base + value_start + token_len) as u32,
                                ),
                            });
                        }
                        Err(error) => diagnose(
                            DiagnosticKind::Date,
                            value_start,
                            value_start + token_len.max(1),
                            if token.is_empty() {
                                format!("`{key_text}:` has no date; expected YYYY-MM-DD")
                            } else {
                                format!("bad `{key_text}:` date: {error}")
                            },
                        ),
                    }
                }
                Key::Target => match text::duration(value) {
                    Some((comparison, ms, len)) if docstring.cold_start_target.is_none() => {
                        docstring.cold_start_target = Some(TargetKey {
                            key: key_text,
                            text: value.to_owned(),
                            threshold: Threshold {
                                comparison,
                                value: ms,
                                unit: Unit::Milliseconds,
                                span: source.span(
                                    (base + value_start) as u32,
                                    (base + value_start + len) as u32,
                                ),
                            },
                            span: source.span((base + s) as u32, (base + e) as u32),
                        });
                    }
                    Some(_) => diagnose(
                        DiagnosticKind::DocstringKey,
                        s,
                        e,
                        format!("`{key_text}:` appears twice; the first one is read"),
                    ),
                    None => diagnose(
                        DiagnosticKind::DocstringKey,
                        value_start,
                        e.max(value_start + 1),
                        format!(
                            "`{key_text}: {value}` is not a duration: expected e.g. `<2 seconds`, `<2s` or `< 2000 ms`"
                        ),
                    ),
                },
            }
            continue;
        }
        if let Some(bullet) = trimmed.strip_prefix(['-', '*', '•']) {
            let text_start = e - bullet.trim_start().len();
            let bullet = bullet.trim_start();
            if let Some(&(comparison, value, unit, ts, te)) = text::thresholds(bullet).first() {
                docstring.criteria.push(Criterion {
                    kind: match unit {
                        Unit::Milliseconds => CriterionKind::ImportTime,
                        Unit::Percent => CriterionKind::Usage,
                    },
                    text: bullet.to_owned(),
                    threshold: Threshold {
                        comparison,
                        value,
                        unit,
                        span: source.span(
                            (base + text_start + ts) as u32,
                            (base + text_start + te) as u32,
                        ),
                    },
                    span: source.span((base + text_start) as u32, (base + e) as u32),
                });
            }
        }
    }
    docstring
}

/// The key a docstring line starts with, and the key's length, when it is followed by `:`.
fn key_of(line: &str) -> Option<(Key, usize)> {
    KEYS.iter().find_map(|&(name, key)| {
        let head = line.get(..name.len())?;
        let rest = &line[name.len()..];
        (head.eq_ignore_ascii_case(name) && rest.trim_start().starts_with(':'))
            .then_some((key, name.len()))
    })
}

/// Text offset where a new `Last profiled:` line can go: the start of the line holding the
/// closing quotes when they sit alone on it.
pub(crate) fn closing_line_start(source: &Source, start: u32, end: u32) -> Option<u32> {
    let literal = &source.text[start as usize..end as usize];
    let quote = if literal.ends_with("\"\"\"") || literal.ends_with("'''") {
        3
    } else if literal.ends_with(['"', '\'']) {
        1
    } else {
        // Unterminated: no closing quotes to put a line before (found by the `manifest` fuzz
        // target: stepping back one byte can split a character).
        return None;
    };
    let close = end - quote;
    let line_start = source.line_start(close);
    (line_start > start
        && source.text[line_start as usize..close as usize]
            .trim()
            .is_empty())
    .then_some(line_start)
}
