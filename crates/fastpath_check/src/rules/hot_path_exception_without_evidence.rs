//! FP008: a Tier 2 (hot-path exception) import without usage data or a profiling date, or
//! whose usage evidence (`fastpath usage`) is below `hot-path-min-usage`.

use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};
use crate::rules::{span_location, tier};

pub(crate) static RULE: Rule = Rule {
    code: "FP008",
    name: "hot-path-exception-without-evidence",
    kind: RuleKind::Static,
    summary: "A Tier 2 import lacks the usage or the date that justifies it",
    explanation: r#"## What it does
Tier 2 holds the exceptions: imports over the Tier 1 cost that stay because most requests use
them. Each must say how often it is used (above `hot-path-min-usage`) and when that was
profiled.

## Why is this bad?
"350ms and only 15% usage? Function level instead." An exception without evidence cannot be
reviewed, and outlives the reason it was granted.

## Example
```python
# Tier 2: Hot path exceptions (>10ms but >80% usage)
import cache_core     # 35ms
```

## Use instead
```python
import cache_core     # 35ms, every request - PROFILED 2025-11-08
```

## How to gather evidence
The written usage is a claim; `fastpath usage` measures it, and from then on FP008 judges the
evidence instead of the words (and `fastpath update` rewrites the words from it):
- replay requests: put one JSON event per file in a directory and run
  `fastpath usage --events DIR --handler lambda_handler`; one fresh interpreter calls the
  handler with each event and records which manifest modules had code run;
- from production: decorate the handler with `fastpath.runtime.track_usage` (from the
  `fastpath-cli` wheel), export the logs, and run `fastpath usage --logs FILE`.
Both write `.fastpath/usage.json`. "Used on 30 % of requests (3 of 10 replayed events)" is a
finding; a Tier 2 import the evidence did not track is judged by its annotation as before.

## Options
`hot-path-min-usage` (default 0.8).

## Fix safety
None: usage comes from your traffic, not from fastpath."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(loaded) = cx.manifest else { return };
    let manifest = &loaded.manifest;
    for import in &manifest.imports {
        if tier(manifest, import) != Some(2) {
            continue;
        }
        let names: Vec<&str> = import.items.iter().map(|i| i.bound.as_str()).collect();
        let names = names.join("`, `");
        let annotation = import.annotation.as_ref();
        // Evidence wins over the written words when it tracked the import's module.
        let evidence = cx.usage.and_then(|u| {
            import
                .items
                .iter()
                .find_map(|i| u.share(&i.module))
                .map(|share| (u, share))
        });
        if let Some((usage, (fraction, count))) = evidence {
            if fraction <= cx.policy.hot_path_min_usage {
                let at = annotation
                    .and_then(|a| a.usage.as_ref())
                    .map_or(&import.span, |u| &u.span);
                out.push(
                    Diagnostic::new(
                        &RULE,
                        format!(
                            "Tier 2 import `{names}` is used on {:.0} % of requests ({count} of {} {}), below hot-path-min-usage {:.0} %",
                            fraction * 100.0,
                            usage.total,
                            usage.unit,
                            cx.policy.hot_path_min_usage * 100.0
                        ),
                        Some(span_location(cx, at)),
                    )
                    .with_help("import it at function level instead (`fastpath fix`), or run `fastpath update` to write the measured usage"),
                );
            }
        } else {
            match annotation.and_then(|a| a.usage.as_ref()) {
            None => out.push(
                Diagnostic::new(&RULE, format!("Tier 2 import `{names}` does not say how often it is used"), Some(span_location(cx, &import.span)))
                    .with_help("document its usage (`every request`, `90% usage`) or move it to function level"),
            ),
            Some(usage) => {
                if let Some(fraction) = usage.fraction().filter(|f| *f <= cx.policy.hot_path_min_usage) {
                    out.push(
                        Diagnostic::new(
                            &RULE,
                            format!(
                                "Tier 2 import `{names}` is used by {:.0}% of requests; a hot-path exception needs more than {:.0}%",
                                fraction * 100.0,
                                cx.policy.hot_path_min_usage * 100.0
                            ),
                            Some(span_location(cx, &usage.span)),
                        )
                        .with_help("import it at function level instead"),
                    );
                }
            }
        }
        }
        if annotation.and_then(|a| a.profiled.as_ref()).is_none()
            && manifest
                .docstring
                .as_ref()
                .and_then(|d| d.last_profiled.as_ref())
                .is_none()
        {
            out.push(Diagnostic::new(
                &RULE,
                format!("Tier 2 import `{names}` has no `PROFILED YYYY-MM-DD` date"),
                Some(span_location(cx, &import.span)),
            ));
        }
    }
}
