//! The transaction with a fake verifier (a rule over the files on disk), then with the real
//! one running `python3` on a small project.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::python::PythonVerifier;
use super::*;
use crate::{render_fixes, FixOptions, Request};

/// A stand-in program: it "loads" every module named by a top-level `import X` line of its
/// files, breaks when an indented line says `BROKEN` (where a moved import lands, its comment
/// with it), and its tests fail when an indented line says `TESTFAIL`.
struct Fake {
    dir: PathBuf,
    entry_runs: usize,
    test_runs: usize,
    with_tests: bool,
}

impl Fake {
    fn files(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

impl Verifier for Fake {
    fn run_entry(&mut self) -> Result<BTreeSet<String>, Failure> {
        self.entry_runs += 1;
        let files = self.files();
        let indented = |f: &String, word: &str| {
            f.lines()
                .find(|l| l.starts_with(' ') && l.contains(word))
                .map(str::to_owned)
        };
        if let Some(line) = files.iter().find_map(|f| indented(f, "BROKEN")) {
            return Err(Failure {
                summary: format!("AttributeError at `{}`", line.trim()),
                tail: String::new(),
            });
        }
        Ok(files
            .iter()
            .flat_map(|f| f.lines())
            .filter_map(|l| l.strip_prefix("import "))
            .map(str::to_owned)
            .collect())
    }

    fn run_tests(&mut self) -> Option<Result<(), Failure>> {
        if !self.with_tests {
            return None;
        }
        self.test_runs += 1;
        let failing = self.files().iter().any(|f| {
            f.lines()
                .any(|l| l.starts_with(' ') && l.contains("TESTFAIL"))
        });
        Some(if failing {
            Err(Failure {
                summary: "tests failed".to_owned(),
                tail: "FAILED test_m4".to_owned(),
            })
        } else {
            Ok(())
        })
    }
}

/// A project in a temporary directory, its candidates (one per statement request) and a
/// renderer that re-applies a subset of requests with the fix engine.
struct Project {
    dir: tempfile::TempDir,
    originals: BTreeMap<PathBuf, Vec<u8>>,
    requests: Vec<(PathBuf, Request)>,
    candidates: Vec<Candidate>,
}

impl Project {
    fn new(files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let mut originals = BTreeMap::new();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            originals.insert(path, text.as_bytes().to_vec());
        }
        Project {
            dir,
            originals,
            requests: Vec::new(),
            candidates: Vec::new(),
        }
    }

    fn candidate(&mut self, file: &str, line: u32, module: &str) {
        let path = self.dir.path().join(file);
        let id = self.candidates.len();
        self.requests.push((
            path.clone(),
            Request {
                line,
                column: 1,
                modules: vec![module.to_owned()],
            },
        ));
        self.candidates.push(Candidate {
            id,
            file: path,
            modules: vec![module.to_owned()],
        });
    }

    fn verify(&self, verifier: &mut dyn Verifier, keep: bool) -> Result<Report, VerifyError> {
        let options = FixOptions::default();
        let mut render = |file: &Path, ids: &[usize]| {
            let requests: Vec<&Request> = ids.iter().map(|&i| &self.requests[i].1).collect();
            render_fixes(&self.originals[file], &requests, &options)
        };
        Transaction::new(&self.candidates, &self.originals).run(&mut render, verifier, keep)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap()
    }
}

fn fake(project: &Project, with_tests: bool) -> Fake {
    Fake {
        dir: project.dir.path().to_path_buf(),
        entry_runs: 0,
        test_runs: 0,
        with_tests,
    }
}

#[test]
fn safe_no_win_and_breaking_candidates_each_get_their_verdict() {
    // Moving `import c` breaks the program: its comment lands on an indented line.
    let app =
        "import a\nimport b\nimport c  # BROKEN when moved\n\n\ndef f():\n    return a, b, c\n";
    let other = "import b\n";
    let mut project = Project::new(&[("app.py", app), ("other.py", other)]);
    project.candidate("app.py", 1, "a");
    project.candidate("app.py", 2, "b");
    project.candidate("app.py", 3, "c");
    let mut verifier = fake(&project, false);
    let report = project.verify(&mut verifier, true).unwrap();
    assert_eq!(report.verdicts[&0], Verdict::Safe);
    assert_eq!(
        report.verdicts[&1],
        Verdict::NoWin {
            still_loaded: vec!["b".to_owned()]
        }
    );
    assert!(
        matches!(&report.verdicts[&2], Verdict::BreaksEntry(f) if f.summary.contains("BROKEN")),
        "{:?}",
        report.verdicts[&2]
    );
    // Only the safe fix is left on disk.
    assert_eq!(
        project.read("app.py"),
        "import b\nimport c  # BROKEN when moved\n\n\ndef f():\n    import a\n    return a, b, c\n"
    );
    assert_eq!(project.read("other.py"), other);
    assert_eq!(report.gone(), [&"a".to_owned()]);
    assert_eq!(report.files.len(), 1);
}

#[test]
fn a_module_two_statements_load_leaves_when_both_move() {
    let mut project = Project::new(&[
        (
            "app.py",
            "import json\nimport helper\n\n\ndef f():\n    return json\n",
        ),
        ("helper.py", "import json\n\n\ndef g():\n    return json\n"),
    ]);
    project.candidate("app.py", 1, "json");
    project.candidate("helper.py", 1, "json");
    let mut verifier = fake(&project, false);
    let report = project.verify(&mut verifier, true).unwrap();
    assert_eq!(report.verdicts[&0], Verdict::Safe);
    assert_eq!(report.verdicts[&1], Verdict::Safe);
    assert!(report.gone().contains(&&"json".to_owned()));
    // One entry run before, one for the group, one after.
    assert_eq!(report.entry_runs, 3);
}

#[test]
fn failing_tests_are_bisected_to_the_culprit_and_only_it_is_rolled_back() {
    let files: Vec<(String, String)> = (0..6)
        .map(|i| {
            let comment = if i == 4 { "  # TESTFAIL" } else { "" };
            (
                format!("m{i}.py"),
                format!("import mod{i}{comment}\n\n\ndef f():\n    return mod{i}\n"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let mut project = Project::new(&refs);
    for i in 0..6 {
        project.candidate(&format!("m{i}.py"), 1, &format!("mod{i}"));
    }
    // The TESTFAIL comment moves with the import: only when it is inside `f` do tests fail.
    let mut verifier = fake(&project, true);
    let report = project.verify(&mut verifier, true).unwrap();
    for i in [0, 1, 2, 3, 5] {
        assert_eq!(report.verdicts[&i], Verdict::Safe, "m{i}");
    }
    assert!(
        matches!(&report.verdicts[&4], Verdict::BreaksTests(f) if f.tail.contains("FAILED")),
        "{:?}",
        report.verdicts[&4]
    );
    assert_eq!(project.read("m4.py"), files[4].1);
    assert!(project.read("m0.py").contains("    import mod0"));
    // Bisection, not one run per candidate: before, all, log2(6) rounded up, the
    // confirmation, then all again without the culprit.
    assert!(report.test_runs <= 7, "{}", report.test_runs);
}

#[test]
fn a_preview_leaves_the_tree_as_it_was_and_a_broken_start_changes_nothing() {
    let app = "import a\n\n\ndef f():\n    return a\n";
    let mut project = Project::new(&[("app.py", app)]);
    project.candidate("app.py", 1, "a");
    let mut verifier = fake(&project, false);
    let report = project.verify(&mut verifier, false).unwrap();
    assert_eq!(report.verdicts[&0], Verdict::Safe);
    assert_eq!(project.read("app.py"), app, "a preview restores the file");
    assert!(
        String::from_utf8_lossy(&report.files[&project.dir.path().join("app.py")])
            .contains("    import a")
    );

    let broken = "import a\n\n\ndef f():\n    return a  # BROKEN\n";
    let mut project = Project::new(&[("app.py", broken)]);
    project.candidate("app.py", 1, "a");
    let mut verifier = fake(&project, false);
    let error = project.verify(&mut verifier, true).unwrap_err();
    assert!(matches!(error, VerifyError::EntryFailsBefore(_)), "{error}");
    assert_eq!(project.read("app.py"), broken);
}

#[test]
fn a_file_changed_behind_the_transaction_is_not_overwritten() {
    let app = "import a\n\n\ndef f():\n    return a\n";
    let mut project = Project::new(&[("app.py", app)]);
    project.candidate("app.py", 1, "a");
    std::fs::write(project.dir.path().join("app.py"), "x = 1\n").unwrap();
    let mut verifier = fake(&project, false);
    let error = project.verify(&mut verifier, true).unwrap_err();
    assert!(
        matches!(error, VerifyError::ChangedBehind { .. }),
        "{error}"
    );
    assert_eq!(project.read("app.py"), "x = 1\n");
}

/// `python3`, required under `CI=true`.
fn python3() -> Option<PathBuf> {
    let ok = std::process::Command::new("python3")
        .args(["-c", "pass"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("python3 is required under CI=true");
    }
    ok.then(|| PathBuf::from("python3"))
}

#[test]
fn the_real_verifier_runs_python3_and_catches_what_static_reasoning_missed() {
    let Some(python) = python3() else {
        eprintln!("python3 not found: skipped");
        return;
    };
    // `email.message` is bound on `email` only because `email.mime.text` imports it: the
    // static rule cannot know that without the graph, the interpreter shows it.
    let app = "import email\nfrom email.mime.text import MIMEText\nimport json\nimport csv\nimport helper\n\n\ndef header() -> email.message.Message:\n    return MIMEText('x')\n\n\ndef dump():\n    return json.dumps([csv.QUOTE_ALL])\n\n\ndef main():\n    print('ok')\n";
    let helper = "import json\n\n\ndef g():\n    return json\n";
    let mut project = Project::new(&[("app.py", app), ("helper.py", helper)]);
    project.candidate("app.py", 2, "email.mime.text");
    project.candidate("app.py", 3, "json");
    project.candidate("app.py", 4, "csv");
    let mut verifier =
        PythonVerifier::new(python, project.dir.path().to_path_buf(), "app".to_owned()).unwrap();
    verifier.function = Some("main".to_owned());
    verifier.args = Some(vec!["--version".to_owned()]);
    verifier.timeout = Duration::from_secs(30);
    verifier.test = Some("python3 -c 'import app; assert app.dump() == \"[1]\"'".to_owned());
    let report = project.verify(&mut verifier, true).unwrap();
    assert!(
        matches!(&report.verdicts[&0], Verdict::BreaksEntry(f)
            if f.summary == "AttributeError: module 'email' has no attribute 'message'"),
        "{:?}",
        report.verdicts[&0]
    );
    assert_eq!(
        report.verdicts[&1],
        Verdict::NoWin {
            still_loaded: vec!["json".to_owned()]
        }
    );
    assert_eq!(report.verdicts[&2], Verdict::Safe);
    assert!(report.before.contains("csv") && !report.after.contains("csv"));
    let text = project.read("app.py");
    assert!(text.contains("def dump():\n    import csv\n"), "{text}");
    assert!(
        text.starts_with(
            "import email\nfrom email.mime.text import MIMEText\nimport json\nimport helper\n"
        ),
        "{text}"
    );
    // The tree runs as it did.
    let output = std::process::Command::new("python3")
        .current_dir(project.dir.path())
        .args(["-c", "import app; app.main()"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "ok\n");
}

#[test]
fn the_real_verifier_reports_a_failing_test_command_with_its_tail() {
    let Some(python) = python3() else {
        eprintln!("python3 not found: skipped");
        return;
    };
    // Moving `import json` into `f` is statically safe, but the test reads `app.json`.
    let app = "import json\n\n\ndef f():\n    return json.dumps(1)\n";
    let mut project = Project::new(&[("app.py", app)]);
    project.candidate("app.py", 1, "json");
    let mut verifier =
        PythonVerifier::new(python, project.dir.path().to_path_buf(), "app".to_owned()).unwrap();
    verifier.test = Some("python3 -c 'import app; print(app.json.dumps(2))'".to_owned());
    let report = project.verify(&mut verifier, true).unwrap();
    let Verdict::BreaksTests(failure) = &report.verdicts[&0] else {
        panic!("{:?}", report.verdicts[&0])
    };
    assert!(
        failure
            .tail
            .ends_with("AttributeError: module 'app' has no attribute 'json'"),
        "{}",
        failure.tail
    );
    assert_eq!(project.read("app.py"), app);
}

/// Tests that fail on their second run only, whatever the files say: a flaky suite.
struct Flaky(Fake, usize);

impl Verifier for Flaky {
    fn run_entry(&mut self) -> Result<BTreeSet<String>, Failure> {
        self.0.run_entry()
    }

    fn run_tests(&mut self) -> Option<Result<(), Failure>> {
        self.1 += 1;
        Some(if self.1 == 2 {
            Err(Failure {
                summary: "tests failed".to_owned(),
                tail: "OSError: could not create numbered dir".to_owned(),
            })
        } else {
            Ok(())
        })
    }
}

#[test]
fn a_flaky_test_failure_blames_no_edit() {
    let mut project = Project::new(&[
        ("a.py", "import ma\n\n\ndef f():\n    return ma\n"),
        ("b.py", "import mb\n\n\ndef f():\n    return mb\n"),
    ]);
    project.candidate("a.py", 1, "ma");
    project.candidate("b.py", 1, "mb");
    let mut verifier = Flaky(fake(&project, true), 0);
    let report = project.verify(&mut verifier, true).unwrap();
    assert_eq!(report.verdicts[&0], Verdict::Safe);
    assert_eq!(report.verdicts[&1], Verdict::Safe);
    assert!(project.read("a.py").contains("    import ma"));
}
