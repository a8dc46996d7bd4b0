//! `fastpath check` on fixture projects: each rule's finding, each output format, the
//! `--static` promise, and the two examples. Measured rules read synthetic measurements
//! (`--profile`), so no test depends on the clock.

use std::path::Path;

use crate::{fastpath, fixtures, require_python, run};

/// Dates in the fixtures are judged against a fixed "today".
const TODAY: &str = "2025-11-20";

fn check(dir: &Path) -> std::process::Command {
    let mut command = fastpath(dir);
    command
        .env("FASTPATH_TODAY", TODAY)
        .env("PYTHONPATH", "site")
        .arg("check");
    command
}

#[test]
fn static_rules_each_find_their_problem() {
    require_python!();
    let dir = fixtures().join("check_static");
    insta::assert_snapshot!(run(check(&dir).args(["--static", "--python", "python3"])));
}

#[test]
fn output_formats() {
    require_python!();
    let dir = fixtures().join("check_static");
    for format in ["concise", "json", "sarif", "github"] {
        let output =
            run(check(&dir).args(["--static", "--python", "python3", "--output-format", format]));
        insta::assert_snapshot!(format!("format_{format}"), output);
    }
}

#[test]
fn sarif_is_valid_json_with_one_result_per_finding() {
    require_python!();
    let dir = fixtures().join("check_static");
    let output = check(&dir)
        .args([
            "--static",
            "--python",
            "python3",
            "--output-format",
            "sarif",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let json = check(&dir)
        .args(["--static", "--python", "python3", "--output-format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(results.len(), json["diagnostics"].as_array().unwrap().len());
    assert!(results.iter().all(
        |r| r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .is_some()
    ));
}

#[test]
fn measured_rules_read_synthetic_measurements() {
    require_python!();
    let dir = fixtures().join("check_measured");
    insta::assert_snapshot!(run(check(&dir).args([
        "--profile",
        "profile.json",
        "--python",
        "python3"
    ])));
}

#[test]
fn a_missing_manifest_is_a_finding() {
    require_python!();
    let dir = fixtures().join("check_missing_manifest");
    insta::assert_snapshot!(run(check(&dir).args([
        "--static",
        "--python",
        "python3",
        "--output-format",
        "concise"
    ])));
}

#[test]
fn static_runs_no_project_code() {
    // Regression guard for the `--static` promise: a module that leaves a mark when imported.
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("imported.mark");
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.fastpath]\nentry = \"app\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("app.py"), "from fast_path import *\n").unwrap();
    std::fs::write(
        dir.path().join("fast_path.py"),
        "import marker  # 0.1ms, every request\n__all__ = ['marker']\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("marker.py"),
        format!(
            "open({:?}, 'w').write('imported')\n",
            mark.display().to_string()
        ),
    )
    .unwrap();
    let output = check(dir.path())
        .args(["--static", "--python", "python3"])
        .output()
        .unwrap();
    assert!(
        output.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!mark.exists(), "--static imported project code");
    // The same check with measurements does import it: the guard above can fail.
    let output = check(dir.path())
        .args(["--python", "python3", "--runs", "1"])
        .output()
        .unwrap();
    assert!(
        output.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(mark.exists(), "a measured check imports the entry");
}

#[test]
fn the_seed_example_points_at_the_hidden_import() {
    require_python!();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lambda-seed");
    insta::assert_snapshot!(run(check(&dir).args(["--static", "--python", "python3"])));
}

#[test]
fn the_clean_example_passes() {
    require_python!();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lambda-clean");
    let mut command = check(&dir);
    command.env("FASTPATH_TODAY", "2026-11-27");
    insta::assert_snapshot!(run(command.args(["--static", "--python", "python3"])));
}

#[test]
fn explain_prints_the_rule() {
    insta::assert_snapshot!(run(fastpath(&fixtures()).args(["explain", "FP002"])));
    insta::assert_snapshot!("explain_list", run(fastpath(&fixtures()).args(["explain"])));
    let unknown = run(fastpath(&fixtures()).args(["explain", "FP999"]));
    assert!(
        unknown.starts_with("exit: 2") && unknown.contains("no rule `FP999`"),
        "{unknown}"
    );
}

#[test]
fn a_saved_profile_of_the_wrong_kind_is_refused() {
    require_python!();
    let dir = fixtures().join("check_measured");
    let output = run(check(&dir).args(["--profile", "pyproject.toml", "--python", "python3"]));
    assert!(
        output.starts_with("exit: 2") && output.contains("--profile pyproject.toml is not JSON"),
        "{output}"
    );
}
