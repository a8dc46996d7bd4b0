//! `fastpath graph` output: the cold path of one entry in four formats, and the whole-tree view.

mod dot;
mod json;
mod mermaid;
mod text;

use std::path::Path;

use fastpath_graph::{ColdPath, InterpreterInfo};

pub use dot::render_dot;
pub use json::{render_json, render_tree_json};
pub use mermaid::render_mermaid;
pub use text::{render_text, render_tree_text};

/// Everything a graph renderer shows.
pub struct GraphView<'a> {
    pub cold_path: &'a ColdPath,
    pub python: Option<&'a InterpreterInfo>,
    /// Paths under this directory are shown relative to it.
    pub root: &'a Path,
}
