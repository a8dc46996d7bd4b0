//! `--output-format full`: rustc/ruff-style, with the source line and the import chain as notes.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use fastpath_check::Diagnostic;

/// `root` is where the diagnostics' relative paths start; `styled` adds colours.
pub fn render_full(
    diagnostics: &[Diagnostic],
    root: &Path,
    styled: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut sources: HashMap<PathBuf, Option<String>> = HashMap::new();
    for d in diagnostics {
        let path_text = d
            .location
            .as_ref()
            .map(|l| l.path.display().to_string())
            .unwrap_or_default();
        let line_text = d.location.as_ref().and_then(|l| {
            let text = sources.entry(l.path.clone()).or_insert_with(|| {
                std::fs::read(root.join(&l.path))
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            });
            text.as_deref()?
                .lines()
                .nth(l.line.checked_sub(1)? as usize)
                .map(str::to_string)
        });
        let chain: Vec<String> = d
            .chain
            .iter()
            .map(|link| {
                format!(
                    "{}:{}: {}",
                    link.location.path.display(),
                    link.location.line,
                    link.message
                )
            })
            .collect();
        let chain_text = format!(
            "import chain:\n{}",
            chain
                .iter()
                .map(|c| format!("  {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let title = Level::ERROR
            .primary_title(d.message.as_str())
            .id(d.rule.code);
        let mut group = match (&d.location, &line_text) {
            (Some(location), Some(text)) => {
                let start = byte_of_column(text, location.column);
                let end = location
                    .end_column
                    .map_or_else(|| code_end(text), |c| byte_of_column(text, c));
                // At least the character at `start`, whole: `start + 1` can cut a multi-byte
                // one, which panics in the snippet renderer (found by the `render` fuzz target).
                let next = text[start..]
                    .chars()
                    .next()
                    .map_or(start + 1, |c| start + c.len_utf8());
                let end = end.clamp(next, text.len().max(next));
                title.element(
                    Snippet::source(text.as_str())
                        .line_start(location.line as usize)
                        .path(path_text.as_str())
                        .annotation(AnnotationKind::Primary.span(start..end.min(text.len()))),
                )
            }
            (Some(location), None) => title.element(Level::NOTE.message(format!(
                "at {}:{}:{}",
                path_text, location.line, location.column
            ))),
            (None, _) => title.element(Level::NOTE.message("in the project as a whole")),
        };
        if !chain.is_empty() {
            group = group.element(Level::NOTE.message(chain_text.as_str()));
        }
        for note in &d.notes {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        if let Some(help) = &d.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        writeln!(out, "{}\n", renderer.render(&[group]))?;
    }
    writeln!(out, "{}", super::summary(diagnostics))
}

/// Where the code of a line ends: before a trailing `  # comment`, without trailing blanks.
fn code_end(text: &str) -> usize {
    let code = text
        .find("  #")
        .or_else(|| text.find(" #"))
        .map_or(text, |i| &text[..i]);
    code.trim_end().len()
}

/// Byte offset of a 1-based character column.
fn byte_of_column(text: &str, column: u32) -> usize {
    text.char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(text.len(), |(i, _)| i)
}
