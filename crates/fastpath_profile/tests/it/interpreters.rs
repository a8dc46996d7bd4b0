//! The runner against real interpreters, on the fixture project `tests/fixtures/projects/basic`
//! (copied to a temporary directory, so warm-up `.pyc` files never land in the repository).
//! Each test skips with a message when its interpreter is missing. No timing is asserted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fastpath_profile::importtime::AnomalyKind;
use fastpath_profile::observed::ObservedEdge;
use fastpath_profile::runner::{
    measure, Bytecode, BytecodeSource, Measurement, Phase, Pinning, Progress, RunError,
    RunnerConfig,
};
use fastpath_profile::stats::StoppingRule;
use fastpath_profile::Profile;

/// Whether CI runs the tests (`CI=true`): there a missing `python3` fails instead of skipping.
fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `python3` when it runs, else `None` (and the caller skips; under CI it fails).
fn python3() -> Option<PathBuf> {
    let ok = Command::new("python3")
        .args(["-c", "import sys; assert sys.version_info >= (3, 7)"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(PathBuf::from("python3"))
    } else {
        assert!(!on_ci(), "CI=true but there is no python3 >= 3.7 on PATH");
        eprintln!("SKIP: no python3 >= 3.7 on PATH");
        None
    }
}

/// pyenv's versions directory, from `pyenv root` (or `$PYENV_ROOT`), when pyenv is installed.
fn pyenv_versions() -> Option<PathBuf> {
    let root = Command::new("pyenv")
        .arg("root")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .or_else(|| std::env::var_os("PYENV_ROOT").map(PathBuf::from))?;
    Some(root.join("versions"))
}

/// An interpreter whose version starts with `prefix` (`3.12.`, `2.7`): the newest under pyenv
/// (found through `pyenv root`), else `pythonX.Y` on PATH.
fn pyenv(prefix: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = pyenv_versions()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path().join("bin/python"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    let on_path = format!("python{}", prefix.trim_end_matches('.'));
    let python = found.pop().or_else(|| {
        Command::new(&on_path)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| PathBuf::from(&on_path))
    });
    if python.is_none() {
        eprintln!("SKIP: no interpreter {prefix}* under `pyenv root` or as {on_path} on PATH");
    }
    python
}

/// A fresh copy of the fixture project.
fn project() -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects/basic");
    let dst = tempfile::tempdir().unwrap();
    copy_dir(&src, dst.path());
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let target = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() == "__pycache__" {
                continue;
            }
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn quick(python: &Path, root: &Path, entry: &str) -> RunnerConfig {
    let mut config = RunnerConfig::new(python, root, entry);
    config.stopping = StoppingRule::fixed(3);
    config.startup_runs = 2;
    config.timeout = Duration::from_secs(60);
    config
}

fn run(config: &RunnerConfig) -> Result<Measurement, RunError> {
    measure(config, &mut |_| {})
}

fn loaded(m: &Measurement, name: &str) -> bool {
    m.runs.iter().all(|r| r.modules.contains(name))
}

#[test]
fn normal_entry_on_python3() {
    let Some(python) = python3() else { return };
    let dir = project();
    let mut seen: Vec<Progress> = Vec::new();
    let m = measure(&quick(&python, dir.path(), "ok_entry"), &mut |p| {
        seen.push(p)
    })
    .unwrap();
    assert_eq!(m.runs.len(), 3);
    assert_eq!(m.startup_wall_us.len(), 2);
    assert!(m.interpreter.version.starts_with("3."));
    assert_eq!(m.interpreter.implementation, "cpython");
    assert!(Path::new(&m.interpreter.executable).is_absolute());
    for name in ["ok_entry", "json", "json.decoder", "email.mime.text"] {
        assert!(loaded(&m, name), "{name}");
    }
    let p = Profile::from_measurement(&m);
    let by_name = |n: &str| p.modules.iter().find(|m| m.name == n).unwrap();
    assert_eq!(p.modules[0].name, "ok_entry");
    assert_eq!(by_name("json").importer.as_deref(), Some("ok_entry"));
    assert_eq!(by_name("email").importer.as_deref(), Some("ok_entry"));
    assert!(p.total_us.median > 0.0);
    assert!(p.process_wall_us.median > p.total_us.median);
    assert!(p.startup_us.unwrap().median > 0.0);
    // Nothing of the bootstrap's own work is charged to the entry.
    assert!(p
        .modules
        .iter()
        .all(|m| m.name != "traceback" && m.name != "os"));
    // Progress: one warm-up, one per measured run attempted (three, plus any contended run
    // that was dropped and redone on a busy machine), two start-up reports.
    let count = |phase| seen.iter().filter(|p| p.phase == phase).count();
    assert_eq!(
        (
            count(Phase::Warmup),
            count(Phase::Measure),
            count(Phase::Startup)
        ),
        (1, m.contention.attempted, 2)
    );
    assert_eq!(m.contention.attempted, 3 + m.contention.dropped.len());
    assert!(seen.iter().any(|p| p.median_total_us.is_some()));
    eprintln!(
        "python3: contention {:?}, placement {:?}",
        m.contention, m.placement
    );
    eprintln!(
        "python3: ok_entry import median {:.0} us (CV {:.1} %), process {:.0} us, start-up {:.0} us, pinned {:?}",
        p.total_us.median,
        100.0 * p.stability.robust_cv,
        p.process_wall_us.median,
        p.startup_us.unwrap().median,
        p.pinned,
    );
}

#[test]
fn project_local_package_is_found_and_attributed() {
    let Some(python) = python3() else { return };
    let dir = project();
    let m = run(&quick(&python, dir.path(), "uses_local")).unwrap();
    let p = Profile::from_measurement(&m);
    let get = |n: &str| p.modules.iter().find(|m| m.name == n).unwrap();
    assert_eq!(
        get("localpkg.helper").importer.as_deref(),
        Some("uses_local")
    );
    assert_eq!(get("localpkg").importer.as_deref(), Some("uses_local"));
    assert_eq!(get("localpkg").parent.as_deref(), Some("localpkg.helper"));
    assert_eq!(
        get("fractions").importer.as_deref(),
        Some("localpkg.helper")
    );
}

#[test]
fn module_imported_through_a_computed_name_is_untimed_with_its_importer() {
    let Some(python) = python3() else { return };
    let dir = project();
    let m = run(&quick(&python, dir.path(), "dynamic_entry")).unwrap();
    let edge = |importer: Option<&str>, module: &str| ObservedEdge {
        importer: importer.map(str::to_string),
        module: module.to_string(),
    };
    // importlib.import_module bypasses the C import timer for the module and its package;
    // the warm-up's finder saw who asked. `fractions`, imported by a statement, is timed.
    assert_eq!(
        m.untimed,
        [
            edge(Some("dynamic_entry"), "localpkg"),
            edge(Some("dynamic_entry"), "localpkg.helper"),
        ]
    );
    // `fractions` has a row, nested under dynamic_entry; localpkg.helper's code imported it.
    assert_eq!(
        m.reattributed.get("fractions").map(String::as_str),
        Some("localpkg.helper")
    );
    let p = Profile::from_measurement(&m);
    let fractions = p.modules.iter().find(|m| m.name == "fractions").unwrap();
    assert_eq!(fractions.parent.as_deref(), Some("dynamic_entry"));
    assert_eq!(fractions.importer.as_deref(), Some("localpkg.helper"));
    assert!(p
        .loaded()
        .contains(&edge(Some("dynamic_entry"), "localpkg.helper")));
    // Without a warm-up nobody noted who asked: the modules are still listed.
    let mut config = quick(&python, dir.path(), "dynamic_entry");
    config.warmup = 0;
    let m = run(&config).unwrap();
    assert_eq!(
        m.untimed,
        [edge(None, "localpkg"), edge(None, "localpkg.helper")]
    );
}

#[test]
fn entry_that_raises_is_a_typed_error_with_traceback_and_output() {
    let Some(python) = python3() else { return };
    let dir = project();
    let err = run(&quick(&python, dir.path(), "raises")).unwrap_err();
    let RunError::EntryRaised {
        entry,
        phase,
        traceback,
        output,
        ..
    } = &err
    else {
        panic!("expected EntryRaised, got {err:?}");
    };
    assert_eq!(entry, "raises");
    assert_eq!(*phase, Phase::Warmup);
    assert!(
        traceback.contains("ValueError: boom: settings missing"),
        "{traceback}"
    );
    assert!(traceback.contains("raises.py"), "{traceback}");
    assert!(output.contains("raises.py: about to fail"), "{output}");
    assert!(err.to_string().contains("importing `raises` raised"));
}

#[test]
fn entry_that_hangs_is_killed_at_the_timeout() {
    let Some(python) = python3() else { return };
    let dir = project();
    let mut config = quick(&python, dir.path(), "hangs");
    config.timeout = Duration::from_millis(1500);
    let err = run(&config).unwrap_err();
    let RunError::Hung {
        imported, output, ..
    } = &err
    else {
        panic!("expected Hung, got {err:?}");
    };
    assert!(!imported);
    assert!(output.contains("waiting forever"), "{output}");
    let message = err.to_string();
    assert!(
        message.contains("hung")
            && message.contains("1.5 s")
            && message.contains("while importing"),
        "{message}"
    );
}

#[test]
fn non_daemon_thread_does_not_keep_the_run_alive() {
    let Some(python) = python3() else { return };
    let dir = project();
    let mut config = quick(&python, dir.path(), "threaded");
    config.timeout = Duration::from_secs(20);
    let m = run(&config).unwrap();
    assert!(loaded(&m, "threading"));
}

#[test]
fn program_output_and_fake_rows_never_reach_the_tree() {
    let Some(python) = python3() else { return };
    let dir = project();
    let m = run(&quick(&python, dir.path(), "noisy")).unwrap();
    for run in &m.runs {
        let names: Vec<&str> = run.imports.nodes.iter().map(|n| n.name.as_str()).collect();
        assert!(
            names.contains(&"noisy") && names.contains(&"colorsys"),
            "{names:?}"
        );
        assert!(
            names.iter().all(|n| !n.starts_with("fake_")),
            "fake row in tree: {names:?}"
        );
        // The raw fd-2 row was seen and set aside; the partial line was split off.
        assert!(run
            .imports
            .anomalies
            .iter()
            .any(|a| matches!(&a.kind, AnomalyKind::Spurious { name } if name == "fake_raw_fd2")));
        assert!(run
            .imports
            .foreign
            .iter()
            .any(|(_, l)| l.starts_with("partial line without newline")));
    }
    let p = Profile::from_measurement(&m);
    let colorsys = p.modules.iter().find(|m| m.name == "colorsys").unwrap();
    assert_eq!(colorsys.importer.as_deref(), Some("noisy"));
}

#[test]
fn fresh_bytecode_mode_on_python3() {
    let Some(python) = python3() else { return };
    let dir = project();
    let mut config = quick(&python, dir.path(), "uses_local");
    config.bytecode = Bytecode::Fresh;
    config.pinning = Pinning::Off;
    let m = run(&config).unwrap();
    assert_eq!(m.bytecode.note, None);
    assert_eq!(m.pinned, None);
    // Nothing was written next to the sources.
    assert!(!dir.path().join("__pycache__").exists());
    assert!(!dir.path().join("localpkg/__pycache__").exists());
}

/// Every file and directory under `root`, with the bytes of each file.
fn tree(root: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push((path.clone(), None));
                stack.push(path);
            } else {
                out.push((path.clone(), Some(std::fs::read(&path).unwrap())));
            }
        }
    }
    out.sort();
    out
}

