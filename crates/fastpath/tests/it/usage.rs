//! Usage evidence, production cold starts and the review, through the real binary:
//! - `usage --events` on the seed example (10 events, the `get` route uses `cache_core` 3
//!   times): FP008 fires with "30 %", then `update` rewrites the annotation;
//! - `fastpath.runtime.track_usage` (the wheel's Python package) run in a fresh interpreter,
//!   its lines aggregated by `usage --logs`;
//! - `lambda-report` on log fixtures written to the documented formats (plain text,
//!   `filter-log-events` JSON, Lambda's JSON log format), each with a cold start, a warm start
//!   and a timed-out invocation; `record --lambda-report` and `history`;
//! - `review --against HEAD~1` on a two-commit repository whose second commit adds a 30 ms
//!   import to the manifest.
//!
//! A missing interpreter skips a test, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fix::{copy_project, seed_example};
use crate::{fastpath, fixtures, run};

const TODAY: &str = "2025-11-20";

fn python_or_skip() -> bool {
    if crate::python().is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "python3 is required under CI=true"
    );
    eprintln!("skipped: no python3 on PATH");
    false
}

fn events() -> PathBuf {
    fixtures().join("usage_events")
}

fn fp(dir: &Path) -> Command {
    let mut command = fastpath(dir);
    command.env("FASTPATH_TODAY", TODAY);
    command
}

