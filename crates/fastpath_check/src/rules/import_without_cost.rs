//! FP004: a manifest import without a cost annotation.

use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};
use crate::rules::span_location;

pub(crate) static RULE: Rule = Rule {
    code: "FP004",
    name: "import-without-cost",
    kind: RuleKind::Static,
    summary: "A manifest import has no documented cost",
    explanation: r#"## What it does
Checks that every import in the manifest carries its measured cost in its comment, as the seed's
format does: `import json  # 0.8ms, every request`.

## Why is this bad?
The manifest is reviewed as a budget. An import without a cost cannot be reviewed ("What's the
import time?"), and the total cannot be added up.

## Example
```python
import gateway
```

## Use instead
```python
import gateway        # 15ms, every request - PROFILED 2025-11-08
```
`fastpath update` measures and writes the costs for you.

## Options
None.

## Fix safety
`fastpath update` rewrites annotations from a fresh measurement (safe)."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(loaded) = cx.manifest else { return };
    for import in &loaded.manifest.imports {
        if import.annotation.as_ref().is_some_and(|a| a.cost.is_some()) {
            continue;
        }
        let names: Vec<&str> = import.items.iter().map(|i| i.bound.as_str()).collect();
        out.push(
            Diagnostic::new(&RULE, format!("`{}` has no documented cost", names.join("`, `")), Some(span_location(cx, &import.span)))
                .with_help("add its measured cost as a comment (`# 4.2ms, every request`), or run `fastpath update`"),
        );
    }
}
