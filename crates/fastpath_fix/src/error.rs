//! Why a file could not be fixed at all (as opposed to a [`crate::Refusal`], which is a reasoned
//! "no" for one import).

/// A failure to edit a file. Nothing is written when one happens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    #[error("the file cannot be edited in place: {reason}")]
    NotEditable { reason: String },
    #[error("new text cannot be written in the file's encoding ({encoding})")]
    Unencodable { encoding: &'static str },
    #[error("two edits overlap at line {line}")]
    Overlap { line: u32 },
    #[error("the file has a syntax error at line {line}: {message}")]
    Syntax { line: u32, message: String },
    #[error("internal error: the fixed text does not parse (line {line}: {message}); nothing was changed")]
    BrokenResult { line: u32, message: String },
}
