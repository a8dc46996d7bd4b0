//! Own-line comments that structure the manifest: `# Tier N: Title (criteria)` headings and
//! the `# HISTORY:` block with its dated lines.
//!
//! A heading is recognised by `Tier` followed by a number (a colon or dash after it is
//! optional); `# Tier one: ...` is reported rather than skipped, because a heading that silently
//! does not count would move every import under it into the previous tier. The history block is
//! the run of comment lines right after `# HISTORY:`; a line indented past `# ` continues the
//! entry above it (so long entries can wrap).

use crate::date::Date;
use crate::model::{
    DiagnosticKind, History, HistoryEntry, ManifestDiagnostic, Threshold, TierSection,
};
use crate::source::Source;
use crate::text;

/// An own-line comment: text offsets of its `#` and its end, and its 1-based line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Comment {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) line: u32,
}

/// A `# Tier N: ...` heading, or `None` when the comment is not one.
pub(crate) fn tier_heading(
    source: &Source,
    comment: Comment,
    diagnostics: &mut Vec<ManifestDiagnostic>,
) -> Option<TierSection> {
    let text = &source.text[comment.start as usize..comment.end as usize];
    let body = text.trim_start_matches('#').trim_start();
    let word = body.get(..4)?;
    if !word.eq_ignore_ascii_case("tier") {
        return None;
    }
    let rest = &body[4..];
    if !rest.starts_with(|c: char| c.is_whitespace() || c.is_ascii_digit()) {
        return None;
    }
    let rest = rest.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        let token_end = rest.find([':', ' ']).unwrap_or(rest.len());
        if rest[token_end..].trim_start().starts_with(':') || rest.contains(':') {
            diagnostics.push(ManifestDiagnostic {
                kind: DiagnosticKind::TierHeading,
                message: format!(
                    "`{}` is not a tier heading: expected `# Tier <number>: <title>`",
                    text.trim_end()
                ),
                span: source.span(comment.start, comment.end),
            });
        }
        return None;
    }
    let tier = rest[..digits].parse().ok()?;
    let after = rest[digits..].trim_start();
    let after = after
        .strip_prefix([':', '-', '–', '—'])
        .unwrap_or(after)
        .trim();
    let after_at = comment.start as usize + offset_in(text, after);
    let (title, criteria, thresholds) = match (after.rfind('('), after.ends_with(')')) {
        (Some(open), true) => {
            let inner = &after[open + 1..after.len() - 1];
            let inner_at = after_at + open + 1;
            let thresholds = text::thresholds(inner)
                .into_iter()
                .map(|(comparison, value, unit, s, e)| Threshold {
                    comparison,
                    value,
                    unit,
                    span: source.span((inner_at + s) as u32, (inner_at + e) as u32),
                })
                .collect();
            (
                after[..open].trim_end().to_owned(),
                Some(inner.to_owned()),
                thresholds,
            )
        }
        _ => (after.to_owned(), None, Vec::new()),
    };
    Some(TierSection {
        tier,
        title,
        criteria,
        thresholds,
        span: source.span(comment.start, comment.end),
    })
}

/// Byte offset of `child`, a subslice of `parent`, within it.
pub(crate) fn offset_in(parent: &str, child: &str) -> usize {
    child.as_ptr() as usize - parent.as_ptr() as usize
}

/// Whether the comment is the `# HISTORY:` heading.
pub(crate) fn is_history_heading(source: &Source, comment: Comment) -> bool {
    let text = &source.text[comment.start as usize..comment.end as usize];
    text.trim_start_matches('#')
        .trim()
        .trim_end_matches(':')
        .trim_end()
        .eq_ignore_ascii_case("history")
}

