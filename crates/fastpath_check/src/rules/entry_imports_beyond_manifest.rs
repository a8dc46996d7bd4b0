//! FP001: the entry imports something at module level besides the manifest.

use fastpath_scan::{Context as SiteContext, ImportSite, SiteKind};

use crate::context::Context;
use crate::diagnostic::{Diagnostic, FixSafety, FixTarget, Location};
use crate::registry::{Rule, RuleKind};
use crate::rules::snapstart_advice;

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
`manifest` (the manifest's file name), `allow`, `snapstart`.

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
at run time, a package name bound by two imports) are unsafe and need `--unsafe-fixes`."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(scan), Some(path)) = (cx.entry_scan, cx.entry_path) else {
        return;
    };
    let package = entry_package(cx.entry, path);
    let path = cx.display(path);
    let mut imports_manifest = false;
    for site in scan
        .sites
        .iter()
        .filter(|s| s.context == SiteContext::Eager)
    {
        let module = site.module.as_str();
        let is_manifest = imports_manifest_module(site, &package, cx.manifest_module);
        if is_manifest {
            imports_manifest = true;
            continue;
        }
        if site.kind == SiteKind::From && module == "__future__" || cx.policy.allowed(module) {
            continue;
        }
        let shown = format!("{}{}", ".".repeat(site.level as usize), module);
        out.push(snapstart_advice(
            cx,
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
        ));
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

/// The package relative imports in the entry start from: the entry itself when it is a
/// package's `__init__.py`, else its parent package (empty at top level).
fn entry_package(entry: &str, path: &std::path::Path) -> String {
    if path.file_stem().is_some_and(|s| s == "__init__") {
        entry.to_string()
    } else {
        entry.rsplit_once('.').map_or("", |(p, _)| p).to_string()
    }
}

/// Whether `site` imports the manifest `manifest` (`pkg.fast_path`): `import pkg.fast_path`,
/// `from pkg.fast_path import *`, `from pkg import fast_path`, or the relative forms
/// `from .fast_path import *` and `from . import fast_path` resolved against `package`.
fn imports_manifest_module(site: &ImportSite, package: &str, manifest: &str) -> bool {
    let Some(module) = absolute(site, package) else {
        return false;
    };
    module == manifest
        || (site.kind == SiteKind::From
            && site
                .names
                .iter()
                .any(|n| join(&module, &n.name) == manifest))
}

/// The absolute name of the site's module, as Python resolves `from ..x import y`.
fn absolute(site: &ImportSite, package: &str) -> Option<String> {
    if site.level == 0 {
        return Some(site.module.clone());
    }
    let mut base = package;
    for _ in 1..site.level {
        base = base.rsplit_once('.').map(|(p, _)| p)?;
    }
    if base.is_empty() {
        return None;
    }
    Some(join(base, &site.module))
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}.{b}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(source: &str, package: &str) -> bool {
        let scan = fastpath_scan::scan_source(source, None);
        imports_manifest_module(&scan.sites[0], package, "pkg.fast_path")
    }

    #[test]
    fn every_form_of_the_packaged_manifest_import_is_recognised() {
        assert!(imports("from pkg.fast_path import *\n", "pkg"));
        assert!(imports("from .fast_path import *\n", "pkg"));
        assert!(imports("from . import fast_path\n", "pkg"));
        assert!(imports("from pkg import fast_path\n", "pkg"));
        assert!(imports("import pkg.fast_path\n", "pkg"));
        assert!(imports("from ..fast_path import *\n", "pkg.sub"));
    }

    #[test]
    fn other_modules_of_that_name_are_not_the_manifest() {
        assert!(!imports("from fast_path import *\n", "pkg"));
        assert!(!imports("from .fast_path import *\n", "other"));
        assert!(!imports("from .fast_path import *\n", ""));
        assert!(!imports("from pkg import json\n", "pkg"));
    }

    #[test]
    fn the_flat_manifest_stays_a_top_level_module() {
        let scan = fastpath_scan::scan_source("from fast_path import *\n", None);
        assert!(imports_manifest_module(&scan.sites[0], "", "fast_path"));
        assert_eq!(entry_package("app", std::path::Path::new("app.py")), "");
        assert_eq!(
            entry_package("pkg", std::path::Path::new("pkg/__init__.py")),
            "pkg"
        );
        assert_eq!(
            entry_package("pkg.mod", std::path::Path::new("pkg/mod.py")),
            "pkg"
        );
    }
}
