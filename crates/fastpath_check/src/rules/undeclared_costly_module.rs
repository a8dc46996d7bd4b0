//! FP104: an undeclared module on the cold path costs as much as a Tier 1 limit.

use crate::context::Context;
use crate::coverage::{
    boundary_modules, by_statement, chain, declared, group_name, is_declared, ms, submodules_note,
    take_off_cold_path, via_location, with_observed_note,
};
use crate::diagnostic::Diagnostic;
use crate::margin::{self, Call};
use crate::registry::{Rule, RuleKind};
use crate::rules::snapstart_advice;

pub(crate) static RULE: Rule = Rule {
    code: "FP104",
    name: "undeclared-costly-module",
    kind: RuleKind::Measured,
    summary: "A module the manifest does not declare costs `tier1-max-ms` or more",
    explanation: concat!(
        r#"## What it does
Finds modules that project code imports at module level on the cold path, that the manifest
does not declare, and whose measured cost (everything importing them adds) is at least
`tier1-max-ms`. The diagnostic shows the chain from the entry and the cost.

"#,
        margin::decided_on_the_interval!(),
        r#"

## Why is this bad?
This is the hidden slow import of the seed: standard library or third-party, declared nowhere,
paid on every cold start.

## Example
```python
# interface_cache.py, imported by gateway
import urllib.request   # 20 ms, on every cold start
```

## Use instead
Import it inside the function that uses it, or declare it in the manifest with its cost.

## Options
`tier1-max-ms` (default 10), `allow`, `snapstart`.

With `snapstart = true` (Lambda SnapStart for Python 3.12+) eager imports are captured in the
snapshot and restored, not re-imported; AWS advises preloading dependencies in init. The help
then says to keep the import in init and `fastpath fix` leaves it; the finding stays visible,
and the budget and regression rules still judge the cost.

## Fix safety
`fastpath fix` takes the statement off the cold path: under `if TYPE_CHECKING:` when its names
appear only in annotations, as a PEP 810 `lazy import` on Python 3.15+, else into the functions
that use them, after their docstrings. These fixes are safe (only *when* the module loads
changes). It refuses, saying why, when a name is used at import time (decorator, base class,
default argument, module-level call or statement, class body, `__all__`, `global`) or the import
looks kept for its side effects. Fixes that may change what code observes (an annotation read
at run time, a package name bound by two imports) are unsafe and need `--unsafe-fixes`."#
    ),
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(measured) = cx.measurements else {
        return;
    };
    let declared = declared(cx);
    let limit_us = cx.policy.tier1_max_ms * 1000.0;
    let undeclared = boundary_modules(cx).filter_map(|(index, _)| {
        let name = &cx.cold_path.modules[index].name;
        // Banned modules are FP003's, statically; one finding per problem.
        let skip = is_declared(&declared, name)
            || cx.policy.allowed(name)
            || cx.policy.banned_pattern(name).is_some()
            || !measured.modules.contains_key(name);
        (!skip).then_some(index)
    });
    // One finding per statement and package, priced as a whole: `import a.b` pays `a`, then
    // `a.b` beside it (importtime shows them as siblings), so their costs add up, except
    // where one ran inside another's import.
    for group in by_statement(cx, undeclared) {
        let names: Vec<&str> = group
            .iter()
            .map(|&i| cx.cold_path.modules[i].name.as_str())
            .collect();
        let counted: Vec<_> = names
            .iter()
            .filter_map(|n| measured.modules.get(*n))
            .filter(|c| !c.parent.as_deref().is_some_and(|p| names.contains(&p)))
            .collect();
        let cost_us: f64 = counted.iter().map(|c| c.cumulative_us).sum();
        // The interval of a sum, bounded by the sums of the bounds (conservative).
        let interval = counted.iter().fold((0.0, 0.0), |(low, high), c| {
            let (l, h) = c.cumulative_interval();
            (low + l, high + h)
        });
        let call = margin::call(interval, cost_us, limit_us, measured.contended);
        if call == Call::Under {
            continue;
        }
        let (name, submodules) = group_name(&names);
        let index = *group.last().unwrap_or(&0);
        let Some(via) = &cx.cold_path.modules[index].via else {
            continue;
        };
        let mut fix = take_off_cold_path(cx, index, &name);
        fix.modules = names.iter().map(|n| (*n).to_owned()).collect();
        let mut diagnostic = Diagnostic::new(
            &RULE,
            format!("`{name}` costs {} on every cold start and is not declared in the manifest", ms(cost_us)),
            Some(via_location(cx, via)),
        )
        .with_chain(chain(cx, index))
        .with_fix(Some(fix))
        .with_help("import it inside the functions that use it, or declare it in the manifest with its cost");
        if let Some(note) = submodules_note(&submodules) {
            diagnostic = diagnostic.with_note(note);
        }
        let diagnostic = snapstart_advice(cx, with_observed_note(cx, diagnostic, via, &name));
        out.push(match call {
            Call::Over => diagnostic,
            _ => margin::too_close(diagnostic, measured.contended),
        });
    }
}
