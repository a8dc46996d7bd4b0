//! Moving an import under `if TYPE_CHECKING:` when its names are only read by annotations that
//! are never evaluated: into an existing module-level block, or a new one in place.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextSize};

use crate::plan::{indent_unit, planned, Context, Planned, Refusal, RefusalReason};
use crate::source::Edit;
use crate::FixKind;

impl Context<'_> {
    /// How this module spells `TYPE_CHECKING`, and whether `typing` must be imported first.
    fn type_checking_name(&self) -> Option<String> {
        for stmt in self.body {
            match stmt {
                Stmt::ImportFrom(import)
                    if matches!(
                        import.module.as_ref().map(|m| m.as_str()),
                        Some("typing" | "typing_extensions")
                    ) && import.level == 0 =>
                {
                    for alias in &import.names {
                        if alias.name.as_str() == "TYPE_CHECKING" {
                            return Some(
                                alias
                                    .asname
                                    .as_ref()
                                    .unwrap_or(&alias.name)
                                    .as_str()
                                    .to_owned(),
                            );
                        }
                    }
                }
                Stmt::Import(import) => {
                    for alias in &import.names {
                        if alias.name.as_str() == "typing" {
                            let name = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                            return Some(format!("{name}.TYPE_CHECKING"));
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The edits that take the aliases at `selected` out of the statement and put those at
    /// `in_block` (the ones annotations name) under `if TYPE_CHECKING:`, so the block never
    /// holds a name nothing reads (ruff's F401); the flag says whether
    /// `from typing import TYPE_CHECKING` was added.
    pub(in crate::plan) fn type_checking_edits(
        &self,
        stmt: &Stmt,
        selected: &[usize],
        in_block: &[usize],
    ) -> Result<(Vec<Edit>, bool), Refusal> {
        let eol = self.eol();
        let unit = indent_unit(self.text);
        let all = match stmt {
            Stmt::Import(import) => import.names.len(),
            Stmt::ImportFrom(import) => import.names.len(),
            _ => 0,
        };
        let distinct = |ids: &[usize]| ids.iter().collect::<std::collections::BTreeSet<_>>().len();
        let whole = distinct(selected) == all && distinct(in_block) == all;
        // The statement as it will read inside the block; continuation lines of a
        // parenthesised import move with it.
        let comment = self.trailing_comment(stmt);
        let mut moved = if whole {
            let text = &self.text[stmt.range()];
            let mut out = String::new();
            for (i, line) in text.split_inclusive('\n').enumerate() {
                if i > 0 {
                    out.push_str(unit);
                }
                out.push_str(line);
            }
            out
        } else {
            self.rebuilt(stmt, in_block)
        };
        if let Some(comment) = &comment {
            moved.push_str(&format!("  {comment}"));
        }
        // Into an existing module-level block, at its end.
        let start = stmt.start().to_u32();
        if let Some(block) = self
            .model
            .type_checking_blocks
            .iter()
            .find(|b| !b.statement.contains(TextSize::new(start)))
        {
            let indent = self
                .indentation(block.body_first.start().to_u32())
                .unwrap_or(unit)
                .to_owned();
            let at = self
                .lines
                .next_line_start(block.last_body_end, self.text.len() as u32);
            let mut edits = self.removal(stmt, selected);
            edits.push(self.insert_line(at, &indent, &moved));
            return Ok((edits, false));
        }
        let (name, added) = match self.type_checking_name() {
            Some(name) => (name, false),
            None if self.options.allow_new_imports => ("TYPE_CHECKING".to_owned(), true),
            None => return Err(self.refuse(stmt, RefusalReason::NoNewImports)),
        };
        let mut block = String::new();
        if added {
            block.push_str(&format!("from typing import TYPE_CHECKING{eol}"));
        }
        block.push_str(&format!("if {name}:{eol}{unit}{moved}"));
        let alone = whole
            && self.indentation(start).is_some()
            && self
                .tokens
                .after(stmt.end())
                .first()
                .is_none_or(|t| t.kind() != TokenKind::Semi);
        if alone {
            // Replace the statement (and its comment) in place; its line break stays.
            let end = match self.tokens.after(stmt.end()).first() {
                Some(t) if comment.is_some() && t.kind() == TokenKind::Comment => t.end().to_u32(),
                _ => stmt.end().to_u32(),
            };
            return Ok((vec![Edit::replace(start, end, block)], added));
        }
        let mut edits = self.removal(stmt, selected);
        let at = self
            .lines
            .next_line_start(stmt.end().to_u32(), self.text.len() as u32);
        edits.push(self.insert_line(at, "", &block));
        Ok((edits, added))
    }

    pub(in crate::plan) fn type_checking(
        &self,
        stmt: &Stmt,
        selected: &[usize],
        introspected: bool,
        shared_root: &[String],
    ) -> Result<Planned, Refusal> {
        let (edits, added) = self.type_checking_edits(stmt, selected, selected)?;
        let mut reasons = Vec::new();
        if introspected {
            reasons.push(
                "an annotation that names it may be read at run time (a class attribute or a decorated function)".to_owned(),
            );
        }
        if !shared_root.is_empty() {
            reasons.push(format!(
                "`{}` is also bound by another import",
                shared_root.join("`, `")
            ));
        }
        let description = format!(
            "moved `{}` under `if TYPE_CHECKING:` (its names are used only in annotations){}",
            self.rebuilt(stmt, selected),
            if added {
                " and added `from typing import TYPE_CHECKING`"
            } else {
                ""
            }
        );
        Ok(planned(FixKind::TypeChecking, description, reasons, edits))
    }
}
