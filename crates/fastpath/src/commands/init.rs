//! `fastpath init`: a first manifest for a project that has none. Measures the entry's
//! module-level imports, keeps the light ones (and those `--hot` marks as used on most requests)
//! in a new `fast_path.py` in the seed's format, moves the heavy ones to function level with
//! `fastpath_fix`'s code-mods, and replaces what stays with `from fast_path import *`.
//!
//! Costs come from one measurement of the entry, attributed through the static graph: an
//! import's *standalone* cost (its module and everything that module loads, by measured self
//! time) decides whether it is light, because the order of the entry's imports must not hide a
//! dependency's cost behind an earlier import; the annotation then gives its cost in the
//! manifest's order (what it adds after the imports above it), which is what `fastpath update`
//! and `check` measure later, and what adds up to the fast path's total.

use std::collections::BTreeSet;

use anyhow::{bail, Context as _, Result};
use fastpath_check::cost::manifest_costs;
use fastpath_check::cost::{StatementCost, Unwritable};
use fastpath_check::Measurements;
use fastpath_fix::{unified_diff, FixOptions, FixSession, Outcome, Request, SourceFile};
use fastpath_graph::InterpreterInfo;
use fastpath_history::clock;
use fastpath_manifest::{
    format_ms, read_file, render, write_atomic, Manifest, RenderEntry, RenderSpec,
};

use crate::cli::{Cli, InitArgs};
use crate::measure;
use crate::printer::Printer;
use crate::project::{Entry, Project};
use crate::settings::Settings;
use crate::ExitStatus;

/// One module-level import of the entry and what init decided for it.
struct Decision {
    statement: String,
    line: u32,
    column: u32,
    modules: Vec<String>,
    bound: Vec<String>,
    /// What importing it alone loads (static graph).
    closure: BTreeSet<String>,
    /// Measured self time of `closure`, milliseconds.
    standalone_ms: f64,
    /// Its cost in the manifest's order, milliseconds (set once the order is known).
    ms: f64,
    kind: Kind,
}

enum Kind {
    Tier1,
    /// Tier 2: `--hot` says it is used on most requests.
    Hot(String),
    Defer,
    /// Heavy, not proven hot, and it cannot move: it stays where it is in the entry (FP001
    /// then asks for a decision), rather than being declared hot without evidence.
    Stays,
}

