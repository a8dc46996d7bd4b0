//! FP009: part of the manifest does not follow the format.

use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};
use crate::rules::span_location;

pub(crate) static RULE: Rule = Rule {
    code: "FP009",
    name: "malformed-manifest",
    kind: RuleKind::Static,
    summary: "An element of the manifest does not follow the fast-path format",
    explanation: r#"## What it does
Reports what the manifest reader could not understand: a date that is not `YYYY-MM-DD`, a cost
like `abcms`, a usage over 100 %, a non-literal `__all__`, a syntax error, bytes that do not
decode. The rest of the file is still read and checked.

## Why is this bad?
A manifest that tools cannot read cannot be checked or updated; a typo in a cost silently
removes it from the budget.

## Example
```python
import gateway        # 15mss, every request - PROFILED 2025-13-08
```

## Use instead
```python
import gateway        # 15ms, every request - PROFILED 2025-11-08
```

## Options
None.

## Fix safety
None."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(loaded) = cx.manifest else { return };
    for diagnostic in &loaded.diagnostics {
        out.push(Diagnostic::new(
            &RULE,
            diagnostic.message.clone(),
            Some(span_location(cx, &diagnostic.span)),
        ));
    }
}
