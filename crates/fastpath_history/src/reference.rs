//! The regression gate of `fastpath check`: what the working tree is compared with (a baseline
//! file or a git revision), the runs that compare them, and the [`Regression`] the FP2xx rules
//! read.
//!
//! With a baseline file, the working tree's fresh runs are compared with the baseline's runs
//! (independent samples). With `--against REV`, REV is checked out in a temporary git worktree
//! and REV and the working tree are measured interleaved in the same job (pair `i` runs A B when
//! `i` is even and B A when it is odd, so a linear drift does not favour a side), and the
//! decision is on the paired differences. Either way [`crate::gate::sequential`] decides,
//! adding runs while unclear.
//!
//! The runs come from a [`RunSource`], injected: the binary runs real interpreters, tests
//! give synthetic runs. Nothing here prints; warnings and progress go to the source's
//! [`RunSource::say`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fastpath_check::{stated_via, ModuleRegression, Regression, ShiftFinding};
use fastpath_graph::ColdPath;
use fastpath_profile::runner::{Measurement, Run};
use thiserror::Error;

use crate::baseline::Baseline;
use crate::blame::blame_lines;
use crate::decision::{Thresholds, Verdict};
use crate::environment::{differences, Environment};
use crate::gate::{sequential, Assessment, GateComparison, Mode, Plan};
use crate::git::{GitError, Repository, Worktree};
use crate::series::Series;

/// An error of the runs, as the source reports it.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the gate could not compare.
#[derive(Debug, Error)]
pub enum ReferenceError {
    #[error("--against {rev} needs a git repository: {reason}")]
    NoRepository { rev: String, reason: String },
    #[error("--against {rev}")]
    Worktree {
        rev: String,
        #[source]
        source: GitError,
    },
    #[error("--against {rev}: `{rev}` has no directory {dir}; the project did not exist there", dir = .dir.display())]
    NoProjectAtRev { rev: String, dir: PathBuf },
    #[error("{reference} cannot be compared with this run: {differences}; record a new baseline with `fastpath baseline`, or pass --force to compare anyway")]
    Incomparable {
        reference: String,
        differences: String,
    },
    #[error("measuring `{entry}` at {reference}")]
    Reference {
        entry: String,
        reference: String,
        #[source]
        source: SourceError,
    },
    #[error(transparent)]
    Runs(SourceError),
}

/// A side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The revision (`--against REV`); a baseline's runs are recorded, never run.
    Reference,
    /// The working tree.
    Current,
}

/// Where the gate's runs come from, and where its messages go.
pub trait RunSource {
    /// A warm-up run of `side` (it writes the `.pyc` files) and `startup` start-up runs; the
    /// measurement is the template the later runs are merged into.
    fn warm_up(&mut self, side: Side, startup: usize) -> Result<Measurement, SourceError>;
    /// One measured run of `side` (no warm-up), with its process's CPU time when known.
    fn run(&mut self, side: Side) -> Result<(Run, Option<f64>), SourceError>;
    /// The CPU time of one interpreter start-up, when known.
    fn startup_cpu_us(&mut self) -> Result<Option<f64>, SourceError>;
}

/// What `check` compares with.
pub enum Reference {
    Baseline {
        display: String,
        baseline: Box<Baseline>,
        environment_checked: bool,
    },
    Revision {
        rev: String,
        /// The project's root inside the worktree.
        root: PathBuf,
        worktree: Worktree<'static>,
    },
}

/// The gate for one `check`: the reference, the thresholds, and git for blame.
pub struct RegressionGate {
    reference: Reference,
    thresholds: Thresholds,
    max_runs: Option<usize>,
    force: bool,
    repo: Result<Repository<'static>, String>,
}

/// What the gate contributes to one entry.
#[derive(Default)]
pub struct Gated {
    /// The working tree's runs made by the gate (`None`: measure as usual).
    pub measurement: Option<Measurement>,
    pub regression: Option<Regression>,
    /// Warnings for the user (the entry is missing from the baseline, a minor environment
    /// difference, ...).
    pub warnings: Vec<String>,
}

