//! FP008: a Tier 2 (hot-path exception) import without usage data or a profiling date.

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
