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
//! files as a deployed package has them. [`Bytecode::Fresh`] measures the opposite case, a
//! package without `.pyc` files: `-B` plus an empty `PYTHONPYCACHEPREFIX` (3.8+) makes every
//! module compile from source and write nothing, standard library included (an upper bound). On
//! 3.7, which has no cache prefix, only `-B` applies and existing `.pyc` files are still read;
//! the measurement says so.
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

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::importtime::{self, ImportTime};
use crate::observed::ObservedEdge;
use crate::stats::{Decision, StoppingRule};

/// The Python program each run executes with `-c`.
pub const BOOTSTRAP: &str = include_str!("bootstrap.py");

/// What a start-up run executes: nothing, then `os._exit` as the bootstrap does (interpreter
/// shutdown is no part of a cold start). `os` is already loaded by `site` at start-up, so the
/// import costs nothing.
pub const STARTUP_CODE: &str = "import os; os._exit(0)";

/// Variables removed from the child's environment in every mode.
const ALWAYS_REMOVED: [&str; 4] = [
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONSTARTUP",
    "PYTHONINSPECT",
    "PYTHONVERBOSE",
];

/// How much of the program's captured output is kept for error messages.
const OUTPUT_TAIL_BYTES: u64 = 16 * 1024;

/// Which CPU, if any, the measured interpreter is pinned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pinning {
    /// Do not pin.
    Off,
    /// Pin to the highest-numbered CPU this process may run on (CPU 0 tends to take more
    /// interrupts). Falls back to not pinning where affinity is unavailable.
    #[default]
    Auto,
    /// Pin to this CPU; an error if this process may not run on it.
    Cpu(usize),
}

/// Which bytecode the measured runs see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bytecode {
    /// The usual `__pycache__`, written by the warm-up runs: a deployment with `.pyc` files.
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
    /// Discarded runs before measuring (they also write `.pyc` files).
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
    /// Variables added to the child's environment (after the removals).
    pub extra_env: Vec<(OsString, OsString)>,
    /// A function of the entry module to call after the import, and the `sys.argv` it sees
    /// (`[name, *args]`): the cold start of a console script or a handler, not only of its
    /// module. `SystemExit` from it is caught.
    pub call: Option<Call>,
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
    /// pinned, cached bytecode.
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
            extra_env: Vec::new(),
            call: None,
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

/// What the bytecode mode actually did on this interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BytecodeReport {
    /// The mode asked for.
    pub mode: Bytecode,
    /// A caveat, when the interpreter could not do exactly that.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// The CPU the children were pinned to.
    pub pinned: Option<usize>,
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

