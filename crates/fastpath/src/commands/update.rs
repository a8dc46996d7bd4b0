//! `fastpath update`: the seed's monthly review in one command. Re-profiles the entries,
//! rewrites each import's cost annotation and `PROFILED` date and the docstring's `Last
//! profiled` date, and appends one HISTORY line, through `fastpath_manifest`'s editor so that
//! every other byte stays as it was.
//!
//! Two rules keep it idempotent and quiet: a cost is rewritten (with the median) only when the
//! written value is outside the range measured today (the fastest to the slowest run, widened by
//! [`NOISE_MS`]), so run-to-run noise does not churn the file; and a HISTORY line is added only
//! when a cost changed or no line is dated today. A second run on the same day therefore
//! changes nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use fastpath_fix::{unified_diff, SourceFile};
use fastpath_graph::InterpreterInfo;
use fastpath_manifest::{
    format_ms, read_file, write_atomic, FileError, ImportForm, Manifest, ManifestImport,
};

use crate::cli::{Cli, UpdateArgs};
use crate::commands::check::{read_profile, today};
use crate::commands::shared::start_dir;
use crate::commands::shared::{entry_module, interpreter, measure_profile, resolve_settings};
use crate::printer::Printer;
use crate::settings::Settings;
use crate::ExitStatus;

/// A documented cost within this many milliseconds of the measured range is kept as written.
const NOISE_MS: f64 = 0.5;

/// One module's cumulative import time over the measured runs, microseconds.
#[derive(Debug, Clone, Copy, Default)]
struct Range {
    median: f64,
    min: f64,
    max: f64,
}

