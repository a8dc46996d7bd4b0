//! What an import statement of the manifest costs: the one pricing function that FP105,
//! `fastpath update` and the HISTORY total share, so that they cannot disagree.
//!
//! A statement costs the cumulative import time of the modules it loads itself: the module it
//! names (`import a.b` names `a.b`, whose importtime row holds `a` when `a` loads for it;
//! `from x import y` names `x`) and, for `from x import y`, the submodule `x.y` when `y` is one
//! (Python imports it after `x`, in a row of its own). A module counts once, for the first
//! statement that names it, and not when it ran inside another module this statement counts
//! (`x/__init__.py` importing `x.y` itself): the rows added up never overlap. A module that is
//! not in the measurement (loaded at interpreter start-up, or by an earlier import) adds
//! nothing; a statement none of whose modules is measured has no price. The median is the sum
//! of the medians, and the range the sum of the fastest and of the slowest runs.

use std::collections::BTreeSet;

use fastpath_manifest::{ImportForm, Manifest, ManifestImport};

use crate::context::Measurements;

/// A measured range has no sharp edges: a documented cost within this much of it agrees.
pub const NOISE_US: f64 = 500.0;

/// The price of one statement, microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatementCost {
    pub median_us: f64,
    pub min_us: f64,
    pub max_us: f64,
    /// The confidence interval of the median, `(low, high)`: the sum of the counted modules'
    /// interval bounds (wider than the sum's own interval: conservative). `None` when a module
    /// has no interval (a profile written before intervals existed).
    pub interval_us: Option<(f64, f64)>,
}

/// The precision a written cost must be measured to, microseconds: one unit of its last digit
/// as [`fastpath_manifest::format_ms`] writes it (0.1 ms under 10 ms, 1 ms from there), at
/// least [`NOISE_US`], the tolerance FP105 grants a documented cost anyway, and at least
/// [`RELATIVE_PRECISION`] of the cost: a slow import's own run-to-run spread (a 78 ms import
/// varies by a few ms between fresh interpreters on a quiet machine) is no reason to refuse a
/// figure that FP105 judges at 50 %.
pub fn write_precision_us(median_us: f64) -> f64 {
    let unit: f64 = if median_us < 9_950.0 { 100.0 } else { 1_000.0 };
    unit.max(NOISE_US).max(median_us * RELATIVE_PRECISION)
}

/// The share of a cost its interval's half-width may reach and still be written: 5 %.
pub const RELATIVE_PRECISION: f64 = 0.05;

/// Why a measurement may not be written into the manifest.
#[derive(Debug, Clone, PartialEq)]
pub enum Unwritable {
    /// The measurement was contended: the machine is busy.
    Contended,
    /// A statement's cost is not known to the precision it would be written with: the entry
    /// itself is noisy.
    Loose {
        /// The statement's first module.
        module: String,
        median_us: f64,
        half_width_us: f64,
        precision_us: f64,
    },
}

impl std::fmt::Display for Unwritable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unwritable::Contended => f.write_str(
                "the machine is busy: the measurement was contended (runs waited for a CPU or started up slowly)",
            ),
            Unwritable::Loose {
                module,
                median_us,
                half_width_us,
                precision_us,
            } => write!(
                f,
                "the entry itself is noisy: `{module}` measured {:.1} ms ± {:.2} ms, not within the ± {:.1} ms its cost is written to",
                median_us / 1000.0,
                half_width_us / 1000.0,
                precision_us / 1000.0
            ),
        }
    }
}

impl StatementCost {
    /// Whether this price may be written: `Err` says why not (see [`Unwritable`]). A price
    /// without an interval (an old saved profile) cannot be judged and passes.
    pub fn writable(&self, module: &str, contended: bool) -> Result<(), Unwritable> {
        if contended {
            return Err(Unwritable::Contended);
        }
        let Some((low, high)) = self.interval_us else {
            return Ok(());
        };
        let half_width_us = (high - low) / 2.0;
        let precision_us = write_precision_us(self.median_us);
        if half_width_us <= precision_us {
            Ok(())
        } else {
            Err(Unwritable::Loose {
                module: module.to_owned(),
                median_us: self.median_us,
                half_width_us,
                precision_us,
            })
        }
    }
}

impl StatementCost {
    /// Whether a documented cost (milliseconds) lies within the measured range, widened by
    /// [`NOISE_US`]: `update` rewrites only a cost that does not, and FP105 reports only one
    /// that does not, so a cost `update` leaves is never reported by the same measurement.
    pub fn agrees_with(&self, documented_ms: f64) -> bool {
        let documented_us = documented_ms * 1000.0;
        self.min_us - NOISE_US <= documented_us && documented_us <= self.max_us + NOISE_US
    }
}

/// The modules a statement names, in the order Python loads them: for `from x import y`, `x`
/// and then `x.y` when the measurement (or `is_module`) knows `x.y` as a module.
pub fn statement_modules(import: &ManifestImport, is_module: impl Fn(&str) -> bool) -> Vec<String> {
    let mut modules: Vec<String> = Vec::new();
    let mut push = |m: &str| {
        if !modules.iter().any(|x| x == m) {
            modules.push(m.to_owned());
        }
    };
    for item in &import.items {
        match &import.form {
            ImportForm::Import => push(&item.module),
            ImportForm::From { module, level } => {
                if *level == 0 {
                    push(module);
                }
                if item.name != "*" && is_module(&item.module) {
                    push(&item.module);
                }
            }
        }
    }
    modules
}

