//! The `fastpath.profile/1` result: per-module statistics over runs, totals, start-up,
//! stability and savings, plus folded stacks for flame graphs.
//!
//! Per-module figures follow importtime, with one correction: a failed import attempt (a row
//! whose module is not in `sys.modules` afterwards, e.g. `copy` trying `org.python.core`) loads
//! nothing, so it is not listed as a module; its self time is added to the nearest loaded
//! module above it, which spent that time. The self times of the listed modules therefore add
//! up to the total. The tree shape (parent, importer, order) comes from the first measured run:
//! the set of modules loaded does not change between runs, only their times do.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::importtime::{ImportTime, NodeId};
use crate::observed::ObservedEdge;
use crate::runner::{BytecodeReport, Contention, Interpreter, Measurement, Placement, Run};
use crate::savings::Saving;
use crate::stats::{median_ci, Decision, Interval, StoppingRule, Summary};

/// Schema tag of the JSON form.
pub const SCHEMA: &str = "fastpath.profile/1";

/// One loaded module's measurements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleStats {
    /// Absolute module name.
    pub name: String,
    /// The loaded module during whose import this one ran (importtime nesting).
    pub parent: Option<String>,
    /// The module whose import statement loaded this one: the parent, except that a package
    /// loaded for its submodule (`import a.b` loads `a` under `a.b`) names the submodule's
    /// importer, and a module imported by an untimed module names that module
    /// ([`Measurement::reattributed`]).
    pub importer: Option<String>,
    /// Nesting depth in the tree (0 for a top-level import).
    pub depth: usize,
    /// In how many runs it loaded.
    pub runs: usize,
    /// Self time over runs, microseconds.
    pub self_us: Summary,
    /// Cumulative time over runs, microseconds.
    pub cumulative_us: Summary,
    /// Confidence interval of the median self time (same coverage as the total's).
    pub self_ci_us: Interval,
    /// Confidence interval of the median cumulative time.
    pub cumulative_ci_us: Interval,
}

/// How stable the total is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stability {
    /// Robust coefficient of variation of the total (1.4826 MAD / median).
    pub robust_cv: f64,
    /// Lower bound of the total median's confidence interval, microseconds.
    pub ci_low_us: f64,
    /// Upper bound.
    pub ci_high_us: f64,
    /// Coverage of that interval.
    pub confidence: f64,
    /// Half-width of the interval relative to the median.
    pub relative_half_width: f64,
    /// The stopping rule's target for that ratio.
    pub target: f64,
    /// Whether the runs stopped because the target was met (`false`: the maximum was hit, or
    /// the measurement was contended: see [`Profile::contention`]).
    pub converged: bool,
}

/// A whole profile, ready to serialise as `fastpath.profile/1`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Entry module.
    pub entry: String,
    /// The interpreter.
    pub interpreter: Interpreter,
    /// Measured runs.
    pub runs: usize,
    /// Discarded warm-up runs.
    pub warmup: usize,
    /// CPU the interpreter was pinned to, if any (for the last measured run).
    pub pinned: Option<usize>,
    /// How that CPU was chosen, moves between runs, and why it ran unpinned when it did.
    pub placement: Placement,
    /// Runs dropped as slowed by other processes, and whether the measurement is contended.
    pub contention: Contention,
    /// Bytecode mode.
    pub bytecode: BytecodeReport,
    /// Environment variables removed for the measurement.
    pub env_removed: Vec<String>,
    /// Time importing the entry (sum of the top-level rows after start-up), microseconds.
    pub total_us: Summary,
    /// Whole-process wall time of the measured runs (start-up + imports), microseconds.
    pub process_wall_us: Summary,
    /// Confidence interval of the median whole-process wall time.
    pub process_wall_ci_us: Option<Interval>,
    /// Wall time of `-c pass`: interpreter start-up alone, microseconds.
    pub startup_us: Option<Summary>,
    /// Stability of the total.
    pub stability: Stability,
    /// Rows of the importtime output the parser had to work around, over all runs.
    pub anomalies: usize,
    /// The entry was already imported during interpreter start-up (by `site`, a `.pth` file or
    /// `sitecustomize`): its cost is part of start-up, and `total_us` does not include it.
    pub entry_preloaded: bool,
    /// Loaded modules in tree order (pre-order, imports in the order they started).
    pub modules: Vec<ModuleStats>,
    /// Modules that loaded without an importtime row (through `importlib.import_module`), with
    /// the module that asked for them when known; their time is in that importer's self time.
    pub untimed: Vec<ObservedEdge>,
    /// Savings of deferring each import site, largest first (filled by the caller, which owns
    /// the cold-path graph; see [`crate::savings`]).
    pub savings: Vec<Saving>,
    /// Each measured run's self times by module (failed attempts folded in, as in `modules`),
    /// for [`crate::savings::compute_over_runs`]. Not serialised: the summaries above are.
    #[serde(skip)]
    pub self_samples: Vec<BTreeMap<String, f64>>,
}