/// Why a measurement failed. Messages name the entry, interpreter or file involved.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The entry is not a dotted module name.
    #[error(
        "`{entry}` is not a module name (expected dotted identifiers, e.g. `app` or `pkg.handler`)"
    )]
    InvalidEntry {
        /// What was given.
        entry: String,
    },
    /// The project root is unusable.
    #[error("project root {}: {source}", path.display())]
    ProjectRoot {
        /// The root given.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The interpreter could not be started.
    #[error("could not start the interpreter {}: {source}", python.display())]
    Spawn {
        /// The interpreter given.
        python: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Scratch files could not be created or read.
    #[error("scratch file {}: {source}", path.display())]
    Scratch {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// CPU pinning was asked for a CPU this process may not use.
    #[error("cannot pin to CPU {cpu}: {reason}")]
    Pin {
        /// The CPU asked for.
        cpu: usize,
        /// Why not.
        reason: String,
    },
    /// The interpreter cannot report import times.
    #[error("{} ({}) cannot be profiled: {reason}", python.display(), version.as_deref().unwrap_or("unknown version"))]
    Unsupported {
        /// The interpreter given.
        python: PathBuf,
        /// Its version, when it could tell.
        version: Option<String>,
        /// Why.
        reason: String,
    },
    /// Importing the entry raised.
    #[error(
        "importing `{entry}` raised {} ({phase} run {run})",
        last_line(traceback)
    )]
    EntryRaised {
        /// The entry.
        entry: String,
        /// Which kind of run.
        phase: Phase,
        /// 1-based run number within the phase.
        run: usize,
        /// The Python traceback.
        traceback: String,
        /// The tail of the program's own output.
        output: String,
    },
    /// A run did not finish in time and was killed.
    #[error("`{entry}` hung: the {phase} run {run} was killed after {:.1} s{}", timeout.as_secs_f64(), if *imported { " (the import had finished; the process did not exit)" } else { " while importing" })]
    Hung {
        /// The entry.
        entry: String,
        /// Which kind of run.
        phase: Phase,
        /// 1-based run number within the phase.
        run: usize,
        /// The timeout that expired.
        timeout: Duration,
        /// Whether the end marker was seen before the kill.
        imported: bool,
        /// The tail of the program's own output.
        output: String,
    },
    /// The interpreter ended without reporting (crash, signal, or a failure before the entry).
    #[error("the interpreter {} ended abnormally ({}) during the {phase} run {run} of `{entry}`{}", python.display(), describe_status(status), tail_note(stderr))]
    Crashed {
        /// The interpreter given.
        python: PathBuf,
        /// The entry.
        entry: String,
        /// Which kind of run.
        phase: Phase,
        /// 1-based run number within the phase.
        run: usize,
        /// Exit status.
        status: ExitStatus,
        /// The tail of fd 2.
        stderr: String,
        /// The tail of the program's own output.
        output: String,
    },
    /// The bootstrap's report could not be understood.
    #[error("unreadable run report {}: {message}", path.display())]
    Protocol {
        /// The report file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

fn tail_note(stderr: &str) -> String {
    let trimmed = stderr.trim();
    if trimmed.is_empty() {
        String::new()
    } else {
        format!(":\n{trimmed}")
    }
}

/// Whether `entry` is a dotted Python identifier.
fn valid_entry(entry: &str) -> bool {
    !entry.is_empty()
        && entry.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

/// Scratch files shared by the runs of one measurement.
struct Scratch {
    dir: tempfile::TempDir,
    nonce: String,
}

impl Scratch {
    fn new() -> Result<Scratch, RunError> {
        let dir = tempfile::Builder::new()
            .prefix("fastpath-profile-")
            .tempdir()
            .map_err(|source| RunError::Scratch {
                path: std::env::temp_dir(),
                source,
            })?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let nonce = format!("{:x}-{:x}", std::process::id(), nanos);
        Ok(Scratch { dir, nonce })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn create(&self, name: &str) -> Result<File, RunError> {
        let path = self.path(name);
        File::create(&path).map_err(|source| RunError::Scratch { path, source })
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, RunError> {
        let path = self.path(name);
        fs::read(&path).map_err(|source| RunError::Scratch { path, source })
    }
}

/// The last `OUTPUT_TAIL_BYTES` of a capture file, lossily decoded.
fn tail(path: &Path) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let start = len.saturating_sub(OUTPUT_TAIL_BYTES);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if start > 0 {
        format!("[... {start} earlier bytes of output omitted ...]\n{text}")
    } else {
        text
    }
}

/// How a child ended.
struct Finished {
    status: ExitStatus,
    wall: Duration,
    timed_out: bool,
}

/// CPUs this process may run on.
#[cfg(target_os = "linux")]
fn allowed_cpus() -> Option<Vec<usize>> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
        Some((0..max).filter(|&cpu| libc::CPU_ISSET(cpu, &set)).collect())
    }
}

#[cfg(not(target_os = "linux"))]
fn allowed_cpus() -> Option<Vec<usize>> {
    None
}

/// Decides the CPU to pin to.
fn choose_cpu(pinning: Pinning) -> Result<Option<usize>, RunError> {
    match pinning {
        Pinning::Off => Ok(None),
        Pinning::Auto => Ok(allowed_cpus().and_then(|cpus| cpus.last().copied())),
        Pinning::Cpu(cpu) => match allowed_cpus() {
            Some(cpus) if cpus.contains(&cpu) => Ok(Some(cpu)),
            Some(cpus) => Err(RunError::Pin {
                cpu,
                reason: format!("this process may only run on CPUs {cpus:?}"),
            }),
            None => Err(RunError::Pin {
                cpu,
                reason: "CPU affinity is not available on this system".to_string(),
            }),
        },
    }
}

/// Pins the calling process (the child, between fork and exec) to `cpu`.
#[cfg(target_os = "linux")]
fn pin_self(cpu: usize) -> io::Result<()> {
    // SAFETY: only async-signal-safe work between fork and exec: bit operations on a local
    // cpu_set_t and one system call.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn pin_self(_cpu: usize) -> io::Result<()> {
    Ok(())
}

/// Kills every process in the group led by `pid` (ignores a group that is already gone).
fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: plain system call; a negative pid addresses the process group.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn describe_status(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "unknown status".to_string(),
    }
}

/// The bootstrap's result file, parsed.
#[derive(Debug, Default)]
struct Report {
    version: String,
    implementation: String,
    executable: String,
    status: String,
    modules: BTreeSet<String>,
    traceback: String,
    /// Modules the import added, under their own names.
    new: Vec<String>,
    /// Module -> the module whose import was in progress when it was first asked for (`""`:
    /// the bootstrap itself).
    asked: std::collections::BTreeMap<String, String>,
    /// Module -> the file it was loaded from, for the modules the import added.
    files: std::collections::BTreeMap<String, PathBuf>,
}

/// Parses `key LEN\n<LEN bytes>\n` records.
fn parse_report(bytes: &[u8], path: &Path) -> Result<Report, RunError> {
    let bad = |message: String| RunError::Protocol {
        path: path.to_path_buf(),
        message,
    };
    let mut report = Report::default();
    let mut seen = BTreeSet::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let newline = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("truncated record header".to_string()))?;
        let header = std::str::from_utf8(&rest[..newline])
            .map_err(|_| bad("record header is not text".to_string()))?;
        let (key, len) = header
            .split_once(' ')
            .ok_or_else(|| bad(format!("bad record header `{header}`")))?;
        let len: usize = len
            .parse()
            .map_err(|_| bad(format!("bad record length in `{header}`")))?;
        let body_start = newline + 1;
        if rest.len() < body_start + len + 1 || rest[body_start + len] != b'\n' {
            return Err(bad(format!("record `{key}` is truncated")));
        }
        let value = String::from_utf8_lossy(&rest[body_start..body_start + len]).into_owned();
        match key {
            "version" => report.version = value,
            "implementation" => report.implementation = value,
            "executable" => report.executable = value,
            "status" => report.status = value,
            "modules" => {
                report.modules = value
                    .split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "traceback" => report.traceback = value,
            "new" => {
                report.new = value
                    .split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "asked" => {
                report.asked = value
                    .split('\n')
                    .filter_map(|line| line.split_once(' '))
                    .map(|(module, importer)| (module.to_string(), importer.to_string()))
                    .collect()
            }
            "files" => {
                report.files = value
                    .split('\n')
                    .filter_map(|line| line.split_once(' '))
                    .map(|(module, file)| (module.to_string(), PathBuf::from(file)))
                    .collect()
            }
            _ => {}
        }
        seen.insert(key.to_string());
        rest = &rest[body_start + len + 1..];
    }
    for key in ["version", "status", "modules"] {
        if !seen.contains(key) {
            return Err(bad(format!("record `{key}` is missing")));
        }
    }
    Ok(report)
}

/// Where the entry's rows are in a run's fd 2 output.
#[derive(Debug, PartialEq, Eq)]
struct Segments<'a> {
    /// Rows printed during start-up, before the entry.
    startup: &'a str,
    /// Rows printed while importing the entry; `None` if the begin marker is missing.
    entry: Option<&'a str>,
    /// Whether the end marker was seen.
    ended: bool,
}

