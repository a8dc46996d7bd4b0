//! Measured commands on a busy machine (issue 11): a CPU hog running beside them must not change
//! what `check` finds, and `update` must never write a cost from a shaky measurement.
//!
//! The project imports a standard-library set of about 100 ms on a quiet machine (no
//! third-party package needed) through a Tier 1 manifest whose statements cost from about 1 ms
//! to 20 ms, under a 40 ms limit: on a busy machine a median compared with the limit flipped
//! (the "json costs 25 ms"), and the decision on intervals, with contended runs redone
//! or reported as notes, must not. (An import whose true cost sits at the limit cannot be
//! decided the same way every time by any rule; that case is a note, tested on synthetic
//! measurements in `fastpath_check`.) The test binary runs other measuring tests beside this
//! one, so "quiet" here already means some load. The manifest documents no costs in the determinism test (a documented
//! cost is FP105's, and whether it is stale depends on the machine, not on the decision rule);
//! `update` writes them in the second test.

use std::path::Path;
use std::process::{Child, Command};

use crate::{fastpath, require_python, run};

const TODAY: &str = "2026-12-03";

/// A busy loop on every CPU but one would be unfair to any tool; one hog, as in the issue.
struct Hog(Child);

impl Hog {
    fn start() -> Hog {
        Hog(Command::new("python3")
            .args(["-c", "while True: pass"])
            .spawn()
            .expect("python3 for the CPU hog"))
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn project(dir: &Path) {
    std::fs::write(
        dir.join("pyproject.toml"),
        "[tool.fastpath]\nentry = \"app\"\nbanned = []\ntier1-max-ms = 40\n",
    )
    .unwrap();
    std::fs::write(dir.join("app.py"), "from fast_path import *\n").unwrap();
    std::fs::write(
        dir.join("fast_path.py"),
        "\"\"\"\nFast Path: Minimum imports for cold start optimization.\n\nLast profiled: 2026-12-01\n\"\"\"\n\n\
# Tier 1: Lightweight (<40ms)\n\
import json           # every request\n\
import logging        # logging everywhere\n\
import email.mime.text  # every request\n\
import http.client    # every request\n\
import asyncio        # every request\n\n\
__all__ = [\"json\", \"logging\", \"email\", \"http\", \"asyncio\"]\n\n# HISTORY:\n# 2026-12-01: Initial file, 5 imports\n",
    )
    .unwrap();
}

/// The finding lines of a JSON check: code and message, sorted (timings filtered out).
fn findings(output: &str) -> Vec<String> {
    let json = output
        .split_once("--- stdout\n")
        .and_then(|(_, rest)| rest.split_once("--- stderr\n"))
        .map_or("", |(json, _)| json);
    let doc: serde_json::Value = match serde_json::from_str(json) {
        Ok(doc) => doc,
        Err(e) => panic!("not JSON ({e}):\n{output}"),
    };
    let mut found: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let message = d["message"].as_str().unwrap_or("");
            // The subject of the message, without the measured figures.
            let subject: String = message
                .split_whitespace()
                .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
                .collect::<Vec<_>>()
                .join(" ");
            format!("{} {}", d["code"].as_str().unwrap_or(""), subject)
        })
        .collect();
    found.sort();
    found
}

fn check(dir: &Path) -> String {
    run(fastpath(dir).env("FASTPATH_TODAY", TODAY).args([
        "check",
        "--python",
        "python3",
        "--output-format",
        "json",
    ]))
}

#[test]
fn eight_measured_checks_four_beside_a_hog_give_the_same_findings() {
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let mut sets = Vec::new();
    for round in 0..8 {
        let _hog = (round % 2 == 1).then(Hog::start);
        let output = check(dir.path());
        assert!(
            output.starts_with("exit: 0") || output.starts_with("exit: 1"),
            "{output}"
        );
        sets.push(findings(&output));
    }
    for (i, set) in sets.iter().enumerate() {
        assert_eq!(set, &sets[0], "check {} differs from check 1", i + 1);
    }
}

#[test]
fn update_twice_then_check_beside_a_hog() {
    require_python!();
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let _hog = Hog::start();
    let update = || {
        run(fastpath(dir.path())
            .env("FASTPATH_TODAY", TODAY)
            .args(["update", "--python", "python3"]))
    };
    let first = update();
    // Either the measurement was good enough to write, or nothing was written and the cause
    // is named; never a cost from a contended measurement.
    assert!(
        first.starts_with("exit: 0")
            || (first.starts_with("exit: 2")
                && first.contains("was not changed")
                && (first.contains("the machine is busy") || first.contains("is noisy"))),
        "{first}"
    );
    let after_first = std::fs::read_to_string(dir.path().join("fast_path.py")).unwrap();
    let second = update();
    assert!(
        second.starts_with("exit: 0") || second.starts_with("exit: 2"),
        "{second}"
    );
    let after_second = std::fs::read_to_string(dir.path().join("fast_path.py")).unwrap();
    if first.starts_with("exit: 0") {
        // The same day, the same costs: the second update changes nothing.
        assert_eq!(after_first, after_second, "{second}");
    }
    let output = check(dir.path());
    let measured: Vec<String> = findings(&output)
        .into_iter()
        .filter(|f| f.starts_with("FP1"))
        .collect();
    if first.starts_with("exit: 0") {
        assert!(measured.iter().all(|f| !f.starts_with("FP105")), "{output}");
    }
}