/// The `.pyc` files under `dir` whose path ends with `suffix`.
fn pyc_under(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    tree(dir)
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect()
}

#[test]
fn cached_bytecode_mode_fills_fastpaths_cache_and_leaves_the_tree_alone() {
    let Some(python) = python3() else { return };
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let before = tree(dir.path());
    let mut config = quick(&python, dir.path(), "uses_local");
    config.bytecode_cache = Some(cache.path().to_path_buf());
    let m = run(&config).unwrap();
    assert_eq!(tree(dir.path()), before, "the project tree changed");
    assert_eq!(m.bytecode.source, BytecodeSource::FastpathCache);
    let used = m.bytecode.cache.clone().unwrap();
    assert!(used.starts_with(cache.path().join("pycache")), "{used:?}");
    // The warm-up compiled the project's modules into the cache, at their absolute paths.
    let helper = pyc_under(&used, ".pyc")
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("localpkg/helper."))
        .collect::<Vec<_>>();
    assert_eq!(helper.len(), 1, "{helper:?}");
    // A second measurement of the same tree reads them and rewrites nothing.
    let compiled = std::fs::read(&helper[0]).unwrap();
    let stamp = std::fs::metadata(&helper[0]).unwrap().modified().unwrap();
    let again = run(&config).unwrap();
    assert_eq!(again.bytecode.cache.as_deref(), Some(used.as_path()));
    assert_eq!(std::fs::read(&helper[0]).unwrap(), compiled);
    assert_eq!(
        std::fs::metadata(&helper[0]).unwrap().modified().unwrap(),
        stamp
    );
    assert_eq!(tree(dir.path()), before, "the project tree changed");
}

