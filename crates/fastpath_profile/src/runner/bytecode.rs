//! Where the measured runs' bytecode comes from: the one place that decides the child's
//! `-B` flag and `PYTHONPYCACHEPREFIX`, and says so in the report.
//!
//! Measuring never writes into the user's tree. [`Bytecode::Cached`] measures a deployment with
//! `.pyc` files, so the warm-up must write them somewhere: into a private cache named by
//! `PYTHONPYCACHEPREFIX`. From 3.8 on, CPython then reads and writes `.pyc` files only under the
//! prefix (at the source's absolute directory below it) and ignores every `__pycache__`, the
//! standard library's and site-packages' included (`importlib._bootstrap_external.
//! cache_from_source`); the warm-up fills the prefix and the measured runs read it, as a
//! deployment reads its `__pycache__`. The prefix is fastpath's cache directory when the caller
//! gives one ([`RunnerConfig::bytecode_cache`]): `pycache/KEY` below it, KEY naming the
//! interpreter (its `sys.executable` and full `sys.version`), so two interpreters never share a
//! `.pyc` file and only the first measurement of a tree pays the compile. Without one, or when
//! it cannot be created, a temporary prefix lives as long as the measurement. A
//! `PYTHONPYCACHEPREFIX` the user set (in the environment or [`RunnerConfig::extra_env`]) is
//! theirs to choose and is kept: the report names it.
//!
//! CPython 3.7 has no cache prefix. Writing `__pycache__` beside the user's sources would break
//! the promise above, so on 3.7 the runs get `-B`: the `.pyc` files already there (pip compiles
//! installed packages; the standard library ships its own) are read, and a module without one is
//! compiled in every run, which reads slower than a deployment with `.pyc` files. The report's
//! note says so. The version is known before the first run from a probe (`-S -B`, started in
//! the scratch directory, so it writes nothing and runs nothing of the project's); if the probe
//! cannot tell, the runs go as on 3.8+ and the report says what the interpreter then did.
//!
//! [`Bytecode::Fresh`] gets `-B` plus an empty prefix (3.8+): every module, standard library
//! included, compiles from source, and nothing is written.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::process::{self, Scratch};
use super::{Bytecode, RunError};

/// What the child reads its bytecode from, as the report states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BytecodeSource {
    /// fastpath's own cache for this interpreter, kept for the next measurement.
    FastpathCache,
    /// A cache made for this measurement and removed with it.
    TemporaryCache,
    /// The `PYTHONPYCACHEPREFIX` the user set.
    UserCache,
    /// Only the `.pyc` files already in `__pycache__` beside the sources (CPython 3.7).
    BesideSources,
    /// None: every module compiled from source in every run.
    Compiled,
}

/// What the bytecode mode actually did on this interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BytecodeReport {
    /// The mode asked for.
    pub mode: Bytecode,
    /// Where the measured runs read bytecode from.
    pub source: BytecodeSource,
    /// The cache directory the runs used (`PYTHONPYCACHEPREFIX`), when it outlives the
    /// measurement (fastpath's or the user's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<PathBuf>,
    /// A caveat, when the interpreter could not do exactly what the mode asks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl BytecodeReport {
    /// The usual case: cached bytecode in fastpath's cache `dir`.
    pub fn cached(dir: impl Into<PathBuf>) -> BytecodeReport {
        BytecodeReport {
            mode: Bytecode::Cached,
            source: BytecodeSource::FastpathCache,
            cache: Some(dir.into()),
            note: None,
        }
    }

    /// One line for a report: the mode and where the bytecode came from.
    pub fn description(&self) -> String {
        let cache = || {
            self.cache
                .as_deref()
                .map_or_else(String::new, |dir| format!(" {}", dir.display()))
        };
        match (self.mode, self.source) {
            (Bytecode::Fresh, BytecodeSource::BesideSources) => {
                "fresh (no .pyc files written; the ones already beside the sources were read)"
                    .to_string()
            }
            (Bytecode::Fresh, _) => {
                "fresh (no .pyc files, as a package shipped without them)".to_string()
            }
            (Bytecode::Cached, BytecodeSource::FastpathCache) => format!(
                "cached (.pyc files written by the warm-up to fastpath's cache{}, none beside the sources)",
                cache()
            ),
            (Bytecode::Cached, BytecodeSource::TemporaryCache) => {
                "cached (.pyc files written by the warm-up to a temporary cache, none beside the sources)"
                    .to_string()
            }
            (Bytecode::Cached, BytecodeSource::UserCache) => format!(
                "cached (.pyc files under your PYTHONPYCACHEPREFIX{}, filled by the warm-up)",
                cache()
            ),
            (Bytecode::Cached, BytecodeSource::BesideSources) => {
                "cached only where __pycache__ beside the sources already had .pyc files (see the note)"
                    .to_string()
            }
            (Bytecode::Cached, BytecodeSource::Compiled) => {
                "compiled from source in every run".to_string()
            }
        }
    }
}