/// The exception's own line (`ValueError: boom`): the last non-empty line of a traceback.
pub fn last_line(traceback: &str) -> &str {
    traceback
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or("an exception", str::trim)
}

/// Splits fd 2 output at the bootstrap's markers. The markers carry a nonce, so nothing the
/// program writes to fd 2 by accident can be taken for one.
fn split_segments<'a>(stderr: &'a str, nonce: &str) -> Segments<'a> {
    let begin = format!("fastpath-mark begin {nonce}\n");
    let end = format!("fastpath-mark end {nonce}\n");
    let Some(b) = stderr.find(&begin) else {
        return Segments {
            startup: stderr,
            entry: None,
            ended: false,
        };
    };
    let after = &stderr[b + begin.len()..];
    match after.find(&end) {
        Some(e) => Segments {
            startup: &stderr[..b],
            entry: Some(&after[..e]),
            ended: true,
        },
        None => Segments {
            startup: &stderr[..b],
            entry: Some(after),
            ended: false,
        },
    }
}

/// Runs the measurement. Stops at the first failed run with an error that says why.
pub fn measure(
    config: &RunnerConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<Measurement, RunError> {
    Session::new(config)?.measure(progress)
}

/// State shared by the runs of one measurement.
struct Session<'a> {
    config: &'a RunnerConfig,
    root: PathBuf,
    scratch: Scratch,
    pinned: Option<usize>,
    env_removed: Vec<String>,
    removals: Vec<&'static str>,
    /// The program spawned: the interpreter as given, then its `sys.executable` once known.
    program: std::cell::RefCell<PathBuf>,
}

