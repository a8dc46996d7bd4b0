//! `--format mermaid`: a flowchart of the first-loader tree, for Markdown that renders Mermaid
//! (GitHub, GitLab). Only tree edges: Mermaid becomes unreadable with every edge.

use std::io::{self, Write};

use super::GraphView;

pub fn render_mermaid(view: &GraphView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let path = view.cold_path;
    writeln!(out, "flowchart LR")?;
    for (i, module) in path.modules.iter().enumerate() {
        writeln!(
            out,
            "  m{i}[\"{} ({})\"]",
            module.name.replace('"', "#quot;"),
            module.origin.as_str()
        )?;
    }
    for (i, module) in path.modules.iter().enumerate() {
        if let Some(via) = &module.via {
            if let Some(parent) = path.index_of(&via.module) {
                writeln!(out, "  m{parent} -->|\"line {}\"| m{i}", via.line)?;
            }
        }
    }
    Ok(())
}
