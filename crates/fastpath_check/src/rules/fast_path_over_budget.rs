//! FP101: the fast path costs more than its budget.

use crate::context::Context;
use crate::coverage::ms;
use crate::diagnostic::{Diagnostic, Location};
use crate::margin::{self, Call};
use crate::registry::{Rule, RuleKind};

pub(crate) static RULE: Rule = Rule {
    code: "FP101",
    name: "fast-path-over-budget",
    kind: RuleKind::Measured,
    summary: "Importing the manifest costs more than `budget-ms`",
    explanation: concat!(
        r#"## What it does
Measures the import of the manifest module (everything it pulls in, as the entry sees it) and
reports when its median is over `budget-ms`.

"#,
        margin::decided_on_the_interval!(),
        r#"

## Why is this bad?
The fast path is a budget: "Total still <200ms?" is on the seed's review checklist, and its test
fails CI when `fast_path` is too slow.

## Example
A `fast_path.py` that imports `boto3` (150 ms) next to `gateway` (15 ms) and `cache_core`
(35 ms): 200 ms and over.

## Use instead
Move the heaviest, least used imports to function level; `fastpath profile` ranks what each
deferral would save.

## Options
`budget-ms` (default 200).

## Fix safety
None: choosing what leaves the fast path needs usage data."#
    ),
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(measured) = cx.measurements else {
        return;
    };
    let Some(cost) = measured.modules.get(cx.manifest_module) else {
        return;
    };
    let budget_us = cx.policy.budget_ms * 1000.0;
    let call = margin::call(
        cost.cumulative_interval(),
        cost.cumulative_us,
        budget_us,
        measured.contended,
    );
    if call != Call::Under {
        let diagnostic = Diagnostic::new(
            &RULE,
            format!(
                "the fast path costs {} (median); its budget is {}",
                ms(cost.cumulative_us),
                ms(budget_us)
            ),
            Some(Location::new(cx.display(cx.manifest_path), 1, 1)),
        )
        .with_help("run `fastpath profile` to see what deferring each import would save");
        out.push(match call {
            Call::Over => diagnostic,
            _ => margin::too_close(diagnostic, measured.contended),
        });
    }
}
