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

/// A project in a temporary directory from `(file, text)` pairs.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn python3_imports(dir: &Path, module: &str) -> String {
    let output = Command::new("python3")
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["-c", &format!("import {module}")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_eight_line_stdlib_reproduction_is_refused_even_under_static() {
    require_python!();
    // issue 12: moving the `from xml.dom.minidom` import unbinds `xml.dom`.
    let dir = project(&[
        (
            "app.py",
            "import xml\nfrom xml.dom.minidom import parseString\n\nNODE = xml.dom.Node\n\n\ndef f(s):\n    return parseString(s)\n",
        ),
        (
            "pyproject.toml",
            "[tool.fastpath]\nentry = \"app\"\nbanned = [\"xml.dom.minidom\"]\n",
        ),
    ]);
    let before = std::fs::read(dir.path().join("app.py")).unwrap();
    let out = run(fp(dir.path()).args(["fix", "--static", "--python", "python3"]));
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(
        out.contains("`xml.dom` is read at import time (line 4)") && out.contains("AttributeError"),
        "{out}"
    );
    assert_eq!(std::fs::read(dir.path().join("app.py")).unwrap(), before);
    assert_eq!(python3_imports(dir.path(), "app"), "");
}

#[test]
fn two_statements_one_module_converge_in_one_run_and_a_second_run_prints_nothing() {
    require_python!();
    // httpie: `import requests` fixed while `from requests import __version__`, two lines
    // lower, kept it loaded. Here `json` is loaded by two statements in two files.
    let dir = project(&[
        (
            "app.py",
            "import json\nimport helper\nfrom json import dumps\n\n\ndef handler():\n    return json.loads('1') + len(dumps(2)) + helper.g()\n",
        ),
        ("helper.py", "import json\n\n\ndef g():\n    return len(json.dumps(3))\n"),
        (
            "pyproject.toml",
            "[tool.fastpath]\nentry = \"app\"\nbanned = [\"json\"]\n",
        ),
    ]);
    let out = run(fp(dir.path()).args(["fix", "--python", "python3", "--runs", "1"]));
    assert!(out.starts_with("exit: 0"), "{out}");
    assert!(
        out.contains("Fixed 4 of 4 findings in 2 files. Verified by running the entry: 4 safe, 0 no-win, 0 unsafe"),
        "{out}"
    );
    assert_eq!(call(dir.path(), "app", "handler()"), "3\n");
    let modules = Command::new("python3")
        .current_dir(dir.path())
        .args(["-c", "import sys, app; print('json' in sys.modules)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&modules.stdout), "False\n");
    // Convergence: nothing left to do.
    let again = run(fp(dir.path()).args(["fix", "--static", "--diff", "--python", "python3"]));
    assert!(
        again.starts_with("exit: 0\n--- stdout\n--- stderr\nNo finding to fix.\n"),
        "{again}"
    );
}

#[test]
fn a_module_that_stays_is_reported_with_the_statement_that_keeps_it() {
    require_python!();
    // `other` uses `json` at import time: moving `helper`'s import would win nothing, so it is
    // not applied, the finding is not counted as fixed, and the report says why.
    let dir = project(&[
        ("app.py", "from fast_path import *\n"),
        (
            "fast_path.py",
            "\"\"\"\nFast Path.\nLast profiled: 2025-11-08\n\"\"\"\nimport helper  # 1ms, every request\n\n__all__ = ['helper']\n",
        ),
        (
            "helper.py",
            "import json\nimport other\n\n\ndef g():\n    return json.dumps(1)\n",
        ),
        ("other.py", "import json\n\nX = json.dumps(3)\n"),
        (
            "pyproject.toml",
            "[tool.fastpath]\nentry = \"app\"\nbanned = [\"json\"]\n",
        ),
    ]);
    let out = run(fp(dir.path()).args(["fix", "--static", "--python", "python3"]));
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(
        out.contains("other.py:1:1: also loads `json`, which stays: `import json`: `json` is used at import time"),
        "{out}"
    );
    assert!(
        out.contains("helper.py:1:1: FP003 not applied (no-win: `json` stays, loaded by other.py:1: import json)"),
        "{out}"
    );
    assert!(out.contains("Fixed 0 of 1 finding in 0 files"), "{out}");
    // The no-win edit is not left behind: a second run has nothing new to do.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("helper.py")).unwrap(),
        "import json\nimport other\n\n\ndef g():\n    return json.dumps(1)\n"
    );
}

#[test]
fn verification_rolls_back_what_the_users_tests_reject() {
    require_python!();
    // Statically safe, but the test reads `app.json`: `--test` finds it and rolls it back.
    let dir = project(&[
        (
            "app.py",
            "import json\nimport csv\n\n\ndef handler():\n    return json.dumps([csv.QUOTE_ALL])\n",
        ),
        (
            "pyproject.toml",
            "[tool.fastpath]\nentry = \"app\"\nbanned = [\"json\", \"csv\"]\n",
        ),
    ]);
    let out = run(fp(dir.path()).args([
        "fix",
        "--python",
        "python3",
        "--runs",
        "1",
        "--test",
        "python3 -c 'import app; assert app.json.dumps(1) == \"1\"'",
    ]));
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(
        out.contains("app.py:1:1: FP001, FP003 rolled back (unsafe: `python3 -c"),
        "{out}"
    );
    assert!(
        out.contains("app.py:2:1: FP001, FP003 fixed (safe, verified)"),
        "{out}"
    );
    assert!(
        out.contains("1 safe, 0 no-win, 1 unsafe (rolled back)"),
        "{out}"
    );
    let text = std::fs::read_to_string(dir.path().join("app.py")).unwrap();
    assert_eq!(
        text,
        "import json\n\n\ndef handler():\n    import csv\n    return json.dumps([csv.QUOTE_ALL])\n"
    );
}

#[test]
fn a_large_file_diffs_in_small_hunks() {
    require_python!();
    // issue 12: a 7-line change in a file of 5,000 lines printed one hunk of everything.
    let body: String = (0..5000).map(|i| format!("X{i} = {i}\n")).collect();
    let m = format!("import json\n{body}\n\ndef f():\n    return json.dumps({{}})\n");
    let dir = project(&[
        ("m.py", &m),
        ("app.py", "import m\n"),
        (
            "pyproject.toml",
            "[tool.fastpath]\nentry = \"app\"\nbanned = [\"json\"]\n",
        ),
    ]);
    let out = run(fp(dir.path()).args(["fix", "--static", "--diff", "--python", "python3"]));
    let hunks: Vec<&str> = out.lines().filter(|l| l.starts_with("@@")).collect();
    assert_eq!(hunks, ["@@ -1,4 +1,3 @@", "@@ -5002,4 +5001,5 @@"], "{out}");
    assert!(out.lines().count() < 30, "{out}");
}
