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

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    #[serde(serialize_with = "serialize_rule")]
    pub rule: &'static Rule,
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

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn sort_key(&self) -> (Option<&Location>, &'static str, &str) {
        (self.location.as_ref(), self.rule.code, &self.message)
    }
}
