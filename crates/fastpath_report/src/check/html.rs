//! `--output-format html`: the findings as one self-contained page, in the profile page's style
//! (see [`crate::html`]): each finding with its code, message, place and source line, the chain
//! of statements that puts the module on the cold path, its notes and help; a search box and a
//! filter by rule code.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use fastpath_check::Diagnostic;
use serde::Serialize;

use crate::html::write_page;

/// The page's own script.
const SCRIPT: &str = include_str!("../html/check.js");

#[derive(Serialize)]
struct Link<'a> {
    file: &'a Path,
    line: u32,
    statement: &'a str,
}

#[derive(Serialize)]
struct Finding<'a> {
    code: &'static str,
    name: &'static str,
    message: &'a str,
    file: Option<&'a Path>,
    line: Option<u32>,
    column: Option<u32>,
    /// The source line the finding points at, when it can be read.
    source: Option<String>,
    chain: Vec<Link<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct Page<'a> {
    schema: &'static str,
    summary: String,
    measured: bool,
    findings: Vec<Finding<'a>>,
}

/// Writes the page; `root` is where the diagnostics' relative paths start.
pub fn render_html(
    diagnostics: &[Diagnostic],
    root: &Path,
    measured: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut sources: HashMap<PathBuf, Option<String>> = HashMap::new();
    let findings = diagnostics
        .iter()
        .map(|d| {
            let source = d.location.as_ref().and_then(|l| {
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
            Finding {
                code: d.rule.code,
                name: d.rule.name,
                message: &d.message,
                file: d.location.as_ref().map(|l| l.path.as_path()),
                line: d.location.as_ref().map(|l| l.line),
                column: d.location.as_ref().map(|l| l.column),
                source,
                chain: d
                    .chain
                    .iter()
                    .map(|l| Link {
                        file: &l.location.path,
                        line: l.location.line,
                        statement: &l.message,
                    })
                    .collect(),
                notes: &d.notes,
                help: d.help.as_deref(),
            }
        })
        .collect();
    let page = Page {
        schema: "fastpath.check-page/1",
        summary: super::summary(diagnostics),
        measured,
        findings,
    };
    write_page(out, "fastpath check", &page, SCRIPT)
}
