//! `--format dot`: Graphviz. Solid edges are the first-loader tree; dashed ones are the other
//! eager imports between cold-path modules.

use std::collections::HashSet;
use std::io::{self, Write};

use fastpath_graph::Origin;

use super::GraphView;

pub fn render_dot(view: &GraphView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let path = view.cold_path;
    writeln!(out, "digraph cold_path {{")?;
    writeln!(
        out,
        "  rankdir=LR;\n  node [shape=box, style=filled, fontname=\"Helvetica\"];"
    )?;
    for (i, module) in path.modules.iter().enumerate() {
        writeln!(
            out,
            "  m{i} [label=\"{}\", fillcolor=\"{}\"];",
            escape(&module.name),
            colour(module.origin)
        )?;
    }
    let mut tree_edges = HashSet::new();
    for (i, module) in path.modules.iter().enumerate() {
        if let Some(parent) = module.via.as_ref().and_then(|v| path.index_of(&v.module)) {
            tree_edges.insert((parent, i));
            let via = module.via.as_ref().expect("checked");
            writeln!(
                out,
                "  m{parent} -> m{i} [tooltip=\"{}:{}\"];",
                escape(&via.path.display().to_string()),
                via.line
            )?;
        }
    }
    for edge in &path.edges {
        if tree_edges.insert((edge.from, edge.to)) {
            writeln!(
                out,
                "  m{} -> m{} [style=dashed, color=gray50];",
                edge.from, edge.to
            )?;
        }
    }
    writeln!(out, "}}")
}

fn colour(origin: Origin) -> &'static str {
    match origin {
        Origin::Project => "#a6d854",
        Origin::Stdlib => "#e5e5e5",
        Origin::ThirdParty => "#fc8d62",
        Origin::Builtin => "#ffffff",
        Origin::Extension => "#8da0cb",
        Origin::Namespace => "#ffd92f",
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