/// The reference's cold path for one entry, as the caller computed it.
pub enum ReferencePath {
    /// A baseline: its recorded cold path is used.
    Recorded,
    /// A revision: its cold path, computed in its worktree.
    At(ColdPath),
    /// The entry does not exist at the revision.
    Missing,
}

fn finding(a: &Assessment) -> ShiftFinding {
    ShiftFinding {
        before_us: a.base_median,
        after_us: a.new_median,
        delta_us: a.shift.estimate,
        low_us: a.shift.low,
        high_us: a.shift.high,
        confidence: a.shift.confidence,
        p_value: a.shift.p_value,
        min_effect_us: a.min_effect,
        regressed: a.verdict == Verdict::Regressed,
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(7)]
}

/// A measurement made of several batches: the first batch's description with every run.
fn merged(first: Measurement, runs: Vec<Run>) -> Measurement {
    Measurement { runs, ..first }
}

impl RegressionGate {
    /// Compares with the baseline file `baseline` (shown as `name`).
    pub fn baseline(
        baseline: Baseline,
        name: &str,
        thresholds: Thresholds,
        max_runs: Option<usize>,
        force: bool,
        repo: Result<Repository<'static>, String>,
    ) -> RegressionGate {
        let recorded = baseline.created.get(..10).unwrap_or(&baseline.created);
        let at = baseline
            .commit
            .as_deref()
            .map(|c| format!(" at {}", short(c)))
            .unwrap_or_default();
        let display = format!("the baseline {name} (recorded {recorded}{at})");
        RegressionGate {
            reference: Reference::Baseline {
                display,
                baseline: Box::new(baseline),
                environment_checked: false,
            },
            thresholds,
            max_runs,
            force,
            repo,
        }
    }

    /// Compares with REV, checked out in a temporary worktree; `project_root` is the project's
    /// root in the working tree (the project may be a subdirectory of the repository).
    pub fn revision(
        rev: &str,
        project_root: &Path,
        thresholds: Thresholds,
        max_runs: Option<usize>,
        repo: Result<Repository<'static>, String>,
    ) -> Result<RegressionGate, ReferenceError> {
        let repository = match &repo {
            Ok(r) => r,
            Err(reason) => {
                return Err(ReferenceError::NoRepository {
                    rev: rev.to_string(),
                    reason: reason.clone(),
                })
            }
        };
        let root = project_root
            .canonicalize()
            .unwrap_or_else(|_| project_root.to_path_buf());
        let relative = root
            .strip_prefix(&repository.root)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let worktree = repository
            .worktree(rev)
            .map_err(|source| ReferenceError::Worktree {
                rev: rev.to_string(),
                source,
            })?;
        let root = worktree.path.join(&relative);
        if !root.is_dir() {
            return Err(ReferenceError::NoProjectAtRev {
                rev: rev.to_string(),
                dir: relative,
            });
        }
        Ok(RegressionGate {
            reference: Reference::Revision {
                rev: rev.to_string(),
                root,
                worktree,
            },
            thresholds,
            max_runs,
            force: false,
            repo,
        })
    }

    /// The project's root in the revision's worktree (`None` for a baseline).
    pub fn reference_root(&self) -> Option<&Path> {
        match &self.reference {
            Reference::Revision { root, .. } => Some(root),
            Reference::Baseline { .. } => None,
        }
    }

    /// How the reference reads in messages.
    pub fn display(&self) -> String {
        match &self.reference {
            Reference::Baseline { display, .. } => display.clone(),
            Reference::Revision { rev, worktree, .. } => {
                format!("`{rev}` ({})", short(&worktree.commit))
            }
        }
    }

