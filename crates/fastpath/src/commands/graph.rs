//! `fastpath graph`: the static cold path of one entry, or every import site under a directory.
//! The cold path includes the imports `fastpath profile` observed at run time for the same
//! interpreter (`.fastpath/observed.json`), marked `observed`; no project code runs here.

use anyhow::{bail, Context as _, Result};
use fastpath_graph::tree::scan_tree;
use fastpath_graph::Resolver;
use fastpath_report::graph::{
    render_dot, render_json, render_mermaid, render_text, render_tree_json, render_tree_text,
    GraphView,
};

use crate::cli::{Cli, GraphArgs, GraphFormat};
use crate::printer::Printer;
use crate::project::{with_big_stack, Project};
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &GraphArgs, printer: &Printer) -> Result<ExitStatus> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let project = Project::open(cli, &cwd, &args.src, printer)?;
    let info = project.info.as_ref();
    let target = info.map(|i| i.target());

    if let Some(dir) = &args.all {
        if matches!(args.format, GraphFormat::Dot | GraphFormat::Mermaid) {
            bail!("--all supports --format text or json");
        }
        let dir = cwd.join(dir);
        if !dir.is_dir() {
            bail!("--all {}: not a directory", dir.display());
        }
        let dir = dir
            .canonicalize()
            .with_context(|| format!("--all {}", dir.display()))?;
        let mut roots = project.roots();
        // A tree that is itself on the interpreter's path (a site-packages) keeps its origin.
        if !info.is_some_and(|i| i.sys_path.contains(&dir)) {
            roots.insert(0, dir.clone());
        }
        let resolver = Resolver::new(roots, info);
        printer.progress(format!("scanning {} ...", dir.display()));
        let tree = with_big_stack(|| scan_tree(&dir, &resolver, target.as_ref()));
        let mut out = printer.stdout();
        match args.format {
            GraphFormat::Json => render_tree_json(&tree, &dir, info, &mut out)?,
            _ => render_tree_text(&tree, &mut out)?,
        }
        Printer::flush(out)?;
        return Ok(ExitStatus::Success);
    }

    let entry = project.given_entry(args.entry.as_deref())?;
    // What `fastpath profile` saw at run time and no source shows joins as `observed` imports.
    let (path, _) = project.cold_path(&entry)?;
    let view = GraphView {
        cold_path: &path,
        python: info,
        root: project.root(),
    };
    let mut out = printer.stdout();
    match args.format {
        GraphFormat::Text => render_text(&view, &mut out)?,
        GraphFormat::Json => render_json(&view, &mut out)?,
        GraphFormat::Dot => render_dot(&view, &mut out)?,
        GraphFormat::Mermaid => render_mermaid(&view, &mut out)?,
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}
