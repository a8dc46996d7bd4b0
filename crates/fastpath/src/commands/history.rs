//! `fastpath history`: the recorded cold start over commits, as a table (or JSON) and an SVG
//! chart of the cold start, the entry's imports and the top modules.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Context as _, Result};
use fastpath_history::lambda::StoredLambdaReport;
use fastpath_history::store::{history_path, Record, Store};
use fastpath_report::history::{columns, render_json, render_svg, render_table};

use crate::cli::{Cli, HistoryArgs, TextOrJson};
use crate::printer::Printer;
use crate::project::{settings, start_dir};
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &HistoryArgs, printer: &Printer) -> Result<ExitStatus> {
    // History needs no entry in the configuration: it reads what was recorded.
    let start = start_dir(args.project.path.as_deref())?;
    let settings = settings(cli, &start, &[])?;
    let path = history_path(&settings.root);
    let shown = path
        .strip_prefix(&settings.root)
        .unwrap_or(&path)
        .display()
        .to_string();
    if !path.exists() {
        bail!("no history yet: {shown} does not exist (run `fastpath record`)");
    }
    let mut store = Store::open(&path)?;
    let mut records = store.records(args.entry.as_deref())?;
    // Production cold starts stored by `record --lambda-report`, shown beside the local ones.
    let lambda_reports = store.lambda_reports(args.entry.as_deref())?;
    if records.is_empty() && !lambda_reports.is_empty() && args.svg.is_none() {
        let mut out = printer.stdout();
        match args.format {
            TextOrJson::Json => json_with_lambda(&records, &shown, &lambda_reports, &mut out)?,
            TextOrJson::Text => lambda_table(&mut out, &lambda_reports)?,
        }
        Printer::flush(out)?;
        return Ok(ExitStatus::Success);
    }
    if records.is_empty() {
        match &args.entry {
            Some(e) => bail!("{shown} has no record of the entry `{e}`"),
            None => bail!("{shown} has no records yet (run `fastpath record`)"),
        }
    }
    if let Some(limit) = args.limit {
        // The last N of each entry.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        records.reverse();
        records.retain(|r| {
            let n = seen.entry(r.entry.clone()).or_default();
            *n += 1;
            *n <= limit
        });
        records.reverse();
    }
    let mut by_entry: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in &records {
        by_entry.entry(&r.entry).or_default().push(r);
    }
    let mut out = printer.stdout();
    match args.format {
        TextOrJson::Json => json_with_lambda(&records, &shown, &lambda_reports, &mut out)?,
        TextOrJson::Text => {
            for (i, (entry, rows)) in by_entry.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                render_table(&mut out, entry, rows, &columns(rows, &args.modules), &shown)?;
            }
            if !lambda_reports.is_empty() {
                writeln!(out)?;
                lambda_table(&mut out, &lambda_reports)?;
            }
        }
    }
    if let Some(file) = &args.svg {
        let (entry, rows) = match (&args.entry, by_entry.len()) {
            (_, 1) | (Some(_), _) => by_entry.iter().next().expect("one entry"),
            _ => bail!(
                "--svg draws one entry; pick one with --entry ({})",
                by_entry.keys().copied().collect::<Vec<_>>().join(", ")
            ),
        };
        let modules = columns(rows, &args.modules);
        let text = render_svg(entry, rows, &modules);
        std::fs::write(file, text).with_context(|| format!("--svg {}", file.display()))?;
        printer.progress(format!("wrote {}", file.display()));
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// `fastpath.history/1` with the stored Lambda reports under `lambda_reports` (added only when
/// there are some, so the document of a history without them is unchanged).
fn json_with_lambda(
    records: &[Record],
    shown: &str,
    lambda_reports: &[StoredLambdaReport],
    out: &mut dyn Write,
) -> Result<()> {
    if lambda_reports.is_empty() {
        render_json(records, shown, out)?;
        return Ok(());
    }
    let mut buffer = Vec::new();
    render_json(records, shown, &mut buffer)?;
    let mut doc: serde_json::Value = serde_json::from_slice(&buffer)?;
    doc["lambda_reports"] = serde_json::to_value(lambda_reports)?;
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

/// The production cold starts beside the local ones: one row per stored Lambda report.
fn lambda_table(out: &mut dyn Write, reports: &[StoredLambdaReport]) -> Result<()> {
    writeln!(
        out,
        "Production cold starts (Lambda REPORT lines, `record --lambda-report`):"
    )?;
    writeln!(
        out,
        "{:<4} {:<10} {:<8} {:<20} {:>11} {:>11} {:>9} {:>9}",
        "#", "date", "commit", "entry", "invocations", "cold starts", "Init p50", "Init p99"
    )?;
    for r in reports {
        let init = r.report.init.as_ref();
        let entry: String = r.entry.chars().take(20).collect();
        writeln!(
            out,
            "{:<4} {:<10} {:<8} {:<20} {:>11} {:>11} {:>9} {:>9}",
            r.id,
            r.recorded_at.get(..10).unwrap_or(&r.recorded_at),
            r.commit.as_deref().map_or("-", |c| &c[..c.len().min(7)]),
            entry,
            r.report.invocations,
            r.report.cold_starts,
            init.map_or_else(|| "-".into(), |p| format!("{:.0} ms", p.p50_ms)),
            init.map_or_else(|| "-".into(), |p| format!("{:.0} ms", p.p99_ms)),
        )?;
    }
    Ok(())
}
