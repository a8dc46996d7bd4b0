//! `fastpath check`: the main job. Builds each entry's cold path, reads the manifest, measures
//! (unless `--static`), runs the rules and prints the findings.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use fastpath_check::{check, Context, Diagnostic, LoadedManifest, Measurements, ModuleCost};
use fastpath_graph::InterpreterInfo;
use fastpath_manifest::{Date, Manifest};
use fastpath_profile::runner::{measure, RunnerConfig};
use fastpath_profile::stats::StoppingRule;
use fastpath_profile::Profile;
use fastpath_report::check::{
    render_concise, render_full, render_github, render_html, render_json, render_sarif,
};

use crate::cli::{CheckArgs, Cli, OutputFormat};
use crate::commands::regression::{Gate, Gated};
use crate::commands::shared::{
    cold_path_with_sources, entry_module, interpreter, observed_imports, resolve_settings,
    start_dir,
};
use crate::printer::Printer;
use crate::settings::Settings;
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &CheckArgs, printer: &Printer) -> Result<ExitStatus> {
    if args.fix {
        // Fix first (its report goes to stderr), then check what is left.
        let status = crate::commands::fix::run_for_check(cli, args, printer)?;
        if args.diff {
            return Ok(status);
        }
    }
    let start = start_dir(args.path.as_deref())?;
    let Some(settings) = resolve_settings(cli, &start, args.python.clone(), Vec::new(), printer)?
    else {
        return Ok(ExitStatus::Success);
    };
    if settings.entries.value.is_empty() {
        bail!(
            "no entry to check: set `entry` in [tool.fastpath] of {}",
            settings.root.join("pyproject.toml").display()
        );
    }
    let info = interpreter(&settings, printer, args.no_cache)?;
    let saved = args.profile.as_deref().map(read_profile).transpose()?;
    let today = today()?;

    let manifest_path = settings.manifest.value.clone();
    let manifest = read_manifest(&manifest_path)?;
    let manifest_module = manifest_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("fast_path")
        .to_string();

    // A baseline file, or `--against REV`: the FP2xx comparison.
    let mut gate = Gate::open(&settings, args, printer)?;

    // Imports a past `fastpath profile` saw but no source shows (compiled extensions, computed
    // names) complete the static view, without running anything now.
    let observed = observed_imports(&settings, info.as_ref(), printer);
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    for entry in &settings.entries.value {
        let (module, roots) = entry_module(entry, &settings, &settings.root)?;
        let target = info.as_ref().map(InterpreterInfo::target);
        let (path, sources) = cold_path_with_sources(&module, &roots, info.as_ref(), &observed)?;
        let entry_path = path.modules.first().and_then(|m| m.path.clone());
        let entry_scan = entry_path
            .as_deref()
            .map(|p| sources.scan(p, target.as_ref()));

        let gated = match gate.as_mut() {
            Some(gate) => gate.entry(
                args,
                info.as_ref(),
                &module,
                &roots,
                &path,
                &settings.root,
                printer,
            )?,
            None => Gated::default(),
        };
        let measurements = if args.static_only {
            None
        } else if gated.measurements.is_some() {
            gated.measurements
        } else if let Some(profile) = &saved {
            Some(profile.clone())
        } else {
            match &info {
                Some(info) => Some(measure_entry(&settings, args, info, &module, printer)?),
                None => {
                    printer.warn("no interpreter: measured rules skipped");
                    None
                }
            }
        };

        let context = Context {
            root: &settings.root,
            policy: &settings.policy,
            entry: &module,
            entry_path: entry_path.as_deref(),
            entry_scan: entry_scan.as_deref(),
            manifest_module: &manifest_module,
            manifest_path: &manifest_path,
            manifest: manifest.as_ref(),
            cold_path: &path,
            measurements: measurements.as_ref(),
            today,
            regression: gated.regression.as_ref(),
        };
        for diagnostic in check(&context) {
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

    let mut out = printer.stdout();
    let measured = !args.static_only;
    match args.output_format {
        OutputFormat::Full => {
            let styled = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            render_full(&diagnostics, &settings.root, styled, &mut out)?;
        }
        OutputFormat::Concise => render_concise(&diagnostics, &mut out)?,
        OutputFormat::Json => render_json(&diagnostics, measured, &mut out)?,
        OutputFormat::Sarif => render_sarif(&diagnostics, &mut out)?,
        OutputFormat::Github => render_github(&diagnostics, &mut out)?,
        OutputFormat::Html => render_html(&diagnostics, &settings.root, measured, &mut out)?,
    }
    Printer::flush(out)?;
    Ok(if diagnostics.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    })
}

pub(crate) fn read_manifest(path: &Path) -> Result<Option<LoadedManifest>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let (manifest, diagnostics) = Manifest::parse(&bytes);
            Ok(Some(LoadedManifest {
                path: path.to_path_buf(),
                manifest,
                diagnostics,
            }))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => {
            Err(error).with_context(|| format!("cannot read the manifest {}", path.display()))
        }
    }
}

/// Today's date, or `FASTPATH_TODAY` (YYYY-MM-DD) so that date rules are reproducible.
pub(crate) fn today() -> Result<Date> {
    if let Ok(text) = std::env::var("FASTPATH_TODAY") {
        return text
            .parse::<Date>()
            .map_err(|e| anyhow::anyhow!("FASTPATH_TODAY `{text}`: {e}"));
    }
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    Date::from_days_since_epoch(days as i64).context("the system clock is out of range")
}

fn measure_entry(
    settings: &Settings,
    args: &CheckArgs,
    info: &InterpreterInfo,
    module: &str,
    printer: &Printer,
) -> Result<Measurements> {
    let mut config = RunnerConfig::new(info.executable.clone(), settings.root.clone(), module);
    config.timeout = Duration::from_secs(args.timeout);
    if let Some(runs) = args.runs.or(settings.runs) {
        config.stopping = StoppingRule::fixed(runs.max(1) as usize);
    }
    printer.progress(format!("measuring `{module}` ..."));
    let measurement =
        measure(&config, &mut |_| {}).with_context(|| format!("measuring `{module}` failed"))?;
    Ok(measurements_of(&Profile::from_measurement(&measurement)))
}

pub(crate) fn measurements_of(profile: &Profile) -> Measurements {
    Measurements {
        modules: profile
            .modules
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    ModuleCost {
                        self_us: m.self_us.median,
                        cumulative_us: m.cumulative_us.median,
                    },
                )
            })
            .collect(),
        imports_us: profile.total_us.median,
        cold_start_us: profile.process_wall_us.median,
    }
}

/// Measurements from a saved `fastpath.profile/1` document.
pub(crate) fn read_profile(path: &Path) -> Result<Measurements> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--profile {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--profile {} is not JSON", path.display()))?;
    if json["schema"] != "fastpath.profile/1" {
        bail!("--profile {}: not a `fastpath.profile/1` document (from `fastpath profile --format json`)", path.display());
    }
    let median = |v: &serde_json::Value| v["median"].as_f64().unwrap_or(0.0);
    let modules = json["modules"]
        .as_array()
        .map(|modules| {
            modules
                .iter()
                .filter_map(|m| {
                    let name = m["name"].as_str()?.to_string();
                    Some((
                        name,
                        ModuleCost {
                            self_us: median(&m["self_us"]),
                            cumulative_us: median(&m["cumulative_us"]),
                        },
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Measurements {
        modules,
        imports_us: median(&json["total_us"]),
        cold_start_us: median(&json["process_wall_us"]),
    })
}
