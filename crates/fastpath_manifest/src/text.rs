//! Small readers for the values people write in comments and docstrings: numbers, `<10ms`,
//! `< 2000 ms`, `<2 seconds`, `>80%`. Hand-written because the grammar is a few lines and a
//! regex engine would cost more build time than the whole crate.
//!
//! Every reader takes a `&str` and returns how many bytes it consumed, so callers can turn the
//! match into a span.

use crate::model::{Comparison, Unit};

/// A comparison sign at the start of `s`, and its length (0 when there is none).
pub(crate) fn comparison(s: &str) -> (Comparison, usize) {
    for (sign, comparison) in [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("≤", Comparison::LessOrEqual),
        ("≥", Comparison::GreaterOrEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
        ("~", Comparison::About),
        ("≈", Comparison::About),
    ] {
        if s.starts_with(sign) {
            return (comparison, sign.len());
        }
    }
    (Comparison::Exact, 0)
}

/// A decimal number at the start of `s` (`15`, `0.8`, `.5`) and its length.
pub(crate) fn number(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut len = int;
    if b.get(len) == Some(&b'.') {
        let frac = b[len + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if frac > 0 {
            len += 1 + frac;
        }
    }
    if len == 0 {
        return None;
    }
    s[..len].parse().ok().map(|value| (value, len))
}

fn blanks(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

fn at_word_end(s: &str) -> bool {
    s.chars().next().is_none_or(|c| !c.is_alphanumeric())
}

/// Duration units, longest spelling first so `ms` is not read as `m` + `s`.
const UNITS: &[(&str, f64)] = &[
    ("milliseconds", 1.0),
    ("millisecond", 1.0),
    ("msecs", 1.0),
    ("msec", 1.0),
    ("ms", 1.0),
    ("seconds", 1000.0),
    ("second", 1000.0),
    ("secs", 1000.0),
    ("sec", 1000.0),
    ("s", 1000.0),
    ("µs", 0.001),
    ("μs", 0.001),
    ("us", 0.001),
];

/// `<10ms`, `< 2000 ms`, `<2 seconds`, `0.8ms`, `1.2s` at the start of `s`: the comparison, the
/// value in milliseconds, and the length read.
pub(crate) fn duration(s: &str) -> Option<(Comparison, f64, usize)> {
    let (comparison, mut at) = comparison(s);
    at += blanks(&s[at..]);
    let (value, len) = number(&s[at..])?;
    at += len;
    at += blanks(&s[at..]);
    let rest = &s[at..];
    let (unit, scale) = UNITS.iter().find(|(unit, _)| {
        rest.get(..unit.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(unit))
            && at_word_end(&rest[unit.len()..])
    })?;
    Some((comparison, value * scale, at + unit.len()))
}

/// `>80%`, `95 %` at the start of `s`: the comparison, the percentage, and the length read.
pub(crate) fn percent(s: &str) -> Option<(Comparison, f64, usize)> {
    let (comparison, mut at) = comparison(s);
    at += blanks(&s[at..]);
    let (value, len) = number(&s[at..])?;
    at += len;
    at += blanks(&s[at..]);
    s[at..]
        .starts_with('%')
        .then_some((comparison, value, at + 1))
}

/// Every duration or percentage in `s` that starts at a word boundary, with its byte range.
pub(crate) fn thresholds(s: &str) -> Vec<(Comparison, f64, Unit, usize, usize)> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < s.len() {
        let boundary = s[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '.');
        let rest = &s[at..];
        if boundary {
            if let Some((comparison, value, len)) = percent(rest) {
                found.push((comparison, value, Unit::Percent, at, at + len));
                at += len;
                continue;
            }
            if let Some((comparison, value, len)) = duration(rest) {
                found.push((comparison, value, Unit::Milliseconds, at, at + len));
                at += len;
                continue;
            }
        }
        at += rest.chars().next().map_or(1, char::len_utf8);
    }
    found
}

/// Byte offset of the first ASCII-case-insensitive occurrence of `needle` in `hay`.
pub(crate) fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// `value` as the manifest writes milliseconds: one decimal below 10 (`0.8ms`, `4.2ms`), whole
/// numbers from 10 (`15ms`, `350ms`), as the seed does; `<0.1ms` for what would print as zero.
pub fn format_ms(value: f64) -> String {
    if value < 0.05 {
        "<0.1ms".to_owned()
    } else if value < 9.95 {
        format!("{value:.1}ms")
    } else {
        format!("{value:.0}ms")
    }
}

/// A number without a needless fraction: `10`, `0.8`, `1.5`.
pub(crate) fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_spelling() {
        assert_eq!(duration("0.8ms"), Some((Comparison::Exact, 0.8, 5)));
        assert_eq!(duration("<1ms,"), Some((Comparison::Less, 1.0, 4)));
        assert_eq!(duration("< 2000 ms"), Some((Comparison::Less, 2000.0, 9)));
        assert_eq!(duration("<2 seconds"), Some((Comparison::Less, 2000.0, 10)));
        assert_eq!(duration("<2s"), Some((Comparison::Less, 2000.0, 3)));
        assert_eq!(duration("350MS but"), Some((Comparison::Exact, 350.0, 5)));
        assert_eq!(duration("abcms"), None);
        assert_eq!(duration("15 minutes"), None);
        assert_eq!(duration("2 sessions"), None);
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(">80%"), Some((Comparison::Greater, 80.0, 4)));
        assert_eq!(percent("95 % usage"), Some((Comparison::Exact, 95.0, 4)));
        assert_eq!(percent("95 usage"), None);
    }

    #[test]
    fn thresholds_found_inside_prose() {
        let found = thresholds("Hot path exceptions (>10ms but >80% usage)");
        assert_eq!(
            found.iter().map(|t| (t.0, t.1, t.2)).collect::<Vec<_>>(),
            vec![
                (Comparison::Greater, 10.0, Unit::Milliseconds),
                (Comparison::Greater, 80.0, Unit::Percent)
            ]
        );
        assert!(thresholds("Last profiled: 2025-11-08").is_empty());
        assert!(thresholds("Tier 1: x").is_empty());
    }

    #[test]
    fn milliseconds_print_like_the_seed() {
        assert_eq!(format_ms(0.8), "0.8ms");
        assert_eq!(format_ms(4.24), "4.2ms");
        assert_eq!(format_ms(15.0), "15ms");
        assert_eq!(format_ms(55.4), "55ms");
        assert_eq!(format_ms(9.96), "10ms");
        assert_eq!(format_ms(0.01), "<0.1ms");
        assert_eq!(format_number(80.0), "80");
        assert_eq!(format_number(1.5), "1.5");
    }
}