#[test]
fn without_a_cache_directory_the_bytecode_cache_is_temporary() {
    let Some(python) = python3() else { return };
    let dir = project();
    let before = tree(dir.path());
    let m = run(&quick(&python, dir.path(), "uses_local")).unwrap();
    assert_eq!(tree(dir.path()), before, "the project tree changed");
    assert_eq!(m.bytecode.source, BytecodeSource::TemporaryCache);
    assert_eq!((m.bytecode.cache, m.bytecode.note), (None, None));
}

#[test]
fn virtualenv_interpreter_is_kept() {
    let Some(python) = python3() else { return };
    let venv = tempfile::tempdir().unwrap();
    let made = Command::new(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(venv.path().join("v"))
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("SKIP: python3 -m venv failed");
        return;
    }
    let venv_python = venv.path().join("v/bin/python");
    let dir = project();
    let m = run(&quick(&venv_python, dir.path(), "ok_entry")).unwrap();
    assert!(
        m.interpreter
            .executable
            .starts_with(&*venv.path().to_string_lossy()),
        "{} is not the virtualenv's",
        m.interpreter.executable
    );
}

#[test]
fn invalid_entry_and_missing_interpreter_are_clear_errors() {
    let dir = project();
    let err = run(&quick(Path::new("python3"), dir.path(), "not-a-module")).unwrap_err();
    assert!(matches!(err, RunError::InvalidEntry { .. }), "{err:?}");
    let err = run(&quick(
        Path::new("/nonexistent/python"),
        dir.path(),
        "ok_entry",
    ))
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/python"), "{err}");
    let err = run(&quick(
        Path::new("python3"),
        Path::new("/nonexistent/root"),
        "app",
    ))
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/root"), "{err}");
}

