//! The fast-path manifest: reads `fast_path.py` in the seed's format into data, edits it
//! without disturbing a byte it does not own, renders a fresh one, and writes it atomically.
//!
//! The manifest is a Python file that people edit by hand and review in pull requests, so the
//! tool treats it like a code-mod treats source: every element of the model keeps the byte span
//! it came from; an edit replaces only those bytes and keeps the encoding, the line endings and
//! the final newline; a second identical edit changes nothing; a write never leaves a half file
//! and never overwrites changes made since the read. A malformed element is a
//! [`ManifestDiagnostic`] at its line, never a panic, and the rest of the file still reads.
//!
//! # Where the format is loose, what this crate decided
//!
//! - `Last profiled:` and `Last reviewed:` are two spellings of the review date: both are read
//!   ([`Manifest::last_profiled`] prefers the first), and [`Editor::set_last_profiled`]
//!   updates whichever are written. `Target cold start:` and `Cold start target:` are one key.
//! - One annotation covers a whole statement: `import a, b  # 3ms` costs 3 ms for both. A
//!   parenthesised `from x import (` takes the comment on its last line, else its first.
//! - Annotation grammar: see the `annotation` module. `PROFILED` in capitals must be followed
//!   by a date; `profiled` in lower case is only a date when a digit follows (prose stays
//!   prose). A single word ending in `ms` that is not a duration (`abcms`) is a bad cost.
//! - Costs are written as the seed does: one decimal under 10 ms, whole numbers above.
//! - A HISTORY line indented past `# ` continues the entry above it.
//! - `from __future__` imports are not entries; imports inside module-level blocks are
//!   reported and not read; `__all__` is read only as a literal list or tuple of strings.
//!
//! ```
//! use fastpath_manifest::Manifest;
//!
//! let text = b"import json  # 0.8ms, every request\n__all__ = ['json']\n";
//! let (manifest, diagnostics) = Manifest::parse(text);
//! assert!(diagnostics.is_empty());
//! assert_eq!(manifest.imports[0].annotation.as_ref().unwrap().cost.as_ref().unwrap().ms, 0.8);
//!
//! let mut edit = manifest.edit();
//! edit.set_cost("json", 1.3).unwrap();
//! assert_eq!(edit.finish().unwrap(), b"import json  # 1.3ms, every request\n__all__ = ['json']\n");
//! ```

mod annotation;
mod comments;
mod date;
mod docstring;
mod edit;
mod model;
mod reader;
mod render;
mod source;
mod text;
mod write;

pub use crate::date::{Date, DateError};
pub use crate::edit::{EditError, Editor, NewImport};
pub use crate::model::{
    AllName, Annotation, Comparison, Cost, Criterion, CriterionKind, DateKey, DiagnosticKind,
    Docstring, DunderAll, History, HistoryEntry, ImportForm, ImportedItem, LineEnding, Manifest,
    ManifestDiagnostic, ManifestImport, Note, Profiled, Span, TargetKey, Threshold, TierMarker,
    TierSection, Unit, Usage, UsageKind,
};
pub use crate::render::{render, RenderEntry, RenderSpec};
pub use crate::text::format_ms;
pub use crate::write::{read_file, write_atomic, FileError, FileStamp};

impl Manifest {
    /// Reads a manifest from the bytes of the file. Never fails: what does not read is in the
    /// diagnostics (sorted by position), and everything else is in the model.
    pub fn parse(bytes: &[u8]) -> (Manifest, Vec<ManifestDiagnostic>) {
        reader::read(bytes)
    }

    /// The bytes the manifest was read from.
    pub fn bytes(&self) -> &[u8] {
        &self.source.bytes
    }

    /// The import statement that loads or binds `name` (`json`, `a.b`, or a bound alias).
    pub fn import(&self, name: &str) -> Option<&ManifestImport> {
        self.imports.iter().find(|import| import.names(name))
    }

    /// The date of the last review: `Last profiled:`, or else `Last reviewed:`.
    pub fn last_profiled(&self) -> Option<Date> {
        let docstring = self.docstring.as_ref()?;
        docstring
            .last_profiled
            .as_ref()
            .or(docstring.last_reviewed.as_ref())
            .map(|key| key.date)
    }

    /// Starts a set of edits; [`Editor::finish`] returns the new file bytes.
    pub fn edit(&self) -> Editor<'_> {
        Editor::new(self)
    }
}
