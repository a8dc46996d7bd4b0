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
