//! `fastpath update`: the seed's monthly review in one command. Re-profiles the entries,
//! rewrites each import's cost annotation and `PROFILED` date and the docstring's `Last
//! profiled` date, and appends one HISTORY line, through `fastpath_manifest`'s editor so that
//! every other byte stays as it was.
//!
//! Each statement is priced by `fastpath_check::cost`, the function FP105 and the HISTORY total
//! use too. Two rules keep it idempotent and quiet: a cost is rewritten (with the median) only
//! when the written value is outside the range measured today (the fastest to the slowest run,
//! widened by 0.5 ms), so run-to-run noise does not churn the file, and FP105 reports exactly
//! the costs outside that range; and a HISTORY line is added only
//! when a cost changed or no line is dated today. A second run on the same day therefore
//! changes nothing.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use fastpath_check::cost::{manifest_costs, Unwritable};
use fastpath_check::{Measurements, ModuleCost};
use fastpath_fix::{unified_diff, SourceFile};
use fastpath_history::clock;
use fastpath_manifest::{format_ms, read_file, write_atomic, FileError, Manifest, ManifestImport};

use crate::cli::{Cli, UpdateArgs};
use crate::measure;
use crate::printer::Printer;
use crate::project::{start_dir, Project};
use crate::settings::Settings;
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &UpdateArgs, printer: &Printer) -> Result<ExitStatus> {
    let start = start_dir(args.project.path.as_deref())?;
    let project = Project::open(cli, &start, &[], printer)?;
    // Each entry's manifest (entries inside packages keep their own), once each.
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in project.entries("update").unwrap_or_default() {
        let path = project.manifest_of(&entry).path;
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        paths.push(project.manifest.path.clone());
    }
    for path in &paths {
        if !path.exists() {
            bail!(
                "no manifest at {}: run `fastpath init` to write one",
                path.display()
            )
        }
    }
    // Measured until every cost to write is known to the precision it is written with, up to
    // a bound; else nothing is written (see `fastpath_check::cost::StatementCost::writable`).
    let mut attempt = 0;
    let measured = loop {
        attempt += 1;
        let mut measured = measure_entries(&project, args, printer)?;
        // A module loaded at interpreter start-up costs the entry nothing: it is never in a
        // measurement of the entry.
        if let Some(info) = &project.info {
            for module in &info.preloaded {
                measured
                    .modules
                    .entry(module.clone())
                    .or_insert_with(|| ModuleCost::new(0.0, 0.0));
            }
        }
        let mut why = None;
        for path in &paths {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            if let Err(error) = writable(&Manifest::parse(&bytes).0, &measured) {
                why = Some((path.clone(), error));
                break;
            }
        }
        let Some((path, why)) = why else {
            break measured;
        };
        // `--profile FILE` is the user's own choice of figures, and `--diff` writes nothing:
        // both go ahead, saying what is wrong with the figures.
        if args.measure.profile.is_some() || args.diff {
            printer.warn(format!("these costs are not to be trusted: {why}"));
            break measured;
        }
        if attempt >= MEASURE_ATTEMPTS {
            bail!(
                "{} was not changed: {why} (after {attempt} measurement{})",
                display(&path, &project.settings),
                if attempt == 1 { "" } else { "s" }
            );
        }
        printer.progress(format!("{why}; measuring again ..."));
    };
    for path in &paths {
        update_manifest(&project, args, path, &measured, printer)?;
    }
    Ok(ExitStatus::Success)
}

