//! The regression gate of `fastpath check`, and the steps the accountability commands share:
//! an entry's cold path, measuring it in batches, and blaming the lines of a chain.
//!
//! With a baseline file, the working tree's fresh runs are compared with the baseline's runs
//! (independent samples). With `--against REV`, REV is checked out in a temporary git worktree
//! and REV and the working tree are measured interleaved in the same job (pair `i` runs A B when
//! `i` is even and B A when it is odd, so a linear drift does not favour a side), and the
//! decision is on the paired differences. Either way `fastpath_history::gate` decides, adding
//! runs while unclear, and the result becomes a `Regression` the FP2xx rules read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use fastpath_check::{Measurements, ModuleRegression, Regression, ShiftFinding};
use fastpath_graph::{ColdPath, EntryError, InterpreterInfo};
use fastpath_history::baseline::Baseline;
use fastpath_history::calibration::startup_cpu_us;
use fastpath_history::decision::{Thresholds, Verdict};
use fastpath_history::environment::{differences, Environment};
use fastpath_history::gate::{sequential, Assessment, Comparison, Mode, Plan};
use fastpath_history::git::{BlameLine, GitCommand, GitError, Repository, Worktree};
use fastpath_history::series::{children_cpu_us, Series};
use fastpath_profile::runner::{measure, Measurement, Run, RunnerConfig};
use fastpath_profile::stats::StoppingRule;
use fastpath_profile::Profile;

use crate::cli::CheckArgs;
use crate::commands::check::measurements_of;
use crate::commands::shared::cold_path_of;
use crate::printer::Printer;
use crate::settings::Settings;

/// git, reached through `fastpath_history`'s trait.
pub(crate) static GIT: GitCommand = GitCommand;

/// A runner for `module` under `root` with the interpreter `info` names.
pub(crate) fn runner(
    info: &InterpreterInfo,
    root: &Path,
    module: &str,
    timeout: u64,
) -> RunnerConfig {
    let mut config = RunnerConfig::new(info.executable.clone(), root.to_path_buf(), module);
    config.timeout = Duration::from_secs(timeout);
    config
}

/// `runs` measured runs after `warmup` discarded ones, with `startup` `-c pass` runs.
pub(crate) fn measure_batch(
    config: &RunnerConfig,
    runs: usize,
    warmup: usize,
    startup: usize,
) -> Result<Measurement> {
    let mut config = config.clone();
    config.warmup = warmup;
    config.stopping = StoppingRule::fixed(runs);
    config.startup_runs = startup;
    measure(&config, &mut |_| {}).with_context(|| {
        format!(
            "measuring `{}` in {} failed",
            config.entry,
            config.project_root.display()
        )
    })
}

/// One measured run (no warm-up), with its process's CPU time (from the CPU time of reaped
/// children, which grows by exactly that interpreter's).
pub(crate) fn measured_run(config: &RunnerConfig) -> Result<(Run, Option<f64>)> {
    let before = children_cpu_us();
    let batch = measure_batch(config, 1, 0, 0)?;
    let cpu = before.zip(children_cpu_us()).map(|(b, a)| a - b);
    let run = batch.runs.into_iter().next().context("a measured run")?;
    Ok((run, cpu))
}

/// A warm-up run (it writes the `.pyc` files) and `startup` start-up runs; the measurement is
/// the template the later runs are merged into.
pub(crate) fn warm_up(config: &RunnerConfig, startup: usize) -> Result<Measurement> {
    measure_batch(config, 1, 1, startup)
}

/// A measurement made of several batches: the first batch's description with every run.
fn merged(first: Measurement, runs: Vec<Run>) -> Measurement {
    Measurement { runs, ..first }
}