/// What the probe learnt about the interpreter before any run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Probed {
    /// `sys.executable`.
    pub(super) executable: String,
    /// `sys.version_info[:2]`.
    pub(super) version: (u32, u32),
    /// `sys.version`, build date and compiler included.
    pub(super) build: String,
}

/// What the probe runs: nothing but `sys`, printed as `executable`, `major minor`, `sys.version`
/// (Python 2 answers too; its refusal comes from the first run, with its reason).
const PROBE: &str = "import sys; sys.stdout.write('%s\\n%d %d\\n%s' % (sys.executable, sys.version_info[0], sys.version_info[1], sys.version))";

/// The probe's answers by interpreter path, for the life of this process: the regression gate
/// measures one run per session, and a probe in each would add an interpreter, and its CPU
/// time, to every run it judges.
static PROBED: Mutex<BTreeMap<PathBuf, Option<Probed>>> = Mutex::new(BTreeMap::new());

/// Asks `python` its executable and version (see the module doc), once per process. `Ok(None)`
/// when it answers nothing usable: the first run then reports the real trouble.
pub(super) fn probe(
    python: &Path,
    removals: &[&str],
    extra_env: &[(OsString, OsString)],
    scratch: &Scratch,
    timeout: Duration,
) -> Result<Option<Probed>, RunError> {
    let known = |probed: &BTreeMap<PathBuf, Option<Probed>>| probed.get(python).cloned();
    if let Some(answer) = known(&PROBED.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(answer);
    }
    let answer = probe_now(python, removals, extra_env, scratch, timeout)?;
    PROBED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(python.to_path_buf(), answer.clone());
    Ok(answer)
}

fn probe_now(
    python: &Path,
    removals: &[&str],
    extra_env: &[(OsString, OsString)],
    scratch: &Scratch,
    timeout: Duration,
) -> Result<Option<Probed>, RunError> {
    let mut cmd = Command::new(python);
    for name in removals {
        cmd.env_remove(name);
    }
    for (key, value) in extra_env {
        cmd.env(key, value);
    }
    cmd.args(["-S", "-B", "-c", PROBE])
        .current_dir(scratch.dir.path())
        .stdin(Stdio::null());
    let finished = process::run_child(cmd, scratch, None, timeout, python)?;
    if finished.timed_out || !finished.status.success() {
        return Ok(None);
    }
    Ok(parse_probe(&String::from_utf8_lossy(
        &scratch.read("stdout")?,
    )))
}

fn parse_probe(text: &str) -> Option<Probed> {
    let mut lines = text.splitn(3, '\n');
    let executable = lines.next()?.to_string();
    let mut version = lines.next()?.split(' ').map(str::parse::<u32>);
    let version = (version.next()?.ok()?, version.next()?.ok()?);
    let build = lines.next().unwrap_or_default().to_string();
    Some(Probed {
        executable,
        version,
        build,
    })
}

/// The bytecode side of every child: `-B` or not, and the `PYTHONPYCACHEPREFIX` to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Plan {
    /// Pass `-B` (write no bytecode).
    pub(super) dont_write: bool,
    /// Set `PYTHONPYCACHEPREFIX` to this.
    pub(super) prefix: Option<PathBuf>,
    /// What the report says, before the run shows the interpreter's version.
    pub(super) report: BytecodeReport,
}

impl Plan {
    /// Applies the plan to a child's command (after the caller's own environment).
    pub(super) fn apply(&self, cmd: &mut Command) {
        if self.dont_write {
            cmd.arg("-B");
        }
        if let Some(prefix) = &self.prefix {
            cmd.env("PYTHONPYCACHEPREFIX", prefix);
        }
    }

