//! `fastpath profile` on the `profile` fixture, copied to a temporary directory first: a
//! profile writes `.fastpath/observed.json` under the project root. Runs are
//! fixed (`--runs 3`); every timing is replaced by a placeholder before anything is compared,
//! and nothing asserts a duration.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::{fastpath, fixtures, require_python};

/// A fresh copy of the fixture project.
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

/// `fastpath profile ARGS --python python3 --runs 3` in `dir`, in an environment that does not
/// change what is measured.
fn profile(dir: &Path, args: &[&str]) -> Output {
    let mut command: Command = fastpath(dir);
    command
        .arg("profile")
        .args(args)
        .args(["--python", "python3", "--runs", "3"])
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .env_remove("PYTHONSTARTUP")
        .env_remove("PYTHONPROFILEIMPORTTIME");
    command.output().expect("run fastpath")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Project modules of the fixture: their rows do not depend on the Python version.
const PROJECT: &[&str] = &["app", "store", "plugin"];

/// Replaces every timing (and what is derived from timings or from the machine) with a
/// placeholder, keeps only the fixture's own modules and sites, and sorts what timings order.
fn filter_profile(mut json: Value) -> Value {
    fn placeholder(value: &mut Value) {
        match value {
            Value::Number(_) | Value::Bool(_) => *value = Value::String("[TIME]".into()),
            Value::Object(map) => map.values_mut().for_each(placeholder),
            _ => {}
        }
    }
    let object = json.as_object_mut().unwrap();
    for key in [
        "total_us",
        "process_wall_us",
        "startup_us",
        "stability",
        "anomalies",
    ] {
        placeholder(object.get_mut(key).unwrap());
    }
    object.insert("pinned".into(), "[CPU]".into());
    placeholder(object.get_mut("process_wall_ci_us").unwrap());
    // Which CPU, what was dropped and why depend on the machine's load: the shapes stay.
    object.insert("placement".into(), "[PLACEMENT]".into());
    object.insert("contention".into(), "[CONTENTION]".into());
    object.insert("interpreter".into(), "[PYTHON]".into());
    // fastpath's bytecode cache lives in the tests' temporary cache directory.
    object["bytecode"]["cache"] = "[CACHE]".into();
    object["observed"]["key"] = "[KEY]".into();
    let pulled_in = object["pulled_in"].as_object_mut().unwrap();
    pulled_in.retain(|name, _| {
        PROJECT.contains(&name.as_str()) || name == "colorsys" || name == "graphlib"
    });
    let modules = object["modules"].as_array_mut().unwrap();
    modules.retain(|m| PROJECT.contains(&m["name"].as_str().unwrap()));
    for module in modules.iter_mut() {
        placeholder(&mut module["self_us"]);
        placeholder(&mut module["cumulative_us"]);
        placeholder(&mut module["self_ci_us"]);
        placeholder(&mut module["cumulative_ci_us"]);
    }
    let savings = object["savings"].as_array_mut().unwrap();
    savings.retain(|s| {
        let file = s["site"]["file"].as_str().unwrap();
        PROJECT.iter().any(|m| file == format!("{m}.py"))
    });
    for saving in savings.iter_mut() {
        saving["saved_us"] = "[TIME]".into();
        saving["shared_us"] = "[TIME]".into();
        saving["modules"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|m| m.as_str().unwrap().to_string());
    }
    savings.sort_by_key(|s| (s["site"]["file"].to_string(), s["site"]["line"].as_u64()));
    json
}

fn json_profile(dir: &Path, entry: &str) -> Value {
    let output = profile(dir, &[entry, "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

#[test]
fn json_follows_the_profile_schema() {
    require_python!();
    let dir = project();
    let json = json_profile(dir.path(), "app");
    // Every loaded module has the statistics PRODUCT.md promises.
    for module in json["modules"].as_array().unwrap() {
        for key in ["median", "min", "max", "mad"] {
            assert!(module["self_us"][key].is_number(), "{module}");
            assert!(module["cumulative_us"][key].is_number(), "{module}");
        }
        assert_eq!(module["runs"], 3, "{module}");
    }
    assert!(json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "decimal"));
    insta::assert_snapshot!(serde_json::to_string_pretty(&filter_profile(json)).unwrap());
}

#[test]
fn text_report_has_the_equation_costs_savings_tree_and_comparison() {
    require_python!();
    let dir = project();
    let output = profile(dir.path(), &[]);
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(text.starts_with("Cold start of `app` on Python "), "{text}");
    for expected in [
        "cold start = interpreter start-up + imports = ",
        "stability: imports median ",
        "Top costs (median self time",
        "Top savings (defer one import statement",
        // The tree names the statement that pulls each module in.
        "store.py:3  import decimal",
        "app.py:5  import store",
        // One statement importing two modules: each is named by its own part.
        "plugin.py:3  import colorsys",
        "plugin.py:3  import graphlib",
        // A shared dependency is not claimed by the import that importtime charges it to.
        "also load through other imports",
        "1 module loaded without an importtime row (importlib.import_module)",
        "Static prediction versus what loaded",
        // The plugin and its two imports, and `collections.abc`, which the `_decimal` extension
        // imports as it initialises (the test interpreter does not load it at start-up).
        "4 modules loaded that the static graph did not predict; 2 imports recorded in .fastpath/observed.json under cpython-",
        "    + plugin  (imported by app)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // `numbers` is imported by the `_decimal` extension as it initialises: no statement shows it.
    assert!(
        text.contains("imported by `_decimal` at run time (no statement shows it)"),
        "{text}"
    );
    // Deferring `import decimal` saves nothing: fractions imports it as well.
    assert!(!text
        .lines()
        .any(|l| l.contains("store.py:3  import decimal") && l.contains(" 1  ")));
    // No progress bar, no warnings: stderr is not a terminal.
    assert_eq!(stderr(&output), "");
}

#[test]
fn folded_stacks_for_flame_graphs() {
    require_python!();
    let dir = project();
    let output = profile(dir.path(), &["app", "--format", "folded"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for line in text.lines() {
        let (stack, weight) = line.rsplit_once(' ').expect("`stack weight`");
        assert!(stack.starts_with("app"), "{line}");
        assert!(weight.parse::<u64>().is_ok_and(|w| w > 0), "{line}");
    }
    assert!(
        text.lines().any(|l| l.starts_with("app;store;fractions ")),
        "{text}"
    );
}

#[test]
fn an_entry_that_raises_fails_with_its_line_a_hint_and_its_own_frames() {
    require_python!();
    let dir = project();
    let output = profile(dir.path(), &["raises"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.starts_with("fastpath failed\n"), "{err}");
    assert!(
        err.contains(
            "importing `raises` raised ValueError: boom: settings missing (warm-up run 1)"
        ),
        "{err}"
    );
    assert!(err.contains("check `src` ([]) and `python`"), "{err}");
    // The program's frames, not the bootstrap's (`<string>`, run by `python -c`).
    assert!(err.contains("Traceback (most recent call last):"), "{err}");
    assert!(
        err.contains("raises.py\", line 6, in load_settings"),
        "{err}"
    );
    assert!(!err.contains("File \"<string>\""), "{err}");
    assert!(err.contains("ValueError: boom: settings missing"), "{err}");
    assert_eq!(stdout(&output), "");
}

#[test]
fn an_entry_that_hangs_is_killed_at_the_timeout() {
    require_python!();
    let dir = project();
    let output = profile(dir.path(), &["hangs", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("`hangs` hung: the warm-up run 1 was killed after 2.0 s while importing"),
        "{err}"
    );
    assert!(
        err.contains("its last output:\nhangs.py: waiting forever"),
        "{err}"
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_bad_timeout_is_named() {
    let dir = project();
    let output = profile(dir.path(), &["app", "--timeout", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`0` is not a positive number of seconds"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_noisy_entry_keeps_its_output_out_of_the_report() {
    require_python!();
    let dir = project();
    let json = json_profile(dir.path(), "noisy");
    let names: Vec<&str> = json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["noisy", "colorsys"]);
    let output = profile(dir.path(), &["noisy"]);
    let text = stdout(&output);
    assert!(output.status.success());
    assert!(
        !text.contains("noisy output") && !text.contains("fake_"),
        "{text}"
    );
    assert!(text.contains("noisy.py:11  import colorsys"), "{text}");
}

#[test]
fn observed_imports_round_trip_into_the_graph() {
    require_python!();
    let dir = project();
    let graph = || {
        let output = fastpath(dir.path())
            .args(["graph", "--python", "python3", "--format", "json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let module = |graph: &Value, name: &str| {
        graph["modules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .cloned()
    };
    // Before any profile the plugin, named at run time, is invisible to the source.
    let before = graph();
    assert!(module(&before, "plugin").is_none());
    assert!(!dir.path().join(".fastpath/observed.json").exists());

    let json = json_profile(dir.path(), "app");
    let observed = &json["observed"];
    assert_eq!(observed["store"], ".fastpath/observed.json");
    // The plugin and its imports were unpredicted, and `collections.abc`, imported by the
    // `_decimal` extension as it initialises; the plugin's own imports follow from its source,
    // so only the plugin and the extension's import need a record.
    assert_eq!(
        observed["unpredicted"],
        serde_json::json!([
            {"importer": "_decimal", "module": "collections.abc"},
            {"importer": "app", "module": "plugin"},
            {"importer": "plugin", "module": "colorsys"},
            {"importer": "plugin", "module": "graphlib"}
        ])
    );
    assert_eq!(
        observed["recorded"],
        serde_json::json!([
            {"importer": "_decimal", "module": "collections.abc"},
            {"importer": "app", "module": "plugin"}
        ])
    );
    assert_eq!(observed["added"], 2);
    let store: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(".fastpath/observed.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(store["schema"], "fastpath.observed/1");
    let key = observed["key"].as_str().unwrap();
    assert!(key.starts_with("cpython-3."), "{key}");
    assert_eq!(
        store["interpreters"][key]["edges"],
        serde_json::json!([
            {"importer": "_decimal", "module": "collections.abc"},
            {"importer": "app", "module": "plugin"}
        ])
    );

    let after = graph();
    let plugin = module(&after, "plugin").expect("plugin joins the cold path");
    assert_eq!(plugin["via"]["module"], "app");
    assert_eq!(plugin["via"]["context"], "observed");
    assert_eq!(plugin["via"]["line"], 0);
    assert_eq!(plugin["via"]["path"], "app.py");
    // What the plugin imports is read from its source, as for any module.
    let colorsys = module(&after, "colorsys").expect("the plugin's own import");
    assert_eq!(colorsys["via"]["module"], "plugin");
    assert_eq!(colorsys["via"]["context"], "eager");
    // The graph's contract is unchanged otherwise.
    assert_eq!(after["schema"], "fastpath.graph/1");

    // A second profile finds the same import, and it is no longer new to the store.
    let again = json_profile(dir.path(), "app");
    assert_eq!(again["observed"]["added"], 0);
    assert_eq!(again["observed"]["unpredicted"], observed["unpredicted"]);

    // The text graph says where it came from.
    let text = fastpath(dir.path())
        .args(["graph", "--python", "python3"])
        .output()
        .unwrap();
    let text = stdout(&text);
    assert!(
        text.contains("plugin (project)  app.py (observed at run time)"),
        "{text}"
    );
}

#[test]
fn observed_imports_are_kept_apart_per_interpreter() {
    require_python!();
    let dir = project();
    std::fs::create_dir(dir.path().join(".fastpath")).unwrap();
    // Seen by another interpreter only: not this one's business.
    std::fs::write(
        dir.path().join(".fastpath/observed.json"),
        r#"{"schema": "fastpath.observed/1", "interpreters": {"cpython-2.7": {"edges": [{"importer": "app", "module": "plugin"}]}}}"#,
    )
    .unwrap();
    let output = fastpath(dir.path())
        .args(["graph", "--python", "python3", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["name"] != "plugin"));
}

#[test]
fn a_malformed_store_is_a_warning_and_is_left_alone() {
    require_python!();
    let dir = project();
    std::fs::create_dir(dir.path().join(".fastpath")).unwrap();
    let store = dir.path().join(".fastpath/observed.json");
    std::fs::write(&store, "{ not json").unwrap();
    let output = profile(dir.path(), &["app"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("warning: observed imports not recorded: "),
        "{err}"
    );
    assert!(err.contains("observed.json:1:"), "{err}");
    assert_eq!(std::fs::read_to_string(&store).unwrap(), "{ not json");
    let graph = fastpath(dir.path())
        .args(["graph", "--python", "python3"])
        .output()
        .unwrap();
    assert!(graph.status.success());
    assert!(stderr(&graph).contains("warning: observed imports left out: "));
}

/// The `import_hook` fixture: `hook` installs a meta-path finder that loads `fakebanned` (a
/// name no path search finds) from the standard library's `colorsys.py`, and `app` imports it;
/// `fakebanned` is banned. Static analysis cannot see through the finder; one profile records
/// where it loaded from, and from then on the module is on the cold path under the name the
/// program used, so FP003 reports it.
#[test]
fn a_module_loaded_through_an_import_hook_joins_the_graph_after_one_profile() {
    require_python!();
    let dir = crate::fix::copy_project(&fixtures().join("import_hook"));
    let dir = dir.path();
    let check = || {
        let output = fastpath(dir)
            .args([
                "check",
                "--static",
                "--python",
                "python3",
                "--output-format",
                "concise",
            ])
            .output()
            .unwrap();
        stdout(&output)
    };
    let graph = || {
        let output = fastpath(dir)
            .args(["graph", "--python", "python3"])
            .output()
            .unwrap();
        stdout(&output)
    };
    assert!(!check().contains("FP003"), "{}", check());
    assert!(
        graph().contains("\n  fakebanned  app.py:2: import fakebanned"),
        "{}",
        graph()
    );

    let output = profile(dir, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let store: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".fastpath").join("observed.json")).unwrap(),
    )
    .unwrap();
    let hooked = store["interpreters"]
        .as_object()
        .unwrap()
        .values()
        .find_map(|record| record["hooked"]["fakebanned"].as_str())
        .expect("the hooked module is recorded");
    assert!(hooked.ends_with("colorsys.py"), "{hooked}");

    let after = check();
    assert!(
        after.contains("app.py:2:1: FP003 `fakebanned` is banned from the cold path"),
        "{after}"
    );
    let graph = graph();
    assert!(!graph.contains("\n  fakebanned  app.py:2"), "{graph}");
    assert!(graph.contains("fakebanned (stdlib)  app.py:2"), "{graph}");
}
