//! What a regression comparison found, as the FP2xx rules read it: the entry's cold start and
//! the responsible modules compared with a reference (a baseline file or a git revision), the
//! reference's cold path, and who wrote the lines involved. Built by the caller (the gate and
//! git live in `fastpath_history`); rules only turn it into diagnostics, so tests inject it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// A compared quantity, in microseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftFinding {
    /// Median of the reference runs.
    pub before_us: f64,
    /// Median of the new runs.
    pub after_us: f64,
    /// Estimated shift (Hodges-Lehmann).
    pub delta_us: f64,
    /// Interval of the shift.
    pub low_us: f64,
    pub high_us: f64,
    /// Coverage of the interval.
    pub confidence: f64,
    /// One-sided p-value of "no shift".
    pub p_value: f64,
    /// The minimum effect that applied.
    pub min_effect_us: f64,
    /// Whether the test says it regressed.
    pub regressed: bool,
}

/// A module whose cost regressed and that explains the growth.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleRegression {
    pub module: String,
    /// Its cumulative cost.
    pub cumulative: ShiftFinding,
    /// Estimated growth of its own body's time.
    pub self_delta_us: f64,
    /// It did not load at all in the reference runs.
    pub added: bool,
    /// What changed in the module's own file since the reference, with who changed it, when
    /// known (one sentence each).
    pub changes: Vec<String>,
}