    /// Compares one entry with the reference. `path` is its cold path in the working tree,
    /// `reference_path` the revision's; `environment` describes the interpreter of this run;
    /// `runs` measures (`None`: compare cold paths only, as `--static` does).
    pub fn entry(
        &mut self,
        module: &str,
        path: &ColdPath,
        reference_path: ReferencePath,
        environment: Option<&Environment>,
        runs: Option<&mut dyn RunSource>,
        root: &Path,
    ) -> Result<Gated, ReferenceError> {
        let mut gated = Gated::default();
        let mut notes = Vec::new();
        let thresholds = self.thresholds;
        let max_runs = self.max_runs;
        let force = self.force;
        let display = self.display();
        let (reference_modules, result, since) = match &mut self.reference {
            Reference::Baseline {
                baseline,
                environment_checked,
                ..
            } => {
                let Some(recorded) = baseline.entries.get(module) else {
                    gated.warnings.push(format!(
                        "{display} has no entry `{module}`: record it again with `fastpath baseline`"
                    ));
                    return Ok(gated);
                };
                if let Some(current) = environment {
                    let diff = differences(&baseline.environment, current);
                    if !diff.blocking.is_empty() {
                        if !force {
                            return Err(ReferenceError::Incomparable {
                                reference: display,
                                differences: diff.blocking.join("; "),
                            });
                        }
                        if !*environment_checked {
                            gated.warnings.push(format!(
                                "comparing with {display} anyway (--force): {}",
                                diff.blocking.join("; ")
                            ));
                        }
                        notes.push(format!(
                            "compared anyway (--force): {}",
                            diff.blocking.join("; ")
                        ));
                    }
                    if !*environment_checked {
                        for minor in &diff.minor {
                            gated.warnings.push(format!("{display}: {minor}"));
                        }
                    }
                    *environment_checked = true;
                }
                let reference_modules: BTreeSet<String> =
                    recorded.cold_path.iter().cloned().collect();
                let mut result = None;
                if let Some(source) = runs {
                    let plan =
                        max_runs.map_or(Plan::INDEPENDENT, |m| Plan::INDEPENDENT.with_max(m));
                    let mut base = recorded.series();
                    result = independent(plan, &thresholds, &mut base, source)?;
                }
                (reference_modules, result, baseline.commit.clone())
            }
            Reference::Revision { worktree, .. } => {
                let rev_path = match reference_path {
                    ReferencePath::At(p) => p,
                    ReferencePath::Missing | ReferencePath::Recorded => {
                        gated.warnings.push(format!(
                            "`{module}` does not exist at {display}: nothing to compare it with"
                        ));
                        return Ok(gated);
                    }
                };
                let reference_modules: BTreeSet<String> =
                    rev_path.modules.iter().map(|m| m.name.clone()).collect();
                let mut result = None;
                if let Some(source) = runs {
                    let plan = max_runs.map_or(Plan::PAIRED, |m| Plan::PAIRED.with_max(m));
                    result = paired(plan, &thresholds, source, module, &display)?;
                }
                (reference_modules, result, Some(worktree.commit.clone()))
            }
        };
        let mut regression = Regression {
            reference: display,
            reference_modules: Some(reference_modules.clone()),
            notes,
            ..Regression::default()
        };
        let (comparison, measurement) = match result {
            Some((c, m)) => (Some(c), Some(m)),
            None => (None, None),
        };
        if let Some(c) = &comparison {
            fill(&mut regression, c);
        }
        self.blame(
            &mut regression,
            path,
            &reference_modules,
            since.as_deref(),
            root,
        );
        gated.measurement = measurement;
        gated.regression = Some(regression);
        Ok(gated)
    }

