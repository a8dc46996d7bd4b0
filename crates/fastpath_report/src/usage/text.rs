//! The usage table: one row per tracked module (manifest, cold path, deferred), its count and
//! percentage of events, then the events that raised.

use std::io::{self, Write};

use fastpath_profile::usage::{Kind, UsageReport};

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::Manifest => "manifest",
        Kind::ColdPath => "cold path",
        Kind::Deferred => "deferred",
        Kind::Logged => "logged",
    }
}

/// Writes the table.
pub fn render_text(report: &UsageReport, out: &mut dyn Write) -> io::Result<()> {
    let unit = if report.source == "logs" {
        "logged invocations"
    } else {
        "events"
    };
    write!(out, "Usage")?;
    if let Some(h) = &report.handler {
        match &report.entry {
            Some(e) => write!(out, " of `{e}.{h}`")?,
            None => write!(out, " of `{h}`")?,
        }
    }
    write!(out, " over {} {unit} ({}", report.invocations, report.input)?;
    if let (Some(p), Some(m)) = (&report.python, &report.monitor) {
        write!(out, ", Python {p}, {m}")?;
    }
    writeln!(out, "): {} raised", report.failed)?;
    let width = report
        .modules
        .iter()
        .map(|m| m.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(out)?;
    writeln!(
        out,
        "{:<width$}  {:<9}  {:>6}  {:>7}",
        "module", "kind", "used", "events"
    )?;
    for m in &report.modules {
        writeln!(
            out,
            "{:<width$}  {:<9}  {:>4.0} %  {:>7}",
            m.name,
            kind(m.kind),
            m.percent,
            format!("{}/{}", m.count, report.invocations)
        )?;
    }
    let failed: Vec<_> = report.events.iter().filter(|e| !e.ok).collect();
    if !failed.is_empty() {
        writeln!(out)?;
        writeln!(out, "Events that raised (counted, not fatal):")?;
        for e in failed {
            writeln!(
                out,
                "  {}: {}",
                e.file,
                e.error.as_deref().unwrap_or("failed")
            )?;
        }
    }
    Ok(())
}
