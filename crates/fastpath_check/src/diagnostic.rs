//! The one diagnostic model every rule produces and every renderer reads.

use std::path::PathBuf;

use serde::Serialize;

use crate::registry::Rule;

/// A place in a file: 1-based line and character column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    /// Where the highlighted text ends on the same line (exclusive), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
}

impl Location {
    pub fn new(path: impl Into<PathBuf>, line: u32, column: u32) -> Self {
        Location {
            path: path.into(),
            line,
            column,
            end_column: None,
        }
    }
}

/// A secondary place with a message: one statement of an import chain, say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// How bad a finding is. Every rule today reports errors (a finding fails `check`); the field
/// lets renderers and the exit status stop guessing from the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Not a finding: a measured rule's result too close to call (see [`crate::margin`]).
    /// [`crate::check`] leaves these out; [`crate::check_with_notes`] returns them apart.
    Note,
}

/// Whether applying a fix can change what the program observes (ruff's applicability).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixSafety {
    /// Only *when* a module loads changes.
    Safe,
    /// Needs `--unsafe-fixes`.
    Unsafe,
}

/// What `fastpath fix` acts on: the project statement that puts the modules on the cold path.
/// Data on the diagnostic, so that no consumer reads a message's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixTarget {
    /// The statement to edit (path relative to the project root, as in `location`); `None`
    /// when no project statement brings the module in (only code outside the project does).
    pub location: Option<Location>,
    /// The statement as written.
    pub statement: String,
    /// The modules the finding is about, as the statement names them (`.util` for a relative
    /// import).
    pub modules: Vec<String>,
    /// The safety the rule declares; the fix engine may find the edit less safe.
    pub safety: FixSafety,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    #[serde(serialize_with = "serialize_rule")]
    pub rule: &'static Rule,
    #[serde(skip)]
    pub severity: Severity,
    /// What a fix acts on, when the finding has one.
    #[serde(skip)]
    pub fix: Option<FixTarget>,
    pub message: String,
    /// Where the problem is; `None` for a problem of the whole project.
    pub location: Option<Location>,
    /// The import chain from the entry down to the statement, outermost first.
    pub chain: Vec<Label>,
    pub notes: Vec<String>,
    /// What to do instead.
    pub help: Option<String>,
}

fn serialize_rule<S: serde::Serializer>(
    rule: &&'static Rule,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(rule.code)
}

impl Diagnostic {
    pub fn new(
        rule: &'static Rule,
        message: impl Into<String>,
        location: Option<Location>,
    ) -> Self {
        Diagnostic {
            rule,
            severity: Severity::Error,
            fix: None,
            message: message.into(),
            location,
            chain: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn with_chain(mut self, chain: Vec<Label>) -> Self {
        self.chain = chain;
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_fix(mut self, fix: Option<FixTarget>) -> Self {
        self.fix = fix;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn sort_key(&self) -> (Option<&Location>, &'static str, &str) {
        (self.location.as_ref(), self.rule.code, &self.message)
    }
}
