//! `fastpath check`: the main job. Each entry's cold path from the project model, the manifest,
//! the figures (measured unless `--static`, or `--profile FILE`), the regression gate when a
//! baseline or `--against REV` applies, then the rules and a renderer.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use fastpath_check::{check_with_notes, Context, Diagnostic, Measurements};
use fastpath_graph::{EntryError, InterpreterInfo};
use fastpath_history::baseline::Baseline;
use fastpath_history::blame::repository;
use fastpath_history::clock;
use fastpath_history::environment::Environment;
use fastpath_history::reference::{Gated, ReferencePath, RegressionGate, RunSource};
use fastpath_manifest::format_ms;
use fastpath_profile::saved::SavedProfile;
use fastpath_profile::Profile;
use fastpath_report::check::{
    render_concise, render_full, render_github, render_html, render_json_with_notes, render_sarif,
    RepositoryFiles,
};

use crate::cli::{CheckArgs, Cli, OutputFormat};
use crate::measure::{self, GateRuns};
use crate::printer::Printer;
use crate::project::{start_dir, Project};
use crate::settings::Source;
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &CheckArgs, printer: &Printer) -> Result<ExitStatus> {
    let start = start_dir(args.project.path.as_deref())?;
    let project = Project::open(cli, &start, &[], printer)?;
    let entries = project.entries("check")?;
    let info = project.info.as_ref();
    let saved = measure::saved(&args.measure)?;
    let today = clock::today()?;
    let usage = project.usage_evidence()?;

    // A baseline file, or `--against REV`: the FP2xx comparison.
    let mut gate = open_gate(&project, args, printer)?;
    let environment = info.map(|info| {
        Environment::current(
            &info.version,
            &info.implementation,
            &info.executable.display().to_string(),
        )
    });

    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    // What each entry measured, for the summary of a clean check.
    let mut figures: Vec<(String, f64, f64)> = Vec::new();
    // Measured results too close to call: no finding; on stderr and in the JSON.
    let mut close_calls: Vec<Diagnostic> = Vec::new();
    for entry in &entries {
        let module = &entry.module;
        let target = info.map(InterpreterInfo::target);
        // Imports a past `fastpath profile` saw but no source shows (compiled extensions,
        // computed names) complete the static view, without running anything now.
        let (path, sources) = project.cold_path(entry)?;
        let entry_path = entry.file.clone();
        let manifest_location = project.manifest_of(entry);
        let manifest = manifest_location.read()?;
        let entry_scan = entry_path
            .as_deref()
            .map(|p| sources.scan(p, target.as_ref()));

        let measure_now = !args.static_only && saved.is_none();
        let gated = match gate.as_mut() {
            Some(gate) => {
                let reference_path = match gate.reference_root() {
                    None => ReferencePath::Recorded,
                    Some(other) => match project.cold_path_at(entry, other) {
                        Ok(p) => ReferencePath::At(p),
                        Err(EntryError::NotFound(_)) => ReferencePath::Missing,
                        Err(e) => {
                            return Err(
                                anyhow!(e).context(format!("the cold path at {}", gate.display()))
                            )
                        }
                    },
                };
                let mut runs = match (measure_now, info) {
                    (true, Some(info)) => Some(GateRuns::new(
                        &project,
                        info,
                        entry,
                        &args.measure.run,
                        gate.reference_root(),
                    )),
                    _ => None,
                };
                if runs.is_some() {
                    printer.progress(format!(
                        "measuring `{module}` against {} ...",
                        gate.display()
                    ));
                }
                let gated = gate.entry(
                    module,
                    &path,
                    reference_path,
                    environment.as_ref(),
                    runs.as_mut().map(|r| r as &mut dyn RunSource),
                    project.root(),
                )?;
                for warning in &gated.warnings {
                    printer.warn(warning);
                }
                gated
            }
            None => Gated::default(),
        };
        let measurements: Option<Measurements> = match &gated.measurement {
            Some(m) if !args.static_only => {
                Some((&SavedProfile::of(&Profile::from_measurement(m))).into())
            }
            _ => measure::figures(
                &project,
                entry,
                saved.as_ref(),
                &args.measure.run,
                args.static_only,
                "measured rules skipped",
                printer,
            )?
            .figures()
            .as_ref()
            .map(Measurements::from),
        };

        if let Some(m) = &measurements {
            figures.push((entry.name.clone(), m.cold_start_us, m.imports_us));
        }
        let context = Context {
            root: project.root(),
            policy: &project.settings.policy,
            entry: module,
            entry_path: entry_path.as_deref(),
            entry_scan: entry_scan.as_deref(),
            manifest_module: &manifest_location.module,
            manifest_path: &manifest_location.path,
            manifest: manifest.as_ref(),
            cold_path: &path,
            measurements: measurements.as_ref(),
            today,
            regression: gated.regression.as_ref(),
            usage: usage.as_ref(),
        };
        let (findings, notes) = check_with_notes(&context);
        for note in notes {
            if !close_calls
                .iter()
                .any(|d| d.rule.code == note.rule.code && d.message == note.message)
            {
                close_calls.push(note);
            }
        }
        for diagnostic in findings {
            // Several entries share the manifest: report its findings once.
            if !diagnostics.iter().any(|d| {
                d.rule.code == diagnostic.rule.code
                    && d.location == diagnostic.location
                    && d.message == diagnostic.message
            }) {
                diagnostics.push(diagnostic);
            }
        }
    }

    for note in &close_calls {
        printer.progress(format!(
            "note: {} not reported, too close to call: {}",
            note.rule.code, note.message
        ));
    }
    let mut out = printer.stdout();
    let measured = !args.static_only;
    let root = project.root();
    match args.output_format {
        OutputFormat::Full => {
            let styled = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            render_full(&diagnostics, root, styled, &mut out)?;
            if diagnostics.is_empty() {
                // A clean measured check says what it measured, so a pass is not silent.
                let policy = &project.settings.policy;
                for (name, cold_start_us, imports_us) in &figures {
                    writeln!(
                        out,
                        "`{name}`: cold start {} against the budget of {} (imports {} of it).",
                        format_ms(cold_start_us / 1000.0),
                        format_ms(policy.cold_start_budget_ms),
                        format_ms(imports_us / 1000.0),
                    )?;
                }
            }
        }
        OutputFormat::Concise => render_concise(&diagnostics, &mut out)?,
        OutputFormat::Json => {
            render_json_with_notes(&diagnostics, &close_calls, measured, &mut out)?
        }
        OutputFormat::Sarif => render_sarif(
            &diagnostics,
            &repository_files(root, &diagnostics),
            &mut out,
        )?,
        OutputFormat::Github => render_github(
            &diagnostics,
            &repository_files(root, &diagnostics),
            &mut out,
        )?,
        OutputFormat::Html => render_html(&diagnostics, root, measured, &mut out)?,
    }
    Printer::flush(out)?;
    Ok(if diagnostics.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    })
}

