//! FP001: the entry imports something at module level besides the manifest.

use fastpath_scan::{Context as SiteContext, ImportSite, SiteKind};

use crate::context::Context;
use crate::diagnostic::{Diagnostic, FixSafety, FixTarget, Location};
use crate::registry::{Rule, RuleKind};

pub(crate) static RULE: Rule = Rule {
    code: "FP001",
    name: "entry-imports-beyond-manifest",
    kind: RuleKind::Static,
    summary: "The entry imports something at module level besides the manifest",
    explanation: r#"## What it does
Checks that the entry module (the one whose import is the cold start) imports nothing at module
level except the fast-path manifest (and `from __future__` features).

## Why is this bad?
The manifest is the one place where the cold path is visible, costed and reviewed. An import next
to it in the entry adds to every cold start without appearing there: the seed's month 2, when
someone added `import requests` to `lambda_function.py` and cold start went from 2.1 s to 2.3 s.

## Example
```python
# lambda_function.py
from fast_path import *
import requests
```

## Use instead
```python
# lambda_function.py
from fast_path import *

def lambda_handler(event, context):
    import requests  # only when this path runs
```
Or, if it really belongs on every request, add it to `fast_path.py` with its measured cost.

## Options
`manifest` (the manifest's file name), `allow`.

## Fix safety
`fastpath fix` takes the statement off the cold path: under `if TYPE_CHECKING:` when its names
appear only in annotations, as a PEP 810 `lazy import` on Python 3.15+, else into the functions
that use them, after their docstrings. These fixes are safe (only *when* the module loads
changes). It refuses, saying why, when a name is used at import time (decorator, base class,
default argument, module-level call or statement, class body, `__all__`, `global`) or the import
looks kept for its side effects. Fixes that may change what code observes (an annotation read
at run time, a package name bound by two imports) are unsafe and need `--unsafe-fixes`."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(scan), Some(path)) = (cx.entry_scan, cx.entry_path) else {
        return;
    };
    let path = cx.display(path);
    let mut imports_manifest = false;
    for site in scan
        .sites
        .iter()
        .filter(|s| s.context == SiteContext::Eager)
    {
        let module = site.module.as_str();
        let is_manifest = site.level == 0
            && (module == cx.manifest_module
                || (module.is_empty() && site.names.iter().any(|n| n.name == cx.manifest_module)));
        if is_manifest {
            imports_manifest = true;
            continue;
        }
        if site.kind == SiteKind::From && module == "__future__" || cx.policy.allowed(module) {
            continue;
        }
        let shown = format!("{}{}", ".".repeat(site.level as usize), module);
        out.push(
            Diagnostic::new(
                &RULE,
                format!(
                    "`{}` imports `{shown}` at module level, outside the manifest `{}`",
                    cx.entry, cx.manifest_module
                ),
                Some(Location::new(&path, site.line, site.column)),
            )
            .with_fix(Some(FixTarget {
                location: Some(Location::new(&path, site.line, site.column)),
                statement: site_statement(site),
                modules: vec![shown.clone()],
                safety: FixSafety::Safe,
            }))
            .with_help(format!(
                "import it inside the function that needs it, or declare it in {} with its cost",
                cx.display(cx.manifest_path).display()
            )),
        );
    }
    if !imports_manifest && cx.manifest.is_some() {
        out.push(
            Diagnostic::new(
                &RULE,
                format!(
                    "`{}` does not import the manifest `{}`",
                    cx.entry, cx.manifest_module
                ),
                Some(Location::new(&path, 1, 1)),
            )
            .with_help(format!(
                "start the entry with `from {} import *`",
                cx.manifest_module
            )),
        );
    }
}

/// The statement as a reader writes it (`import a.b`, `from .x import y`).
fn site_statement(site: &ImportSite) -> String {
    let module = format!("{}{}", ".".repeat(site.level as usize), site.module);
    match site.kind {
        SiteKind::From => {
            let names: Vec<&str> = site.names.iter().map(|n| n.name.as_str()).collect();
            format!("from {module} import {}", names.join(", "))
        }
        _ => format!("import {module}"),
    }
}