#[test]
fn every_pyenv_interpreter_from_3_7() {
    let mut ran = 0;
    for version in ["3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"] {
        let Some(python) = pyenv(&format!("{version}.")) else {
            continue;
        };
        let dir = project();
        let mut config = quick(&python, dir.path(), "uses_local");
        config.stopping = StoppingRule::fixed(2);
        config.startup_runs = 1;
        config.bytecode = Bytecode::Fresh;
        let m = run(&config).unwrap_or_else(|e| panic!("{version}: {e}"));
        assert!(m.interpreter.version.starts_with(version), "{version}");
        assert!(loaded(&m, "localpkg.helper"), "{version}");
        assert!(loaded(&m, "fractions"), "{version}");
        // 3.7 has no PYTHONPYCACHEPREFIX: the report says what was done instead.
        assert_eq!(m.bytecode.note.is_some(), version == "3.7", "{version}");
        // Cached bytecode, the default, writes nothing into the tree on any of them.
        let before = tree(dir.path());
        let cache = tempfile::tempdir().unwrap();
        config.bytecode = Bytecode::Cached;
        config.bytecode_cache = Some(cache.path().to_path_buf());
        let m = run(&config).unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(
            tree(dir.path()),
            before,
            "{version}: the project tree changed"
        );
        let in_cache = pyc_under(cache.path(), ".pyc");
        if version == "3.7" {
            assert_eq!(m.bytecode.source, BytecodeSource::BesideSources);
            assert!(m.bytecode.note.is_some());
            assert!(in_cache.is_empty(), "3.7 wrote to the cache: {in_cache:?}");
        } else {
            assert_eq!(
                m.bytecode.source,
                BytecodeSource::FastpathCache,
                "{version}"
            );
            assert_eq!(m.bytecode.note, None, "{version}");
            let tag = format!("localpkg/helper.cpython-{}.pyc", version.replace('.', ""));
            assert!(
                in_cache.iter().any(|p| p.to_string_lossy().ends_with(&tag)),
                "{version}: no {tag} in the cache"
            );
        }
        let p = Profile::from_measurement(&m);
        eprintln!(
            "{version}: uses_local import median {:.0} us, start-up {:.0} us",
            p.total_us.median,
            p.startup_us.unwrap().median
        );
        ran += 1;
    }
    if ran == 0 {
        eprintln!("SKIP: no pyenv interpreters");
    }
}

