//! One measurement session: warm-up, measured and start-up runs, each turned into a [`Run`].

use std::cell::RefCell;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use super::bytecode::{self, Plan};
use super::contention::{
    classify, kept, Contended, Contention, ContentionRule, DroppedRun, RunSignals,
};
use super::cpu::Placer;
use super::error::describe_status;
use super::process::{self, removed_variables, tail, Finished, Scratch, OUTPUT_TAIL_BYTES};
use super::protocol::{parse_report, program, split_segments, valid_entry, STARTUP_CODE};
use super::untimed::{untimed_modules, Untimed};
use super::{EntryOutcome, Interpreter, Measurement, Phase, Progress, Run, RunError, RunnerConfig};
use crate::importtime;
use crate::stats::Decision;

/// State shared by the runs of one measurement.
pub(super) struct Session<'a> {
    config: &'a RunnerConfig,
    root: PathBuf,
    scratch: Scratch,
    /// The CPU of each run, re-checked between measured runs.
    placer: RefCell<Placer>,
    env_removed: Vec<String>,
    removals: Vec<&'static str>,
    /// `-B` and `PYTHONPYCACHEPREFIX` for every child.
    bytecode: Plan,
    /// The program spawned: the interpreter as given, then its `sys.executable` once known.
    program: std::cell::RefCell<PathBuf>,
}

