//! One way to measure: [`runner_config`] is the only place that turns the project and the
//! measuring flags into the runner's configuration (the entry's roots, the other import roots
//! on `PYTHONPATH`, runs, pinning, timeout, the bytecode cache), so a src layout, `--runs` and
//! `--timeout` mean the same thing in every command that runs the entries; and [`saved`] is
//! the only way a command reads `--profile FILE`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use fastpath_graph::InterpreterInfo;
use fastpath_history::calibration::startup_cpu_us;
use fastpath_history::reference::{RunSource, Side, SourceError};
use fastpath_history::series::children_cpu_us;
use fastpath_profile::runner::{
    measure, Call, ContentionRule, Measurement, Pinning, Run, RunError, RunnerConfig,
};
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
    // The warm-up's `.pyc` files go to fastpath's cache (one per interpreter), never into the
    // project or site-packages; without a cache directory, to a temporary one.
    config.bytecode_cache = fastpath_graph::default_cache_dir();
    // 1. flag  2. `runs` in the file  3. adaptive
    if let Some(runs) = run.runs.or(project.settings.runs) {
        config.stopping = StoppingRule::fixed(runs.max(1) as usize);
    }
    if let (Some(function), Some(args)) = (entry.command_function(), command_args(project, run)) {
        let mut argv = vec![entry.name.clone()];
        argv.extend(args);
        config.call = Some(Call {
            function: function.to_string(),
            argv,
        });
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
    note_what_is_measured(entry, &config, printer);
    if let Some(hint) = deferring_entry_hint(entry, &config) {
        printer.warn(hint);
    }
    printer.progress(format!("measuring `{}` ...", entry.module));
    let measurement = measure(&config, &mut |_| {})
        .map_err(|error| explain_failure(project, error))
        .with_context(|| format!("measuring `{}` failed", entry.module))?;
    Ok(Profile::from_measurement(&measurement))
}

/// Says when a function entry is measured by its import alone.
pub fn note_what_is_measured(entry: &Entry, config: &RunnerConfig, printer: &Printer) {
    if let (Some(function), None) = (entry.command_function(), &config.call) {
        printer.warn(format!(
            "only the import of `{}` is measured, not the imports `{function}()` makes when called: set `args = [...]` in [tool.fastpath] or pass --args (for a CLI, --args=--version)",
            entry.module
        ));
    }
}

/// A hint for an entry module that is tiny and defers its imports into a function (a CLI's
/// `__main__`): measuring its import shows little of the command's cold start, so the hint
/// shows how to measure the command itself.
pub fn deferring_entry_hint(entry: &Entry, config: &RunnerConfig) -> Option<String> {
    if config.call.is_some() || entry.function.is_some() {
        return None;
    }
    let bytes = std::fs::read(entry.file.as_deref()?).ok()?;
    let scan = fastpath_scan::scan_bytes(&bytes, None);
    let count = |context| scan.sites.iter().filter(|s| s.context == context).count();
    let eager = count(fastpath_scan::Context::Eager);
    let deferred = count(fastpath_scan::Context::Deferred);
    // "Tiny": fewer module-level imports than imports deferred into its functions.
    if deferred == 0 || eager >= deferred {
        return None;
    }
    let function = entry.function.clone().unwrap_or_else(|| "main".to_string());
    Some(format!(
        "`{}` makes {deferred} of its {} imports inside functions, so importing it measures little of the command's cold start; measure the command: `entry = \"{}:{function}\"` and `args = [\"--version\"]` in [tool.fastpath] (or `fastpath profile {}:{function} --args=--version`)",
        entry.module,
        scan.sites.len(),
        entry.module,
        entry.module
    ))
}

/// A run's failure, with what the user can do about it: an entry that cannot be imported gets
/// the exception's own line and the settings that decide where its modules come from.
pub fn explain_failure(project: &Project, error: RunError) -> anyhow::Error {
    match &error {
        RunError::EntryRaised {
            entry, traceback, ..
        } => {
            let python = project.info.as_ref().map_or_else(
                || "the interpreter".to_string(),
                |i| i.executable.display().to_string(),
            );
            let src: Vec<String> = project
                .settings
                .src
                .value
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            let missing =
                traceback.contains("ModuleNotFoundError") || traceback.contains("ImportError");
            let hint = if missing {
                format!(
                    "hint: a module was not found. `src` in [tool.fastpath] lists the directories the project's modules live in (now {src:?}, after the root {}); `python` names the interpreter whose packages are used (now {python}): point it at the virtualenv that has the dependencies installed",
                    project.root().display()
                )
            } else {
                format!(
                    "hint: `{entry}` raised while being imported by {python} from {}; check `src` ({src:?}) and `python` in [tool.fastpath]",
                    project.root().display()
                )
            };
            let frames: Vec<&str> = traceback.lines().collect();
            anyhow::anyhow!("{error}\n{hint}\n{}", frames.join("\n"))
        }
        _ => error.into(),
    }
}

/// The arguments a command entry (`pkg.mod:main`) is called with, as `sys.argv[1:]`:
/// 1. `--args`  2. `args` in the file  3. none: the import alone is run.
pub fn command_args(project: &Project, run: &RunArgs) -> Option<Vec<String>> {
    run.args
        .as_deref()
        .map(|a| a.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .or_else(|| project.settings.args.clone())
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
    /// The revision's bytecode cache: its worktree is temporary, and its `.pyc` files would
    /// stay in fastpath's cache under a path that never comes back. Removed with the runs.
    _reference_cache: Option<tempfile::TempDir>,
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
        let reference_cache = reference_root.and_then(|_| {
            tempfile::Builder::new()
                .prefix("fastpath-pycache-")
                .tempdir()
                .ok()
        });
        let reference = reference_root.map(|other| {
            let moved = Entry {
                roots: crate::project::map_roots(&entry.roots, project.root(), other),
                ..entry.clone()
            };
            let mut config = runner_config(project, &info.executable, &moved, run);
            if let Some(cache) = &reference_cache {
                config.bytecode_cache = Some(cache.path().to_path_buf());
            }
            config
        });
        GateRuns {
            current,
            reference,
            _reference_cache: reference_cache,
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
            args: None,
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
            args: None,
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
            args: None,
            timeout: 60.0,
        };
        let config = runner_config(&project, Path::new("python3"), &entry, &run);
        assert!(config.extra_env.iter().all(|(k, _)| k != "PYTHONPATH"));
        assert_eq!(config.stopping, StoppingRule::default());
        assert_eq!(config.call, None);
    }

    #[test]
    fn a_command_entry_is_called_with_args_from_the_flag_then_the_file() {
        let (_dir, project) =
            project("[tool.fastpath]\nentry = \"app:main\"\nargs = [\"--version\"]\n");
        let entry = project.entry("app:main", project.root()).unwrap();
        assert_eq!((entry.module.as_str(), entry.command), ("app", true));
        let mut run = RunArgs {
            runs: None,
            args: None,
            timeout: 60.0,
        };
        let config = runner_config(&project, Path::new("python3"), &entry, &run);
        let call = config.call.expect("called");
        assert_eq!(
            (call.function.as_str(), call.argv),
            (
                "main",
                vec!["app:main".to_string(), "--version".to_string()]
            )
        );
        run.args = Some("run  -v".to_string());
        let config = runner_config(&project, Path::new("python3"), &entry, &run);
        assert_eq!(config.call.unwrap().argv, ["app:main", "run", "-v"]);
    }
}
