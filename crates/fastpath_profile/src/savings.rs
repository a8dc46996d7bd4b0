//! What deferring each import site would save, priced with measured self times.
//!
//! `-X importtime` charges a shared dependency to whichever importer loaded it first, so its
//! tree overstates what removing that importer saves. The truthful question is: if this one
//! import statement stopped running at start-up, which modules would no longer load? Those are
//! exactly the modules that become unreachable from the entry once the site's edges are gone.
//! Each site is modelled as a node of its own between its importer and the modules it imports
//! (`importer -> site -> imported`); the modules a site saves are then the modules its node
//! dominates in the cold-path graph rooted at the entry (Cooper-Harvey-Kennedy, petgraph's
//! `simple_fast`). A module also reachable through another site is saved by neither alone; the
//! result says how much of what a site reaches is shared that way. Cycles need no special case.
//! The saved modules are priced with median self times ([`compute`]) or, better when the runs
//! are at hand, with the median over runs of each run's sum ([`compute_over_runs`]).
//!
//! Deferring several statements together ([`set_saving`]) can save more than the union of what
//! each saves alone: a dependency that both pull in stops loading only when both are deferred.
//! So a set's saving is never a sum of single savings; it is the set of modules that become
//! unreachable once every chosen statement's edges are gone, priced as one set.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use petgraph::algo::dominators::simple_fast;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

/// One import statement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ImportSite {
    /// File holding the statement, as the caller wants it shown (relative to the project).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// The statement's text, e.g. `import requests`.
    pub statement: String,
}

/// An edge `importer -> imported` of the cold-path graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Index into [`ColdGraph::modules`] of the importing module.
    pub from: usize,
    /// Index of the imported module.
    pub to: usize,
    /// Index into [`ColdGraph::sites`] of the statement that makes this edge; `None` for an
    /// edge no statement shows (observed at run time), which cannot be deferred.
    pub site: Option<usize>,
}

/// The cold path as the savings computation needs it: modules, sites, edges, and the entry.
/// Built with [`ColdGraph::new`], [`ColdGraph::module`], [`ColdGraph::site`] and
/// [`ColdGraph::edge`], which deduplicate names and sites.
#[derive(Debug, Clone, Default)]
pub struct ColdGraph {
    modules: Vec<String>,
    module_index: HashMap<String, usize>,
    sites: Vec<ImportSite>,
    site_index: HashMap<ImportSite, usize>,
    edges: Vec<Edge>,
    root: usize,
}

impl ColdGraph {
    /// A graph whose root is the entry module `entry`.
    pub fn new(entry: &str) -> ColdGraph {
        let mut graph = ColdGraph::default();
        graph.root = graph.module(entry);
        graph
    }

    /// The index of module `name`, added if new.
    pub fn module(&mut self, name: &str) -> usize {
        if let Some(&i) = self.module_index.get(name) {
            return i;
        }
        self.modules.push(name.to_string());
        self.module_index
            .insert(name.to_string(), self.modules.len() - 1);
        self.modules.len() - 1
    }

    /// The index of `site`, added if new.
    pub fn site(&mut self, site: ImportSite) -> usize {
        if let Some(&i) = self.site_index.get(&site) {
            return i;
        }
        self.sites.push(site.clone());
        self.site_index.insert(site, self.sites.len() - 1);
        self.sites.len() - 1
    }

    /// Adds the edge `from -> to` made by `site` (`None`: no statement shows it, e.g. an
    /// observed edge; such an edge cannot be deferred). Indices out of range are ignored.
    pub fn edge(&mut self, from: usize, to: usize, site: Option<usize>) {
        self.edges.push(Edge { from, to, site });
    }

    /// Module names, by index.
    pub fn modules(&self) -> &[String] {
        &self.modules
    }

    /// Sites, by index.
    pub fn sites(&self) -> &[ImportSite] {
        &self.sites
    }

    /// Edges, in insertion order.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// Index of the entry module.
    pub fn root(&self) -> usize {
        self.root
    }
}

/// What deferring one site would save.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saving {
    /// The statement.
    pub site: ImportSite,
    /// The module whose source holds it.
    pub importer: String,
    /// Sum of the median self times of the modules that would no longer load, microseconds.
    pub saved_us: f64,
    /// Those modules, most expensive first (ties by name).
    pub modules: Vec<String>,
    /// Of those, how many have no measurement (counted, priced at zero).
    pub unmeasured: usize,
    /// Modules the site reaches that would still load through another path.
    pub shared_modules: usize,
    /// Their summed median self times: what a naive attribution would wrongly add.
    pub shared_us: f64,
}

