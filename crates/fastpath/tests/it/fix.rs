//! `fastpath fix` and `check --fix` on temporary copies of fixture projects (never on the
//! committed files): the seed example's hidden import leaves the cold path and `check` passes;
//! refusals say why; unsafe fixes wait for `--unsafe-fixes`; a second run has nothing to do.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{fastpath, fixtures, require_python, run};

const TODAY: &str = "2025-11-20";

/// A copy of a fixture project in a temporary directory.
pub fn copy_project(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    dir
}

pub fn seed_example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lambda-seed")
}

fn fp(dir: &Path) -> Command {
    let mut command = fastpath(dir);
    command.env("FASTPATH_TODAY", TODAY);
    command
}

/// Replaces the temporary directory in output.
fn clean(text: String, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "[PROJECT]")
}

/// `python3 -c "import app; print(app.handler())"`-style call of a project's handler.
pub fn call(dir: &Path, module: &str, call: &str) -> String {
    let output = Command::new("python3")
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONPATH")
        .args([
            "-c",
            &format!("import {module}; print(repr({module}.{call}))"),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn fix_takes_the_seed_examples_hidden_import_off_the_cold_path() {
    require_python!();
    let project = copy_project(&seed_example());
    let dir = project.path();
    let before = call(dir, "lambda_function", "lambda_handler({'key': 'a'}, None)");

    let check = run(fp(dir).args(["check", "--static", "--python", "python3"]));
    assert!(
        check.starts_with("exit: 1") && check.contains("FP003"),
        "{check}"
    );

    // --diff previews and writes nothing.
    let original = std::fs::read(dir.join("interface_cache.py")).unwrap();
    insta::assert_snapshot!(
        "seed_fix_diff",
        clean(
            run(fp(dir).args(["fix", "--static", "--diff", "--python", "python3"])),
            dir
        )
    );
    assert_eq!(
        std::fs::read(dir.join("interface_cache.py")).unwrap(),
        original
    );

    insta::assert_snapshot!(
        "seed_fix",
        clean(
            run(fp(dir).args(["fix", "--static", "--python", "python3"])),
            dir
        )
    );
    let fixed = std::fs::read_to_string(dir.join("interface_cache.py")).unwrap();
    assert!(!fixed.contains("\nimport urllib.request"), "{fixed}");
    assert!(
        fixed.contains("def refresh(url):\n    import urllib.request"),
        "{fixed}"
    );

    // `check` passes, and a second `fix` has nothing to do.
    let check = run(fp(dir).args(["check", "--static", "--python", "python3"]));
    assert!(
        check.starts_with("exit: 0") && check.contains("No problems found"),
        "{check}"
    );
    let again = run(fp(dir).args(["fix", "--static", "--python", "python3"]));
    assert!(
        again.starts_with("exit: 0") && again.contains("No finding to fix."),
        "{again}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("interface_cache.py")).unwrap(),
        fixed
    );
    // The handler still works, and the function that needs the import can still run it.
    assert_eq!(
        before,
        call(dir, "lambda_function", "lambda_handler({'key': 'a'}, None)")
    );
    assert!(call(dir, "interface_cache", "refresh.__name__").contains("refresh"));
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("fastpath-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn check_fix_fixes_first_and_then_reports_what_is_left() {
    require_python!();
    let project = copy_project(&seed_example());
    let dir = project.path();
    let output = run(fp(dir).args(["check", "--static", "--fix", "--python", "python3"]));
    insta::assert_snapshot!(clean(output, dir));
}

#[test]
fn a_measured_finding_is_fixed_and_its_cost_reported() {
    require_python!();
    let project = copy_project(&fixtures().join("fix_measured"));
    let dir = project.path();
    let check = run(fp(dir).args(["check", "--profile", "profile.json", "--python", "python3"]));
    assert!(check.contains("FP104"), "{check}");
    let before = call(dir, "app", "handler()");
    insta::assert_snapshot!(clean(
        run(fp(dir).args(["fix", "--profile", "profile.json", "--python", "python3"])),
        dir
    ));
    assert_eq!(before, call(dir, "app", "handler()"));
    let check = run(fp(dir).args(["check", "--profile", "profile.json", "--python", "python3"]));
    assert!(!check.contains("FP104"), "{check}");
}

#[test]
fn refusals_say_why_and_change_nothing() {
    require_python!();
    let project = copy_project(&fixtures().join("fix_refusals"));
    let dir = project.path();
    let service = std::fs::read(dir.join("service.py")).unwrap();
    let app = std::fs::read(dir.join("app.py")).unwrap();
    insta::assert_snapshot!(clean(
        run(fp(dir).args(["fix", "--static", "--python", "python3"])),
        dir
    ));
    assert_eq!(std::fs::read(dir.join("service.py")).unwrap(), service);
    assert_eq!(std::fs::read(dir.join("app.py")).unwrap(), app);
}

#[test]
fn unsafe_fixes_wait_for_the_flag() {
    require_python!();
    let project = copy_project(&fixtures().join("fix_unsafe"));
    let dir = project.path();
    let original = std::fs::read(dir.join("render.py")).unwrap();
    let output = run(fp(dir).args(["fix", "--static", "--python", "python3"]));
    assert!(output.starts_with("exit: 1"), "{output}");
    assert!(output.contains("--unsafe-fixes"), "{output}");
    assert_eq!(std::fs::read(dir.join("render.py")).unwrap(), original);
    let before = call(dir, "app", "handler()");
    let output = run(fp(dir).args(["fix", "--static", "--unsafe-fixes", "--python", "python3"]));
    insta::assert_snapshot!(clean(output, dir));
    assert_eq!(before, call(dir, "app", "handler()"));
    let check = run(fp(dir).args(["check", "--static", "--python", "python3"]));
    assert!(check.starts_with("exit: 0"), "{check}");
}
