//! Runs the target interpreter, fresh per run, and collects what each run measured.
//!
//! Each run is `python -X importtime -c <bootstrap> RESULT ROOT ENTRY NONCE` (the bootstrap is
//! `bootstrap.py` beside this file). The bootstrap puts the project root first on `sys.path`,
//! writes a begin marker (with a per-session nonce) to fd 2, points the program's Python-level
//! `sys.stdout`/`sys.stderr` at fd 1, imports the entry, writes an end marker, and reports the
//! interpreter, `sys.modules` and any traceback in a result file. fd 2 therefore carries only
//! CPython's C-level importtime rows (plus whatever C code writes there, which the parser sets
//! aside); the program's own output, even a line that looks like an importtime row, lands in a
//! separate capture that is kept for error messages only.
//!
//! Environment: the user's, as they have it (virtualenvs, `PYTHONPATH`), minus what would
//! corrupt the measurement: `PYTHONPROFILEIMPORTTIME` (double rows and overhead in start-up
//! runs), `PYTHONSTARTUP`, `PYTHONINSPECT` (would wait on a prompt), `PYTHONVERBOSE` (floods
//! fd 2), and `PYTHONDONTWRITEBYTECODE` in the default mode, so that the warm-up writes `.pyc`
//! files as a deployed package has them. It writes them into a private cache
//! (`PYTHONPYCACHEPREFIX`), never into the user's tree: see [`bytecode`], which also covers
//! [`Bytecode::Fresh`] (a package without `.pyc` files) and CPython 3.7, which has no prefix.
//!
//! Each child runs in its own process group, optionally pinned to one CPU (pinning cut the
//! robust CV from 2-19 % to 1-4 % on our machines); on timeout the whole group is killed. The
//! bootstrap ends with `os._exit`, so a non-daemon thread started by the entry cannot keep the
//! process alive, and the process wall time covers start-up and imports, not shutdown.
//! Interpreter start-up alone is measured with [`STARTUP_CODE`] runs (`-c pass` that also
//! skips shutdown, like the bootstrap, so that start-up plus imports adds up to the measured
//! process), interleaved with the first measured runs. Nothing here prints: progress goes to a callback.
//!
//! A module loaded through `importlib.import_module` has no importtime row (that path bypasses
//! the C import timer), yet it loaded: the bootstrap lists the modules the import added to
//! `sys.modules`, and the first warm-up run also installs a meta-path finder that finds nothing
//! but notes, for each name, which module's import was in progress (the innermost module body
//! executing) when it was asked for. Those modules are reported as
//! [`Measurement::untimed`], with that importer; their time is inside their importer's. The
//! modules such a module imports by statement do have rows, nested under the nearest timed
//! import; the finder's answer names their real importer ([`Measurement::reattributed`]).
//!
//! The seams: `protocol` (the bootstrap, its result file and markers), `process` (scratch
//! files, environment, pinning, spawning with a timeout), [`bytecode`] (where `.pyc` files are
//! read and written), `measurement` (the session that runs warm-up, measured and start-up
//! runs), `untimed` (modules without a row) and [`RunError`].

pub mod bytecode;
pub mod contention;
pub mod cpu;
mod error;
mod measurement;
mod process;
mod protocol;
mod untimed;

pub use bytecode::{BytecodeReport, BytecodeSource};
pub use contention::{Contention, ContentionRule};
pub use cpu::Placement;
pub use error::{last_line, RunError};
pub use protocol::{BOOTSTRAP, STARTUP_CODE};

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::importtime::ImportTime;
use crate::observed::ObservedEdge;
use crate::stats::{Decision, StoppingRule};

use measurement::Session;

/// Which CPU, if any, the measured interpreter is pinned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pinning {
    /// Do not pin.
    Off,
    /// Pin to the least-busy CPU this process may run on that no other fastpath process holds,
    /// checked again between runs; unpinned when every one is busy or affinity is unavailable
    /// (see [`cpu`]).
    #[default]
    Auto,
    /// Pin to this CPU; an error if this process may not run on it.
    Cpu(usize),
}

/// Which bytecode the measured runs see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bytecode {
    /// `.pyc` files written by the warm-up runs into a private cache and read by the measured
    /// runs: a deployment with `.pyc` files (see [`bytecode`]).
    #[default]
    Cached,
    /// No `.pyc` at all, nothing written: a deployment without `.pyc` files (see module doc).
    Fresh,
}