/// One run's per-module view: loaded modules only, failed attempts folded into their owner.
struct RunView {
    /// Name -> (effective self, cumulative).
    times: HashMap<String, (f64, f64)>,
}

fn view(run: &Run) -> RunView {
    let times = run
        .module_times()
        .into_iter()
        .map(|(name, t)| (name, (t.self_us, t.cumulative_us)))
        .collect();
    RunView { times }
}

/// The importer of a loaded node: skip failed rows and packages loaded for their submodule.
fn importer_of(tree: &ImportTime, loaded: &[bool], id: NodeId) -> Option<NodeId> {
    let name = &tree.nodes[id].name;
    let mut current = tree.nodes[id].parent;
    while let Some(p) = current {
        let parent_name = &tree.nodes[p].name;
        let is_submodule = parent_name.len() > name.len()
            && parent_name.starts_with(name.as_str())
            && parent_name.as_bytes()[name.len()] == b'.';
        if loaded[p] && !is_submodule {
            return Some(p);
        }
        current = tree.nodes[p].parent;
    }
    None
}

impl Profile {
    /// Summarises a measurement. `savings` starts empty.
    pub fn from_measurement(m: &Measurement) -> Profile {
        let views: Vec<RunView> = m.runs.iter().map(view).collect();
        let totals: Vec<f64> = m.runs.iter().map(Run::total_us).collect();
        let walls: Vec<f64> = m.runs.iter().map(|r| r.wall_us).collect();

        // Tree shape from the first run; modules seen only in later runs follow, by name.
        let mut order: Vec<(String, Option<String>, Option<String>, usize)> = Vec::new();
        if let Some(first) = m.runs.first() {
            let tree = &first.imports;
            let loaded = first.loaded_nodes();
            let mut depth_of: HashMap<NodeId, usize> = HashMap::new();
            for id in tree.preorder() {
                if !loaded[id] {
                    continue;
                }
                let parent = tree.loaded_ancestor(&loaded, id);
                let depth = parent.map_or(0, |p| depth_of.get(&p).copied().unwrap_or(0) + 1);
                depth_of.insert(id, depth);
                order.push((
                    tree.nodes[id].name.clone(),
                    parent.map(|p| tree.nodes[p].name.clone()),
                    m.reattributed
                        .get(&tree.nodes[id].name)
                        .cloned()
                        .or_else(|| {
                            importer_of(tree, &loaded, id).map(|p| tree.nodes[p].name.clone())
                        }),
                    depth,
                ));
            }
        }
        let mut listed: std::collections::HashSet<String> =
            order.iter().map(|o| o.0.clone()).collect();
        let mut late: Vec<String> = views
            .iter()
            .flat_map(|v| v.times.keys())
            .filter(|name| !listed.contains(*name))
            .cloned()
            .collect();
        late.sort();
        late.dedup();
        for name in late {
            listed.insert(name.clone());
            order.push((name, None, None, 0));
        }

        let modules = order
            .into_iter()
            .filter_map(|(name, parent, importer, depth)| {
                let samples: Vec<(f64, f64)> = views
                    .iter()
                    .filter_map(|v| v.times.get(&name).copied())
                    .collect();
                let selfs: Vec<f64> = samples.iter().map(|s| s.0).collect();
                let cums: Vec<f64> = samples.iter().map(|s| s.1).collect();
                let confidence = m.stopping.confidence;
                Some(ModuleStats {
                    name,
                    parent,
                    importer,
                    depth,
                    runs: samples.len(),
                    self_us: Summary::of(&selfs)?,
                    cumulative_us: Summary::of(&cums)?,
                    self_ci_us: Interval::of(&selfs, confidence)?,
                    cumulative_ci_us: Interval::of(&cums, confidence)?,
                })
            })
            .collect();

        let total = Summary::of(&totals).unwrap_or(ZERO);
        let rule: StoppingRule = m.stopping;
        let ci = median_ci(&totals, rule.confidence);
        let stability = Stability {
            robust_cv: total.robust_cv(),
            ci_low_us: ci.map_or(0.0, |c| c.low),
            ci_high_us: ci.map_or(0.0, |c| c.high),
            confidence: ci.map_or(0.0, |c| c.confidence),
            relative_half_width: match ci {
                Some(c) if total.median > 0.0 => c.half_width() / total.median,
                _ => 0.0,
            },
            target: rule.relative_half_width,
            converged: m.decision == Decision::Converged && !m.contention.contended,
        };
        Profile {
            schema: SCHEMA,
            entry: m.entry.clone(),
            interpreter: m.interpreter.clone(),
            runs: m.runs.len(),
            warmup: m.warmup,
            pinned: m.pinned,
            placement: m.placement.clone(),
            contention: m.contention.clone(),
            bytecode: m.bytecode.clone(),
            env_removed: m.env_removed.clone(),
            total_us: total,
            process_wall_us: Summary::of(&walls).unwrap_or(ZERO),
            process_wall_ci_us: Interval::of(&walls, rule.confidence),
            startup_us: Summary::of(&m.startup_wall_us),
            stability,
            anomalies: m.runs.iter().map(|r| r.imports.anomalies.len()).sum(),
            entry_preloaded: m.runs.first().is_some_and(|r| {
                r.modules.contains(&m.entry) && r.imports.nodes.iter().all(|n| n.name != m.entry)
            }),
            modules,
            untimed: m.untimed.clone(),
            savings: Vec::new(),
            self_samples: views
                .iter()
                .map(|v| {
                    v.times
                        .iter()
                        .map(|(name, (self_us, _))| (name.clone(), *self_us))
                        .collect()
                })
                .collect(),
        }
    }