/// Timings and commit ids replaced: they differ between runs.
fn no_timings(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut l = String::new();
        let mut chars = line.chars().peekable();
        // Every number with a decimal point becomes N.
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() {
                let mut number = c.to_string();
                while let Some(&d) = chars.peek() {
                    if d.is_ascii_digit() || d == '.' {
                        number.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if number.contains('.') {
                    l.push('N');
                } else {
                    l.push_str(&number);
                }
            } else {
                l.push(c);
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[test]
fn replayed_events_make_fp008_fire_and_update_rewrites_the_usage() {
    if !python_or_skip() {
        return;
    }
    let project = copy_project(&seed_example());
    let dir = project.path();
    let usage = run(fp(dir)
        .args([
            "usage",
            "--python",
            "python3",
            "--handler",
            "lambda_handler",
            "--events",
        ])
        .arg(events()));
    let version = &crate::python().unwrap().2;
    let usage = usage.replace(&format!("Python {version},"), "Python [VERSION],");
    insta::assert_snapshot!("usage_events_seed", usage);
    let written = std::fs::read_to_string(dir.join(".fastpath/usage.json")).unwrap();
    assert!(
        written.contains("\"schema\": \"fastpath.usage/1\""),
        "{written}"
    );

    let check = run(fp(dir).args([
        "check",
        "--static",
        "--python",
        "python3",
        "--output-format",
        "concise",
    ]));
    assert!(
        check.contains("Tier 2 import `cache_core` is used on 30 % of requests (3 of 10 replayed events), below hot-path-min-usage 80 %"),
        "{check}"
    );
    insta::assert_snapshot!("usage_events_check", check);

    let profile = fixtures().join("update/lambda-seed.profile.json");
    let update = run(fp(dir)
        .args(["update", "--python", "python3", "--profile"])
        .arg(&profile));
    assert!(
        update.contains("cache_core usage every request -> 30% of requests"),
        "{update}"
    );
    let manifest = std::fs::read_to_string(dir.join("fast_path.py")).unwrap();
    let line = manifest
        .lines()
        .find(|l| l.starts_with("import cache_core"))
        .unwrap();
    assert!(
        line.contains(", 30% of requests - PROFILED 2025-11-20"),
        "{line}"
    );
    // `gateway` is used by every event: its words stay.
    assert!(manifest.contains("import gateway        # "), "{manifest}");
    assert!(
        manifest
            .lines()
            .any(|l| l.starts_with("import gateway") && l.contains("every request")),
        "{manifest}"
    );
    // A second update the same day changes nothing.
    let again = run(fp(dir)
        .args(["update", "--python", "python3", "--profile"])
        .arg(&profile));
    assert!(again.contains("is up to date"), "{again}");
}

#[test]
fn a_handler_is_required_and_a_missing_directory_is_named() {
    if !python_or_skip() {
        return;
    }
    let project = copy_project(&seed_example());
    let dir = project.path();
    let out = run(fp(dir)
        .args(["usage", "--python", "python3", "--events"])
        .arg(events()));
    assert!(out.starts_with("exit: 2"), "{out}");
    assert!(out.contains("pass --handler NAME"), "{out}");
    let out = run(fp(dir).args([
        "usage",
        "--python",
        "python3",
        "--handler",
        "lambda_handler",
        "--events",
        "nowhere",
    ]));
    assert!(out.starts_with("exit: 2"), "{out}");
    assert!(
        out.contains("cannot read the events directory") && out.contains("nowhere"),
        "{out}"
    );
}

#[test]
fn track_usage_in_a_fresh_interpreter_then_usage_logs() {
    if !python_or_skip() {
        return;
    }
    let (python, _, _) = crate::python().unwrap();
    let project = copy_project(&seed_example());
    let dir = project.path();
    // The seed's handler, decorated as a user would in production.
    let handler = std::fs::read_to_string(dir.join("lambda_function.py")).unwrap();
    let handler = handler.replace(
        "def lambda_handler(event, context):",
        "from fastpath.runtime import track_usage\n\n\n@track_usage\ndef lambda_handler(event, context):",
    );
    std::fs::write(dir.join("lambda_function.py"), handler).unwrap();
    let log = dir.join("exported.log");
    let wheel_package = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python");
    let driver = format!(
        "import json, pathlib, lambda_function\n\
         for f in sorted(pathlib.Path({:?}).glob('*.json')):\n    \
             lambda_function.lambda_handler(json.loads(f.read_text()), None)\n",
        events().display().to_string()
    );
    let status = Command::new(python)
        .args(["-c", &driver])
        .current_dir(dir)
        .env(
            "PYTHONPATH",
            std::env::join_paths([dir, &wheel_package]).unwrap(),
        )
        .env("FASTPATH_USAGE_LOG", &log)
        .status()
        .unwrap();
    assert!(status.success());
    let lines = std::fs::read_to_string(&log).unwrap();
    assert_eq!(lines.lines().count(), 10, "{lines}");
    let out = run(fp(dir).args(["usage", "--logs", "exported.log"]));
    insta::assert_snapshot!("usage_logs", out);
    let out = run(fp(dir).args([
        "usage",
        "--logs",
        "exported.log",
        "--format",
        "json",
        "--no-write",
    ]));
    assert!(out.contains("\"source\": \"logs\""), "{out}");
}

#[test]
fn lambda_report_of_plain_and_json_exports() {
    let dir = fixtures().join("lambda_logs");
    for (file, format) in [
        ("plain.log", "text"),
        ("filter-log-events.json", "text"),
        ("json-format.jsonl", "text"),
        ("json-format.jsonl", "json"),
    ] {
        let out = run(fastpath(&dir).args(["lambda-report", file, "--format", format]));
        insta::assert_snapshot!(format!("lambda_report_{file}_{format}"), out);
    }
    let out = run(fastpath(&dir).args(["lambda-report", "missing.log"]));
    assert!(out.starts_with("exit: 2"), "{out}");
    assert!(out.contains("cannot read the Lambda log export"), "{out}");
}

#[test]
fn record_lambda_report_and_history() {
    let project = copy_project(&seed_example());
    let dir = project.path();
    std::fs::copy(
        fixtures().join("lambda_logs/plain.log"),
        dir.join("plain.log"),
    )
    .unwrap();
    let out = run(fp(dir).args(["record", "--lambda-report", "plain.log"]));
    assert!(out.contains("recorded lambda report #1: `lambda_function` 5 invocations, 2 cold starts, Init Duration p50 812 ms, p99 869 ms"), "{out}");
    let history = run(fp(dir).args(["history"]));
    let history: String = history
        .lines()
        .map(|l| {
            // The date is today's.
            if l.starts_with("1 ") {
                format!("{}[DATE]{}", &l[..5], &l[15..])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("history_lambda", history);
    // A project with a recorded local figure puts it beside the production one.
    let out = run(fp(dir).args(["lambda-report", "plain.log"]));
    assert!(out.contains("No local measurement"), "{out}");
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada Dev")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", "2025-11-19T10:00:00Z")
        .env("GIT_COMMITTER_NAME", "Ada Dev")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_DATE", "2025-11-19T10:00:00Z")
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn review_of_a_commit_that_adds_a_30_ms_import() {
    if !python_or_skip() {
        return;
    }
    let project = copy_project(&seed_example());
    let dir = project.path();
    std::fs::write(
        dir.join("CODEOWNERS"),
        "*.py @lee/devs\n/fast_path.py @lee/perf-lead\n",
    )
    .unwrap();
    // A module whose import really takes 30 ms.
    std::fs::write(
        dir.join("pricing.py"),
        "\"\"\"Price tables, loaded at import (30 ms).\"\"\"\nimport time\n\ntime.sleep(0.03)\n\n\ndef price(order):\n    return 1\n",
    )
    .unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "The seed's month 3"]);
    let manifest = std::fs::read_to_string(dir.join("fast_path.py")).unwrap();
    let manifest = manifest
        .replace(
            "import cache_core     # 35ms, every request - PROFILED 2025-11-08\n",
            "import cache_core     # 35ms, every request - PROFILED 2025-11-08\nimport pricing        # 30ms, every request - PROFILED 2025-11-19\n",
        )
        .replace("'gateway', 'cache_core'\n", "'gateway', 'cache_core', 'pricing'\n");
    std::fs::write(dir.join("fast_path.py"), manifest).unwrap();
    git(
        dir,
        &[
            "commit",
            "-q",
            "-am",
            "Price every order at cold start\n\nEvery request prices its order; loading the tables in the handler moved 30 ms into the first request.",
        ],
    );
    let out = run(fp(dir).args([
        "review",
        "--against",
        "HEAD~1",
        "--python",
        "python3",
        "--runs",
        "5",
    ]));
    // Whether a measured figure meets its bar depends on the machine's load: the snapshot keeps
    // the words, the assertions below the sure parts.
    let out = no_timings(&out)
        .replace(
            "- [ ] **Total under budget** **not met**:",
            "- [?] **Total under budget**:",
        )
        .replace(
            "- [x] **Total under budget**:",
            "- [?] **Total under budget**:",
        )
        .replace(
            "- [ ] **Documented import time** **not met**:",
            "- [?] **Documented import time**:",
        )
        .replace(
            "- [x] **Documented import time**:",
            "- [?] **Documented import time**:",
        );
    assert!(out.contains("- [x] **Profiling data**"), "{out}");
    assert!(out.contains("- [x] **Justification**"), "{out}");
    assert!(out.contains("@lee/perf-lead (from `CODEOWNERS`)"), "{out}");
    // Commit ids depend on nothing but the fixed dates and contents, but filter them anyway.
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\b[0-9a-f]{7}\b", "[SHORT]");
    settings.bind(|| insta::assert_snapshot!("review_markdown", out));
    let json = run(fp(dir).args([
        "review",
        "--against",
        "HEAD~1",
        "--static",
        "--format",
        "json",
    ]));
    assert!(json.contains("\"schema\": \"fastpath.review/1\""), "{json}");
    assert!(json.contains("\"module\": \"pricing\""), "{json}");
}

#[test]
fn snapstart_reverses_the_deferral_advice() {
    if !python_or_skip() {
        return;
    }
    let project = copy_project(&seed_example());
    let dir = project.path();
    let config = std::fs::read_to_string(dir.join("pyproject.toml")).unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        config.replace(
            "entry = \"lambda_function\"\n",
            "entry = \"lambda_function\"\nsnapstart = true\n",
        ),
    )
    .unwrap();
    let check = run(fp(dir).args(["check", "--static", "--python", "python3"]));
    assert!(check.contains("error[FP003]"), "{check}");
    assert!(
        check.contains("help: keep it in init: with SnapStart"),
        "{check}"
    );
    assert!(!check.contains("import it inside the functions"), "{check}");
    // `fix` makes no deferral edit.
    let before = std::fs::read_to_string(dir.join("interface_cache.py")).unwrap();
    run(fp(dir).args(["fix", "--static", "--python", "python3"]));
    assert_eq!(
        std::fs::read_to_string(dir.join("interface_cache.py")).unwrap(),
        before
    );
    let explain = run(fp(dir).args(["explain", "FP003"]));
    assert!(explain.contains("Lambda SnapStart"), "{explain}");
    let settings = run(fp(dir).args(["--show-settings", "check"]));
    assert!(settings.contains("snapstart: true"), "{settings}");
}

#[test]
fn init_files_tier2_from_usage_evidence() {
    if !python_or_skip() {
        return;
    }
    let project = copy_project(&fixtures().join("init_project"));
    let dir = project.path();
    // `helpers` made heavy in the synthetic profile: 25 ms, like `decimal`.
    let profile = std::fs::read_to_string(dir.join("profile.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&profile).unwrap();
    for m in doc["modules"].as_array_mut().unwrap() {
        if m["name"] == "helpers" {
            for key in ["self_us", "cumulative_us"] {
                for stat in ["median", "min", "max"] {
                    m[key][stat] = serde_json::json!(25000.0);
                }
            }
        }
    }
    std::fs::write(dir.join("profile.json"), doc.to_string()).unwrap();
    std::fs::create_dir(dir.join("events")).unwrap();
    for i in 1..=4 {
        std::fs::write(dir.join(format!("events/{i}.json")), "{}").unwrap();
    }
    let usage = run(fp(dir).args([
        "usage",
        "--python",
        "python3",
        "--events",
        "events",
        "--handler",
        "handler",
    ]));
    assert!(usage.contains("helpers"), "{usage}");
    let init = run(fp(dir).args(["init", "--python", "python3", "--profile", "profile.json"]));
    assert!(init.starts_with("exit: 0"), "{init}");
    let manifest = std::fs::read_to_string(dir.join("fast_path.py")).unwrap();
    // Used by every event: a hot-path exception, on evidence.
    assert!(
        manifest
            .lines()
            .any(|l| l.starts_with("from helpers import") && l.contains("every request")),
        "{manifest}"
    );
    // `decimal` is implemented in C: no Python code of it runs, so no evidence keeps it.
    assert!(!manifest.contains("import decimal"), "{manifest}");
}