impl<'a> Session<'a> {
    fn new(config: &'a RunnerConfig) -> Result<Session<'a>, RunError> {
        if !valid_entry(&config.entry) {
            return Err(RunError::InvalidEntry {
                entry: config.entry.clone(),
            });
        }
        let root =
            fs::canonicalize(&config.project_root).map_err(|source| RunError::ProjectRoot {
                path: config.project_root.clone(),
                source,
            })?;
        if !root.is_dir() {
            return Err(RunError::ProjectRoot {
                path: config.project_root.clone(),
                source: io::Error::other("not a directory"),
            });
        }
        let pinned = choose_cpu(config.pinning)?;
        let removals = removed_variables(config.bytecode);
        let mut env_removed: Vec<String> = removals
            .iter()
            .filter(|name| std::env::var_os(name).is_some())
            .map(|name| name.to_string())
            .collect();
        env_removed.sort();
        let scratch = Scratch::new()?;
        if config.bytecode == Bytecode::Fresh {
            let prefix = scratch.path("empty-pycache");
            fs::create_dir(&prefix).map_err(|source| RunError::Scratch {
                path: prefix.clone(),
                source,
            })?;
        }
        Ok(Session {
            config,
            root,
            scratch,
            pinned,
            env_removed,
            removals,
            program: std::cell::RefCell::new(config.python.clone()),
        })
    }

    /// Runs the interpreter directly from now on. A version manager's shim (pyenv's
    /// `python3` is a shell script) would otherwise add its own start-up to every wall time;
    /// `sys.executable` of a virtualenv is the virtualenv's own `bin/python`, so the
    /// virtualenv is kept.
    fn adopt_executable(&self, executable: &str) {
        let path = Path::new(executable);
        if !executable.is_empty() && path.is_absolute() && path.is_file() {
            *self.program.borrow_mut() = path.to_path_buf();
        }
    }

    /// A command with the environment, working directory and bytecode flags every run shares.
    fn command(&self) -> Command {
        let mut cmd = Command::new(&*self.program.borrow());
        for name in &self.removals {
            cmd.env_remove(name);
        }
        if self.config.bytecode == Bytecode::Fresh {
            cmd.arg("-B");
            cmd.env("PYTHONPYCACHEPREFIX", self.scratch.path("empty-pycache"));
        }
        for (key, value) in &self.config.extra_env {
            cmd.env(key, value);
        }
        cmd.current_dir(&self.root).stdin(Stdio::null());
        cmd
    }

    /// Spawns `cmd` with stdout/stderr to scratch files, waits at most the timeout.
    fn run_child(&self, mut cmd: Command) -> Result<Finished, RunError> {
        cmd.stdout(self.scratch.create("stdout")?);
        cmd.stderr(self.scratch.create("stderr")?);
        cmd.process_group(0);
        if let Some(cpu) = self.pinned {
            // SAFETY: pin_self only makes one system call on local data.
            unsafe {
                cmd.pre_exec(move || pin_self(cpu));
            }
        }
        let start = Instant::now();
        let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
            python: self.config.python.clone(),
            source,
        })?;
        let pid = child.id();
        let (sender, receiver) = mpsc::channel();
        // A blocking wait in a helper thread gives an exact end time; the main thread only
        // enforces the timeout.
        let waiter = std::thread::spawn(move || {
            let status = child.wait();
            let _ = sender.send((status, Instant::now()));
        });
        let (result, timed_out) = match receiver.recv_timeout(self.config.timeout) {
            Ok(done) => (done, false),
            Err(_) => {
                kill_group(pid);
                match receiver.recv() {
                    Ok(done) => (done, true),
                    Err(_) => (
                        (Err(io::Error::other("waiter thread ended")), Instant::now()),
                        true,
                    ),
                }
            }
        };
        let _ = waiter.join();
        // Stragglers the entry started in the background must not outlive the run.
        kill_group(pid);
        let (status, end) = result;
        let status = status.map_err(|source| RunError::Spawn {
            python: self.config.python.clone(),
            source,
        })?;
        Ok(Finished {
            status,
            wall: end.duration_since(start),
            timed_out,
        })
    }

    /// One `-X importtime` run of the bootstrap; `who` installs the finder that notes who
    /// asked for each module.
    fn import_run(
        &self,
        phase: Phase,
        number: usize,
        who: bool,
    ) -> Result<(Run, Interpreter, Untimed), RunError> {
        let result_path = self.scratch.path("result");
        let _ = fs::remove_file(&result_path);
        let mut cmd = self.command();
        cmd.arg("-X")
            .arg("importtime")
            .arg("-c")
            .arg(BOOTSTRAP)
            .arg(&result_path)
            .arg(&self.root)
            .arg(&self.config.entry)
            .arg(&self.scratch.nonce);
        if who {
            cmd.arg("who");
        }
        if let Some(call) = &self.config.call {
            cmd.arg("call").arg(&call.function).args(&call.argv);
        }
        let finished = self.run_child(cmd)?;
        let stderr_bytes = self.scratch.read("stderr")?;
        let stderr = String::from_utf8_lossy(&stderr_bytes);
        let segments = split_segments(&stderr, &self.scratch.nonce);
        let output = || tail(&self.scratch.path("stdout"));
        if finished.timed_out {
            return Err(RunError::Hung {
                entry: self.config.entry.clone(),
                phase,
                run: number,
                timeout: self.config.timeout,
                imported: segments.ended,
                output: output(),
            });
        }
        let report = match fs::read(&result_path) {
            Ok(bytes) => parse_report(&bytes, &result_path)?,
            Err(_) => return Err(self.no_report(&finished.status, &stderr, phase, number)),
        };
        if report.status == "raised" {
            return Err(RunError::EntryRaised {
                entry: self.config.entry.clone(),
                phase,
                run: number,
                traceback: report.traceback.trim_end().to_string(),
                output: output(),
            });
        }
        let interpreter = Interpreter {
            requested: self.config.python.clone(),
            executable: report.executable.clone(),
            version: report.version.clone(),
            implementation: report.implementation.clone(),
        };
        let Some(entry_rows) = segments.entry else {
            return Err(RunError::Protocol {
                path: self.scratch.path("stderr"),
                message: "the bootstrap's begin marker is missing from stderr".to_string(),
            });
        };
        let startup = importtime::parse(segments.startup);
        let imports = importtime::parse(entry_rows);
        if !startup.header_seen && !imports.header_seen {
            return Err(RunError::Unsupported {
                python: self.config.python.clone(),
                version: Some(report.version),
                reason: "it printed no `-X importtime` report (CPython 3.7 or later is needed)"
                    .to_string(),
            });
        }
        let outcome = if report.status == "exit0" {
            EntryOutcome::Exited
        } else {
            EntryOutcome::Imported
        };
        let run = Run {
            wall_us: finished.wall.as_micros() as f64,
            imports,
            modules: report.modules,
            outcome,
        };
        let mut untimed = untimed_modules(&run, &report.new, &report.asked, who);
        untimed.files = report.files;
        Ok((run, interpreter, untimed))
    }

    /// The error for a run that left no report.
    fn no_report(
        &self,
        status: &ExitStatus,
        stderr: &str,
        phase: Phase,
        number: usize,
    ) -> RunError {
        if stderr.contains("-X is reserved for implementation-specific arguments") {
            return RunError::Unsupported {
                python: self.config.python.clone(),
                version: Some("Python 2".to_string()),
                reason: "Python 2 has no `-X importtime` (CPython 3.7 or later is needed)"
                    .to_string(),
            };
        }
        let mut stderr_tail: String = stderr
            .lines()
            .filter(|l| !l.starts_with("import time:") && !l.starts_with("fastpath-mark "))
            .collect::<Vec<_>>()
            .join("\n");
        if stderr_tail.len() > OUTPUT_TAIL_BYTES as usize {
            let cut = stderr_tail.len() - OUTPUT_TAIL_BYTES as usize;
            let cut = (cut..stderr_tail.len())
                .find(|&i| stderr_tail.is_char_boundary(i))
                .unwrap_or(0);
            stderr_tail = stderr_tail[cut..].to_string();
        }
        RunError::Crashed {
            python: self.config.python.clone(),
            entry: self.config.entry.clone(),
            phase,
            run: number,
            status: *status,
            stderr: stderr_tail,
            output: tail(&self.scratch.path("stdout")),
        }
    }

    /// One `-c pass` run: interpreter start-up alone.
    fn startup_run(&self, number: usize) -> Result<f64, RunError> {
        let mut cmd = self.command();
        cmd.arg("-c").arg(STARTUP_CODE);
        let finished = self.run_child(cmd)?;
        if finished.timed_out {
            return Err(RunError::Hung {
                entry: "-c pass (start-up)".to_string(),
                phase: Phase::Startup,
                run: number,
                timeout: self.config.timeout,
                imported: false,
                output: tail(&self.scratch.path("stdout")),
            });
        }
        if !finished.status.success() {
            let stderr = String::from_utf8_lossy(&self.scratch.read("stderr")?).into_owned();
            return Err(RunError::Crashed {
                python: self.config.python.clone(),
                entry: "-c pass (start-up)".to_string(),
                phase: Phase::Startup,
                run: number,
                status: finished.status,
                stderr,
                output: String::new(),
            });
        }
        Ok(finished.wall.as_micros() as f64)
    }

    fn measure(self, progress: &mut dyn FnMut(Progress)) -> Result<Measurement, RunError> {
        let config = self.config;
        let mut interpreter = None;
        let mut untimed: Option<Untimed> = None;
        for i in 1..=config.warmup {
            let (_, interp, seen) = self.import_run(Phase::Warmup, i, i == 1)?;
            untimed.get_or_insert(seen);
            self.adopt_executable(&interp.executable);
            interpreter.get_or_insert(interp);
            progress(Progress {
                phase: Phase::Warmup,
                done: i,
                planned: config.warmup,
                median_total_us: None,
            });
        }
        let rule = config.stopping;
        let max_runs = rule.max_runs.max(rule.min_runs).max(1);
        let mut runs: Vec<Run> = Vec::new();
        let mut totals: Vec<f64> = Vec::new();
        let mut startup: Vec<f64> = Vec::new();
        let decision = loop {
            let (run, interp, seen) = self.import_run(Phase::Measure, runs.len() + 1, false)?;
            untimed.get_or_insert(seen);
            if interpreter.is_none() {
                self.adopt_executable(&interp.executable);
            }
            interpreter.get_or_insert(interp);
            totals.push(run.total_us());
            runs.push(run);
            progress(Progress {
                phase: Phase::Measure,
                done: runs.len(),
                planned: max_runs,
                median_total_us: crate::stats::Summary::of(&totals).map(|s| s.median),
            });
            // Interleaving start-up runs with the first measured runs exposes both to the same
            // drift in machine load.
            if startup.len() < config.startup_runs {
                startup.push(self.startup_run(startup.len() + 1)?);
                progress(Progress {
                    phase: Phase::Startup,
                    done: startup.len(),
                    planned: config.startup_runs,
                    median_total_us: None,
                });
            }
            match rule.decide(&totals) {
                Decision::Continue => {}
                done => break done,
            }
        };
        while startup.len() < config.startup_runs {
            startup.push(self.startup_run(startup.len() + 1)?);
            progress(Progress {
                phase: Phase::Startup,
                done: startup.len(),
                planned: config.startup_runs,
                median_total_us: None,
            });
        }
        let interpreter = interpreter.expect("at least one run happened");
        let note = match config.bytecode {
            Bytecode::Fresh if version_below(&interpreter.version, 3, 8) => Some(format!(
                "Python {} has no PYTHONPYCACHEPREFIX: only -B applied, existing .pyc files were still read",
                interpreter.version
            )),
            _ => None,
        };
        Ok(Measurement {
            entry: config.entry.clone(),
            interpreter,
            warmup: config.warmup,
            runs,
            startup_wall_us: startup,
            pinned: self.pinned,
            bytecode: BytecodeReport {
                mode: config.bytecode,
                note,
            },
            env_removed: self.env_removed,
            stopping: rule,
            decision,
            untimed: untimed
                .as_ref()
                .map(|u| u.modules.clone())
                .unwrap_or_default(),
            files: untimed
                .as_ref()
                .map(|u| u.files.clone())
                .unwrap_or_default(),
            reattributed: untimed.map(|u| u.reattributed).unwrap_or_default(),
        })
    }
}