/// The comparison of one entry with its reference.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Regression {
    /// What was compared with, for messages: "the baseline fastpath-baseline.json",
    /// "`origin/main` (1a2b3c4)".
    pub reference: String,
    /// How the decision was made, for a note: runs, test, pairing.
    pub method: String,
    /// How module costs were compared, for FP202's note.
    pub module_method: String,
    /// The entry's import total; `None` when nothing was measured (`--static`).
    pub cold_start: Option<ShiftFinding>,
    /// Responsible modules, largest growth first.
    pub modules: Vec<ModuleRegression>,
    /// Modules on the reference's cold path; `None` when unknown.
    pub reference_modules: Option<BTreeSet<String>>,
    /// Who wrote a line: `(absolute path, line)` to a sentence such as
    /// "added in 1a2b3c4 by Alice <alice@example.com> on 2025-11-02: add the cache".
    pub blame: BTreeMap<(PathBuf, u32), String>,
    /// Things the reader should know (an interpreter that differs, an undecided test).
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use fastpath_graph::{ColdPath, Module, ModuleKind, Origin, Via};
    use fastpath_manifest::Date;

    use super::*;
    use crate::{check, Context, Diagnostic, Policy};

    fn module(name: &str, importer: Option<(&str, u32)>) -> Module {
        Module {
            name: name.to_string(),
            path: Some(PathBuf::from(format!("/p/{name}.py"))),
            origin: Origin::Project,
            kind: ModuleKind::Source,
            via: importer.map(|(module, line)| Via {
                module: module.to_string(),
                path: PathBuf::from(format!("/p/{module}.py")),
                line,
                column: 1,
                context: fastpath_scan::Context::Eager,
                statement: format!("import {name}"),
                call: None,
            }),
        }
    }

    fn cold_path() -> ColdPath {
        ColdPath {
            entry: "app".to_string(),
            modules: vec![
                module("app", None),
                module("heavy", Some(("app", 3))),
                module("gateway", Some(("app", 4))),
                module("cache", Some(("gateway", 2))),
                module("cache_disk", Some(("cache", 7))),
            ],
            unresolved: Vec::new(),
            preloaded: Vec::new(),
            edges: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn shift(before: f64, after: f64, regressed: bool) -> ShiftFinding {
        ShiftFinding {
            before_us: before,
            after_us: after,
            delta_us: after - before,
            low_us: after - before - 1_000.0,
            high_us: after - before + 1_000.0,
            confidence: 0.98,
            p_value: 1e-6,
            min_effect_us: 4_500.0,
            regressed,
        }
    }

    fn run(regression: Option<&Regression>) -> Vec<Diagnostic> {
        let path = cold_path();
        let policy = Policy::default();
        let cx = Context {
            root: Path::new("/p"),
            policy: &policy,
            entry: "app",
            entry_path: Some(Path::new("/p/app.py")),
            entry_scan: None,
            manifest_module: "fast_path",
            manifest_path: Path::new("/p/fast_path.py"),
            manifest: None,
            cold_path: &path,
            measurements: None,
            today: Date::new(2025, 11, 20).unwrap(),
            regression,
        };
        check(&cx)
            .into_iter()
            .filter(|d| d.rule.code.starts_with("FP2"))
            .collect()
    }

    #[test]
    fn regression_rules_stay_silent_without_a_comparison() {
        assert!(run(None).is_empty());
    }

    #[test]
    fn a_regression_names_the_cold_start_the_module_and_the_new_import_with_blame() {
        let regression = Regression {
            reference: "the baseline fastpath-baseline.json".to_string(),
            method: "40 baseline runs against 10 new runs, Mann-Whitney".to_string(),
            module_method: "module import times".to_string(),
            cold_start: Some(shift(45_000.0, 55_000.0, true)),
            modules: vec![
                ModuleRegression {
                    module: "heavy".to_string(),
                    cumulative: shift(2_000.0, 12_000.0, true),
                    self_delta_us: 9_900.0,
                    added: false,
                    changes: vec!["heavy.py changed at lines 4-6 (not committed yet)".to_string()],
                },
                // New on the static cold path: FP203 reports it, FP202 does not repeat it.
                ModuleRegression {
                    module: "cache".to_string(),
                    cumulative: shift(0.0, 5_000.0, true),
                    self_delta_us: 5_000.0,
                    added: true,
                    changes: Vec::new(),
                },
            ],
            reference_modules: Some(
                ["app", "heavy", "gateway"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
            blame: [(
                (PathBuf::from("/p/app.py"), 3),
                "added in 1a2b3c4 by Alice <alice@example.com> on 2025-11-02: add heavy"
                    .to_string(),
            )]
            .into_iter()
            .collect(),
            notes: Vec::new(),
        };
        let found = run(Some(&regression));
        let codes: Vec<&str> = found.iter().map(|d| d.rule.code).collect();
        assert_eq!(codes, ["FP201", "FP202", "FP203"]);
        let fp201 = &found[0];
        assert!(
            fp201.message.contains("got 10 ms slower (+22 %)"),
            "{}",
            fp201.message
        );
        let fp202 = &found[1];
        assert!(fp202.message.starts_with("`heavy` got 10 ms slower"));
        assert_eq!(fp202.location.as_ref().unwrap().line, 3);
        assert!(fp202.notes.iter().any(|n| n.contains("in `heavy` itself")));
        assert!(fp202
            .notes
            .iter()
            .any(|n| n.starts_with("app.py:3: added in 1a2b3c4 by Alice")));
        assert!(fp202.notes.iter().any(|n| n.contains("lines 4-6")));
        let fp203 = &found[2];
        assert!(fp203.message.starts_with("`cache` is new on the cold path"));
        assert_eq!(
            fp203.location.as_ref().unwrap().path,
            Path::new("gateway.py")
        );
        assert_eq!(fp203.chain.len(), 2);
        assert!(fp203
            .notes
            .iter()
            .any(|n| n == "it brings 1 more new module with it"));
    }

    #[test]
    fn a_clear_comparison_reports_nothing() {
        let regression = Regression {
            reference: "`main`".to_string(),
            cold_start: Some(shift(45_000.0, 45_300.0, false)),
            reference_modules: Some(cold_path().modules.iter().map(|m| m.name.clone()).collect()),
            ..Regression::default()
        };
        assert!(run(Some(&regression)).is_empty());
    }
}
