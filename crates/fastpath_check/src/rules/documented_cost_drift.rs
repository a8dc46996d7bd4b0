//! FP105: a documented cost no longer matches the measurement.

use crate::context::Context;
use crate::cost::manifest_costs;
use crate::coverage::ms;
use crate::diagnostic::Diagnostic;
use crate::margin;
use crate::registry::{Rule, RuleKind};
use crate::rules::span_location;

pub(crate) static RULE: Rule = Rule {
    code: "FP105",
    name: "documented-cost-drift",
    kind: RuleKind::Measured,
    summary: "A manifest import's documented cost differs from its measured cost",
    explanation: r#"## What it does
Compares each manifest import's documented cost with what the statement costs, measured, and
reports those outside the measured range (the fastest to the slowest run, widened by 0.5 ms)
that also differ from the median by more than the tolerance (a fraction of the measurement, and
at least 1 ms), showing both.

What a statement costs is the cumulative import time of the modules it loads itself: the module
it names (`import a.b`: `a.b`, with `a` when `a` loads for it) and, for `from x import y`, also
`x.y` when `y` is a submodule; a module counts once, for the first statement of the manifest
that loads it, and a module loaded at interpreter start-up costs nothing. `fastpath update` and
the HISTORY total price statements the same way, so a cost `update` wrote is never reported.

## Why is this bad?
"Documentation essential: know why each import exists." A manifest whose costs are stale
misleads every review that reads it.

## Example
```python
import gateway        # 15ms, every request   (measured: 48 ms)
```

## Use instead
Run `fastpath update`: it rewrites each cost from a fresh measurement.

## Options
`cost-tolerance` is fixed at 50 % for now. A measurement that was contended (a busy machine
reads high) never reports a cost as documented too low: that result is a `note:` line on stderr
(unless `-q`) and an entry of `close_calls` in the JSON.

## Fix safety
`fastpath update` is safe."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(measured), Some(loaded)) = (cx.measurements, cx.manifest) else {
        return;
    };
    let prices = manifest_costs(&loaded.manifest, measured);
    for (import, price) in loaded.manifest.imports.iter().zip(prices) {
        let Some(cost) = import.annotation.as_ref().and_then(|a| a.cost.as_ref()) else {
            continue;
        };
        let Some(price) = price else {
            continue;
        };
        let measured_us = price.median_us;
        let documented_us = cost.ms * 1000.0;
        let difference = (documented_us - measured_us).abs();
        if !price.agrees_with(cost.ms)
            && difference > 1000.0
            && difference > cx.policy.cost_tolerance * measured_us
        {
            let diagnostic = Diagnostic::new(
                    &RULE,
                    format!(
                        "documented cost {} but measured {}",
                        ms(documented_us),
                        ms(measured_us)
                    ),
                    Some(span_location(cx, &cost.span)),
                )
                .with_note(format!(
                    "measured: {} to {} over the runs (`fastpath explain FP105` says how a statement is priced)",
                    ms(price.min_us),
                    ms(price.max_us)
                ))
                .with_help("run `fastpath update` to rewrite the costs");
            // A contended measurement reads high: it cannot show a cost documented too low.
            out.push(if measured.contended && measured_us > documented_us {
                margin::too_close(diagnostic, true)
            } else {
                diagnostic
            });
        }
    }
}
