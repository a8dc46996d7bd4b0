//! `fastpath graph` on the fixture that holds every context kind and every origin.

use crate::{fastpath, fixtures, require_python, run};

fn contexts() -> std::process::Command {
    let dir = fixtures().join("contexts");
    let mut command = fastpath(&dir);
    // The fixture's `site/` plays the interpreter's site-packages.
    command.env("PYTHONPATH", "site");
    command
}

#[test]
fn text_shows_every_context_and_origin() {
    require_python!();
    insta::assert_snapshot!(run(contexts().args(["graph", "--python", "python3"])));
}

#[test]
fn json_follows_the_graph_schema() {
    require_python!();
    let output = run(contexts().args(["graph", "--python", "python3", "--format", "json"]));
    insta::assert_snapshot!(output);
}

#[test]
fn dot_and_mermaid() {
    require_python!();
    insta::assert_snapshot!(
        "dot",
        run(contexts().args(["graph", "app", "--python", "python3", "--format", "dot"]))
    );
    insta::assert_snapshot!(
        "mermaid",
        run(contexts().args(["graph", "app", "--python", "python3", "--format", "mermaid"]))
    );
}

#[test]
fn entry_given_as_a_file_path() {
    require_python!();
    let by_path =
        run(contexts().args(["graph", "app.py", "--python", "python3", "--format", "json"]));
    let by_name = run(contexts().args(["graph", "app", "--python", "python3", "--format", "json"]));
    assert_eq!(by_path, by_name);
}

#[test]
fn all_lists_every_file_with_sites_and_targets() {
    require_python!();
    let output = contexts()
        .args([
            "graph", "--all", ".", "--python", "python3", "--format", "json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON document");
    let pretty = serde_json::to_string_pretty(&json).unwrap();
    insta::assert_snapshot!(crate::filter(&pretty));
}

#[test]
fn show_settings_names_the_sources() {
    require_python!();
    insta::assert_snapshot!(run(contexts().args([
        "graph",
        "--show-settings",
        "--python",
        "python3"
    ])));
}

#[test]
fn missing_interpreter_names_the_path() {
    let output = run(contexts().args(["graph", "--python", "/nonexistent/python"]));
    insta::assert_snapshot!(output);
}

/// A virtualenv whose site-packages holds two import hooks installed by `.pth` files, as
/// editable installs do: setuptools' kind (a finder module with a `MAPPING`), which fastpath
/// follows, and an opaque one, which it reports.
#[test]
fn editable_installs_are_followed_or_reported() {
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let status = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(status.success());
    let site = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("editable_pkg")).unwrap();
    std::fs::write(src.join("editable_pkg/__init__.py"), "import json\n").unwrap();
    std::fs::write(
        site.join("__editable___editable_pkg_finder.py"),
        format!(
            "import sys\nMAPPING = {{'editable_pkg': {:?}}}\nclass _EditableFinder:\n    @classmethod\n    def find_spec(cls, name, path=None, target=None):\n        return None\ndef install():\n    sys.meta_path.append(_EditableFinder)\n",
            src.join("editable_pkg").display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        site.join("__editable___editable_pkg_finder.pth"),
        "import __editable___editable_pkg_finder; __editable___editable_pkg_finder.install()\n",
    )
    .unwrap();
    std::fs::write(
        site.join("opaque_hook.py"),
        "import sys\nclass OpaqueFinder:\n    def find_spec(self, name, path=None, target=None):\n        return None\nsys.meta_path.append(OpaqueFinder())\n",
    )
    .unwrap();
    std::fs::write(site.join("opaque_hook.pth"), "import opaque_hook\n").unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        "import editable_pkg\nimport only_the_hook_knows\n",
    )
    .unwrap();
    let output = fastpath(dir.path())
        .args(["graph", "app", "--python"])
        .arg(venv.join("bin/python"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The editable source lies inside the project: it is project code.
    assert!(stdout.contains("editable_pkg (project)"), "{stdout}");
    assert!(
        stdout.contains("json (stdlib)"),
        "followed into the editable package: {stdout}"
    );
    assert!(stdout.contains("only_the_hook_knows  app.py:2"), "{stdout}");
    assert!(
        stderr.contains("cannot follow (opaque_hook.OpaqueFinder)"),
        "{stderr}"
    );
}
