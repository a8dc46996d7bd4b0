//! `fastpath history`: the recorded cold start over commits, as a table (or JSON) and an SVG
//! chart of the cold start, the entry's imports and the top modules.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Context as _, Result};
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
        TextOrJson::Json => render_json(&records, &shown, &mut out)?,
        TextOrJson::Text => {
            for (i, (entry, rows)) in by_entry.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                render_table(&mut out, entry, rows, &columns(rows, &args.modules), &shown)?;
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
