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
use crate::commands::shared::{
    cold_path_with_sources, entry_module, entry_name, interpreter, observed_imports,
    resolve_settings, with_big_stack,
};
use crate::printer::Printer;
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &GraphArgs, printer: &Printer) -> Result<ExitStatus> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let Some(settings) =
        resolve_settings(cli, &cwd, args.python.clone(), args.src.clone(), printer)?
    else {
        return Ok(ExitStatus::Success);
    };
    let info = interpreter(&settings, printer, args.no_cache)?;
    let target = info.as_ref().map(|i| i.target());

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
        let mut roots = settings.project_roots();
        // A tree that is itself on the interpreter's path (a site-packages) keeps its origin.
        if !info.as_ref().is_some_and(|i| i.sys_path.contains(&dir)) {
            roots.insert(0, dir.clone());
        }
        let resolver = Resolver::new(roots, info.as_ref());
        printer.progress(format!("scanning {} ...", dir.display()));
        let tree = with_big_stack(|| scan_tree(&dir, &resolver, target.as_ref()));
        let mut out = printer.stdout();
        match args.format {
            GraphFormat::Json => render_tree_json(&tree, &dir, info.as_ref(), &mut out)?,
            _ => render_tree_text(&tree, &mut out)?,
        }
        Printer::flush(out)?;
        return Ok(ExitStatus::Success);
    }

    let entry = entry_name(args.entry.as_deref(), &settings)?;
    let (module, roots) = entry_module(&entry, &settings, &cwd)?;
    // What `fastpath profile` saw at run time and no source shows joins as `observed` imports.
    let observed = observed_imports(&settings, info.as_ref(), printer);
    let (path, _) = cold_path_with_sources(&module, &roots, info.as_ref(), &observed)?;
    let view = GraphView {
        cold_path: &path,
        python: info.as_ref(),
        root: &settings.root,
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
