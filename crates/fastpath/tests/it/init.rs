//! `fastpath init` on a copy of a project without a manifest, with synthetic measurements:
//! the light imports go to `fast_path.py` in the seed's format, the heavy one moves into the
//! function that uses it, the entry imports only the manifest, `check` passes and the handler
//! returns what it returned before.

use crate::fix::{call, copy_project};
use crate::{fastpath, fixtures, require_python, run};

const TODAY: &str = "2025-12-08";

#[test]
fn init_writes_the_manifest_and_points_the_entry_at_it() {
    require_python!();
    let project = copy_project(&fixtures().join("init_project"));
    let dir = project.path();
    let before = call(dir, "app", "handler()");
    let init = |extra: &[&str]| {
        let mut command = fastpath(dir);
        command.env("FASTPATH_TODAY", TODAY).args([
            "init",
            "--python",
            "python3",
            "--profile",
            "profile.json",
        ]);
        command.args(extra);
        command
    };

    insta::assert_snapshot!("init_diff", run(&mut init(&["--diff"])));
    assert!(!dir.join("fast_path.py").exists(), "--diff writes nothing");

    insta::assert_snapshot!("init", run(&mut init(&[])));
    insta::assert_snapshot!(
        "init_manifest",
        std::fs::read_to_string(dir.join("fast_path.py")).unwrap()
    );
    insta::assert_snapshot!(
        "init_entry",
        std::fs::read_to_string(dir.join("app.py")).unwrap()
    );

    let check = run(fastpath(dir)
        .env("FASTPATH_TODAY", TODAY)
        .args(["check", "--static", "--python", "python3"]));
    assert!(check.starts_with("exit: 0"), "{check}");
    let check = run(fastpath(dir).env("FASTPATH_TODAY", TODAY).args([
        "check",
        "--python",
        "python3",
        "--profile",
        "profile.json",
    ]));
    assert!(check.starts_with("exit: 0"), "{check}");
    assert_eq!(before, call(dir, "app", "handler()"));

    // A second init refuses to overwrite the manifest.
    let again = run(&mut init(&[]));
    assert!(
        again.starts_with("exit: 2") && again.contains("already exists"),
        "{again}"
    );
}

/// `decimal` is written at 26 ms: its cumulative time in profile.json (25.9 ms), priced as
/// `update` and FP105 price a manifest import.
#[test]
fn hot_keeps_a_heavy_import_as_a_tier_2_exception() {
    require_python!();
    let project = copy_project(&fixtures().join("init_project"));
    let dir = project.path();
    let output = run(fastpath(dir).env("FASTPATH_TODAY", TODAY).args([
        "init",
        "--python",
        "python3",
        "--profile",
        "profile.json",
        "--hot",
        "decimal=95",
        "--diff",
    ]));
    assert!(
        output.contains("# Tier 2: Hot path exceptions (>10ms but >80% usage)")
            && output.contains("import decimal")
            && output.contains("26ms, 95% usage - PROFILED 2025-12-08"),
        "{output}"
    );
}

#[test]
fn a_from_import_in_the_manifest_declares_its_module() {
    // Regression guard: `init` writes `from x import y` lines, and `check` must count them as
    // declaring `x` (FP104) and price them by `x` (FP105), not by `x.y`.
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("pyproject.toml", "[tool.fastpath]\nentry = \"app\"\n");
    write("app.py", "from fast_path import *\n");
    write(
        "fast_path.py",
        "\"\"\"\nLast profiled: 2025-12-01\n\"\"\"\n\n# Tier 2: Hot path exceptions\nfrom email.message import EmailMessage  # 13ms, every request - PROFILED 2025-12-01\n\n__all__ = ['EmailMessage']\n",
    );
    let module = |name: &str, us: u32| {
        format!("{{\"name\": \"{name}\", \"self_us\": {{\"median\": {us}, \"min\": {us}, \"max\": {us}, \"mad\": 0}}, \"cumulative_us\": {{\"median\": {us}, \"min\": {us}, \"max\": {us}, \"mad\": 0}}}}")
    };
    write(
        "profile.json",
        &format!(
            "{{\"schema\": \"fastpath.profile/1\", \"entry\": \"app\", \"runs\": 5, \"total_us\": {{\"median\": 13500, \"min\": 13500, \"max\": 13500, \"mad\": 0}}, \"process_wall_us\": {{\"median\": 30000, \"min\": 30000, \"max\": 30000, \"mad\": 0}}, \"modules\": [{}, {}, {}]}}",
            module("app", 13500),
            module("fast_path", 13400),
            module("email.message", 13000)
        ),
    );
    let output = run(fastpath(dir.path()).env("FASTPATH_TODAY", TODAY).args([
        "check",
        "--python",
        "python3",
        "--profile",
        "profile.json",
        "--output-format",
        "concise",
    ]));
    assert!(!output.contains("FP104"), "{output}");
    assert!(!output.contains("FP105"), "{output}");
}