/// What one run says about modules without an importtime row.
#[derive(Debug, Default, PartialEq, Eq)]
struct Untimed {
    /// See [`Measurement::untimed`].
    modules: Vec<ObservedEdge>,
    /// See [`Measurement::reattributed`].
    reattributed: std::collections::BTreeMap<String, String>,
    /// See [`Measurement::files`].
    files: std::collections::BTreeMap<String, PathBuf>,
}

/// Modules in `new` (added by the import) without a loaded importtime row, with the module
/// that asked for each when `who` was on (`None` otherwise, or when the bootstrap itself
/// asked); and the timed modules that an untimed one asked for.
fn untimed_modules(
    run: &Run,
    new: &[String],
    asked: &std::collections::BTreeMap<String, String>,
    who: bool,
) -> Untimed {
    let loaded = run.loaded_nodes();
    let timed: std::collections::HashSet<&str> = run
        .imports
        .nodes
        .iter()
        .zip(&loaded)
        .filter(|(_, &l)| l)
        .map(|(n, _)| n.name.as_str())
        .collect();
    let mut untimed: Vec<ObservedEdge> = new
        .iter()
        .filter(|m| !timed.contains(m.as_str()))
        .map(|m| ObservedEdge {
            importer: if who {
                asked.get(m).filter(|i| !i.is_empty()).cloned()
            } else {
                None
            },
            module: m.clone(),
        })
        .collect();
    untimed.sort();
    let untimed_names: std::collections::HashSet<&str> =
        untimed.iter().map(|e| e.module.as_str()).collect();
    let reattributed = if who {
        new.iter()
            .filter(|m| timed.contains(m.as_str()))
            .filter_map(|m| {
                let importer = asked.get(m)?;
                untimed_names
                    .contains(importer.as_str())
                    .then(|| (m.clone(), importer.clone()))
            })
            .collect()
    } else {
        Default::default()
    };
    Untimed {
        modules: untimed,
        reattributed,
        files: Default::default(),
    }
}

