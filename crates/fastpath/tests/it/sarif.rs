//! Locations a code host accepts: SARIF from the fixtures validates against the SARIF 2.1.0
//! schema (vendored under `tests/fixtures/sarif_schema/`, checked with Python's `jsonschema`),
//! and every SARIF and GitHub location is a file of the repository, named from the git root
//! even when the project sits in a subdirectory, at line and column 1 or later. A problem inside
//! a dependency installed in a `.venv` inside the tree is reported on the project statement
//! that imports the dependency.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use std::io::Write;

use crate::{fastpath, fixtures, require_python};

const TODAY: &str = "2025-11-20";

const VALIDATE: &str = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
log = json.load(sys.stdin)
errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
for e in errors:
    print("/".join(map(str, e.absolute_path)), e.message)
sys.exit(1 if errors else 0)
"#;

/// A Python with `jsonschema`: the CI's venv (`.ci/prereq/60-sarif-schema.sh`), else
/// `python3` when it has it. Under `CI=true` its absence fails the test.
fn validator() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/sarif-venv/bin/python")
        .to_path_buf();
    [venv, PathBuf::from("python3")].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import jsonschema"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

macro_rules! require_validator {
    () => {
        match validator() {
            Some(python) => python,
            None if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("no Python with `jsonschema`: run .ci/prereq/60-sarif-schema.sh")
            }
            None => {
                eprintln!("skipped: no Python with `jsonschema` (.ci/prereq/60-sarif-schema.sh)");
                return;
            }
        }
    };
}

fn validate(python: &Path, sarif: &[u8]) {
    let schema = fixtures()
        .join("sarif_schema")
        .join("sarif-schema-2.1.0.json");
    let mut child = Command::new(python)
        .args(["-c", VALIDATE])
        .arg(&schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the validator");
    child.stdin.take().unwrap().write_all(sarif).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "SARIF does not validate:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Every location of a SARIF log: its URI and region.
fn sarif_locations(sarif: &serde_json::Value) -> Vec<(String, u64, u64)> {
    let mut found = Vec::new();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        for key in ["locations", "relatedLocations"] {
            for l in result[key].as_array().into_iter().flatten() {
                let physical = &l["physicalLocation"];
                found.push((
                    physical["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    physical["region"]["startLine"].as_u64().unwrap(),
                    physical["region"]["startColumn"].as_u64().unwrap(),
                ));
            }
        }
    }
    found
}

/// A location a code host accepts: a file tracked (or trackable) in `repo`, not ignored,
/// relative and inside it, at line and column 1 or later.
fn assert_repository_location(repo: &Path, uri: &str, line: u64, column: u64) {
    assert!(line >= 1 && column >= 1, "{uri}:{line}:{column}");
    let path = Path::new(uri);
    assert!(
        path.is_relative()
            && path
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_))),
        "{uri} is not inside the repository"
    );
    assert!(repo.join(path).is_file(), "{uri} is not a file");
    let ignored = Command::new("git")
        .args(["check-ignore", "-q", uri])
        .current_dir(repo)
        .status()
        .unwrap();
    assert!(!ignored.success(), "{uri} is ignored by git");
}