/// Rewrites one manifest's costs and dates from `measured`.
fn update_manifest(
    project: &Project,
    args: &UpdateArgs,
    path: &Path,
    measured: &Measurements,
    printer: &Printer,
) -> Result<()> {
    let settings = &project.settings;
    let path = path.to_path_buf();
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
            display(&path, settings),
            problem.span.line,
            problem.message
        ));
    }
    let today = clock::today()?;

    let usage = project.usage_evidence()?;
    let mut edit = manifest.edit();
    let mut changes: Vec<String> = Vec::new();
    let mut total_ms = 0.0;
    let mut count = 0usize;
    let prices = manifest_costs(&manifest, measured);
    for (import, price) in manifest.imports.iter().zip(prices) {
        count += import.items.len();
        let Some(key) = import.items.first().map(|i| i.module.clone()) else {
            continue;
        };
        let written = import.documented_ms();
        let Some(price) = price else {
            printer.warn(format!(
                "`{}` is not in the measurement (loaded at interpreter start-up, or not imported); its cost is left as written",
                shown(import)
            ));
            total_ms += written.unwrap_or(0.0);
            continue;
        };
        let ms = price.median_us / 1000.0;
        // Rewritten only when the written cost is outside the measured range (FP105 reports
        // only those too).
        let rewrite = match written {
            None => true,
            Some(old) => format_ms(old) != format_ms(ms) && !price.agrees_with(old),
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
        if let Some(change) = usage_change(&manifest, import, usage.as_ref()) {
            edit.set_usage(&key, &change.1)?;
            changes.push(format!(
                "{} usage {} -> {}",
                shown(import),
                change.0,
                change.1
            ));
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

    let shown_path = display(&path, settings);
    let mut out = printer.stdout();
    use std::io::Write as _;
    if new == bytes {
        writeln!(
            out,
            "{shown_path} is up to date (reviewed {today}): nothing to change."
        )?;
        Printer::flush(out)?;
        return Ok(());
    }
    if args.diff {
        let old_text = SourceFile::new(&bytes);
        let new_text = SourceFile::new(&new);
        out.write_all(
            unified_diff(Some(old_text.text()), new_text.text(), &shown_path).as_bytes(),
        )?;
        Printer::flush(out)?;
        return Ok(());
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
    Ok(())
}

fn display(path: &std::path::Path, settings: &Settings) -> String {
    path.strip_prefix(&settings.root)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

/// The usage words of a Tier 2 import rewritten from the evidence (`fastpath usage`): the old
/// words and the new, when the evidence tracked it and the rounded percentages differ. Only
/// hot-path exceptions are rewritten: usage is what admits them.
fn usage_change(
    manifest: &Manifest,
    import: &ManifestImport,
    usage: Option<&fastpath_check::UsageEvidence>,
) -> Option<(String, String)> {
    let annotation = import.annotation.as_ref();
    let tier2 = annotation
        .and_then(|a| a.tier_marker.as_ref())
        .map(|m| m.tier == 2)
        .or_else(|| {
            annotation
                .and_then(|a| a.hot_path_exception.as_ref())
                .map(|_| true)
        })
        .unwrap_or_else(|| import.tier(manifest) == Some(2));
    if !tier2 {
        return None;
    }
    let (fraction, _) = import
        .items
        .iter()
        .find_map(|i| usage.and_then(|u| u.share(&i.module)))?;
    let percent = (fraction * 100.0).round();
    let written = annotation.and_then(|a| a.usage.as_ref());
    if written
        .and_then(|u| u.fraction())
        .is_some_and(|f| (f * 100.0).round() == percent)
    {
        return None;
    }
    let new = if percent >= 100.0 {
        "every request".to_string()
    } else {
        format!("{percent:.0}% of requests")
    };
    Some((
        written.map_or_else(|| "(none)".to_string(), |u| u.text.clone()),
        new,
    ))
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

/// Measurements `update` takes at most before it gives up writing.
const MEASURE_ATTEMPTS: usize = 3;

/// Whether every cost `update` would write is known to the precision it is written with (and
/// the measurement was not contended): the first reason not, else `Ok`.
fn writable(manifest: &Manifest, measured: &Measurements) -> Result<(), Unwritable> {
    if measured.contended {
        return Err(Unwritable::Contended);
    }
    for (import, price) in manifest
        .imports
        .iter()
        .zip(manifest_costs(manifest, measured))
    {
        let (Some(price), Some(item)) = (price, import.items.first()) else {
            continue;
        };
        let written = import.documented_ms();
        let ms = price.median_us / 1000.0;
        let rewrite = match written {
            None => true,
            Some(old) => format_ms(old) != format_ms(ms) && !price.agrees_with(old),
        };
        if rewrite {
            price.writable(&item.module, false)?;
        }
    }
    Ok(())
}

/// The figures of every entry (a module measured under several entries keeps the first), or
/// of `--profile FILE`.
fn measure_entries(
    project: &Project,
    args: &UpdateArgs,
    printer: &Printer,
) -> Result<Measurements> {
    if let Some(saved) = measure::saved(&args.measure)? {
        return Ok((&saved).into());
    }
    let Some(info) = &project.info else {
        bail!("no Python interpreter to measure with: pass --python PATH (or --profile FILE)");
    };
    let mut all = Measurements::default();
    for entry in project.entries("measure")? {
        let profile = measure::fresh(project, info, &entry, &args.measure.run, printer)
            .with_context(|| format!("re-profiling `{}`", entry.module))?;
        let figures: Measurements = (&fastpath_profile::saved::SavedProfile::of(&profile)).into();
        for (name, cost) in figures.modules {
            all.modules.entry(name).or_insert(cost);
        }
        all.contended |= figures.contended;
    }
    Ok(all)
}