/// Who wrote each line asked for, as sentences keyed by `(path, line)`; lines outside the
/// repository are left out, and without a repository every line gets the reason.
pub(crate) fn blame_lines(
    repo: &Result<Repository<'static>, String>,
    lines: impl IntoIterator<Item = (PathBuf, u32)>,
) -> BTreeMap<(PathBuf, u32), BlameLineOrReason> {
    let mut by_file: BTreeMap<PathBuf, Vec<u32>> = BTreeMap::new();
    for (path, line) in lines {
        by_file.entry(path).or_default().push(line);
    }
    let mut out = BTreeMap::new();
    for (path, lines) in by_file {
        match repo {
            Ok(repo) => {
                if repo.relative(&path).is_none() {
                    continue;
                }
                match repo.blame(&path, &lines) {
                    Ok(found) => {
                        for line in lines {
                            let answer = match found.get(&line) {
                                Some(b) => BlameLineOrReason::Line(b.clone()),
                                None => BlameLineOrReason::Reason(
                                    "git has no history for this line (an untracked file?)"
                                        .to_string(),
                                ),
                            };
                            out.insert((path.clone(), line), answer);
                        }
                    }
                    Err(e) => {
                        for line in lines {
                            out.insert(
                                (path.clone(), line),
                                BlameLineOrReason::Reason(format!("git blame failed: {e}")),
                            );
                        }
                    }
                }
            }
            Err(reason) => {
                for line in lines {
                    out.insert(
                        (path.clone(), line),
                        BlameLineOrReason::Reason(reason.clone()),
                    );
                }
            }
        }
    }
    out
}

/// A line's blame, or why there is none.
#[derive(Debug, Clone)]
pub(crate) enum BlameLineOrReason {
    Line(BlameLine),
    Reason(String),
}

impl BlameLineOrReason {
    pub(crate) fn sentence(&self) -> String {
        match self {
            BlameLineOrReason::Line(line) => line.sentence(),
            BlameLineOrReason::Reason(reason) => format!("who wrote it is unknown: {reason}"),
        }
    }
}

/// The repository around `dir`, or why there is none (said to the user as is).
pub(crate) fn repository(dir: &Path) -> Result<Repository<'static>, String> {
    Repository::discover(&GIT, dir).map_err(|e| match e {
        GitError::NotARepository { path } => {
            format!("{} is not inside a git repository", path.display())
        }
        other => other.to_string(),
    })
}

