//! FP203: a module is on the cold path that the baseline's or the revision's cold path did not
//! have.

use std::collections::{BTreeMap, BTreeSet};

use crate::context::Context;
use crate::coverage::{
    boundary_chain, boundary_of, by_statement, group_name, ms, stated_via, submodules_note,
    via_location, with_observed_note,
};
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};
use crate::rules::module_cost_regressed::line_name;

pub(crate) static RULE: Rule = Rule {
    code: "FP203",
    name: "new-module-on-cold-path",
    kind: RuleKind::Regression,
    summary: "A module is newly on the cold path compared with the baseline or the revision",
    explanation: r#"## What it does
Compares the static cold path with the one recorded in `fastpath-baseline.json`, or with REV's
(`fastpath check --against REV`, read from a temporary git worktree), and reports each module
that is new, where it enters: at the project statement that brings it in (the import of a
dependency, when it comes in inside one; those statements are a note), with the chain from the
entry and who added that statement (git blame). What the new module imports comes with it and
is counted in the same finding; one statement's new modules of one package are one finding
(`urllib.request`, not `urllib` beside it). Static: no timing is needed, so it also runs
under `--static`; when the entry was measured, the finding carries the module's cost.

## Why is this bad?
Every module on the cold path is paid on every cold start. A new one deserves a decision, not
an accident: the seed's `import boto3` added 150 ms without anyone choosing it.

## Example
```python
# gateway.py
import requests   # new: 60 modules, ~90 ms
```

## Use instead
Import it inside the function that uses it, or declare it in the manifest with its cost and
record a new baseline.

## Options
`baseline` (the file).

## Fix safety
`fastpath fix` moves the import into the functions that use it; unsafe when a name is used at
module level."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(regression) = cx.regression else {
        return;
    };
    let Some(reference) = &regression.reference_modules else {
        return;
    };
    let current = cx
        .cold_path
        .modules
        .iter()
        .map(|m| (m.name.as_str(), m.via.as_ref().map(|v| v.module.as_str())));
    let entering = newly_loaded(reference, current);
    let indices = entering
        .iter()
        .filter_map(|(name, _)| cx.cold_path.index_of(name));
    for group in by_statement(cx, indices) {
        let names: Vec<&str> = group
            .iter()
            .map(|&i| cx.cold_path.modules[i].name.as_str())
            .collect();
        let (name, submodules) = group_name(&names);
        let brought: usize = entering
            .iter()
            .filter(|(n, _)| names.contains(n))
            .map(|(_, b)| b)
            .sum();
        let index = *group.last().unwrap_or(&0);
        let at = boundary_of(cx, index).unwrap_or(index);
        let Some(via) = &cx.cold_path.modules[at].via else {
            continue;
        };
        let (chain, inside) = boundary_chain(cx, index);
        let mut diagnostic = Diagnostic::new(
            &RULE,
            format!(
                "`{name}` is new on the cold path: it is not on the cold path of {}",
                regression.reference
            ),
            Some(via_location(cx, via)),
        )
        .with_chain(chain);
        if let Some(note) = submodules_note(&submodules) {
            diagnostic = diagnostic.with_note(note);
        }
        if let Some(note) = inside {
            diagnostic = diagnostic.with_note(note);
        }
        diagnostic = with_observed_note(cx, diagnostic, via, &name);
        if brought > 0 {
            let s = if brought == 1 { "" } else { "s" };
            diagnostic =
                diagnostic.with_note(format!("it brings {brought} more new module{s} with it"));
        }
        let measured = cx.measurements.map(|m| {
            names
                .iter()
                .filter_map(|n| m.modules.get(*n))
                .filter(|c| !c.parent.as_deref().is_some_and(|p| names.contains(&p)))
                .map(|c| c.cumulative_us)
                .sum::<f64>()
        });
        if let Some(cost_us) = measured.filter(|c| *c > 0.0) {
            diagnostic = diagnostic.with_note(format!(
                "it costs {} on every cold start (measured, with what it imports)",
                ms(cost_us)
            ));
        }
        if let Some(stated) = stated_via(cx.cold_path, via) {
            if let Some(blame) = regression.blame.get(&(stated.path.clone(), stated.line)) {
                diagnostic = diagnostic.with_note(format!(
                    "{}: {blame}",
                    line_name(cx, &stated.path, stated.line)
                ));
            }
        }
        out.push(diagnostic.with_help(
            "import it inside the functions that use it, or declare it in the manifest and record a new baseline",
        ));
    }
}

/// Modules of `current` (name, importer) that `reference` lacks, kept only where they enter:
/// their importer is not itself new. Each comes with the number of new modules that entered
/// through it.
pub(crate) fn newly_loaded<'a>(
    reference: &BTreeSet<String>,
    current: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Vec<(&'a str, usize)> {
    let current: Vec<(&str, Option<&str>)> = current.into_iter().collect();
    let importer_of: BTreeMap<&str, Option<&str>> = current.iter().copied().collect();
    let is_new = |name: &str| !reference.contains(name);
    let mut entering: Vec<(&str, usize)> = current
        .iter()
        .filter(|(name, importer)| is_new(name) && !importer.is_some_and(is_new))
        .map(|(name, _)| (*name, 0))
        .collect();
    for (name, _) in current.iter().filter(|(name, _)| is_new(name)) {
        let mut up = importer_of.get(name).copied().flatten();
        let mut steps = 0;
        while let Some(importer) = up {
            if let Some(slot) = entering.iter_mut().find(|(e, _)| *e == importer) {
                slot.1 += 1;
                break;
            }
            steps += 1;
            if steps > importer_of.len() {
                break;
            }
            up = importer_of.get(importer).copied().flatten();
        }
    }
    entering
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_modules_are_reported_where_they_enter_with_what_they_bring() {
        let reference: BTreeSet<String> = ["app", "json"].iter().map(|s| s.to_string()).collect();
        let current = [
            ("app", None),
            ("json", Some("app")),
            ("requests", Some("app")),
            ("requests.api", Some("requests")),
            ("urllib3", Some("requests")),
            ("urllib3.util", Some("urllib3")),
            ("csv", Some("json")),
        ];
        let entering = newly_loaded(&reference, current);
        assert_eq!(entering, [("requests", 3), ("csv", 0)]);
    }
}
