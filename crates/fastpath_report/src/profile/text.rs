//! `--format text`: what the cold start costs, for a person. In order: the headline
//! (`cold start = interpreter start-up + imports`), how stable the figures are and how they were
//! taken (pinning, bytecode), the top costs and the top savings with their share of the cold
//! start, the `--defer` set's combined saving and modules, the measured import tree with the statement (file:line) that pulls each module in, and
//! what the run showed that the static graph did not predict (and the reverse).

use std::collections::BTreeMap;
use std::io::{self, Write};

use fastpath_profile::costed::PulledIn;
use fastpath_profile::savings::SetSaving;
use fastpath_profile::Profile;

use super::ProfileView;
use crate::paths::display_path;

/// Rows in each ranked table.
const TOP: usize = 10;
/// Names listed in each part of the observed section.
const LISTED: usize = 20;

/// Milliseconds, with one more decimal below 1 ms so small modules do not all read `0.0`.
fn ms(us: f64) -> String {
    if us.abs() < 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.1} ms", us / 1000.0)
    }
}

fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1} %", 100.0 * part / whole)
    } else {
        "-".to_string()
    }
}

/// What pulled `name` in, in a few words.
fn describe(pulled_in: &BTreeMap<String, PulledIn>, name: &str) -> String {
    match pulled_in.get(name) {
        Some(PulledIn::Entry) => "(entry)".to_string(),
        Some(PulledIn::Statement {
            file,
            line,
            statement,
        }) => format!("{file}:{line}  {statement}"),
        Some(PulledIn::Observed { file, .. }) => {
            format!("{file} (observed at run time, no statement)")
        }
        Some(PulledIn::RunTime { importer }) => {
            format!("imported by `{importer}` at run time (no statement shows it)")
        }
        Some(PulledIn::Unknown) => "(not in the static graph)".to_string(),
        None if pulled_in.is_empty() => String::new(),
        None => "(not in the static graph)".to_string(),
    }
}

pub fn render_text(view: &ProfileView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let p = view.profile;
    header(p, out)?;
    let cold_start =
        p.startup_us.map_or(p.process_wall_us.median, |s| s.median) + p.total_us.median;

    writeln!(
        out,
        "\nTop costs (median self time over runs; cumulative includes what a module imports)"
    )?;
    let mut costs: Vec<_> = p.modules.iter().collect();
    costs.sort_by(|a, b| {
        b.self_us
            .median
            .total_cmp(&a.self_us.median)
            .then_with(|| a.name.cmp(&b.name))
    });
    let width = costs
        .iter()
        .take(TOP)
        .map(|m| m.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        out,
        "  {:>9}  {:>6}  {:>9}  {:<width$}  pulled in by",
        "self", "share", "cumul.", "module"
    )?;
    for m in costs.iter().take(TOP) {
        writeln!(
            out,
            "  {:>9}  {:>6}  {:>9}  {:<width$}  {}",
            ms(m.self_us.median),
            percent(m.self_us.median, cold_start),
            ms(m.cumulative_us.median),
            m.name,
            describe(view.pulled_in, &m.name)
        )?;
    }

    writeln!(
        out,
        "\nTop savings (defer one import statement: the modules that would no longer load)"
    )?;
    let savings: Vec<_> = p.savings.iter().filter(|s| s.saved_us > 0.0).collect();
    if savings.is_empty() {
        writeln!(
            out,
            "  none: no single statement is the only way a measured module loads"
        )?;
    } else {
        writeln!(
            out,
            "  {:>9}  {:>6}  {:>7}  statement",
            "saves", "share", "modules"
        )?;
        for s in savings.iter().take(TOP) {
            writeln!(
                out,
                "  {:>9}  {:>6}  {:>7}  {}:{}  {}",
                ms(s.saved_us),
                percent(s.saved_us, cold_start),
                s.modules.len(),
                s.site.file,
                s.site.line,
                s.site.statement
            )?;
            if s.shared_modules > 0 {
                writeln!(
                    out,
                    "  {:>9}  {:>6}  {:>7}  (not saved: {} more module{} ({}) also load through other imports)",
                    "",
                    "",
                    "",
                    s.shared_modules,
                    if s.shared_modules == 1 { "" } else { "s" },
                    ms(s.shared_us)
                )?;
            }
        }
    }

    if let Some(set) = view.deferred {
        deferred(set, cold_start, out)?;
    }

    writeln!(
        out,
        "\nImport tree (median self / cumulative; the statement that pulls each module in)"
    )?;
    let width = p
        .modules
        .iter()
        .map(|m| 2 * m.depth + m.name.len())
        .max()
        .unwrap_or(0)
        .min(60);
    for m in &p.modules {
        let name = format!("{}{}", "  ".repeat(m.depth), m.name);
        writeln!(
            out,
            "  {name:<width$}  {:>9} / {:>9}  {}",
            ms(m.self_us.median),
            ms(m.cumulative_us.median),
            describe(view.pulled_in, &m.name)
        )?;
    }
    if !p.untimed.is_empty() {
        let names: Vec<&str> = p.untimed.iter().map(|e| e.module.as_str()).collect();
        writeln!(
            out,
            "  + {} module{} loaded without an importtime row (importlib.import_module), timed within {} importer: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            if names.len() == 1 { "its" } else { "their" },
            names.join(", ")
        )?;
    }

    observed(view, out)
}