pub fn run(cli: &Cli, args: &InitArgs, printer: &Printer) -> Result<ExitStatus> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let project = Project::open(cli, &cwd, &[], printer)?;
    let settings = &project.settings;
    let entry = match (&args.entry, settings.entries.value.as_slice()) {
        (Some(_), _) | (None, [_]) => project.given_entry(args.entry.as_deref())?,
        (None, []) => {
            let found = crate::discover::candidates(project.root());
            if found.is_empty() {
                bail!("no ENTRY: pass one (`fastpath init lambda_function`) or set `entry` in [tool.fastpath]");
            }
            let listed: Vec<String> = found
                .iter()
                .map(|c| format!("  {}  (from {})", c.entry, c.origin))
                .collect();
            bail!(
                "no ENTRY configured; the project names these:\n{}\n{}\nthen run `fastpath init ENTRY` for each",
                listed.join("\n"),
                crate::discover::suggestion(&found)
            );
        }
        (None, _) => bail!("the configuration names several entries: pass the one to start from"),
    };
    let manifest_location = project.manifest_of(&entry);
    let manifest_path = manifest_location.path.clone();
    if manifest_path.exists() {
        bail!(
            "{} already exists: `fastpath update` refreshes it",
            manifest_path.display()
        );
    }
    let manifest_module = manifest_location.module.clone();
    // `from .fast_path import *` names the same manifest from inside its package.
    let relative_manifest = format!(
        ".{}",
        manifest_module
            .rsplit('.')
            .next()
            .unwrap_or(&manifest_module)
    );
    let info = project.info.as_ref();
    let module = entry.module.clone();
    let roots = entry.roots.clone();
    let (path, _) = project.cold_path(&entry)?;
    let Some(entry_file) = entry.file.clone() else {
        bail!("ENTRY `{module}`: no source file found");
    };
    let measured = measure_entry(&project, args, &entry, printer)?;

    let (bytes, stamp) = read_file(&entry_file)?;
    let mut session =
        FixSession::new(&bytes).with_context(|| format!("cannot edit {}", entry_file.display()))?;
    let policy = &settings.policy;
    let hot = parse_hot(&args.hot)?;
    // Usage evidence (`fastpath usage`) files a heavy import into Tier 2 when its code ran on
    // more than `hot-path-min-usage` of the requests; `--hot` still wins.
    let usage = project.usage_evidence()?;
    let mut decisions = Vec::new();
    let mut manifest_import = None;
    for import in session.top_level_imports() {
        if import.is_future || import.is_lazy {
            continue;
        }
        if import.modules.contains(&manifest_module)
            || (!entry.package().is_empty() && import.modules.contains(&relative_manifest))
        {
            manifest_import = Some((import.line, import.column));
            continue;
        }
        if import.is_star {
            printer.warn(format!(
                "{}:{}: `{}` is a star import; it stays in the entry",
                entry_file.display(),
                import.line,
                import.statement
            ));
            continue;
        }
        let closure = closure_of(&project, &import.modules, &import.bound, &roots);
        let ms = self_ms(&closure, &measured);
        let hot_usage = import
            .modules
            .iter()
            .chain(&import.bound)
            .find_map(|name| hot.iter().find(|(m, _)| m == name).map(|(_, u)| u.clone()));
        let evidence = import
            .modules
            .iter()
            .find_map(|name| usage.as_ref().and_then(|u| u.share(name)))
            .filter(|(share, _)| *share > policy.hot_path_min_usage);
        let kind = if let Some(usage) = hot_usage {
            Kind::Hot(usage)
        } else if ms < policy.tier1_max_ms {
            Kind::Tier1
        } else if let Some((share, _)) = evidence {
            let percent = (share * 100.0).round();
            Kind::Hot(if percent >= 100.0 {
                "every request".to_string()
            } else {
                format!("{percent:.0}% of requests")
            })
        } else {
            Kind::Defer
        };
        decisions.push(Decision {
            statement: import.statement.lines().collect::<Vec<_>>().join(" "),
            line: import.line,
            column: import.column,
            modules: import.modules,
            bound: import.bound,
            closure,
            standalone_ms: ms,
            ms,
            kind,
        });
    }

    // Heavy imports move to function level; what cannot move stays on the cold path, declared.
    let options = FixOptions {
        target: info.map(InterpreterInfo::target),
        allow_new_imports: false,
        ..FixOptions::default()
    };
    let mut deferred: Vec<(u32, String, String)> = Vec::new();
    for decision in &mut decisions {
        if !matches!(decision.kind, Kind::Defer) {
            continue;
        }
        let request = Request {
            line: decision.line,
            column: decision.column,
            modules: decision.modules.clone(),
        };
        match session.take_off_cold_path(&request, &options)? {
            Outcome::Fixed(fix) => {
                deferred.push((decision.line, decision.statement.clone(), fix.description))
            }
            Outcome::Refused(refusal) => {
                printer.warn(format!(
                    "`{}` costs {} alone but stays in the entry at module level: {}",
                    decision.statement,
                    format_ms(decision.standalone_ms),
                    refusal.reason
                ));
                decision.kind = Kind::Stays;
            }
            Outcome::UnsafeSkipped(fix) => {
                printer.warn(format!(
                    "`{}` costs {} alone but stays in the entry at module level: moving it is unsafe ({})",
                    decision.statement,
                    format_ms(decision.standalone_ms),
                    fix.unsafe_reason.unwrap_or_default()
                ));
                decision.kind = Kind::Stays;
            }
            Outcome::NothingToDo { why, .. } => {
                printer.warn(format!("`{}`: {why}", decision.statement));
                decision.kind = Kind::Stays;
            }
        }
    }

    // The manifest's order: Tier 1, then Tier 2, each in the entry's order. Each import is
    // priced as `update` and FP105 price it (`fastpath_check::cost`): what it loads that the
    // imports above it have not. A statement the measurement cannot price keeps the static
    // estimate (the measured self times of what it loads that the imports above have not).
    decisions.sort_by_key(|d| (!matches!(d.kind, Kind::Tier1), d.line));
    let statements: String = decisions
        .iter()
        .filter(|d| !matches!(d.kind, Kind::Defer))
        .map(|d| format!("{}\n", d.statement))
        .collect();
    let (as_manifest, _) = Manifest::parse(statements.as_bytes());
    let mut prices = manifest_costs(&as_manifest, &measured).into_iter();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for decision in decisions
        .iter_mut()
        .filter(|d| matches!(d.kind, Kind::Tier1 | Kind::Hot(_)))
    {
        let new: BTreeSet<String> = decision.closure.difference(&seen).cloned().collect();
        decision.ms = match prices.next().flatten() {
            Some(price) => price.median_us / 1000.0,
            None => self_ms(&new, &measured),
        };
        seen.extend(new);
    }
    // The one pricing function (`fastpath_check::cost`, which FP105 and `update` use) prices
    // each written import, so the figures printed are the ones written and `check` agrees.
    let priced = priced_in_manifest_order(&decisions, &measured);
    for (decision, ms) in decisions
        .iter_mut()
        .filter(|d| matches!(d.kind, Kind::Tier1 | Kind::Hot(_)))
        .zip(priced)
    {
        if let Some(ms) = ms {
            decision.ms = ms;
        }
    }
    let kept: Vec<&Decision> = decisions
        .iter()
        .filter(|d| matches!(d.kind, Kind::Tier1 | Kind::Hot(_)))
        .collect();
    let stays: BTreeSet<(u32, u32)> = decisions
        .iter()
        .filter(|d| matches!(d.kind, Kind::Stays))
        .map(|d| (d.line, d.column))
        .collect();
    let deferred_lines: BTreeSet<u32> = deferred.iter().map(|(line, ..)| *line).collect();
    let saving = real_saving(&path, &entry.module, &deferred_lines, &measured);
    let today = clock::today()?;
    let entries: Vec<RenderEntry> = kept
        .iter()
        .map(|d| {
            let (tier, usage) = match &d.kind {
                Kind::Tier1 => (1, None),
                Kind::Hot(usage) => (2, Some(usage.clone())),
                Kind::Defer | Kind::Stays => unreachable!("only kept imports are written"),
            };
            let mut entry = RenderEntry::import(
                d.modules.first().cloned().unwrap_or_default(),
                tier,
                d.ms,
                usage,
            );
            let plain = d.statement == format!("import {}", entry.module);
            if !plain {
                entry.statement = Some(d.statement.clone());
                entry.exports = d.bound.clone();
            }
            entry
        })
        .collect();
    let mut spec = RenderSpec::new(entries, today);
    spec.header = manifest_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    spec.tier1_max_ms = policy.tier1_max_ms;
    spec.hot_path_min_usage_percent = policy.hot_path_min_usage * 100.0;
    spec.cold_start_target_ms = policy.cold_start_budget_ms;
    let manifest_text = render(&spec);

    // The entry: what stays becomes one star import of the manifest.
    let now = session.top_level_imports();
    let _ = &stays;
    let positions: Vec<(u32, u32)> = now
        .iter()
        .filter(|i| {
            kept.iter()
                .any(|d| d.statement == i.statement.lines().collect::<Vec<_>>().join(" "))
        })
        .map(|i| (i.line, i.column))
        .collect();
    let line = format!("from {manifest_module} import *");
    session.replace_imports(
        &positions,
        if manifest_import.is_some() {
            None
        } else {
            Some(line.as_str())
        },
    )?;
    let entry_bytes = session.finish()?;

    let shown_entry = display(&entry_file, settings, &cwd);
    let shown_manifest = display(&manifest_path, settings, &cwd);
    let mut out = printer.stdout();
    use std::io::Write as _;
    if args.diff {
        out.write_all(unified_diff(None, &manifest_text, &shown_manifest).as_bytes())?;
        let new_text = SourceFile::new(&entry_bytes).text().to_owned();
        out.write_all(
            unified_diff(Some(session.original_text()), &new_text, &shown_entry).as_bytes(),
        )?;
        Printer::flush(out)?;
        return Ok(ExitStatus::Success);
    }
    write_atomic(&manifest_path, manifest_text.as_bytes(), None)?;
    if entry_bytes != bytes {
        if let Err(error) = write_atomic(&entry_file, &entry_bytes, Some(&stamp)) {
            // Never leave half a change: the manifest goes again.
            let _ = std::fs::remove_file(&manifest_path);
            return Err(error.into());
        }
    }
    let total: f64 = kept.iter().map(|d| d.ms).sum();
    let tier1 = kept
        .iter()
        .filter(|d| matches!(d.kind, Kind::Tier1))
        .count();
    writeln!(
        out,
        "Wrote {shown_manifest}: {} import{} ({tier1} Tier 1, {} Tier 2), {} total, profiled {today}.",
        kept.len(),
        if kept.len() == 1 { "" } else { "s" },
        kept.len() - tier1,
        format_ms(total)
    )?;
    for (_, statement, description) in &deferred {
        writeln!(out, "Moved to function level: {statement}: {description}")?;
    }
    if !deferred.is_empty() {
        writeln!(
            out,
            "Modules that stop loading at cold start: {} ({} by the measurement{}).",
            saving.modules.len(),
            format_ms(saving.ms),
            if saving.modules.is_empty() {
                "; everything they load is still loaded through other imports"
            } else {
                ""
            }
        )?;
    }
    writeln!(
        out,
        "{shown_entry} now imports only `{manifest_module}` at module level."
    )?;
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

