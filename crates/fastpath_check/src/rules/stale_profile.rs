//! FP007: a `Last profiled` or `PROFILED` date is older than the review interval.

use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};
use crate::rules::span_location;

pub(crate) static RULE: Rule = Rule {
    code: "FP007",
    name: "stale-profile",
    kind: RuleKind::Static,
    summary: "The manifest's profiling dates are older than the review interval",
    explanation: r#"## What it does
Reads the docstring's `Last profiled:` (or `Last reviewed:`) date and each import's `PROFILED`
date and reports those older than `review-interval-days`, or a manifest with no date at all.

## Why is this bad?
Costs drift: packages are upgraded, usage changes. The seed's monthly review ("Re-profile all
imports ... Update documentation") only happens if something says it is due.

## Example
```python
"""
Last profiled: 2025-01-08
"""
```

## Use instead
Run `fastpath update`: it re-profiles, rewrites every cost and date, and appends a HISTORY line.

## Options
`review-interval-days` (default 30).

## Fix safety
`fastpath update` is safe: it only rewrites annotations and dates."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(loaded) = cx.manifest else { return };
    let manifest = &loaded.manifest;
    let limit = i64::from(cx.policy.review_interval_days);
    let docstring = manifest.docstring.as_ref();
    let last = docstring.and_then(|d| d.last_profiled.as_ref().or(d.last_reviewed.as_ref()));
    match last {
        Some(key) => {
            let age = key.date.days_until(cx.today);
            if age > limit {
                out.push(
                    Diagnostic::new(
                        &RULE,
                        format!(
                            "`{}: {}` is {age} days old; the review interval is {limit} days",
                            key.key, key.date
                        ),
                        Some(span_location(cx, &key.date_span)),
                    )
                    .with_help("run `fastpath update` to re-profile and refresh the manifest"),
                );
            }
        }
        None => out.push(
            Diagnostic::new(
                &RULE,
                "the manifest does not say when it was last profiled",
                docstring.map(|d| span_location(cx, &d.span)),
            )
            .with_help(
                "add `Last profiled: YYYY-MM-DD` to its docstring, or run `fastpath update`",
            ),
        ),
    }
    for import in &manifest.imports {
        let Some(profiled) = import.annotation.as_ref().and_then(|a| a.profiled.as_ref()) else {
            continue;
        };
        let age = profiled.date.days_until(cx.today);
        if age > limit {
            out.push(Diagnostic::new(
                &RULE,
                format!(
                    "`PROFILED {}` is {age} days old; the review interval is {limit} days",
                    profiled.date
                ),
                Some(span_location(cx, &profiled.date_span)),
            ));
        }
    }
}
