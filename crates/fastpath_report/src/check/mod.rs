//! `fastpath check` output: diagnostics in six formats, one file each.

mod concise;
mod full;
mod github;
mod html;
mod json;
mod sarif;

pub use concise::render_concise;
pub use full::render_full;
pub use github::render_github;
pub use html::render_html;
pub use json::{render_json, render_json_with_notes};
pub use sarif::render_sarif;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use fastpath_check::{Diagnostic, Location};

/// Where the project sits in its repository, and which of the diagnostics' files belong to it:
/// what SARIF and GitHub may name as a location. Code scanning and workflow annotations only
/// show a location on a file of the repository, at line 1 or later, named from the repository's
/// root; anything else is rejected or dropped (a `.venv` inside the tree, line 0 for an import
/// only seen at run time, a project in a subdirectory).
#[derive(Debug, Clone, Default)]
pub struct RepositoryFiles {
    /// The project root relative to the repository's root (empty when they are the same, or
    /// when there is no repository).
    prefix: PathBuf,
    /// Project-relative paths that are files of the repository.
    files: BTreeSet<PathBuf>,
}

/// A location as SARIF and GitHub name it: a `/`-separated path from the repository's root,
/// with line and column at least 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepositoryLocation {
    pub uri: String,
    pub line: u32,
    pub column: u32,
}

impl RepositoryFiles {
    /// `prefix`: the project root relative to the repository's root; `files`: the
    /// project-relative paths, among those the diagnostics name, that are the repository's.
    pub fn new(prefix: impl Into<PathBuf>, files: impl IntoIterator<Item = PathBuf>) -> Self {
        RepositoryFiles {
            prefix: prefix.into(),
            files: files.into_iter().collect(),
        }
    }

    /// Every file a diagnostic names, as the diagnostic names it (relative to the project
    /// root unless outside it).
    pub fn named_by(diagnostics: &[Diagnostic]) -> BTreeSet<PathBuf> {
        diagnostics
            .iter()
            .flat_map(|d| {
                d.location
                    .iter()
                    .chain(d.chain.iter().map(|l| &l.location))
                    .map(|l| l.path.clone())
            })
            .collect()
    }

    pub(crate) fn locate(&self, location: &Location) -> Option<RepositoryLocation> {
        if !self.files.contains(&location.path) || !inside(&location.path) {
            return None;
        }
        let uri = self
            .prefix
            .join(&location.path)
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        Some(RepositoryLocation {
            uri,
            // Line 0 is an import no statement shows (observed at run time): the file itself.
            line: location.line.max(1),
            column: location.column.max(1),
        })
    }
}

/// A relative path that stays below its base.
fn inside(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// "3 problems: 2 FP002, 1 FP104", or "No problems found".
pub(crate) fn summary(diagnostics: &[Diagnostic]) -> String {
    if diagnostics.is_empty() {
        return "No problems found.".to_string();
    }
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for d in diagnostics {
        *by_code.entry(d.rule.code).or_default() += 1;
    }
    let counts: Vec<String> = by_code
        .iter()
        .map(|(code, n)| format!("{n} {code}"))
        .collect();
    let noun = if diagnostics.len() == 1 {
        "problem"
    } else {
        "problems"
    };
    format!(
        "Found {} {noun} ({}).",
        diagnostics.len(),
        counts.join(", ")
    )
}