/// Everything a measurement needs. Build with [`RunnerConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// The interpreter, as the user named it (a virtualenv's `bin/python` is not resolved
    /// further: resolving its symlink would leave the virtualenv).
    pub python: PathBuf,
    /// Directory put first on `sys.path`; also the child's working directory.
    pub project_root: PathBuf,
    /// Dotted module name whose import is the cold start.
    pub entry: String,
    /// Discarded runs before measuring (they also fill the bytecode cache).
    pub warmup: usize,
    /// How many measured runs.
    pub stopping: StoppingRule,
    /// How many `-c pass` runs measure interpreter start-up.
    pub startup_runs: usize,
    /// Kill a run after this long.
    pub timeout: Duration,
    /// CPU pinning of the child.
    pub pinning: Pinning,
    /// Bytecode mode.
    pub bytecode: Bytecode,
    /// The directory that holds fastpath's persistent bytecode cache (`pycache/KEY` below it,
    /// one per interpreter); `None`: a temporary cache, gone with the measurement (see
    /// [`bytecode`]).
    pub bytecode_cache: Option<PathBuf>,
    /// Variables added to the child's environment (after the removals).
    pub extra_env: Vec<(OsString, OsString)>,
    /// A function of the entry module to call after the import, and the `sys.argv` it sees
    /// (`[name, *args]`): the cold start of a console script or a handler, not only of its
    /// module. `SystemExit` from it is caught.
    pub call: Option<Call>,
    /// When a measured run counts as contended and how many are redone; `None`:
    /// [`ContentionRule::for_runs`] of the stopping rule's maximum.
    pub contention: Option<ContentionRule>,
}

/// A function called after the entry's import (see [`RunnerConfig::call`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `main`, or a dotted attribute path (`App.main`).
    pub function: String,
    /// `sys.argv` for the call, the program name first.
    pub argv: Vec<String>,
}

impl RunnerConfig {
    /// Defaults: 1 warm-up, adaptive 5-40 runs to 2.5 %, 5 start-up runs, 60 s timeout,
    /// pinned, cached bytecode in a temporary cache.
    pub fn new(
        python: impl Into<PathBuf>,
        project_root: impl Into<PathBuf>,
        entry: impl Into<String>,
    ) -> Self {
        RunnerConfig {
            python: python.into(),
            project_root: project_root.into(),
            entry: entry.into(),
            warmup: 1,
            stopping: StoppingRule::default(),
            startup_runs: 5,
            timeout: Duration::from_secs(60),
            pinning: Pinning::Auto,
            bytecode: Bytecode::Cached,
            bytecode_cache: None,
            extra_env: Vec::new(),
            call: None,
            contention: None,
        }
    }
}

/// The interpreter that ran, as it described itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interpreter {
    /// The path the user gave.
    pub requested: PathBuf,
    /// `sys.executable`.
    pub executable: String,
    /// `sys.version_info[:3]`, e.g. `3.11.7`.
    pub version: String,
    /// `sys.implementation.name`, e.g. `cpython`.
    pub implementation: String,
}

/// How the entry's import ended in a run that succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryOutcome {
    /// The import returned.
    Imported,
    /// The import called `sys.exit(0)` (a CLI `__main__` that ran to completion).
    Exited,
}

/// One module's times in one run (see [`Run::module_times`]), in microseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleTime {
    pub self_us: f64,
    pub cumulative_us: f64,
    pub parent: Option<String>,
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Wall time of the whole process, spawn to exit, in microseconds.
    pub wall_us: f64,
    /// The importtime tree of the entry's import (rows between the markers).
    pub imports: ImportTime,
    /// `sys.modules` right after the entry's import.
    pub modules: BTreeSet<String>,
    /// How the import ended.
    pub outcome: EntryOutcome,
}