impl<'a> Session<'a> {
    pub(super) fn new(config: &'a RunnerConfig) -> Result<Session<'a>, RunError> {
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
        let placer = RefCell::new(Placer::start(config.pinning)?);
        let removals = removed_variables(config.bytecode);
        let mut env_removed: Vec<String> = removals
            .iter()
            .filter(|name| std::env::var_os(name).is_some())
            .map(|name| name.to_string())
            .collect();
        env_removed.sort();
        let scratch = Scratch::new()?;
        let probed = bytecode::probe(
            &config.python,
            &removals,
            &config.extra_env,
            &scratch,
            config.timeout,
        )?;
        let temporary = scratch.path("pycache");
        fs::create_dir(&temporary).map_err(|source| RunError::Scratch {
            path: temporary.clone(),
            source,
        })?;
        let bytecode = bytecode::plan(
            bytecode::Inputs {
                mode: config.bytecode,
                version: probed.as_ref().map(|p| p.version),
                user_prefix: bytecode::user_prefix(&config.extra_env),
                temporary,
            },
            || {
                bytecode::private_cache(
                    config.bytecode_cache.as_deref(),
                    &config.python,
                    probed.as_ref(),
                )
            },
        );
        let session = Session {
            config,
            root,
            scratch,
            placer,
            env_removed,
            removals,
            bytecode,
            program: std::cell::RefCell::new(config.python.clone()),
        };
        if let Some(probed) = probed {
            session.adopt_executable(&probed.executable);
        }
        Ok(session)
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
        for (key, value) in &self.config.extra_env {
            cmd.env(key, value);
        }
        // After the caller's variables: the plan has already taken theirs into account.
        self.bytecode.apply(&mut cmd);
        cmd.current_dir(&self.root).stdin(Stdio::null());
        cmd
    }

    /// Spawns `cmd` (see [`process::run_child`]) with this session's scratch, CPU and timeout.
    fn run_child(&self, cmd: Command) -> Result<Finished, RunError> {
        let cpu = self.placer.borrow().cpu();
        let finished = process::run_child(
            cmd,
            &self.scratch,
            cpu,
            self.config.timeout,
            &self.config.python,
        )?;
        self.placer.borrow_mut().account(finished.cpu);
        Ok(finished)
    }

    /// One `-X importtime` run of the bootstrap; `who` installs the finder that notes who
    /// asked for each module.
    fn import_run(
        &self,
        phase: Phase,
        number: usize,
        who: bool,
    ) -> Result<(Run, Interpreter, Untimed, Option<f64>), RunError> {
        let result_path = self.scratch.path("result");
        let _ = fs::remove_file(&result_path);
        let mut cmd = self.command();
        cmd.arg("-X")
            .arg("importtime")
            .arg("-c")
            .arg(program(&self.config.entry))
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
        let exited = report.status == "exit";
        if exited && finished.status.code() != Some(0) {
            return Err(RunError::EntryRaised {
                entry: self.config.entry.clone(),
                phase,
                run: number,
                traceback: format!(
                    "SystemExit: the import called sys.exit() ({})",
                    describe_status(&finished.status)
                ),
                output: output(),
            });
        }
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
        let outcome = if exited {
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
        let cpu_us = finished.cpu.map(|c| c.as_micros() as f64);
        Ok((run, interpreter, untimed, cpu_us))
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

    /// One `-c pass` run: interpreter start-up alone. A run that spent too little of its wall
    /// time on a CPU (see [`super::contention`]) is redone, twice at most.
    fn startup_run(&self, number: usize, rule: &ContentionRule) -> Result<f64, RunError> {
        let mut wall = 0.0;
        for _ in 0..3 {
            let (w, cpu) = self.startup_run_once(number)?;
            wall = w;
            match cpu {
                Some(cpu) if w > 0.0 && cpu / w < rule.min_cpu_share => continue,
                _ => break,
            }
        }
        Ok(wall)
    }

    fn startup_run_once(&self, number: usize) -> Result<(f64, Option<f64>), RunError> {
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
        Ok((
            finished.wall.as_micros() as f64,
            finished.cpu.map(|c| c.as_micros() as f64),
        ))
    }

    pub(super) fn measure(
        self,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Measurement, RunError> {
        let config = self.config;
        let mut interpreter = None;
        let mut untimed: Option<Untimed> = None;
        for i in 1..=config.warmup {
            let (_, interp, seen, _) = self.import_run(Phase::Warmup, i, i == 1)?;
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
        let contention_rule = config
            .contention
            .unwrap_or_else(|| ContentionRule::for_runs(max_runs));
        // One more start-up run, reported as progress.
        let next_startup =
            |startup: &mut Vec<f64>, progress: &mut dyn FnMut(Progress)| -> Result<(), RunError> {
                startup.push(self.startup_run(startup.len() + 1, &contention_rule)?);
                progress(Progress {
                    phase: Phase::Startup,
                    done: startup.len(),
                    planned: config.startup_runs,
                    median_total_us: None,
                });
                Ok(())
            };
        // Every measured run, dropped ones included, with its contention signals.
        let mut attempts: Vec<Run> = Vec::new();
        let mut signals: Vec<RunSignals> = Vec::new();
        let mut flags: Vec<Option<Contended>>;
        let mut startup: Vec<f64> = Vec::new();
        let mut contended = false;
        let decision = loop {
            let (run, interp, seen, cpu_us) =
                self.import_run(Phase::Measure, attempts.len() + 1, false)?;
            untimed.get_or_insert(seen);
            if interpreter.is_none() {
                self.adopt_executable(&interp.executable);
            }
            interpreter.get_or_insert(interp);
            signals.push(RunSignals {
                wall_us: run.wall_us,
                cpu_us,
                startup_us: run.wall_us - run.total_us(),
            });
            attempts.push(run);
            flags = classify(&signals, &contention_rule);
            let clean: Vec<f64> = attempts
                .iter()
                .zip(&flags)
                .filter(|(_, f)| f.is_none())
                .map(|(r, _)| r.total_us())
                .collect();
            progress(Progress {
                phase: Phase::Measure,
                done: clean.len(),
                planned: max_runs,
                median_total_us: crate::stats::Summary::of(&clean)
                    .or_else(|| {
                        let all: Vec<f64> = attempts.iter().map(Run::total_us).collect();
                        crate::stats::Summary::of(&all)
                    })
                    .map(|s| s.median),
            });
            self.placer.borrow_mut().recheck(attempts.len());
            // Interleaving start-up runs with the first measured runs exposes both to the same
            // drift in machine load.
            if startup.len() < config.startup_runs {
                next_startup(&mut startup, progress)?;
            }
            let dropped = flags.iter().filter(|f| f.is_some()).count();
            if dropped > contention_rule.max_redo {
                contended = true;
                break Decision::Exhausted;
            }
            match rule.decide(&clean) {
                Decision::Continue => {}
                done => break done,
            }
        };
        while startup.len() < config.startup_runs {
            next_startup(&mut startup, progress)?;
        }
        let keep = kept(&flags, rule.min_runs);
        let slowed = |kept: bool| -> Vec<DroppedRun> {
            flags
                .iter()
                .enumerate()
                .filter(|(i, _)| keep.contains(i) == kept)
                .filter_map(|(i, f)| f.map(|why| DroppedRun { run: i + 1, why }))
                .collect()
        };
        let kept_contended = slowed(true);
        let cpu_shares: Vec<f64> = keep
            .iter()
            .filter_map(|&i| Some(signals[i].cpu_us? / signals[i].wall_us))
            .filter(|s| s.is_finite())
            .collect();
        let contention = Contention {
            attempted: attempts.len(),
            dropped: slowed(false),
            contended: contended || !kept_contended.is_empty(),
            kept_contended,
            cpu_share: crate::stats::Summary::of(&cpu_shares).map(|s| s.median),
        };
        let runs: Vec<Run> = attempts
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, r)| r)
            .collect();
        let decision = if contention.contended {
            Decision::Exhausted
        } else {
            decision
        };
        let interpreter = interpreter.expect("at least one run happened");
        let bytecode = self.bytecode.report(&interpreter.version);
        Ok(Measurement {
            entry: config.entry.clone(),
            interpreter,
            warmup: config.warmup,
            runs,
            startup_wall_us: startup,
            pinned: self.placer.borrow().cpu(),
            placement: self.placer.borrow().placement(),
            contention,
            bytecode,
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

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::super::{Bytecode, BytecodeSource, Pinning};
    use super::*;

    /// The variables a command sets (`Some`) or removes (`None`).
    fn envs(cmd: &Command) -> Vec<(String, Option<String>)> {
        cmd.get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect()
    }

    fn python3_runs() -> bool {
        let ok = Command::new("python3")
            .args(["-c", "import sys; assert sys.version_info >= (3, 8)"])
            .status()
            .is_ok_and(|s| s.success());
        let on_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            ok || !on_ci,
            "CI=true but there is no python3 >= 3.8 on PATH"
        );
        ok
    }

    #[test]
    fn the_child_environment_points_bytecode_at_fastpaths_cache() {
        if !python3_runs() {
            eprintln!("skipped: no python3 >= 3.8 on PATH");
            return;
        }
        let root = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let mut config = RunnerConfig::new("python3", root.path(), "app");
        config.pinning = Pinning::Off;
        config.bytecode_cache = Some(cache.path().to_path_buf());
        config.extra_env = vec![(OsString::from("PYTHONPATH"), OsString::from("/lib"))];
        let session = Session::new(&config).unwrap();
        // The probe found the real interpreter, so no shim runs again.
        assert!(session.program.borrow().is_absolute());
        let cmd = session.command();
        assert_eq!(cmd.get_args().count(), 0, "no -B: the warm-up must write");
        let envs = envs(&cmd);
        let prefix = envs
            .iter()
            .find(|(k, _)| k == "PYTHONPYCACHEPREFIX")
            .and_then(|(_, v)| v.clone())
            .expect("PYTHONPYCACHEPREFIX is set");
        assert!(
            Path::new(&prefix).starts_with(cache.path().join("pycache")),
            "{prefix}"
        );
        assert!(Path::new(&prefix).is_dir());
        for removed in ["PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"] {
            assert!(envs.contains(&(removed.to_string(), None)), "{removed}");
        }
        assert!(envs.contains(&("PYTHONPATH".to_string(), Some("/lib".to_string()))));
        assert_eq!(
            session.bytecode.report.source,
            BytecodeSource::FastpathCache
        );
        // The cwd is the project root, never the cache.
        assert_eq!(cmd.get_current_dir(), Some(session.root.as_path()));
        // The same interpreter finds the same cache again; fresh mode writes nowhere.
        let again = Session::new(&config).unwrap();
        assert_eq!(again.bytecode.prefix.as_deref(), Some(Path::new(&prefix)));
        config.bytecode = Bytecode::Fresh;
        let fresh = Session::new(&config).unwrap();
        let cmd = fresh.command();
        assert_eq!(
            cmd.get_args().collect::<Vec<_>>(),
            vec![std::ffi::OsStr::new("-B")]
        );
        assert!(fresh
            .bytecode
            .prefix
            .as_deref()
            .is_some_and(|p| p.starts_with(fresh.scratch.dir.path())));
    }

    #[test]
    fn the_interpreter_is_probed_once_per_process() {
        use std::os::unix::fs::PermissionsExt;
        if !python3_runs() {
            eprintln!("skipped: no python3 >= 3.8 on PATH");
            return;
        }
        // An interpreter that counts how often it is started, then runs python3.
        let dir = tempfile::tempdir().unwrap();
        let python = dir.path().join("python");
        let calls = dir.path().join("calls");
        fs::write(
            &python,
            format!(
                "#!/bin/sh\necho started >> '{}'\nexec python3 \"$@\"\n",
                calls.display()
            ),
        )
        .unwrap();
        fs::set_permissions(&python, fs::Permissions::from_mode(0o755)).unwrap();
        let mut config = RunnerConfig::new(&python, dir.path(), "app");
        config.pinning = Pinning::Off;
        for _ in 0..3 {
            let session = Session::new(&config).unwrap();
            assert_eq!(
                session.bytecode.report.source,
                BytecodeSource::TemporaryCache
            );
        }
        assert_eq!(fs::read_to_string(&calls).unwrap(), "started\n");
    }
}
