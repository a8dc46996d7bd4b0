//! FP010: there is no manifest.

use crate::context::Context;
use crate::diagnostic::{Diagnostic, Location};
use crate::registry::{Rule, RuleKind};

pub(crate) static RULE: Rule = Rule {
    code: "FP010",
    name: "missing-manifest",
    kind: RuleKind::Static,
    summary: "The project has no fast-path manifest",
    explanation: r#"## What it does
Reports a project whose configured manifest file (`fast_path.py` by default) does not exist.

## Why is this bad?
"A dedicated fast_path.py file is essential": without it, imports scatter across files, there
is no single place to review, and slow imports creep onto the cold path unnoticed.

## Example
A `lambda_function.py` importing `json`, `gateway` and `requests` directly.

## Use instead
Run `fastpath init`: it measures the entry's imports and writes `fast_path.py` in the seed's
format, then points the entry at it.

## Options
`manifest` (the file name, relative to the project root).

## Fix safety
`fastpath init` writes a new file and rewrites the entry's imports (review the diff)."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if cx.manifest.is_some() {
        return;
    }
    let location = cx.entry_path.map(|p| Location::new(cx.display(p), 1, 1));
    out.push(
        Diagnostic::new(
            &RULE,
            format!(
                "no manifest: {} does not exist",
                cx.display(cx.manifest_path).display()
            ),
            location,
        )
        .with_help("create it with `fastpath init`, or set `manifest` in [tool.fastpath]"),
    );
}