/// The `--defer` set: what the statements save together, and every module that stops loading.
fn deferred(set: &SetSaving, cold_start: f64, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\nDeferred together (--defer): saves {} ({}); {} module{} would no longer load",
        ms(set.saved_us),
        percent(set.saved_us, cold_start),
        set.modules.len(),
        if set.modules.len() == 1 { "" } else { "s" }
    )?;
    for site in &set.sites {
        writeln!(out, "  {}:{}  {}", site.file, site.line, site.statement)?;
    }
    if set.unmeasured > 0 {
        writeln!(
            out,
            "  ({} of them not measured, counted as 0)",
            set.unmeasured
        )?;
    }
    let mut line = String::from("  modules:");
    for (i, name) in set.modules.iter().enumerate() {
        let item = if i + 1 < set.modules.len() {
            format!(" {name},")
        } else {
            format!(" {name}")
        };
        if line.len() + item.len() > 100 && line.len() > 11 {
            writeln!(out, "{line}")?;
            line = String::from("   ");
        }
        line.push_str(&item);
    }
    if !set.modules.is_empty() {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn header(p: &Profile, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Cold start of `{}` on Python {} ({}): {} measured run{} after {} warm-up",
        p.entry,
        p.interpreter.version,
        p.interpreter.executable,
        p.runs,
        if p.runs == 1 { "" } else { "s" },
        p.warmup
    )?;
    match p.startup_us {
        Some(startup) => writeln!(
            out,
            "  cold start = interpreter start-up + imports = {} + {} = {}  (whole process: {})",
            ms(startup.median),
            ms(p.total_us.median),
            ms(startup.median + p.total_us.median),
            ms(p.process_wall_us.median)
        )?,
        None => writeln!(
            out,
            "  imports: {}  (whole process: {})",
            ms(p.total_us.median),
            ms(p.process_wall_us.median)
        )?,
    }
    let s = &p.stability;
    writeln!(
        out,
        "  stability: imports median {} within ±{:.1} % ({:.0} % confidence, [{}, {}]), robust CV {:.1} %; {}",
        ms(p.total_us.median),
        100.0 * s.relative_half_width,
        100.0 * s.confidence,
        ms(s.ci_low_us),
        ms(s.ci_high_us),
        100.0 * s.robust_cv,
        if p.contention.contended {
            "contended: no precision is claimed".to_string()
        } else if s.converged {
            format!("met the ±{:.1} % target", 100.0 * s.target)
        } else {
            format!("the ±{:.1} % target was not met in {} runs", 100.0 * s.target, p.runs)
        }
    )?;
    if let Some(line) = p.contention.describe() {
        writeln!(out, "  {line}")?;
    }
    match p.pinned {
        Some(cpu) => writeln!(
            out,
            "  pinned to CPU {cpu}: steadier figures; an unpinned process can differ (--no-pin)"
        )?,
        None => writeln!(out, "  not pinned to a CPU: figures are noisier")?,
    }
    for moved in &p.placement.moves {
        let cpu = |c: Option<usize>| c.map_or("no CPU".to_string(), |c| format!("CPU {c}"));
        writeln!(
            out,
            "  moved from {} to {} after run {}: other processes took {:.0} % of it",
            cpu(moved.from),
            cpu(moved.to),
            moved.after_run,
            moved.foreign_busy_percent
        )?;
    }
    if let Some(note) = &p.placement.note {
        writeln!(out, "  note: {note}")?;
    }
    writeln!(out, "  bytecode: {}", p.bytecode.description())?;
    if let Some(note) = &p.bytecode.note {
        writeln!(out, "  note: {note}")?;
    }
    if !p.env_removed.is_empty() {
        writeln!(
            out,
            "  removed from the measured environment: {}",
            p.env_removed.join(", ")
        )?;
    }
    if p.entry_preloaded {
        writeln!(
            out,
            "  note: `{}` was already imported during interpreter start-up (site, a .pth file or sitecustomize): its cost is in the start-up figure",
            p.entry
        )?;
    }
    if p.anomalies > 0 {
        writeln!(
            out,
            "  note: {} importtime row{} over all runs had odd values and were worked around",
            p.anomalies,
            if p.anomalies == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

fn observed(view: &ProfileView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let o = &view.observed;
    let c = o.comparison;
    writeln!(out, "\nStatic prediction versus what loaded")?;
    if c.unpredicted.is_empty() && c.not_loaded.is_empty() {
        return writeln!(
            out,
            "  every loaded module was predicted, and every predicted module loaded"
        );
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if c.unpredicted.is_empty() {
        writeln!(out, "  unpredicted: none")?;
    } else {
        let stored = match o.store {
            Some(store) => format!(
                "{} import{} recorded in {} under {} ({} new); `fastpath graph` includes them from now on",
                o.recorded.len(),
                plural(o.recorded.len()),
                display_path(store, view.root).display(),
                o.key,
                o.added
            ),
            None => "not recorded".to_string(),
        };
        writeln!(
            out,
            "  unpredicted: {} module{} loaded that the static graph did not predict; {stored}",
            c.unpredicted.len(),
            plural(c.unpredicted.len())
        )?;
        for e in c.unpredicted.iter().take(LISTED) {
            match &e.importer {
                Some(importer) => writeln!(out, "    + {}  (imported by {importer})", e.module)?,
                None => writeln!(out, "    + {}  (importer unknown)", e.module)?,
            }
        }
        if c.unpredicted.len() > LISTED {
            writeln!(
                out,
                "    ... {} more (--format json lists them all)",
                c.unpredicted.len() - LISTED
            )?;
        }
    }
    if c.not_loaded.is_empty() {
        writeln!(out, "  predicted but not loaded: none")?;
    } else {
        writeln!(
            out,
            "  predicted but not loaded: {} module{} (the static analysis over-approximates here)",
            c.not_loaded.len(),
            plural(c.not_loaded.len())
        )?;
        for name in c.not_loaded.iter().take(LISTED) {
            writeln!(out, "    - {name}")?;
        }
        if c.not_loaded.len() > LISTED {
            writeln!(
                out,
                "    ... {} more (--format json lists them all)",
                c.not_loaded.len() - LISTED
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fastpath_profile::importtime::parse;
    use fastpath_profile::runner::contention::{Contended, DroppedRun};
    use fastpath_profile::runner::{
        BytecodeReport, EntryOutcome, Interpreter, Measurement, Placement, Run,
    };
    use fastpath_profile::stats::{Decision, StoppingRule};

    fn header_of(contended: bool) -> String {
        let run = Run {
            wall_us: 30_000.0,
            imports: parse("import time:       100 |      20000 | app\n"),
            modules: ["app".to_string()].into(),
            outcome: EntryOutcome::Imported,
        };
        let mut m = Measurement {
            entry: "app".to_string(),
            interpreter: Interpreter {
                requested: "python3".into(),
                executable: "/usr/bin/python3".to_string(),
                version: "3.11.7".to_string(),
                implementation: "cpython".to_string(),
            },
            warmup: 1,
            runs: vec![run.clone(), run.clone(), run],
            startup_wall_us: vec![10_000.0],
            pinned: None,
            placement: Placement {
                note: Some("every allowed CPU was busy: ran unpinned".to_string()),
                ..Placement::default()
            },
            contention: Default::default(),
            bytecode: BytecodeReport::cached("/cache/pycache/0123"),
            env_removed: vec![],
            stopping: StoppingRule::fixed(3),
            decision: Decision::Converged,
            untimed: vec![],
            reattributed: Default::default(),
            files: Default::default(),
        };
        if contended {
            m.contention.attempted = 9;
            m.contention.contended = true;
            m.contention.dropped = vec![DroppedRun {
                run: 1,
                why: Contended::CpuShare { cpu_share: 0.4 },
            }];
        }
        let mut out = Vec::new();
        header(&Profile::from_measurement(&m), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_contended_measurement_claims_no_target() {
        let quiet = header_of(false);
        assert!(quiet.contains("met the ±2.5 % target"), "{quiet}");
        assert!(!quiet.contains("contended"), "{quiet}");
        let busy = header_of(true);
        assert!(!busy.contains("met the"), "{busy}");
        assert!(
            busy.contains("; contended: no precision is claimed"),
            "{busy}"
        );
        assert!(
            busy.contains(
                "  contended: 1 of 9 runs were slowed by other processes (1 waited for a CPU)"
            ),
            "{busy}"
        );
        assert!(
            busy.contains("note: every allowed CPU was busy: ran unpinned"),
            "{busy}"
        );
    }
}
