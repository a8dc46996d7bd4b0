//! One test per rule code, with no interpreter: each code has a fixture directory under
//! `tests/fixtures/<CODE>/` (the entry `app.py`, the manifest `fast_path.py` unless the rule is
//! about a missing one, and `case.json`, the synthetic rest of the context: the cold path, the
//! measurements, the regression comparison, the policy and today's date). The findings of that
//! code are snapshotted; a fixture that stops producing its code fails.
//!
//! `case.json` keys (all optional):
//! - `modules`: the cold path after the entry, in load order:
//!   `{"name", "origin", "via": ["importer", line, "statement"], "observed": bool}`;
//! - `measured`: `{"imports_us", "cold_start_us", "modules": {"name": [self_us, cumulative_us, parent]}}`;
//! - `regression`: `{"cold_start": [before_us, after_us], "modules": [["name", before_us,
//!   after_us, self_delta_us]], "reference_modules": [...]}` (each shift regressed);
//! - `policy`: `{"max_imports": n}`; `today`: `"YYYY-MM-DD"`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fastpath_check::{
    check, Context, Diagnostic, LoadedManifest, Measurements, ModuleCost, ModuleRegression, Policy,
    Regression, ShiftFinding, UsageEvidence, RULES,
};
use fastpath_graph::{ColdPath, Module, ModuleKind, Origin, Via};
use fastpath_manifest::{Date, Manifest};
use fastpath_scan::Context as SiteContext;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn origin(text: &str) -> Origin {
    match text {
        "project" => Origin::Project,
        "stdlib" => Origin::Stdlib,
        "third-party" => Origin::ThirdParty,
        "builtin" => Origin::Builtin,
        "extension" => Origin::Extension,
        other => panic!("unknown origin {other}"),
    }
}

fn cold_path(dir: &Path, case: &Value) -> ColdPath {
    let mut modules = vec![Module {
        name: "app".into(),
        path: Some(dir.join("app.py")),
        origin: Origin::Project,
        kind: ModuleKind::Source,
        via: None,
    }];
    for m in case["modules"].as_array().into_iter().flatten() {
        let name = m["name"].as_str().unwrap().to_string();
        let origin = origin(m["origin"].as_str().unwrap_or("project"));
        let via = &m["via"];
        let importer = via[0].as_str().unwrap().to_string();
        let observed = m["observed"].as_bool().unwrap_or(false);
        let path = match origin {
            Origin::Project => Some(dir.join(format!("{}.py", name.replace('.', "/")))),
            _ => Some(PathBuf::from(format!(
                "/site-packages/{}.py",
                name.replace('.', "/")
            ))),
        };
        let importer_path = if importer == "fast_path" || importer == "app" {
            dir.join(format!("{importer}.py"))
        } else {
            modules
                .iter()
                .find(|x| x.name == importer)
                .and_then(|x| x.path.clone())
                .unwrap()
        };
        modules.push(Module {
            name,
            path,
            origin,
            kind: ModuleKind::Source,
            via: Some(Via {
                module: importer,
                path: importer_path,
                line: if observed {
                    0
                } else {
                    via[1].as_u64().unwrap() as u32
                },
                column: if observed { 0 } else { 1 },
                context: if observed {
                    SiteContext::Observed
                } else {
                    SiteContext::Eager
                },
                statement: via[2].as_str().unwrap_or("").to_string(),
                call: None,
            }),
        });
    }
    ColdPath {
        entry: "app".into(),
        modules,
        unresolved: Vec::new(),
        preloaded: Vec::new(),
        edges: Vec::new(),
        problems: Vec::new(),
    }
}

fn measurements(case: &Value) -> Option<Measurements> {
    let m = case.get("measured")?;
    let modules = m["modules"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, v)| {
            let mut cost = ModuleCost::new(v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
            cost.parent = v[2].as_str().map(str::to_owned);
            (name.clone(), cost)
        })
        .collect();
    Some(Measurements {
        modules,
        imports_us: m["imports_us"].as_f64().unwrap_or(0.0),
        cold_start_us: m["cold_start_us"].as_f64().unwrap_or(0.0),
        cold_start_ci_us: None,
        contended: m["contended"].as_bool().unwrap_or(false),
    })
}

fn shift(before: f64, after: f64) -> ShiftFinding {
    ShiftFinding {
        before_us: before,
        after_us: after,
        delta_us: after - before,
        low_us: (after - before) * 0.8,
        high_us: (after - before) * 1.2,
        confidence: 0.95,
        p_value: 0.001,
        min_effect_us: 1000.0,
        regressed: true,
    }
}

fn regression(case: &Value) -> Option<Regression> {
    let r = case.get("regression")?;
    Some(Regression {
        reference: "the baseline fastpath-baseline.json (recorded 2026-11-01)".into(),
        method: "decided on synthetic runs".into(),
        module_method: "synthetic module times".into(),
        cold_start: r["cold_start"]
            .as_array()
            .map(|c| shift(c[0].as_f64().unwrap(), c[1].as_f64().unwrap())),
        modules: r["modules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| ModuleRegression {
                module: m[0].as_str().unwrap().into(),
                cumulative: shift(m[1].as_f64().unwrap(), m[2].as_f64().unwrap()),
                self_delta_us: m[3].as_f64().unwrap(),
                added: false,
                changes: Vec::new(),
            })
            .collect(),
        reference_modules: r["reference_modules"].as_array().map(|names| {
            names
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect::<BTreeSet<_>>()
        }),
        ..Regression::default()
    })
}

