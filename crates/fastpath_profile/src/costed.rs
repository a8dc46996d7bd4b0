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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use fastpath_graph::{Module, Via};

    use super::*;

    /// A project `pkg` (entry `pkg.app`) and an installed package `fastlib`, written to disk so
    /// that the statements are read from real source; the cold path over them is synthetic.
    struct Fixture {
        _dir: tempfile::TempDir,
        tmp: PathBuf,
        root: PathBuf,
        site: PathBuf,
        path: ColdPath,
    }

    const APP: &str = "\
import os, json
from . import util
import fastlib
import pkg.late
import pkg.unused
";

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().to_path_buf();
        let root = tmp.join("proj");
        let site = tmp.join("site");
        let files = [
            (root.join("pkg/__init__.py"), ""),
            (root.join("pkg/app.py"), APP),
            (root.join("pkg/util.py"), ""),
            (root.join("pkg/late.py"), ""),
            (root.join("pkg/unused.py"), ""),
            (site.join("fastlib/__init__.py"), "from . import core\n"),
            (site.join("fastlib/core.py"), ""),
            (site.join("plugin_x.py"), ""),
        ];
        for (file, text) in &files {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let app = root.join("pkg/app.py");
        let fastlib = site.join("fastlib/__init__.py");
        let stdlib = tmp.join("stdlib");
        let via = |module: &str, path: &Path, line: u32, context: Context, statement: &str| {
            Some(Via {
                module: module.to_string(),
                path: path.to_path_buf(),
                line,
                column: if line == 0 { 0 } else { 1 },
                context,
                statement: statement.to_string(),
                call: None,
            })
        };
        let eager = Context::Eager;
        use ModuleKind::{Package, Source};
        use Origin::{Project, Stdlib, ThirdParty};
        let modules = vec![
            module("pkg", Package, Project, root.join("pkg/__init__.py"), None),
            module("pkg.app", Source, Project, app.clone(), None),
            module(
                "os",
                Source,
                Stdlib,
                stdlib.join("os.py"),
                via("pkg.app", &app, 1, eager, "import os"),
            ),
            module(
                "json",
                Package,
                Stdlib,
                stdlib.join("json/__init__.py"),
                via("pkg.app", &app, 1, eager, "import json"),
            ),
            module(
                "pkg.util",
                Source,
                Project,
                root.join("pkg/util.py"),
                via("pkg.app", &app, 2, eager, "from . import util"),
            ),
            module(
                "fastlib",
                Package,
                ThirdParty,
                fastlib.clone(),
                via("pkg.app", &app, 3, eager, "import fastlib"),
            ),
            module(
                "fastlib.core",
                Source,
                ThirdParty,
                site.join("fastlib/core.py"),
                via("fastlib", &fastlib, 1, eager, "from . import core"),
            ),
            module(
                "pkg.late",
                Source,
                Project,
                root.join("pkg/late.py"),
                via("pkg.app", &app, 4, eager, "import pkg.late"),
            ),
            module(
                "pkg.unused",
                Source,
                Project,
                root.join("pkg/unused.py"),
                via("pkg.app", &app, 5, eager, "import pkg.unused"),
            ),
            module(
                "plugin_x",
                Source,
                ThirdParty,
                site.join("plugin_x.py"),
                via("fastlib", &fastlib, 0, Context::Observed, "<observed>"),
            ),
        ];
        let edge = |from, to, line, context| Edge {
            from,
            to,
            line,
            column: if line == 0 { 0 } else { 1 },
            context,
        };
        let edges = vec![
            // Listed first, so that the statement below must win over it.
            edge(1, 4, 0, Context::Observed),
            edge(1, 2, 1, eager),
            edge(1, 3, 1, eager),
            edge(1, 4, 2, eager),
            edge(1, 5, 3, eager),
            edge(1, 7, 4, eager),
            edge(1, 8, 5, eager),
            edge(5, 6, 1, eager),
            edge(5, 9, 0, Context::Observed),
        ];
        let path = ColdPath {
            entry: "pkg.app".to_string(),
            modules,
            unresolved: Vec::new(),
            preloaded: Vec::new(),
            edges,
            problems: Vec::new(),
        };
        Fixture {
            _dir: dir,
            tmp,
            root,
            site,
            path,
        }
    }

    fn module(
        name: &str,
        kind: ModuleKind,
        origin: Origin,
        path: PathBuf,
        via: Option<Via>,
    ) -> Module {
        Module {
            name: name.to_string(),
            path: Some(path),
            origin,
            kind,
            via,
        }
    }

    fn loaded(edges: &[(Option<&str>, &str)]) -> Vec<ObservedEdge> {
        edges
            .iter()
            .map(|(importer, module)| ObservedEdge {
                importer: importer.map(str::to_string),
                module: module.to_string(),
            })
            .collect()
    }

    /// What the profile of `pkg.app` measured: every module of the fixture except
    /// `pkg.unused`, plus `_cext` (imported by `fastlib` as it initialises) and `stray` (no
    /// importer known, not on the static path).
    fn measured() -> Vec<ObservedEdge> {
        loaded(&[
            (None, "pkg"),
            (None, "pkg.app"),
            (Some("pkg.app"), "os"),
            (Some("pkg.app"), "json"),
            (Some("pkg.app"), "pkg.util"),
            (Some("pkg.app"), "fastlib"),
            (Some("fastlib"), "fastlib.core"),
            (Some("fastlib"), "plugin_x"),
            (Some("fastlib"), "_cext"),
            (None, "pkg.late"),
            (None, "stray"),
        ])
    }

    fn target() -> Target {
        Target::new(3, 11, "linux")
    }

    fn statement(file: &str, line: u32, statement: &str) -> PulledIn {
        PulledIn::Statement {
            file: file.to_string(),
            line,
            statement: statement.to_string(),
        }
    }

    #[test]
    fn each_loaded_module_gets_what_pulled_it_in() {
        let fixture = fixture();
        let (sources, target) = (Sources::default(), target());
        // The shallower directory also holds `site/`: the deepest one is shown relative to.
        let search = [fixture.tmp.as_path(), fixture.site.as_path()];
        let statements = Statements::new(&fixture.path, &sources, &target, &fixture.root, &search);
        let pulled = pulled_in(&statements, &measured());
        let runtime = |importer: &str| PulledIn::RunTime {
            importer: importer.to_string(),
        };
        let expected = BTreeMap::from([
            // Entry: the entry, and the package its own name loads first.
            ("pkg".to_string(), PulledIn::Entry),
            ("pkg.app".to_string(), PulledIn::Entry),
            // Statement: `import os, json` is two sites at one position, one per name.
            ("os".to_string(), statement("pkg/app.py", 1, "import os")),
            (
                "json".to_string(),
                statement("pkg/app.py", 1, "import json"),
            ),
            // The statement wins over an observed edge between the same modules.
            (
                "pkg.util".to_string(),
                statement("pkg/app.py", 2, "from . import util"),
            ),
            (
                "fastlib".to_string(),
                statement("pkg/app.py", 3, "import fastlib"),
            ),
            // A file outside the project, relative to the search directory holding it.
            (
                "fastlib.core".to_string(),
                statement("fastlib/__init__.py", 1, "from . import core"),
            ),
            // Observed: an edge no statement shows, with the importer's file.
            (
                "plugin_x".to_string(),
                PulledIn::Observed {
                    importer: "fastlib".to_string(),
                    file: "fastlib/__init__.py".to_string(),
                },
            ),
            // RunTime: a measured importer, and no edge of the cold path for it.
            ("_cext".to_string(), runtime("fastlib")),
            // No measured importer: the static path's first importer and its statement.
            (
                "pkg.late".to_string(),
                statement("pkg/app.py", 4, "import pkg.late"),
            ),
            // Unknown: no importer measured, and not on the static path.
            ("stray".to_string(), PulledIn::Unknown),
        ]);
        assert_eq!(pulled, expected);
    }

    #[test]
    fn a_file_under_no_search_directory_is_shown_whole() {
        let fixture = fixture();
        let (sources, target) = (Sources::default(), target());
        let statements = Statements::new(&fixture.path, &sources, &target, &fixture.root, &[]);
        let pulled = pulled_in(&statements, &loaded(&[(Some("fastlib"), "plugin_x")]));
        let file = fixture.site.join("fastlib/__init__.py");
        assert_eq!(
            pulled["plugin_x"],
            PulledIn::Observed {
                importer: "fastlib".to_string(),
                file: file.display().to_string(),
            }
        );
    }

    #[test]
    fn the_cold_graph_keeps_what_loaded_and_adds_the_measured_imports_no_statement_shows() {
        let fixture = fixture();
        let (sources, target) = (Sources::default(), target());
        let search = [fixture.site.as_path()];
        let statements = Statements::new(&fixture.path, &sources, &target, &fixture.root, &search);
        let graph = cold_graph(&statements, &measured());
        let edges: Vec<(&str, &str, Option<String>)> = graph
            .edges()
            .iter()
            .map(|e| {
                let site = e.site.map(|s| {
                    let site = &graph.sites()[s];
                    format!("{}:{} {}", site.file, site.line, site.statement)
                });
                (
                    graph.modules()[e.from].as_str(),
                    graph.modules()[e.to].as_str(),
                    site,
                )
            })
            .collect();
        let site = |s: &str| Some(s.to_string());
        assert_eq!(
            edges,
            vec![
                // `import pkg.app` runs `pkg` first: the walk starts there.
                ("pkg", "pkg.app", None),
                // The cold path's edges between loaded modules, each statement a site; an
                // observed edge has none. `pkg.unused` never loaded: its edge is left out.
                ("pkg.app", "pkg.util", None),
                ("pkg.app", "os", site("pkg/app.py:1 import os")),
                ("pkg.app", "json", site("pkg/app.py:1 import json")),
                (
                    "pkg.app",
                    "pkg.util",
                    site("pkg/app.py:2 from . import util")
                ),
                ("pkg.app", "fastlib", site("pkg/app.py:3 import fastlib")),
                ("pkg.app", "pkg.late", site("pkg/app.py:4 import pkg.late")),
                (
                    "fastlib",
                    "fastlib.core",
                    site("fastlib/__init__.py:1 from . import core")
                ),
                ("fastlib", "plugin_x", None),
                // Measured imports the cold path has no edge for: an extension initialising,
                // and a module with no known importer, hung under the entry.
                ("fastlib", "_cext", None),
                ("pkg.app", "stray", None),
            ]
        );
        assert_eq!(graph.modules()[graph.root()], "pkg");
    }

    #[test]
    fn only_the_statements_the_user_can_edit_are_listed_as_savings() {
        let fixture = fixture();
        let (sources, target) = (Sources::default(), target());
        let search = [fixture.site.as_path()];
        let statements = Statements::new(&fixture.path, &sources, &target, &fixture.root, &search);
        let graph = cold_graph(&statements, &measured());
        let run: BTreeMap<String, f64> = [
            ("fastlib", 100.0),
            ("fastlib.core", 50.0),
            ("plugin_x", 10.0),
            ("_cext", 5.0),
            ("json", 20.0),
        ]
        .into_iter()
        .map(|(name, us)| (name.to_string(), us))
        .collect();
        let found = savings(&statements, &graph, &[run.clone(), run]);
        let listed: Vec<(&str, &str, f64)> = found
            .iter()
            .map(|s| (s.importer.as_str(), s.site.statement.as_str(), s.saved_us))
            .collect();
        // `from . import core` saves 50 µs too, but `fastlib` is not the project's to edit;
        // `from . import util` saves nothing, an observed edge keeps `pkg.util` loaded.
        assert_eq!(
            listed,
            vec![
                ("pkg.app", "import fastlib", 165.0),
                ("pkg.app", "import json", 20.0),
                ("pkg.app", "import os", 0.0),
                ("pkg.app", "import pkg.late", 0.0),
                ("pkg.app", "from . import util", 0.0),
            ]
        );
    }

    #[test]
    fn an_installed_package_profiled_as_the_entry_owns_its_modules() {
        let mut fixture = fixture();
        let (sources, target) = (Sources::default(), target());
        let statements = Statements::new(&fixture.path, &sources, &target, &fixture.root, &[]);
        assert!(editable(&statements, "pkg.app"));
        assert!(!editable(&statements, "fastlib"));
        assert!(!editable(&statements, "stray"));

        fixture.path.entry = "fastlib".to_string();
        let statements = Statements::new(&fixture.path, &sources, &target, &fixture.root, &[]);
        assert!(editable(&statements, "fastlib"));
        assert!(editable(&statements, "fastlib.core"));
        assert!(
            editable(&statements, "pkg.app"),
            "a project module stays editable"
        );
        assert!(!editable(&statements, "plugin_x"));
        assert!(!editable(&statements, "json"));
    }

    #[test]
    fn only_imports_no_statement_explains_are_recorded() {
        let fixture = fixture();
        let comparison = Comparison {
            unpredicted: loaded(&[
                (Some("fastlib"), "plugin_x"),
                (Some("pkg.app"), "pkg.util"),
                (Some("fastlib"), "_cext"),
                (None, "stray"),
            ]),
            not_loaded: vec!["pkg.unused".to_string()],
        };
        assert_eq!(
            needed(&comparison, Some(&fixture.path)),
            loaded(&[(Some("fastlib"), "plugin_x"), (Some("fastlib"), "_cext")])
        );
        assert_eq!(
            needed(&comparison, None),
            loaded(&[
                (Some("fastlib"), "plugin_x"),
                (Some("pkg.app"), "pkg.util"),
                (Some("fastlib"), "_cext"),
            ])
        );
    }
}