fn display(path: &std::path::Path, settings: &Settings, cwd: &std::path::Path) -> String {
    let root = settings
        .root
        .canonicalize()
        .unwrap_or(settings.root.clone());
    let cwd = cwd.canonicalize().unwrap_or(cwd.to_path_buf());
    let path = path.canonicalize().unwrap_or(path.to_path_buf());
    path.strip_prefix(&cwd)
        .or_else(|_| path.strip_prefix(&root))
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

/// The cost of each import init keeps, in the manifest's order, by the one pricing function
/// (`fastpath_check::cost::manifest_costs`): the manifest is rendered, parsed back and priced
/// exactly as `update` and FP105 will price it.
fn priced_in_manifest_order(decisions: &[Decision], measured: &Measurements) -> Vec<Option<f64>> {
    let statements: Vec<String> = decisions
        .iter()
        .filter(|d| matches!(d.kind, Kind::Tier1 | Kind::Hot(_)))
        .map(|d| d.statement.clone())
        .collect();
    let text = statements.join("\n") + "\n";
    let (manifest, _) = fastpath_manifest::Manifest::parse(text.as_bytes());
    if manifest.imports.len() != statements.len() {
        return vec![None; statements.len()];
    }
    fastpath_check::cost::manifest_costs(&manifest, measured)
        .into_iter()
        .map(|c| c.map(|c| c.median_us / 1000.0))
        .collect()
}

/// What deferring the statements at `lines` of the entry really saves: the modules of the cold
/// path that nothing else loads once those statements leave module level (the same
/// reachability `profile`'s savings use), priced by their measured self time.
struct Saving {
    modules: BTreeSet<String>,
    ms: f64,
}

fn real_saving(
    path: &fastpath_graph::ColdPath,
    entry: &str,
    lines: &BTreeSet<u32>,
    measured: &Measurements,
) -> Saving {
    let Some(entry_index) = path.index_of(entry) else {
        return Saving {
            modules: BTreeSet::new(),
            ms: 0.0,
        };
    };
    // Everything loaded before the entry (its parents) and the entry itself are roots.
    let mut reached = vec![false; path.modules.len()];
    let mut stack: Vec<usize> = path
        .modules
        .iter()
        .enumerate()
        .filter(|(_, m)| m.via.is_none() || entry.starts_with(&format!("{}.", m.name)))
        .map(|(i, _)| i)
        .collect();
    stack.push(entry_index);
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        for edge in path.edges.iter().filter(|e| e.from == i) {
            if edge.from == entry_index && lines.contains(&edge.line) {
                continue;
            }
            stack.push(edge.to);
        }
    }
    let modules: BTreeSet<String> = path
        .modules
        .iter()
        .zip(&reached)
        .filter(|(_, r)| !**r)
        .map(|(m, _)| m.name.clone())
        .collect();
    let ms = self_ms(&modules, measured);
    Saving { modules, ms }
}