    /// The report, once a run has shown the interpreter's `major.minor.micro` version: a 3.7
    /// the probe missed wrote `__pycache__` as Python does, and the report must say so.
    pub(super) fn report(&self, version: &str) -> BytecodeReport {
        let mut report = self.report.clone();
        if below_3_8(version) && !self.dont_write {
            report.source = BytecodeSource::BesideSources;
            report.cache = None;
            report.note = Some(format!(
                "Python {version} has no PYTHONPYCACHEPREFIX and its version was not known before the runs: the warm-up wrote .pyc files into __pycache__ beside the sources, as Python itself does"
            ));
        }
        report
    }
}

/// Where a [`Plan`]'s prefix comes from when the mode wants one.
pub(super) struct Inputs {
    pub(super) mode: Bytecode,
    /// `sys.version_info[:2]`, when the probe told.
    pub(super) version: Option<(u32, u32)>,
    /// A `PYTHONPYCACHEPREFIX` the user set (non-empty).
    pub(super) user_prefix: Option<PathBuf>,
    /// An empty directory inside the scratch, removed with it.
    pub(super) temporary: PathBuf,
}

/// Decides the child's bytecode flags (see the module doc). `private` gives fastpath's cache
/// directory for this interpreter (created), or why there is none; it is asked only when the
/// plan uses it.
pub(super) fn plan(inputs: Inputs, private: impl FnOnce() -> Result<PathBuf, String>) -> Plan {
    let Inputs {
        mode,
        version,
        user_prefix,
        temporary,
    } = inputs;
    let has_prefix = version.is_none_or(|v| v >= (3, 8));
    let report = |source, cache, note| BytecodeReport {
        mode,
        source,
        cache,
        note,
    };
    if !has_prefix {
        let version = version.map_or_else(String::new, |(a, b)| format!(" {a}.{b}"));
        let note = match mode {
            Bytecode::Fresh => format!(
                "Python{version} has no PYTHONPYCACHEPREFIX: only -B applied, existing .pyc files were still read"
            ),
            Bytecode::Cached => format!(
                "Python{version} has no PYTHONPYCACHEPREFIX, so, to write nothing beside your sources, the runs used -B: existing .pyc files were read, and modules without one were compiled in every run (slower than with .pyc files)"
            ),
        };
        return Plan {
            dont_write: true,
            prefix: None,
            report: report(BytecodeSource::BesideSources, None, Some(note)),
        };
    }
    match mode {
        Bytecode::Fresh => Plan {
            dont_write: true,
            prefix: Some(temporary),
            report: report(BytecodeSource::Compiled, None, None),
        },
        Bytecode::Cached => match user_prefix.ok_or_else(private) {
            Ok(user) => Plan {
                dont_write: false,
                prefix: Some(user.clone()),
                report: report(BytecodeSource::UserCache, Some(user), None),
            },
            Err(Ok(dir)) => Plan {
                dont_write: false,
                prefix: Some(dir.clone()),
                report: report(BytecodeSource::FastpathCache, Some(dir), None),
            },
            Err(Err(why)) => Plan {
                dont_write: false,
                prefix: Some(temporary),
                report: report(BytecodeSource::TemporaryCache, None, why_temporary(why)),
            },
        },
    }
}

/// A note only when a cache was asked for and could not be had.
fn why_temporary(why: String) -> Option<String> {
    (!why.is_empty()).then_some(why)
}

