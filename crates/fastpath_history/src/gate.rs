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
pub struct Comparison {
    pub mode: Mode,
    pub base_runs: usize,
    pub new_runs: usize,
    /// The significance level used at the last look (one-sided).
    pub alpha: f64,
    /// The entry's import total.
    pub total: Assessment,
    /// Responsible modules, largest unexplained growth first.
    pub modules: Vec<ModuleAssessment>,
    /// Whether the total's verdict was reached (`false`: the bound was hit while unclear, and
    /// the verdict is what the runs showed then).
    pub decided: bool,
}

impl Comparison {
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

fn assess(
    mode: Mode,
    base: &[f64],
    new: &[f64],
    thresholds: &Thresholds,
    alpha: f64,
) -> Option<Assessment> {
    let shift = shift_of(mode, base, new, alpha)?;
    let base_median = median(base);
    let min_effect = thresholds.min_effect(base_median);
    Some(Assessment {
        base_median,
        new_median: median(new),
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
) -> Option<Comparison> {
    if base.is_empty() || new.is_empty() || (mode == Mode::Paired && base.len() != new.len()) {
        return None;
    }
    let total = assess(mode, &base.total_us, &new.total_us, thresholds, alpha)?;
    let (modules, _) = attribute(mode, base, new, thresholds, alpha);
    Some(Comparison {
        mode,
        base_runs: base.len(),
        new_runs: new.len(),
        alpha,
        total,
        modules,
        decided: total.verdict != Verdict::Unclear,
    })
}

/// Responsible modules, and whether some candidate module is still unclear.
fn attribute(
    mode: Mode,
    base: &Series,
    new: &Series,
    thresholds: &Thresholds,
    alpha: f64,
) -> (Vec<ModuleAssessment>, bool) {
    // A cheap screen first: only modules whose median grew by half the minimum effect are tested.
    let mut screened: Vec<&str> = Vec::new();
    for (name, series) in &new.modules {
        let before = base.module(name);
        let base_median = median(&before.cumulative_us);
        let rough = median(&series.cumulative_us) - base_median;
        if rough >= 0.5 * thresholds.min_effect(base_median) {
            screened.push(name);
        }
    }
    let alpha_each = alpha / screened.len().max(1) as f64;
    let mut regressed: BTreeMap<&str, Assessment> = BTreeMap::new();
    let mut unclear = false;
    for name in &screened {
        let before = base.module(name);
        let after = &new.modules[*name];
        let Some(a) = assess(
            mode,
            &before.cumulative_us,
            &after.cumulative_us,
            thresholds,
            alpha_each,
        ) else {
            continue;
        };
        match a.verdict {
            Verdict::Regressed => {
                regressed.insert(name, a);
            }
            Verdict::Unclear if a.shift.estimate >= a.min_effect => unclear = true,
            _ => {}
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
        let explained: f64 = below.iter().map(|b| regressed[b].shift.estimate).sum();
        let unexplained = a.shift.estimate - explained;
        if below.is_empty() || unexplained >= a.min_effect {
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
    (responsible, unclear)
}

/// Runs the sequential decision. `more(base, new, k)` must append `k` runs to `new` (and, when
/// paired, `k` runs to `base`). The plan's initial batch is completed first; then runs are added
/// `step` at a time while the total, or a module that grew by its minimum effect, is unclear.
pub fn sequential<E>(
    mode: Mode,
    plan: Plan,
    thresholds: &Thresholds,
    base: &mut Series,
    new: &mut Series,
    mut more: impl FnMut(&mut Series, &mut Series, usize) -> Result<(), E>,
) -> Result<Option<Comparison>, E> {
    let alpha = thresholds.alpha / plan.looks() as f64;
    let max = plan.max.max(1);
    if new.len() < plan.initial.min(max) {
        more(base, new, plan.initial.min(max) - new.len())?;
    }
    loop {
        let Some(mut comparison) = compare(mode, base, new, thresholds, alpha) else {
            return Ok(None);
        };
        let (_, modules_unclear) = attribute(mode, base, new, thresholds, alpha);
        let unclear = comparison.total.verdict == Verdict::Unclear || modules_unclear;
        if !unclear || new.len() >= max {
            comparison.decided = !unclear;
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
        let build = |children: usize, seed: u64| {
            let mut noise = Noise(seed);
            let mut s = Series::default();
            for _ in 0..20 {
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
            &build(0, 1),
            &build(10, 2),
            &thresholds,
            0.01,
        )
        .unwrap();
        assert_eq!(c.total.verdict, Verdict::Regressed);
        let named: Vec<&str> = c.modules.iter().map(|m| m.module.as_str()).collect();
        assert_eq!(named, ["pkg"]);
    }

    #[test]
    fn paired_series_of_different_lengths_are_refused() {
        let a = series(5, 1, 1_000.0);
        let b = series(6, 2, 1_000.0);
        assert!(compare(Mode::Paired, &a, &b, &Thresholds::default(), 0.05).is_none());
    }
}
