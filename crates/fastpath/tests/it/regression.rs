//! The accountability commands on temporary projects: `baseline` and `check` against it
//! (FP201-FP203, the environment guard), `check --against REV` in a git repository, `record` and
//! `history` from saved profiles, and `blame` with commits by two authors. Findings that need
//! timing compare with baselines 100 times away from any real measurement, so no test depends
//! on how fast this machine is.

use std::path::Path;
use std::process::Command;

use crate::{fastpath, git_available, python, require_python};

const ALICE: (&str, &str) = ("Alice Example", "alice@example.com");
const BOB: (&str, &str) = ("Bob Example", "bob@example.com");

fn git(dir: &Path, author: (&str, &str), date: &str, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", author.0)
        .env("GIT_AUTHOR_EMAIL", author.1)
        .env("GIT_COMMITTER_NAME", author.0)
        .env("GIT_COMMITTER_EMAIL", author.1)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
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

/// app imports json and gateway; gateway imports decimal. Committed by Alice, then Bob adds
/// `import csv` to gateway in a second commit.
fn project(with_git: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("pyproject.toml"),
        "[tool.fastpath]\nentry = \"app\"\npython = \"PYTHON\"\n"
            .replace("PYTHON", &python().unwrap().0.display().to_string()),
    )
    .unwrap();
    std::fs::write(d.join(".gitignore"), "__pycache__/\n.fastpath/\n").unwrap();
    std::fs::write(d.join("app.py"), "import json\nimport gateway\n").unwrap();
    std::fs::write(d.join("gateway.py"), "import decimal\n").unwrap();
    if with_git {
        git(
            d,
            ALICE,
            "2025-10-01T10:00:00+00:00",
            &["init", "-q", "-b", "main"],
        );
        git(d, ALICE, "2025-10-01T10:00:00+00:00", &["add", "."]);
        git(
            d,
            ALICE,
            "2025-10-01T10:00:00+00:00",
            &["commit", "-q", "-m", "first handler"],
        );
        std::fs::write(d.join("gateway.py"), "import decimal\nimport csv\n").unwrap();
        git(
            d,
            BOB,
            "2025-11-02T09:00:00+00:00",
            &["commit", "-q", "-am", "gateway writes csv"],
        );
    }
    dir
}

