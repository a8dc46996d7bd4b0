//! Bad input never crashes the tool and every problem is named with its file and line.

use std::path::Path;

use crate::{fastpath, fixtures, require_python, run};

#[test]
fn broken_sources_are_reported_and_scanning_goes_on() {
    // Syntax errors, invalid UTF-8 with and without a coding cookie, a latin-1 file, NUL bytes,
    // a Python 2 file, an import cycle and an unresolvable import, all on one cold path.
    require_python!();
    let dir = fixtures().join("bad_input");
    insta::assert_snapshot!(run(
        fastpath(&dir).args(["graph", "app", "--python", "python3"])
    ));
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn huge_files_and_deep_nesting_do_not_crash() {
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    let parens = format!(
        "import json\nx = {}1{}\nimport csv\n",
        "(".repeat(20_000),
        ")".repeat(20_000)
    );
    write(dir.path(), "parens.py", &parens);
    let mut blocks = String::from("import json\n");
    for depth in 0..150 {
        blocks.push_str(&format!("{}if True:\n", "    ".repeat(depth)));
    }
    blocks.push_str(&format!("{}import tomllib\n", "    ".repeat(150)));
    write(dir.path(), "blocks.py", &blocks);
    // 10 MB of statements, then one import at the very end.
    write(
        dir.path(),
        "big.py",
        &format!("{}import shlex\n", "x = 1\n".repeat(1_750_000)),
    );
    write(
        dir.path(),
        "app.py",
        "import parens\nimport blocks\nimport big\n",
    );
    let output = fastpath(dir.path())
        .args(["graph", "app", "--python", "python3", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for expected in ["csv", "tomllib", "shlex"] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_end_the_walk() {
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    write(dir.path(), "pkg/__init__.py", "import os\n");
    std::os::unix::fs::symlink("..", dir.path().join("pkg/up")).unwrap();
    std::os::unix::fs::symlink("self.py", dir.path().join("self.py")).unwrap();
    write(dir.path(), "app.py", "import pkg\nimport self\n");
    let output = fastpath(dir.path())
        .args([
            "graph", "--all", ".", "--python", "python3", "--format", "text",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("2 files"), "{text}");
    // `self.py` points at itself: unresolvable, reported, not a hang.
    let output = run(fastpath(dir.path()).args(["graph", "app", "--python", "python3"]));
    assert!(output.contains("self  app.py:2: import self"), "{output}");
}

#[test]
fn a_broken_interpreter_is_an_error_with_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("python");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'Fatal Python error: init_fs_encoding' >&2\nexit 1\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    write(dir.path(), "app.py", "import json\n");
    let output = fastpath(dir.path())
        .args(["graph", "app", "--python"])
        .arg(&fake)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("init_fs_encoding") && stderr.contains("exit status 1"),
        "{stderr}"
    );
}

#[test]
fn malformed_configuration_names_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.fastpath]\nentry = 'app'\nbudjet-ms = 10\n",
    );
    let output = fastpath(dir.path()).args(["graph"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("budjet-ms") && stderr.contains("pyproject.toml"),
        "{stderr}"
    );
    write(dir.path(), "pyproject.toml", "[tool.fastpath\n");
    let output = fastpath(dir.path()).args(["graph"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pyproject.toml is not valid TOML"),
        "{stderr}"
    );
}

#[test]
fn bad_entries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for (entry, expected) in [
        ("no such", "neither a module name"),
        ("missing.py", "no such file"),
        ("nowhere", "`nowhere` was not found"),
    ] {
        let output = fastpath(dir.path())
            .args(["graph", entry])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{entry}: {stderr}");
    }
}