pub fn run(cli: &Cli, args: &UpdateArgs, printer: &Printer) -> Result<ExitStatus> {
    let start = start_dir(args.path.as_deref())?;
    let Some(settings) = resolve_settings(cli, &start, args.python.clone(), Vec::new(), printer)?
    else {
        return Ok(ExitStatus::Success);
    };
    let path = settings.manifest.value.clone();
    let (bytes, stamp) = match read_file(&path) {
        Ok(read) => read,
        Err(FileError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "no manifest at {}: run `fastpath init` to write one",
                path.display()
            )
        }
        Err(error) => return Err(error.into()),
    };
    let (manifest, problems) = Manifest::parse(&bytes);
    for problem in &problems {
        printer.warn(format!(
            "{}:{}: {} (left as written)",
            display(&path, &settings),
            problem.span.line,
            problem.message
        ));
    }
    let today = today()?;
    let info = interpreter(&settings, printer, args.no_cache)?;
    let mut measured = measure(&settings, args, info.as_ref(), printer)?;
    // A module loaded at interpreter start-up costs the entry nothing: it is never in a
    // measurement of the entry.
    if let Some(info) = &info {
        for module in &info.preloaded {
            measured.entry(module.clone()).or_default();
        }
    }

    let mut edit = manifest.edit();
    let mut changes: Vec<String> = Vec::new();
    let mut total_ms = 0.0;
    let mut count = 0usize;
    for import in &manifest.imports {
        count += import.items.len();
        let Some(key) = import.items.first().map(|i| i.module.clone()) else {
            continue;
        };
        let written = import
            .annotation
            .as_ref()
            .and_then(|a| a.cost.as_ref())
            .map(|c| c.ms);
        let Some(range) = cost_of(import, &measured) else {
            printer.warn(format!(
                "`{}` is not in the measurement (loaded at interpreter start-up, or not imported); its cost is left as written",
                shown(import)
            ));
            total_ms += written.unwrap_or(0.0);
            continue;
        };
        let ms = range.median / 1000.0;
        let rewrite = match written {
            None => true,
            Some(old) => {
                let inside =
                    range.min / 1000.0 - NOISE_MS <= old && old <= range.max / 1000.0 + NOISE_MS;
                format_ms(old) != format_ms(ms) && !inside
            }
        };
        if rewrite {
            edit.set_cost(&key, ms)?;
            changes.push(match written {
                Some(old) => format!("{} {} -> {}", shown(import), format_ms(old), format_ms(ms)),
                None => format!("{} {}", shown(import), format_ms(ms)),
            });
            total_ms += ms;
        } else {
            total_ms += written.unwrap_or(ms);
        }
        if import
            .annotation
            .as_ref()
            .is_some_and(|a| a.profiled.is_some())
        {
            edit.set_profiled(&key, today)?;
        }
    }
    edit.set_last_profiled(today);
    let dated_today = manifest
        .history
        .as_ref()
        .is_some_and(|h| h.entries.iter().any(|e| e.date == today));
    let summary = format!(
        "{count} import{}, {} total",
        if count == 1 { "" } else { "s" },
        format_ms(total_ms)
    );
    let history = if changes.is_empty() {
        format!("Re-profiled, no cost changed; {summary}")
    } else {
        format!("Re-profiled: {}; {summary}", changes.join(", "))
    };
    if !changes.is_empty() || !dated_today {
        edit.append_history(today, &history)?;
    }
    let new = edit.finish()?;

    let shown_path = display(&path, &settings);
    let mut out = printer.stdout();
    use std::io::Write as _;
    if new == bytes {
        writeln!(
            out,
            "{shown_path} is up to date (reviewed {today}): nothing to change."
        )?;
        Printer::flush(out)?;
        return Ok(ExitStatus::Success);
    }
    if args.diff {
        let old_text = SourceFile::new(&bytes);
        let new_text = SourceFile::new(&new);
        out.write_all(
            unified_diff(Some(old_text.text()), new_text.text(), &shown_path).as_bytes(),
        )?;
        Printer::flush(out)?;
        return Ok(ExitStatus::Success);
    }
    write_atomic(&path, &new, Some(&stamp))?;
    if changes.is_empty() {
        writeln!(
            out,
            "Updated {shown_path}: no cost moved beyond noise; dates set to {today}."
        )?;
    } else {
        writeln!(
            out,
            "Updated {shown_path}: {} cost{} rewritten ({}); dates set to {today}.",
            changes.len(),
            if changes.len() == 1 { "" } else { "s" },
            changes.join(", ")
        )?;
    }
    if !changes.is_empty() || !dated_today {
        writeln!(out, "HISTORY: # {today}: {history}")?;
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

fn display(path: &std::path::Path, settings: &Settings) -> String {
    path.strip_prefix(&settings.root)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

/// How the import reads in messages: its bound names.
fn shown(import: &ManifestImport) -> String {
    import
        .items
        .iter()
        .map(|i| i.bound.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Measured ranges of every entry (a module measured under several entries keeps the first).
fn measure(
    settings: &Settings,
    args: &UpdateArgs,
    info: Option<&InterpreterInfo>,
    printer: &Printer,
) -> Result<BTreeMap<String, Range>> {
    if let Some(profile) = &args.profile {
        return read_ranges(profile);
    }
    let Some(info) = info else {
        bail!("no Python interpreter to measure with: pass --python PATH (or --profile FILE)");
    };
    if settings.entries.value.is_empty() {
        bail!(
            "no entry to measure: set `entry` in [tool.fastpath] of {}",
            settings.root.join("pyproject.toml").display()
        );
    }
    let mut ranges: BTreeMap<String, Range> = BTreeMap::new();
    for entry in &settings.entries.value {
        let (module, _) = entry_module(entry, settings, &settings.root)?;
        let profile = measure_profile(
            settings,
            info,
            &module,
            args.runs,
            Duration::from_secs(args.timeout),
            printer,
        )
        .with_context(|| format!("re-profiling `{module}`"))?;
        for stats in &profile.modules {
            let c = &stats.cumulative_us;
            ranges.entry(stats.name.clone()).or_insert(Range {
                median: c.median,
                min: c.min,
                max: c.max,
            });
        }
    }
    Ok(ranges)
}

/// The ranges of a saved `fastpath.profile/1` document.
fn read_ranges(path: &std::path::Path) -> Result<BTreeMap<String, Range>> {
    // `check --profile` validates the document the same way.
    read_profile(path)?;
    let text = std::fs::read_to_string(path)?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let mut ranges = BTreeMap::new();
    for module in json["modules"].as_array().into_iter().flatten() {
        let Some(name) = module["name"].as_str() else {
            continue;
        };
        let c = &module["cumulative_us"];
        let median = c["median"].as_f64().unwrap_or(0.0);
        ranges.insert(
            name.to_owned(),
            Range {
                median,
                min: c["min"].as_f64().unwrap_or(median),
                max: c["max"].as_f64().unwrap_or(median),
            },
        );
    }
    Ok(ranges)
}

/// What an import statement costs: the cumulative import time of the modules it loads first
/// (`import a.b` includes `a`; `from x import y` is `x`, plus `x.y` when that is a module),
/// summed over them for the median and the range alike.
fn cost_of(import: &ManifestImport, measured: &BTreeMap<String, Range>) -> Option<Range> {
    let mut modules: Vec<String> = Vec::new();
    for item in &import.items {
        match &import.form {
            ImportForm::Import => modules.push(item.module.clone()),
            ImportForm::From { module, level } => {
                if *level == 0 {
                    modules.push(module.clone());
                }
                if measured.contains_key(&item.module) {
                    modules.push(item.module.clone());
                }
            }
        }
    }
    modules.sort();
    modules.dedup();
    let found: Vec<&Range> = modules.iter().filter_map(|m| measured.get(m)).collect();
    (!found.is_empty()).then(|| Range {
        median: found.iter().map(|r| r.median).sum(),
        min: found.iter().map(|r| r.min).sum(),
        max: found.iter().map(|r| r.max).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(median: f64) -> Range {
        Range {
            median,
            min: median - 100.0,
            max: median + 100.0,
        }
    }

    #[test]
    fn a_statement_costs_the_modules_it_loads() {
        let (manifest, _) = Manifest::parse(
            b"import a.b  # 1ms\nfrom x import y, z  # 2ms\nfrom x import sub  # 3ms\n",
        );
        let measured: BTreeMap<String, Range> = [
            ("a.b".to_owned(), range(1000.0)),
            ("x".to_owned(), range(2000.0)),
            ("x.sub".to_owned(), range(500.0)),
        ]
        .into();
        let costs: Vec<f64> = manifest
            .imports
            .iter()
            .map(|i| cost_of(i, &measured).unwrap().median)
            .collect();
        // `from x import y, z`: `x` once; `from x import sub`: `x` and the submodule.
        assert_eq!(costs, [1000.0, 2000.0, 2500.0]);
        let (missing, _) = Manifest::parse(b"import time  # 0.4ms\n");
        assert!(cost_of(&missing.imports[0], &measured).is_none());
    }
}
