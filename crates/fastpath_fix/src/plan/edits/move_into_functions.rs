//! The edit of last resort and the most common one: the import moves into each function (and
//! `__main__` block) that uses its names, right after the docstring, and leaves module level.

use std::collections::BTreeSet;

use ruff_python_ast::Stmt;

use crate::model::Block;
use crate::plan::classify::Uses;
use crate::plan::{
    indent_unit, join_places, planned, Bound, Context, Planned, Refusal, RefusalReason,
};
use crate::source::Edit;
use crate::FixKind;

impl Context<'_> {
    /// Moves the aliases at `selected` into the functions and `__main__` blocks that read them.
    pub(in crate::plan) fn move_into_functions(
        &self,
        stmt: &Stmt,
        selected: &[usize],
        bound: &[Bound],
        uses: Uses,
        shared_root: &[String],
    ) -> Result<Planned, Refusal> {
        let Uses {
            typing,
            mut functions,
            mains,
            ..
        } = uses;
        // 3. Into the functions (and `__main__` blocks) that use the names.
        let mut targets: BTreeSet<usize> = functions.iter().map(|&(f, _)| f).collect();
        // A function nested in another target sees the outer one's import through its closure.
        let nested: Vec<usize> = targets
            .iter()
            .copied()
            .filter(|&f| {
                self.model
                    .enclosing_functions(f)
                    .iter()
                    .any(|outer| targets.contains(outer))
            })
            .collect();
        for f in nested {
            let outer = self
                .model
                .enclosing_functions(f)
                .into_iter()
                .rev()
                .find(|outer| targets.contains(outer))
                .expect("an enclosing target");
            let names: Vec<usize> = functions
                .iter()
                .filter(|&&(g, _)| g == f)
                .map(|&(_, b)| b)
                .collect();
            for b in names {
                functions.insert((outer, b));
            }
            targets.remove(&f);
        }
        for &f in &targets {
            let function = &self.model.functions[f];
            if self.runs_at_import(&function.qualname) {
                let name = functions
                    .iter()
                    .find(|&&(g, _)| g == f)
                    .map(|&(_, b)| bound[b].name.clone())
                    .unwrap_or_default();
                return Err(self.refuse(
                    stmt,
                    RefusalReason::CalledAtImport {
                        name,
                        function: function.qualname.clone(),
                    },
                ));
            }
        }

        let mut edits = Vec::new();
        let comment = self.trailing_comment(stmt);
        let mut places = Vec::new();
        for &f in &targets {
            let used: Vec<usize> = functions
                .iter()
                .filter(|&&(g, _)| g == f)
                .map(|&(_, b)| b)
                .collect();
            let line = self.rebuilt(
                stmt,
                &used.iter().map(|&b| bound[b].alias).collect::<Vec<_>>(),
            );
            let function = &self.model.functions[f];
            edits.push(self.insert_into(&function.body, true, &line, comment.as_deref()));
            places.push(format!("`{}`", function.qualname));
        }
        let main_blocks: BTreeSet<usize> = mains.iter().map(|&(m, _)| m).collect();
        for &m in &main_blocks {
            let used: Vec<usize> = mains
                .iter()
                .filter(|&&(g, _)| g == m)
                .map(|&(_, b)| b)
                .collect();
            let line = self.rebuilt(
                stmt,
                &used.iter().map(|&b| bound[b].alias).collect::<Vec<_>>(),
            );
            edits.push(self.insert_into(
                &self.model.main_guards[m],
                false,
                &line,
                comment.as_deref(),
            ));
            places.push("the `__main__` block".to_owned());
        }
        let mut unsafe_reasons = Vec::new();
        if !shared_root.is_empty() {
            unsafe_reasons.push(format!(
                "`{}` is also bound by another `import {}...` statement, which keeps the package loaded; uses were told apart by attribute path",
                shared_root.join("`, `"),
                shared_root.join(", ")
            ));
        }
        let mut kind = FixKind::MoveIntoFunctions;
        let mut extra = String::new();
        if typing.is_empty() {
            edits.extend(self.removal_closing_gap(stmt, selected));
        } else {
            // Annotations still name it: keep an import for type checkers.
            let mut annotated: Vec<usize> = typing.iter().map(|&(b, _)| bound[b].alias).collect();
            annotated.sort_unstable();
            annotated.dedup();
            match self.type_checking_edits(stmt, selected, &annotated) {
                Ok((tc_edits, added)) => {
                    edits.extend(tc_edits);
                    kind = FixKind::MoveIntoFunctionsAndTypeChecking;
                    extra = format!(
                        ", and under `if TYPE_CHECKING:` for its annotations{}",
                        if added {
                            " (adding `from typing import TYPE_CHECKING`)"
                        } else {
                            ""
                        }
                    );
                    if typing.iter().any(|&(_, i)| i) {
                        unsafe_reasons.push(
                            "an annotation that names it may be read at run time (a class attribute or a decorated function)".to_owned(),
                        );
                    }
                }
                Err(_) => {
                    edits.extend(self.removal_closing_gap(stmt, selected));
                    unsafe_reasons.push(
                        "annotations still name it, and typing tools and `typing.get_type_hints` would no longer find it".to_owned(),
                    );
                }
            }
        }
        let description = format!(
            "moved `{}` into {}{extra}",
            self.rebuilt(stmt, selected),
            join_places(&places)
        );
        Ok(planned(kind, description, unsafe_reasons, edits))
    }

    /// Puts `line` at the top of a block: after the docstring for a function.
    fn insert_into(
        &self,
        block: &Block,
        docstring: bool,
        line: &str,
        comment: Option<&str>,
    ) -> Edit {
        let line = match comment {
            Some(comment) => format!("{line}  {comment}"),
            None => line.to_owned(),
        };
        let first_indent = self.indentation(block.first.start().to_u32());
        let doc = if docstring { block.docstring } else { None };
        if let Some(doc) = doc {
            let doc_end = doc.end().to_u32();
            if let Some(next) = block.after_docstring {
                if self.line(next) == self.line(doc_end) {
                    // `"""Doc."""; rest` on one line.
                    let import = line.split("  #").next().unwrap_or(&line).to_owned();
                    return Edit::insert(next, format!("{import}; "));
                }
            }
            if let Some(indent) = first_indent {
                let at = self.lines.next_line_start(doc_end, self.text.len() as u32);
                return self.insert_line(at, indent, &line);
            }
        } else if let Some(indent) = first_indent {
            let at = self
                .lines
                .next_line_start(block.colon_end, self.text.len() as u32);
            // Comments between the header and the first statement may hold the header's
            // line break; insert on the first statement's line when nothing else fits.
            if at <= block.first.start().to_u32() {
                return self.insert_line(at, indent, &line);
            }
        }
        // A body on the header's line: `def f(): return x`. Give it lines of its own.
        let header_indent = self
            .indentation(
                self.lines
                    .line_start(block.header_start)
                    .max(block.header_start),
            )
            .map(str::to_owned)
            .unwrap_or_default();
        let indent = format!("{header_indent}{}", indent_unit(self.text));
        let eol = self.eol();
        let import = line.split("  #").next().unwrap_or(&line).to_owned();
        Edit::replace(
            block.colon_end,
            block.first.start().to_u32(),
            format!("{eol}{indent}{import}{eol}{indent}"),
        )
    }
}
