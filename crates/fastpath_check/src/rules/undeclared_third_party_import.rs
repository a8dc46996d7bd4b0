//! FP002: a project module pulls a third-party package onto the cold path behind the
//! manifest's back.

use fastpath_graph::{Module, Origin};

use crate::context::Context;
use crate::coverage::{
    boundary_modules, by_statement, chain, declared, group_name, is_declared, submodules_note,
    take_off_cold_path, via_location, with_observed_note,
};
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};

pub(crate) static RULE: Rule = Rule {
    code: "FP002",
    name: "undeclared-third-party-import",
    kind: RuleKind::Static,
    summary: "A project module puts an undeclared third-party package on the cold path",
    explanation: r#"## What it does
Finds third-party packages that a project module imports at module level, on the entry's cold
path, that the manifest does not declare. The diagnostic shows the whole chain of statements
from the entry through the manifest down to the import.

## Why is this bad?
"Slow imports hidden across files" is the seed's first problem: `interface_cache.py` imports
`requests` at module level, `gateway` imports `interface_cache`, and the manifest only says
`import gateway  # 15ms`. The cost is real on every cold start and visible nowhere.

## Example
```python
# interface_cache.py (imported by gateway, which fast_path.py imports)
import requests
```

## Use instead
```python
def refresh(url):
    import requests
    return requests.get(url)
```
Or declare it in the manifest, with its measured cost and usage.

## Options
`allow` (modules that may be on the cold path undeclared), `banned` (reported by FP003 instead).

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
    let declared = declared(cx);
    let undeclared = boundary_modules(cx).filter_map(|(index, _)| {
        let module = &cx.cold_path.modules[index];
        let skip = !is_third_party(module)
            || is_declared(&declared, &module.name)
            || cx.policy.allowed(&module.name)
            || cx.policy.banned_pattern(&module.name).is_some();
        (!skip).then_some(index)
    });
    // One finding per statement and package: `import packaging.utils` is one problem.
    for group in by_statement(cx, undeclared) {
        let names: Vec<&str> = group
            .iter()
            .map(|&i| cx.cold_path.modules[i].name.as_str())
            .collect();
        let (name, submodules) = group_name(&names);
        let index = *group.last().unwrap_or(&0);
        let Some(via) = &cx.cold_path.modules[index].via else {
            continue;
        };
        let mut fix = take_off_cold_path(cx, index, &name);
        fix.modules = names.iter().map(|n| (*n).to_owned()).collect();
        let mut diagnostic = Diagnostic::new(
            &RULE,
            format!("`{name}` (third-party) is on the cold path but not declared in the manifest"),
            Some(via_location(cx, via)),
        )
        .with_chain(chain(cx, index))
        .with_fix(Some(fix))
        .with_help("import it inside the functions that use it, or declare it in the manifest with its cost");
        if let Some(note) = submodules_note(&submodules) {
            diagnostic = diagnostic.with_note(note);
        }
        out.push(with_observed_note(cx, diagnostic, via, &name));
    }
}

/// Third-party code, including compiled extensions outside the standard library's
/// `lib-dynload`.
fn is_third_party(module: &Module) -> bool {
    match module.origin {
        Origin::ThirdParty => true,
        Origin::Extension => !module
            .path
            .as_ref()
            .is_some_and(|p| p.components().any(|c| c.as_os_str() == "lib-dynload")),
        _ => false,
    }
}
