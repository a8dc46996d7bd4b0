//! `--output-format sarif`: SARIF 2.1.0, one result per finding; the import chain is its
//! related locations. Hand-written types: the SARIF crates do not build lean (CRATES.md).
//! Locations name files of the repository only, from its root (see [`RepositoryFiles`]); a
//! statement outside it (inside an installed package) stays in the message's words.

use std::io::{self, Write};

use fastpath_check::{Diagnostic, Severity, RULES};
use serde::Serialize;

use super::{RepositoryFiles, RepositoryLocation};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<SarifRule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Help,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<SarifLocation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: Physical<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical<'a> {
    artifact_location: Artifact,
    region: Region,
    #[serde(skip)]
    _marker: std::marker::PhantomData<&'a ()>,
}

#[derive(Serialize)]
struct Artifact {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
}

fn physical<'a>(location: RepositoryLocation) -> Physical<'a> {
    Physical {
        artifact_location: Artifact { uri: location.uri },
        region: Region {
            start_line: location.line,
            start_column: location.column,
        },
        _marker: std::marker::PhantomData,
    }
}

pub fn render_sarif(
    diagnostics: &[Diagnostic],
    files: &RepositoryFiles,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rules = RULES
        .iter()
        .map(|r| SarifRule {
            id: r.code,
            name: r.name,
            short_description: Text {
                text: r.summary.to_string(),
            },
            full_description: Text {
                text: r.summary.to_string(),
            },
            help: Help {
                text: r.summary.to_string(),
                markdown: r.explanation,
            },
        })
        .collect();
    let results = diagnostics
        .iter()
        .map(|d| SarifResult {
            rule_id: d.rule.code,
            rule_index: RULES
                .iter()
                .position(|r| r.code == d.rule.code)
                .unwrap_or(0),
            level: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "note",
            },
            message: Text { text: message(d) },
            locations: d
                .location
                .iter()
                .filter_map(|l| files.locate(l))
                .map(|l| SarifLocation {
                    id: None,
                    physical_location: physical(l),
                    message: None,
                })
                .collect(),
            related_locations: d
                .chain
                .iter()
                .filter_map(|link| Some((files.locate(&link.location)?, link)))
                .enumerate()
                .map(|(i, (location, link))| SarifLocation {
                    id: Some(i),
                    physical_location: physical(location),
                    message: Some(Text {
                        text: link.message.clone(),
                    }),
                })
                .collect(),
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "fastpath",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/fastpath/fastpath",
                    rules,
                },
            },
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// The finding's message with its notes: code scanning shows only the message, and the notes
/// carry what is outside the repository (the chain inside a dependency).
fn message(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    for note in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(note);
    }
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    text
}
