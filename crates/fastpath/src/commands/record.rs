//! `fastpath record`: measures each entry and appends the result, with the commit, branch,
//! date and environment, to the history database (`.fastpath/history.db`).

use std::io::Write;

use anyhow::Result;
use fastpath_history::blame::repository;
use fastpath_history::clock;
use fastpath_history::environment::Environment;
use fastpath_history::lambda::LambdaReport;
use fastpath_history::store::{history_path, Record, RecordedModule, Store};
use fastpath_profile::saved::SavedProfile;

use crate::cli::{Cli, RecordArgs};
use crate::measure;
use crate::printer::Printer;
use crate::project::{start_dir, Project};
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &RecordArgs, printer: &Printer) -> Result<ExitStatus> {
    let start = start_dir(args.project.path.as_deref())?;
    let project = Project::open(cli, &start, &[], printer)?;
    let root = project.root();
    let (commit, branch, dirty) = match repository(root) {
        Ok(repo) => match repo.head()? {
            Some(head) => (Some(head.commit), head.branch, head.dirty),
            None => (None, None, false),
        },
        Err(reason) => {
            printer.warn(format!("recording without a commit: {reason}"));
            (None, None, false)
        }
    };
    let recorded_at = clock::utc_timestamp(clock::now_or_today()?);
    if let Some(file) = &args.lambda_report {
        return record_lambda(&project, file, commit.as_deref(), &recorded_at, printer);
    }
    let mut records = Vec::new();
    // A saved profile names its entry; measuring needs the configured ones.
    if let Some(saved) = measure::saved(&args.measure)? {
        records.push(record(&saved));
    } else {
        let entries = project.entries("record")?;
        let info = project.require_interpreter("recording")?;
        for entry in &entries {
            let profile = measure::fresh(&project, info, entry, &args.measure.run, printer)?;
            records.push(record(&SavedProfile::of(&profile)));
        }
    }
    let path = history_path(root);
    let mut store = Store::open(&path)?;
    let mut out = printer.stdout();
    for mut r in records {
        r.commit.clone_from(&commit);
        r.branch.clone_from(&branch);
        r.dirty = dirty;
        r.recorded_at.clone_from(&recorded_at);
        let id = store.append(&r)?;
        let at = match (&r.commit, &r.branch) {
            (Some(c), Some(b)) => format!(" at {} ({b})", &c[..7.min(c.len())]),
            (Some(c), None) => format!(" at {}", &c[..7.min(c.len())]),
            _ => String::new(),
        };
        writeln!(
            out,
            "recorded #{id}: `{}` imports in {:.1} ms, cold start {:.1} ms{at}{}{} -> {}",
            r.entry,
            r.imports_us / 1000.0,
            r.cold_start_us / 1000.0,
            if r.dirty {
                " with uncommitted changes"
            } else {
                ""
            },
            if r.contended {
                " (contended: other processes slowed the runs; the figures may read high)"
            } else {
                ""
            },
            path.strip_prefix(root).unwrap_or(&path).display()
        )?;
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// `record --lambda-report FILE`: the production figures of a Lambda log export, with the
/// commit, under the configured entry (`history` shows them beside the local ones).
fn record_lambda(
    project: &Project,
    file: &std::path::Path,
    commit: Option<&str>,
    recorded_at: &str,
    printer: &Printer,
) -> Result<ExitStatus> {
    let root = project.root();
    let invocations = fastpath_history::lambda::read(&project.cwd.join(file))?;
    let report = LambdaReport::new(&file.display().to_string(), &invocations);
    let entry = project
        .settings
        .entries
        .value
        .first()
        .cloned()
        .unwrap_or_else(|| "lambda".to_string());
    let path = history_path(root);
    let mut store = Store::open(&path)?;
    let id = store.append_lambda_report(&entry, commit, recorded_at, &report)?;
    let mut out = printer.stdout();
    writeln!(
        out,
        "recorded lambda report #{id}: `{entry}` {} invocations, {} cold starts{}{} -> {}",
        report.invocations,
        report.cold_starts,
        report
            .init
            .as_ref()
            .map(|p| format!(
                ", Init Duration p50 {:.0} ms, p99 {:.0} ms",
                p.p50_ms, p.p99_ms
            ))
            .unwrap_or_default(),
        commit
            .map(|c| format!(" at {}", &c[..7.min(c.len())]))
            .unwrap_or_default(),
        path.strip_prefix(root).unwrap_or(&path).display()
    )?;
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// A record of a profile's medians (commit, branch and date are filled in later).
fn record(profile: &SavedProfile) -> Record {
    let environment = match &profile.interpreter {
        Some(i) => Environment::current(&i.version, &i.implementation, &i.executable),
        None => Environment::current("unknown", "cpython", ""),
    };
    Record {
        id: 0,
        commit: None,
        branch: None,
        dirty: false,
        recorded_at: String::new(),
        entry: profile.entry.clone(),
        environment,
        runs: profile.runs,
        imports_us: profile.total_us.median,
        cold_start_us: profile.process_wall_us.median,
        contended: profile.contention.as_ref().is_some_and(|c| c.contended),
        modules: profile
            .modules
            .iter()
            .map(|m| RecordedModule {
                module: m.name.clone(),
                self_us: m.self_us.median,
                cumulative_us: m.cumulative_us.median,
            })
            .collect(),
    }
}
