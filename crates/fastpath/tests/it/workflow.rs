//! The end-to-end workflow, as a user runs it, on fixture projects modelled on real layouts:
//! the seed's flat Lambda, a packaged SAM Lambda (`services.orders.handler.lambda_handler`), two
//! Lambdas sharing a package, a src-layout CLI with `[project.scripts]` whose `__main__` defers
//! its imports into `main()`, and a project with its `.venv` inside the tree.
//!
//! Each runs `init` → `check` → `fix` → `check` → `baseline`; then a slow import is added in a
//! helper module, and `check` (FP201, and FP203 at the new statement) → `blame` → `update` →
//! `check`. After every step the tree is compared with the one before: only the files the step
//! is meant to write may change, and after every write each entry still imports in a fresh
//! interpreter (the CLI still answers `--version`). The findings after the slow import are
//! snapshotted by code and location (their figures are timings).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{fastpath, fixtures, python};

/// One fixture project and what the workflow needs to know about it.
struct Layout {
    name: &'static str,
    /// The entries as configured, for `init` (one run each).
    entries: &'static [&'static str],
    /// The modules a fresh interpreter must still import after every write.
    modules: &'static [&'static str],
    /// Import roots under the project root besides the root itself.
    src: &'static [&'static str],
    /// The manifests `init` writes (relative paths).
    manifests: &'static [&'static str],
    /// The helper module the slow import goes into, and the new module's file and name.
    helper: &'static str,
    slow_file: &'static str,
    slow_module: &'static str,
    /// `python -m MODULE --version` must print this, for a CLI.
    cli: Option<(&'static str, &'static str)>,
    /// Create `.venv` inside the tree (the configuration names its interpreter).
    venv: bool,
}

const SLOW_MODULE: &str = "\"\"\"A slow dependency: busy at import time.\"\"\"\ntotal = 0\nfor i in range(1500000):\n    total += i\n";

/// Fails under `CI=true` when python3 is missing; skips elsewhere.
fn interpreter() -> Option<PathBuf> {
    match python() {
        Some((executable, _, _)) => Some(executable.clone()),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and no python3: the workflow suite cannot run")
        }
        None => {
            eprintln!("skipped: no python3 on PATH");
            None
        }
    }
}

