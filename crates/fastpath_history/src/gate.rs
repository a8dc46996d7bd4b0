//! The regression gate: compares the working tree's runs with a reference (a baseline's runs,
//! or REV's runs measured interleaved), decides with [`crate::decision`], adds runs while the
//! answer is unclear (within a bound), and attributes a growth to the modules that explain it.
//!
//! Attribution diffs the costed import trees. A module *regressed* when its cumulative time
//! passed the same test as the total (its own minimum effect, the significance level split over
//! the modules tested). A regressed module is *responsible* when no regressed module below it
//! accounts for its growth: it has no regressed descendant, or its growth minus that of its
//! topmost regressed descendants still reaches its minimum effect. So work added to a module's
//! own body names that module, a slow new import names the new module, and their ancestors,
//! which only carry the growth, are not named again.
//!
//! Sequential testing looks at the data several times, which would inflate false alarms; the
//! significance level is therefore divided by the number of looks the plan allows (Bonferroni),
//! and the plan's bound caps the runs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::calibration::imports_cpu;
use crate::decision::{independent_shift, paired_shift, verdict, Shift, Thresholds, Verdict};
use crate::series::{median, Series};

/// How the two series relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A recorded baseline against fresh runs: independent samples (Mann-Whitney).
    Independent,
    /// REV and the working tree measured interleaved: run `i` of each side forms a pair
    /// (Wilcoxon signed-rank on the differences).
    Paired,
}

/// How many runs (or pairs) to take: `initial`, then `step` more while unclear, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub initial: usize,
    pub step: usize,
    pub max: usize,
}

impl Plan {
    /// Fresh runs against a baseline.
    pub const INDEPENDENT: Plan = Plan {
        initial: 10,
        step: 5,
        max: 40,
    };
    /// Interleaved pairs against a revision.
    pub const PAIRED: Plan = Plan {
        initial: 10,
        step: 5,
        max: 30,
    };

    /// A plan that stops at `max` (at least the initial batch).
    pub fn with_max(self, max: usize) -> Plan {
        let max = max.max(1);
        Plan {
            initial: self.initial.min(max),
            step: self.step.max(1),
            max,
        }
    }

    /// How many times the plan may look at the data.
    pub fn looks(&self) -> usize {
        let initial = self.initial.max(1).min(self.max.max(1));
        1 + (self.max.max(initial) - initial).div_ceil(self.step.max(1))
    }
}

/// One quantity compared (the total, or a module's cumulative time).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Assessment {
    /// Median of the reference runs, microseconds.
    pub base_median: f64,
    /// Median of the new runs, microseconds.
    pub new_median: f64,
    /// The estimated shift and its interval.
    pub shift: Shift,
    /// The minimum effect applied, microseconds.
    pub min_effect: f64,
    /// What the test says.
    pub verdict: Verdict,
}

/// A module whose cost regressed and that explains (part of) the growth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleAssessment {
    pub module: String,
    /// Its cumulative time.
    pub cumulative: Assessment,
    /// Estimated shift of its self time (its own body), microseconds.
    pub self_shift_us: f64,
    /// It did not load at all in the reference runs.
    pub added: bool,
    /// Growth not accounted for by regressed modules below it, microseconds.
    pub unexplained_us: f64,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateComparison {
    pub mode: Mode,
    pub base_runs: usize,
    pub new_runs: usize,
    /// The significance level used at the last look (one-sided).
    pub alpha: f64,
    /// The entry's cold start: each run's CPU time when both sides have it (see
    /// [`GateComparison::on_cpu`]), else the import total. The minimum effect is a share of the
    /// reference's import time either way.
    pub total: Assessment,
    /// Whether `total` compares CPU times.
    pub on_cpu: bool,
    /// Whether those CPU times were rescaled to the reference's machine speed, start-up left
    /// out (against a baseline with start-up CPU times on both sides).
    pub calibrated: bool,
    /// Where the reference's imports are, microseconds: their CPU time without start-up when
    /// start-up CPU times were measured, else their wall time. The minimum effect and the
    /// percentages are shares of it.
    pub imports_before_us: f64,
    /// The same for the new runs.
    pub imports_after_us: f64,
    /// Responsible modules, largest unexplained growth first.
    pub modules: Vec<ModuleAssessment>,
    /// Whether the total's verdict was reached (`false`: the bound was hit while unclear, and
    /// the verdict is what the runs showed then).
    pub decided: bool,
}

