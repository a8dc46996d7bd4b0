//! `fastpath usage`: usage evidence for hot-path exceptions. `--events DIR` replays events
//! through the handler in one fresh interpreter; `--logs FILE` aggregates the lines
//! `fastpath.runtime.track_usage` writes in production. Either way the result is
//! `fastpath.usage/1`, written to `.fastpath/usage.json` for FP008 and `update`.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use fastpath_graph::cold_path::absolute_module;
use fastpath_graph::Origin;
use fastpath_profile::usage::{
    read_logs, replay, usage_path, Kind, ReplayConfig, Tracked, UsageReport,
};
use fastpath_report::usage::{render_json, render_text};
use fastpath_scan::Context as SiteContext;

use crate::cli::{Cli, TextOrJson, UsageArgs};
use crate::printer::Printer;
use crate::project::{start_dir, Project};
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &UsageArgs, printer: &Printer) -> Result<ExitStatus> {
    let start = start_dir(args.project.path.as_deref())?;
    let project = Project::open(cli, &start, &[], printer)?;
    let report = match (&args.events, &args.logs) {
        (_, Some(logs)) => {
            let mut report = read_logs(&project.cwd.join(logs))?;
            report.input = logs.display().to_string();
            report
        }
        (Some(events), None) => replay_events(&project, args, &project.cwd.join(events), printer)?,
        (None, None) => bail!("pass --events DIR or --logs FILE"),
    };
    let mut out = printer.stdout();
    match args.format {
        TextOrJson::Text => render_text(&report, &mut out)?,
        TextOrJson::Json => render_json(&report, &mut out)?,
    }
    Printer::flush(out)?;
    if !args.no_write {
        let path = usage_path(project.root());
        report.write(&path)?;
        printer.progress(format!(
            "usage evidence written to {}",
            path.strip_prefix(project.root()).unwrap_or(&path).display()
        ));
    }
    Ok(ExitStatus::Success)
}

/// `pkg.mod:function` splits into the module and its function.
fn split_entry(entry: &str) -> (&str, Option<&str>) {
    match entry.split_once(':') {
        Some((module, function)) => (module, Some(function)),
        None => (entry, None),
    }
}

fn replay_events(
    project: &Project,
    args: &UsageArgs,
    events: &std::path::Path,
    printer: &Printer,
) -> Result<UsageReport> {
    let info = project.require_interpreter("usage --events")?;
    let configured = match (&args.entry, project.settings.entries.value.as_slice()) {
        (Some(e), _) => e.clone(),
        (None, [one]) => one.clone(),
        (None, []) => bail!("no entry: pass --entry ENTRY or set `entry` in [tool.fastpath]"),
        (None, many) => bail!(
            "several entries are configured ({}): pass one with --entry",
            many.join(", ")
        ),
    };
    let (module, function) = split_entry(&configured);
    let handler = match (&args.handler, function) {
        (Some(h), _) => h.clone(),
        (None, Some(f)) => f.to_string(),
        (None, None) => bail!(
            "no handler to call: pass --handler NAME (the function of `{module}` that serves a request), or give the entry as `{module}:function`"
        ),
    };
    let entry = project.entry(module, project.root())?;
    let (cold_path, sources) = project
        .cold_path(&entry)
        .with_context(|| format!("reading the cold path of `{}`", entry.module))?;

    // Tracked: the manifest's imports, the project's cold-path modules, and the modules project
    // code imports inside functions.
    let mut tracked: Vec<Tracked> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut add = |name: String, kind: Kind, tracked: &mut Vec<Tracked>| {
        if seen.insert(name.clone()) {
            tracked.push(Tracked { name, kind });
        }
    };
    if let Some(loaded) = project.manifest.read()? {
        for import in &loaded.manifest.imports {
            for item in &import.items {
                add(item.module.clone(), Kind::Manifest, &mut tracked);
            }
        }
    }
    let on_path: BTreeSet<&str> = cold_path.modules.iter().map(|m| m.name.as_str()).collect();
    for m in &cold_path.modules {
        if m.origin == Origin::Project
            && m.name != entry.module
            && m.name != project.manifest.module
        {
            add(m.name.clone(), Kind::ColdPath, &mut tracked);
        }
    }
    for m in cold_path
        .modules
        .iter()
        .filter(|m| m.origin == Origin::Project)
    {
        let Some(path) = &m.path else { continue };
        let scan = sources.scan(path, None);
        let is_package = path.file_name().is_some_and(|f| f == "__init__.py");
        let package = fastpath_graph::package_of(&m.name, is_package).to_owned();
        for site in scan
            .sites
            .iter()
            .filter(|s| s.context == SiteContext::Deferred)
        {
            if let Some(name) = absolute_module(site, &package) {
                if !on_path.contains(name.as_str()) {
                    add(name, Kind::Deferred, &mut tracked);
                }
            }
        }
    }

    let mut extra_env = Vec::new();
    if entry.roots.len() > 1 {
        let mut paths = entry.roots[1..].to_vec();
        if let Some(existing) = std::env::var_os("PYTHONPATH") {
            paths.extend(std::env::split_paths(&existing));
        }
        if let Ok(joined) = std::env::join_paths(paths) {
            extra_env.push((OsString::from("PYTHONPATH"), joined));
        }
    }
    let root = entry
        .roots
        .first()
        .cloned()
        .unwrap_or_else(|| project.root().to_path_buf());
    let config = ReplayConfig {
        python: info.executable.clone(),
        root,
        sys_path: entry.roots.clone(),
        entry: entry.module.clone(),
        handler,
        events_dir: events.to_path_buf(),
        tracked,
        timeout: Duration::from_secs_f64(args.timeout),
        extra_env,
    };
    printer.progress(format!(
        "replaying the events of {} through `{}.{}` ...",
        events.display(),
        config.entry,
        config.handler
    ));
    let mut report = replay(&config)?;
    // Shown relative to the working directory, as the user typed it.
    if let Some(given) = &args.events {
        report.input = given.display().to_string();
    }
    Ok(report)
}
