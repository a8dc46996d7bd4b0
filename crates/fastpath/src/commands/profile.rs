//! `fastpath profile`: the measured cold start of one entry.
//!
//! The order matters. The static cold path is built from source alone while the discarded
//! warm-up run goes, so that what the measured runs load can be compared with what the source
//! predicts. Then the cold path is built again with every observed import of this interpreter
//! merged (those already in `.fastpath/observed.json` and the unpredicted ones of this run):
//! it gives each module the statement that pulls it in, and the savings their graph. In that
//! graph an import no statement shows (observed, or made by an extension as it initialises)
//! can keep a module loaded but can never be deferred; only the project's own statements (or,
//! for an installed package profiled as the entry, that package's) are listed as savings.
//! Last, the unpredicted imports are recorded, except those a statement of their importer
//! explains once the others are merged (a plugin found through a computed name is recorded;
//! the imports written in the plugin's source are read from it).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use fastpath_graph::{cold_path_of_call, InterpreterInfo, ObservedImport, Resolver, Sources};
use fastpath_manifest::{read_file, write_atomic};
use fastpath_profile::costed::{cold_graph, needed, pulled_in, savings, Statements};
use fastpath_profile::observed::{
    compare, interpreter_key, store_path, Comparison, ObservedEdge, ObservedStore,
};
use fastpath_profile::runner::{
    measure, Bytecode, Measurement, Phase, Pinning, Progress, RunError, RunnerConfig,
};
use fastpath_profile::savings::{resolve_defer, set_saving};
use fastpath_profile::stats::StoppingRule;
use fastpath_profile::Profile;
use fastpath_report::profile::{
    render_folded, render_html, render_json, render_text, HtmlContext, ObservedView, ProfileView,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Cli, ProfileArgs, ProfileFormat};
use crate::measure::runner_config;
use crate::printer::Printer;
use crate::project::{with_big_stack, Entry, Project};
use crate::ExitStatus;

/// The fewest measured runs of the adaptive rule. Runs close in time share the machine's slow
/// drift, so a few of them agree with each other better than with a profile taken a second
/// later: on our machines two consecutive 5-run profiles of `requests` differed by more than
/// their intervals in 2 of 10 pairs (bench/profile_stability.py), 15-run ones in 1 of 10.
const ADAPTIVE_MIN_RUNS: usize = 10;

/// How much of a hung program's output the error repeats.
const OUTPUT_LINES: usize = 20;