    /// Who wrote the lines the findings will point at, and what changed in each responsible
    /// module's own file since the reference's commit.
    fn blame(
        &self,
        regression: &mut Regression,
        path: &ColdPath,
        reference_modules: &BTreeSet<String>,
        since: Option<&str>,
        root: &Path,
    ) {
        let mut lines: Vec<(PathBuf, u32)> = Vec::new();
        for m in &path.modules {
            let Some(via) = &m.via else { continue };
            let responsible = regression.modules.iter().any(|r| r.module == m.name);
            // A new module where it enters (its importer was there before), as FP203 reports.
            let entering =
                !reference_modules.contains(&m.name) && reference_modules.contains(&via.module);
            // A new module a project statement loads: the boundary FP203 reports a new module
            // inside a dependency at.
            let boundary = !reference_modules.contains(&m.name)
                && path
                    .index_of(&via.module)
                    .is_some_and(|i| path.modules[i].origin == fastpath_graph::Origin::Project);
            // An observed import has no line: blame the statement that brings its importer in.
            if responsible || entering || boundary {
                if let Some(stated) = stated_via(path, via) {
                    lines.push((stated.path.clone(), stated.line));
                }
            }
        }
        regression.blame = blame_lines(&self.repo, lines)
            .into_iter()
            .map(|(k, v)| (k, v.sentence()))
            .collect();
        let (Ok(repo), Some(since)) = (&self.repo, since) else {
            return;
        };
        for m in &mut regression.modules {
            let Some(file) = path
                .index_of(&m.module)
                .and_then(|i| path.modules[i].path.clone())
            else {
                continue;
            };
            let Ok(ranges) = repo.changed_lines(since, &file) else {
                continue;
            };
            let shown: Vec<(u32, u32)> = ranges.into_iter().filter(|r| r.1 > 0).take(3).collect();
            let firsts: Vec<u32> = shown.iter().map(|r| r.0).collect();
            let blamed = blame_lines(&self.repo, firsts.iter().map(|l| (file.clone(), *l)));
            let name = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            for (start, count) in shown {
                let lines = if count == 1 {
                    format!("{name}:{start}")
                } else {
                    format!("{name}:{start}-{}", start + count - 1)
                };
                let who = blamed
                    .get(&(file.clone(), start))
                    .map_or_else(String::new, |b| format!(": {}", b.sentence()));
                m.changes
                    .push(format!("{lines} changed since {}{who}", short(since)));
            }
        }
    }
}

/// The working tree's runs against a baseline's recorded ones.
fn independent(
    plan: Plan,
    thresholds: &Thresholds,
    base: &mut Series,
    source: &mut dyn RunSource,
) -> Result<Option<(GateComparison, Measurement)>, ReferenceError> {
    let mut new = Series::default();
    let mut first: Option<Measurement> = None;
    let mut runs: Vec<Run> = Vec::new();
    let comparison = sequential(
        Mode::Independent,
        plan,
        thresholds,
        base,
        &mut new,
        |_, new, k| -> Result<(), SourceError> {
            if first.is_none() {
                first = Some(source.warm_up(Side::Current, 5)?);
            }
            for _ in 0..k {
                let (run, cpu) = source.run(Side::Current)?;
                new.push_run(&run, cpu);
                runs.push(run);
                if let Some(s) = source.startup_cpu_us()? {
                    new.startup_cpu_us.push(s);
                }
            }
            Ok(())
        },
    )
    .map_err(ReferenceError::Runs)?;
    Ok(comparison.zip(first.map(|f| merged(f, runs))))
}

/// The revision and the working tree, interleaved.
fn paired(
    plan: Plan,
    thresholds: &Thresholds,
    source: &mut dyn RunSource,
    module: &str,
    display: &str,
) -> Result<Option<(GateComparison, Measurement)>, ReferenceError> {
    let mut a = Series::default();
    let mut b = Series::default();
    let mut first: Option<Measurement> = None;
    let mut runs: Vec<Run> = Vec::new();
    // Errors of the revision's runs say so.
    let mut at_rev: Option<SourceError> = None;
    let comparison = sequential(
        Mode::Paired,
        plan,
        thresholds,
        &mut a,
        &mut b,
        |a, b, k| -> Result<(), SourceError> {
            let rev_run = |source: &mut dyn RunSource, at_rev: &mut Option<SourceError>| {
                source.run(Side::Reference).map_err(|e| {
                    *at_rev = Some(e);
                    SourceError::from("the revision's run failed")
                })
            };
            if first.is_none() {
                if let Err(e) = source.warm_up(Side::Reference, 0) {
                    at_rev = Some(e);
                    return Err(SourceError::from("the revision's warm-up failed"));
                }
                first = Some(source.warm_up(Side::Current, 5)?);
            }
            for _ in 0..k {
                // A B, then B A: a drift within the job favours neither side.
                let (ra, rb) = if b.len() % 2 == 0 {
                    let ra = rev_run(source, &mut at_rev)?;
                    (ra, source.run(Side::Current)?)
                } else {
                    let rb = source.run(Side::Current)?;
                    (rev_run(source, &mut at_rev)?, rb)
                };
                a.push_run(&ra.0, ra.1);
                b.push_run(&rb.0, rb.1);
                runs.push(rb.0);
                // Start-up CPU, shared by both sides: it tells the imports' own CPU time,
                // which the minimum effect is a share of.
                if let Some(s) = source.startup_cpu_us()? {
                    a.startup_cpu_us.push(s);
                    b.startup_cpu_us.push(s);
                }
            }
            Ok(())
        },
    );
    let comparison = match (comparison, at_rev) {
        (Ok(c), _) => c,
        (Err(_), Some(source)) => {
            return Err(ReferenceError::Reference {
                entry: module.to_string(),
                reference: display.to_string(),
                source,
            })
        }
        (Err(e), None) => return Err(ReferenceError::Runs(e)),
    };
    Ok(comparison.zip(first.map(|f| merged(f, runs))))
}