/// What `check` compares with.
enum Reference {
    Baseline {
        display: String,
        baseline: Baseline,
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
pub(crate) struct Gate {
    reference: Reference,
    thresholds: Thresholds,
    max_runs: Option<usize>,
    force: bool,
    repo: Result<Repository<'static>, String>,
}

/// What the gate contributes to one entry's context.
#[derive(Default)]
pub(crate) struct Gated {
    /// Measurements of the working tree made by the gate (`None`: measure as usual).
    pub measurements: Option<Measurements>,
    pub regression: Option<Regression>,
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

impl Gate {
    /// The gate `check` asked for: `--against REV`, else the baseline file when it exists.
    pub(crate) fn open(
        settings: &Settings,
        args: &CheckArgs,
        printer: &Printer,
    ) -> Result<Option<Gate>> {
        let repo = repository(&settings.root);
        let reference = if let Some(rev) = &args.against {
            let Ok(repository) = &repo else {
                bail!(
                    "--against {rev} needs a git repository: {}",
                    repo.as_ref().err().cloned().unwrap_or_default()
                );
            };
            let root = settings
                .root
                .canonicalize()
                .unwrap_or_else(|_| settings.root.clone());
            let relative = root
                .strip_prefix(&repository.root)
                .map(Path::to_path_buf)
                .unwrap_or_default();
            printer.progress(format!("checking out `{rev}` in a temporary worktree ..."));
            let worktree = repository
                .worktree(rev)
                .with_context(|| format!("--against {rev}"))?;
            let root = worktree.path.join(&relative);
            if !root.is_dir() {
                bail!(
                    "--against {rev}: `{rev}` has no directory {}; the project did not exist there",
                    relative.display()
                );
            }
            Reference::Revision {
                rev: rev.clone(),
                root,
                worktree,
            }
        } else {
            let path = &settings.baseline.value;
            let Some(baseline) = Baseline::read(path)? else {
                if settings.baseline.source != crate::settings::Source::Default {
                    printer.warn(format!(
                        "the baseline {} does not exist: record it with `fastpath baseline`",
                        path.display()
                    ));
                }
                return Ok(None);
            };
            let name = path
                .strip_prefix(&settings.root)
                .unwrap_or(path)
                .display()
                .to_string();
            let recorded = baseline.created.get(..10).unwrap_or(&baseline.created);
            let at = baseline
                .commit
                .as_deref()
                .map(|c| format!(" at {}", short(c)))
                .unwrap_or_default();
            Reference::Baseline {
                display: format!("the baseline {name} (recorded {recorded}{at})"),
                baseline,
                environment_checked: false,
            }
        };
        Ok(Some(Gate {
            reference,
            thresholds: settings.regression,
            max_runs: settings.regression_max_runs.map(|r| r as usize),
            force: args.force,
            repo,
        }))
    }

    /// Compares one entry with the reference, measuring when `check` measures.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn entry(
        &mut self,
        args: &CheckArgs,
        info: Option<&InterpreterInfo>,
        module: &str,
        roots: &[PathBuf],
        path: &ColdPath,
        root: &Path,
        printer: &Printer,
    ) -> Result<Gated> {
        let measure = !args.static_only && args.profile.is_none() && info.is_some();
        let mut notes = Vec::new();
        let (reference_modules, comparison, measurement, reference, since) = match &mut self
            .reference
        {
            Reference::Baseline {
                display,
                baseline,
                environment_checked,
            } => {
                let Some(recorded) = baseline.entries.get(module) else {
                    printer.warn(format!(
                        "{display} has no entry `{module}`: record it again with `fastpath baseline`"
                    ));
                    return Ok(Gated::default());
                };
                if let Some(info) = info {
                    let current = Environment::current(
                        &info.version,
                        &info.implementation,
                        &info.executable.display().to_string(),
                    );
                    let diff = differences(&baseline.environment, &current);
                    if !diff.blocking.is_empty() {
                        if !self.force {
                            bail!(
                                "{display} cannot be compared with this run: {}; record a new baseline with `fastpath baseline`, or pass --force to compare anyway",
                                diff.blocking.join("; ")
                            );
                        }
                        if !*environment_checked {
                            printer.warn(format!(
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
                            printer.warn(format!("{display}: {minor}"));
                        }
                    }
                    *environment_checked = true;
                }
                let reference_modules: BTreeSet<String> =
                    recorded.cold_path.iter().cloned().collect();
                let mut result = None;
                if let (true, Some(info)) = (measure, info) {
                    let plan = self
                        .max_runs
                        .map_or(Plan::INDEPENDENT, |m| Plan::INDEPENDENT.with_max(m));
                    let config = runner(info, root, module, args.timeout);
                    let mut base = recorded.series();
                    let mut new = Series::default();
                    let mut first: Option<Measurement> = None;
                    let mut runs: Vec<Run> = Vec::new();
                    printer.progress(format!("measuring `{module}` against {display} ..."));
                    let comparison = sequential(
                        Mode::Independent,
                        plan,
                        &self.thresholds,
                        &mut base,
                        &mut new,
                        |_, new, k| -> Result<()> {
                            if first.is_none() {
                                first = Some(warm_up(&config, 5)?);
                            }
                            for _ in 0..k {
                                let (run, cpu) = measured_run(&config)?;
                                new.push_run(&run, cpu);
                                runs.push(run);
                                if let Some(s) = startup_cpu_us(&info.executable)? {
                                    new.startup_cpu_us.push(s);
                                }
                            }
                            Ok(())
                        },
                    )?;
                    result = comparison.zip(first.map(|f| merged(f, runs)));
                }
                let (comparison, measurement) = match result {
                    Some((c, m)) => (Some(c), Some(m)),
                    None => (None, None),
                };
                (
                    reference_modules,
                    comparison,
                    measurement,
                    display.clone(),
                    baseline.commit.clone(),
                )
            }
            Reference::Revision {
                rev,
                root: rev_root,
                worktree,
            } => {
                let display = format!("`{rev}` ({})", short(&worktree.commit));
                let mapped: Vec<PathBuf> = roots
                    .iter()
                    .map(|r| match r.strip_prefix(root) {
                        Ok(rel) => rev_root.join(rel),
                        Err(_) => r.clone(),
                    })
                    .collect();
                let rev_path = match cold_path_of(module, &mapped, info) {
                    Ok(p) => p,
                    Err(EntryError::NotFound(_)) => {
                        printer.warn(format!(
                            "`{module}` does not exist at {display}: nothing to compare it with"
                        ));
                        return Ok(Gated::default());
                    }
                    Err(e) => return Err(e).with_context(|| format!("the cold path at {display}")),
                };
                let reference_modules: BTreeSet<String> =
                    rev_path.modules.iter().map(|m| m.name.clone()).collect();
                let mut result = None;
                if let (true, Some(info)) = (measure, info) {
                    let plan = self
                        .max_runs
                        .map_or(Plan::PAIRED, |m| Plan::PAIRED.with_max(m));
                    let config_a = runner(info, rev_root, module, args.timeout);
                    let config_b = runner(info, root, module, args.timeout);
                    let mut a = Series::default();
                    let mut b = Series::default();
                    let mut first: Option<Measurement> = None;
                    let mut runs: Vec<Run> = Vec::new();
                    printer.progress(format!(
                        "measuring `{module}` at {display} and in the working tree, interleaved ..."
                    ));
                    let comparison = sequential(
                        Mode::Paired,
                        plan,
                        &self.thresholds,
                        &mut a,
                        &mut b,
                        |a, b, k| -> Result<()> {
                            let at_rev = |what: Result<(Run, Option<f64>)>| {
                                what.with_context(|| format!("measuring `{module}` at {display}"))
                            };
                            if first.is_none() {
                                at_rev(warm_up(&config_a, 0).map(|m| (m.runs[0].clone(), None)))?;
                                first = Some(warm_up(&config_b, 5)?);
                            }
                            for _ in 0..k {
                                // A B, then B A: a drift within the job favours neither side.
                                let (ra, rb) = if b.len() % 2 == 0 {
                                    let ra = at_rev(measured_run(&config_a))?;
                                    (ra, measured_run(&config_b)?)
                                } else {
                                    let rb = measured_run(&config_b)?;
                                    (at_rev(measured_run(&config_a))?, rb)
                                };
                                a.push_run(&ra.0, ra.1);
                                b.push_run(&rb.0, rb.1);
                                runs.push(rb.0);
                                // Start-up CPU, shared by both sides: it tells the imports' own
                                // CPU time, which the minimum effect is a share of.
                                if let Some(s) = startup_cpu_us(&info.executable)? {
                                    a.startup_cpu_us.push(s);
                                    b.startup_cpu_us.push(s);
                                }
                            }
                            Ok(())
                        },
                    )?;
                    result = comparison.zip(first.map(|f| merged(f, runs)));
                }
                let since = Some(worktree.commit.clone());
                let (comparison, measurement) = match result {
                    Some((c, m)) => (Some(c), Some(m)),
                    None => (None, None),
                };
                (reference_modules, comparison, measurement, display, since)
            }
        };
        let mut regression = Regression {
            reference: reference.clone(),
            reference_modules: Some(reference_modules.clone()),
            notes,
            ..Regression::default()
        };
        if let Some(c) = &comparison {
            self.fill(&mut regression, c);
        }
        // Who wrote the lines the findings will point at.
        let mut lines: Vec<(PathBuf, u32)> = Vec::new();
        for m in &path.modules {
            let Some(via) = &m.via else { continue };
            let responsible = regression.modules.iter().any(|r| r.module == m.name);
            // A new module where it enters (its importer was there before), as FP203 reports.
            let entering =
                !reference_modules.contains(&m.name) && reference_modules.contains(&via.module);
            if responsible || entering {
                lines.push((via.path.clone(), via.line));
            }
        }
        regression.blame = blame_lines(&self.repo, lines)
            .into_iter()
            .map(|(k, v)| (k, v.sentence()))
            .collect();
        // What changed in each responsible module's own file since the reference's commit.
        if let (Ok(repo), Some(since)) = (&self.repo, &since) {
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
                let shown: Vec<(u32, u32)> =
                    ranges.into_iter().filter(|r| r.1 > 0).take(3).collect();
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
        let measurements = measurement.map(|m| measurements_of(&Profile::from_measurement(&m)));
        Ok(Gated {
            measurements,
            regression: Some(regression),
        })
    }

    fn fill(&self, regression: &mut Regression, c: &Comparison) {
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
}