impl GateComparison {
    /// Whether the total regressed.
    pub fn regressed(&self) -> bool {
        self.total.verdict == Verdict::Regressed
    }
}

fn shift_of(mode: Mode, base: &[f64], new: &[f64], alpha: f64) -> Option<Shift> {
    match mode {
        Mode::Independent => independent_shift(base, new, alpha),
        Mode::Paired => {
            let diffs: Vec<f64> = new.iter().zip(base).map(|(y, x)| y - x).collect();
            paired_shift(&diffs, alpha)
        }
    }
}

/// The fastest quarter of a side's runs (at least 3, or all of them when fewer).
///
/// Timing noise on a shared machine only adds time: a run that lost its CPU for a time slice.
/// Measured here under other people's builds: one import took 24.5 ms in a third of 60 runs
/// and 28-42 ms in the rest. Against a baseline recorded at another moment, the share of such
/// runs differs between the sides and shifts a whole-sample comparison by itself; the fastest
/// runs are those that kept their CPU, on both sides, as long as at least a quarter of the runs
/// did. Paired runs need no trimming: a lost time slice is as likely on either side of a pair,
/// so it cancels in the signed-rank test.
pub fn fastest_quarter(values: &[f64]) -> Vec<f64> {
    fastest(values, 4)
}

/// The fastest `1 / part` of the values (at least 3, or all of them when fewer).
fn fastest(values: &[f64], part: usize) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.truncate(values.len().div_ceil(part).max(3));
    sorted
}

/// How much of each side a comparison against a baseline keeps: the cold start keeps the
/// fastest quarter; modules, attributed only once the cold start regressed and needing more
/// runs to reach significance one by one, keep the fastest half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Quarter,
    Half,
}

impl Keep {
    fn part(self) -> usize {
        match self {
            Keep::Quarter => 4,
            Keep::Half => 2,
        }
    }
}

/// Where a side's values are: the median (of the fastest quarter against a baseline).
fn location(mode: Mode, values: &[f64], keep: Keep) -> f64 {
    match mode {
        Mode::Independent => median(&fastest(values, keep.part())),
        Mode::Paired => median(values),
    }
}

fn assess(
    mode: Mode,
    base: &[f64],
    new: &[f64],
    thresholds: &Thresholds,
    alpha: f64,
    keep: Keep,
) -> Option<Assessment> {
    let (base, new) = match mode {
        Mode::Independent => (fastest(base, keep.part()), fastest(new, keep.part())),
        Mode::Paired => (base.to_vec(), new.to_vec()),
    };
    let shift = shift_of(mode, &base, &new, alpha)?;
    let base_median = median(&base);
    let min_effect = thresholds.min_effect(base_median);
    Some(Assessment {
        base_median,
        new_median: median(&new),
        shift,
        min_effect,
        verdict: verdict(&shift, min_effect),
    })
}

