//! The text summary: invocations and cold-start rate, Init Duration percentiles, one row per
//! memory size with the share of a vCPU Lambda gives it, and the local cold start beside them.

use std::io::{self, Write};

use fastpath_history::lambda::{LambdaReport, Percentiles, ONE_VCPU_MB};

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn percentiles(label: &str, p: &Percentiles, what: &str, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{label:<17} p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}  ({} {what}{})",
        ms(p.p50_ms),
        ms(p.p90_ms),
        ms(p.p99_ms),
        ms(p.max_ms),
        p.count,
        if p.count == 1 { "" } else { "s" }
    )
}

/// Writes the summary.
pub fn render_text(report: &LambdaReport, out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        "{}: {} invocation{}, {} cold start{} ({:.1} %)",
        report.file,
        report.invocations,
        if report.invocations == 1 { "" } else { "s" },
        report.cold_starts,
        if report.cold_starts == 1 { "" } else { "s" },
        100.0 * report.cold_start_rate
    )?;
    if report.timeouts > 0 {
        write!(out, ", {} timed out", report.timeouts)?;
    }
    if report.errors > 0 {
        write!(out, ", {} failed", report.errors)?;
    }
    writeln!(out)?;
    writeln!(out)?;
    match &report.init {
        Some(p) => percentiles("Init Duration", p, "cold start", out)?,
        None => writeln!(out, "Init Duration     none: every invocation was warm")?,
    }
    if let Some(p) = &report.restore {
        percentiles("Restore Duration", p, "SnapStart restore", out)?;
    }
    if let Some(p) = &report.duration {
        percentiles("Duration", p, "invocation", out)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:>11}  {:>5}  {:>11}  {:>11}  {:>9}  {:>15}",
        "memory size", "vCPU", "invocations", "cold starts", "Init p50", "max memory used"
    )?;
    for m in &report.memory_sizes {
        writeln!(
            out,
            "{:>11}  {:>5.2}  {:>11}  {:>11}  {:>9}  {:>15}",
            format!("{} MB", m.memory_size_mb),
            m.vcpu,
            m.invocations,
            m.cold_starts,
            m.init_p50_ms.map(ms).unwrap_or_else(|| "-".into()),
            m.max_memory_used_mb
                .map(|v| format!("{v} MB"))
                .unwrap_or_else(|| "-".into()),
        )?;
    }
    writeln!(out)?;
    match &report.local {
        Some(local) => {
            writeln!(
                out,
                "Local cold start of `{}` (Python {}, {}): {} (imports {})",
                local.entry,
                local.python,
                local.source,
                ms(local.cold_start_ms),
                ms(local.imports_ms)
            )?;
            if let (Some(p), true) = (&report.init, local.cold_start_ms > 0.0) {
                writeln!(
                    out,
                    "  Init Duration p50 is {:.1}x the local cold start.",
                    p.p50_ms / local.cold_start_ms
                )?;
            }
        }
        None => writeln!(
            out,
            "No local measurement to compare with: run `fastpath profile` first (or pass `--profile FILE`)."
        )?,
    }
    let smallest = report.memory_sizes.first().map(|m| m.memory_size_mb);
    write!(
        out,
        "note: Lambda allocates CPU in proportion to memory ({} MB is one vCPU)",
        thousands(ONE_VCPU_MB)
    )?;
    if let Some(mb) = smallest.filter(|&mb| mb < ONE_VCPU_MB) {
        write!(
            out,
            ": at {mb} MB a function gets {:.2} of a vCPU, so CPU-bound imports can take up to {:.1}x as long as on one full core",
            mb as f64 / ONE_VCPU_MB as f64,
            ONE_VCPU_MB as f64 / mb as f64
        )?;
    }
    writeln!(out, ".")?;
    writeln!(
        out,
        "note: Init Duration also holds the runtime's own start-up and any extensions' init, which a local import does not."
    )
}

fn thousands(v: u32) -> String {
    if v >= 1000 {
        format!("{},{:03}", v / 1000, v % 1000)
    } else {
        v.to_string()
    }
}
