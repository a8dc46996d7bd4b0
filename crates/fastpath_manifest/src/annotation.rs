//! The comment after a manifest import: its cost, usage, `PROFILED` date and markers.
//!
//! The seed writes `# 0.8ms, every request` and `# 15ms, every request - PROFILED 2025-11-08`;
//! its document family adds `# 15ms but 95% usage - PROFILED 2025-11-08`,
//! `# 350ms but 90% usage - HOT PATH EXCEPTION` and `# <1ms, every request (TIER1)`. The grammar
//! read here is the loosest one that covers them all without guessing:
//!
//! - flags are found anywhere: `PROFILED <date>`, `HOT PATH EXCEPTION`, `(TIERn)`;
//! - what remains splits on `,`, `;`, ` - ` and the word `but`;
//! - the first part is the cost when it reads as a duration (`0.8ms`, `<1ms`, `1.2s`); a lone
//!   word that only looks like one (`abcms`, `12xms`) is a diagnostic, anything else means the
//!   annotation has no cost;
//! - the next part is the usage (`every request`, `95% usage`, `>80%`, or free words);
//! - later parts are kept as notes.
//!
//! A pragma comment on the same line (`# noqa`, `# type: ignore`) is not an annotation.

use crate::date::Date;
use crate::model::{
    Annotation, Cost, DiagnosticKind, ManifestDiagnostic, Note, Profiled, Span, TierMarker, Usage,
    UsageKind,
};
use crate::source::Source;
use crate::text;

/// Reads the comment that starts at text offset `start` (its `#`).
pub(crate) fn parse(
    source: &Source,
    start: u32,
    comment: &str,
    diagnostics: &mut Vec<ManifestDiagnostic>,
) -> Option<Annotation> {
    let (hash, body_start, end) = choose_part(comment)?;
    let mut reader = Reader {
        source,
        base: start,
        text: comment,
        masked: comment.as_bytes().to_vec(),
        diagnostics,
    };
    let tier_marker = reader.tier_marker(body_start, end);
    let hot_path_exception = reader.hot_path_exception(body_start, end);
    let profiled = reader.profiled(body_start, end);
    let masked = String::from_utf8(reader.masked.clone()).expect("masking keeps UTF-8");
    let mut parts = split_parts(&masked, body_start, end);

    let mut cost = None;
    let mut bad_cost = None;
    if let Some(&(first_start, first_end)) = parts.first() {
        let first = &comment[first_start..first_end];
        match text::duration(first) {
            Some((comparison, ms, len))
                if first[len..]
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace()) =>
            {
                cost = Some(Cost {
                    ms,
                    comparison,
                    span: reader.span(first_start, first_start + len),
                });
                let rest = first_start + len;
                let rest = rest + (first[len..].len() - first[len..].trim_start().len());
                if rest < first_end {
                    parts[0] = (rest, first_end);
                } else {
                    parts.remove(0);
                }
            }
            _ if looks_like_cost(first) => {
                reader.diagnostic(
                    DiagnosticKind::Cost,
                    first_start,
                    first_end,
                    format!(
                        "`{first}` is not a cost: expected milliseconds such as `0.8ms`, `<1ms` or `350ms`"
                    ),
                );
                bad_cost = Some((start + first_start as u32, start + first_end as u32));
                parts.remove(0);
            }
            _ => {}
        }
    }

    let mut parts = parts.into_iter();
    let usage = parts.next().map(|(start, end)| reader.usage(start, end));
    let notes = parts
        .map(|(start, end)| Note {
            text: comment[start..end].to_owned(),
            span: reader.span(start, end),
        })
        .collect();

    let append_at = match &tier_marker {
        Some((_, marker_start, marker_end)) if *marker_end == end => {
            comment[..*marker_start].trim_end().len().max(body_start)
        }
        _ => end,
    };
    let first_flag = [
        profiled.as_ref().map(|p| p.1),
        hot_path_exception.map(|(s, _)| s),
    ]
    .into_iter()
    .flatten()
    .min();
    let first_part = [
        cost.as_ref().map(|c: &Cost| c.span.start),
        usage.as_ref().map(|u: &Usage| u.span.start),
    ]
    .into_iter()
    .flatten()
    .min()
    .map(|byte| byte as usize);
    let starts_with_flag = match (first_flag, first_part) {
        (Some(flag), Some(part)) => reader.byte(flag) < part,
        (Some(_), None) => true,
        _ => false,
    };

    Some(Annotation {
        text: comment[body_start..end].to_owned(),
        cost,
        usage,
        profiled: profiled.map(|(p, _)| p),
        hot_path_exception: hot_path_exception.map(|(s, e)| reader.span(s, e)),
        tier_marker: tier_marker.map(|(marker, _, _)| marker),
        notes,
        span: reader.span(hash, end),
        append_at: start + append_at as u32,
        body_start: start + body_start as u32,
        bad_cost,
        starts_with_flag,
    })
}