/// Environment variables the child never inherits in `mode` (see the module documentation).
fn removed_variables(mode: Bytecode) -> Vec<&'static str> {
    let mut removals = ALWAYS_REMOVED.to_vec();
    if mode == Bytecode::Cached {
        // The warm-up must write `.pyc` files, as a deployed package has them.
        removals.push("PYTHONDONTWRITEBYTECODE");
    }
    removals
}

/// Whether a `major.minor.micro` version is below `major.minor`.
fn version_below(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (ma, mi) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (ma, mi) < (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_dotted_identifiers() {
        assert!(valid_entry("app"));
        assert!(valid_entry("pkg.sub_mod.handler"));
        assert!(valid_entry("_private"));
        assert!(valid_entry("café"));
        assert!(!valid_entry(""));
        assert!(!valid_entry("pkg..mod"));
        assert!(!valid_entry("1abc"));
        assert!(!valid_entry("app; import os"));
        assert!(!valid_entry("app-name"));
    }

    #[test]
    fn report_records_round_trip() {
        let text = b"version 6\n3.11.7\nimplementation 7\ncpython\nexecutable 0\n\n\
status 2\nok\nmodules 12\nsys\njson\napp\ntraceback 0\n\n";
        let report = parse_report(text, Path::new("r")).unwrap();
        assert_eq!(report.version, "3.11.7");
        assert_eq!(report.status, "ok");
        assert_eq!(
            report.modules.iter().cloned().collect::<Vec<_>>(),
            ["app", "json", "sys"]
        );
    }

    #[test]
    fn report_with_a_newline_inside_a_value_is_length_delimited() {
        let text = b"version 6\n3.11.7\nstatus 6\nraised\nmodules 0\n\ntraceback 9\nline\nline\n";
        let report = parse_report(text, Path::new("r")).unwrap();
        assert_eq!(report.traceback, "line\nline");
    }

    #[test]
    fn truncated_report_is_a_protocol_error_naming_the_file() {
        let err = parse_report(b"version 60\n3.11", Path::new("/tmp/x/result")).unwrap_err();
        assert!(err.to_string().contains("/tmp/x/result"), "{err}");
        let err = parse_report(b"version 6\n3.11.7\n", Path::new("r")).unwrap_err();
        assert!(err.to_string().contains("`status` is missing"), "{err}");
    }

    #[test]
    fn segments_split_at_nonce_markers_only() {
        let text = "import time: self [us] | cumulative | imported package\n\
import time:        10 |         10 | site\n\
\nfastpath-mark begin N1\n\
fastpath-mark end WRONG\n\
import time:        20 |         20 | app\n\
fastpath-mark end N1\n\
import time:        30 |         30 | traceback\n";
        let s = split_segments(text, "N1");
        assert!(s.startup.contains("site"));
        let entry = s.entry.unwrap();
        assert!(entry.contains("app") && entry.contains("WRONG") && !entry.contains("traceback"));
        assert!(s.ended);
        let s = split_segments("no markers", "N1");
        assert_eq!(s.entry, None);
    }

    #[test]
    fn inherited_variables_that_corrupt_a_measurement_are_removed() {
        let cached = removed_variables(Bytecode::Cached);
        for name in [
            "PYTHONPROFILEIMPORTTIME",
            "PYTHONSTARTUP",
            "PYTHONINSPECT",
            "PYTHONVERBOSE",
            "PYTHONDONTWRITEBYTECODE",
        ] {
            assert!(cached.contains(&name), "{name}");
        }
        // Fresh mode passes -B itself; the variable is harmless there.
        assert!(!removed_variables(Bytecode::Fresh).contains(&"PYTHONDONTWRITEBYTECODE"));
    }

    #[test]
    fn report_lists_new_modules_and_who_asked() {
        let text = b"version 6\n3.11.7\nstatus 2\nok\nmodules 3\napp\n\
new 10\napp\ndynmod\nasked 15\ndynmod app\napp \n";
        let report = parse_report(text, Path::new("r")).unwrap();
        assert_eq!(report.new, ["app", "dynmod"]);
        assert_eq!(report.asked["dynmod"], "app");
        assert_eq!(report.asked["app"], "");
    }

    #[test]
    fn modules_without_an_importtime_row_are_untimed_with_who_asked() {
        // `dynmod` came through importlib.import_module: no row, but it loaded; its own import
        // of `colorsys` shows up under `app`.
        let run = Run {
            wall_us: 1.0,
            imports: importtime::parse(
                "import time:        10 |         10 |   colorsys\n\
                 import time:        20 |         30 | app\n",
            ),
            modules: ["app", "colorsys", "dynmod", "sys"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            outcome: EntryOutcome::Imported,
        };
        let new: Vec<String> = ["app", "colorsys", "dynmod"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let asked = [
            ("dynmod".to_string(), "app".to_string()),
            ("colorsys".to_string(), "dynmod".to_string()),
            ("app".to_string(), String::new()),
        ]
        .into();
        let edge = |importer: Option<&str>| ObservedEdge {
            importer: importer.map(str::to_string),
            module: "dynmod".to_string(),
        };
        let seen = untimed_modules(&run, &new, &asked, true);
        assert_eq!(seen.modules, [edge(Some("app"))]);
        // importtime nests colorsys under app; dynmod's code asked for it.
        assert_eq!(
            seen.reattributed.into_iter().collect::<Vec<_>>(),
            [("colorsys".to_string(), "dynmod".to_string())]
        );
        let blind = untimed_modules(&run, &new, &asked, false);
        assert_eq!(blind.modules, [edge(None)]);
        assert!(blind.reattributed.is_empty());
    }

    #[test]
    fn version_comparison() {
        assert!(version_below("3.7.16", 3, 8));
        assert!(!version_below("3.8.0", 3, 8));
        assert!(!version_below("3.13.0", 3, 8));
    }

    #[test]
    fn bootstrap_never_imports_before_the_entry() {
        // Anything imported before the begin marker would be charged to start-up, anything
        // imported between the markers to the entry: the bootstrap may only touch `sys` there.
        let before_end = BOOTSTRAP.split("fastpath-mark end").next().unwrap();
        let imports: Vec<&str> = before_end
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("import ") || l.starts_with("from "))
            .collect();
        assert_eq!(imports, ["import sys"]);
    }
}
