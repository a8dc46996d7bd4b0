//! `--output-format concise`: one line per finding, `file:line:col: CODE message`.

use std::io::{self, Write};

use fastpath_check::Diagnostic;

pub fn render_concise(diagnostics: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    for d in diagnostics {
        match &d.location {
            Some(l) => writeln!(
                out,
                "{}:{}:{}: {} {}",
                l.path.display(),
                l.line,
                l.column,
                d.rule.code,
                d.message
            )?,
            None => writeln!(out, "{} {}", d.rule.code, d.message)?,
        }
    }
    writeln!(out, "{}", super::summary(diagnostics))
}
