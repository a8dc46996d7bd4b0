//! `fastpath lambda-report FILE`: production cold starts from an exported Lambda log, beside
//! the local measurement of the entry (a saved profile, else the latest `fastpath record`).
//! Runs no project code and writes nothing.

use anyhow::{anyhow, Result};
use fastpath_history::lambda::{read, LambdaReport, Local};
use fastpath_history::store::{history_path, Store};
use fastpath_profile::saved::SavedProfile;
use fastpath_report::lambda::{render_json, render_text};

use crate::cli::{Cli, LambdaReportArgs, TextOrJson};
use crate::printer::Printer;
use crate::project::{settings, start_dir};
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &LambdaReportArgs, printer: &Printer) -> Result<ExitStatus> {
    let start = start_dir(args.project.path.as_deref())?;
    // Settings only: this command never asks the interpreter or runs the entry.
    let settings = settings(cli, &start, &[])?;
    let cwd = std::env::current_dir()?;
    let invocations = read(&cwd.join(&args.file))?;
    let mut report = LambdaReport::new(&args.file.display().to_string(), &invocations);
    report.local = match &args.profile {
        Some(path) => {
            let saved =
                SavedProfile::read(&cwd.join(path)).map_err(|e| anyhow!("--profile {e}"))?;
            Some(Local {
                entry: saved.entry.clone(),
                python: saved
                    .interpreter
                    .as_ref()
                    .map_or_else(|| "?".to_string(), |i| i.version.clone()),
                imports_ms: saved.total_us.median / 1000.0,
                cold_start_ms: saved.process_wall_us.median / 1000.0,
                source: "profile".to_string(),
            })
        }
        None => latest_record(&settings.root, settings.entries.value.first(), printer),
    };
    let mut out = printer.stdout();
    match args.format {
        TextOrJson::Text => render_text(&report, &mut out)?,
        TextOrJson::Json => render_json(&report, &mut out)?,
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// The latest recorded local cold start of the entry, when the history has one (the history
/// is only read: a missing database is not created).
fn latest_record(
    root: &std::path::Path,
    entry: Option<&String>,
    printer: &Printer,
) -> Option<Local> {
    let path = history_path(root);
    if !path.is_file() {
        return None;
    }
    let records = match Store::open(&path).and_then(|s| s.records(entry.map(String::as_str))) {
        Ok(records) => records,
        Err(e) => {
            printer.warn(format!("no local figure from the history: {e}"));
            return None;
        }
    };
    let last = records.last()?;
    Some(Local {
        entry: last.entry.clone(),
        python: last.environment.python_version.clone(),
        imports_ms: last.imports_us / 1000.0,
        cold_start_ms: last.cold_start_us / 1000.0,
        source: format!(
            "history #{}{}",
            last.id,
            last.commit
                .as_deref()
                .map(|c| format!(" at {}", &c[..c.len().min(7)]))
                .unwrap_or_default()
        ),
    })
}