/// Computes the saving of every site reachable from the root, largest first (ties: more
/// modules first, then by site). `self_us` maps module names to median self times.
pub fn compute(graph: &ColdGraph, self_us: &BTreeMap<String, f64>) -> Vec<Saving> {
    let cost = |name: &str| self_us.get(name).copied();
    let price = |names: &[&str]| names.iter().filter_map(|n| cost(n)).sum();
    compute_with(graph, &cost, &price)
}

/// Like [`compute`], from the self times of each run (module name -> microseconds, one map per
/// run): a saving is the median over runs of what that run spent in the saved modules. On a
/// noisy machine each run loses time in a few modules, different ones each run; the sum of
/// per-module medians drops all of that, while the median of per-run sums keeps the typical
/// share, so it adds up with the median total. Modules are ordered and counted as unmeasured
/// by their median self time.
pub fn compute_over_runs(graph: &ColdGraph, runs: &[BTreeMap<String, f64>]) -> Vec<Saving> {
    let prices = RunPrices::new(runs);
    compute_with(graph, &|name| prices.cost(name), &|names| {
        prices.price(names)
    })
}

/// Prices over runs: one module's median self time, and a set's median over runs of each run's
/// sum (what [`compute_over_runs`] and [`set_saving`] report).
struct RunPrices<'a> {
    runs: &'a [BTreeMap<String, f64>],
    medians: BTreeMap<&'a str, f64>,
}

impl<'a> RunPrices<'a> {
    fn new(runs: &'a [BTreeMap<String, f64>]) -> Self {
        let mut samples: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for run in runs {
            for (name, us) in run {
                samples.entry(name.as_str()).or_default().push(*us);
            }
        }
        let medians = samples
            .into_iter()
            .filter_map(|(name, s)| Some((name, crate::stats::Summary::of(&s)?.median)))
            .collect();
        RunPrices { runs, medians }
    }

    fn cost(&self, name: &str) -> Option<f64> {
        self.medians.get(name).copied()
    }

    fn price(&self, names: &[&str]) -> f64 {
        let sums: Vec<f64> = self
            .runs
            .iter()
            .map(|run| names.iter().filter_map(|n| run.get(*n)).sum())
            .collect();
        // `+ 0.0`: an empty sum is -0.0, which would print as `-0.00 ms`.
        crate::stats::Summary::of(&sums).map_or(0.0, |s| s.median) + 0.0
    }
}

/// What deferring a set of statements together would save.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetSaving {
    /// The deferred statements (sorted, each once).
    pub sites: Vec<ImportSite>,
    /// What the modules that stop loading cost as one set, microseconds: the median over runs
    /// of each run's sum over those modules, as a single statement's saving is priced.
    pub saved_us: f64,
    /// The modules that would no longer load, most expensive first (ties by name).
    pub modules: Vec<String>,
    /// Of those, how many have no measurement (counted, priced at zero).
    pub unmeasured: usize,
}

impl ColdGraph {
    /// The sites written at `file:line` (a line can hold several statements, and `import a, b`
    /// is one site per name).
    pub fn sites_at(&self, file: &str, line: u32) -> Vec<usize> {
        (0..self.sites.len())
            .filter(|&s| self.sites[s].file == file && self.sites[s].line == line)
            .collect()
    }

    /// The modules that stop loading when every site in `deferred` stops running at start-up:
    /// reachable from the entry now, unreachable once those sites' edges are gone. Sorted by
    /// index. Out-of-range site indices are ignored.
    pub fn stop_loading(&self, deferred: &[usize]) -> Vec<usize> {
        let mut skip = vec![false; self.sites.len()];
        for &s in deferred {
            if let Some(flag) = skip.get_mut(s) {
                *flag = true;
            }
        }
        let before = self.reachable(&vec![false; self.sites.len()]);
        let after = self.reachable(&skip);
        (0..self.modules.len())
            .filter(|&m| before[m] && !after[m])
            .collect()
    }