/// The `PYTHONPYCACHEPREFIX` the child would inherit: `extra_env`'s last, else this process's;
/// empty counts as unset, as CPython counts it.
pub(super) fn user_prefix(extra_env: &[(OsString, OsString)]) -> Option<PathBuf> {
    let name = OsStr::new("PYTHONPYCACHEPREFIX");
    extra_env
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .or_else(|| std::env::var_os(name))
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// fastpath's cache for the interpreter `python` (the probe's answer when there is one), below
/// `cache_root`, created; `Err` says why there is none (empty: none was asked for).
pub(super) fn private_cache(
    cache_root: Option<&Path>,
    python: &Path,
    probed: Option<&Probed>,
) -> Result<PathBuf, String> {
    let Some(root) = cache_root else {
        return Err(String::new());
    };
    let dir = root
        .join("pycache")
        .join(format!("{:016x}", key(python, probed)));
    fs::create_dir_all(&dir)
        .map(|()| dir.clone())
        .map_err(|error| {
            format!(
                "fastpath's bytecode cache {} could not be created ({error}): a temporary one was used",
                dir.display()
            )
        })
}

/// Names an interpreter: its `sys.executable` and full `sys.version` (build date and compiler
/// included) when the probe told, else the path as given.
fn key(python: &Path, probed: Option<&Probed>) -> u64 {
    let text = match probed {
        Some(p) => format!("1\0{}\0{}", p.executable, p.build),
        None => format!("1\0{}", python.display()),
    };
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether a `major.minor.micro` version is below 3.8 (no `PYTHONPYCACHEPREFIX`).
pub(super) fn below_3_8(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) < (3, 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(mode: Bytecode, version: Option<(u32, u32)>) -> Inputs {
        Inputs {
            mode,
            version,
            user_prefix: None,
            temporary: PathBuf::from("/tmp/scratch/pycache"),
        }
    }

    /// The plan with fastpath's cache at `/cache/pycache/0123`.
    fn planned(inputs: Inputs) -> Plan {
        super::plan(inputs, || Ok(PathBuf::from("/cache/pycache/0123")))
    }

    /// The plan when fastpath's cache is not to be had, and why.
    fn plan_without_cache(inputs: Inputs, why: &str) -> Plan {
        super::plan(inputs, || Err(why.to_string()))
    }

    /// The variables and arguments a child gets from `plan`.
    fn child(plan: &Plan) -> (Vec<String>, Vec<(String, Option<String>)>) {
        let mut cmd = Command::new("python3");
        plan.apply(&mut cmd);
        let args = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let envs = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        (args, envs)
    }

    fn prefix(value: &str) -> Vec<(String, Option<String>)> {
        vec![("PYTHONPYCACHEPREFIX".to_string(), Some(value.to_string()))]
    }

    #[test]
    fn cached_runs_write_to_fastpaths_cache_not_the_tree() {
        let plan = planned(inputs(Bytecode::Cached, Some((3, 11))));
        assert_eq!(child(&plan), (vec![], prefix("/cache/pycache/0123")));
        assert_eq!(plan.report.source, BytecodeSource::FastpathCache);
        assert_eq!(
            plan.report.cache.as_deref(),
            Some(Path::new("/cache/pycache/0123"))
        );
        assert!(
            plan.report
                .description()
                .contains("fastpath's cache /cache/pycache/0123, none beside the sources"),
            "{}",
            plan.report.description()
        );
    }

    #[test]
    fn without_a_cache_directory_a_temporary_prefix_is_used() {
        let plan = plan_without_cache(inputs(Bytecode::Cached, Some((3, 8))), "");
        assert_eq!(child(&plan), (vec![], prefix("/tmp/scratch/pycache")));
        assert_eq!(plan.report.source, BytecodeSource::TemporaryCache);
        assert_eq!((plan.report.cache, plan.report.note), (None, None));
        // One that could not be created says why.
        let plan = plan_without_cache(
            inputs(Bytecode::Cached, Some((3, 8))),
            "could not be created",
        );
        assert_eq!(child(&plan), (vec![], prefix("/tmp/scratch/pycache")));
        assert_eq!(plan.report.note.as_deref(), Some("could not be created"));
    }

    #[test]
    fn the_users_own_prefix_is_kept_and_named() {
        let mut given = inputs(Bytecode::Cached, Some((3, 12)));
        given.user_prefix = Some(PathBuf::from("/home/ada/.pyc"));
        let plan = planned(given);
        assert_eq!(child(&plan), (vec![], prefix("/home/ada/.pyc")));
        assert_eq!(plan.report.source, BytecodeSource::UserCache);
        assert!(plan
            .report
            .description()
            .contains("your PYTHONPYCACHEPREFIX /home/ada/.pyc"));
        // Fresh measures without any bytecode, whatever the user set.
        let mut given = inputs(Bytecode::Fresh, Some((3, 12)));
        given.user_prefix = Some(PathBuf::from("/home/ada/.pyc"));
        let fresh = planned(given);
        assert_eq!(
            child(&fresh),
            (vec!["-B".to_string()], prefix("/tmp/scratch/pycache"))
        );
        assert_eq!(fresh.report.source, BytecodeSource::Compiled);
    }

    #[test]
    fn fastpaths_cache_is_made_only_when_used() {
        let mut given = inputs(Bytecode::Cached, Some((3, 12)));
        given.user_prefix = Some(PathBuf::from("/home/ada/.pyc"));
        for given in [
            given,
            inputs(Bytecode::Cached, Some((3, 7))),
            inputs(Bytecode::Fresh, Some((3, 12))),
        ] {
            super::plan(given, || panic!("fastpath's cache was made and not used"));
        }
    }

    #[test]
    fn python_3_7_writes_nothing_and_says_what_it_read() {
        for mode in [Bytecode::Cached, Bytecode::Fresh] {
            let plan = planned(inputs(mode, Some((3, 7))));
            assert_eq!(child(&plan), (vec!["-B".to_string()], vec![]), "{mode:?}");
            assert_eq!(plan.report.source, BytecodeSource::BesideSources);
            let note = plan.report.note.clone().unwrap();
            assert!(
                note.starts_with("Python 3.7 has no PYTHONPYCACHEPREFIX"),
                "{note}"
            );
            // The run's version changes nothing: -B was in force.
            assert_eq!(plan.report("3.7.16"), plan.report);
        }
    }

    #[test]
    fn an_unknown_version_runs_as_3_8_and_the_report_follows_the_interpreter() {
        let plan = planned(inputs(Bytecode::Cached, None));
        assert_eq!(child(&plan), (vec![], prefix("/cache/pycache/0123")));
        assert_eq!(plan.report("3.11.7"), plan.report);
        let late = plan.report("3.7.16");
        assert_eq!(late.source, BytecodeSource::BesideSources);
        assert_eq!(late.cache, None);
        assert!(late
            .note
            .unwrap()
            .contains("wrote .pyc files into __pycache__"));
    }

    #[test]
    fn fresh_runs_compile_everything_and_write_nothing() {
        let plan = planned(inputs(Bytecode::Fresh, Some((3, 13))));
        assert_eq!(
            child(&plan),
            (vec!["-B".to_string()], prefix("/tmp/scratch/pycache"))
        );
        assert_eq!(plan.report.note, None);
    }

    #[test]
    fn the_probe_answer_is_parsed() {
        let probed =
            parse_probe("/usr/bin/python3\n3 11\n3.11.2 (main, Mar 13 2023)\n[GCC 12.2.0]")
                .unwrap();
        assert_eq!(probed.executable, "/usr/bin/python3");
        assert_eq!(probed.version, (3, 11));
        assert_eq!(probed.build, "3.11.2 (main, Mar 13 2023)\n[GCC 12.2.0]");
        assert_eq!(parse_probe(""), None);
        assert_eq!(parse_probe("/usr/bin/python3\nthree eleven\n"), None);
    }

    #[test]
    fn each_interpreter_has_its_own_cache() {
        let probed = |executable: &str, build: &str| Probed {
            executable: executable.to_string(),
            version: (3, 11),
            build: build.to_string(),
        };
        let a = probed("/venv/bin/python", "3.11.7 (main)");
        let b = probed("/usr/bin/python3", "3.11.7 (main)");
        let c = probed("/venv/bin/python", "3.11.9 (main)");
        let python = Path::new("python3");
        assert_ne!(key(python, Some(&a)), key(python, Some(&b)));
        assert_ne!(key(python, Some(&a)), key(python, Some(&c)));
        assert_eq!(key(python, Some(&a)), key(Path::new("other"), Some(&a)));
        assert_ne!(key(python, None), key(Path::new("/venv/bin/python"), None));
    }

    #[test]
    fn the_private_cache_is_created_below_the_root() {
        let root = tempfile::tempdir().unwrap();
        let dir = private_cache(Some(root.path()), Path::new("python3"), None).unwrap();
        assert!(dir.starts_with(root.path().join("pycache")) && dir.is_dir());
        assert_eq!(
            private_cache(None, Path::new("python3"), None),
            Err(String::new())
        );
        let file = root.path().join("a-file");
        fs::write(&file, "").unwrap();
        let why = private_cache(Some(&file), Path::new("python3"), None).unwrap_err();
        assert!(why.contains("a temporary one was used"), "{why}");
    }

    #[test]
    fn the_users_prefix_from_extra_env_wins_and_empty_is_unset() {
        let env =
            |value: &str| vec![(OsString::from("PYTHONPYCACHEPREFIX"), OsString::from(value))];
        assert_eq!(user_prefix(&env("/p")), Some(PathBuf::from("/p")));
        if std::env::var_os("PYTHONPYCACHEPREFIX").is_none() {
            assert_eq!(user_prefix(&env("")), None);
            assert_eq!(user_prefix(&[]), None);
        }
    }

    #[test]
    fn version_comparison() {
        assert!(below_3_8("3.7.16"));
        assert!(!below_3_8("3.8.0"));
        assert!(!below_3_8("3.13.0"));
    }
}
