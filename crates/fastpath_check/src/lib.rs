//! The rules: what makes a cold path wrong, found from the static graph, the manifest and
//! (when the entry was measured) its costs, reported as [`Diagnostic`]s with stable codes.
//!
//! Each rule lives in its own file under `rules/`, named for the problem it finds, with its
//! explanation (what `fastpath explain CODE` prints) beside its code. [`RULES`] is the one
//! table of codes: `FP0xx` static rules run no code; `FP1xx` need measurements; `FP2xx` are
//! regressions against a baseline or a revision. Rules read a [`Context`] and never print.

mod context;
pub mod cost;
mod coverage;
pub use crate::coverage::stated_via;
mod diagnostic;
pub mod margin;
mod policy;
mod registry;
mod regression;
mod rules;

pub use crate::context::{Context, LoadedManifest, Measurements, ModuleCost, UsageEvidence};
pub use crate::diagnostic::{Diagnostic, FixSafety, FixTarget, Label, Location, Severity};
pub use crate::policy::Policy;
pub use crate::registry::{rule_by_code, Rule, RuleKind, RULES};
pub use crate::regression::{ModuleRegression, Regression, ShiftFinding};

/// Runs every rule that applies: static rules always, measured ones when the context carries
/// measurements. Diagnostics come back sorted by file, line, column and code. Results too close
/// to call are left out (see [`check_with_notes`]).
pub fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    check_with_notes(context).0
}

/// [`check`], with the measured rules' results too close to call returned apart: findings
/// first, then the notes ([`Severity::Note`]) that `check` prints on stderr (unless `-q`) and the JSON lists under `close_calls`.
pub fn check_with_notes(context: &Context<'_>) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let (notes, findings) = run_rules(context)
        .into_iter()
        .partition(|d| d.severity == Severity::Note);
    (findings, notes)
}

fn run_rules(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for rule in RULES {
        if rule.kind == RuleKind::Measured && context.measurements.is_none() {
            continue;
        }
        if rule.kind == RuleKind::Regression && context.regression.is_none() {
            continue;
        }
        (rule.check)(context, &mut diagnostics);
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics
}
