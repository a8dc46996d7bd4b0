//! `fastpath profile` output: the measured cold start as a readable report (text), the
//! `fastpath.profile/1` document (json), folded stacks for flame graphs (folded), and one
//! self-contained interactive page (html).
//!
//! The command measures, `fastpath_profile` prices the savings and says what pulled each
//! module in (`costed`), and compares with the static graph; these renderers only lay the
//! results out.

mod folded;
mod html;
mod json;
mod text;

use std::collections::BTreeMap;
use std::path::Path;

use fastpath_profile::costed::PulledIn;
use fastpath_profile::observed::{Comparison, ObservedEdge};
use fastpath_profile::savings::SetSaving;
use fastpath_profile::Profile;

pub use folded::render_folded;
pub use html::{render_html, HtmlContext};
pub use json::render_json;
pub use text::render_text;

/// What the run-time comparison with the static graph found, and where it was recorded.
pub struct ObservedView<'a> {
    /// Loaded but not predicted, and predicted but not loaded.
    pub comparison: &'a Comparison,
    /// The unpredicted imports that explain the others (a module the static graph reaches
    /// from another observed one needs no record of its own): what the store keeps.
    pub recorded: &'a [ObservedEdge],
    /// The store's key for this interpreter, e.g. `cpython-3.11`.
    pub key: &'a str,
    /// The store (`.fastpath/observed.json` under the project root); `None` when it could not
    /// be written (the command warns).
    pub store: Option<&'a Path>,
    /// How many of the recorded edges were new to the store.
    pub added: usize,
}