/// `--hot MODULE[=PERCENT]`: the usage text each one gets.
fn parse_hot(values: &[String]) -> Result<Vec<(String, String)>> {
    values
        .iter()
        .map(|value| match value.split_once('=') {
            None => Ok((value.clone(), "every request".to_owned())),
            Some((module, percent)) => {
                let number: f64 = percent
                    .trim_end_matches('%')
                    .parse()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .with_context(|| {
                        format!("--hot {value}: PERCENT must be a number from 0 to 100")
                    })?;
                Ok((module.to_owned(), format!("{number}% usage")))
            }
        })
        .collect()
}

/// Measurements `init` takes at most before it gives up writing.
const MEASURE_ATTEMPTS: usize = 3;

/// The entry's figures: `--profile FILE`, else fresh runs, measured again (up to a bound)
/// until the costs of the entry's imports are known to the precision they are written with.
fn measure_entry(
    project: &Project,
    args: &InitArgs,
    entry: &Entry,
    printer: &Printer,
) -> Result<Measurements> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let measured: Measurements = if let Some(saved) = measure::saved(&args.measure)? {
            (&saved).into()
        } else {
            let Some(info) = &project.info else {
                bail!(
                    "no Python interpreter to measure with: pass --python PATH (or --profile FILE)"
                );
            };
            let profile = measure::fresh(project, info, entry, &args.measure.run, printer)?;
            (&fastpath_profile::saved::SavedProfile::of(&profile)).into()
        };
        let Err(why) = writable(&measured, &entry.module) else {
            return Ok(measured);
        };
        // `--profile FILE` is the user's own choice of figures, and `--diff` writes nothing:
        // both go ahead, saying what is wrong with the figures.
        if args.measure.profile.is_some() || args.diff {
            printer.warn(format!("these costs are not to be trusted: {why}"));
            return Ok(measured);
        }
        if attempt >= MEASURE_ATTEMPTS {
            bail!(
                "nothing was written: {why} (after {attempt} measurement{})",
                if attempt == 1 { "" } else { "s" }
            );
        }
        printer.progress(format!("{why}; measuring again ..."));
    }
}

