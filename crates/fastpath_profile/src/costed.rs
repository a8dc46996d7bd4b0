//! The costed graph: a static cold path (`fastpath_graph`) joined with what a profile measured.
//!
//! The measurement says which modules loaded and, from the importtime nesting, which module's
//! import loaded each one; the cold path says which statement of that importer's source makes
//! the import. Joined, they tell the user what pulled each module in ([`pulled_in`]), give the
//! graph the savings are priced on ([`cold_graph`], for [`crate::savings`]), keep the savings
//! the user can act on ([`savings`], [`editable`]), and say which unpredicted imports are worth
//! recording because no statement explains them ([`needed`]). An import no statement shows
//! (observed at run time, or made by an extension as it initialises) can keep a module loaded
//! but can never be deferred, so it is an edge without a site. The measured side comes in as
//! the loaded edges of [`Profile::loaded`](crate::Profile::loaded), so everything here is
//! tested on synthetic data, without an interpreter.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use fastpath_graph::cold_path::{absolute_module, statement, Edge};
use fastpath_graph::{ColdPath, ModuleKind, Origin, Sources};
use fastpath_scan::{Context, Target};
use serde::Serialize;

use crate::observed::{Comparison, ObservedEdge};
use crate::savings::{compute_over_runs, ColdGraph, ImportSite, Saving};

/// What pulled a loaded module in, as the join found it: the measured importer, and the
/// statement of that importer's source that imports it when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PulledIn {
    /// The entry, or a package the entry's own name loads (`pkg` for `pkg.app`).
    Entry,
    /// An import statement: `file` is as it should be shown (relative to the project root, or
    /// to the search-path directory that holds it).
    Statement {
        file: String,
        line: u32,
        statement: String,
    },
    /// An import no statement shows, recorded by an earlier profile (`observed`): the
    /// importer, and the file whose code made it.
    Observed { importer: String, file: String },
    /// Loaded by `importer` at run time with no statement of its source to show for it (a
    /// compiled extension as it initialises, a call made at import time).
    RunTime { importer: String },
    /// Not on the static cold path, and no importer is known.
    Unknown,
}

/// The merged cold path's statements, looked up by edge and shown as a user reads them.
pub struct Statements<'a> {
    path: &'a ColdPath,
    sources: &'a Sources,
    target: &'a Target,
    root: &'a Path,
    /// Directories a file outside the project is shown relative to (the interpreter's path).
    search: &'a [&'a Path],
    /// The file each module's statements were read from: its source, or, for an extension
    /// compiled from Python, the file its imports were read from.
    files: HashMap<&'a str, &'a Path>,
    /// The edge between two modules, a statement's in preference to an observed one (and the
    /// first statement in the file when there are several).
    edges: HashMap<(usize, usize), &'a Edge>,
    index: HashMap<&'a str, usize>,
}