/// The part of a comment that is the annotation: the first `#`-separated part that is not
/// empty and not a tool pragma. Returns `(hash, body start, end)` as local offsets.
fn choose_part(comment: &str) -> Option<(usize, usize, usize)> {
    let mut hashes = comment.match_indices('#').map(|(at, _)| at).peekable();
    while let Some(hash) = hashes.next() {
        let part_end = hashes.peek().copied().unwrap_or(comment.len());
        let part = &comment[hash + 1..part_end];
        let body = part.trim();
        if body.is_empty() || is_pragma(body) {
            continue;
        }
        let body_start = hash + 1 + (part.len() - part.trim_start().len());
        return Some((hash, body_start, body_start + body.len()));
    }
    None
}

fn is_pragma(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    [
        "noqa", "type:", "pragma", "pylint:", "fmt:", "isort:", "nosec", "ruff:", "pyright:",
        "mypy:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// A single word that was probably meant as a cost.
fn looks_like_cost(part: &str) -> bool {
    if part.contains(char::is_whitespace) || text::percent(part).is_some() {
        return false;
    }
    let lower = part.to_ascii_lowercase();
    lower.ends_with("ms") || part.starts_with(|c: char| c.is_ascii_digit() || "<>~≈≤≥".contains(c))
}

/// Splits the masked text between `start` and `end` on `,`, `;`, a dash between blanks, and
/// the word `but`; returns trimmed, non-empty parts as local ranges.
fn split_parts(masked: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let b = masked.as_bytes();
    let blank_or_edge = |at: Option<usize>| {
        at.is_none_or(|i| i < start || i >= end || b[i] == b' ' || b[i] == b'\t')
    };
    let mut parts = Vec::new();
    let mut part_start = start;
    let mut at = start;
    while at < end {
        let sep_len = match b[at] {
            b',' | b';' => 1,
            b'-' if blank_or_edge(at.checked_sub(1)) && blank_or_edge(Some(at + 1)) => 1,
            _ if masked[at..end].starts_with(['–', '—']) && blank_or_edge(at.checked_sub(1)) => {
                3
            }
            b'b' | b'B'
                // Bytes, not `str`: `bu` before a multi-byte character must not be sliced
                // through it (found by the `manifest` fuzz target).
                if at + 3 <= end
                    && b[at..at + 3].eq_ignore_ascii_case(b"but")
                    && at > start
                    && b[at - 1].is_ascii_whitespace()
                    && blank_or_edge(Some(at + 3)) =>
            {
                3
            }
            _ => 0,
        };
        if sep_len > 0 {
            push_trimmed(masked, part_start, at, &mut parts);
            at += sep_len;
            part_start = at;
        } else {
            at += masked[at..].chars().next().map_or(1, char::len_utf8);
        }
    }
    push_trimmed(masked, part_start, end, &mut parts);
    parts
}

fn push_trimmed(masked: &str, start: usize, end: usize, parts: &mut Vec<(usize, usize)>) {
    let part = &masked[start..end];
    let trimmed = part.trim();
    if !trimmed.is_empty() {
        let s = start + (part.len() - part.trim_start().len());
        parts.push((s, s + trimmed.len()));
    }
}

struct Reader<'a> {
    source: &'a Source,
    base: u32,
    text: &'a str,
    /// The comment with already-read flags blanked out (same length, so offsets hold).
    masked: Vec<u8>,
    diagnostics: &'a mut Vec<ManifestDiagnostic>,
}

impl Reader<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        self.source
            .span(self.base + start as u32, self.base + end as u32)
    }

    /// The file byte offset of a local offset.
    fn byte(&self, local: usize) -> usize {
        self.source.byte_offset(self.base + local as u32) as usize
    }

    fn diagnostic(&mut self, kind: DiagnosticKind, start: usize, end: usize, message: String) {
        let span = self.span(start, end);
        self.diagnostics.push(ManifestDiagnostic {
            kind,
            message,
            span,
        });
    }

    fn mask(&mut self, start: usize, end: usize) {
        self.masked[start..end].fill(b' ');
    }

    fn masked_str(&self) -> &str {
        std::str::from_utf8(&self.masked).expect("masking keeps UTF-8")
    }

    /// `(TIER1)`, `( tier 2 )`.
    fn tier_marker(&mut self, start: usize, end: usize) -> Option<(TierMarker, usize, usize)> {
        let text = self.text;
        let mut from = start;
        while let Some(open) = text[from..end].find('(').map(|i| from + i) {
            from = open + 1;
            let inner = &text[open + 1..end];
            let trimmed = inner.trim_start();
            let Some(after_tier) = trimmed
                .get(..4)
                .filter(|w| w.eq_ignore_ascii_case("tier"))
                .map(|_| trimmed[4..].trim_start())
            else {
                continue;
            };
            let digits = after_tier.bytes().take_while(u8::is_ascii_digit).count();
            let rest = after_tier[digits..].trim_start();
            if digits == 0 || !rest.starts_with(')') {
                continue;
            }
            let close = end - (rest.len() - 1);
            let tier = after_tier[..digits].parse().ok()?;
            self.mask(open, close);
            let marker = TierMarker {
                tier,
                span: self.span(open, close),
            };
            return Some((marker, open, close));
        }
        None
    }

    /// `HOT PATH EXCEPTION` (any case, `hot-path` too).
    fn hot_path_exception(&mut self, start: usize, end: usize) -> Option<(usize, usize)> {
        for phrase in ["hot path exception", "hot-path exception"] {
            if let Some(at) = text::find_ignore_case(&self.masked_str()[start..end], phrase) {
                let (s, e) = (start + at, start + at + phrase.len());
                self.mask(s, e);
                return Some((s, e));
            }
        }
        None
    }

    /// `PROFILED 2025-11-08`, `profiled: 2025-11-08`. Returns the flag and its local start.
    fn profiled(&mut self, start: usize, end: usize) -> Option<(Profiled, usize)> {
        let masked = self.masked_str().to_owned();
        let mut from = start;
        while let Some(at) =
            text::find_ignore_case(&masked[from..end], "profiled").map(|i| from + i)
        {
            from = at + "profiled".len();
            let word_start = masked[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            let keyword = &self.text[at..at + "profiled".len()];
            if !word_start {
                continue;
            }
            let after = &masked[from..end];
            let skip = after.len() - after.trim_start_matches([':', ' ', '\t']).len();
            let token_start = from + skip;
            let token_len = masked[token_start..end]
                .find(|c: char| c.is_whitespace() || ",;()".contains(c))
                .unwrap_or(end - token_start);
            let token = &self.text[token_start..token_start + token_len];
            let shouting = keyword == "PROFILED";
            if !token.starts_with(|c: char| c.is_ascii_digit()) {
                if shouting {
                    self.diagnostic(
                        DiagnosticKind::Date,
                        at,
                        token_start + token_len,
                        "`PROFILED` without a date: expected `PROFILED YYYY-MM-DD`".to_owned(),
                    );
                    self.mask(at, from);
                }
                continue;
            }
            let token_end = token_start + token_len;
            self.mask(at, token_end);
            match token.parse::<Date>() {
                Ok(date) => {
                    let profiled = Profiled {
                        date,
                        span: self.span(at, token_end),
                        date_span: self.span(token_start, token_end),
                    };
                    return Some((profiled, at));
                }
                Err(error) => {
                    self.diagnostic(
                        DiagnosticKind::Date,
                        token_start,
                        token_end,
                        format!("bad PROFILED date: {error}"),
                    );
                    // A later `PROFILED` may hold a good date: the one an edit added after
                    // this bad one (found by the `manifest` fuzz target: stopping here made
                    // `set_profiled` append a new date on every run).
                    continue;
                }
            }
        }
        None
    }

    fn usage(&mut self, start: usize, end: usize) -> Usage {
        let part = &self.text[start..end];
        let span = self.span(start, end);
        let usage = |kind| Usage {
            kind,
            text: part.to_owned(),
            span,
        };
        let percent = text::thresholds(part)
            .into_iter()
            .find(|t| t.2 == crate::model::Unit::Percent);
        if let Some((comparison, percent, _, s, e)) = percent {
            if percent > 100.0 {
                self.diagnostic(
                    DiagnosticKind::Usage,
                    start + s,
                    start + e,
                    format!(
                        "usage of {}% is more than every request",
                        text::format_number(percent)
                    ),
                );
                return usage(UsageKind::Text);
            }
            return usage(UsageKind::Percent {
                comparison,
                percent,
            });
        }
        if let Some(at) = part.find('%') {
            // After the last whitespace character, whatever its width (U+0085 takes two
            // bytes; found by the `manifest` fuzz target).
            let word_start = part[..at]
                .char_indices()
                .rfind(|(_, c)| c.is_whitespace())
                .map_or(0, |(i, c)| i + c.len_utf8());
            self.diagnostic(
                DiagnosticKind::Usage,
                start + word_start,
                start + at + 1,
                format!(
                    "`{}` is not a usage: expected a percentage such as `95%` or `>80%`",
                    &part[word_start..=at]
                ),
            );
            return usage(UsageKind::Text);
        }
        let lower = part.to_ascii_lowercase();
        let every = [
            "every request",
            "every requests",
            "all requests",
            "every call",
            "every invocation",
            "always",
        ]
        .contains(&lower.as_str());
        usage(if every {
            UsageKind::EveryRequest
        } else {
            UsageKind::Text
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Comparison;

    fn read(comment: &str) -> (Option<Annotation>, Vec<ManifestDiagnostic>) {
        let line = format!("import x  {comment}\n");
        let mut diagnostics = Vec::new();
        let source = Source::new(line.as_bytes(), &mut diagnostics);
        let start = line.find('#').unwrap();
        let annotation = parse(
            &source,
            start as u32,
            line[start..].trim_end(),
            &mut diagnostics,
        );
        (annotation, diagnostics)
    }

    fn ok(comment: &str) -> Annotation {
        let (annotation, diagnostics) = read(comment);
        assert!(diagnostics.is_empty(), "{comment}: {diagnostics:?}");
        annotation.expect("an annotation")
    }

    fn cost_of(a: &Annotation) -> (f64, Comparison) {
        let cost = a.cost.as_ref().expect("a cost");
        (cost.ms, cost.comparison)
    }

    #[test]
    fn cost_and_words_of_usage() {
        let a = ok("# 0.8ms, every request");
        assert_eq!(cost_of(&a), (0.8, Comparison::Exact));
        assert_eq!(a.usage.as_ref().unwrap().kind, UsageKind::EveryRequest);
        let a = ok("# 4.2ms, logging everywhere");
        let usage = a.usage.unwrap();
        assert_eq!(usage.kind, UsageKind::Text);
        assert_eq!(usage.text, "logging everywhere");
        assert_eq!(usage.fraction(), None);
    }

    #[test]
    fn cost_span_covers_the_comparison() {
        let a = ok("# <1ms, every request (TIER1)");
        assert_eq!(cost_of(&a), (1.0, Comparison::Less));
        let cost = a.cost.unwrap();
        assert_eq!((cost.span.end - cost.span.start), 4);
        assert_eq!(a.tier_marker.unwrap().tier, 1);
        assert_eq!(a.usage.unwrap().text, "every request");
    }

    #[test]
    fn profiled_date_after_a_dash() {
        let a = ok("# 15ms, every request - PROFILED 2025-11-08");
        assert_eq!(cost_of(&a), (15.0, Comparison::Exact));
        assert_eq!(a.usage.unwrap().kind, UsageKind::EveryRequest);
        assert_eq!(a.profiled.unwrap().date.to_string(), "2025-11-08");
        assert!(a.notes.is_empty());
    }

    #[test]
    fn but_form_with_percentage() {
        let a = ok("# 15ms but 95% usage - PROFILED 2025-11-08");
        assert_eq!(cost_of(&a), (15.0, Comparison::Exact));
        let usage = a.usage.unwrap();
        assert_eq!(
            usage.kind,
            UsageKind::Percent {
                comparison: Comparison::Exact,
                percent: 95.0
            }
        );
        assert_eq!(usage.text, "95% usage");
        assert_eq!(usage.fraction(), Some(0.95));
    }

    #[test]
    fn hot_path_exception_flag() {
        let a = ok("# 350ms but 90% usage - HOT PATH EXCEPTION");
        assert_eq!(cost_of(&a), (350.0, Comparison::Exact));
        assert!(a.hot_path_exception.is_some());
        assert!(a.profiled.is_none());
        assert!(a.notes.is_empty());
    }

    #[test]
    fn greater_than_usage_and_tier_two_marker() {
        let a = ok("# 12ms, >80% (TIER2)");
        assert_eq!(
            a.usage.unwrap().kind,
            UsageKind::Percent {
                comparison: Comparison::Greater,
                percent: 80.0
            }
        );
        assert_eq!(a.tier_marker.unwrap().tier, 2);
    }

    #[test]
    fn extra_parts_are_notes() {
        let a = ok("# 0.4ms, timing operations, retries");
        assert_eq!(a.usage.unwrap().text, "timing operations");
        assert_eq!(a.notes.len(), 1);
        assert_eq!(a.notes[0].text, "retries");
    }

    #[test]
    fn no_cost_is_not_an_error() {
        let a = ok("# logging everywhere");
        assert!(a.cost.is_none());
        assert_eq!(a.usage.unwrap().text, "logging everywhere");
    }

    #[test]
    fn pragmas_are_not_annotations() {
        assert!(read("# noqa: F401").0.is_none());
        let a = ok("# noqa: F401  # 2ms, every request");
        assert_eq!(cost_of(&a), (2.0, Comparison::Exact));
        let a = ok("# 2ms, every request  # type: ignore");
        assert_eq!(a.text, "2ms, every request");
    }

    #[test]
    fn malformed_cost_is_a_diagnostic_on_its_column() {
        let (a, diagnostics) = read("# abcms, every request");
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].kind, DiagnosticKind::Cost);
        assert_eq!(diagnostics[0].span.column, 13);
        assert!(diagnostics[0].message.contains("`abcms`"));
        let a = a.unwrap();
        assert!(a.cost.is_none());
        assert_eq!(a.usage.unwrap().kind, UsageKind::EveryRequest);
    }

    #[test]
    fn malformed_dates_and_percentages() {
        let (a, diagnostics) = read("# 15ms, every request - PROFILED 2025-13-08");
        assert_eq!(diagnostics[0].kind, DiagnosticKind::Date);
        assert!(a.unwrap().profiled.is_none());
        let (_, diagnostics) = read("# 15ms - PROFILED");
        assert_eq!(diagnostics[0].kind, DiagnosticKind::Date);
        let (_, diagnostics) = read("# 15ms but abc% usage");
        assert_eq!(diagnostics[0].kind, DiagnosticKind::Usage);
        let (_, diagnostics) = read("# 15ms but 150% usage");
        assert_eq!(diagnostics[0].kind, DiagnosticKind::Usage);
    }

    #[test]
    fn lowercase_profiled_in_prose_is_text() {
        let a = ok("# 3ms, not profiled yet");
        assert!(a.profiled.is_none());
        assert_eq!(a.usage.unwrap().text, "not profiled yet");
    }

    #[test]
    fn seconds_are_milliseconds() {
        let a = ok("# 1.2s, every request");
        assert_eq!(cost_of(&a), (1200.0, Comparison::Exact));
    }
}
