//! `--format html`: the measured cold start as one self-contained page (see [`crate::html`] for
//! the shell and how names are kept from injecting anything).
//!
//! The page computes one thing itself: the combined saving of the statements the reader ticks.
//! So that its figure is the command line's (`fastpath profile --defer A --defer B`), it gets
//! exactly what [`fastpath_profile::savings::set_saving`] works from: the cold-path graph the
//! savings were computed on (modules, statements, edges; an edge no statement shows cannot be
//! deferred) and each measured run's self times. It removes the ticked statements' edges,
//! walks from the entry, and prices what no longer loads as the median over runs of each run's
//! sum, as the library does. Everything else on the page is laid out from the profile.

use std::collections::BTreeMap;
use std::io::{self, Write};

use fastpath_graph::Origin;
use fastpath_profile::costed::PulledIn;
use fastpath_profile::profile::Stability;
use fastpath_profile::savings::{ColdGraph, ImportSite};
use fastpath_profile::stats::Summary;
use serde::{Serialize, Serializer};

use super::ProfileView;
use crate::html::write_page;

/// The page's own script.
const SCRIPT: &str = include_str!("../html/profile.js");

/// What the page needs beyond the profile view.
pub struct HtmlContext<'a> {
    /// The cold-path graph the savings were computed on; `None` when there was no static cold
    /// path (the page then has no savings to combine).
    pub graph: Option<&'a ColdGraph>,
    /// Each module's origin, from the static cold path; a module it does not hold shows as
    /// `other`.
    pub origins: &'a BTreeMap<String, Origin>,
    /// When the profile was taken, as the reader should see it (e.g. `2026-12-03T23:50:00Z`).
    pub date: &'a str,
    /// The project's commit, when it is a git repository (with `-dirty` for local changes).
    pub commit: Option<&'a str>,
}

/// Microseconds, written as an integer when they are one (importtime's are): smaller pages.
#[derive(Clone, Copy)]
struct Us(f64);

impl Serialize for Us {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < 9.0e15 {
            serializer.serialize_i64(self.0 as i64)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

fn stat(s: &Summary) -> [Us; 4] {
    [Us(s.median), Us(s.min), Us(s.max), Us(s.mad)]
}

#[derive(Serialize)]
struct Meta<'a> {
    entry: &'a str,
    implementation: &'a str,
    version: &'a str,
    executable: &'a str,
    runs: usize,
    warmup: usize,
    pinned: Option<usize>,
    bytecode: String,
    total_us: &'a Summary,
    startup_us: Option<Us>,
    process_us: Us,
    stability: &'a Stability,
    date: &'a str,
    commit: Option<&'a str>,
}

/// One loaded module. Short keys: a page for a few thousand modules stays small.
#[derive(Serialize)]
struct Module<'a> {
    /// Name.
    n: &'a str,
    /// Origin.
    o: &'static str,
    /// Parent in the importtime tree (index), `null` at the top.
    p: Option<usize>,
    /// The module whose statement loaded it (index), for the chain.
    i: Option<usize>,
    /// Self time: median, min, max, MAD.
    s: [Us; 4],
    /// Cumulative time, likewise.
    c: [Us; 4],
    /// What pulled it in, as text (`file:line  statement`).
    v: Option<String>,
}

#[derive(Serialize)]
struct Graph<'a> {
    modules: &'a [String],
    root: usize,
    /// `[from, to, site]`, site `-1` for an edge no statement shows.
    edges: Vec<[i64; 3]>,
    /// `[file, line, statement]`.
    sites: Vec<(&'a str, u32, &'a str)>,
}

#[derive(Serialize)]
struct Saving {
    /// Index into the graph's sites.
    site: usize,
    saved_us: Us,
    modules: usize,
    shared_modules: usize,
    shared_us: Us,
}

#[derive(Serialize)]
struct Deferred<'a> {
    sites: Vec<usize>,
    saved_us: Us,
    modules: &'a [String],
}