pub fn run(cli: &Cli, args: &ProfileArgs, printer: &Printer) -> Result<ExitStatus> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let project = Project::open(cli, &cwd, &args.src, printer)?;
    let Some(info) = project.info.as_ref() else {
        bail!("profiling runs the entry: pass --python PATH, activate a virtualenv, or put python3 on PATH");
    };
    let entry = project.given_entry(args.entry.as_deref())?;
    let module = entry.module.clone();
    let roots = entry.roots.clone();
    let target = info.target();
    let preloaded: HashSet<String> = info.preloaded.iter().cloned().collect();
    let resolver = Resolver::new(roots.clone(), Some(info));
    let sources = Sources::default();

    // 1 and 2. What the source predicts, worked out while the discarded warm-up runs (the
    // measured runs wait for it, so that it never competes with them for the machine); then
    // the measured runs.
    let config = profile_config(args, &project, info, &entry);
    crate::measure::note_what_is_measured(&entry, &config, printer);
    // The prediction follows what is measured: the function's imports only when it is called.
    let called = config.call.as_ref().map(|c| c.function.clone());
    if let Some(hint) = crate::measure::deferring_entry_hint(&entry, &config) {
        printer.warn(hint);
    }
    let (predicted, measurement) = std::thread::scope(|scope| {
        let analysis = std::thread::Builder::new()
            .stack_size(512 << 20)
            .spawn_scoped(scope, || {
                cold_path_of_call(
                    &module,
                    called.as_deref(),
                    &resolver,
                    &sources,
                    Some(&target),
                    &preloaded,
                    &[],
                )
            })
            .expect("spawn analysis thread");
        let mut analysis = Some(analysis);
        let mut predicted = None;
        let mut wait = || {
            if let Some(handle) = analysis.take() {
                predicted = Some(
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
        };
        if config.warmup == 0 {
            wait();
        }
        let measurement = measure_with_progress(&config, printer, &mut |p| {
            if p.phase == Phase::Warmup && p.done == p.planned {
                wait();
            }
        });
        wait();
        (predicted.expect("the analysis was joined"), measurement)
    });
    let measurement = measurement.map_err(|e| explain(&project, e))?;
    let predicted = match predicted {
        Ok(path) => Some(path),
        Err(error) => {
            printer.warn(format!(
                "no static cold path ({error}): statements, savings and the comparison are left out"
            ));
            None
        }
    };
    let mut profile = Profile::from_measurement(&measurement);

    // 3. What loaded versus what was predicted.
    let key = interpreter_key(
        &profile.interpreter.implementation,
        &profile.interpreter.version,
    );
    let comparison = match &predicted {
        Some(path) => {
            let names: BTreeSet<String> = path.modules.iter().map(|m| m.name.clone()).collect();
            compare(&profile.loaded(), &names)
        }
        None => Comparison::default(),
    };

    // 4. The cold path with every observed import merged: statements and savings. Modules an
    // import hook loaded under a name the path search does not find (awscli's `botocore`) are
    // resolved to the files they were loaded from, first those recorded before, then this
    // run's (parents before their submodules, which then resolve through them).
    for (name, file) in &project.hooked {
        resolver.alias(name, file);
    }
    let hooked: BTreeMap<String, PathBuf> = measurement
        .files
        .iter()
        .filter(|(name, file)| resolver.alias(name, file))
        .map(|(name, file)| (name.clone(), file.clone()))
        .collect();
    let merged = predicted.as_ref().and_then(|predicted| {
        let mut observed = project.observed.clone();
        observed.extend(comparison.unpredicted.iter().filter_map(|e| {
            Some(ObservedImport {
                importer: e.importer.clone()?,
                module: e.module.clone(),
            })
        }));
        observed.sort();
        observed.dedup();
        if observed.is_empty() && hooked.is_empty() && project.hooked.is_empty() {
            return Some(predicted.clone());
        }
        with_big_stack(|| {
            cold_path_of_call(
                &module,
                called.as_deref(),
                &resolver,
                &sources,
                Some(&target),
                &preloaded,
                &observed,
            )
        })
        .ok()
    });
    let mut search: Vec<&Path> = info.sys_path.iter().map(PathBuf::as_path).collect();
    search.extend(info.stdlib_dirs.iter().map(PathBuf::as_path));
    let (pulled_in, graph) = match &merged {
        Some(path) => {
            let statements = Statements::new(path, &sources, &target, project.root(), &search);
            let loaded = profile.loaded();
            let graph = cold_graph(&statements, &loaded);
            profile.savings = savings(&statements, &graph, &profile.self_samples);
            (pulled_in(&statements, &loaded), Some(graph))
        }
        None => (BTreeMap::new(), None),
    };
    // `--defer`: the statements' combined saving, as a set.
    let deferred = match (&graph, args.defer.is_empty()) {
        (_, true) => None,
        (None, false) => bail!("--defer needs the static cold path, which could not be built"),
        (Some(graph), false) => {
            let mut sites = Vec::new();
            for spec in &args.defer {
                sites.extend(resolve_defer(graph, spec, &cwd, project.root())?);
            }
            Some(set_saving(graph, &sites, &profile.self_samples))
        }
    };

    // 5. The record.
    let recorded = needed(&comparison, merged.as_ref());
    let store = store_path(project.root());
    let (stored, added) = record(&store, &key, &profile, &recorded, &hooked, printer);

    let view = ProfileView {
        profile: &profile,
        pulled_in: &pulled_in,
        observed: ObservedView {
            comparison: &comparison,
            recorded: &recorded,
            key: &key,
            store: stored.then_some(store.as_path()),
            added,
        },
        root: project.root(),
        deferred: deferred.as_ref(),
    };
    let mut bytes = Vec::new();
    match args.format {
        ProfileFormat::Text => render_text(&view, &mut bytes)?,
        ProfileFormat::Json => render_json(&view, &mut bytes)?,
        ProfileFormat::Folded => render_folded(&view, &mut bytes)?,
        ProfileFormat::Html => {
            let origins = merged
                .iter()
                .flat_map(|path| &path.modules)
                .map(|m| (m.name.clone(), m.origin))
                .collect();
            let commit = fastpath_history::blame::repository(project.root())
                .ok()
                .and_then(|repo| repo.head().ok().flatten())
                .map(|head| {
                    head.commit[..head.commit.len().min(12)].to_string()
                        + if head.dirty { "-dirty" } else { "" }
                });
            let date =
                fastpath_history::clock::utc_timestamp(fastpath_history::clock::now_or_today()?);
            let context = HtmlContext {
                graph: graph.as_ref(),
                origins: &origins,
                date: &date,
                commit: commit.as_deref(),
            };
            render_html(&view, &context, &mut bytes)?
        }
    }
    match &args.output {
        Some(file) => write_report(file, &bytes)?,
        None => {
            let mut out = printer.stdout();
            out.write_all(&bytes)?;
            Printer::flush(out)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Replaces `file` with the report atomically (a report left from before is overwritten).
fn write_report(file: &Path, bytes: &[u8]) -> Result<()> {
    let stamp = match read_file(file) {
        Ok((_, stamp)) => Some(stamp),
        Err(_) if !file.exists() => None,
        Err(error) => return Err(error).with_context(|| format!("-o {}", file.display())),
    };
    write_atomic(file, bytes, stamp.as_ref()).with_context(|| format!("-o {}", file.display()))
}

/// The runner's configuration (`measure::runner_config`), with the knobs only `profile` has.
fn profile_config(
    args: &ProfileArgs,
    project: &Project,
    info: &InterpreterInfo,
    entry: &Entry,
) -> RunnerConfig {
    let mut config = runner_config(project, &info.executable, entry, &args.run);
    config.warmup = args.warmup;
    if args.run.runs.or(project.settings.runs).is_none() {
        config.stopping = StoppingRule {
            min_runs: ADAPTIVE_MIN_RUNS,
            ..StoppingRule::default()
        };
    }
    if args.no_pin {
        config.pinning = Pinning::Off;
    }
    if args.fresh_bytecode {
        config.bytecode = Bytecode::Fresh;
    }
    config
}

/// Runs the measurement, with a progress bar when a person watches stderr; `each` sees every
/// progress report too.
fn measure_with_progress(
    config: &RunnerConfig,
    printer: &Printer,
    each: &mut dyn FnMut(&Progress),
) -> Result<Measurement, RunError> {
    if !printer.interactive() {
        return measure(config, &mut |p| each(&p));
    }
    let max_runs = config
        .stopping
        .max_runs
        .max(config.stopping.min_runs)
        .max(1);
    let bar = ProgressBar::new(max_runs as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} runs  {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix("warm-up");
    bar.enable_steady_tick(Duration::from_millis(200));
    let result = measure(config, &mut |p: Progress| {
        match p.phase {
            Phase::Warmup => bar.set_message(format!("warm-up {}/{}", p.done, p.planned)),
            Phase::Measure => {
                bar.set_prefix("measuring");
                bar.set_length(p.planned as u64);
                bar.set_position(p.done as u64);
                if let Some(median) = p.median_total_us {
                    bar.set_message(format!("imports median {:.1} ms", median / 1000.0));
                }
            }
            Phase::Startup => {}
        }
        each(&p);
    });
    bar.finish_and_clear();
    result
}

/// The error a failed measurement reports: the runner's message (with the traceback of an
/// entry that raised), plus the last lines a hung program printed.
fn explain(project: &Project, error: RunError) -> anyhow::Error {
    match &error {
        RunError::Hung { output, .. } if !output.trim().is_empty() => {
            let lines: Vec<&str> = output.trim_end().lines().collect();
            let tail = lines[lines.len().saturating_sub(OUTPUT_LINES)..].join("\n");
            anyhow!("{error}\nits last output:\n{tail}")
        }
        _ => crate::measure::explain_failure(project, error),
    }
}

/// Records `edges` in the store. Returns whether the store holds them now, and how many were
/// new. A store that cannot be read or written is a warning: the profile stands.
fn record(
    store: &Path,
    key: &str,
    profile: &Profile,
    edges: &[ObservedEdge],
    hooked: &BTreeMap<String, PathBuf>,
    printer: &Printer,
) -> (bool, usize) {
    if edges.is_empty() && hooked.is_empty() {
        return (false, 0);
    }
    match ObservedStore::update_with(
        store,
        key,
        Some(&profile.interpreter.executable),
        edges.iter().cloned(),
        hooked,
    ) {
        Ok(added) => (true, added),
        Err(error) => {
            printer.warn(format!("observed imports not recorded: {error}"));
            (false, 0)
        }
    }
}