/// One line per finding of `code`, with its notes and help.
fn render(diagnostics: &[Diagnostic], code: &str) -> String {
    let mut text = String::new();
    // `FP008-evidence` is a second fixture of FP008.
    let rule = code.split('-').next().unwrap_or(code);
    for d in diagnostics.iter().filter(|d| d.rule.code == rule) {
        let at = d.location.as_ref().map_or_else(
            || "(project)".to_string(),
            |l| format!("{}:{}:{}", l.path.display(), l.line, l.column),
        );
        text.push_str(&format!("{at}: {} {}\n", d.rule.code, d.message));
        for label in &d.chain {
            text.push_str(&format!(
                "  chain: {}:{}: {}\n",
                label.location.path.display(),
                label.location.line,
                label.message
            ));
        }
        for note in &d.notes {
            text.push_str(&format!("  note: {note}\n"));
        }
        if let Some(fix) = &d.fix {
            let at = fix.location.as_ref().map_or_else(
                || "none".to_string(),
                |l| format!("{}:{}", l.path.display(), l.line),
            );
            text.push_str(&format!("  fix: {at} {:?} {:?}\n", fix.modules, fix.safety));
        }
        if let Some(help) = &d.help {
            text.push_str(&format!("  help: {help}\n"));
        }
    }
    text
}

fn run_case(code: &str) -> String {
    let dir = fixtures().join(code);
    let case: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("case.json")).unwrap_or_else(|_| "{}".into()),
    )
    .expect("case.json is JSON");
    let manifest_path = dir.join("fast_path.py");
    let manifest = std::fs::read(&manifest_path).ok().map(|bytes| {
        let (manifest, diagnostics) = Manifest::parse(&bytes);
        LoadedManifest {
            path: manifest_path.clone(),
            manifest,
            diagnostics,
        }
    });
    let entry_path = dir.join("app.py");
    let entry_scan = fastpath_scan::scan_bytes(&std::fs::read(&entry_path).unwrap(), None);
    let mut policy = Policy::default();
    if let Some(n) = case["policy"]["max_imports"].as_u64() {
        policy.max_imports = n as u32;
    }
    let today: Date = case["today"]
        .as_str()
        .unwrap_or("2026-12-01")
        .parse()
        .unwrap();
    let path = cold_path(&dir, &case);
    let measured = measurements(&case);
    let regression = regression(&case);
    // `"usage": {"unit": ..., "total": N, "modules": {"name": count}}`: evidence of `fastpath usage`.
    let usage = case.get("usage").map(|u| UsageEvidence {
        unit: u["unit"].as_str().unwrap_or("replayed events").to_string(),
        total: u["total"].as_u64().unwrap_or(0) as usize,
        modules: u["modules"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0) as usize))
                    .collect()
            })
            .unwrap_or_default(),
    });
    let context = Context {
        root: &dir,
        policy: &policy,
        entry: "app",
        entry_path: Some(&entry_path),
        entry_scan: Some(&entry_scan),
        manifest_module: "fast_path",
        manifest_path: &manifest_path,
        manifest: manifest.as_ref(),
        cold_path: &path,
        measurements: measured.as_ref(),
        today,
        regression: regression.as_ref(),
        usage: usage.as_ref(),
    };
    let diagnostics = check(&context);
    for d in &diagnostics {
        if let Some(l) = &d.location {
            assert!(l.line > 0, "{code}: a finding on line 0: {d:?}");
        }
    }
    let text = render(&diagnostics, code);
    assert!(!text.is_empty(), "the {code} fixture finds no {code}");
    text
}

#[test]
fn every_rule_has_a_fixture() {
    for rule in RULES {
        assert!(
            fixtures().join(rule.code).join("app.py").is_file(),
            "{} has no fixture under tests/fixtures/{}",
            rule.code,
            rule.code
        );
    }
}

macro_rules! rule_tests {
    ($($name:ident => $code:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!($code, run_case($code));
            }
        )*
    };
}

rule_tests! {
    fp001_entry_imports_beyond_manifest => "FP001",
    fp002_undeclared_third_party_import => "FP002",
    fp003_banned_module_on_cold_path => "FP003",
    fp004_import_without_cost => "FP004",
    fp005_all_out_of_sync => "FP005",
    fp006_too_many_imports => "FP006",
    fp007_stale_profile => "FP007",
    fp008_hot_path_exception_without_evidence => "FP008",
    fp008_judged_on_usage_evidence => "FP008-evidence",
    fp009_malformed_manifest => "FP009",
    fp010_missing_manifest => "FP010",
    fp101_fast_path_over_budget => "FP101",
    fp102_cold_start_over_budget => "FP102",
    fp103_slow_tier1_import => "FP103",
    fp104_undeclared_costly_module => "FP104",
    fp105_documented_cost_drift => "FP105",
    fp201_cold_start_regressed => "FP201",
    fp202_module_cost_regressed => "FP202",
    fp203_new_module_on_cold_path => "FP203",
}
