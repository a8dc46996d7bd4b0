//! FP201: the entry's cold start regressed against the baseline or the revision.

use crate::context::Context;
use crate::coverage::{ms, percent, signed_ms};
use crate::diagnostic::{Diagnostic, Location};
use crate::registry::{Rule, RuleKind};
use crate::regression::ShiftFinding;

pub(crate) static RULE: Rule = Rule {
    code: "FP201",
    name: "cold-start-regressed",
    kind: RuleKind::Regression,
    summary: "Importing the entry got slower than the baseline or the revision, beyond noise",
    explanation: r#"## What it does
Compares the time importing the entry takes now with a reference: the runs of
`fastpath-baseline.json` (written by `fastpath baseline`), or, with `fastpath check --against
REV`, REV measured in a temporary git worktree interleaved with the working tree (A B B A ...).
The decision is a statistical test, not a bare threshold: rank-based (Mann-Whitney against a
baseline, Wilcoxon signed-rank on the paired differences against a revision), with a
Hodges-Lehmann estimate of the shift and its confidence interval. It reports a regression when
the shift is significant and at least the minimum effect, `max(regression-min-ms,
regression-min-percent of the reference's import time)`; when the answer is unclear it adds
runs, up to `regression-max-runs`.

What is compared is each run's CPU time, since a busy machine inflates wall time by whole time
slices a run waited for its CPU. Against a baseline, start-up is left out and the runs are
rescaled by the interpreter's start-up CPU time then and now (a machine that is slower per
instruction), and the fastest quarter of each side is compared (a run that lost its CPU is
slower, never faster).

## Why is this bad?
The seed's months 1 to 3: the cold start crept from 2.1 s to 3.2 s one import at a time, and
nobody noticed until users complained. The first step is the one to catch.

## Example
A change adds 10 ms of work at import time to a module already on the cold path: no new
import, so only timing can see it.

## Use instead
Find the module in the FP202 findings (or `fastpath profile`), and defer the work: import
inside the function that needs it, or compute lazily. If the growth is intended, record a new
baseline (`fastpath baseline`) or accept it in review.

## Options
`regression-min-percent` (default 10), `regression-min-ms` (default 1), `regression-alpha`
(default 0.05), `regression-max-runs`, `baseline` (the file; default `fastpath-baseline.json`).
On CI pull requests prefer `--against origin/main`: a baseline recorded once is hostage to the
moment it was recorded, paired runs share the machine's state.

## Fix safety
None."#,
    check,
};

/// The numbers behind a shift, for a note.
///
/// `before_us` and `after_us` are the import times (what percentages are of); `delta_us` and its
/// interval are the tested shift, which may be of CPU time (the method says).
pub(crate) fn describe(shift: &ShiftFinding) -> String {
    let bound = |us: f64| {
        if us.is_finite() {
            signed_ms(us)
        } else if us > 0.0 {
            "+inf".to_string()
        } else {
            "-inf".to_string()
        }
    };
    format!(
        "shift {} ({:.0} % interval {} to {}), one-sided p = {:.2e}; minimum effect {}",
        signed_ms(shift.delta_us),
        100.0 * shift.confidence,
        bound(shift.low_us),
        bound(shift.high_us),
        shift.p_value,
        ms(shift.min_effect_us)
    )
}

fn check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(regression) = cx.regression else {
        return;
    };
    let Some(shift) = &regression.cold_start else {
        return;
    };
    if !shift.regressed {
        return;
    }
    let location = cx.entry_path.map(|p| Location::new(cx.display(p), 1, 1));
    let mut diagnostic = Diagnostic::new(
        &RULE,
        format!(
            "the cold start of `{}` got {} slower{} than in {}",
            cx.entry,
            ms(shift.delta_us),
            percent(shift.delta_us, shift.before_us),
            regression.reference,
        ),
        location,
    )
    .with_note(format!(
        "imports: {} in {}, {} now",
        ms(shift.before_us),
        regression.reference,
        ms(shift.after_us)
    ))
    .with_note(format!("{}; {}", regression.method, describe(shift)));
    for note in &regression.notes {
        diagnostic = diagnostic.with_note(note.clone());
    }
    out.push(diagnostic.with_help(
        "the FP202 findings name the modules that grew; if the growth is intended, record a new baseline (`fastpath baseline`) or accept it in review",
    ));
}