fn fill(regression: &mut Regression, c: &GateComparison) {
    let quantity = match (c.on_cpu, c.calibrated) {
        (true, true) => "each run's CPU time, start-up left out and rescaled by the start-up CPU time then and now (a busy machine inflates wall time)",
        (true, false) => "each run's CPU time (start-up and imports; a busy machine inflates wall time, not CPU time)",
        _ => "each run's import time",
    };
    regression.method = match c.mode {
        Mode::Independent => format!(
            "decided on {quantity}: {} baseline runs against {} runs now, Mann-Whitney test on the fastest quarter of each side",
            c.base_runs, c.new_runs
        ),
        Mode::Paired => format!(
            "decided on {quantity}: {} interleaved pairs of runs, Wilcoxon signed-rank test on the paired differences",
            c.new_runs
        ),
    };
    regression.module_method = match c.mode {
        Mode::Independent => format!(
            "module import times (wall) of {} baseline runs against {} runs now, Mann-Whitney test on the fastest half of each side",
            c.base_runs, c.new_runs
        ),
        Mode::Paired => format!(
            "module import times (wall) of {} interleaved pairs, Wilcoxon signed-rank test on the paired differences",
            c.new_runs
        ),
    };
    let mut cold_start = finding(&c.total);
    cold_start.before_us = c.imports_before_us;
    cold_start.after_us = c.imports_after_us;
    regression.cold_start = Some(cold_start);
    if !c.decided && c.total.verdict == Verdict::Unclear {
        regression.notes.push(format!(
            "undecided after {} runs: the shift ({:+.1} ms) may or may not reach the minimum effect ({:.1} ms); not reported",
            c.new_runs,
            c.total.shift.estimate / 1000.0,
            c.total.min_effect / 1000.0
        ));
    }
    regression.modules = c
        .modules
        .iter()
        .map(|m| ModuleRegression {
            module: m.module.clone(),
            cumulative: finding(&m.cumulative),
            self_delta_us: m.self_shift_us,
            added: m.added,
            changes: Vec::new(),
        })
        .collect();
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet as Set;

    use fastpath_graph::{ModuleKind, Origin, Via};
    use fastpath_profile::importtime;
    use fastpath_profile::runner::{BytecodeReport, EntryOutcome, Interpreter, Measurement, Run};
    use fastpath_profile::stats::{Decision, StoppingRule};

    use super::*;
    use crate::baseline::EntryBaseline;

    /// One run importing `app`, which imports `json`, with `json` taking `json_us`.
    fn run(json_us: u64) -> Run {
        let text = format!(
            "import time: self [us] | cumulative | imported package\n\
import time: {json_us:>9} | {json_us:>10} |   json\n\
import time:       100 | {:>10} | app\n",
            json_us + 100
        );
        Run {
            wall_us: (json_us + 10_000) as f64,
            imports: importtime::parse(&text),
            modules: ["app", "json"].iter().map(|m| m.to_string()).collect(),
            outcome: EntryOutcome::Imported,
        }
    }

    fn measurement(runs: Vec<Run>) -> Measurement {
        Measurement {
            entry: "app".into(),
            interpreter: Interpreter {
                requested: "python3".into(),
                executable: "/usr/bin/python3".into(),
                version: "3.11.7".into(),
                implementation: "cpython".into(),
            },
            warmup: 1,
            runs,
            startup_wall_us: vec![10_000.0],
            pinned: None,
            placement: Default::default(),
            contention: Default::default(),
            bytecode: BytecodeReport::cached("/cache/pycache/0123"),
            env_removed: Vec::new(),
            stopping: StoppingRule::fixed(1),
            decision: Decision::Converged,
            untimed: Vec::new(),
            reattributed: Default::default(),
            files: Default::default(),
        }
    }

    /// Synthetic runs: `json` takes `json_us`, plus a small deterministic wobble.
    struct Synthetic {
        json_us: u64,
        runs: usize,
    }

    impl RunSource for Synthetic {
        fn warm_up(&mut self, _: Side, _: usize) -> Result<Measurement, SourceError> {
            Ok(measurement(vec![run(self.json_us)]))
        }
        fn run(&mut self, side: Side) -> Result<(Run, Option<f64>), SourceError> {
            assert_eq!(
                side,
                Side::Current,
                "a baseline's runs are recorded, not run"
            );
            self.runs += 1;
            let wobble = (self.runs as u64 * 37) % 200;
            Ok((run(self.json_us + wobble), None))
        }
        fn startup_cpu_us(&mut self) -> Result<Option<f64>, SourceError> {
            Ok(None)
        }
    }

    fn cold_path() -> ColdPath {
        let module = |name: &str, via: Option<Via>| fastpath_graph::Module {
            name: name.into(),
            path: Some(PathBuf::from(format!("/p/{name}.py"))),
            origin: Origin::Project,
            kind: ModuleKind::Source,
            via,
        };
        let via = Via {
            module: "app".into(),
            path: "/p/app.py".into(),
            line: 1,
            column: 1,
            context: fastpath_scan::Context::Eager,
            statement: "import json".into(),
            call: None,
        };
        ColdPath {
            entry: "app".into(),
            modules: vec![module("app", None), module("json", Some(via))],
            unresolved: Vec::new(),
            preloaded: Vec::new(),
            edges: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn gate(json_us: u64) -> RegressionGate {
        let mut series = Series::default();
        let mut walls = Vec::new();
        for i in 0..30 {
            let r = run(json_us + (i * 37) % 200);
            walls.push(r.wall_us);
            series.push_run(&r, None);
        }
        let mut baseline = Baseline::new(
            "2026-12-01T00:00:00Z".into(),
            Environment::current("3.11.7", "cpython", "/usr/bin/python3"),
        );
        baseline.entries.insert(
            "app".into(),
            EntryBaseline::new(&series, &walls, vec!["app".into(), "json".into()], None),
        );
        RegressionGate::baseline(
            baseline,
            "fastpath-baseline.json",
            Thresholds::default(),
            Some(40),
            false,
            Err("not a repository".into()),
        )
    }

    #[test]
    fn synthetic_runs_three_times_slower_regress_and_equal_ones_do_not() {
        let path = cold_path();
        let root = Path::new("/p");
        let mut slower = Synthetic {
            json_us: 30_000,
            runs: 0,
        };
        let gated = gate(10_000)
            .entry(
                "app",
                &path,
                ReferencePath::Recorded,
                None,
                Some(&mut slower),
                root,
            )
            .unwrap();
        let regression = gated.regression.expect("a comparison");
        assert!(
            regression.cold_start.as_ref().unwrap().regressed,
            "{regression:?}"
        );
        assert!(regression.modules.iter().any(|m| m.module == "json"));
        assert_eq!(gated.measurement.unwrap().runs.len(), slower.runs);

        let mut same = Synthetic {
            json_us: 10_000,
            runs: 0,
        };
        let gated = gate(10_000)
            .entry(
                "app",
                &path,
                ReferencePath::Recorded,
                None,
                Some(&mut same),
                root,
            )
            .unwrap();
        let regression = gated.regression.unwrap();
        assert!(!regression.cold_start.unwrap().regressed);
        assert_eq!(
            regression.reference_modules,
            Some(Set::from(["app".into(), "json".into()]))
        );
    }

    #[test]
    fn an_entry_missing_from_the_baseline_is_a_warning() {
        let gated = gate(10_000)
            .entry(
                "other",
                &cold_path(),
                ReferencePath::Recorded,
                None,
                None,
                Path::new("/p"),
            )
            .unwrap();
        assert!(gated.regression.is_none());
        assert!(
            gated.warnings[0].contains("has no entry `other`"),
            "{:?}",
            gated.warnings
        );
    }
}
