//! The HTML reports and `--defer` through the real binary: `fastpath profile --defer` on the
//! `profile` fixture (whose `store.py` imports `decimal` and `fractions`, and `fractions`
//! imports `decimal` too: deferring both saves `decimal`, deferring either alone does not),
//! `--format html -o FILE`, and `fastpath check --output-format html`. Timings are never
//! compared with a number; the browser test (`.ci/checks/50-browser.sh`) drives the pages.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::{fastpath, filter, fixtures, require_python};

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures().join("profile")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    dir
}

fn profile(dir: &Path, args: &[&str]) -> Output {
    fastpath(dir)
        .args(["profile", "app", "--python", "python3", "--runs", "3"])
        .args(args)
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .env_remove("PYTHONSTARTUP")
        .env_remove("PYTHONPROFILEIMPORTTIME")
        .output()
        .expect("run fastpath")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// The page's embedded data.
fn page_data(page: &str) -> Value {
    let marker = "id=\"fastpath-data\">";
    let start = page.find(marker).unwrap() + marker.len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

#[test]
fn defer_prices_a_shared_dependency_with_the_pair() {
    require_python!();
    let dir = project();
    let both = json(&profile(
        dir.path(),
        &[
            "--format",
            "json",
            "--defer",
            "store.py:3",
            "--defer",
            "store.py:4",
        ],
    ));
    let deferred = &both["deferred"];
    let modules = names(&deferred["modules"]);
    assert!(
        modules.contains(&"decimal") && modules.contains(&"fractions"),
        "{modules:?}"
    );
    // Neither statement alone saves `decimal`.
    for saving in both["savings"].as_array().unwrap() {
        if saving["site"]["file"] == "store.py" {
            assert!(!names(&saving["modules"]).contains(&"decimal"), "{saving}");
        }
    }
    // What a set saves is at least what each of its members saves (every run's sum over a
    // superset is at least as large): no timing is compared with a number.
    let saved = deferred["saved_us"].as_f64().unwrap();
    for saving in both["savings"].as_array().unwrap() {
        if saving["site"]["file"] == "store.py" {
            assert!(saved >= saving["saved_us"].as_f64().unwrap());
        }
    }
    insta::assert_json_snapshot!(deferred["sites"], @r#"
    [
      {
        "file": "store.py",
        "line": 3,
        "statement": "import decimal"
      },
      {
        "file": "store.py",
        "line": 4,
        "statement": "import fractions"
      }
    ]
    "#);

    let text = profile(
        dir.path(),
        &["--defer", "store.py:3", "--defer", "./store.py:4"],
    );
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let section: Vec<&str> = text
        .split("\nDeferred together")
        .nth(1)
        .unwrap()
        .lines()
        .take(3)
        .collect();
    assert!(section[0].starts_with(" (--defer): saves "), "{text}");
    assert_eq!(
        section[1..],
        [
            "  store.py:3  import decimal",
            "  store.py:4  import fractions"
        ]
    );
}

#[test]
fn a_defer_that_names_no_statement_fails_and_says_where_the_statements_are() {
    require_python!();
    let dir = project();
    let output = profile(dir.path(), &["--defer", "store.py:1"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(filter(&String::from_utf8_lossy(&output.stderr)), @r"
    fastpath failed
      Cause: `--defer store.py:1`: no import statement on the cold path at store.py:1 (its import statements on the cold path are on lines 3, 4)
    ");
    let output = profile(dir.path(), &["--defer", "store.py"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected FILE:LINE"));
}

#[test]
fn html_goes_to_the_output_file_whole() {
    require_python!();
    let dir = project();
    let page_path = dir.path().join("report.html");
    std::fs::write(&page_path, "an old report").unwrap();
    let output = profile(
        dir.path(),
        &[
            "--format",
            "html",
            "-o",
            "report.html",
            "--defer",
            "store.py:3",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty());
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert_eq!(page.matches("<script").count(), 2);
    for fetches in ["src=", "href=", "http://", "https://"] {
        assert!(!page.contains(fetches), "{fetches}");
    }
    let data = page_data(&page);
    assert_eq!(data["schema"], "fastpath.profile-page/1");
    let modules: Vec<&str> = data["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["n"].as_str().unwrap())
        .collect();
    for name in ["app", "store", "decimal", "fractions", "colorsys"] {
        assert!(modules.contains(&name), "{name}: {modules:?}");
    }
    let app = &data["modules"][modules.iter().position(|m| *m == "app").unwrap()];
    assert_eq!(app["o"], "project");
    let sites = &data["graph"]["sites"];
    let deferred = data["deferred"]["sites"].as_array().unwrap();
    assert_eq!(deferred.len(), 1);
    assert_eq!(
        sites[deferred[0].as_u64().unwrap() as usize],
        serde_json::json!(["store.py", 3, "import decimal"])
    );
    assert_eq!(
        data["runs"].as_array().unwrap().len(),
        3,
        "one row of self times per run"
    );
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("report") && n != "report.html")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn check_html_lists_findings_with_their_chains() {
    let dir = fixtures().join("check_static");
    let json_out = fastpath(&dir)
        .args(["check", "--static", "--output-format", "json"])
        .output()
        .unwrap();
    let findings: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let output = fastpath(&dir)
        .args(["check", "--static", "--output-format", "html"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), json_out.status.code());
    let page = String::from_utf8(output.stdout).unwrap();
    let data = page_data(&page);
    assert_eq!(data["schema"], "fastpath.check-page/1");
    let cards = data["findings"].as_array().unwrap();
    assert_eq!(
        cards.len(),
        findings["diagnostics"].as_array().unwrap().len()
    );
    for (card, diagnostic) in cards
        .iter()
        .zip(findings["diagnostics"].as_array().unwrap())
    {
        assert_eq!(card["code"], diagnostic["code"]);
        assert_eq!(card["message"], diagnostic["message"]);
        assert_eq!(
            card["chain"].as_array().unwrap().len(),
            diagnostic["chain"].as_array().unwrap().len()
        );
    }
}