/// Compares `new` with `base` at significance level `alpha` (one look). `None` when a side has
/// no runs, or (paired) the sides differ in length.
pub fn compare(
    mode: Mode,
    base: &Series,
    new: &Series,
    thresholds: &Thresholds,
    alpha: f64,
) -> Option<GateComparison> {
    if base.is_empty() || new.is_empty() || (mode == Mode::Paired && base.len() != new.len()) {
        return None;
    }
    let calibrated = match (mode, base.cpu(), new.cpu()) {
        (Mode::Independent, Some(b), Some(n)) => {
            let then = &base.startup_cpu_us;
            imports_cpu(b, then, then).zip(imports_cpu(n, &new.startup_cpu_us, then))
        }
        _ => None,
    };
    // What the minimum effect is a share of: the imports' own CPU time (start-up left out) when
    // start-up was measured, else their wall time, which a busy machine inflates.
    let own_cpu = |side: &Series| {
        side.cpu()
            .and_then(|c| imports_cpu(c, &side.startup_cpu_us, &side.startup_cpu_us))
    };
    let (imports_before_us, imports_after_us) = match (&calibrated, own_cpu(base), own_cpu(new)) {
        (Some((b, n)), _, _) => (
            location(mode, b, Keep::Quarter),
            location(mode, n, Keep::Quarter),
        ),
        (None, Some(b), Some(n)) => (
            location(mode, &b, Keep::Quarter),
            location(mode, &n, Keep::Quarter),
        ),
        _ => (
            location(mode, &base.total_us, Keep::Quarter),
            location(mode, &new.total_us, Keep::Quarter),
        ),
    };
    let cpu = match &calibrated {
        Some((b, n)) => Some((b.as_slice(), n.as_slice())),
        None => base.cpu().zip(new.cpu()),
    };
    let (total, on_cpu) = match cpu {
        Some((b, n)) => {
            let mut total = assess(mode, b, n, thresholds, alpha, Keep::Quarter)?;
            total.min_effect = thresholds.min_effect(imports_before_us);
            total.verdict = verdict(&total.shift, total.min_effect);
            (total, true)
        }
        _ => (
            assess(
                mode,
                &base.total_us,
                &new.total_us,
                thresholds,
                alpha,
                Keep::Quarter,
            )?,
            false,
        ),
    };
    // Modules are attributed only when the cold start regressed: their times are wall times,
    // and a module slowed by a busy machine alone is not a finding.
    let modules = if total.verdict == Verdict::Regressed {
        attribute(mode, base, new, thresholds, alpha)
    } else {
        Vec::new()
    };
    Some(GateComparison {
        mode,
        base_runs: base.len(),
        new_runs: new.len(),
        alpha,
        total,
        on_cpu,
        calibrated: calibrated.is_some(),
        imports_before_us,
        imports_after_us,
        modules,
        decided: total.verdict != Verdict::Unclear,
    })
}

/// Responsible modules.
fn attribute(
    mode: Mode,
    base: &Series,
    new: &Series,
    thresholds: &Thresholds,
    alpha: f64,
) -> Vec<ModuleAssessment> {
    // A cheap screen first: only modules whose median grew by the minimum effect are tested, so
    // the significance level is split over few tests.
    let location = |values: &[f64]| location(mode, values, Keep::Half);
    let mut screened: Vec<&str> = Vec::new();
    for (name, series) in &new.modules {
        let before = base.module(name);
        let base_location = location(&before.cumulative_us);
        let rough = location(&series.cumulative_us) - base_location;
        if rough >= thresholds.min_effect(base_location) {
            screened.push(name);
        }
    }
    let alpha_each = alpha / screened.len().max(1) as f64;
    let mut regressed: BTreeMap<&str, Assessment> = BTreeMap::new();
    for name in &screened {
        let before = base.module(name);
        let after = &new.modules[*name];
        let Some(a) = assess(
            mode,
            &before.cumulative_us,
            &after.cumulative_us,
            thresholds,
            alpha_each,
            Keep::Half,
        ) else {
            continue;
        };
        if a.verdict == Verdict::Regressed {
            regressed.insert(name, a);
        }
    }
    let parent_of = |name: &str| new.modules.get(name).and_then(|m| m.parent.as_deref());
    // The nearest regressed ancestor of each regressed module.
    let mut topmost_below: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for &name in regressed.keys() {
        let mut current = parent_of(name);
        let mut guard = 0;
        while let Some(p) = current {
            if let Some((&ancestor, _)) = regressed.get_key_value(p) {
                topmost_below.entry(ancestor).or_default().push(name);
                break;
            }
            guard += 1;
            if guard > new.modules.len() {
                break;
            }
            current = parent_of(p);
        }
    }
    let mut responsible = Vec::new();
    for (&name, a) in &regressed {
        let below = topmost_below.get(name).map(Vec::as_slice).unwrap_or(&[]);
        // What the module's growth is without its regressed descendants', run by run, tested
        // like everything else: noise in the parent's total must not name the parent.
        let unexplained = if below.is_empty() {
            Some(a.shift.estimate)
        } else {
            let residual = |side: &Series| {
                let own = side.module(name).cumulative_us;
                let mut rest = own.clone();
                for b in below {
                    for (r, v) in rest.iter_mut().zip(side.module(b).cumulative_us) {
                        *r -= v;
                    }
                }
                rest
            };
            assess(
                mode,
                &residual(base),
                &residual(new),
                thresholds,
                alpha_each,
                Keep::Half,
            )
            .filter(|r| r.verdict == Verdict::Regressed)
            .map(|r| r.shift.estimate)
        };
        if let Some(unexplained) = unexplained {
            let before = base.module(name);
            let after = &new.modules[name];
            let self_shift = shift_of(mode, &before.self_us, &after.self_us, alpha_each)
                .map_or(0.0, |s| s.estimate);
            responsible.push(ModuleAssessment {
                module: name.to_string(),
                cumulative: *a,
                self_shift_us: self_shift,
                added: !base.modules.contains_key(name),
                unexplained_us: unexplained,
            });
        }
    }
    responsible.sort_by(|a, b| {
        b.unexplained_us
            .total_cmp(&a.unexplained_us)
            .then_with(|| a.module.cmp(&b.module))
    });
    responsible
}

