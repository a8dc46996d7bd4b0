//! `fastpath blame`: for each cold-path module asked (by default the top costs), the chain of
//! statements that puts it on the cold path and, for each statement line, the commit, author,
//! date and summary that introduced it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use fastpath_graph::{ColdPath, Origin};
use fastpath_history::blame::{blame_lines, repository, BlameLineOrReason};
use fastpath_report::blame::{
    render_json, render_text, BlameEntry, BlameLink, BlameModule, BlameReport,
};
use fastpath_scan::Context as SiteContext;

use crate::cli::{BlameArgs, Cli, TextOrJson};
use crate::measure;
use crate::printer::Printer;
use crate::project::{Entry, Project};
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &BlameArgs, printer: &Printer) -> Result<ExitStatus> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let project = Project::open(cli, &cwd, &[], printer)?;
    let root = project.root();
    let entries: Vec<Entry> = match &args.entry {
        Some(e) => vec![project.entry(e, root)?],
        None => project.entries("blame")?,
    };
    let saved = measure::saved(&args.measure)?;
    let repo = repository(root);
    let mut json = BlameReport {
        schema: "fastpath.blame/1",
        git_unavailable: repo.as_ref().err().cloned(),
        shallow: repo.as_ref().is_ok_and(|r| r.shallow),
        entries: Vec::new(),
    };
    for entry in &entries {
        let module = entry.module.clone();
        let (path, _) = project.cold_path(entry)?;
        // Costs choose the top modules; named modules need none.
        let figures = measure::figures(
            &project,
            entry,
            saved.as_ref(),
            &args.measure.run,
            args.static_only || (saved.is_none() && !args.modules.is_empty()),
            "modules are listed in load order, not by cost",
            printer,
        )?
        .figures();
        let costs: Option<BTreeMap<String, f64>> = figures.map(|f| {
            f.modules
                .iter()
                .map(|m| (m.name.clone(), m.cumulative_us.median))
                .collect()
        });
        let chosen = choose(&path, &args.modules, costs.as_ref(), args.top, root)
            .with_context(|| format!("entry `{module}`"))?;
        let lines = chosen.iter().flat_map(|&i| {
            path.chain(i)
                .into_iter()
                // An import observed at run time has no line to blame.
                .filter(|via| via.context != SiteContext::Observed)
                .map(|via| (via.path.clone(), via.line))
                .collect::<Vec<_>>()
        });
        let blamed = blame_lines(&repo, lines);
        let mut modules = Vec::new();
        for index in chosen {
            let name = path.modules[index].name.clone();
            let chain = path
                .chain(index)
                .into_iter()
                .map(|via| {
                    let answer = blamed.get(&(via.path.clone(), via.line));
                    let (blame, note) = match answer {
                        _ if via.context == SiteContext::Observed => (
                            None,
                            Some(
                                "imported at run time (observed by `fastpath profile`): no statement to blame"
                                    .to_string(),
                            ),
                        ),
                        Some(BlameLineOrReason::Line(b)) => (Some(b.clone()), None),
                        Some(BlameLineOrReason::Reason(r)) => (None, Some(r.clone())),
                        None => (None, Some("outside the repository".to_string())),
                    };
                    BlameLink {
                        module: via.module.clone(),
                        file: via
                            .path
                            .strip_prefix(root)
                            .unwrap_or(&via.path)
                            .to_path_buf(),
                        line: via.line,
                        statement: via.statement.clone(),
                        blame,
                        note,
                    }
                })
                .collect();
            modules.push(BlameModule {
                cumulative_us: costs.as_ref().and_then(|c| c.get(&name).copied()),
                name,
                chain,
            });
        }
        json.entries.push(BlameEntry {
            entry: module,
            modules,
        });
    }
    let mut out = printer.stdout();
    match args.format {
        TextOrJson::Json => render_json(&json, &mut out)?,
        TextOrJson::Text => render_text(&json, &mut out)?,
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// The modules to explain: those named (each must be on the cold path), else the `top` costliest
/// modules whose importing statement is project code (most expensive first; in load order
/// without costs). The entry itself has no statement and is never chosen.
fn choose(
    path: &ColdPath,
    asked: &[String],
    costs: Option<&BTreeMap<String, f64>>,
    top: usize,
    root: &Path,
) -> Result<Vec<usize>> {
    if !asked.is_empty() {
        return asked
            .iter()
            .map(|name| match path.index_of(name) {
                Some(0) => bail!("`{name}` is the entry itself: nothing imports it"),
                Some(i) => Ok(i),
                None => bail!(
                    "`{name}` is not on the cold path of `{}` (`fastpath graph` shows it)",
                    path.entry
                ),
            })
            .collect();
    }
    let mut candidates: Vec<usize> = path
        .modules
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, m)| {
            m.via.as_ref().is_some_and(|via| {
                via.path.starts_with(root)
                    && path
                        .index_of(&via.module)
                        .is_some_and(|i| path.modules[i].origin == Origin::Project)
            })
        })
        .map(|(i, _)| i)
        .collect();
    if let Some(costs) = costs {
        let cost = |i: &usize| costs.get(&path.modules[*i].name).copied().unwrap_or(0.0);
        candidates.sort_by(|a, b| cost(b).total_cmp(&cost(a)).then(a.cmp(b)));
    }
    candidates.truncate(top);
    Ok(candidates)
}
