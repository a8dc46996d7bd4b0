//! `--format text`: the cold path as a tree, each module under the module whose statement first
//! loads it, with that statement's `file:line` (an `observed` import, seen only at run time by
//! `fastpath profile`, has no line); then counts, unresolved imports and problems.

use std::collections::BTreeMap;
use std::io::{self, Write};

use fastpath_graph::tree::Tree;
use fastpath_graph::Origin;
use fastpath_scan::Context;

use super::GraphView;
use crate::paths::display_path;

pub fn render_text(view: &GraphView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let path = view.cold_path;
    let python = view.python.map_or_else(
        || "no interpreter".to_string(),
        |p| format!("Python {} at {}", p.version, p.executable.display()),
    );
    writeln!(
        out,
        "Cold path of `{}` ({python}): {} modules",
        path.entry,
        path.modules.len()
    )?;

    // Children of each module, in load order.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); path.modules.len()];
    let index: BTreeMap<&str, usize> = path
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    let mut roots = Vec::new();
    for (i, module) in path.modules.iter().enumerate() {
        match module
            .via
            .as_ref()
            .and_then(|v| index.get(v.module.as_str()))
        {
            Some(&parent) if parent != i => children[parent].push(i),
            _ => roots.push(i),
        }
    }
    // Depth-first with an explicit stack: cold paths can be thousands of modules deep.
    let mut stack: Vec<(usize, String, bool)> = roots
        .iter()
        .rev()
        .map(|&r| (r, String::new(), true))
        .collect();
    let mut first = true;
    while let Some((i, prefix, last)) = stack.pop() {
        let module = &path.modules[i];
        let branch = if first {
            ""
        } else if last {
            "└─ "
        } else {
            "├─ "
        };
        let location = match &module.via {
            // No statement shows an observed import: name the importer's file only.
            Some(via) if via.context == Context::Observed => format!(
                "{} (observed at run time)",
                display_path(&via.path, view.root).display()
            ),
            // Reached through calls made at import time: name the call and the callee's import.
            Some(via) if via.call.is_some() => format!(
                "{}:{} {}",
                display_path(&via.path, view.root).display(),
                via.line,
                via.statement
            ),
            Some(via) => format!(
                "{}:{}",
                display_path(&via.path, view.root).display(),
                via.line
            ),
            None => module
                .path
                .as_deref()
                .map(|p| display_path(p, view.root).display().to_string())
                .unwrap_or_default(),
        };
        writeln!(
            out,
            "{prefix}{branch}{} ({})  {location}",
            module.name,
            module.origin.as_str()
        )?;
        let child_prefix = if first {
            String::new()
        } else {
            format!("{prefix}{}", if last { "   " } else { "│  " })
        };
        first = false;
        let kids = &children[i];
        for (k, &child) in kids.iter().enumerate().rev() {
            stack.push((child, child_prefix.clone(), k + 1 == kids.len()));
        }
    }

    writeln!(out)?;
    let mut counts: BTreeMap<Origin, usize> = BTreeMap::new();
    for module in &path.modules {
        *counts.entry(module.origin).or_default() += 1;
    }
    let counts: Vec<String> = counts
        .iter()
        .map(|(origin, n)| format!("{n} {}", origin.as_str()))
        .collect();
    writeln!(out, "{} modules: {}", path.modules.len(), counts.join(", "))?;
    if !path.preloaded.is_empty() {
        writeln!(
            out,
            "{} more already loaded at interpreter start-up (free): {}",
            path.preloaded.len(),
            path.preloaded.join(", ")
        )?;
    }
    if !path.unresolved.is_empty() {
        writeln!(out, "\nUnresolved imports ({}):", path.unresolved.len())?;
        for u in &path.unresolved {
            let optional = if u.optional {
                " (optional: inside try/except ImportError)"
            } else {
                ""
            };
            writeln!(
                out,
                "  {}{optional}  {}:{}: {}",
                u.name,
                display_path(&u.via.path, view.root).display(),
                u.via.line,
                u.via.statement
            )?;
        }
    }
    if !path.problems.is_empty() {
        writeln!(out, "\nProblems ({}):", path.problems.len())?;
        for p in &path.problems {
            writeln!(
                out,
                "  {}:{}:{}: {}: {}",
                display_path(&p.path, view.root).display(),
                p.problem.line,
                p.problem.column,
                p.problem.kind.as_str(),
                p.problem.message
            )?;
        }
    }
    Ok(())
}

/// `--all --format text`: one line per file with its site counts by context.
pub fn render_tree_text(tree: &Tree, out: &mut dyn Write) -> io::Result<()> {
    let mut sites = 0;
    for file in &tree.files {
        let mut by_context: BTreeMap<&str, usize> = BTreeMap::new();
        for site in &file.sites {
            *by_context.entry(site.site.context.as_str()).or_default() += 1;
        }
        sites += file.sites.len();
        let counts: Vec<String> = by_context.iter().map(|(c, n)| format!("{n} {c}")).collect();
        let module = file.module.as_deref().unwrap_or("-");
        writeln!(
            out,
            "{}  {module}  {}",
            file.path.display(),
            counts.join(", ")
        )?;
        for problem in &file.problems {
            writeln!(
                out,
                "  {}:{}:{}: {}: {}",
                file.path.display(),
                problem.line,
                problem.column,
                problem.kind.as_str(),
                problem.message
            )?;
        }
    }
    writeln!(
        out,
        "\n{} files, {} import sites, {:.1} MB",
        tree.files.len(),
        sites,
        tree.bytes as f64 / 1e6
    )
}
