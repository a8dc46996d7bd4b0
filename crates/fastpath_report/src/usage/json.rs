//! `--format json`: the [`UsageReport`] as `fastpath.usage/1`, pretty-printed.

use std::io::{self, Write};

use fastpath_profile::usage::UsageReport;

/// Writes the report as JSON, one trailing newline.
pub fn render_json(report: &UsageReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