/// Runs the sequential decision. `more(base, new, k)` must append `k` runs to `new` (and, when
/// paired, `k` runs to `base`). The plan's initial batch is completed first; then runs are added
/// `step` at a time while the total's verdict is unclear. Modules are attributed with the runs
/// there are then: chasing every noisy module to a verdict would spend the bound on every check.
pub fn sequential<E>(
    mode: Mode,
    plan: Plan,
    thresholds: &Thresholds,
    base: &mut Series,
    new: &mut Series,
    mut more: impl FnMut(&mut Series, &mut Series, usize) -> Result<(), E>,
) -> Result<Option<GateComparison>, E> {
    let alpha = thresholds.alpha / plan.looks() as f64;
    let max = plan.max.max(1);
    if new.len() < plan.initial.min(max) {
        more(base, new, plan.initial.min(max) - new.len())?;
    }
    loop {
        let Some(mut comparison) = compare(mode, base, new, thresholds, alpha) else {
            return Ok(None);
        };
        let unclear = comparison.total.verdict == Verdict::Unclear;
        if !unclear || new.len() >= max {
            comparison.decided = !unclear;
            // Modules are tested once, after the runs stopped: one look, so the whole
            // significance level (split over the modules tested) applies.
            if comparison.regressed() {
                comparison.modules = attribute(mode, base, new, thresholds, thresholds.alpha);
            }
            return Ok(Some(comparison));
        }
        let before = new.len();
        more(base, new, plan.step.max(1).min(max - new.len()))?;
        if new.len() <= before {
            // The source gave nothing more: decide with what there is.
            comparison.decided = false;
            return Ok(Some(comparison));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic noise source (xorshift), so synthetic series are reproducible.
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Mostly uniform jitter of +-`spread`, with an occasional long right tail (a run that
        /// lost its CPU), as seen on shared machines.
        fn jitter(&mut self, spread: f64) -> f64 {
            let base = (self.next() * 2.0 - 1.0) * spread;
            if self.next() < 0.05 {
                base + self.next() * 20.0 * spread
            } else {
                base
            }
        }
    }

    /// One synthetic run: `app` imports `json` (2 ms) and `heavy` (`heavy_us`), plus `extra`
    /// when given.
    fn synthetic_run(
        series: &mut Series,
        noise: &mut Noise,
        heavy_us: f64,
        extra: Option<f64>,
        drift: f64,
    ) {
        let j = 2_000.0 + noise.jitter(100.0);
        let h = heavy_us + noise.jitter(heavy_us * 0.03);
        let app_self = 1_000.0 + noise.jitter(50.0);
        let mut modules = BTreeMap::new();
        let mut total = app_self + j + h;
        modules.insert("json".to_string(), (j, j, Some("app".to_string())));
        modules.insert("heavy".to_string(), (h, h, Some("app".to_string())));
        if let Some(x) = extra {
            let x = x + noise.jitter(x * 0.03);
            modules.insert("extra".to_string(), (x, x, Some("app".to_string())));
            total += x;
        }
        let total = total * (1.0 + drift);
        modules.insert("app".to_string(), (app_self, total, None));
        series.push(total, modules);
    }

    fn series(runs: usize, seed: u64, heavy_us: f64) -> Series {
        let mut noise = Noise(seed);
        let mut s = Series::default();
        for _ in 0..runs {
            synthetic_run(&mut s, &mut noise, heavy_us, None, 0.0);
        }
        s
    }

    #[test]
    fn plan_looks_count_every_decision_point() {
        assert_eq!(Plan::INDEPENDENT.looks(), 7); // 10, 15, ..., 40
        assert_eq!(Plan::PAIRED.looks(), 5); // 10, 15, ..., 30
        assert_eq!(Plan::PAIRED.with_max(12).looks(), 2);
        assert_eq!(Plan::PAIRED.with_max(4).looks(), 1);
    }

    #[test]
    fn an_unchanged_project_is_clear_and_a_ten_ms_regression_is_caught() {
        let thresholds = Thresholds::default();
        let baseline = series(40, 7, 40_000.0);
        for seed in 1..=20u64 {
            let mut base = baseline.clone();
            let mut noise = Noise(seed * 7919);
            let mut fresh = Series::default();
            let same = sequential(
                Mode::Independent,
                Plan::INDEPENDENT,
                &thresholds,
                &mut base,
                &mut fresh,
                |_, new, k| {
                    for _ in 0..k {
                        synthetic_run(new, &mut noise, 40_000.0, None, 0.0);
                    }
                    Ok::<(), ()>(())
                },
            )
            .unwrap()
            .unwrap();
            assert_eq!(same.total.verdict, Verdict::Clear, "seed {seed}: {same:?}");
            assert!(same.modules.is_empty());

            let mut fresh = Series::default();
            let slower = sequential(
                Mode::Independent,
                Plan::INDEPENDENT,
                &thresholds,
                &mut base,
                &mut fresh,
                |_, new, k| {
                    for _ in 0..k {
                        synthetic_run(new, &mut noise, 50_000.0, None, 0.0);
                    }
                    Ok::<(), ()>(())
                },
            )
            .unwrap()
            .unwrap();
            assert_eq!(slower.total.verdict, Verdict::Regressed, "seed {seed}");
            let named: Vec<&str> = slower.modules.iter().map(|m| m.module.as_str()).collect();
            assert_eq!(
                named,
                ["heavy"],
                "seed {seed}: the growth is in heavy, not app"
            );
            assert!((slower.modules[0].self_shift_us - 10_000.0).abs() < 1_000.0);
        }
    }

    #[test]
    fn paired_runs_cancel_drift_that_fools_a_baseline() {
        // The machine got 12 % slower since the baseline was recorded: the baseline comparison
        // sees a regression that is not there; interleaved pairs, which share the drift, do not.
        let thresholds = Thresholds::default();
        let mut baseline = series(40, 3, 40_000.0);
        let mut noise = Noise(99);
        let mut fresh = Series::default();
        let fooled = sequential(
            Mode::Independent,
            Plan::INDEPENDENT,
            &thresholds,
            &mut baseline,
            &mut fresh,
            |_, new, k| {
                for _ in 0..k {
                    synthetic_run(new, &mut noise, 40_000.0, None, 0.12);
                }
                Ok::<(), ()>(())
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(fooled.total.verdict, Verdict::Regressed);

        let (mut a, mut b) = (Series::default(), Series::default());
        let paired = sequential(
            Mode::Paired,
            Plan::PAIRED,
            &thresholds,
            &mut a,
            &mut b,
            |a, b, k| {
                for _ in 0..k {
                    synthetic_run(a, &mut noise, 40_000.0, None, 0.12);
                    synthetic_run(b, &mut noise, 40_000.0, None, 0.12);
                }
                Ok::<(), ()>(())
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(paired.total.verdict, Verdict::Clear);
        assert_eq!((paired.base_runs, paired.new_runs), (10, 10));
    }

    #[test]
    fn a_shift_near_the_minimum_effect_adds_runs_up_to_the_bound() {
        // Paired differences that swing by +-20 ms around a 2.5 ms shift: under the 4.3 ms
        // minimum effect, but no number of pairs within the bound can say so. The gate keeps
        // sampling, stops at the bound undecided, and does not call it a regression.
        let thresholds = Thresholds::default();
        let swings = [-20_000.0, 25_000.0, 2_500.0, -10_000.0, 15_000.0];
        let (mut a, mut b) = (Series::default(), Series::default());
        let mut noise = Noise(5);
        let mut calls = Vec::new();
        let mut i = 0;
        let result = sequential(
            Mode::Paired,
            Plan::PAIRED,
            &thresholds,
            &mut a,
            &mut b,
            |a, b, k| {
                calls.push(k);
                for _ in 0..k {
                    synthetic_run(a, &mut noise, 40_000.0, None, 0.0);
                    synthetic_run(b, &mut noise, 40_000.0 + swings[i % 5], None, 0.0);
                    i += 1;
                }
                Ok::<(), ()>(())
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(calls, [10, 5, 5, 5, 5]);
        assert_eq!(result.new_runs, 30);
        assert!(!result.decided);
        assert_eq!(result.total.verdict, Verdict::Unclear);
    }

    #[test]
    fn a_new_slow_import_is_attributed_to_the_new_module() {
        let thresholds = Thresholds::default();
        let base = series(30, 11, 20_000.0);
        let mut noise = Noise(12);
        let mut new = Series::default();
        for _ in 0..15 {
            synthetic_run(&mut new, &mut noise, 20_000.0, Some(8_000.0), 0.0);
        }
        let c = compare(Mode::Independent, &base, &new, &thresholds, 0.01).unwrap();
        assert_eq!(c.total.verdict, Verdict::Regressed);
        assert_eq!(c.modules.len(), 1);
        assert_eq!(c.modules[0].module, "extra");
        assert!(c.modules[0].added);
    }

    #[test]
    fn growth_spread_over_small_children_names_the_parent() {
        // `pkg` gains ten submodules of 0.6 ms each: none reaches the 1 ms floor alone, so the
        // growth is pkg's.
        let thresholds = Thresholds::default();
        let build = |children: usize, runs: usize, seed: u64| {
            let mut noise = Noise(seed);
            let mut s = Series::default();
            for _ in 0..runs {
                let mut modules = BTreeMap::new();
                let mut pkg = 500.0 + noise.jitter(20.0);
                for c in 0..children {
                    let t = 600.0 + noise.jitter(20.0);
                    modules.insert(format!("pkg.m{c}"), (t, t, Some("pkg".to_string())));
                    pkg += t;
                }
                modules.insert("pkg".to_string(), (500.0, pkg, Some("app".to_string())));
                let total = pkg + 10_000.0;
                modules.insert("app".to_string(), (10_000.0, total, None));
                s.push(total, modules);
            }
            s
        };
        let c = compare(
            Mode::Independent,
            &build(0, 40, 1),
            &build(10, 15, 2),
            &thresholds,
            0.01,
        )
        .unwrap();
        assert_eq!(c.total.verdict, Verdict::Regressed);
        let named: Vec<&str> = c.modules.iter().map(|m| m.module.as_str()).collect();
        assert_eq!(named, ["pkg"]);
    }

    #[test]
    fn cpu_times_decide_when_both_sides_have_them() {
        // Every new run waited 6 ms for its CPU (wall), but did the same work (CPU): no
        // regression. Then the same with 8 ms more work: a regression, attributed to heavy.
        let thresholds = Thresholds::default();
        let build = |runs: usize, wait: f64, work: f64, seed: u64| {
            let mut noise = Noise(seed);
            let mut s = Series::default();
            for _ in 0..runs {
                let h = 20_000.0 + work + noise.jitter(100.0);
                let total = 10_000.0 + h + wait + noise.jitter(100.0);
                let mut modules = BTreeMap::new();
                modules.insert("heavy".to_string(), (h, h, Some("app".to_string())));
                modules.insert("app".to_string(), (total - h, total, None));
                s.push(total, modules);
                s.cpu_us.push(12_000.0 + total - wait + noise.jitter(200.0));
            }
            s
        };
        let c = compare(
            Mode::Independent,
            &build(40, 0.0, 0.0, 1),
            &build(10, 6_000.0, 0.0, 2),
            &thresholds,
            0.007,
        )
        .unwrap();
        assert!(c.on_cpu);
        assert_eq!(c.total.verdict, Verdict::Clear, "{:?}", c.total);
        assert!(c.imports_after_us - c.imports_before_us > 5_000.0);
        assert!(
            (c.total.min_effect - 3_000.0).abs() < 50.0,
            "10 % of the 30 ms import time"
        );
        let c = compare(
            Mode::Independent,
            &build(40, 0.0, 0.0, 1),
            &build(10, 6_000.0, 8_000.0, 3),
            &thresholds,
            0.007,
        )
        .unwrap();
        assert_eq!(c.total.verdict, Verdict::Regressed);
        assert_eq!(c.modules[0].module, "heavy");
    }

    #[test]
    fn a_slower_machine_is_calibrated_away_against_a_baseline() {
        // Now the machine does everything 9 % slower (another job on the sibling hyperthread):
        // raw CPU times are +6.3 ms, over the 3 ms minimum effect; rescaled by the start-up
        // ratio they are unchanged.
        let thresholds = Thresholds::default();
        let build = |runs: usize, speed: f64, seed: u64| {
            let mut noise = Noise(seed);
            let mut s = Series::default();
            for _ in 0..runs {
                let total = 30_000.0 + noise.jitter(100.0);
                let mut modules = BTreeMap::new();
                modules.insert("app".to_string(), (total, total, None));
                s.push(total, modules);
                s.cpu_us
                    .push((40_000.0 + total + noise.jitter(200.0)) * speed);
                s.startup_cpu_us
                    .push((40_000.0 + noise.jitter(200.0)) * speed);
            }
            s
        };
        let base = build(40, 1.0, 1);
        let mut slower = build(10, 1.09, 2);
        let c = compare(Mode::Independent, &base, &slower, &thresholds, 0.007).unwrap();
        assert!(c.calibrated);
        assert_eq!(c.total.verdict, Verdict::Clear, "{:?}", c.total);
        slower.startup_cpu_us.clear();
        let raw = compare(Mode::Independent, &base, &slower, &thresholds, 0.007).unwrap();
        assert!(!raw.calibrated);
        assert_eq!(raw.total.verdict, Verdict::Regressed, "{:?}", raw.total);
    }

    #[test]
    fn paired_series_of_different_lengths_are_refused() {
        let a = series(5, 1, 1_000.0);
        let b = series(6, 2, 1_000.0);
        assert!(compare(Mode::Paired, &a, &b, &Thresholds::default(), 0.05).is_none());
    }

    #[test]
    fn runs_that_lost_their_cpu_in_one_side_only_are_no_regression() {
        // 30 ms imports; a run that loses its CPU takes 6.5 ms more. The baseline was recorded
        // on a quiet machine (1 run in 10 hit), the check runs on a busy one (2 in 3): a
        // whole-sample comparison sees +6.5 ms, over the 3 ms minimum effect.
        let thresholds = Thresholds::default();
        let build = |runs: usize, every: &dyn Fn(usize) -> bool, seed: u64| {
            let mut noise = Noise(seed);
            let mut s = Series::default();
            for i in 0..runs {
                let hit = if every(i) { 6_500.0 } else { 0.0 };
                let total = 30_000.0 + noise.jitter(150.0) + hit;
                let mut modules = BTreeMap::new();
                modules.insert("app".to_string(), (total, total, None));
                s.push(total, modules);
            }
            s
        };
        let quiet = build(40, &|i| i % 10 == 0, 1);
        let busy = build(12, &|i| i % 3 != 0, 2);
        let whole = independent_shift(&quiet.total_us, &busy.total_us, 0.01).unwrap();
        assert!(whole.estimate >= 3_000.0, "{whole:?}");
        let c = compare(Mode::Independent, &quiet, &busy, &thresholds, 0.01).unwrap();
        assert_eq!(c.total.verdict, Verdict::Clear, "{:?}", c.total);
    }

    #[test]
    fn noise_in_a_parent_does_not_name_the_parent() {
        // heavy grows by 10 ms; app's own part is unchanged, but runs that lost their CPU
        // inflate app's cumulative time (on either side of a pair, as on a busy machine). Only
        // heavy is responsible.
        let thresholds = Thresholds::default();
        let build = |heavy: f64, slow: usize, seed: u64| {
            let mut noise = Noise(seed);
            let mut s = Series::default();
            for i in 0..15 {
                let h = heavy + noise.jitter(100.0);
                let extra = if i % 3 == slow { 7_000.0 } else { 0.0 };
                let app_self = 5_000.0 + noise.jitter(100.0) + extra;
                let mut modules = BTreeMap::new();
                modules.insert("heavy".to_string(), (h, h, Some("app".to_string())));
                modules.insert("app".to_string(), (app_self, app_self + h, None));
                s.push(app_self + h, modules);
            }
            s
        };
        let c = compare(
            Mode::Paired,
            &build(20_000.0, 1, 3),
            &build(30_000.0, 0, 4),
            &thresholds,
            0.01,
        )
        .unwrap();
        assert_eq!(c.total.verdict, Verdict::Regressed);
        let named: Vec<&str> = c.modules.iter().map(|m| m.module.as_str()).collect();
        assert_eq!(named, ["heavy"]);
    }
}