impl<'a> Statements<'a> {
    /// The statements of `path` (the cold path with every observed import merged), read
    /// through `sources` for `target`. Files under `root` are shown relative to it, others
    /// relative to the deepest directory of `search` that holds them.
    pub fn new(
        path: &'a ColdPath,
        sources: &'a Sources,
        target: &'a Target,
        root: &'a Path,
        search: &'a [&'a Path],
    ) -> Self {
        let mut files: HashMap<&str, &Path> = HashMap::new();
        for m in &path.modules {
            if let Some(p) = m
                .path
                .as_deref()
                .filter(|p| p.extension().is_some_and(|e| e == "py"))
            {
                files.insert(m.name.as_str(), p);
            }
        }
        for m in &path.modules {
            if let Some(via) = m.via.as_ref().filter(|v| v.context != Context::Observed) {
                files
                    .entry(via.module.as_str())
                    .or_insert(via.path.as_path());
            }
        }
        let mut edges: HashMap<(usize, usize), &Edge> = HashMap::new();
        for edge in &path.edges {
            let rank = |e: &Edge| (e.context == Context::Observed, e.line, e.column);
            edges
                .entry((edge.from, edge.to))
                .and_modify(|kept| {
                    if rank(edge) < rank(kept) {
                        *kept = edge;
                    }
                })
                .or_insert(edge);
        }
        let index = path
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.as_str(), i))
            .collect();
        Statements {
            path,
            sources,
            target,
            root,
            search,
            files,
            edges,
            index,
        }
    }

    /// Relative to the project root, else to the deepest search-path directory holding it.
    fn display(&self, file: &Path) -> String {
        let relative = |dir: &Path| file.strip_prefix(dir).unwrap_or(file).display().to_string();
        if file.starts_with(self.root) {
            return relative(self.root);
        }
        self.search
            .iter()
            .filter(|dir| file.starts_with(dir))
            .max_by_key(|dir| dir.as_os_str().len())
            .map_or_else(|| file.display().to_string(), |dir| relative(dir))
    }

    /// The statement behind `edge`; `None` for an observed edge or a site no longer found.
    fn site(&self, edge: &Edge) -> Option<ImportSite> {
        if edge.context == Context::Observed {
            return None;
        }
        let importer = &self.path.modules[edge.from];
        let file = self.files.get(importer.name.as_str())?;
        let scan = self.sources.scan(file, Some(self.target));
        // `import a, b` is one site per name at the same position: pick the one that names
        // the edge's module (or a package on its way, or a submodule of it).
        let package = if importer.kind == ModuleKind::Package {
            importer.name.as_str()
        } else {
            importer.name.rsplit_once('.').map_or("", |(p, _)| p)
        };
        let to = self.path.modules[edge.to].name.as_str();
        let names = |module: &str| {
            module == to
                || (to.starts_with(module) && to.as_bytes().get(module.len()) == Some(&b'.'))
                || (module.starts_with(to) && module.as_bytes().get(to.len()) == Some(&b'.'))
        };
        let at = |s: &&fastpath_scan::ImportSite| s.line == edge.line && s.column == edge.column;
        let site = scan
            .sites
            .iter()
            .filter(at)
            .find(|s| absolute_module(s, package).is_some_and(|m| names(&m)))
            .or_else(|| scan.sites.iter().find(at))?;
        Some(ImportSite {
            file: self.display(file),
            line: edge.line,
            statement: statement(site),
        })
    }

    /// The edge `importer -> module`, if the merged cold path has one.
    fn edge(&self, importer: &str, module: &str) -> Option<&'a Edge> {
        let from = *self.index.get(importer)?;
        let to = *self.index.get(module)?;
        self.edges.get(&(from, to)).copied()
    }

    /// What an edge shows about how `importer` pulls its module in.
    fn pulled_by(&self, importer: &str, edge: &Edge) -> PulledIn {
        match self.site(edge) {
            Some(site) => PulledIn::Statement {
                file: site.file,
                line: site.line,
                statement: site.statement,
            },
            None => PulledIn::Observed {
                importer: importer.to_string(),
                file: self
                    .files
                    .get(importer)
                    .copied()
                    .or_else(|| self.path.modules[edge.from].path.as_deref())
                    .map(|f| self.display(f))
                    .unwrap_or_else(|| importer.to_string()),
            },
        }
    }
}

/// Whether the statements of `module` are the user's to defer: a project module; or, when the
/// entry itself is an installed package (profiling `requests`), a module of that package.
pub fn editable(statements: &Statements<'_>, module: &str) -> bool {
    let path = statements.path;
    let origin = |name: &str| statements.index.get(name).map(|&i| path.modules[i].origin);
    match origin(module) {
        Some(Origin::Project) => true,
        Some(_) if origin(&path.entry) != Some(Origin::Project) => {
            let top = path.entry.split('.').next().unwrap_or_default();
            module == top || module.strip_prefix(top).is_some_and(|r| r.starts_with('.'))
        }
        _ => false,
    }
}

/// The savings of deferring each statement of `graph` (priced over the runs' self times, see
/// [`compute_over_runs`]), keeping only the statements the user can edit ([`editable`]).
pub fn savings(
    statements: &Statements<'_>,
    graph: &ColdGraph,
    runs: &[BTreeMap<String, f64>],
) -> Vec<Saving> {
    compute_over_runs(graph, runs)
        .into_iter()
        .filter(|s| editable(statements, &s.importer))
        .collect()
}

