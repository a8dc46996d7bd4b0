//! `--output-format json`: `fastpath.check/1`.

use std::io::{self, Write};
use std::path::Path;

use fastpath_check::Diagnostic;
use serde::Serialize;

#[derive(Serialize)]
struct JsonLink<'a> {
    #[serde(serialize_with = "crate::paths::serialize_lossy")]
    file: &'a Path,
    line: u32,
    column: u32,
    statement: &'a str,
}

#[derive(Serialize)]
pub(super) struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    message: &'a str,
    #[serde(serialize_with = "crate::paths::serialize_lossy_option")]
    file: Option<&'a Path>,
    line: Option<u32>,
    column: Option<u32>,
    chain: Vec<JsonLink<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    schema: &'static str,
    /// Whether measured rules ran.
    measured: bool,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    /// Measured results too close to call: no finding (see `fastpath explain FP101`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    close_calls: Vec<JsonDiagnostic<'a>>,
}

pub fn render_json(
    diagnostics: &[Diagnostic],
    measured: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_json_with_notes(diagnostics, &[], measured, out)
}

/// One diagnostic as `fastpath.check/1` gives it (also the core of the HTML page's findings).
pub(super) fn json_diagnostic(d: &Diagnostic) -> JsonDiagnostic<'_> {
    JsonDiagnostic {
        code: d.rule.code,
        name: d.rule.name,
        message: &d.message,
        file: d.location.as_ref().map(|l| l.path.as_path()),
        line: d.location.as_ref().map(|l| l.line),
        column: d.location.as_ref().map(|l| l.column),
        chain: d
            .chain
            .iter()
            .map(|l| JsonLink {
                file: &l.location.path,
                line: l.location.line,
                column: l.location.column,
                statement: &l.message,
            })
            .collect(),
        notes: &d.notes,
        help: d.help.as_deref(),
    }
}

/// [`render_json`] with the measured rules' results too close to call, under `close_calls`
/// (left out when there are none, so older readers see the same document).
pub fn render_json_with_notes(
    diagnostics: &[Diagnostic],
    close_calls: &[Diagnostic],
    measured: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let json = JsonCheck {
        schema: "fastpath.check/1",
        measured,
        diagnostics: diagnostics.iter().map(json_diagnostic).collect(),
        close_calls: close_calls.iter().map(json_diagnostic).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)
}