fn output(command: &mut Command) -> (i32, String, String) {
    let out = command.output().expect("run fastpath");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn codes(json: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(json).expect("check JSON");
    value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .filter(|c| c.starts_with("FP2"))
        .collect()
}

#[test]
fn a_baseline_records_the_cold_path_and_a_new_module_is_fp203_statically() {
    require_python!();
    let dir = project(false);
    let (code, stdout, stderr) = output(fastpath(dir.path()).args(["baseline", "--runs", "3"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("fastpath-baseline.json: `app` imports in "),
        "{stdout}"
    );
    let baseline: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("fastpath-baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(baseline["schema"], "fastpath.baseline/1");
    let entry = &baseline["entries"]["app"];
    assert_eq!(entry["runs"], 3);
    assert_eq!(entry["total_us"]["samples"].as_array().unwrap().len(), 3);
    let cold_path: Vec<&str> = entry["cold_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(cold_path.contains(&"decimal") && !cold_path.contains(&"csv"));
    assert_eq!(
        baseline["environment"]["python_version"],
        python().unwrap().2.as_str()
    );

    // Unchanged: nothing new on the cold path.
    let (_, stdout, _) =
        output(fastpath(dir.path()).args(["check", "--static", "--output-format", "json"]));
    assert!(codes(&stdout).is_empty(), "{stdout}");

    // gateway now imports csv: FP203 where it enters, with the chain, and no timing needed.
    std::fs::write(
        dir.path().join("gateway.py"),
        "import decimal\nimport csv\n",
    )
    .unwrap();
    let (code, stdout, _) =
        output(fastpath(dir.path()).args(["check", "--static", "--output-format", "concise"]));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("gateway.py:2:1: FP203 `csv` is new on the cold path: it is not on the cold path of the baseline fastpath-baseline.json"),
        "{stdout}"
    );
    let (_, stdout, _) =
        output(fastpath(dir.path()).args(["check", "--static", "--output-format", "json"]));
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let fp203 = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "FP203")
        .unwrap();
    assert_eq!(fp203["chain"].as_array().unwrap().len(), 2);
    // Outside a git repository, who wrote the line is unknown, and the finding says so.
    assert!(
        fp203["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("who wrote it is unknown")
            && n.as_str().unwrap().contains("not inside a git repository")),
        "{fp203}"
    );
}

#[test]
fn a_baseline_from_another_interpreter_is_refused_unless_forced() {
    require_python!();
    let dir = project(false);
    assert_eq!(
        output(fastpath(dir.path()).args(["baseline", "--runs", "2"])).0,
        0
    );
    let path = dir.path().join("fastpath-baseline.json");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        &format!("\"python_version\": \"{}\"", python().unwrap().2),
        "\"python_version\": \"2.7.18\"",
    );
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = output(fastpath(dir.path()).args(["check", "--static"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot be compared with this run: it was measured with cpython 2.7.18")
            && stderr.contains("pass --force to compare anyway"),
        "{stderr}"
    );
    let (code, _, stderr) = output(fastpath(dir.path()).args(["check", "--static", "--force"]));
    assert_eq!(code, 1, "{stderr}"); // the project's own FP0xx findings
    assert!(stderr.contains("anyway (--force)"), "{stderr}");
}

/// Rewrites every sample of the baseline's entry: `scale` times the recorded value, and drops
/// the start-up calibration so that raw CPU times are compared.
fn scale_baseline(path: &Path, scale: f64) {
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fn walk(v: &mut serde_json::Value, scale: f64) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("startup_cpu_us");
                for (key, child) in map.iter_mut() {
                    if key == "samples" {
                        for s in child.as_array_mut().unwrap() {
                            *s = serde_json::json!((s.as_f64().unwrap() * scale).round() as i64);
                        }
                    } else {
                        walk(child, scale);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| walk(i, scale)),
            _ => {}
        }
    }
    walk(&mut value["entries"], scale);
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

#[test]
fn a_baseline_far_below_the_runs_is_a_regression_and_far_above_is_not() {
    require_python!();
    let dir = project(false);
    assert_eq!(
        output(fastpath(dir.path()).args(["baseline", "--runs", "30"])).0,
        0
    );
    let path = dir.path().join("fastpath-baseline.json");
    let recorded = std::fs::read_to_string(&path).unwrap();

    scale_baseline(&path, 0.01);
    let (code, stdout, stderr) =
        output(fastpath(dir.path()).args(["check", "--output-format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    let found = codes(&stdout);
    assert!(found.contains(&"FP201".to_string()), "{stdout}");
    assert!(found.contains(&"FP202".to_string()), "{stdout}");
    assert!(
        stdout.contains("Mann-Whitney test on the fastest quarter"),
        "{stdout}"
    );

    std::fs::write(&path, &recorded).unwrap();
    scale_baseline(&path, 100.0);
    let (_, stdout, stderr) =
        output(fastpath(dir.path()).args(["check", "--output-format", "json"]));
    assert!(codes(&stdout).is_empty(), "{stdout}\n{stderr}");
}

#[test]
fn check_against_a_revision_names_the_new_import_and_its_author() {
    require_python!();
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = project(true);
    let (code, stdout, stderr) = output(fastpath(dir.path()).args([
        "check",
        "--static",
        "--against",
        "HEAD~1",
        "--output-format",
        "json",
    ]));
    assert_eq!(code, 1, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let fp203: Vec<&serde_json::Value> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "FP203")
        .collect();
    assert_eq!(fp203.len(), 1, "{stdout}");
    assert!(fp203[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("`csv` is new on the cold path: it is not on the cold path of `HEAD~1` ("));
    assert_eq!(fp203[0]["file"], "gateway.py");
    assert_eq!(fp203[0]["line"], 2);
    let notes: Vec<&str> = fp203[0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("gateway.py:2: added in ")
                && n.ends_with(
                    "by Bob Example <bob@example.com> on 2025-11-02: gateway writes csv"
                )),
        "{notes:?}"
    );
    // Against HEAD nothing is new, and the temporary worktree is gone afterwards.
    let (_, stdout, _) = output(fastpath(dir.path()).args([
        "check",
        "--static",
        "--against",
        "HEAD",
        "--output-format",
        "json",
    ]));
    assert!(codes(&stdout).is_empty(), "{stdout}");
    let list = Command::new("git")
        .args(["worktree", "list"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&list.stdout).lines().count(), 1);
    // A revision that does not exist is the tool's failure, named.
    let (code, _, stderr) =
        output(fastpath(dir.path()).args(["check", "--static", "--against", "nope"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("`nope` is not a commit"), "{stderr}");
}

fn profile_json(total_us: f64, decimal_us: f64) -> String {
    serde_json::json!({
        "schema": "fastpath.profile/1",
        "entry": "app",
        "runs": 10,
        "interpreter": {"version": "3.11.7", "implementation": "cpython", "executable": "/usr/bin/python3"},
        "total_us": {"median": total_us},
        "process_wall_us": {"median": total_us + 11_000.0},
        "modules": [
            {"name": "app", "self_us": {"median": 100.0}, "cumulative_us": {"median": total_us}},
            {"name": "gateway", "self_us": {"median": 200.0}, "cumulative_us": {"median": decimal_us + 200.0}},
            {"name": "decimal", "self_us": {"median": decimal_us}, "cumulative_us": {"median": decimal_us}},
            {"name": "json", "self_us": {"median": 900.0}, "cumulative_us": {"median": 1_100.0}}
        ]
    })
    .to_string()
}

#[test]
fn record_and_history_show_the_trend_over_commits() {
    require_python!();
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = project(true);
    let d = dir.path();
    std::fs::write(d.join("p1.json"), profile_json(30_000.0, 20_000.0)).unwrap();
    std::fs::write(d.join("p2.json"), profile_json(41_000.0, 31_000.0)).unwrap();
    let record = |file: &str, today: &str| {
        output(
            fastpath(d)
                .env("FASTPATH_TODAY", today)
                .args(["record", "--profile", file]),
        )
    };
    let (code, stdout, stderr) = record("p1.json", "2025-11-02");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("recorded #1: `app` imports in 30.0 ms, cold start 41.0 ms at "),
        "{stdout}"
    );
    assert!(
        stdout.contains("(main)") && stdout.trim_end().ends_with("-> .fastpath/history.db"),
        "{stdout}"
    );
    std::fs::write(
        d.join("gateway.py"),
        "import decimal\nimport csv\nimport statistics\n",
    )
    .unwrap();
    git(
        d,
        ALICE,
        "2025-11-10T09:00:00+00:00",
        &["commit", "-q", "-am", "statistics"],
    );
    assert_eq!(record("p2.json", "2025-11-10").0, 0);

    let (code, stdout, stderr) = output(fastpath(d).args(["history", "--svg", "trend.svg"]));
    assert_eq!(code, 0, "{stderr}");
    let commits: Vec<String> = ["HEAD~1", "HEAD"]
        .iter()
        .map(|rev| {
            let out = Command::new("git")
                .args(["rev-parse", "--short=7", rev])
                .current_dir(d)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        })
        .collect();
    let stdout = stdout
        .replace(&commits[0], "[COMMIT1]")
        .replace(&commits[1], "[COMMIT2]");
    insta::assert_snapshot!(stdout);
    let svg = std::fs::read_to_string(d.join("trend.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.matches("<polyline").count() == 5,
        "{svg}"
    );

    let (_, stdout, _) =
        output(fastpath(d).args(["history", "--format", "json", "--module", "decimal"]));
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["schema"], "fastpath.history/1");
    assert_eq!(value["records"].as_array().unwrap().len(), 2);
    assert_eq!(value["records"][1]["branch"], "main");
}

#[test]
fn history_of_a_corrupted_database_is_an_error_that_keeps_the_file() {
    require_python!();
    let dir = project(false);
    let db = dir.path().join(".fastpath/history.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::write(&db, b"not a database, somebody's notes\n").unwrap();
    let (code, _, stderr) = output(fastpath(dir.path()).args(["history"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("is not a usable fastpath history database")
            && stderr.contains("left untouched"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"not a database, somebody's notes\n"
    );
}

#[test]
fn blame_shows_each_statement_of_the_chain_with_its_author() {
    require_python!();
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = project(true);
    let (code, stdout, stderr) =
        output(fastpath(dir.path()).args(["blame", "csv", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["schema"], "fastpath.blame/1");
    let chain = value["entries"][0]["modules"][0]["chain"]
        .as_array()
        .unwrap();
    let who: Vec<(&str, u64, &str, &str)> = chain
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap(),
                l["line"].as_u64().unwrap(),
                l["blame"]["author"].as_str().unwrap(),
                l["blame"]["date"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            ("app.py", 2, "Alice Example", "2025-10-01"),
            ("gateway.py", 2, "Bob Example", "2025-11-02")
        ]
    );
    let (_, text, _) = output(fastpath(dir.path()).args(["blame", "csv"]));
    assert!(
        text.starts_with("`csv`, on the cold path of `app` through:\n"),
        "{text}"
    );
    assert!(
        text.contains("Bob Example <bob@example.com> 2025-11-02  gateway writes csv"),
        "{text}"
    );
    // An uncommitted line says so.
    std::fs::write(
        dir.path().join("gateway.py"),
        "import decimal\nimport csv  # now\n",
    )
    .unwrap();
    let (_, text, _) = output(fastpath(dir.path()).args(["blame", "csv"]));
    assert!(text.contains("not committed yet"), "{text}");

    // Outside git: the chain, and what cannot be told.
    let plain = project(false);
    let (code, text, _) = output(fastpath(plain.path()).args(["blame", "decimal"]));
    assert_eq!(code, 0);
    assert!(
        text.starts_with("who wrote these lines is unknown: "),
        "{text}"
    );
    assert!(text.contains("gateway.py:1"), "{text}");
    // A module that is not on the cold path is named.
    let (code, _, stderr) = output(fastpath(plain.path()).args(["blame", "numpy"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`numpy` is not on the cold path of `app`"),
        "{stderr}"
    );
}

#[test]
fn a_new_package_is_one_fp203_per_statement_named_for_its_submodule() {
    require_python!();
    let dir = project(false);
    let (code, _, stderr) = output(fastpath(dir.path()).args(["baseline", "--runs", "1"]));
    assert_eq!(code, 0, "{stderr}");
    // Each statement loads the package, then its submodules: the parents fold into the
    // finding of the submodule the statement names.
    std::fs::write(
        dir.path().join("gateway.py"),
        "import decimal\nimport urllib.request\nimport xml.dom.minidom\n",
    )
    .unwrap();
    let (code, stdout, _) =
        output(fastpath(dir.path()).args(["check", "--static", "--output-format", "concise"]));
    assert_eq!(code, 1);
    let fp203: Vec<&str> = stdout.lines().filter(|l| l.contains(": FP203 ")).collect();
    assert_eq!(fp203.len(), 2, "{stdout}");
    assert!(
        fp203[0].starts_with("gateway.py:2:1: FP203 `urllib.request` is new"),
        "{stdout}"
    );
    assert!(
        fp203[1].starts_with("gateway.py:3:1: FP203 `xml.dom.minidom` is new"),
        "{stdout}"
    );
}