/// Whether the costs `init` writes (the entry's own imports) are known to the precision they
/// are written with, from a measurement that was not contended.
fn writable(measured: &Measurements, entry: &str) -> Result<(), Unwritable> {
    if measured.contended {
        return Err(Unwritable::Contended);
    }
    for (name, cost) in &measured.modules {
        if cost.parent.as_deref() != Some(entry) {
            continue;
        }
        StatementCost {
            median_us: cost.cumulative_us,
            min_us: cost.cumulative_min_us,
            max_us: cost.cumulative_max_us,
            interval_us: cost.cumulative_ci_us,
        }
        .writable(name, false)?;
    }
    Ok(())
}

/// The modules importing these statement modules loads, by the static graph (`from x import
/// y` loads `x`, and `x.y` when that is a module).
fn closure_of(
    project: &Project,
    modules: &[String],
    bound: &[String],
    roots: &[std::path::PathBuf],
) -> BTreeSet<String> {
    let mut names: Vec<String> = modules.to_vec();
    for module in modules {
        names.extend(bound.iter().map(|name| format!("{module}.{name}")));
    }
    let mut closure = BTreeSet::new();
    for name in names {
        if name.starts_with('.') {
            continue;
        }
        if let Ok(path) = project.static_cold_path(&name, roots) {
            closure.extend(path.modules.into_iter().map(|m| m.name));
        }
    }
    closure
}

/// Measured self time of `modules`, milliseconds (modules not measured, such as those loaded
/// at interpreter start-up, cost nothing).
fn self_ms(modules: &BTreeSet<String>, measured: &Measurements) -> f64 {
    modules
        .iter()
        .filter_map(|m| measured.modules.get(m))
        .map(|c| c.self_us)
        .sum::<f64>()
        / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_modules_take_a_percentage() {
        let hot = parse_hot(&["gateway".to_owned(), "boto3=95".to_owned()]).unwrap();
        assert_eq!(
            hot,
            [
                ("gateway".to_owned(), "every request".to_owned()),
                ("boto3".to_owned(), "95% usage".to_owned())
            ]
        );
        let error = parse_hot(&["boto3=lots".to_owned()]).unwrap_err();
        assert!(error.to_string().contains("--hot boto3=lots"), "{error}");
    }

    #[test]
    fn self_time_counts_measured_modules_only() {
        let mut measured = Measurements::default();
        measured.modules.insert(
            "json".to_owned(),
            fastpath_check::ModuleCost::new(800.0, 1400.0),
        );
        let closure: BTreeSet<String> = ["json".to_owned(), "sys".to_owned()].into();
        assert_eq!(self_ms(&closure, &measured), 0.8);
    }
}