/// Everything a profile renderer shows.
pub struct ProfileView<'a> {
    /// The measurement, with its savings.
    pub profile: &'a Profile,
    /// What pulled each loaded module in, by name (empty when there is no static cold path).
    pub pulled_in: &'a BTreeMap<String, PulledIn>,
    /// The comparison with the static prediction.
    pub observed: ObservedView<'a>,
    /// Paths under this directory are shown relative to it.
    pub root: &'a Path,
    /// What the statements asked with `--defer` save together, when there were any.
    pub deferred: Option<&'a SetSaving>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use fastpath_graph::Origin;
    use fastpath_profile::importtime::parse;
    use fastpath_profile::runner::{BytecodeReport, EntryOutcome, Interpreter, Measurement, Run};
    use fastpath_profile::savings::{compute, set_saving, ColdGraph, ImportSite};
    use fastpath_profile::stats::{Decision, StoppingRule};

    use super::*;

    /// `app` imports `boto3` (line 2) and `requests` (line 3); both import `urllib3`, which
    /// importtime charges to `boto3`, the first importer.
    const ROWS: &str = "\
import time:      5000 |       5000 |     urllib3
import time:     20000 |      20000 |     botocore
import time:      1000 |      26000 |   boto3
import time:       500 |        500 |     idna
import time:       300 |        800 |   requests
import time:       200 |      27000 | app
";

    fn measurement() -> Measurement {
        let modules: BTreeSet<String> = ["app", "boto3", "botocore", "urllib3", "requests", "idna"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let run = |wall_us: f64| Run {
            wall_us,
            imports: parse(ROWS),
            modules: modules.clone(),
            outcome: EntryOutcome::Imported,
        };
        Measurement {
            entry: "app".to_string(),
            interpreter: Interpreter {
                requested: PathBuf::from("python3"),
                executable: "/usr/bin/python3".to_string(),
                version: "3.11.7".to_string(),
                implementation: "cpython".to_string(),
            },
            warmup: 1,
            runs: vec![run(40_000.0), run(41_000.0), run(42_000.0)],
            startup_wall_us: vec![10_000.0, 10_000.0, 10_000.0],
            pinned: Some(1),
            placement: Default::default(),
            contention: Default::default(),
            bytecode: BytecodeReport::cached("/cache/pycache/0123"),
            env_removed: vec!["PYTHONSTARTUP".to_string()],
            stopping: StoppingRule::fixed(3),
            decision: Decision::Converged,
            reattributed: Default::default(),
            files: Default::default(),
            untimed: vec![ObservedEdge {
                importer: Some("app".to_string()),
                module: "plugin".to_string(),
            }],
        }
    }

    fn profile() -> Profile {
        let mut profile = Profile::from_measurement(&measurement());
        let mut graph = ColdGraph::new("app");
        for (from, to, line) in [
            ("app", "boto3", 2),
            ("app", "requests", 3),
            ("boto3", "botocore", 1),
            ("boto3", "urllib3", 2),
            ("requests", "urllib3", 1),
            ("requests", "idna", 2),
        ] {
            let (f, t) = (graph.module(from), graph.module(to));
            let site = graph.site(ImportSite {
                file: format!("{from}.py"),
                line,
                statement: format!("import {to}"),
            });
            graph.edge(f, t, Some(site));
        }
        profile.savings = compute(&graph, &profile.self_medians());
        profile
    }

    fn pulled_in() -> BTreeMap<String, PulledIn> {
        let statement = |file: &str, line: u32, statement: &str| PulledIn::Statement {
            file: file.to_string(),
            line,
            statement: statement.to_string(),
        };
        [
            ("app", PulledIn::Entry),
            ("boto3", statement("app.py", 2, "import boto3")),
            ("botocore", statement("boto3.py", 1, "import botocore")),
            (
                "urllib3",
                PulledIn::Observed {
                    importer: "boto3".to_string(),
                    file: "boto3.py".to_string(),
                },
            ),
            (
                "idna",
                PulledIn::RunTime {
                    importer: "requests".to_string(),
                },
            ),
        ]
        .into_iter()
        .map(|(name, p)| (name.to_string(), p))
        .collect()
    }

    fn render(
        f: fn(&ProfileView<'_>, &mut dyn std::io::Write) -> std::io::Result<()>,
        comparison: &Comparison,
    ) -> String {
        let profile = profile();
        let pulled_in = pulled_in();
        let view = ProfileView {
            profile: &profile,
            pulled_in: &pulled_in,
            observed: ObservedView {
                comparison,
                recorded: &comparison.unpredicted,
                key: "cpython-3.11",
                store: Some(Path::new("/project/.fastpath/observed.json")),
                added: 1,
            },
            root: Path::new("/project"),
            deferred: None,
        };
        let mut out = Vec::new();
        f(&view, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn comparison() -> Comparison {
        Comparison {
            unpredicted: vec![ObservedEdge {
                importer: Some("app".to_string()),
                module: "plugin".to_string(),
            }],
            not_loaded: vec!["yaml".to_string()],
        }
    }

    #[test]
    fn text_states_the_cold_start_equation_and_stability() {
        let text = render(render_text, &comparison());
        assert!(
            text.contains(
                "cold start = interpreter start-up + imports = 10.0 ms + 27.0 ms = 37.0 ms  (whole process: 41.0 ms)"
            ),
            "{text}"
        );
        assert!(text.contains("stability: imports median 27.0 ms"), "{text}");
        assert!(text.contains("pinned to CPU 1"), "{text}");
        assert!(text.contains("removed from the measured environment: PYTHONSTARTUP"));
    }

    #[test]
    fn text_ranks_costs_with_their_share_and_statement() {
        let text = render(render_text, &comparison());
        let costs = text.split("Top costs").nth(1).unwrap();
        let first = costs.lines().nth(2).unwrap();
        // botocore: 20 ms of a 37 ms cold start.
        assert!(
            first.contains("20.0 ms") && first.contains("54.1 %"),
            "{first}"
        );
        assert!(first.contains("botocore") && first.contains("boto3.py:1  import botocore"));
        assert!(
            text.contains("boto3.py (observed at run time, no statement)"),
            "{text}"
        );
        assert!(text.contains("(not in the static graph)"), "{text}");
    }

    #[test]
    fn shared_dependency_is_not_claimed_by_either_import_and_the_text_says_so() {
        let text = render(render_text, &comparison());
        let savings = text.split("Top savings").nth(1).unwrap();
        let lines: Vec<&str> = savings.lines().collect();
        // Deferring boto3 saves boto3 + botocore (21 ms), not urllib3 (5 ms, also under requests).
        assert!(lines[2].contains("21.0 ms") && lines[2].contains("app.py:2  import boto3"));
        assert!(
            lines[3].contains("not saved: 1 more module (5.0 ms) also load through other imports"),
            "{}",
            lines[3]
        );
        assert!(
            lines[4].contains("20.0 ms") && lines[4].contains("boto3.py:1  import botocore"),
            "{savings}"
        );
        // Deferring requests saves requests + idna only.
        assert!(lines
            .iter()
            .any(|l| l.contains("0.80 ms") && l.contains("app.py:3  import requests")));
    }

    #[test]
    fn text_tree_is_indented_and_observed_section_counts_both_directions() {
        let text = render(render_text, &comparison());
        assert!(text.contains("\n  app "), "{text}");
        assert!(text.contains("\n      botocore "), "{text}");
        assert!(text.contains("(entry)"));
        assert!(
            text.contains("1 module loaded without an importtime row"),
            "{text}"
        );
        assert!(text.contains(
            "unpredicted: 1 module loaded that the static graph did not predict; 1 import recorded in .fastpath/observed.json under cpython-3.11 (1 new)"
        ), "{text}");
        assert!(text.contains("    + plugin  (imported by app)"));
        assert!(text.contains("predicted but not loaded: 1 module"));
        assert!(text.contains("    - yaml"));
        let clean = render(render_text, &Comparison::default());
        assert!(
            clean.contains("every loaded module was predicted"),
            "{clean}"
        );
    }

    #[test]
    fn json_is_the_profile_schema_with_savings_and_observed() {
        let json: serde_json::Value =
            serde_json::from_str(&render(render_json, &comparison())).unwrap();
        assert_eq!(json["schema"], "fastpath.profile/1");
        assert_eq!(json["entry"], "app");
        assert_eq!(json["runs"], 3);
        let module = &json["modules"][1];
        assert_eq!(module["name"], "boto3");
        for key in ["median", "min", "max", "mad"] {
            assert!(module["self_us"][key].is_number(), "{key}");
            assert!(module["cumulative_us"][key].is_number(), "{key}");
        }
        assert_eq!(json["process_wall_us"]["median"], 41_000.0);
        assert_eq!(json["startup_us"]["median"], 10_000.0);
        assert_eq!(json["savings"][0]["site"]["statement"], "import boto3");
        assert_eq!(json["savings"][0]["shared_modules"], 1);
        assert_eq!(json["observed"]["key"], "cpython-3.11");
        assert_eq!(json["observed"]["store"], ".fastpath/observed.json");
        assert_eq!(json["observed"]["unpredicted"][0]["module"], "plugin");
        assert_eq!(json["observed"]["recorded"][0]["module"], "plugin");
        assert_eq!(json["observed"]["not_loaded"][0], "yaml");
        assert_eq!(json["untimed"][0]["module"], "plugin");
        assert_eq!(
            json["pulled_in"]["boto3"],
            serde_json::json!({"kind": "statement", "file": "app.py", "line": 2, "statement": "import boto3"})
        );
        assert_eq!(json["pulled_in"]["idna"]["kind"], "run-time");
    }

    #[test]
    fn folded_stacks_follow_the_importtime_nesting() {
        let folded = render(render_folded, &comparison());
        let lines: Vec<&str> = folded.lines().collect();
        assert_eq!(lines[0], "app 200");
        assert!(lines.contains(&"app;boto3;urllib3 5000"), "{folded}");
        assert!(lines.contains(&"app;requests;idna 500"));
    }

    fn html(deferred: Option<&SetSaving>) -> (String, serde_json::Value) {
        let profile = profile();
        let pulled_in = pulled_in();
        let comparison = comparison();
        let view = ProfileView {
            profile: &profile,
            pulled_in: &pulled_in,
            observed: ObservedView {
                comparison: &comparison,
                recorded: &comparison.unpredicted,
                key: "cpython-3.11",
                store: None,
                added: 0,
            },
            root: Path::new("/project"),
            deferred,
        };
        let graph = graph();
        let origins = [("app", Origin::Project), ("boto3", Origin::ThirdParty)]
            .into_iter()
            .map(|(n, o)| (n.to_string(), o))
            .collect();
        let context = HtmlContext {
            graph: Some(&graph),
            origins: &origins,
            date: "2026-12-03T00:00:00Z",
            commit: Some("0123456789ab"),
        };
        let mut out = Vec::new();
        render_html(&view, &context, &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        let start = page.find("id=\"fastpath-data\">").unwrap() + "id=\"fastpath-data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        let data = serde_json::from_str(&page[start..end]).unwrap();
        (page, data)
    }

    fn graph() -> ColdGraph {
        let mut graph = ColdGraph::new("app");
        for (from, to, line) in [
            ("app", "boto3", 2),
            ("app", "requests", 3),
            ("boto3", "botocore", 1),
            ("boto3", "urllib3", 2),
            ("requests", "urllib3", 1),
            ("requests", "idna", 2),
        ] {
            let (f, t) = (graph.module(from), graph.module(to));
            let site = graph.site(ImportSite {
                file: format!("{from}.py"),
                line,
                statement: format!("import {to}"),
            });
            graph.edge(f, t, Some(site));
        }
        graph
    }

    #[test]
    fn html_embeds_the_graph_runs_and_savings_the_page_combines() {
        let graph = graph();
        let mut sites = graph.sites_at("app.py", 2);
        sites.extend(graph.sites_at("app.py", 3));
        let set = set_saving(&graph, &sites, &profile().self_samples);
        let (page, data) = html(Some(&set));
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert_eq!(data["schema"], "fastpath.profile-page/1");
        assert_eq!(data["meta"]["entry"], "app");
        assert_eq!(data["meta"]["runs"], 3);
        assert_eq!(data["meta"]["commit"], "0123456789ab");
        let names: Vec<&str> = data["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["n"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["app", "boto3", "urllib3", "botocore", "requests", "idna"]
        );
        // Origins from the static path; parents by index; the statement that pulled it in.
        assert_eq!(data["modules"][0]["o"], "project");
        assert_eq!(data["modules"][1]["o"], "third-party");
        assert_eq!(data["modules"][4]["o"], "other");
        assert_eq!(data["modules"][1]["p"], 0);
        assert_eq!(data["modules"][1]["v"], "app.py:2  import boto3");
        // Self median, min, max, MAD as integers of microseconds.
        assert_eq!(
            data["modules"][3]["s"],
            serde_json::json!([20000, 20000, 20000, 0])
        );
        // One row per run, aligned with the modules.
        assert_eq!(data["runs"].as_array().unwrap().len(), 3);
        assert_eq!(data["runs"][0][3], 20000);
        // Savings point at the graph's sites.
        let saving = &data["savings"][0];
        let site = &data["graph"]["sites"][saving["site"].as_u64().unwrap() as usize];
        assert_eq!(site, &serde_json::json!(["app.py", 2, "import boto3"]));
        assert_eq!(data["graph"]["edges"].as_array().unwrap().len(), 6);
        // The --defer set as the library priced it: urllib3 goes with the pair.
        assert_eq!(data["deferred"]["sites"], serde_json::json!(sites));
        assert_eq!(data["deferred"]["saved_us"], 26800);
        assert!(data["deferred"]["modules"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("urllib3")));
        assert!(html(None).1["deferred"].is_null());
    }

    #[test]
    fn json_and_text_show_the_deferred_set() {
        let graph = graph();
        let mut sites = graph.sites_at("app.py", 2);
        sites.extend(graph.sites_at("app.py", 3));
        let set = set_saving(&graph, &sites, &profile().self_samples);
        let profile = profile();
        let pulled_in = pulled_in();
        let comparison = comparison();
        let view = ProfileView {
            profile: &profile,
            pulled_in: &pulled_in,
            observed: ObservedView {
                comparison: &comparison,
                recorded: &comparison.unpredicted,
                key: "cpython-3.11",
                store: None,
                added: 0,
            },
            root: Path::new("/project"),
            deferred: Some(&set),
        };
        let mut out = Vec::new();
        render_text(&view, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let section = text.split("Deferred together").nth(1).unwrap();
        let lines: Vec<&str> = section.lines().collect();
        assert_eq!(
            lines[0],
            " (--defer): saves 26.8 ms (72.4 %); 5 modules would no longer load"
        );
        assert_eq!(lines[1], "  app.py:2  import boto3");
        assert_eq!(lines[2], "  app.py:3  import requests");
        assert_eq!(
            lines[3],
            "  modules: botocore, urllib3, boto3, idna, requests"
        );
        let mut out = Vec::new();
        render_json(&view, &mut out).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["deferred"]["saved_us"], 26800.0);
        assert_eq!(json["deferred"]["sites"][1]["statement"], "import requests");
        assert_eq!(json["deferred"]["modules"][1], "urllib3");
        let plain = render(render_json, &comparison);
        assert!(!plain.contains("\"deferred\""));
    }

    #[test]
    fn html_names_cannot_inject_markup() {
        let mut profile = profile();
        profile.entry = "</script><script>alert(1)</script>".to_string();
        profile.modules[1].name = "<img src=x onerror=alert(1)>".to_string();
        let pulled_in = BTreeMap::from([(
            "<img src=x onerror=alert(1)>".to_string(),
            PulledIn::Statement {
                file: "<script>.py".to_string(),
                line: 1,
                statement: "import </script>".to_string(),
            },
        )]);
        let comparison = Comparison::default();
        let view = ProfileView {
            profile: &profile,
            pulled_in: &pulled_in,
            observed: ObservedView {
                comparison: &comparison,
                recorded: &[],
                key: "cpython-3.11",
                store: None,
                added: 0,
            },
            root: Path::new("/project"),
            deferred: None,
        };
        let origins = BTreeMap::new();
        let context = HtmlContext {
            graph: None,
            origins: &origins,
            date: "<b>today</b>",
            commit: None,
        };
        let mut out = Vec::new();
        render_html(&view, &context, &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert_eq!(page.matches("<script").count(), 2, "{page}");
        assert_eq!(page.matches("</script>").count(), 2);
        assert!(!page.contains("<img") && !page.contains("<b>"));
        assert!(page.contains(
            "<title>fastpath profile: &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>"
        ));
    }
}
