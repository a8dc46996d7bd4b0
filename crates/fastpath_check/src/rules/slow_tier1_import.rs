//! FP103: a Tier 1 import costs at least the Tier 1 limit.

use crate::context::Context;
use crate::cost::manifest_costs;
use crate::coverage::ms;
use crate::diagnostic::Diagnostic;
use crate::margin::{self, Call};
use crate::registry::{Rule, RuleKind};
use crate::rules::{span_location, tier};

pub(crate) static RULE: Rule = Rule {
    code: "FP103",
    name: "slow-tier1-import",
    kind: RuleKind::Measured,
    summary: "A Tier 1 (lightweight) import costs `tier1-max-ms` or more",
    explanation: concat!(
        r#"## What it does
Measures each import of the manifest's Tier 1 section and reports those whose cost (what
importing it adds to the cold start) is at or over `tier1-max-ms`.

"#,
        margin::decided_on_the_interval!(),
        r#"

## Why is this bad?
Tier 1 means "import time <10ms": it is the list reviewers skim. A heavy import there is a
hot-path exception that nobody reviewed as one.

## Example
```python
# Tier 1: Lightweight (<10ms)
import email.mime.multipart   # 0.5ms (measured: 12 ms)
```

## Use instead
Move it to Tier 2 with its usage data, or to function level.

## Options
`tier1-max-ms` (default 10).

## Fix safety
None."#
    ),
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(measured), Some(loaded)) = (cx.measurements, cx.manifest) else {
        return;
    };
    let limit_us = cx.policy.tier1_max_ms * 1000.0;
    let prices = manifest_costs(&loaded.manifest, measured);
    for (import, price) in loaded.manifest.imports.iter().zip(prices) {
        if tier(&loaded.manifest, import) != Some(1) {
            continue;
        }
        // Priced as `update` writes it and FP105 reads it (`crate::cost`).
        let Some(price) = price else {
            continue;
        };
        let call = margin::call(
            price
                .interval_us
                .unwrap_or((price.median_us, price.median_us)),
            price.median_us,
            limit_us,
            measured.contended,
        );
        if call != Call::Under {
            let names: Vec<&str> = import.items.iter().map(|i| i.bound.as_str()).collect();
            let diagnostic = Diagnostic::new(
                &RULE,
                format!(
                    "Tier 1 import `{}` costs {}; Tier 1 is for imports under {}",
                    names.join("`, `"),
                    ms(price.median_us),
                    ms(limit_us)
                ),
                Some(span_location(cx, &import.span)),
            )
            .with_help("move it to Tier 2 with usage data, or import it at function level");
            out.push(match call {
                Call::Over => diagnostic,
                _ => margin::too_close(diagnostic, measured.contended),
            });
        }
    }
}