    /// Confidence interval of the median import total (the figure the stability line states).
    pub fn total_ci_us(&self) -> Interval {
        Interval {
            median: self.total_us.median,
            low: self.stability.ci_low_us,
            high: self.stability.ci_high_us,
            confidence: self.stability.confidence,
        }
    }

    /// The module named `name`, if it loaded.
    pub fn module(&self, name: &str) -> Option<&ModuleStats> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// Whether the figures can be trusted to their intervals: not contended (see
    /// [`Contention::contended`]). A contended profile's intervals describe a busy machine.
    pub fn trustworthy(&self) -> bool {
        !self.contention.contended
    }

    /// Median self time of every loaded module, for [`crate::savings::compute`].
    pub fn self_medians(&self) -> BTreeMap<String, f64> {
        self.modules
            .iter()
            .map(|m| (m.name.clone(), m.self_us.median))
            .collect()
    }

    /// Every loaded module with its importer, untimed ones included, for
    /// [`crate::observed::compare`].
    pub fn loaded(&self) -> Vec<ObservedEdge> {
        self.modules
            .iter()
            .map(|m| ObservedEdge {
                importer: m.importer.clone(),
                module: m.name.clone(),
            })
            .chain(self.untimed.iter().cloned())
            .collect()
    }
}

const ZERO: Summary = Summary {
    median: 0.0,
    min: 0.0,
    max: 0.0,
    mad: 0.0,
};