/// The price of each import statement of `manifest`, in its order (see the module's doc).
pub fn manifest_costs(manifest: &Manifest, measured: &Measurements) -> Vec<Option<StatementCost>> {
    let mut charged: BTreeSet<String> = BTreeSet::new();
    manifest
        .imports
        .iter()
        .map(|import| {
            let names = statement_modules(import, |m| measured.modules.contains_key(m));
            let mut cost: Option<StatementCost> = None;
            for name in &names {
                let Some(module) = measured.modules.get(name) else {
                    continue;
                };
                let inside_another = module
                    .parent
                    .as_ref()
                    .is_some_and(|p| names.contains(p) || charged.contains(p));
                let counted = !inside_another && charged.insert(name.clone());
                let c = cost.get_or_insert(StatementCost {
                    median_us: 0.0,
                    min_us: 0.0,
                    max_us: 0.0,
                    interval_us: Some((0.0, 0.0)),
                });
                if counted {
                    c.median_us += module.cumulative_us;
                    c.min_us += module.cumulative_min_us;
                    c.max_us += module.cumulative_max_us;
                    c.interval_us = match (c.interval_us, module.cumulative_ci_us) {
                        (Some((low, high)), Some((l, h))) => Some((low + l, high + h)),
                        _ => None,
                    };
                }
            }
            cost
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::ModuleCost;

    fn cost(cumulative: f64, parent: Option<&str>) -> ModuleCost {
        ModuleCost {
            self_us: cumulative / 2.0,
            cumulative_us: cumulative,
            cumulative_min_us: cumulative - 100.0,
            cumulative_max_us: cumulative + 100.0,
            cumulative_ci_us: None,
            parent: parent.map(str::to_owned),
        }
    }

    fn measured(modules: &[(&str, f64, Option<&str>)]) -> Measurements {
        Measurements {
            modules: modules
                .iter()
                .map(|(n, c, p)| ((*n).to_owned(), cost(*c, *p)))
                .collect(),
            ..Measurements::default()
        }
    }

    fn medians(source: &[u8], m: &Measurements) -> Vec<Option<f64>> {
        let (manifest, _) = Manifest::parse(source);
        manifest_costs(&manifest, m)
            .into_iter()
            .map(|c| c.map(|c| c.median_us))
            .collect()
    }

    #[test]
    fn from_import_of_a_submodule_costs_the_package_and_the_submodule() {
        // The loop: `from logging import handlers` loads `logging`, then
        // `logging.handlers` in a row of its own.
        let m = measured(&[
            ("fast_path", 9000.0, None),
            ("logging", 4700.0, Some("fast_path")),
            ("logging.handlers", 3200.0, Some("fast_path")),
        ]);
        assert_eq!(
            medians(b"from logging import handlers  # 8ms\n", &m),
            [Some(7900.0)]
        );
    }

    #[test]
    fn a_module_counts_once_and_never_inside_another() {
        let m = measured(&[
            ("a.b", 2000.0, Some("fast_path")),
            ("a", 1500.0, Some("a.b")),
            ("x", 3000.0, Some("fast_path")),
            ("x.sub", 500.0, Some("x")),
            ("json", 700.0, Some("fast_path")),
        ]);
        let source = b"import a.b  # 1ms\nfrom x import y, z  # 2ms\nfrom x import sub  # 3ms\nimport json\nimport sys\n";
        assert_eq!(
            medians(source, &m),
            // `a` ran inside `a.b`; `x` is paid by the first statement; `x.sub` ran inside
            // `x`; `sys` was loaded at start-up.
            [Some(2000.0), Some(3000.0), Some(0.0), Some(700.0), None]
        );
    }

    #[test]
    fn agreement_is_the_measured_range_widened_by_noise() {
        let c = StatementCost {
            median_us: 3000.0,
            min_us: 2800.0,
            max_us: 3600.0,
            interval_us: None,
        };
        assert!(c.agrees_with(2.4) && c.agrees_with(4.0));
        assert!(!c.agrees_with(2.2) && !c.agrees_with(4.2));
    }

    #[test]
    fn a_cost_is_written_only_from_a_tight_uncontended_measurement() {
        let mut c = StatementCost {
            median_us: 8_700.0,
            min_us: 8_000.0,
            max_us: 9_900.0,
            interval_us: Some((8_400.0, 9_000.0)),
        };
        // 8.7 ms is written to 0.1 ms, but FP105 grants 0.5 ms: ±0.3 ms is tight enough.
        assert_eq!(c.writable("json", false), Ok(()));
        assert_eq!(c.writable("json", true), Err(Unwritable::Contended));
        // A contended-looking spread: 17 ms within [9, 25].
        c.median_us = 17_000.0;
        c.interval_us = Some((9_000.0, 25_000.0));
        let err = c.writable("typing", false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the entry itself is noisy: `typing` measured 17.0 ms ± 8.00 ms"),
            "{err}"
        );
        assert!(Unwritable::Contended
            .to_string()
            .starts_with("the machine is busy"));
        // No interval (an old saved profile): cannot be judged, passes.
        c.interval_us = None;
        assert_eq!(c.writable("typing", false), Ok(()));
        assert_eq!(write_precision_us(25_000.0), 1_250.0);
        assert_eq!(write_precision_us(12_000.0), 1_000.0);
        assert_eq!(write_precision_us(800.0), 500.0);
    }

    #[test]
    fn a_statement_interval_is_the_sum_of_its_modules() {
        let mut m = measured(&[("x", 3000.0, None), ("x.sub", 700.0, None)]);
        for cost in m.modules.values_mut() {
            cost.cumulative_ci_us = Some((cost.cumulative_us - 50.0, cost.cumulative_us + 50.0));
        }
        let (manifest, _) = fastpath_manifest::Manifest::parse(b"from x import sub  # 3ms\n");
        let prices = manifest_costs(&manifest, &m);
        assert_eq!(prices[0].unwrap().interval_us, Some((3_600.0, 3_800.0)));
    }
}
