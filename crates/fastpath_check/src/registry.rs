//! The one table of rule codes. A code never changes meaning; a retired rule keeps its code
//! reserved.

use std::fmt;

use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// Reads source only; runs under `--static`.
    Static,
    /// Needs the entry's measured costs.
    Measured,
    /// Compares with a baseline file or a git revision (`check --against`); reads the
    /// comparison's measurements when there are some.
    Regression,
}

pub struct Rule {
    pub code: &'static str,
    /// kebab-case, named for the problem.
    pub name: &'static str,
    pub kind: RuleKind,
    /// One line for listings.
    pub summary: &'static str,
    /// Markdown in fixed sections (What it does / Why is this bad? / Example / Use instead /
    /// Options / Fix safety): what `fastpath explain` prints.
    pub explanation: &'static str,
    pub(crate) check: fn(&Context<'_>, &mut Vec<Diagnostic>),
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code, self.name)
    }
}

pub static RULES: &[&Rule] = &[
    &rules::entry_imports_beyond_manifest::RULE,
    &rules::undeclared_third_party_import::RULE,
    &rules::banned_module_on_cold_path::RULE,
    &rules::import_without_cost::RULE,
    &rules::all_out_of_sync::RULE,
    &rules::too_many_imports::RULE,
    &rules::stale_profile::RULE,
    &rules::hot_path_exception_without_evidence::RULE,
    &rules::malformed_manifest::RULE,
    &rules::missing_manifest::RULE,
    &rules::fast_path_over_budget::RULE,
    &rules::cold_start_over_budget::RULE,
    &rules::slow_tier1_import::RULE,
    &rules::undeclared_costly_module::RULE,
    &rules::documented_cost_drift::RULE,
    &rules::cold_start_regressed::RULE,
    &rules::module_cost_regressed::RULE,
    &rules::new_module_on_cold_path::RULE,
];

/// A rule by its code (`FP002`, case-insensitive) or its name.
pub fn rule_by_code(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_ordered_and_explained() {
        let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "codes unique and in order");
        for rule in RULES {
            let prefix = match rule.kind {
                RuleKind::Static => "FP0",
                RuleKind::Measured => "FP1",
                RuleKind::Regression => "FP2",
            };
            assert!(rule.code.starts_with(prefix), "{rule:?}");
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(
                    rule.explanation.contains(section),
                    "{rule:?} lacks {section}"
                );
            }
        }
    }
}
