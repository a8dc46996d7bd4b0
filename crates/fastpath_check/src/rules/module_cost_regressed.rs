//! FP202: a module on the cold path costs more than in the baseline or the revision.

use std::path::Path;

use crate::context::Context;
use crate::coverage::{chain, ms, percent, stated_via, via_location, with_observed_note};
use crate::diagnostic::{Diagnostic, Location};
use crate::registry::{Rule, RuleKind};
use crate::rules::cold_start_regressed::describe;

pub(crate) static RULE: Rule = Rule {
    code: "FP202",
    name: "module-cost-regressed",
    kind: RuleKind::Regression,
    summary: "A module's measured cost grew beyond noise; names it, the statement that loads it, and who wrote that",
    explanation: r#"## What it does
Diffs the costed import trees of the reference (baseline or revision) and the working tree and
attributes the growth: a module is named when its cumulative time regressed (the same test and
minimum effect as FP201, the significance level split over the modules tested) and no regressed
module below it accounts for the growth. Work added to a module's own body names that module;
a slow new import names the imported module; their ancestors, which only carry the growth, are
not named again. The finding points at the statement that loads the module, shows the chain
from the entry, and says who added that statement (git blame).

## Why is this bad?
A cold start that grew is only actionable once you know where: "who added the slow import?"

## Example
```python
# heavy.py, already on the cold path
TABLE = build_table()   # new: 10 ms at import time
```

## Use instead
Move the work out of import time (compute on first use), or import the module inside the
functions that need it.

## Options
As FP201.

## Fix safety
None."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(regression) = cx.regression else {
        return;
    };
    for module in &regression.modules {
        let index = cx.cold_path.index_of(&module.module);
        // A module new on the static cold path is FP203's finding (with its cost).
        if let (Some(reference), Some(_)) = (&regression.reference_modules, index) {
            if !reference.contains(&module.module) {
                continue;
            }
        }
        let shift = &module.cumulative;
        let message = if module.added {
            format!(
                "`{}` now loads on the cold start and costs {}; it did not load in {}",
                module.module,
                ms(shift.after_us),
                regression.reference
            )
        } else {
            format!(
                "`{}` got {} slower{}: {} in {}, {} now",
                module.module,
                ms(shift.delta_us),
                percent(shift.delta_us, shift.before_us),
                ms(shift.before_us),
                regression.reference,
                ms(shift.after_us)
            )
        };
        let via = index.and_then(|i| cx.cold_path.modules[i].via.as_ref());
        let location = match (via, index) {
            (Some(via), _) => Some(via_location(cx, via)),
            (None, Some(0)) => cx.entry_path.map(|p| Location::new(cx.display(p), 1, 1)),
            _ => None,
        };
        let mut diagnostic = Diagnostic::new(&RULE, message, location);
        if let Some(via) = via {
            diagnostic = with_observed_note(cx, diagnostic, via, &module.module);
        }
        if let Some(i) = index {
            diagnostic = diagnostic.with_chain(chain(cx, i));
        }
        let share = if shift.delta_us > 0.0 {
            module.self_delta_us / shift.delta_us
        } else {
            0.0
        };
        if !module.added {
            diagnostic = diagnostic.with_note(if share >= 0.5 {
                format!(
                    "its own body takes {} more: the work was added in `{}` itself, not in what it imports",
                    ms(module.self_delta_us.max(0.0)),
                    module.module
                )
            } else {
                format!(
                    "its own body takes {} more; the rest is in what it imports",
                    ms(module.self_delta_us.max(0.0))
                )
            });
        }
        if index.is_none() {
            diagnostic = diagnostic.with_note(
                "no import statement shows it: it is loaded by code that runs at import time (a computed name, or a compiled extension)",
            );
        }
        if let Some(stated) = via.and_then(|via| stated_via(cx.cold_path, via)) {
            if let Some(blame) = regression.blame.get(&(stated.path.clone(), stated.line)) {
                diagnostic = diagnostic.with_note(format!(
                    "{}: {blame}",
                    line_name(cx, &stated.path, stated.line)
                ));
            }
        }
        for change in &module.changes {
            diagnostic = diagnostic.with_note(change.clone());
        }
        diagnostic =
            diagnostic.with_note(format!("{}; {}", regression.module_method, describe(shift)));
        out.push(diagnostic.with_help(
            "move the work out of import time (compute on first use), or import the module inside the functions that need it",
        ));
    }
}

pub(crate) fn line_name(cx: &Context<'_>, path: &Path, line: u32) -> String {
    format!("{}:{line}", cx.display(path).display())
}