/// Which files the diagnostics name are the repository's, and where the project sits in it:
/// what SARIF and GitHub locations may name. Without git, the project root stands for the
/// repository's.
fn repository_files(root: &Path, diagnostics: &[Diagnostic]) -> RepositoryFiles {
    let repo = repository(root).ok();
    let prefix = repo
        .as_ref()
        .and_then(|r| r.relative(root))
        .unwrap_or_default();
    let candidates: Vec<PathBuf> = RepositoryFiles::named_by(diagnostics)
        .into_iter()
        .filter(|p| p.is_relative() && root.join(p).is_file() && !in_environment(root, p))
        .collect();
    let ignored = repo
        .and_then(|r| r.ignored(root, &candidates).ok())
        .unwrap_or_default();
    RepositoryFiles::new(
        prefix,
        candidates.into_iter().filter(|p| !ignored.contains(p)),
    )
}

/// Installed code, even when it sits inside the project's tree: under `site-packages` or
/// `dist-packages`, or in a directory holding a virtual environment (`pyvenv.cfg`, PEP 405).
fn in_environment(root: &Path, path: &Path) -> bool {
    let installed = path.components().any(|c| {
        let c = c.as_os_str();
        c == "site-packages" || c == "dist-packages"
    });
    installed
        || path
            .ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| root.join(a).join("pyvenv.cfg").is_file())
}

/// The gate `check` asked for: `--against REV`, else the baseline file when it exists.
fn open_gate(
    project: &Project,
    args: &CheckArgs,
    printer: &Printer,
) -> Result<Option<RegressionGate>> {
    let settings = &project.settings;
    let repo = repository(project.root());
    let thresholds = settings.regression;
    let max_runs = settings.regression_max_runs.map(|r| r as usize);
    if let Some(rev) = &args.against {
        printer.progress(format!("checking out `{rev}` in a temporary worktree ..."));
        return Ok(Some(RegressionGate::revision(
            rev,
            project.root(),
            thresholds,
            max_runs,
            repo,
        )?));
    }
    let path = &settings.baseline.value;
    let Some(baseline) = Baseline::read(path)? else {
        if settings.baseline.source != Source::Default {
            printer.warn(format!(
                "the baseline {} does not exist: record it with `fastpath baseline`",
                path.display()
            ));
        }
        return Ok(None);
    };
    let name = path
        .strip_prefix(project.root())
        .unwrap_or(path)
        .display()
        .to_string();
    Ok(Some(RegressionGate::baseline(
        baseline, &name, thresholds, max_runs, args.force, repo,
    )))
}
