//! Integration tests: the real `fastpath` binary on fixture projects, output snapshotted with
//! paths, interpreter versions and timings filtered. One binary, one module per feature.

mod bad_input;
mod busy;
mod calls;
mod check;
mod fix;
mod fuzz_corpus;
mod graph;
mod html;
mod init;
mod model;
mod profile;
mod pycache;
mod readonly;
mod regression;
mod sarif;
mod update;
mod usage;
mod workflow;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// The interpreter the tests target: a virtualenv (without pip) made from `python3` once per
/// run, so that what the machine's own `site-packages` loads at start-up (`.pth` files) cannot
/// change the output. Its executable, standard-library directory and version, or `None` when
/// there is no `python3` (tests then skip with a message).
pub fn python() -> Option<&'static (PathBuf, String, String)> {
    static PYTHON: OnceLock<Option<(PathBuf, String, String)>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
            let python = venv.join("bin").join("python3");
            if !python.is_file() {
                let _ = std::fs::remove_dir_all(&venv);
                let status = Command::new("python3").args(["-m", "venv", "--without-pip"]).arg(&venv).status().ok()?;
                if !status.success() {
                    return None;
                }
            }
            let out = Command::new(&python)
                .args(["-c", "import sys, sysconfig, platform; print(sys.executable); print(sysconfig.get_paths()['stdlib']); print(platform.python_version())"])
                .output()
                .ok()?;
            let text = String::from_utf8(out.stdout).ok()?;
            let mut lines = text.lines();
            Some((PathBuf::from(lines.next()?), lines.next()?.to_string(), lines.next()?.to_string()))
        })
        .as_ref()
}

/// Whether CI runs the tests (`CI=true`): there a missing prerequisite fails the test instead
/// of skipping it, so a broken CI image cannot pass silently.
pub fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips the test (or fails it under CI) when there is no `python3`.
#[macro_export]
macro_rules! require_python {
    () => {
        match $crate::python() {
            Some(python) => python,
            None => {
                assert!(!$crate::on_ci(), "CI=true but there is no python3 on PATH");
                eprintln!("skipped: no python3 on PATH");
                return;
            }
        }
    };
}

/// Whether `git` runs here; under CI it must.
pub fn git_available() -> bool {
    let found = Command::new("git").arg("--version").output().is_ok();
    assert!(found || !on_ci(), "CI=true but git is not installed");
    found
}

/// A `fastpath` command with a private interpreter cache and no inherited configuration.
pub fn fastpath(cwd: &Path) -> Command {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    let cache = CACHE.get_or_init(|| tempfile::tempdir().expect("cache dir"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_fastpath"));
    command
        .current_dir(cwd)
        .env("FASTPATH_CACHE_DIR", cache.path())
        .env("PATH", search_path())
        .env_remove("FASTPATH_PYTHON")
        .env_remove("VIRTUAL_ENV")
        .env_remove("PYTHONPATH");
    command
}

/// `PATH` with the test interpreter's directory first, so `--python python3` names it.
fn search_path() -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = python()
        .and_then(|(executable, _, _)| executable.parent())
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    dirs.extend(
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    std::env::join_paths(dirs).expect("PATH entries")
}

/// Exit code, stdout and stderr in one text, with machine-specific parts replaced.
pub fn run(command: &mut Command) -> String {
    let output = command.output().expect("run fastpath");
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    filter(&text)
}

/// Replaces what differs between machines: interpreter paths and versions, fixture paths.
pub fn filter(text: &str) -> String {
    let mut text = text.to_string();
    if let Some((executable, stdlib, version)) = python() {
        text = text.replace(stdlib.as_str(), "[STDLIB]");
        text = text.replace(&executable.display().to_string(), "[PYTHON]");
        text = text.replace(&format!("\"{version}\""), "\"[VERSION]\"");
        text = text.replace(&format!("Python {version} "), "Python [VERSION] ");
    }
    text.replace(&fixtures().display().to_string(), "[FIXTURES]")
}