    /// Which modules the entry reaches when the edges of the `skip`ped sites are gone.
    fn reachable(&self, skip: &[bool]) -> Vec<bool> {
        let n = self.modules.len();
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
        for edge in &self.edges {
            let skipped = edge
                .site
                .is_some_and(|s| skip.get(s).copied().unwrap_or(false));
            if edge.from < n && edge.to < n && !skipped {
                out[edge.from].push(edge.to);
            }
        }
        let mut seen = vec![false; n];
        if self.root >= n {
            return seen;
        }
        seen[self.root] = true;
        let mut queue = VecDeque::from([self.root]);
        while let Some(m) = queue.pop_front() {
            for &next in &out[m] {
                if !seen[next] {
                    seen[next] = true;
                    queue.push_back(next);
                }
            }
        }
        seen
    }
}

/// Why a `--defer FILE:LINE` names no statement.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DeferError {
    /// Not of the form `FILE:LINE` with a positive line.
    #[error("`--defer {spec}`: expected FILE:LINE, e.g. `app.py:3`")]
    Syntax { spec: String },
    /// No import statement of the cold path is written there.
    #[error("`--defer {spec}`: no import statement on the cold path at {file}:{line}{hint}")]
    NoStatement {
        spec: String,
        file: String,
        line: u32,
        /// Where the file's statements are, or that no file of the cold path matches.
        hint: String,
    },
}

/// The sites a `--defer FILE:LINE` names. FILE is matched as the sites show it (relative to
/// the project root, or to the search-path directory holding it); a FILE that exists from
/// `cwd` is also matched through its path relative to `root`, so `src/app.py:3` and
/// `/abs/project/src/app.py:3` both work.
pub fn resolve_defer(
    graph: &ColdGraph,
    spec: &str,
    cwd: &std::path::Path,
    root: &std::path::Path,
) -> Result<Vec<usize>, DeferError> {
    let syntax = || DeferError::Syntax {
        spec: spec.to_string(),
    };
    let (file, line) = spec.rsplit_once(':').ok_or_else(syntax)?;
    let line: u32 = line
        .trim()
        .parse()
        .ok()
        .filter(|&l| l > 0)
        .ok_or_else(syntax)?;
    if file.is_empty() {
        return Err(syntax());
    }
    let mut names = vec![file.trim_start_matches("./").to_string()];
    if let (Ok(path), Ok(root)) = (cwd.join(file).canonicalize(), root.canonicalize()) {
        if let Ok(relative) = path.strip_prefix(&root) {
            names.push(relative.to_string_lossy().into_owned());
        }
        names.push(path.to_string_lossy().into_owned());
    }
    let mut found: Vec<usize> = names
        .iter()
        .flat_map(|name| graph.sites_at(name, line))
        .collect();
    found.sort_unstable();
    found.dedup();
    if !found.is_empty() {
        return Ok(found);
    }
    let mut lines: Vec<u32> = graph
        .sites
        .iter()
        .filter(|s| names.contains(&s.file))
        .map(|s| s.line)
        .collect();
    lines.sort_unstable();
    lines.dedup();
    let hint = if lines.is_empty() {
        " (no file of the cold path is called that)".to_string()
    } else {
        let lines: Vec<String> = lines.iter().map(u32::to_string).collect();
        format!(
            " (its import statements on the cold path are on line{} {})",
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", ")
        )
    };
    Err(DeferError::NoStatement {
        spec: spec.to_string(),
        file: names[0].clone(),
        line,
        hint,
    })
}

/// What deferring every site in `deferred` (indices into [`ColdGraph::sites`]) together would
/// save, priced from each run's self times like [`compute_over_runs`]. The modules are the
/// ones that stop loading as a set ([`ColdGraph::stop_loading`]): with two statements that
/// share a dependency, the dependency is saved by the pair though by neither alone.
pub fn set_saving(
    graph: &ColdGraph,
    deferred: &[usize],
    runs: &[BTreeMap<String, f64>],
) -> SetSaving {
    let prices = RunPrices::new(runs);
    let sites: BTreeSet<&ImportSite> = deferred
        .iter()
        .filter_map(|&s| graph.sites.get(s))
        .collect();
    let mut modules: Vec<&str> = graph
        .stop_loading(deferred)
        .into_iter()
        .map(|m| graph.modules[m].as_str())
        .collect();
    modules.sort_by(|a, b| {
        prices
            .cost(b)
            .unwrap_or(0.0)
            .total_cmp(&prices.cost(a).unwrap_or(0.0))
            .then_with(|| a.cmp(b))
    });
    SetSaving {
        sites: sites.into_iter().cloned().collect(),
        saved_us: prices.price(&modules),
        unmeasured: modules.iter().filter(|m| prices.cost(m).is_none()).count(),
        modules: modules.into_iter().map(str::to_string).collect(),
    }
}

