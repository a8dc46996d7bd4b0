//! `fastpath check` output: diagnostics in six formats, one file each.

mod concise;
mod full;
mod github;
mod html;
mod json;
mod sarif;

pub use concise::render_concise;
pub use full::render_full;
pub use github::render_github;
pub use html::render_html;
pub use json::{render_json, render_json_with_notes};
pub use sarif::render_sarif;

use std::collections::BTreeMap;

use fastpath_check::Diagnostic;

/// "3 problems: 2 FP002, 1 FP104", or "No problems found".
pub(crate) fn summary(diagnostics: &[Diagnostic]) -> String {
    if diagnostics.is_empty() {
        return "No problems found.".to_string();
    }
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for d in diagnostics {
        *by_code.entry(d.rule.code).or_default() += 1;
    }
    let counts: Vec<String> = by_code
        .iter()
        .map(|(code, n)| format!("{n} {code}"))
        .collect();
    let noun = if diagnostics.len() == 1 {
        "problem"
    } else {
        "problems"
    };
    format!(
        "Found {} {noun} ({}).",
        diagnostics.len(),
        counts.join(", ")
    )
}
