//! `--output-format github`: GitHub Actions workflow commands, so findings show on the
//! pull request's diff.

use std::io::{self, Write};

use fastpath_check::{Diagnostic, Severity};

pub fn render_github(diagnostics: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
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
        let title = format!("{} {}", d.rule.code, d.rule.name);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        match &d.location {
            Some(l) => writeln!(
                out,
                "::{level} title={},file={},line={},col={}::{}",
                property(&title),
                property(&l.path.display().to_string()),
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
