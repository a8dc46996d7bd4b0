//! One way to measure: [`runner_config`] is the only place that turns the project and the
//! measuring flags into the runner's configuration (the entry's roots, the other import roots
//! on `PYTHONPATH`, runs, pinning, timeout), so a src layout, `--runs` and `--timeout` mean the
//! same thing in every command that runs the entries; and [`saved`] is the only way a command
//! reads `--profile FILE`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use fastpath_graph::InterpreterInfo;
use fastpath_history::calibration::startup_cpu_us;
use fastpath_history::reference::{RunSource, Side, SourceError};
use fastpath_history::series::children_cpu_us;
use fastpath_profile::runner::{measure, ContentionRule, Measurement, Pinning, Run, RunnerConfig};
use fastpath_profile::saved::SavedProfile;
use fastpath_profile::stats::StoppingRule;
use fastpath_profile::Profile;

use crate::cli::{MeasureArgs, RunArgs};
use crate::printer::Printer;
use crate::project::{Entry, Project};

/// Where a command's figures come from.
pub enum Measured {
    /// Nothing was measured (`--static`, or no interpreter).
    Static,
    /// `--profile FILE`.
    Saved(Box<SavedProfile>),
    /// Fresh runs now.
    Fresh(Box<Profile>),
}

impl Measured {
    /// The figures, fresh or saved.
    pub fn figures(&self) -> Option<SavedProfile> {
        match self {
            Measured::Static => None,
            Measured::Saved(saved) => Some((**saved).clone()),
            Measured::Fresh(profile) => Some(SavedProfile::of(profile)),
        }
    }
}

/// The runner's configuration for `entry` run by `python` (see the module doc). `entry.roots`
/// come from the project, or from the same project in another tree (`check --against`).
pub fn runner_config(
    project: &Project,
    python: &Path,
    entry: &Entry,
    run: &RunArgs,
) -> RunnerConfig {
    // The entry's own root goes first (the child's working directory and first `sys.path`
    // entry; for a file path, the root its package structure needs); the other roots follow on
    // PYTHONPATH, before the interpreter's own path, as the static graph searches them.
    let first = entry
        .roots
        .first()
        .cloned()
        .unwrap_or_else(|| project.root().to_path_buf());
    let mut config = RunnerConfig::new(python.to_path_buf(), first, entry.module.clone());
    config.timeout = Duration::from_secs_f64(run.timeout);
    // 1. flag  2. `runs` in the file  3. adaptive
    if let Some(runs) = run.runs.or(project.settings.runs) {
        config.stopping = StoppingRule::fixed(runs.max(1) as usize);
    }
    if entry.roots.len() > 1 {
        let mut paths: Vec<PathBuf> = entry.roots[1..].to_vec();
        if let Some(existing) = std::env::var_os("PYTHONPATH") {
            paths.extend(std::env::split_paths(&existing));
        }
        if let Ok(joined) = std::env::join_paths(paths) {
            config
                .extra_env
                .push((OsString::from("PYTHONPATH"), joined));
        }
    }
    config
}

/// Measures importing `entry` in fresh interpreters: a fixed number of runs when `--runs` (or
/// `runs` in the configuration) says so, else adaptive.
pub fn fresh(
    project: &Project,
    info: &InterpreterInfo,
    entry: &Entry,
    run: &RunArgs,
    printer: &Printer,
) -> Result<Profile> {
    let config = runner_config(project, &info.executable, entry, run);
    printer.progress(format!("measuring `{}` ...", entry.module));
    let measurement = measure(&config, &mut |_| {})
        .with_context(|| format!("measuring `{}` failed", entry.module))?;
    Ok(Profile::from_measurement(&measurement))
}

/// `--profile FILE`, read once.
pub fn saved(args: &MeasureArgs) -> Result<Option<SavedProfile>> {
    args.profile
        .as_deref()
        .map(|path| SavedProfile::read(path).map_err(|e| anyhow!("--profile {e}")))
        .transpose()
}

/// The figures for one entry: none with `static_only`; the saved profile when there is one;
/// else fresh runs when there is an interpreter (without one, `None` and a warning that says
/// what is `skipped`).
pub fn figures(
    project: &Project,
    entry: &Entry,
    saved: Option<&SavedProfile>,
    run: &RunArgs,
    static_only: bool,
    skipped: &str,
    printer: &Printer,
) -> Result<Measured> {
    if static_only {
        return Ok(Measured::Static);
    }
    if let Some(saved) = saved {
        return Ok(Measured::Saved(Box::new(saved.clone())));
    }
    match &project.info {
        Some(info) => Ok(Measured::Fresh(Box::new(fresh(
            project, info, entry, run, printer,
        )?))),
        None => {
            printer.warn(format!("no interpreter: {skipped}"));
            Ok(Measured::Static)
        }
    }
}

/// The regression gate's runs: real interpreters, configured like every other measurement,
/// for the working tree and (with `check --against REV`) the revision's worktree.
pub struct GateRuns {
    current: RunnerConfig,
    reference: Option<RunnerConfig>,
    python: PathBuf,
    /// The CPU the first batch chose, kept by every later one: the gate measures one run per
    /// batch, and a fresh choice per run would cost a 100 ms look at the machine each time and
    /// could move the two sides of a pair apart.
    pinning: std::cell::Cell<Option<Pinning>>,
}