fn git_root() -> PathBuf {
    let out = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "the tests run inside the git checkout"
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn sarif_from_the_fixtures_validates_with_repository_locations() {
    require_python!();
    let validator = require_validator!();
    let repo = git_root();
    for (fixture, args) in [
        ("check_static", vec!["--static"]),
        ("check_measured", vec!["--profile", "profile.json"]),
    ] {
        let dir = fixtures().join(fixture);
        let output = fastpath(&dir)
            .env("FASTPATH_TODAY", TODAY)
            .env("PYTHONPATH", "site")
            .arg("check")
            .args(&args)
            .args(["--python", "python3", "--output-format", "sarif"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{fixture}");
        validate(&validator, &output.stdout);
        let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let locations = sarif_locations(&sarif);
        assert!(!locations.is_empty(), "{fixture}");
        for (uri, line, column) in locations {
            assert!(
                uri.starts_with(&format!("crates/fastpath/tests/fixtures/{fixture}/")),
                "{uri}: named from the git root"
            );
            assert_repository_location(&repo, &uri, line, column);
        }
    }
}

/// A repository whose project sits in `svc/`, with its dependencies in `svc/.venv` (ignored by
/// git): `wrapperdep` imports the banned `heavy_banned` inside itself, and `tpkg.utils` is
/// imported by one statement that loads `tpkg` too.
fn subdirectory_project() -> (tempfile::TempDir, PathBuf) {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path().canonicalize().unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(&root)
            .stdout(Stdio::null())
            .status()
            .expect("git");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    let svc = root.join("svc");
    std::fs::create_dir_all(&svc).unwrap();
    std::fs::write(root.join(".gitignore"), ".venv/\n").unwrap();
    std::fs::write(
        svc.join("pyproject.toml"),
        "[tool.fastpath]\nentry = \"app\"\nbanned = [\"heavy_banned\"]\npython = \".venv/bin/python\"\n",
    )
    .unwrap();
    std::fs::write(
        svc.join("app.py"),
        "from fast_path import *\n\n\ndef handler(event, context):\n    return handlers.run(event)\n",
    )
    .unwrap();
    std::fs::write(
        svc.join("fast_path.py"),
        "\"\"\"\nFast Path: Minimum imports for cold start optimization.\n\nLast profiled: 2025-11-01\nTarget cold start: <2 seconds\n\"\"\"\n\n# Tier 1: Lightweight (<10ms)\nimport handlers       # 1ms, every request\n\n__all__ = ['handlers']\n",
    )
    .unwrap();
    std::fs::write(
        svc.join("handlers.py"),
        "import wrapperdep\nimport tpkg.utils\n\n\ndef run(event):\n    return wrapperdep.wrap(tpkg.utils.parse(event))\n",
    )
    .unwrap();
    let status = Command::new("python3")
        .args(["-m", "venv", "--without-pip", ".venv"])
        .current_dir(&svc)
        .status()
        .expect("python3 -m venv");
    assert!(status.success());
    let purelib = Command::new(svc.join(".venv/bin/python"))
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ])
        .output()
        .unwrap();
    let site = PathBuf::from(String::from_utf8(purelib.stdout).unwrap().trim());
    for (file, text) in [
        (
            "wrapperdep/__init__.py",
            "from . import core\n\n\ndef wrap(x):\n    return core.wrap(x)\n",
        ),
        (
            "wrapperdep/core.py",
            "import heavy_banned\n\n\ndef wrap(x):\n    return heavy_banned.X, x\n",
        ),
        ("heavy_banned.py", "X = 1\n"),
        ("tpkg/__init__.py", ""),
        (
            "tpkg/utils.py",
            "import json\n\n\ndef parse(x):\n    return json.dumps(x)\n",
        ),
    ] {
        let path = site.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    git(&["add", "."]);
    (repo, svc)
}

fn check_svc(svc: &Path, format: &str) -> std::process::Output {
    fastpath(svc)
        .env("FASTPATH_TODAY", TODAY)
        .args(["check", "--static", "--output-format", format])
        .output()
        .unwrap()
}

#[test]
fn a_project_in_a_subdirectory_with_a_venv_inside_is_reported_on_its_own_statements() {
    require_python!();
    let validator = require_validator!();
    let (repo, svc) = subdirectory_project();
    let root = repo.path().canonicalize().unwrap();

    let sarif = check_svc(&svc, "sarif");
    assert_eq!(sarif.status.code(), Some(1));
    validate(&validator, &sarif.stdout);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    for (uri, line, column) in sarif_locations(&log) {
        assert!(uri.starts_with("svc/"), "{uri}: named from the git root");
        assert_repository_location(&root, &uri, line, column);
    }

    let github = check_svc(&svc, "github");
    let github = String::from_utf8(github.stdout).unwrap();
    for line in github.lines() {
        let Some(file) = line.split(",file=").nth(1) else {
            continue;
        };
        let file = file.split(',').next().unwrap();
        let at = |key: &str| -> u64 {
            line.split(&format!(",{key}="))
                .nth(1)
                .and_then(|r| r.split([',', ':']).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        assert_repository_location(&root, file, at("line"), at("col"));
    }
    assert!(
        github.contains(
            "FP003 banned-module-on-cold-path,file=svc/handlers.py,line=1,col=1::`heavy_banned`"
        ),
        "{github}"
    );

    let full = fastpath(&svc)
        .env("FASTPATH_TODAY", TODAY)
        .args(["check", "--static"])
        .output()
        .unwrap();
    let text = run_text(&full).replace(&root.display().to_string(), "[REPO]");
    insta::assert_snapshot!(text);

    // `fix` acts on the boundary statement, in project code; the installed packages stay as
    // they are.
    let installed = site_files(&svc);
    let fix = fastpath(&svc)
        .env("FASTPATH_TODAY", TODAY)
        .args(["fix", "--static"])
        .output()
        .unwrap();
    let handlers = std::fs::read_to_string(svc.join("handlers.py")).unwrap();
    assert!(
        !handlers.starts_with("import wrapperdep"),
        "{}\n{handlers}",
        run_text(&fix)
    );
    assert_eq!(site_files(&svc), installed);
}

/// Every file under the project's `.venv`, with its contents.
fn site_files(svc: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut work = vec![svc.join(".venv")];
    while let Some(dir) = work.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_symlink() {
                continue;
            }
            if path.is_dir() {
                work.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn run_text(output: &std::process::Output) -> String {
    crate::filter(&format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("signal".into(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
