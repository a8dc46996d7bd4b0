//! Taking an import (or some of its aliases) out of its statement: whole lines when it stands
//! alone, the statement and its `;` when it shares a line.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::Stmt;
use ruff_text_size::Ranged;

use crate::plan::Context;
use crate::source::Edit;

/// The longest run of blank lines in a text: the file's own style (PEP 8 allows two).
fn longest_blank_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for line in text.lines() {
        if line.trim().is_empty() {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

impl Context<'_> {
    /// Edits that take the aliases at `selected` out of the statement (the whole statement
    /// when it holds nothing else).
    pub(crate) fn removal(&self, stmt: &Stmt, selected: &[usize]) -> Vec<Edit> {
        if let Stmt::Import(import) = stmt {
            if selected.len() < import.names.len() {
                let kept: Vec<&str> = (0..import.names.len())
                    .filter(|i| !selected.contains(i))
                    .map(|i| &self.text[import.names[i].range()])
                    .collect();
                let first = import.names.first().expect("an alias").start().to_u32();
                let last = import.names.last().expect("an alias").end().to_u32();
                return vec![Edit::replace(first, last, kept.join(", "))];
            }
        }
        if let Some(block) = &self.block {
            if block.sole {
                // The only statement of its suite: an empty suite would not parse.
                return vec![Edit::replace(
                    stmt.start().to_u32(),
                    stmt.end().to_u32(),
                    "pass",
                )];
            }
        }
        vec![self.statement_removal(stmt)]
    }

    /// [`Context::removal`] for a statement that leaves no other text in its place: when its
    /// lines go, the blank lines around them join, and a run longer than the file's longest
    /// is cut back to it (no new E303).
    pub(crate) fn removal_closing_gap(&self, stmt: &Stmt, selected: &[usize]) -> Vec<Edit> {
        let mut edits = self.removal(stmt, selected);
        let [edit] = edits.as_mut_slice() else {
            return edits;
        };
        let text_len = self.text.len() as u32;
        let whole_lines = edit.text.is_empty()
            && self.lines.line_start(edit.start) == edit.start
            && (edit.end == text_len || self.lines.line_start(edit.end) == edit.end);
        if !whole_lines || edit.end == text_len {
            return edits;
        }
        let blank = |from: u32| {
            let to = self.lines.next_line_start(from, text_len);
            to > from && self.text[from as usize..to as usize].trim().is_empty()
        };
        let mut before = 0;
        let mut at = edit.start;
        while at > 0 {
            let previous = self.lines.line_start(at - 1);
            if !blank(previous) {
                break;
            }
            before += 1;
            at = previous;
        }
        let mut after_ends = vec![edit.end];
        let mut at = edit.end;
        while at < text_len && blank(at) {
            at = self.lines.next_line_start(at, text_len);
            after_ends.push(at);
        }
        let after = after_ends.len() - 1;
        // Between two imports, one blank line at most: a gap there separates import groups.
        let is_import = |from: u32| {
            let to = self.lines.next_line_start(from, text_len);
            let line = self.text[from as usize..to as usize].trim_start();
            line.starts_with("import ") || line.starts_with("from ")
        };
        let above = (before < self.lines.line(edit.start) as usize - 1).then(|| {
            let mut at = edit.start;
            for _ in 0..=before {
                at = self.lines.line_start(at - 1);
            }
            at
        });
        let below = (after_ends[after] < text_len).then_some(after_ends[after]);
        let between_imports = above.is_some_and(is_import) && below.is_some_and(is_import);
        let longest = if between_imports {
            longest_blank_run(self.text).min(1)
        } else {
            longest_blank_run(self.text)
        };
        if before + after > longest {
            let cut = (before + after - longest).min(after);
            edit.end = after_ends[cut];
        }
        edits
    }

    /// Deletes a whole statement: its line(s) with their comment when it stands alone, else
    /// the statement and its `;`.
    fn statement_removal(&self, stmt: &Stmt) -> Edit {
        let start = stmt.start().to_u32();
        let end = stmt.end().to_u32();
        let text_len = self.text.len() as u32;
        let semicolon_after = self
            .tokens
            .after(stmt.end())
            .first()
            .filter(|t| t.kind() == TokenKind::Semi);
        if self.indentation(start).is_some() {
            if let Some(semi) = semicolon_after {
                // `import x; rest`: keep the rest on the line.
                let mut to = semi.end().to_u32();
                while self.text[to as usize..].starts_with([' ', '\t']) {
                    to += 1;
                }
                return Edit::delete(start, to);
            }
            let line_start = self.lines.line_start(start);
            let next = self.lines.next_line_start(end, text_len);
            if next == text_len && !self.text.ends_with(['\n', '\r']) && line_start > 0 {
                // The last line of a file without a final line break: take the break before
                // it instead, so the file still ends without one.
                let before = &self.text[..line_start as usize];
                let eol_len = if before.ends_with("\r\n") { 2 } else { 1 };
                return Edit::delete(line_start - eol_len, next);
            }
            return Edit::delete(line_start, next);
        }
        // `x = 1; import y`: delete from the `;` before it.
        let semi_before = self
            .tokens
            .before(stmt.start())
            .iter()
            .rev()
            .find(|t| t.kind() == TokenKind::Semi)
            .map_or(start, |t| t.start().to_u32());
        Edit::delete(semi_before, end)
    }
}