#[derive(Serialize)]
struct Page<'a> {
    schema: &'static str,
    meta: Meta<'a>,
    modules: Vec<Module<'a>>,
    /// Each measured run's self times, aligned with `modules` (`null`: not loaded in that run).
    runs: Vec<Vec<Option<Us>>>,
    graph: Graph<'a>,
    savings: Vec<Saving>,
    /// The command line's `--defer` set, priced by the library.
    deferred: Option<Deferred<'a>>,
}

fn pulled_text(pulled: &PulledIn) -> Option<String> {
    match pulled {
        PulledIn::Entry => Some("the entry".to_string()),
        PulledIn::Statement {
            file,
            line,
            statement,
        } => Some(format!("{file}:{line}  {statement}")),
        PulledIn::Observed { importer, file } => Some(format!(
            "{importer} ({file}), observed at run time, no statement"
        )),
        PulledIn::RunTime { importer } => Some(format!("{importer} at run time, no statement")),
        PulledIn::Unknown => None,
    }
}

/// Writes the page.
pub fn render_html(
    view: &ProfileView<'_>,
    context: &HtmlContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let profile = view.profile;
    let index: BTreeMap<&str, usize> = profile
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    let modules = profile
        .modules
        .iter()
        .map(|m| Module {
            n: &m.name,
            o: context.origins.get(&m.name).map_or("other", |o| o.as_str()),
            p: m.parent.as_deref().and_then(|p| index.get(p).copied()),
            i: m.importer.as_deref().and_then(|p| index.get(p).copied()),
            s: stat(&m.self_us),
            c: stat(&m.cumulative_us),
            v: view.pulled_in.get(&m.name).and_then(pulled_text),
        })
        .collect();
    let runs = profile
        .self_samples
        .iter()
        .map(|run| {
            profile
                .modules
                .iter()
                .map(|m| run.get(&m.name).map(|&us| Us(us)))
                .collect()
        })
        .collect();

    let empty = ColdGraph::new(&profile.entry);
    let graph = context.graph.unwrap_or(&empty);
    let site_index: BTreeMap<&ImportSite, usize> = graph
        .sites()
        .iter()
        .enumerate()
        .map(|(i, s)| (s, i))
        .collect();
    let savings = profile
        .savings
        .iter()
        .filter_map(|s| {
            Some(Saving {
                site: *site_index.get(&s.site)?,
                saved_us: Us(s.saved_us),
                modules: s.modules.len(),
                shared_modules: s.shared_modules,
                shared_us: Us(s.shared_us),
            })
        })
        .collect();
    let deferred = view.deferred.map(|d| Deferred {
        sites: d
            .sites
            .iter()
            .filter_map(|s| site_index.get(s).copied())
            .collect(),
        saved_us: Us(d.saved_us),
        modules: &d.modules,
    });
    let page = Page {
        schema: "fastpath.profile-page/1",
        meta: Meta {
            entry: &profile.entry,
            implementation: &profile.interpreter.implementation,
            version: &profile.interpreter.version,
            executable: &profile.interpreter.executable,
            runs: profile.runs,
            warmup: profile.warmup,
            pinned: profile.pinned,
            bytecode: serde_json::to_value(profile.bytecode.mode)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            total_us: &profile.total_us,
            startup_us: profile.startup_us.map(|s| Us(s.median)),
            process_us: Us(profile.process_wall_us.median),
            stability: &profile.stability,
            date: context.date,
            commit: context.commit,
        },
        modules,
        runs,
        graph: Graph {
            modules: graph.modules(),
            root: graph.root(),
            edges: graph
                .edges()
                .iter()
                .map(|e| [e.from as i64, e.to as i64, e.site.map_or(-1, |s| s as i64)])
                .collect(),
            sites: graph
                .sites()
                .iter()
                .map(|s| (s.file.as_str(), s.line, s.statement.as_str()))
                .collect(),
        },
        savings,
        deferred,
    };
    let title = format!("fastpath profile: {}", profile.entry);
    write_page(out, &title, &page, SCRIPT)
}
