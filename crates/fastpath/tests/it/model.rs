//! The project model's promises, one regression test for each bug of issue 9: every measured
//! command runs a src layout; `update` twice then `check` agree on what a manifest import
//! costs; a baseline records the cold path `check` computes (observed imports included);
//! `--show-settings` writes nothing whatever the command; `--runs 0` and `--timeout 0` are
//! refused by every command that measures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{fastpath, git_available, python, require_python};

fn output(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("run fastpath");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Alice Example")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice Example")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The issue's `r2`: `src/mypkg/cli.py` imports json; the entry is `mypkg.cli` with
/// `src = ["src"]`, a manifest at the root, committed in git.
fn src_layout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("src/mypkg")).unwrap();
    std::fs::write(d.join("src/mypkg/__init__.py"), "").unwrap();
    std::fs::write(
        d.join("src/mypkg/cli.py"),
        "from fast_path import *\nimport csv\n",
    )
    .unwrap();
    std::fs::write(
        d.join("fast_path.py"),
        "\"\"\"\nLast profiled: 2026-12-01\n\"\"\"\nimport json  # 1ms, every request\n__all__ = [\"json\"]\n# HISTORY:\n",
    )
    .unwrap();
    std::fs::write(
        d.join("pyproject.toml"),
        format!(
            "[tool.fastpath]\nentry = \"mypkg.cli\"\nsrc = [\"src\"]\npython = \"{}\"\nregression-max-runs = 2\n",
            python().unwrap().0.display()
        ),
    )
    .unwrap();
    std::fs::write(d.join(".gitignore"), "__pycache__/\n.fastpath/\n").unwrap();
    dir
}

#[test]
fn every_measured_command_runs_a_src_layout() {
    require_python!();
    let dir = src_layout();
    let d = dir.path();
    let with_git = git_available();
    if with_git {
        git(d, &["init", "-q", "-b", "main"]);
        git(d, &["add", "."]);
        git(d, &["commit", "-q", "-m", "first"]);
    }
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["check", "--runs", "1"],
        vec!["fix", "--diff", "--runs", "1"],
        vec!["update", "--diff", "--runs", "1"],
        vec!["blame", "--runs", "1"],
        vec!["record", "--runs", "1"],
        vec!["baseline", "--runs", "1"],
        vec!["init", "--diff", "--runs", "1"],
    ];
    if with_git {
        commands.push(vec!["check", "--against", "HEAD"]);
    }
    for args in commands {
        let mut command = fastpath(d);
        let cli = d.join("src/mypkg/cli.py");
        let kept = std::fs::read(&cli).unwrap();
        if args[0] == "init" {
            // `init` starts from a project without a manifest.
            std::fs::rename(d.join("fast_path.py"), d.join("fast_path.py.kept")).unwrap();
            std::fs::write(&cli, "import json\nimport csv\n").unwrap();
        }
        let (code, stdout, stderr) = output(command.args(&args));
        if args[0] == "init" {
            std::fs::rename(d.join("fast_path.py.kept"), d.join("fast_path.py")).unwrap();
            std::fs::write(&cli, kept).unwrap();
        }
        assert!(
            code == 0 || code == 1,
            "`fastpath {}` exited {code}\n{stdout}\n{stderr}",
            args.join(" ")
        );
        assert!(
            !stderr.contains("No module named"),
            "`fastpath {}`: {stderr}",
            args.join(" ")
        );
    }
}

