//! FP105: a documented cost no longer matches the measurement.

use crate::context::Context;
use crate::coverage::ms;
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};
use crate::rules::{imported_modules, span_location};

pub(crate) static RULE: Rule = Rule {
    code: "FP105",
    name: "documented-cost-drift",
    kind: RuleKind::Measured,
    summary: "A manifest import's documented cost differs from its measured cost",
    explanation: r#"## What it does
Compares each manifest import's documented cost with its measured median and reports those
that differ by more than the tolerance (a fraction of the measurement, and at least 1 ms),
showing both.

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
`cost-tolerance` is fixed at 50 % for now.

## Fix safety
`fastpath update` is safe."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(measured), Some(loaded)) = (cx.measurements, cx.manifest) else {
        return;
    };
    for import in &loaded.manifest.imports {
        let Some(cost) = import.annotation.as_ref().and_then(|a| a.cost.as_ref()) else {
            continue;
        };
        let modules = imported_modules(cx, import);
        let costs: Vec<f64> = modules
            .iter()
            .filter_map(|m| measured.modules.get(m.as_str()))
            .map(|c| c.cumulative_us)
            .collect();
        if costs.is_empty() {
            continue;
        }
        let measured_us: f64 = costs.iter().sum();
        let documented_us = cost.ms * 1000.0;
        let difference = (documented_us - measured_us).abs();
        if difference > 1000.0 && difference > cx.policy.cost_tolerance * measured_us {
            out.push(
                Diagnostic::new(
                    &RULE,
                    format!(
                        "documented cost {} but measured {}",
                        ms(documented_us),
                        ms(measured_us)
                    ),
                    Some(span_location(cx, &cost.span)),
                )
                .with_help("run `fastpath update` to rewrite the costs"),
            );
        }
    }
}