#[test]
fn python_2_and_3_6_are_refused_with_a_reason() {
    for (prefix, expect) in [("2.7", "Python 2"), ("3.6", "3.6")] {
        let Some(python) = pyenv(prefix) else {
            continue;
        };
        let dir = project();
        let err = run(&quick(&python, dir.path(), "ok_entry")).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, RunError::Unsupported { .. }),
            "{prefix}: {err:?}"
        );
        assert!(message.contains(expect), "{prefix}: {message}");
        assert!(message.contains("3.7 or later"), "{prefix}: {message}");
    }
}

#[test]
fn the_entry_is_imported_from_a_frame_the_size_of_plain_importtime() {
    // CPython 3.11+ maps frame data-stack chunks on demand: the same import measured from a
    // deeper frame can straddle a chunk boundary that a plain `-c "import X"` does not (awscli's
    // `urllib3.util.url` read 7x too dear). The bootstrap's module-level code must need no
    // more stack than `import X` alone, and import the entry at module level.
    let Some(python) = python3() else { return };
    let check = "import sys\nb = sys.stdin.read()\nplain = compile('import a.b', '<string>', 'exec')\n\
         ours = compile(b + 'import a.b\\n_fastpath_end()\\n', '<string>', 'exec')\n\
         print(plain.co_stacksize, ours.co_stacksize, len(plain.co_varnames), len(ours.co_varnames))";
    let mut child = Command::new(&python)
        .args(["-c", check])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(fastpath_profile::runner::BOOTSTRAP.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let sizes: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(sizes.len(), 4, "{text}");
    assert_eq!(sizes[0], sizes[1], "stack sizes differ: {text}");
    assert_eq!(sizes[2], sizes[3], "locals differ: {text}");
}

#[test]
fn an_entry_that_calls_sys_exit() {
    let Some(python) = python3() else { return };
    let dir = project();
    let m = run(&quick(&python, dir.path(), "exits_zero")).unwrap();
    assert!(m
        .runs
        .iter()
        .all(|r| r.outcome == fastpath_profile::runner::EntryOutcome::Exited));
    assert!(loaded(&m, "json"));
    match run(&quick(&python, dir.path(), "exits_three")) {
        Err(RunError::EntryRaised { traceback, .. }) => {
            assert!(
                traceback.contains("sys.exit()") && traceback.contains("exit code 3"),
                "{traceback}"
            );
        }
        other => panic!("{other:?}"),
    }
}