/// Reads the history block: `heading` and the comments that follow it on consecutive lines.
/// Returns the block and how many of `following` it used.
pub(crate) fn history(
    source: &Source,
    heading: Comment,
    following: &[Comment],
    diagnostics: &mut Vec<ManifestDiagnostic>,
) -> (History, usize) {
    let mut entries: Vec<HistoryEntry> = Vec::new();
    // Text offset where each entry starts, to extend its span over continuation lines.
    let mut entry_starts: Vec<u32> = Vec::new();
    let mut end = heading.end;
    let mut line = heading.line;
    let mut used = 0;
    for comment in following {
        if comment.line != line + 1 {
            break;
        }
        used += 1;
        line = comment.line;
        end = comment.end;
        let text = &source.text[comment.start as usize..comment.end as usize];
        let after_hash = &text[1..];
        let content = after_hash.trim();
        if content.is_empty() {
            continue;
        }
        let indent = after_hash.len() - after_hash.trim_start().len();
        let content_at = comment.start + 1 + indent as u32;
        if content.starts_with(|c: char| c.is_ascii_digit()) {
            let token_len = content
                .find(|c: char| c == ':' || c.is_whitespace())
                .unwrap_or(content.len());
            let token = &content[..token_len];
            let rest = content[token_len..].trim_start();
            let rest = rest
                .strip_prefix([':', '-', '–', '—'])
                .unwrap_or(rest)
                .trim_start();
            match token.parse::<Date>() {
                Ok(date) => {
                    let (imports, total_ms) = counts(rest);
                    entry_starts.push(comment.start);
                    entries.push(HistoryEntry {
                        date,
                        text: rest.to_owned(),
                        imports,
                        total_ms,
                        span: source.span(comment.start, comment.end),
                    });
                }
                Err(error) => diagnostics.push(ManifestDiagnostic {
                    kind: DiagnosticKind::Date,
                    message: format!("bad HISTORY date: {error}"),
                    span: source.span(content_at, content_at + token_len as u32),
                }),
            }
        } else if indent > 1 && !entries.is_empty() {
            let last = entries.last_mut().expect("checked");
            last.text.push(' ');
            last.text.push_str(content);
            let (imports, total_ms) = counts(&last.text);
            last.imports = imports;
            last.total_ms = total_ms;
            last.span = source.span(*entry_starts.last().expect("one per entry"), comment.end);
        } else {
            diagnostics.push(ManifestDiagnostic {
                kind: DiagnosticKind::History,
                message: format!(
                    "HISTORY line without a date: expected `# YYYY-MM-DD: what changed`, found `{}`",
                    text.trim_end()
                ),
                span: source.span(comment.start, comment.end),
            });
        }
    }
    (
        History {
            span: source.span(heading.start, heading.end),
            entries,
            end,
        },
        used,
    )
}

/// `5 imports` and `55ms total` in a history line.
fn counts(text: &str) -> (Option<u32>, Option<f64>) {
    let mut imports = None;
    let mut total = None;
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let boundary = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '.');
        if boundary {
            if let Some((_, ms, len)) = text::duration(rest) {
                if rest[len..]
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("total")
                {
                    total.get_or_insert(ms);
                }
                at += len;
                continue;
            }
            if let Some((value, len)) = text::number(rest) {
                if value.fract() == 0.0
                    && rest[len..]
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("import")
                {
                    imports.get_or_insert(value as u32);
                }
                at += len;
                continue;
            }
        }
        at += rest.chars().next().map_or(1, char::len_utf8);
    }
    (imports, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(text: &str) -> (Option<TierSection>, Vec<ManifestDiagnostic>) {
        let mut diagnostics = Vec::new();
        let source = Source::new(text.as_bytes(), &mut diagnostics);
        let comment = Comment {
            start: 0,
            end: text.trim_end().len() as u32,
            line: 1,
        };
        let section = tier_heading(&source, comment, &mut diagnostics);
        (section, diagnostics)
    }

    #[test]
    fn tier_heading_spellings() {
        let (section, _) = heading("# Tier 1: Lightweight (<10ms)\n");
        let section = section.unwrap();
        assert_eq!((section.tier, section.title.as_str()), (1, "Lightweight"));
        assert_eq!(section.criteria.as_deref(), Some("<10ms"));
        assert_eq!(section.thresholds[0].value, 10.0);
        let (section, _) = heading("## tier 2 - Hot path exceptions\n");
        let section = section.unwrap();
        assert_eq!(
            (section.tier, section.title.as_str()),
            (2, "Hot path exceptions")
        );
        assert!(section.criteria.is_none());
        assert_eq!(heading("# Tier 3\n").0.unwrap().title, "");
    }

    #[test]
    fn tier_words_that_are_not_headings() {
        assert!(heading("# tiers are explained below\n").0.is_none());
        assert!(heading("# tier list of imports\n").1.is_empty());
        let (section, diagnostics) = heading("# Tier one: Lightweight\n");
        assert!(section.is_none());
        assert_eq!(diagnostics[0].kind, DiagnosticKind::TierHeading);
    }

    #[test]
    fn history_counts() {
        assert_eq!(
            counts("Initial file, 5 imports, 55ms total"),
            (Some(5), Some(55.0))
        );
        assert_eq!(
            counts("Removed boto3 (moved to function level), 55ms total"),
            (None, Some(55.0))
        );
        assert_eq!(counts("1 import, 0.8ms total"), (Some(1), Some(0.8)));
    }
}
