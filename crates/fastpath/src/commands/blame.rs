//! `fastpath blame`: for each cold-path module asked (by default the top costs), the chain of
//! statements that puts it on the cold path and, for each statement line, the commit, author,
//! date and summary that introduced it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use fastpath_graph::{ColdPath, Origin};
use fastpath_history::blame::{blame_lines, repository, BlameLineOrReason};
use serde::Serialize;

use crate::cli::{BlameArgs, Cli, TextOrJson};
use crate::measure;
use crate::printer::Printer;
use crate::project::{Entry, Project};
use crate::ExitStatus;

#[derive(Serialize)]
struct JsonBlame {
    schema: &'static str,
    /// What git could not tell, for every line (`null` when it could).
    git_unavailable: Option<String>,
    shallow: bool,
    entries: Vec<JsonEntry>,
}

#[derive(Serialize)]
struct JsonEntry {
    entry: String,
    modules: Vec<JsonModule>,
}

#[derive(Serialize)]
struct JsonModule {
    name: String,
    /// Measured cumulative cost (median), when measured.
    cumulative_us: Option<f64>,
    chain: Vec<JsonLink>,
}

#[derive(Serialize)]
struct JsonLink {
    module: String,
    file: PathBuf,
    line: u32,
    statement: String,
    /// `null` outside the repository or when git cannot tell (see `note`).
    blame: Option<fastpath_history::git::BlameLine>,
    note: Option<String>,
}

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
    let mut json = JsonBlame {
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
                        Some(BlameLineOrReason::Line(b)) => (Some(b.clone()), None),
                        Some(BlameLineOrReason::Reason(r)) => (None, Some(r.clone())),
                        None => (None, Some("outside the repository".to_string())),
                    };
                    JsonLink {
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
            modules.push(JsonModule {
                cumulative_us: costs.as_ref().and_then(|c| c.get(&name).copied()),
                name,
                chain,
            });
        }
        json.entries.push(JsonEntry {
            entry: module,
            modules,
        });
    }
    let mut out = printer.stdout();
    match args.format {
        TextOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        TextOrJson::Text => text(&mut out, &json)?,
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

fn text(out: &mut dyn Write, blame: &JsonBlame) -> std::io::Result<()> {
    if let Some(reason) = &blame.git_unavailable {
        writeln!(
            out,
            "who wrote these lines is unknown: {reason}; the chains follow"
        )?;
    } else if blame.shallow {
        writeln!(
            out,
            "note: this is a shallow clone; a line blamed on its oldest commit may be older (`git fetch --unshallow`)"
        )?;
    }
    for entry in &blame.entries {
        if entry.modules.is_empty() {
            writeln!(
                out,
                "`{}`: no module imported by project code on its cold path",
                entry.entry
            )?;
        }
        for module in &entry.modules {
            let cost = module
                .cumulative_us
                .map(|us| format!(" ({:.1} ms with what it imports)", us / 1000.0))
                .unwrap_or_default();
            writeln!(
                out,
                "`{}`{cost}, on the cold path of `{}` through:",
                module.name, entry.entry
            )?;
            for link in &module.chain {
                let place = format!("{}:{}", link.file.display(), link.line);
                let who = match (&link.blame, &link.note) {
                    (Some(b), _) if b.uncommitted => "not committed yet".to_string(),
                    (Some(b), _) => format!(
                        "{}{} {} <{}> {}  {}",
                        b.short(),
                        if b.boundary {
                            " (shallow boundary: may be older)"
                        } else {
                            ""
                        },
                        b.author,
                        b.email,
                        b.date,
                        b.summary
                    ),
                    (None, Some(note)) if blame.git_unavailable.is_some() => {
                        let _ = note;
                        String::new()
                    }
                    (None, Some(note)) => format!("({note})"),
                    (None, None) => String::new(),
                };
                writeln!(out, "  {place:<24} {:<28} {who}", link.statement)?;
            }
        }
    }
    Ok(())
}