impl Run {
    /// Which rows of [`Run::imports`] loaded a module: the module is in `sys.modules`
    /// afterwards, and this is its first row in tree order (a module loads once; a later row
    /// of the same name, like any row whose module is absent, is a failed attempt).
    /// Each loaded module's times in this run: its self time with the failed import attempts
    /// made under it folded in (so self times add up to the total), its cumulative time, and
    /// the loaded module whose import was in progress when it loaded.
    pub fn module_times(&self) -> std::collections::BTreeMap<String, ModuleTime> {
        let tree = &self.imports;
        let loaded = self.loaded_nodes();
        let mut extra = vec![0.0; tree.nodes.len()];
        for (id, node) in tree.nodes.iter().enumerate() {
            if !loaded[id] {
                if let Some(owner) = tree.loaded_ancestor(&loaded, id) {
                    extra[owner] += node.self_us as f64;
                }
            }
        }
        tree.nodes
            .iter()
            .enumerate()
            .filter(|(id, _)| loaded[*id])
            .map(|(id, node)| {
                let time = ModuleTime {
                    self_us: node.self_us as f64 + extra[id],
                    cumulative_us: node.cumulative_us as f64,
                    parent: tree
                        .loaded_ancestor(&loaded, id)
                        .map(|p| tree.nodes[p].name.clone()),
                };
                (node.name.clone(), time)
            })
            .collect()
    }

    pub fn loaded_nodes(&self) -> Vec<bool> {
        let mut seen = std::collections::HashSet::new();
        let mut flags = vec![false; self.imports.nodes.len()];
        for id in self.imports.preorder() {
            let name = &self.imports.nodes[id].name;
            if self.modules.contains(name) && seen.insert(name.as_str()) {
                flags[id] = true;
            }
        }
        flags
    }

    /// Time spent importing the entry: the cumulative times of the top-level rows that loaded,
    /// in microseconds.
    pub fn total_us(&self) -> f64 {
        let loaded = self.loaded_nodes();
        self.imports
            .roots
            .iter()
            .filter(|&&r| loaded[r])
            .map(|&r| self.imports.nodes[r].cumulative_us as f64)
            .sum()
    }
}

/// Everything the runs produced, before any statistics.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Entry module.
    pub entry: String,
    /// The interpreter.
    pub interpreter: Interpreter,
    /// Warm-up runs done (discarded).
    pub warmup: usize,
    /// Measured runs, in order.
    pub runs: Vec<Run>,
    /// Wall times of the `-c pass` runs, in microseconds.
    pub startup_wall_us: Vec<f64>,
    /// The CPU the last measured run was pinned to (`None`: unpinned).
    pub pinned: Option<usize>,
    /// Where the runs ran and why (see [`cpu`]).
    pub placement: Placement,
    /// Runs dropped as contended, and whether the measurement itself is (see [`contention`]).
    pub contention: Contention,
    /// Bytecode mode and its caveat.
    pub bytecode: BytecodeReport,
    /// Environment variables that were set here and removed for the child.
    pub env_removed: Vec<String>,
    /// The rule that decided the number of runs.
    pub stopping: StoppingRule,
    /// Why the runs stopped.
    pub decision: Decision,
    /// Modules the import added that have no importtime row (see the module documentation),
    /// with the module whose import was in progress when they loaded, when a warm-up run could
    /// tell (else `None`).
    pub untimed: Vec<ObservedEdge>,
    /// Timed modules whose importer, as the warm-up's finder saw it, is an untimed module:
    /// module -> that importer (importtime nests them under the nearest timed import instead).
    pub reattributed: std::collections::BTreeMap<String, String>,
    /// The file each module the import added was loaded from (its spec's origin), from the
    /// first run. Where the path search would find another file, or none, an import hook
    /// loaded it (awscli's finder loads `awscli/botocore` as `botocore`).
    pub files: std::collections::BTreeMap<String, PathBuf>,
}

/// Which kind of run a progress report or an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// A discarded warm-up run.
    Warmup,
    /// A measured run.
    Measure,
    /// A `-c pass` start-up run.
    Startup,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Warmup => "warm-up",
            Phase::Measure => "measured",
            Phase::Startup => "start-up",
        })
    }
}

/// A progress report, sent after each run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The kind of run that finished.
    pub phase: Phase,
    /// Runs of this phase done so far.
    pub done: usize,
    /// Runs of this phase planned at most (for measured runs: the stopping rule's maximum).
    pub planned: usize,
    /// Median import total so far (measured runs only), in microseconds.
    pub median_total_us: Option<f64>,
}

/// Runs the measurement. Stops at the first failed run with an error that says why.
pub fn measure(
    config: &RunnerConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Measurement, RunError> {
    Session::new(config)?.measure(progress)
}
