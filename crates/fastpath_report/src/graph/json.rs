//! `--format json`: the `fastpath.graph/1` contract of PRODUCT.md, plus the `--all` tree
//! (`fastpath.graph-all/1`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use fastpath_graph::tree::Tree;
use fastpath_graph::{InterpreterInfo, ModuleKind, Origin, Via};
use fastpath_scan::{Context, Problem};
use serde::Serialize;

use super::GraphView;
use crate::paths::display_path;

#[derive(Serialize)]
struct Python<'a> {
    #[serde(serialize_with = "crate::paths::serialize_lossy")]
    executable: &'a Path,
    version: &'a str,
    platform: &'a str,
}

impl<'a> Python<'a> {
    fn of(info: Option<&'a InterpreterInfo>) -> Option<Self> {
        info.map(|i| Python {
            executable: &i.executable,
            version: &i.version,
            platform: &i.platform,
        })
    }
}

#[derive(Serialize)]
struct JsonVia<'a> {
    module: &'a str,
    #[serde(serialize_with = "crate::paths::serialize_lossy")]
    path: PathBuf,
    line: u32,
    column: u32,
    context: Context,
    statement: &'a str,
}

impl<'a> JsonVia<'a> {
    fn of(via: &'a Via, root: &Path) -> Self {
        JsonVia {
            module: &via.module,
            path: display_path(&via.path, root),
            line: via.line,
            column: via.column,
            context: via.context,
            statement: &via.statement,
        }
    }
}

#[derive(Serialize)]
struct JsonModule<'a> {
    name: &'a str,
    #[serde(serialize_with = "crate::paths::serialize_lossy_option")]
    path: Option<PathBuf>,
    origin: Origin,
    kind: ModuleKind,
    via: Option<JsonVia<'a>>,
}

#[derive(Serialize)]
struct JsonUnresolved<'a> {
    name: &'a str,
    optional: bool,
    via: JsonVia<'a>,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    #[serde(serialize_with = "crate::paths::serialize_lossy")]
    path: PathBuf,
    #[serde(flatten)]
    problem: &'a Problem,
}

#[derive(Serialize)]
struct JsonGraph<'a> {
    schema: &'static str,
    entry: &'a str,
    python: Option<Python<'a>>,
    modules: Vec<JsonModule<'a>>,
    unresolved: Vec<JsonUnresolved<'a>>,
    preloaded: &'a [String],
    problems: Vec<JsonProblem<'a>>,
}

pub fn render_json(view: &GraphView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let path = view.cold_path;
    let graph = JsonGraph {
        schema: "fastpath.graph/1",
        entry: &path.entry,
        python: Python::of(view.python),
        modules: path
            .modules
            .iter()
            .map(|m| JsonModule {
                name: &m.name,
                path: m.path.as_deref().map(|p| display_path(p, view.root)),
                origin: m.origin,
                kind: m.kind,
                via: m.via.as_ref().map(|v| JsonVia::of(v, view.root)),
            })
            .collect(),
        unresolved: path
            .unresolved
            .iter()
            .map(|u| JsonUnresolved {
                name: &u.name,
                optional: u.optional,
                via: JsonVia::of(&u.via, view.root),
            })
            .collect(),
        preloaded: &path.preloaded,
        problems: path
            .problems
            .iter()
            .map(|p| JsonProblem {
                path: display_path(&p.path, view.root),
                problem: &p.problem,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &graph)?;
    writeln!(out)
}

#[derive(Serialize)]
struct JsonTree<'a> {
    schema: &'static str,
    #[serde(serialize_with = "crate::paths::serialize_lossy")]
    root: &'a Path,
    python: Option<Python<'a>>,
    files: usize,
    bytes: u64,
    tree: &'a [fastpath_graph::tree::TreeFile],
}

/// The whole-tree view; compact (one line) because it is meant for programs and can be large.
pub fn render_tree_json(
    tree: &Tree,
    root: &Path,
    python: Option<&InterpreterInfo>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let json = JsonTree {
        schema: "fastpath.graph-all/1",
        root,
        python: Python::of(python),
        files: tree.files.len(),
        bytes: tree.bytes,
        tree: &tree.files,
    };
    serde_json::to_writer(&mut *out, &json)?;
    writeln!(out)
}