/// Every file under `dir` (`.git`, `__pycache__` and `.fastpath` left out) with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name == ".git" || name == "__pycache__" || name == ".fastpath" {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                walk(root, &path, out);
            } else if kind.is_file() {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The files that differ between two trees.
fn changed(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> BTreeSet<PathBuf> {
    let keys: BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn step(dir: &Path, args: &[&str]) -> Run {
    let output = fastpath(dir)
        .env("FASTPATH_TODAY", "2026-01-15")
        .args(args)
        .output()
        .expect("run fastpath");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.email=dev@example.com", "-c", "user.name=Dev"])
        .args(args)
        .output()
        .expect("git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Layout {
    /// Each entry module imports in a fresh interpreter from the project root, and the CLI
    /// answers `--version`.
    fn still_imports(&self, dir: &Path, python: &Path, after: &str) {
        let pythonpath = std::env::join_paths(self.src.iter().map(|s| dir.join(s))).unwrap();
        for module in self.modules {
            let output = Command::new(python)
                .current_dir(dir)
                .env("PYTHONPATH", &pythonpath)
                .args(["-c", &format!("import {module}")])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}: after {after}, `import {module}` fails:\n{}",
                self.name,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        if let Some((module, expected)) = self.cli {
            let output = Command::new(python)
                .current_dir(dir)
                .env("PYTHONPATH", &pythonpath)
                .args(["-m", module, "--version"])
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&output.stdout).trim(),
                expected,
                "{}: after {after}, `python -m {module} --version`: {}",
                self.name,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }

    /// Runs one step and checks what it changed against `allowed` (a predicate on paths).
    fn run(
        &self,
        dir: &Path,
        python: &Path,
        args: &[&str],
        codes: &[i32],
        allowed: &dyn Fn(&Path) -> bool,
    ) -> Run {
        let before = tree(dir);
        let mut run = step(dir, args);
        // A write refused because the machine was busy (the other tests of this binary run
        // beside it) is the tool keeping its promise; try again, a few times.
        for _ in 0..3 {
            let busy = run.code == 2 && run.stderr.contains("the machine is busy");
            if !busy || codes.contains(&2) {
                break;
            }
            assert_eq!(tree(dir), before, "a refused write changed the tree");
            std::thread::sleep(std::time::Duration::from_secs(2));
            run = step(dir, args);
        }
        assert!(
            codes.contains(&run.code),
            "{}: `fastpath {}` exited {}\n--- stdout\n{}--- stderr\n{}",
            self.name,
            args.join(" "),
            run.code,
            run.stdout,
            run.stderr
        );
        let after = tree(dir);
        let changed = changed(&before, &after);
        for path in &changed {
            assert!(
                allowed(path),
                "{}: `fastpath {}` changed {} unexpectedly",
                self.name,
                args.join(" "),
                path.display()
            );
        }
        if !changed.is_empty() {
            self.still_imports(dir, python, &format!("`fastpath {}`", args.join(" ")));
        }
        run
    }
}

/// `path:line:col: CODE` of each finding in concise output, sorted.
fn findings(concise: &str) -> String {
    let mut lines: Vec<String> = concise
        .lines()
        .filter_map(|line| {
            let (location, rest) = line.split_once(": FP")?;
            let code = rest.split_whitespace().next()?;
            Some(format!("{location}: FP{code}"))
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// One workflow measures at a time: `init` and `update` refuse to write a contended
/// measurement, and two workflows measuring side by side on a 2-CPU machine contend.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn workflow(layout: &Layout) {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(python) = interpreter() else {
        return;
    };
    let copy = tempfile::tempdir().unwrap();
    let dir = copy.path().join(layout.name);
    copy_dir(&fixtures().join("workflow").join(layout.name), &dir);
    if layout.venv {
        let status = Command::new(&python)
            .args(["-m", "venv", "--without-pip"])
            .arg(dir.join(".venv"))
            .status()
            .unwrap();
        assert!(status.success());
    }
    git(&dir, &["init", "-q", "."]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "the project"]);
    layout.still_imports(&dir, &python, "nothing");

    let manifests: BTreeSet<PathBuf> = layout.manifests.iter().map(PathBuf::from).collect();
    let is_project_source =
        |p: &Path| p.extension().is_some_and(|e| e == "py") && !p.starts_with(".venv");

    // init, once per entry: the entry's manifest and the entry file, nothing else.
    for entry in layout.entries {
        let run = layout.run(&dir, &python, &["init", entry], &[0], &|p| {
            manifests.contains(p) || (is_project_source(p) && !p.starts_with(".venv"))
        });
        assert!(run.stdout.contains("Wrote "), "{}", run.stdout);
    }
    for manifest in &manifests {
        assert!(
            dir.join(manifest).is_file(),
            "{}: no {}",
            layout.name,
            manifest.display()
        );
    }
    let read_only = |_: &Path| false;
    layout.run(&dir, &python, &["check", "--static"], &[0, 1], &read_only);
    layout.run(
        &dir,
        &python,
        &["fix", "--static"],
        &[0, 1],
        &is_project_source,
    );
    let clean = layout.run(&dir, &python, &["check", "--static"], &[0], &read_only);
    assert!(
        clean.stdout.contains("No problems found."),
        "{}",
        clean.stdout
    );
    layout.run(&dir, &python, &["baseline"], &[0], &|p| {
        p == Path::new("fastpath-baseline.json")
    });
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "fast path"]);

    // A slow import in a helper module.
    std::fs::write(dir.join(layout.slow_file), SLOW_MODULE).unwrap();
    let helper = dir.join(layout.helper);
    let text = std::fs::read_to_string(&helper).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    std::fs::write(
        &helper,
        format!("{first}\nimport {}\n{rest}", layout.slow_module),
    )
    .unwrap();
    layout.still_imports(&dir, &python, "adding the slow import");
    git(&dir, &["commit", "-q", "-am", "a slow dependency"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "its module"]);

    let regressed = layout.run(
        &dir,
        &python,
        &["check", "--output-format", "concise"],
        &[1],
        &read_only,
    );
    let found = findings(&regressed.stdout);
    let at = format!("{}:2:1: FP203", layout.helper);
    assert!(
        found.contains(&at),
        "{}: no {at} in\n{}",
        layout.name,
        regressed.stdout
    );
    assert!(
        found.contains("FP201"),
        "{}: no FP201 in\n{}",
        layout.name,
        regressed.stdout
    );
    assert!(
        !found.contains(".venv"),
        "{}: a finding inside the virtualenv:\n{found}",
        layout.name
    );
    // The snapshot keeps the findings on the project's own statements. Those on the manifest's
    // lines (FP101/FP103/FP105 price `import json` too, and on a loaded machine that crosses
    // the 10 ms line) and FP202 on standard-library modules move with the machine's load: it
    // keeps the regression (FP201) and the new module (FP203), which the slow import decides.
    let stable: Vec<&str> = found
        .lines()
        .filter(|l| !l.starts_with('/') && !l.contains("fast_path.py"))
        // FP104 and FP202 price modules near their thresholds: they move with the load too.
        .filter(|l| l.contains("FP201") || l.contains("FP203"))
        .collect();
    insta::assert_snapshot!(format!("{}_findings", layout.name), stable.join("\n"));

    let blame = layout.run(&dir, &python, &["blame"], &[0], &read_only);
    assert!(
        blame.stdout.contains(layout.slow_module),
        "{}: blame does not name {}:\n{}",
        layout.name,
        layout.slow_module,
        blame.stdout
    );
    // On a machine too busy to measure a cost to the precision it is written with, `update`
    // writes nothing and exits 2 naming the cause (the test binary measures in parallel with
    // other tests, so that can happen here): then nothing changed and FP105 may stay.
    let update = layout.run(&dir, &python, &["update"], &[0, 2], &|p| {
        manifests.contains(p)
    });
    let updated = update.code == 0;
    if updated {
        // A manifest whose imports the slow module does not touch (the CLI's: `import sys`) is
        // already up to date.
        assert!(
            update.stdout.contains("Updated ") || update.stdout.contains("is up to date"),
            "{}",
            update.stdout
        );
    } else {
        assert!(
            update.stderr.contains("the machine is busy") || update.stderr.contains("is noisy"),
            "{}: {}",
            layout.name,
            update.stderr
        );
    }
    let after = layout.run(
        &dir,
        &python,
        &["check", "--output-format", "concise"],
        &[1],
        &read_only,
    );
    // The costs were brought up to date: FP105 is gone; the regression stays until a new
    // baseline is recorded.
    let after = findings(&after.stdout);
    if updated {
        assert!(!after.contains("FP105"), "{}: {after}", layout.name);
    }
    assert!(after.contains(&at), "{}: {after}", layout.name);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn flat_seed_lambda() {
    workflow(&Layout {
        name: "flat_lambda",
        entries: &["lambda_function"],
        modules: &["lambda_function"],
        src: &[],
        manifests: &["fast_path.py"],
        helper: "orders_store.py",
        slow_file: "slow_dep.py",
        slow_module: "slow_dep",
        cli: None,
        venv: false,
    });
}

#[test]
fn packaged_sam_lambda() {
    workflow(&Layout {
        name: "sam_lambda",
        entries: &["services.orders.handler.lambda_handler"],
        modules: &["services.orders.handler"],
        src: &["src"],
        manifests: &["src/services/orders/fast_path.py"],
        helper: "src/services/orders/repository.py",
        slow_file: "src/services/orders/slow_dep.py",
        slow_module: "services.orders.slow_dep",
        cli: None,
        venv: false,
    });
}

#[test]
fn two_lambdas_sharing_a_package() {
    workflow(&Layout {
        name: "two_lambdas",
        entries: &[
            "functions.orders.app.handler",
            "functions.users.app.handler",
        ],
        modules: &["functions.orders.app", "functions.users.app"],
        src: &[],
        manifests: &[
            "functions/orders/fast_path.py",
            "functions/users/fast_path.py",
        ],
        helper: "functions/common/helpers.py",
        slow_file: "functions/common/slow_dep.py",
        slow_module: "functions.common.slow_dep",
        cli: None,
        venv: false,
    });
}

#[test]
fn src_layout_cli_with_console_script() {
    workflow(&Layout {
        name: "src_cli",
        entries: &["mycli"],
        modules: &["mycli.__main__"],
        src: &["src"],
        manifests: &["src/mycli/fast_path.py"],
        helper: "src/mycli/commands.py",
        slow_file: "src/mycli/slow_dep.py",
        slow_module: "mycli.slow_dep",
        cli: Some(("mycli", "mycli 1.0")),
        venv: false,
    });
}

#[test]
fn venv_inside_the_tree() {
    workflow(&Layout {
        name: "venv_in_tree",
        entries: &["app.handler:handler"],
        modules: &["app.handler"],
        src: &[],
        manifests: &["app/fast_path.py"],
        helper: "app/util.py",
        slow_file: "app/slow_dep.py",
        slow_module: "app.slow_dep",
        cli: None,
        venv: true,
    });
}
