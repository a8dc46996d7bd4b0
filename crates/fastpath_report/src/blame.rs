//! `fastpath blame`'s output: each chosen module of each entry with the chain of statements
//! that puts it on the cold path and who wrote each line (`fastpath.blame/1` for programs).
//! The command computes the report; this file only renders it.

use std::io::{self, Write};
use std::path::PathBuf;

use fastpath_history::git::BlameLine;
use serde::Serialize;

#[derive(Serialize)]
pub struct BlameReport {
    pub schema: &'static str,
    /// What git could not tell, for every line (`null` when it could).
    pub git_unavailable: Option<String>,
    pub shallow: bool,
    pub entries: Vec<BlameEntry>,
}

#[derive(Serialize)]
pub struct BlameEntry {
    pub entry: String,
    pub modules: Vec<BlameModule>,
}

#[derive(Serialize)]
pub struct BlameModule {
    pub name: String,
    /// Measured cumulative cost (median), when measured.
    pub cumulative_us: Option<f64>,
    pub chain: Vec<BlameLink>,
}

#[derive(Serialize)]
pub struct BlameLink {
    pub module: String,
    pub file: PathBuf,
    pub line: u32,
    pub statement: String,
    /// `null` outside the repository or when git cannot tell (see `note`).
    pub blame: Option<BlameLine>,
    pub note: Option<String>,
}

/// `fastpath.blame/1`.
pub fn render_json(blame: &BlameReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, blame)?;
    writeln!(out)
}

/// For people: each module with its chain, and who wrote each line.
pub fn render_text(blame: &BlameReport, out: &mut dyn Write) -> io::Result<()> {
    if let Some(reason) = &blame.git_unavailable {
        writeln!(
            out,
            "who wrote these lines is unknown: {reason}; the chains follow"
        )?;
    } else if blame.shallow {
        writeln!(
            out,
            "note: this is a shallow clone; a line blamed on its oldest commit may be older (`git fetch --unshallow`)"
        )?;
    }
    for entry in &blame.entries {
        if entry.modules.is_empty() {
            writeln!(
                out,
                "`{}`: no module imported by project code on its cold path",
                entry.entry
            )?;
        }
        for module in &entry.modules {
            let cost = module
                .cumulative_us
                .map(|us| format!(" ({:.1} ms with what it imports)", us / 1000.0))
                .unwrap_or_default();
            writeln!(
                out,
                "`{}`{cost}, on the cold path of `{}` through:",
                module.name, entry.entry
            )?;
            for link in &module.chain {
                let place = format!("{}:{}", link.file.display(), link.line);
                let who = match (&link.blame, &link.note) {
                    (Some(b), _) if b.uncommitted => "not committed yet".to_string(),
                    (Some(b), _) => format!(
                        "{}{} {} <{}> {}  {}",
                        b.short(),
                        if b.boundary {
                            " (shallow boundary: may be older)"
                        } else {
                            ""
                        },
                        b.author,
                        b.email,
                        b.date,
                        b.summary
                    ),
                    (None, Some(note)) if blame.git_unavailable.is_some() => {
                        let _ = note;
                        String::new()
                    }
                    (None, Some(note)) => format!("({note})"),
                    (None, None) => String::new(),
                };
                writeln!(out, "  {place:<24} {:<28} {who}", link.statement)?;
            }
        }
    }
    Ok(())
}