/// `from logging import handlers` costs `logging` and then `logging.handlers`: `update` writes
/// that, and `check` (FP105) prices it the same way, so `update`, `update`, `check` settle.
#[test]
fn update_twice_then_check_agree_on_a_manifest_import_cost() {
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("app.py"), "from fast_path import *\n").unwrap();
    std::fs::write(
        d.join("pyproject.toml"),
        "[tool.fastpath]\nentry = \"app\"\nbanned = []\n",
    )
    .unwrap();
    std::fs::write(
        d.join("fast_path.py"),
        "\"\"\"\nLast profiled: 2026-12-01\n\"\"\"\nfrom logging import handlers  # 1ms, every request - PROFILED 2026-12-01\n__all__ = [\"handlers\"]\n# HISTORY:\n",
    )
    .unwrap();
    // One real measurement, saved: every command below reads the same figures.
    let (code, profile, stderr) = output(fastpath(d).args([
        "profile", "--python", "python3", "--runs", "3", "--format", "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(d.join("profile.json"), &profile).unwrap();
    let today = ["FASTPATH_TODAY", "2026-12-03"];
    for _ in 0..2 {
        let (code, _, stderr) = output(fastpath(d).env(today[0], today[1]).args([
            "update",
            "--python",
            "python3",
            "--profile",
            "profile.json",
        ]));
        assert_eq!(code, 0, "{stderr}");
    }
    let manifest = std::fs::read_to_string(d.join("fast_path.py")).unwrap();
    let (_, stdout, stderr) = output(fastpath(d).env(today[0], today[1]).args([
        "check",
        "--python",
        "python3",
        "--profile",
        "profile.json",
        "--output-format",
        "concise",
    ]));
    assert!(!stdout.contains("FP105"), "{manifest}\n{stdout}\n{stderr}");
    // The written cost is both modules' (not `logging.handlers` alone).
    let json: serde_json::Value = serde_json::from_str(&profile).unwrap();
    let cumulative = |name: &str| {
        json["modules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["cumulative_us"]["median"].as_f64().unwrap())
            .unwrap_or(0.0)
    };
    let both_ms = (cumulative("logging") + cumulative("logging.handlers")) / 1000.0;
    let written: f64 = manifest
        .lines()
        .find(|l| l.starts_with("from logging import handlers"))
        .and_then(|l| l.split("# ").nth(1))
        .and_then(|c| c.split("ms").next())
        .and_then(|n| n.parse().ok())
        .expect("a written cost");
    assert!(
        (written - both_ms).abs() <= 0.5 + both_ms * 0.05,
        "written {written} ms, logging and logging.handlers {both_ms} ms\n{manifest}"
    );
}

/// The issue's `r6`: a module imported through a computed name is observed by `profile`; the
/// baseline records it, so `check --static` on the same commit finds nothing new.
#[test]
fn a_baseline_then_a_static_check_finds_nothing_new() {
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("app.py"),
        "import importlib\n\nNAME = \"json.\" + \"decoder\"\ndecoder = importlib.import_module(NAME)\n",
    )
    .unwrap();
    std::fs::write(
        d.join("pyproject.toml"),
        "[tool.fastpath]\nentry = \"app\"\nruns = 2\n",
    )
    .unwrap();
    for args in [vec!["profile", "-q"], vec!["baseline", "-q"]] {
        let (code, _, stderr) = output(fastpath(d).args(&args).args(["--python", "python3"]));
        assert_eq!(code, 0, "{args:?}: {stderr}");
    }
    let (_, stdout, stderr) = output(fastpath(d).args([
        "check",
        "--static",
        "--python",
        "python3",
        "--output-format",
        "concise",
    ]));
    assert!(!stdout.contains("FP203"), "{stdout}\n{stderr}");
    assert!(!stdout.contains(":0:"), "no finding on line 0: {stdout}");
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    files
}

#[test]
fn show_settings_writes_nothing_whatever_the_command() {
    require_python!();
    let dir = src_layout();
    let d = dir.path();
    let before = tree(d);
    let commands: &[&[&str]] = &[
        &[],
        &["check"],
        &["check", "--fix"],
        &["fix"],
        &["init"],
        &["update"],
        &["baseline"],
        &["record"],
        &["history"],
        &["blame"],
        &["profile"],
        &["graph"],
        &["explain"],
    ];
    for args in commands {
        let (code, stdout, stderr) = output(fastpath(d).args(*args).arg("--show-settings"));
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(
            stdout.contains("entry: [\"mypkg.cli\"]"),
            "{args:?}: {stdout}"
        );
        assert_eq!(tree(d), before, "`fastpath {args:?} --show-settings` wrote");
    }
}

#[test]
fn runs_and_timeout_must_be_positive_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let measured: &[&[&str]] = &[
        &["check"],
        &["fix"],
        &["init"],
        &["update"],
        &["baseline"],
        &["record"],
        &["blame"],
        &["profile"],
    ];
    for args in measured {
        for (flag, value) in [("--runs", "0"), ("--timeout", "0")] {
            let (code, _, stderr) = output(fastpath(dir.path()).args(*args).args([flag, value]));
            assert_eq!(code, 2, "{args:?} {flag} {value}: {stderr}");
            assert!(stderr.contains(flag), "{args:?} {flag}: {stderr}");
        }
    }
    assert!(tree(dir.path()).is_empty());
}

/// The other read-only ways to run: previews (`--diff`), static checks, the graph, `explain`.
/// Figures come from a saved profile, so nothing is measured.
#[test]
fn read_only_flags_write_nothing() {
    require_python!();
    let dir = src_layout();
    let d = dir.path();
    let elsewhere = tempfile::tempdir().unwrap();
    let profile = elsewhere.path().join("profile.json");
    let (code, json, stderr) =
        output(fastpath(d).args(["profile", "--runs", "1", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(&profile, json).unwrap();
    // Profiling may record observed imports: the tree is taken after it.
    let before = tree(d);
    let saved = profile.to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["check", "--static"],
        &["check", "--profile", saved],
        &["check", "--fix", "--diff", "--static"],
        &["fix", "--diff", "--profile", saved],
        &["update", "--diff", "--profile", saved],
        &["graph"],
        &["graph", "--format", "json"],
        &["blame", "--static"],
        &["explain", "FP105"],
    ];
    for args in commands {
        let (code, stdout, stderr) = output(fastpath(d).args(*args));
        assert!(
            code == 0 || code == 1,
            "{args:?} exited {code}: {stdout}\n{stderr}"
        );
        assert_eq!(tree(d), before, "`fastpath {args:?}` wrote");
    }
}
