//! `fastpath history`: the recorded cold start over commits, as a table (or JSON) and an SVG
//! chart of the cold start, the entry's imports and the top modules.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Context as _, Result};
use fastpath_history::chart::{svg, Line};
use fastpath_history::store::{history_path, Record, Store};
use serde::Serialize;

use crate::cli::{Cli, HistoryArgs, TextOrJson};
use crate::printer::Printer;
use crate::project::{settings, start_dir};
use crate::ExitStatus;

#[derive(Serialize)]
struct JsonHistory<'a> {
    schema: &'static str,
    database: String,
    records: Vec<&'a Record>,
}

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
    let store = Store::open(&path)?;
    let mut records = store.records(args.entry.as_deref())?;
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
        TextOrJson::Json => {
            let json = JsonHistory {
                schema: "fastpath.history/1",
                database: shown.clone(),
                records: records.iter().collect(),
            };
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        TextOrJson::Text => {
            for (i, (entry, rows)) in by_entry.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                table(&mut out, entry, rows, &columns(rows, &args.modules), &shown)?;
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
        let labels: Vec<String> = rows.iter().map(|r| label(r)).collect();
        let mut lines = vec![
            Line {
                name: "cold start".into(),
                values: rows
                    .iter()
                    .map(|r| Some(r.cold_start_us / 1000.0))
                    .collect(),
            },
            Line {
                name: format!("imports of {entry}"),
                values: rows.iter().map(|r| Some(r.imports_us / 1000.0)).collect(),
            },
        ];
        for m in &modules {
            lines.push(Line {
                name: m.clone(),
                values: rows
                    .iter()
                    .map(|r| cost(r, m).map(|us| us / 1000.0))
                    .collect(),
            });
        }
        let text = svg(
            &format!("`{entry}`: cold start over the recorded history"),
            &labels,
            &lines,
        );
        std::fs::write(file, text).with_context(|| format!("--svg {}", file.display()))?;
        printer.progress(format!("wrote {}", file.display()));
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// The modules to show: those asked for, else the three costliest of the latest record (the
/// entry itself left out: it is the imports column).
fn columns(rows: &[&Record], asked: &[String]) -> Vec<String> {
    if !asked.is_empty() {
        return asked.to_vec();
    }
    let Some(last) = rows.last() else {
        return Vec::new();
    };
    let mut costs: Vec<(&str, f64)> = last
        .modules
        .iter()
        .filter(|m| m.module != last.entry)
        .map(|m| (m.module.as_str(), m.cumulative_us))
        .collect();
    costs.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    costs
        .into_iter()
        .take(3)
        .map(|(name, _)| name.to_string())
        .collect()
}

fn cost(record: &Record, module: &str) -> Option<f64> {
    record
        .modules
        .iter()
        .find(|m| m.module == module)
        .map(|m| m.cumulative_us)
}

fn label(r: &Record) -> String {
    match &r.commit {
        Some(c) => format!("{}{}", &c[..7.min(c.len())], if r.dirty { "+" } else { "" }),
        None => format!("#{}", r.id),
    }
}

fn table(
    out: &mut dyn Write,
    entry: &str,
    rows: &[&Record],
    modules: &[String],
    database: &str,
) -> std::io::Result<()> {
    let s = if rows.len() == 1 { "" } else { "s" };
    writeln!(
        out,
        "History of `{entry}` in {database}: {} record{s}",
        rows.len()
    )?;
    let mut header = format!(
        "{:>4}  {:<16}  {:<8}  {:<12}  {:>10}  {:>9}  {:>9}",
        "#", "recorded (UTC)", "commit", "branch", "cold start", "imports", "change"
    );
    for m in modules {
        header.push_str(&format!("  {:>10}", truncate(m, 18)));
    }
    writeln!(out, "{}", header.trim_end())?;
    let mut previous: Option<f64> = None;
    for r in rows {
        let when = r.recorded_at.replace('T', " ");
        let when = when.get(..16).unwrap_or(&when);
        let change = previous.map_or_else(String::new, |p| {
            format!("{:+.1} ms", (r.imports_us - p) / 1000.0)
        });
        let mut line = format!(
            "{:>4}  {:<16}  {:<8}  {:<12}  {:>7.1} ms  {:>6.1} ms  {:>9}",
            r.id,
            when,
            label(r),
            truncate(r.branch.as_deref().unwrap_or("-"), 12),
            r.cold_start_us / 1000.0,
            r.imports_us / 1000.0,
            change
        );
        for m in modules {
            line.push_str(&match cost(r, m) {
                Some(us) => format!("  {:>7.1} ms", us / 1000.0),
                None => format!("  {:>10}", "-"),
            });
        }
        writeln!(out, "{}", line.trim_end())?;
        previous = Some(r.imports_us);
    }
    if !modules.is_empty() {
        writeln!(
            out,
            "modules: cumulative cost (what importing them adds), median of each record's runs"
        )?;
    }
    Ok(())
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}
