//! `fastpath update` on a copy of the seed example with a measurement captured from a real run
//! (`tests/fixtures/update/lambda-seed.profile.json`, made with `fastpath_profile`'s `measure`
//! example): the golden diff touches only cost annotations, dates and one HISTORY line, and a
//! second run on the same day is a no-op.

use std::path::Path;

use crate::fix::{copy_project, seed_example};
use crate::{fastpath, fixtures, require_python, run};

const TODAY: &str = "2025-12-08";

fn update(dir: &Path) -> std::process::Command {
    let profile = fixtures().join("update/lambda-seed.profile.json");
    let mut command = fastpath(dir);
    command.env("FASTPATH_TODAY", TODAY).args([
        "update",
        "--python",
        "python3",
        "--profile",
        profile.to_str().unwrap(),
    ]);
    command
}

/// Lines removed and added between two texts (a plain LCS; the manifests are small).
fn changed_lines<'a>(old: &'a str, new: &'a str) -> (Vec<&'a str>, Vec<&'a str>) {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(b[j]);
            j += 1;
        } else {
            removed.push(a[i]);
            i += 1;
        }
    }
    (removed, added)
}

#[test]
fn update_golden_diff_touches_only_annotations_dates_and_one_history_line() {
    require_python!();
    let project = copy_project(&seed_example());
    let dir = project.path();
    let before = std::fs::read_to_string(dir.join("fast_path.py")).unwrap();

    let preview = run(update(dir).arg("--diff"));
    insta::assert_snapshot!("update_seed_diff", preview);
    assert_eq!(
        std::fs::read_to_string(dir.join("fast_path.py")).unwrap(),
        before
    );

    let output = run(&mut update(dir));
    insta::assert_snapshot!("update_seed", output);
    let after = std::fs::read_to_string(dir.join("fast_path.py")).unwrap();
    let (removed, added) = changed_lines(&before, &after);
    let history: Vec<&&str> = added
        .iter()
        .filter(|l| l.starts_with(&format!("# {TODAY}:")))
        .collect();
    assert_eq!(history.len(), 1, "one HISTORY line: {added:?}");
    assert!(after.trim_end().ends_with(history[0]), "it ends the file");
    // Every other added line replaces a removed one that differs only after its `#` (an
    // annotation) or in the `Last profiled` date.
    let others: Vec<&&str> = added.iter().filter(|l| !history.contains(l)).collect();
    assert_eq!(others.len(), removed.len(), "{removed:?} -> {added:?}");
    for (old, new) in removed.iter().zip(others) {
        if old.starts_with("Last profiled:") {
            assert_eq!(*new, &format!("Last profiled: {TODAY}"));
            continue;
        }
        let (old_code, _) = old.split_once('#').expect("an annotated import");
        let (new_code, annotation) = new.split_once('#').expect("an annotated import");
        assert_eq!(
            old_code, new_code,
            "only the annotation changes: {old} -> {new}"
        );
        assert!(
            !annotation.contains("PROFILED") || annotation.contains(&format!("PROFILED {TODAY}")),
            "{new}"
        );
    }

    // A second run on the same day changes nothing.
    let again = run(&mut update(dir));
    assert!(
        again.starts_with("exit: 0") && again.contains("nothing to change"),
        "{again}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("fast_path.py")).unwrap(),
        after
    );
}

#[test]
fn update_without_a_manifest_points_at_init() {
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.fastpath]\nentry = \"app\"\n",
    )
    .unwrap();
    let output = run(fastpath(dir.path()).args(["update", "--python", "python3"]));
    assert!(
        output.starts_with("exit: 2") && output.contains("run `fastpath init`"),
        "{output}"
    );
}
