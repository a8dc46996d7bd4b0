//! `fastpath blame`: for each cold-path module asked (by default the top costs), the chain of
//! statements that puts it on the cold path and, for each statement line, the commit, author,
//! date and summary that introduced it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use fastpath_graph::{ColdPath, Origin};
use fastpath_profile::runner::measure;
use fastpath_profile::stats::StoppingRule;
use fastpath_profile::Profile;
use serde::Serialize;

use crate::cli::{BlameArgs, Cli, TextOrJson};
use crate::commands::regression::{blame_lines, repository, runner, BlameLineOrReason};
use crate::commands::shared::project_settings;
use crate::commands::shared::{cold_path_of, entry_module, interpreter};
use crate::printer::Printer;
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
    let settings = project_settings(cli, None, args.measure.python.clone(), args.entry.is_none())?;
    if cli.show_settings {
        settings.show(&mut printer.stdout())?;
        return Ok(ExitStatus::Success);
    }
    let info = interpreter(&settings, printer, args.measure.no_cache)?;
    let entries = match &args.entry {
        Some(e) => vec![e.clone()],
        None => settings.entries.value.clone(),
    };
    let costs_from_file = args.profile.as_deref().map(read_costs).transpose()?;
    let repo = repository(&settings.root);
    let mut json = JsonBlame {
        schema: "fastpath.blame/1",
        git_unavailable: repo.as_ref().err().cloned(),
        shallow: repo.as_ref().is_ok_and(|r| r.shallow),
        entries: Vec::new(),
    };
    for entry in &entries {
        let (module, roots) = entry_module(entry, &settings, &settings.root)?;
        let path = cold_path_of(&module, &roots, info.as_ref())?;
        let costs: Option<BTreeMap<String, f64>> = if let Some(costs) = &costs_from_file {
            Some(costs.clone())
        } else if args.static_only || !args.modules.is_empty() {
            None
        } else if let Some(info) = &info {
            let mut config = runner(info, &settings.root, &module, args.measure.timeout);
            if let Some(n) = args.measure.runs.or(settings.runs) {
                config.stopping = StoppingRule::fixed(n.max(1) as usize);
            }
            printer.progress(format!("measuring `{module}` to find the top costs ..."));
            let m = measure(&config, &mut |_| {})
                .with_context(|| format!("measuring `{module}` failed"))?;
            let profile = Profile::from_measurement(&m);
            Some(
                profile
                    .modules
                    .iter()
                    .map(|m| (m.name.clone(), m.cumulative_us.median))
                    .collect(),
            )
        } else {
            printer.warn("no interpreter: modules are listed in load order, not by cost");
            None
        };
        let chosen = choose(
            &path,
            &args.modules,
            costs.as_ref(),
            args.top,
            &settings.root,
        )
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
                            .strip_prefix(&settings.root)
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

fn read_costs(path: &Path) -> Result<BTreeMap<String, f64>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--profile {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--profile {} is not JSON", path.display()))?;
    if json["schema"] != "fastpath.profile/1" {
        bail!(
            "--profile {}: not a `fastpath.profile/1` document",
            path.display()
        );
    }
    Ok(json["modules"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| {
                    Some((
                        m["name"].as_str()?.to_string(),
                        m["cumulative_us"]["median"].as_f64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default())
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
