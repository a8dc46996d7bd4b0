//! `fastpath baseline`: measures each entry carefully and writes the baseline file that `check`
//! compares with (FP201-FP203).

use std::io::Write;

use anyhow::{bail, Result};
use fastpath_history::baseline::{Baseline, EntryBaseline};
use fastpath_history::calibration::startup_cpu_us;
use fastpath_history::clock;
use fastpath_history::environment::Environment;
use fastpath_history::series::Series;
use fastpath_profile::stats::{Decision, StoppingRule};

use crate::cli::{BaselineArgs, Cli};
use crate::commands::regression::{measured_run, repository, runner, warm_up};
use crate::commands::shared::{cold_path_of, entry_module, interpreter, project_settings};
use crate::printer::Printer;
use crate::ExitStatus;

/// A baseline is compared with many later runs: measure until the median (of CPU times) is known
/// to 1 % (30 to 60 runs).
const BASELINE_RULE: StoppingRule = StoppingRule {
    min_runs: 30,
    max_runs: 60,
    relative_half_width: 0.01,
    confidence: 0.95,
};

pub fn run(cli: &Cli, args: &BaselineArgs, printer: &Printer) -> Result<ExitStatus> {
    let settings = project_settings(cli, args.path.as_deref(), args.measure.python.clone(), true)?;
    if cli.show_settings {
        settings.show(&mut printer.stdout())?;
        return Ok(ExitStatus::Success);
    }
    let Some(info) = interpreter(&settings, printer, args.measure.no_cache)? else {
        bail!("a baseline needs an interpreter to measure with: pass --python PATH");
    };
    let environment = Environment::current(
        &info.version,
        &info.implementation,
        &info.executable.display().to_string(),
    );
    let mut baseline = Baseline::new(clock::utc_timestamp(now()?), environment);
    if let Ok(repo) = repository(&settings.root) {
        if let Ok(Some(head)) = repo.head() {
            baseline.commit = Some(head.commit);
            baseline.dirty = head.dirty;
        }
    }
    let mut out = printer.stdout();
    let file = settings
        .baseline
        .value
        .strip_prefix(&settings.root)
        .unwrap_or(&settings.baseline.value)
        .display()
        .to_string();
    for entry in &settings.entries.value {
        let (module, roots) = entry_module(entry, &settings, &settings.root)?;
        let path = cold_path_of(&module, &roots, Some(&info))?;
        let config = runner(&info, &settings.root, &module, args.measure.timeout);
        printer.progress(format!("measuring `{module}` for the baseline ..."));
        // Run by run, so that each run's CPU time is known (see `measured_run`).
        let warm = warm_up(&config, 0)?;
        let runs = args
            .measure
            .runs
            .or(settings.runs)
            .map(|n| n.max(1) as usize);
        let (min, max) = runs.map_or((BASELINE_RULE.min_runs, BASELINE_RULE.max_runs), |n| (n, n));
        let mut series = Series::default();
        let mut walls: Vec<f64> = Vec::new();
        while series.len() < max {
            let (run, cpu) = measured_run(&config)?;
            walls.push(run.wall_us);
            series.push_run(&run, cpu);
            if let Some(s) = startup_cpu_us(&info.executable)? {
                series.startup_cpu_us.push(s);
            }
            let decided = BASELINE_RULE.decide(series.cpu().unwrap_or(&series.total_us));
            if series.len() >= min && decided != Decision::Continue {
                break;
            }
        }
        let recorded = EntryBaseline::new(
            &series,
            &walls,
            path.modules.iter().map(|m| m.name.clone()).collect(),
            warm.pinned,
        );
        writeln!(
            out,
            "{file}: `{module}` imports in {:.1} ms (median of {} runs, MAD {:.2} ms), {} modules on the cold path",
            recorded.total_us.median as f64 / 1000.0,
            recorded.runs,
            recorded.total_us.mad as f64 / 1000.0,
            recorded.cold_path.len()
        )?;
        baseline.entries.insert(module, recorded);
    }
    baseline.write(&settings.baseline.value)?;
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// Now, or `FASTPATH_TODAY` (YYYY-MM-DD, midnight UTC) so that recorded dates are reproducible.
pub(crate) fn now() -> Result<i64> {
    if let Ok(text) = std::env::var("FASTPATH_TODAY") {
        let date: fastpath_manifest::Date = text
            .parse()
            .map_err(|e| anyhow::anyhow!("FASTPATH_TODAY `{text}`: {e}"))?;
        return Ok(date.days_since_epoch() * 86_400);
    }
    Ok(clock::now())
}
