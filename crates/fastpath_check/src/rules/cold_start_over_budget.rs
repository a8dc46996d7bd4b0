//! FP102: the entry's whole cold start is over budget.

use crate::context::Context;
use crate::coverage::ms;
use crate::diagnostic::{Diagnostic, Location};
use crate::margin::{self, Call};
use crate::registry::{Rule, RuleKind};

pub(crate) static RULE: Rule = Rule {
    code: "FP102",
    name: "cold-start-over-budget",
    kind: RuleKind::Measured,
    summary: "The entry's cold start (start-up plus imports) is over `cold-start-budget-ms`",
    explanation: concat!(
        r#"## What it does
Measures a fresh process that imports the entry (interpreter start-up plus every import) and
reports when its median is over `cold-start-budget-ms`.

"#,
        margin::decided_on_the_interval!(),
        r#"

## Why is this bad?
This is the number users feel: the seed's Lambda went from 2.1 s to 3.2 s in three months,
one import at a time.

## Example
A handler whose import takes 2.4 s against a 2 s target.

## Use instead
Defer heavy imports to the functions that use them; `fastpath profile` lists the savings.

## Options
`cold-start-budget-ms` (default 2000).

## Fix safety
None."#
    ),
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(measured) = cx.measurements else {
        return;
    };
    let budget_us = cx.policy.cold_start_budget_ms * 1000.0;
    let call = margin::call(
        measured.cold_start_interval(),
        measured.cold_start_us,
        budget_us,
        measured.contended,
    );
    if call != Call::Under {
        let location = cx.entry_path.map(|p| Location::new(cx.display(p), 1, 1));
        let diagnostic = Diagnostic::new(
            &RULE,
            format!(
                "the cold start of `{}` takes {} (median); its budget is {}",
                cx.entry,
                ms(measured.cold_start_us),
                ms(budget_us)
            ),
            location,
        )
        .with_note(format!(
            "imports: {}; interpreter start-up: {}",
            ms(measured.imports_us),
            ms(measured.cold_start_us - measured.imports_us)
        ));
        out.push(match call {
            Call::Over => diagnostic,
            _ => margin::too_close(diagnostic, measured.contended),
        });
    }
}