/// Folded stacks (`root;child;grandchild <self µs>`, one line per module, tree order) for
/// flamegraph.pl and speedscope, weighted by median self time rounded to whole microseconds.
/// Modules whose median self time rounds to zero or below are left out.
pub fn folded(profile: &Profile) -> String {
    let parents: HashMap<&str, Option<&str>> = profile
        .modules
        .iter()
        .map(|m| (m.name.as_str(), m.parent.as_deref()))
        .collect();
    let mut out = String::new();
    for module in &profile.modules {
        let weight = module.self_us.median.round() as i64;
        if weight <= 0 {
            continue;
        }
        let mut stack = vec![module.name.as_str()];
        let mut current = module.parent.as_deref();
        while let Some(p) = current {
            if stack.len() > profile.modules.len() {
                break; // a cycle cannot happen in a tree; guard anyway
            }
            stack.push(p);
            current = parents.get(p).copied().flatten();
        }
        stack.reverse();
        out.push_str(&stack.join(";"));
        out.push(' ');
        out.push_str(&weight.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::importtime::parse;
    use crate::runner::EntryOutcome;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    fn run(text: &str, modules: &[&str], wall_us: f64) -> Run {
        Run {
            wall_us,
            imports: parse(text),
            modules: modules
                .iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<_>>(),
            outcome: EntryOutcome::Imported,
        }
    }

    fn measurement(runs: Vec<Run>) -> Measurement {
        Measurement {
            entry: "app".to_string(),
            interpreter: Interpreter {
                requested: PathBuf::from("python3"),
                executable: "/usr/bin/python3".to_string(),
                version: "3.11.7".to_string(),
                implementation: "cpython".to_string(),
            },
            warmup: 1,
            runs,
            startup_wall_us: vec![10_000.0, 11_000.0, 10_500.0],
            pinned: Some(1),
            placement: Placement::default(),
            contention: Contention::default(),
            bytecode: BytecodeReport::cached("/cache/pycache/0123"),
            env_removed: vec![],
            stopping: StoppingRule::default(),
            decision: Decision::Converged,
            untimed: vec![],
            reattributed: Default::default(),
            files: Default::default(),
        }
    }

    fn rows(a: i64, b: i64, failed: i64) -> String {
        format!(
            "import time: {failed:>9} | {failed:>10} |       org.python.core\n\
             import time: {b:>9} | {:>10} |     json.decoder\n\
             import time: {a:>9} | {:>10} |   json\n\
             import time: {:>9} | {:>10} | app\n",
            b + failed,
            a + b + failed,
            100,
            100 + a + b + failed
        )
    }

    const LOADED: &[&str] = &["app", "json", "json.decoder", "sys"];

    #[test]
    fn statistics_per_module_over_runs() {
        let m = measurement(vec![
            run(&rows(10, 20, 1), LOADED, 20_000.0),
            run(&rows(12, 22, 1), LOADED, 21_000.0),
            run(&rows(11, 21, 1), LOADED, 22_000.0),
        ]);
        let p = Profile::from_measurement(&m);
        let names: Vec<&str> = p.modules.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["app", "json", "json.decoder"]);
        let json = &p.modules[1];
        assert_eq!(json.self_us.median, 11.0);
        assert_eq!((json.self_us.min, json.self_us.max), (10.0, 12.0));
        assert_eq!(json.parent.as_deref(), Some("app"));
        assert_eq!(json.depth, 1);
        // The failed attempt's self time goes to json.decoder, which made it.
        let decoder = &p.modules[2];
        assert_eq!(decoder.self_us.median, 22.0);
        assert_eq!(decoder.runs, 3);
        // Self times add up to the total.
        let sum: f64 = p.modules.iter().map(|m| m.self_us.median).sum();
        assert_eq!(sum, p.total_us.median);
        assert_eq!(p.total_us.median, 133.0);
        assert_eq!(p.process_wall_us.median, 21_000.0);
        assert_eq!(p.startup_us.unwrap().median, 10_500.0);
        assert!(p.stability.converged);
        assert!(!p.entry_preloaded);
        assert_eq!(p.schema, "fastpath.profile/1");
    }

    #[test]
    fn a_contended_measurement_never_counts_as_converged() {
        let mut m = measurement(vec![
            run(&rows(10, 20, 1), LOADED, 20_000.0),
            run(&rows(12, 22, 1), LOADED, 21_000.0),
        ]);
        assert!(Profile::from_measurement(&m).trustworthy());
        m.contention.contended = true;
        let p = Profile::from_measurement(&m);
        assert!(!p.stability.converged);
        assert!(!p.trustworthy());
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["contention"]["contended"], true);
        assert!(v["placement"].is_object());
    }

    #[test]
    fn every_module_figure_has_an_interval() {
        let m = measurement(vec![
            run(&rows(10, 20, 1), LOADED, 20_000.0),
            run(&rows(12, 22, 1), LOADED, 21_000.0),
            run(&rows(11, 21, 1), LOADED, 22_000.0),
        ]);
        let p = Profile::from_measurement(&m);
        let json = p.module("json").unwrap();
        assert_eq!(
            (
                json.self_ci_us.low,
                json.self_ci_us.median,
                json.self_ci_us.high
            ),
            (10.0, 11.0, 12.0)
        );
        assert_eq!(json.cumulative_ci_us.median, json.cumulative_us.median);
        let total = p.total_ci_us();
        assert_eq!(total.median, p.total_us.median);
        assert!(total.low <= total.median && total.median <= total.high);
        assert!(total.tight_enough(1_000.0));
    }

    #[test]
    fn package_loaded_for_a_submodule_names_the_statement_owner_as_importer() {
        let text = "\
import time:        10 |         10 |     email
import time:        20 |         30 |   email.mime
import time:       100 |        130 | app
";
        let p = Profile::from_measurement(&measurement(vec![run(
            text,
            &["app", "email", "email.mime"],
            1.0,
        )]));
        let email = p.modules.iter().find(|m| m.name == "email").unwrap();
        assert_eq!(email.parent.as_deref(), Some("email.mime"));
        assert_eq!(email.importer.as_deref(), Some("app"));
        let loaded = p.loaded();
        assert!(loaded.contains(&ObservedEdge {
            importer: None,
            module: "app".to_string()
        }));
    }

    #[test]
    fn entry_imported_during_start_up_is_flagged() {
        let mut m = measurement(vec![run("", &["app", "sys"], 1.0)]);
        m.entry = "app".to_string();
        let p = Profile::from_measurement(&m);
        assert!(p.entry_preloaded);
        assert_eq!(p.total_us.median, 0.0);
        assert!(p.modules.is_empty());
    }

    #[test]
    fn folded_stacks_follow_the_tree() {
        let p = Profile::from_measurement(&measurement(vec![run(&rows(10, 20, 0), LOADED, 1.0)]));
        assert_eq!(
            folded(&p),
            "app 100\napp;json 10\napp;json;json.decoder 20\n"
        );
    }

    #[test]
    fn profile_serialises_with_the_documented_keys() {
        let p = Profile::from_measurement(&measurement(vec![run(&rows(10, 20, 1), LOADED, 1.0)]));
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["schema"], "fastpath.profile/1");
        assert_eq!(v["entry"], "app");
        assert_eq!(v["runs"], 1);
        assert_eq!(v["pinned"], 1);
        assert_eq!(v["modules"][0]["name"], "app");
        for key in ["median", "min", "max", "mad"] {
            assert!(v["modules"][1]["self_us"][key].is_number(), "{key}");
            assert!(v["modules"][1]["cumulative_us"][key].is_number(), "{key}");
        }
        assert!(v["process_wall_us"]["median"].is_number());
        assert!(v["startup_us"]["median"].is_number());
        assert!(v["stability"]["robust_cv"].is_number());
        assert!(v["savings"].is_array());
        assert_eq!(v["interpreter"]["version"], "3.11.7");
    }
}
