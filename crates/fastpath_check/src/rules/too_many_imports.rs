//! FP006: the manifest imports too many names.

use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::registry::{Rule, RuleKind};
use crate::rules::span_location;

pub(crate) static RULE: Rule = Rule {
    code: "FP006",
    name: "too-many-imports",
    kind: RuleKind::Static,
    summary: "The manifest imports more names than the policy allows",
    explanation: r#"## What it does
Counts the names the manifest imports and reports when there are `max-imports` or more.

## Why is this bad?
A fast path is small on purpose: every name on it is paid by every cold start. The seed's test
asserts fewer than 20 imports ("Move rarely-used imports to function level").

## Example
A `fast_path.py` importing 25 modules "just in case".

## Use instead
Keep the modules used by most requests; import the rest in the functions that need them.

## Options
`max-imports` (default 20: the manifest must import fewer).

## Fix safety
None: choosing what leaves the fast path needs usage data."#,
    check,
};

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(loaded) = cx.manifest else { return };
    let imports = &loaded.manifest.imports;
    let count: usize = imports.iter().map(|i| i.items.len()).sum();
    if count >= cx.policy.max_imports as usize {
        out.push(
            Diagnostic::new(
                &RULE,
                format!(
                    "the manifest imports {count} names; the policy allows fewer than {}",
                    cx.policy.max_imports
                ),
                imports.first().map(|i| span_location(cx, &i.span)),
            )
            .with_help("move rarely used imports to function level"),
        );
    }
}
