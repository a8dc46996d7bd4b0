//! FP005: `__all__` does not match the manifest's imports.

use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};
use crate::rules::span_location;

pub(crate) static RULE: Rule = Rule {
    code: "FP005",
    name: "all-out-of-sync",
    kind: RuleKind::Static,
    summary: "`__all__` in the manifest does not list exactly its imports",
    explanation: r#"## What it does
Compares the manifest's `__all__` with the names its imports bind: each import must be exported,
and `__all__` must not export a name that is not imported.

## Why is this bad?
The entry does `from fast_path import *`: `__all__` decides what it gets. A missing name breaks
the handler at run time; an extra name is a stale entry in the one file meant to be exact.

## Example
```python
import json
import gateway
__all__ = ['json']
```

## Use instead
```python
import json
import gateway
__all__ = ['json', 'gateway']
```

## Options
None.

## Fix safety
None yet."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(loaded) = cx.manifest else { return };
    let manifest = &loaded.manifest;
    let Some(all) = &manifest.all else {
        if !manifest.imports.is_empty() {
            out.push(
                Diagnostic::new(&RULE, "the manifest has no literal `__all__`", Some(span_location(cx, &manifest.imports[0].span)))
                    .with_help("add `__all__ = [...]` naming every import, so `from fast_path import *` is exact"),
            );
        }
        return;
    };
    let bound: Vec<&str> = manifest
        .imports
        .iter()
        .flat_map(|i| i.items.iter().map(|item| item.bound.as_str()))
        .collect();
    for import in &manifest.imports {
        for item in &import.items {
            if item.name != "*" && !all.contains(&item.bound) {
                out.push(Diagnostic::new(
                    &RULE,
                    format!("`{}` is imported but not in `__all__`", item.bound),
                    Some(span_location(cx, &item.span)),
                ));
            }
        }
    }
    for name in &all.names {
        if !bound.contains(&name.name.as_str()) {
            out.push(Diagnostic::new(
                &RULE,
                format!(
                    "`__all__` exports `{}`, which the manifest does not import",
                    name.name
                ),
                Some(span_location(cx, &name.span)),
            ));
        }
    }
}