/// What pulled each `loaded` module in (the profile's loaded modules with their measured
/// importers): the measured importer's statement when its source has one; an observed import;
/// or, when the importer is known but no statement of its source imports the module (an
/// extension initialising, a call at import time), just the importer.
pub fn pulled_in(
    statements: &Statements<'_>,
    loaded: &[ObservedEdge],
) -> BTreeMap<String, PulledIn> {
    let path = statements.path;
    let entry = path.entry.as_str();
    loaded
        .iter()
        .map(|loaded| {
            let module = loaded.module.as_str();
            let of_entry = module == entry
                || (entry.starts_with(module) && entry.as_bytes().get(module.len()) == Some(&b'.'));
            let pulled = match loaded.importer.as_deref() {
                None if of_entry => PulledIn::Entry,
                Some(importer) => match statements.edge(importer, module) {
                    Some(edge) => statements.pulled_by(importer, edge),
                    None => PulledIn::RunTime {
                        importer: importer.to_string(),
                    },
                },
                // No measured importer: the static graph's first importer, if any.
                None => statements
                    .index
                    .get(module)
                    .and_then(|&i| path.modules[i].via.as_ref())
                    .and_then(|via| {
                        let edge = statements.edge(&via.module, module)?;
                        Some(statements.pulled_by(&via.module, edge))
                    })
                    .unwrap_or(PulledIn::Unknown),
            };
            (loaded.module.clone(), pulled)
        })
        .collect()
}

/// The graph the savings are computed on: the merged cold path restricted to the modules that
/// really loaded (`loaded`, with their measured importers), each statement a site; plus, as
/// edges no statement shows (never deferrable), every measured import the static graph has no
/// edge for: observed imports, an extension's imports as it initialises, and modules outside
/// the static view.
pub fn cold_graph(statements: &Statements<'_>, loaded: &[ObservedEdge]) -> ColdGraph {
    let path = statements.path;
    let loaded_names: HashSet<&str> = loaded.iter().map(|e| e.module.as_str()).collect();
    // The walk starts at the entry's top-level package: `import pkg.app` runs `pkg` first.
    let top = path
        .modules
        .first()
        .map_or(path.entry.as_str(), |m| m.name.as_str());
    let mut graph = ColdGraph::new(top);
    let mut parent = top.to_string();
    let mut rest = path.entry.strip_prefix(top).unwrap_or("");
    while let Some(stripped) = rest.strip_prefix('.') {
        let next = stripped.find('.').unwrap_or(stripped.len());
        let child = format!("{parent}.{}", &stripped[..next]);
        let (from, to) = (graph.module(&parent), graph.module(&child));
        graph.edge(from, to, None);
        parent = child;
        rest = &stripped[next..];
    }

    let is_loaded = |name: &str| name == path.entry || loaded_names.contains(name);
    for edge in &path.edges {
        let (from, to) = (&path.modules[edge.from].name, &path.modules[edge.to].name);
        if !is_loaded(from) || !is_loaded(to) {
            continue;
        }
        let site = statements.site(edge).map(|site| graph.site(site));
        let (f, t) = (graph.module(from), graph.module(to));
        graph.edge(f, t, site);
    }
    for edge in loaded {
        let module = edge.module.as_str();
        let importer = match edge.importer.as_deref() {
            Some(importer) if statements.edge(importer, module).is_none() => importer,
            Some(_) => continue,
            None if !statements.index.contains_key(module) => path.entry.as_str(),
            None => continue,
        };
        let (from, to) = (graph.module(importer), graph.module(module));
        graph.edge(from, to, None);
    }
    graph
}

/// The unpredicted imports worth recording: those with a known importer that no statement of
/// that importer makes in the merged cold path.
pub fn needed(comparison: &Comparison, merged: Option<&ColdPath>) -> Vec<ObservedEdge> {
    let stated: HashSet<(&str, &str)> = merged
        .map(|path| {
            path.edges
                .iter()
                .filter(|e| e.context != Context::Observed)
                .map(|e| {
                    (
                        path.modules[e.from].name.as_str(),
                        path.modules[e.to].name.as_str(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    comparison
        .unpredicted
        .iter()
        .filter(|e| {
            e.importer
                .as_deref()
                .is_some_and(|importer| !stated.contains(&(importer, e.module.as_str())))
        })
        .cloned()
        .collect()
}