impl GateRuns {
    /// Runs of `entry` here, and under `reference_root` when comparing with a revision.
    pub fn new(
        project: &Project,
        info: &InterpreterInfo,
        entry: &Entry,
        run: &RunArgs,
        reference_root: Option<&Path>,
    ) -> GateRuns {
        let current = runner_config(project, &info.executable, entry, run);
        let reference = reference_root.map(|other| {
            let moved = Entry {
                module: entry.module.clone(),
                roots: crate::project::map_roots(&entry.roots, project.root(), other),
            };
            runner_config(project, &info.executable, &moved, run)
        });
        GateRuns {
            current,
            reference,
            python: info.executable.clone(),
            pinning: std::cell::Cell::new(None),
        }
    }

    fn config(&self, side: Side) -> &RunnerConfig {
        match side {
            Side::Reference => self.reference.as_ref().unwrap_or(&self.current),
            Side::Current => &self.current,
        }
    }

    /// `runs` measured runs after `warmup` discarded ones, with `startup` `-c pass` runs.
    fn batch(
        &self,
        side: Side,
        runs: usize,
        warmup: usize,
        startup: usize,
    ) -> Result<Measurement, SourceError> {
        let mut config = self.config(side).clone();
        config.warmup = warmup;
        config.stopping = StoppingRule::fixed(runs);
        config.startup_runs = startup;
        if let Some(pinning) = self.pinning.get() {
            config.pinning = pinning;
        }
        // The gate judges each run's contention itself (CPU time per run): the runner redoes
        // none, so a batch of one is one interpreter.
        config.contention = Some(ContentionRule {
            max_redo: 0,
            ..ContentionRule::for_runs(runs)
        });
        let measurement = measure(&config, &mut |_| {}).map_err(|e| -> SourceError {
            format!(
                "measuring `{}` in {} failed: {e}",
                config.entry,
                config.project_root.display()
            )
            .into()
        })?;
        if self.pinning.get().is_none() {
            self.pinning
                .set(Some(measurement.pinned.map_or(Pinning::Off, Pinning::Cpu)));
        }
        Ok(measurement)
    }
}

impl RunSource for GateRuns {
    fn warm_up(&mut self, side: Side, startup: usize) -> Result<Measurement, SourceError> {
        self.batch(side, 1, 1, startup)
    }

    /// One run, with its process's CPU time (from the CPU time of reaped children, which grows
    /// by exactly that interpreter's).
    fn run(&mut self, side: Side) -> Result<(Run, Option<f64>), SourceError> {
        let before = children_cpu_us();
        let batch = self.batch(side, 1, 0, 0)?;
        let cpu = before.zip(children_cpu_us()).map(|(b, a)| a - b);
        let run = batch.runs.into_iter().next().ok_or("a measured run")?;
        Ok((run, cpu))
    }

    fn startup_cpu_us(&mut self) -> Result<Option<f64>, SourceError> {
        Ok(startup_cpu_us(&self.python)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ManifestLocation;
    use crate::settings::{Overrides, Settings};

    fn project(config: &str) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), config).unwrap();
        let settings = Settings::resolve(dir.path(), &Overrides::default()).unwrap();
        let project = Project {
            cwd: dir.path().to_path_buf(),
            info: None,
            manifest: ManifestLocation {
                path: settings.manifest.value.clone(),
                module: "fast_path".into(),
            },
            observed: Vec::new(),
            hooked: Vec::new(),
            settings,
        };
        (dir, project)
    }

    #[test]
    fn src_roots_go_on_pythonpath_and_runs_come_from_the_flag_then_the_file() {
        let (dir, project) =
            project("[tool.fastpath]\nentry = \"mypkg.cli\"\nsrc = [\"src\"]\nruns = 7\n");
        let entry = project.entry("mypkg.cli", project.root()).unwrap();
        let run = RunArgs {
            runs: None,
            timeout: 2.5,
        };
        let config = runner_config(&project, Path::new("python3"), &entry, &run);
        assert_eq!(config.project_root, dir.path());
        assert_eq!(config.entry, "mypkg.cli");
        assert_eq!(config.timeout, Duration::from_millis(2500));
        assert_eq!(config.stopping, StoppingRule::fixed(7));
        let pythonpath = config
            .extra_env
            .iter()
            .find(|(k, _)| k == "PYTHONPATH")
            .map(|(_, v)| std::env::split_paths(v).next().unwrap())
            .expect("PYTHONPATH set");
        assert_eq!(pythonpath, dir.path().join("src"));
        let flag = RunArgs {
            runs: Some(3),
            timeout: 60.0,
        };
        let config = runner_config(&project, Path::new("python3"), &entry, &flag);
        assert_eq!(config.stopping, StoppingRule::fixed(3));
    }

    #[test]
    fn without_src_or_runs_the_defaults_stand() {
        let (_dir, project) = project("[tool.fastpath]\nentry = \"app\"\n");
        let entry = project.entry("app", project.root()).unwrap();
        let run = RunArgs {
            runs: None,
            timeout: 60.0,
        };
        let config = runner_config(&project, Path::new("python3"), &entry, &run);
        assert!(config.extra_env.iter().all(|(k, _)| k != "PYTHONPATH"));
        assert_eq!(config.stopping, StoppingRule::default());
    }
}
