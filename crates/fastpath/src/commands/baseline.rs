//! `fastpath baseline`: measures each entry carefully and writes the baseline file that `check`
//! compares with (FP201-FP203).

use std::io::Write;

use anyhow::{anyhow, Result};
use fastpath_history::baseline::{Baseline, EntryBaseline};
use fastpath_history::blame::repository;
use fastpath_history::clock;
use fastpath_history::environment::Environment;
use fastpath_history::reference::{RunSource, Side};
use fastpath_history::series::Series;
use fastpath_profile::stats::{Decision, StoppingRule};

use crate::cli::{BaselineArgs, Cli};
use crate::measure::GateRuns;
use crate::printer::Printer;
use crate::project::{start_dir, Project};
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
    let start = start_dir(args.project.path.as_deref())?;
    let project = Project::open(cli, &start, &[], printer)?;
    let entries = project.entries("measure")?;
    let info = project.require_interpreter("a baseline")?;
    let settings = &project.settings;
    let environment = Environment::current(
        &info.version,
        &info.implementation,
        &info.executable.display().to_string(),
    );
    let mut baseline = Baseline::new(clock::utc_timestamp(clock::now_or_today()?), environment);
    if let Ok(repo) = repository(project.root()) {
        if let Ok(Some(head)) = repo.head() {
            baseline.commit = Some(head.commit);
            baseline.dirty = head.dirty;
        }
    }
    let mut out = printer.stdout();
    let file = settings
        .baseline
        .value
        .strip_prefix(project.root())
        .unwrap_or(&settings.baseline.value)
        .display()
        .to_string();
    for entry in &entries {
        let module = &entry.module;
        // The cold path `check` computes, observed imports included: FP203 compares the two.
        let (path, _) = project.cold_path(entry)?;
        let mut runs = GateRuns::new(&project, info, entry, &args.run, None);
        printer.progress(format!("measuring `{module}` for the baseline ..."));
        // Run by run, so that each run's CPU time is known.
        let warm = runs.warm_up(Side::Current, 0).map_err(|e| anyhow!(e))?;
        let fixed = args.run.runs.or(settings.runs).map(|n| n.max(1) as usize);
        let (min, max) = fixed.map_or((BASELINE_RULE.min_runs, BASELINE_RULE.max_runs), |n| (n, n));
        let mut series = Series::default();
        let mut walls: Vec<f64> = Vec::new();
        while series.len() < max {
            let (run, cpu) = runs.run(Side::Current).map_err(|e| anyhow!(e))?;
            walls.push(run.wall_us);
            series.push_run(&run, cpu);
            if let Some(s) = runs.startup_cpu_us().map_err(|e| anyhow!(e))? {
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
        baseline.entries.insert(module.clone(), recorded);
    }
    baseline.write(&settings.baseline.value)?;
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}
