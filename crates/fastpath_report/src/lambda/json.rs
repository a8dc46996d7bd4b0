//! `--format json`: the [`LambdaReport`] as `fastpath.lambda-report/1`, pretty-printed.

use std::io::{self, Write};

use fastpath_history::lambda::LambdaReport;

/// Writes the report as JSON, one trailing newline.
pub fn render_json(report: &LambdaReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
