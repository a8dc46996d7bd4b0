//! `--output-format github`: GitHub Actions workflow commands, so findings show on the
//! pull request's diff. `file=` names a file of the repository from its root, at line 1 or
//! later (see [`RepositoryFiles`]); a finding without one is annotated on the run.

use std::io::{self, Write};

use fastpath_check::{Diagnostic, Severity};

use super::RepositoryFiles;

pub fn render_github(
    diagnostics: &[Diagnostic],
    files: &RepositoryFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    for d in diagnostics {
        let mut message = d.message.clone();
        if !d.chain.is_empty() {
            let chain: Vec<String> = d
                .chain
                .iter()
                .map(|l| {
                    format!(
                        "{}:{} {}",
                        l.location.path.display(),
                        l.location.line,
                        l.message
                    )
                })
                .collect();
            message.push_str(&format!("\nchain: {}", chain.join(" -> ")));
        }
        for note in &d.notes {
            message.push_str(&format!("\nnote: {note}"));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let title = format!("{} {}", d.rule.code, d.rule.name);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        match d.location.as_ref().and_then(|l| files.locate(l)) {
            Some(l) => writeln!(
                out,
                "::{level} title={},file={},line={},col={}::{}",
                property(&title),
                property(&l.uri),
                l.line,
                l.column,
                data(&message)
            )?,
            None => writeln!(
                out,
                "::{level} title={}::{}",
                property(&title),
                data(&message)
            )?,
        }
    }
    Ok(())
}

/// Escaping of workflow command data (the runner's `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of workflow command properties (the runner's `escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
