//! FP003: a banned module is on the cold path.

use crate::context::Context;
use crate::coverage::{
    boundary_chain, boundary_location, boundary_of, ms, take_off_cold_path, with_observed_note,
};
use crate::diagnostic::Diagnostic;
use crate::policy::covers;
use crate::registry::{Rule, RuleKind};

pub(crate) static RULE: Rule = Rule {
    code: "FP003",
    name: "banned-module-on-cold-path",
    kind: RuleKind::Static,
    summary: "A module the policy bans is on the cold path",
    explanation: r#"## What it does
Reports every module of the `banned` list (and its submodules) that importing the entry loads,
with the chain that leads there. Declaring it in the manifest does not make it acceptable. The
finding sits on the project statement that brings it onto the cold path: the `import` of the
banned module itself, or of the dependency that loads it (`import aws_lambda_powertools`, which
imports `botocore`); the statements inside the dependency are a note, since site-packages is not
yours to edit.

## Why is this bad?
Some packages are known to cost a large share of a cold-start budget on their own (boto3
~150 ms, pandas ~270 ms, requests ~90 ms on CPython 3.11). The seed's month 3: `import boto3`
made the cold start 3.2 s, and nobody noticed until users complained.

## Example
```python
# gateway_wrappers.py, imported at module level on the cold path
import boto3
```

## Use instead
```python
def upload(bucket, key, body):
    import boto3
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
```

## Options
`banned` (default: boto3, botocore, pandas, numpy, scipy, matplotlib, requests, sklearn, torch,
tensorflow), `allow` (exceptions: a dependency's cost you accept).

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
    // One finding per banned pattern per project statement.
    let mut seen = Vec::new();
    for (index, module) in cx.cold_path.modules.iter().enumerate() {
        let Some(pattern) = cx.policy.banned_pattern(&module.name) else {
            continue;
        };
        let Some(via) = &module.via else { continue };
        // Report where the banned package enters, not each of its submodules.
        let importer_banned = cx.policy.banned_pattern(&via.module) == Some(pattern);
        if importer_banned {
            continue;
        }
        let location = boundary_location(cx, index);
        let key = (location.clone(), pattern.to_owned());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let (chain, inside) = boundary_chain(cx, index);
        let help = match boundary_of(cx, index) {
            Some(b) if b != index => format!(
                "import `{}` inside the functions that use it, or add `{}` to `allow` to accept its cost",
                cx.cold_path.modules[b].name, module.name
            ),
            _ => format!(
                "import it inside the functions that use it, or add `{}` to `allow` to accept its cost",
                module.name
            ),
        };
        let mut diagnostic = Diagnostic::new(
            &RULE,
            format!(
                "`{}` is banned from the cold path (banned: `{pattern}`)",
                module.name
            ),
            location,
        )
        .with_chain(chain)
        .with_fix(Some(take_off_cold_path(cx, index, &module.name)))
        .with_help(help);
        if let Some(note) = inside {
            diagnostic = diagnostic.with_note(note);
        }
        diagnostic = with_observed_note(cx, diagnostic, via, &module.name);
        // When the entry was measured, say what the banned package costs (the reason it is
        // banned): every module of it that loaded, not nested in another one's import.
        // `import botocore.session` loads `botocore`, then `botocore.session` beside it.
        if let Some(measured) = cx.measurements {
            let top: Vec<&crate::context::ModuleCost> = measured
                .modules
                .iter()
                .filter(|(name, _)| covers(pattern, name))
                .filter(|(_, cost)| !cost.parent.as_deref().is_some_and(|p| covers(pattern, p)))
                .map(|(_, cost)| cost)
                .collect();
            if !top.is_empty() {
                let cost_us: f64 = top.iter().map(|c| c.cumulative_us).sum();
                let loaded = measured
                    .modules
                    .keys()
                    .filter(|name| covers(pattern, name))
                    .count();
                let s = if loaded == 1 { "" } else { "s" };
                diagnostic = diagnostic.with_note(format!(
                    "measured: `{pattern}` ({loaded} module{s}) adds {} to every cold start",
                    ms(cost_us)
                ));
            }
        }
        out.push(diagnostic);
    }
}