/// [`compute`] with the pricing left to the caller: `cost` gives one module's median self time
/// (for ordering and for the unmeasured count), `price` the time of a set of modules.
fn compute_with(
    graph: &ColdGraph,
    cost: &dyn Fn(&str) -> Option<f64>,
    price: &dyn Fn(&[&str]) -> f64,
) -> Vec<Saving> {
    let module_count = graph.modules.len();
    if graph.root >= module_count {
        return Vec::new();
    }
    // Nodes 0..module_count are modules, then one node per site.
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(module_count + graph.sites.len(), 0);
    for _ in 0..module_count + graph.sites.len() {
        g.add_node(());
    }
    let site_node = |s: usize| NodeIndex::new(module_count + s);
    let mut importer_of: Vec<Option<usize>> = vec![None; graph.sites.len()];
    for edge in &graph.edges {
        if edge.from >= module_count || edge.to >= module_count {
            continue;
        }
        match edge.site {
            Some(s) if s < graph.sites.len() => {
                if g.find_edge(NodeIndex::new(edge.from), site_node(s))
                    .is_none()
                {
                    g.add_edge(NodeIndex::new(edge.from), site_node(s), ());
                }
                if g.find_edge(site_node(s), NodeIndex::new(edge.to)).is_none() {
                    g.add_edge(site_node(s), NodeIndex::new(edge.to), ());
                }
                importer_of[s].get_or_insert(edge.from);
            }
            _ => {
                g.add_edge(NodeIndex::new(edge.from), NodeIndex::new(edge.to), ());
            }
        }
    }
    let root = NodeIndex::new(graph.root);
    let dominators = simple_fast(&g, root);

    // Children in the dominator tree, for every reachable node.
    let mut dominated_children: Vec<Vec<usize>> = vec![Vec::new(); g.node_count()];
    let mut reachable = vec![false; g.node_count()];
    reachable[graph.root] = true;
    for node in g.node_indices() {
        if let Some(idom) = dominators.immediate_dominator(node) {
            dominated_children[idom.index()].push(node.index());
            reachable[node.index()] = true;
        }
    }
    let cost = |m: usize| cost(&graph.modules[m]);
    let names = |modules: &[usize]| -> Vec<&str> {
        modules.iter().map(|&m| graph.modules[m].as_str()).collect()
    };

    let mut savings = Vec::new();
    for (s, site) in graph.sites.iter().enumerate() {
        let node = site_node(s).index();
        if !reachable[node] {
            continue;
        }
        // Modules dominated by the site node.
        let mut saved: Vec<usize> = Vec::new();
        let mut stack = dominated_children[node].clone();
        while let Some(n) = stack.pop() {
            if n < module_count {
                saved.push(n);
            }
            stack.extend(dominated_children[n].iter().copied());
        }
        let mut saved_flags = vec![false; module_count];
        for &m in &saved {
            saved_flags[m] = true;
        }
        // Modules the site reaches, for the shared part.
        let mut shared: Vec<usize> = Vec::new();
        // The walk stops at the entry: what a cycle back to it reaches is not this site's.
        let mut seen = vec![false; g.node_count()];
        let mut queue = std::collections::VecDeque::from([site_node(s)]);
        seen[node] = true;
        while let Some(n) = queue.pop_front() {
            for next in g.neighbors(n) {
                let i = next.index();
                if seen[i] || i == graph.root {
                    continue;
                }
                seen[i] = true;
                queue.push_back(next);
                if i < module_count && !saved_flags[i] {
                    shared.push(i);
                }
            }
        }
        let saved_us = price(&names(&saved));
        let shared_us = price(&names(&shared));
        let unmeasured = saved.iter().filter(|&&m| cost(m).is_none()).count();
        saved.sort_by(|&a, &b| {
            cost(b)
                .unwrap_or(0.0)
                .total_cmp(&cost(a).unwrap_or(0.0))
                .then_with(|| graph.modules[a].cmp(&graph.modules[b]))
        });
        savings.push(Saving {
            site: site.clone(),
            importer: importer_of[s]
                .map(|m| graph.modules[m].clone())
                .unwrap_or_default(),
            saved_us,
            modules: saved.iter().map(|&m| graph.modules[m].clone()).collect(),
            unmeasured,
            shared_modules: shared.len(),
            shared_us,
        });
    }
    savings.sort_by(|a, b| {
        b.saved_us
            .total_cmp(&a.saved_us)
            .then_with(|| b.modules.len().cmp(&a.modules.len()))
            .then_with(|| a.site.cmp(&b.site))
    });
    savings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a graph from `(importer, imported, site line)` triples; site lines become sites in
    /// `<importer>.py`, `0` makes an unlabelled edge.
    fn graph(root: &str, edges: &[(&str, &str, u32)]) -> ColdGraph {
        let mut g = ColdGraph::new(root);
        for &(from, to, line) in edges {
            let (f, t) = (g.module(from), g.module(to));
            let site = (line > 0).then(|| {
                g.site(ImportSite {
                    file: format!("{from}.py"),
                    line,
                    statement: format!("import {to}"),
                })
            });
            g.edge(f, t, site);
        }
        g
    }

    fn costs(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(n, c)| (n.to_string(), *c)).collect()
    }

    fn find<'a>(savings: &'a [Saving], file: &str, line: u32) -> &'a Saving {
        savings
            .iter()
            .find(|s| s.site.file == file && s.site.line == line)
            .unwrap()
    }

    #[test]
    fn chain_is_saved_by_its_first_site() {
        let g = graph("app", &[("app", "a", 1), ("a", "b", 1), ("b", "c", 1)]);
        let s = compute(&g, &costs(&[("a", 10.0), ("b", 20.0), ("c", 30.0)]));
        let first = find(&s, "app.py", 1);
        assert_eq!(first.saved_us, 60.0);
        assert_eq!(first.modules, ["c", "b", "a"]);
        assert_eq!(first.importer, "app");
        assert_eq!(find(&s, "b.py", 1).saved_us, 30.0);
        assert_eq!(s[0].site.file, "app.py");
    }

    #[test]
    fn shared_dependency_is_saved_by_neither_heavy_import_alone() {
        // app imports boto3 and requests; both import urllib3 (heavy, shared).
        let g = graph(
            "app",
            &[
                ("app", "boto3", 2),
                ("app", "requests", 3),
                ("boto3", "botocore", 1),
                ("boto3", "urllib3", 2),
                ("requests", "urllib3", 1),
                ("requests", "idna", 2),
            ],
        );
        let c = costs(&[
            ("boto3", 5.0),
            ("botocore", 100.0),
            ("requests", 4.0),
            ("idna", 6.0),
            ("urllib3", 50.0),
        ]);
        let s = compute(&g, &c);
        let boto = find(&s, "app.py", 2);
        assert_eq!(boto.saved_us, 105.0);
        assert_eq!(boto.modules, ["botocore", "boto3"]);
        assert_eq!((boto.shared_modules, boto.shared_us), (1, 50.0));
        let requests = find(&s, "app.py", 3);
        assert_eq!(requests.saved_us, 10.0);
        assert_eq!((requests.shared_modules, requests.shared_us), (1, 50.0));
        assert!(s
            .iter()
            .all(|x| !x.modules.contains(&"urllib3".to_string()) || x.site.file != "app.py"));
    }

    #[test]
    fn two_sites_in_one_file_to_the_same_module_save_nothing_alone() {
        let g = graph("app", &[("app", "json", 1), ("app", "json", 7)]);
        let s = compute(&g, &costs(&[("json", 9.0)]));
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|x| x.saved_us == 0.0 && x.shared_modules == 1));
    }

    #[test]
    fn one_statement_with_several_edges_saves_them_together() {
        // `import a.b` makes two edges with one site.
        let mut g = graph("app", &[("app", "a", 1)]);
        let ab = g.module("a.b");
        g.edge(0, ab, Some(0));
        let s = compute(&g, &costs(&[("a", 1.0), ("a.b", 2.0)]));
        assert_eq!(s[0].saved_us, 3.0);
        assert_eq!(s[0].modules, ["a.b", "a"]);
    }

    #[test]
    fn cycles_do_not_confuse_domination() {
        // a <-> b cycle below one site; c reached from b and, separately, from the entry.
        let g = graph(
            "app",
            &[
                ("app", "a", 1),
                ("a", "b", 1),
                ("b", "a", 1),
                ("b", "c", 2),
                ("app", "c", 2),
                ("c", "app", 1),
            ],
        );
        let s = compute(&g, &costs(&[("a", 1.0), ("b", 2.0), ("c", 4.0)]));
        let a_site = find(&s, "app.py", 1);
        assert_eq!(a_site.modules, ["b", "a"]);
        assert_eq!(a_site.saved_us, 3.0);
        // The cycle back to the entry never counts the entry as shared or saved.
        assert_eq!(find(&s, "app.py", 2).saved_us, 0.0);
        assert_eq!(find(&s, "app.py", 2).shared_modules, 1);
    }

    #[test]
    fn nested_sites_include_what_inner_sites_save() {
        let g = graph("app", &[("app", "a", 1), ("a", "b", 3), ("a", "c", 4)]);
        let s = compute(&g, &costs(&[("a", 1.0), ("b", 10.0), ("c", 100.0)]));
        assert_eq!(s[0].site.file, "app.py");
        assert_eq!(s[0].saved_us, 111.0);
        assert_eq!(s[1].site, g.sites()[2]);
        assert_eq!(s[2].saved_us, 10.0);
    }

    #[test]
    fn unmeasured_and_unreachable() {
        // `x` has no measurement; `orphan.py`'s site is not on the cold path.
        let g = graph("app", &[("app", "x", 1), ("orphan", "y", 1)]);
        let s = compute(&g, &costs(&[]));
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].unmeasured, s[0].saved_us), (1, 0.0));
    }

    #[test]
    fn savings_over_runs_are_medians_of_per_run_sums() {
        // Each run loses 10 us in a different module: every per-module median is 1, but every
        // run spends 12 us in the three modules together.
        let g = graph("app", &[("app", "a", 1), ("a", "b", 1), ("a", "c", 2)]);
        let run = |slow: &str| -> BTreeMap<String, f64> {
            ["a", "b", "c"]
                .iter()
                .map(|m| (m.to_string(), if *m == slow { 10.0 } else { 1.0 }))
                .collect()
        };
        let runs = [run("a"), run("b"), run("c")];
        let s = compute_over_runs(&g, &runs);
        let first = find(&s, "app.py", 1);
        assert_eq!(first.saved_us, 12.0);
        let by_medians = compute(&g, &costs(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]));
        assert_eq!(find(&by_medians, "app.py", 1).saved_us, 3.0);
        // A single module's saving is its median.
        assert_eq!(find(&s, "a.py", 1).saved_us, 1.0);
        assert_eq!(first.modules.len(), 3);
    }

    #[test]
    fn unlabelled_edges_keep_modules_reachable() {
        // An observed edge app -> lib (no statement) keeps lib loaded when `import lib` is
        // deferred.
        let g = graph("app", &[("app", "lib", 1), ("app", "lib", 0)]);
        let s = compute(&g, &costs(&[("lib", 5.0)]));
        assert_eq!(s[0].saved_us, 0.0);
    }

    fn runs_of(pairs: &[(&str, f64)]) -> Vec<BTreeMap<String, f64>> {
        vec![costs(pairs)]
    }

    fn shared_graph() -> ColdGraph {
        // app imports boto3 (2) and requests (3); both import urllib3; requests imports idna.
        graph(
            "app",
            &[
                ("app", "boto3", 2),
                ("app", "requests", 3),
                ("boto3", "botocore", 1),
                ("boto3", "urllib3", 2),
                ("requests", "urllib3", 1),
                ("requests", "idna", 2),
            ],
        )
    }

    fn shared_costs() -> Vec<BTreeMap<String, f64>> {
        runs_of(&[
            ("app", 1.0),
            ("boto3", 5.0),
            ("botocore", 100.0),
            ("requests", 4.0),
            ("idna", 6.0),
            ("urllib3", 50.0),
        ])
    }

    #[test]
    fn a_shared_dependency_is_saved_by_the_pair_though_by_neither_alone() {
        let g = shared_graph();
        let (boto, requests) = (g.sites_at("app.py", 2), g.sites_at("app.py", 3));
        let both: Vec<usize> = boto.iter().chain(&requests).copied().collect();
        let set = set_saving(&g, &both, &shared_costs());
        assert_eq!(
            set.modules,
            ["botocore", "urllib3", "idna", "boto3", "requests"]
        );
        assert_eq!(set.saved_us, 165.0);
        // More than the two single savings added up (105 + 10): urllib3 goes too.
        let singles = compute_over_runs(&g, &shared_costs());
        let sum: f64 = singles
            .iter()
            .filter(|s| s.site.file == "app.py")
            .map(|s| s.saved_us)
            .sum();
        assert_eq!(sum, 115.0);
        assert_eq!(set.sites.len(), 2);
        assert_eq!(set.unmeasured, 0);
    }

    #[test]
    fn nested_statements_in_a_set_count_their_modules_once() {
        // Deferring boto3 and, inside it, botocore: botocore is priced once.
        let g = shared_graph();
        let mut sites = g.sites_at("app.py", 2);
        sites.extend(g.sites_at("boto3.py", 1));
        let set = set_saving(&g, &sites, &shared_costs());
        assert_eq!(set.modules, ["botocore", "boto3"]);
        assert_eq!(set.saved_us, 105.0);
    }

    #[test]
    fn a_dependency_still_pulled_in_by_an_undeferred_statement_keeps_loading() {
        // Three importers of urllib3; deferring two of them saves it not.
        let g = graph(
            "app",
            &[
                ("app", "a", 1),
                ("app", "b", 2),
                ("app", "c", 3),
                ("a", "u", 1),
                ("b", "u", 1),
                ("c", "u", 1),
            ],
        );
        let runs = runs_of(&[("a", 1.0), ("b", 2.0), ("c", 4.0), ("u", 50.0)]);
        let mut two = g.sites_at("app.py", 1);
        two.extend(g.sites_at("app.py", 2));
        let set = set_saving(&g, &two, &runs);
        assert_eq!(set.modules, ["b", "a"]);
        assert_eq!(set.saved_us, 3.0);
        two.extend(g.sites_at("app.py", 3));
        assert_eq!(set_saving(&g, &two, &runs).saved_us, 57.0);
    }

    #[test]
    fn an_observed_edge_keeps_a_set_loading() {
        // lib is imported by a statement of `a` and, with no statement, by `b`.
        let g = graph(
            "app",
            &[
                ("app", "a", 1),
                ("app", "b", 2),
                ("a", "lib", 1),
                ("b", "lib", 0),
            ],
        );
        let runs = runs_of(&[("a", 1.0), ("b", 2.0), ("lib", 9.0)]);
        let mut sites = g.sites_at("app.py", 1);
        sites.extend(g.sites_at("a.py", 1));
        assert_eq!(set_saving(&g, &sites, &runs).modules, ["a"]);
        sites.extend(g.sites_at("app.py", 2));
        let all = set_saving(&g, &sites, &runs);
        assert_eq!(all.modules, ["lib", "b", "a"]);
        assert_eq!(all.saved_us, 12.0);
    }

    #[test]
    fn one_statement_as_a_set_saves_what_its_single_saving_says() {
        // Reachability without the site equals domination by the site, on every test graph.
        let graphs = [
            shared_graph(),
            graph(
                "app",
                &[
                    ("app", "a", 1),
                    ("a", "b", 1),
                    ("b", "a", 1),
                    ("b", "c", 2),
                    ("app", "c", 2),
                    ("c", "app", 1),
                ],
            ),
            graph("app", &[("app", "a", 1), ("a", "b", 3), ("a", "c", 4)]),
            graph("app", &[("app", "lib", 1), ("app", "lib", 0)]),
        ];
        let runs = vec![
            costs(&[
                ("a", 1.0),
                ("b", 2.0),
                ("c", 4.0),
                ("boto3", 3.0),
                ("urllib3", 7.0),
            ]),
            costs(&[
                ("a", 3.0),
                ("b", 1.0),
                ("c", 5.0),
                ("boto3", 2.0),
                ("urllib3", 9.0),
            ]),
        ];
        for g in &graphs {
            for single in compute_over_runs(g, &runs) {
                let sites: Vec<usize> = (0..g.sites().len())
                    .filter(|&s| g.sites()[s] == single.site)
                    .collect();
                let set = set_saving(g, &sites, &runs);
                assert_eq!(set.modules, single.modules, "{:?}", single.site);
                assert_eq!(set.saved_us, single.saved_us, "{:?}", single.site);
            }
        }
    }

    #[test]
    fn a_set_is_priced_as_the_median_of_per_run_sums() {
        let g = graph("app", &[("app", "a", 1), ("app", "b", 2)]);
        let runs = vec![
            costs(&[("a", 10.0), ("b", 1.0)]),
            costs(&[("a", 1.0), ("b", 10.0)]),
            costs(&[("a", 1.0), ("b", 1.0)]),
        ];
        let mut sites = g.sites_at("app.py", 1);
        sites.extend(g.sites_at("app.py", 2));
        // Per-run sums 11, 11, 2: median 11 (the medians' sum would say 2).
        assert_eq!(set_saving(&g, &sites, &runs).saved_us, 11.0);
    }

    #[test]
    fn empty_unknown_and_unmeasured_sets() {
        let g = shared_graph();
        let empty = set_saving(&g, &[], &shared_costs());
        assert!(empty.modules.is_empty() && empty.sites.is_empty());
        assert_eq!(empty.saved_us, 0.0);
        assert!(
            empty.saved_us.is_sign_positive(),
            "an empty set prints as 0.00, not -0.00"
        );
        assert!(g.sites_at("app.py", 99).is_empty());
        assert!(g.stop_loading(&[999]).is_empty());
        let unmeasured = set_saving(&g, &g.sites_at("app.py", 3), &runs_of(&[]));
        assert_eq!((unmeasured.unmeasured, unmeasured.saved_us), (2, 0.0));
    }

    #[test]
    fn sites_at_finds_every_statement_on_a_line() {
        // `import a, b` on one line: two sites, deferred together.
        let mut g = ColdGraph::new("app");
        let (app, a, b) = (g.module("app"), g.module("a"), g.module("b"));
        for (to, statement) in [(a, "import a"), (b, "import b")] {
            let site = g.site(ImportSite {
                file: "app.py".to_string(),
                line: 4,
                statement: statement.to_string(),
            });
            g.edge(app, to, Some(site));
        }
        let line = g.sites_at("app.py", 4);
        assert_eq!(line.len(), 2);
        assert_eq!(g.stop_loading(&line), [a, b]);
    }

    #[test]
    fn defer_specs_name_sites_or_say_why_not() {
        let g = shared_graph();
        let here = std::path::Path::new("/nonexistent");
        assert_eq!(
            resolve_defer(&g, "app.py:2", here, here),
            Ok(g.sites_at("app.py", 2))
        );
        assert_eq!(
            resolve_defer(&g, "./app.py:3", here, here),
            Ok(g.sites_at("app.py", 3))
        );
        for bad in ["app.py", "app.py:0", "app.py:x", ":3", ""] {
            assert!(
                matches!(
                    resolve_defer(&g, bad, here, here),
                    Err(DeferError::Syntax { .. })
                ),
                "{bad}"
            );
        }
        let missing = resolve_defer(&g, "app.py:9", here, here).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "`--defer app.py:9`: no import statement on the cold path at app.py:9 (its import statements on the cold path are on lines 2, 3)"
        );
        let unknown = resolve_defer(&g, "nope.py:1", here, here).unwrap_err();
        assert!(unknown
            .to_string()
            .ends_with("(no file of the cold path is called that)"));
    }

    #[test]
    fn defer_paths_are_matched_from_the_working_directory_too() {
        let dir = std::env::temp_dir().join(format!("fastpath-defer-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/app.py"), "import a\n").unwrap();
        let mut g = ColdGraph::new("app");
        let (app, a) = (g.module("app"), g.module("a"));
        let site = g.site(ImportSite {
            file: "src/app.py".to_string(),
            line: 1,
            statement: "import a".to_string(),
        });
        g.edge(app, a, Some(site));
        let from_src = resolve_defer(&g, "app.py:1", &dir.join("src"), &dir);
        let absolute = format!("{}:1", dir.join("src/app.py").display());
        let from_anywhere = resolve_defer(&g, &absolute, std::path::Path::new("/"), &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(from_src, Ok(vec![site]));
        assert_eq!(from_anywhere, Ok(vec![site]));
    }
}
