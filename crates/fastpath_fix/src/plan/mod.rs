//! Choosing the edit that takes one import statement off the cold path, or the reason not to.
//!
//! The order of preference, for the names the statement binds:
//! 1. used only in annotations that are never evaluated at run time: move the import under
//!    `if TYPE_CHECKING:` (nothing is imported at run time at all);
//! 2. a target of Python 3.15 or newer and no module-level use at run time: PEP 810 `lazy
//!    import` (or the module listed in an existing `__lazy_modules__` placed before it), a
//!    one-word change that keeps the import where readers expect it;
//! 3. used at run time only inside functions (or the `__main__` block): move the import into
//!    each function that uses it, right after its docstring, and off module level.
//!
//! Anything that would change behaviour is a [`RefusalReason`] instead: a use at module level
//! (decorator, base class, default argument, module-level call or statement, class body,
//! lambda), a re-export (`__all__`, another module's `from m import name`), a rebinding
//! (`global`, another assignment), a function that itself runs at import, or an import whose
//! names are never used (kept for its side effects).
//!
//! The planner is split along its seams: [`refusal`] holds the reasons and the checks that
//! refuse before any use is looked at, [`classify`] sorts every read of a bound name by the code
//! that runs it, and `edits/` has one file per kind of edit.

mod classify;
mod edits;
mod hazard;
mod refusal;

use std::collections::HashSet;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::Stmt;
use ruff_text_size::Ranged;

use crate::model::Model;
use crate::source::{Edit, Lines};
use crate::{FixKind, FixOptions, Safety};

pub(crate) use self::edits::lazy::listed_lazy;
pub(crate) use self::refusal::{enclosing_block, in_if_or_with};
pub use self::refusal::{ModuleUse, Refusal, RefusalReason};

/// A planned fix, before it is applied.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) kind: FixKind,
    pub(crate) safety: Safety,
    pub(crate) description: String,
    pub(crate) unsafe_reason: Option<String>,
    pub(crate) edits: Vec<Edit>,
}

/// One name an import statement binds, with what the fix needs to rebuild it.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    /// The bound name.
    pub(crate) name: String,
    /// For `import a.b` (no alias), the path after the root: `["b"]`.
    pub(crate) path: Option<Vec<String>>,
    /// Index of the alias in the statement.
    pub(crate) alias: usize,
}

/// The facts about one statement a plan needs.
pub(crate) struct Context<'a> {
    pub(crate) text: &'a str,
    pub(crate) lines: &'a Lines,
    pub(crate) body: &'a [Stmt],
    pub(crate) tokens: &'a Tokens,
    pub(crate) model: &'a Model,
    pub(crate) run_at_import: &'a HashSet<String>,
    pub(crate) options: &'a FixOptions,
    /// The module-level `if`/`with` block the statement sits in, if any.
    pub(crate) block: Option<InBlock>,
}

/// A statement inside a module-level `if` or `with` block (PEP 810 allows `lazy` there).
#[derive(Debug, Clone, Copy)]
pub(crate) struct InBlock {
    /// `if` or `with`.
    pub(crate) keyword: &'static str,
    /// The statement is the only one of its suite.
    pub(crate) sole: bool,
}

impl Context<'_> {
    pub(crate) fn line(&self, offset: u32) -> u32 {
        self.lines.line(offset)
    }

    pub(crate) fn eol(&self) -> &'static str {
        crate::source::line_ending(self.text)
    }

    /// The statement's first line, as written.
    pub(crate) fn shown(&self, stmt: &Stmt) -> String {
        let text = &self.text[stmt.range()];
        let first = text.lines().next().unwrap_or_default().trim_end();
        if text.contains('\n') {
            format!("{first} ...")
        } else {
            first.to_owned()
        }
    }

    pub(crate) fn refuse(&self, stmt: &Stmt, reason: RefusalReason) -> Refusal {
        Refusal {
            statement: self.shown(stmt),
            line: self.line(stmt.start().to_u32()),
            reason,
        }
    }

    /// Plans the fix for the module-level statement `stmt`, moving the aliases at `selected`
    /// (all of them for a `from` import).
    pub(crate) fn plan(&self, stmt: &Stmt, selected: &[usize]) -> Result<Planned, Refusal> {
        let bound = self.bound_names(stmt, selected)?;
        let shared_root = self.hard_refusals(stmt, &bound)?;
        let hazard = self.side_effect_hazard(stmt, selected, &bound)?;
        let mut planned = self.plan_uses(stmt, selected, &bound, &shared_root)?;
        if let Some(reason) = hazard {
            planned.safety = Safety::Unsafe;
            planned.unsafe_reason = Some(match planned.unsafe_reason.take() {
                Some(other) => format!("{other}; {reason}"),
                None => reason,
            });
        }
        Ok(planned)
    }

    /// The plan once no hard refusal applies: decided by where the names are read.
    fn plan_uses(
        &self,
        stmt: &Stmt,
        selected: &[usize],
        bound: &[Bound],
        shared_root: &[String],
    ) -> Result<Planned, Refusal> {
        let uses = self.uses(stmt, bound, shared_root);
        let classify::Uses {
            typing,
            functions,
            mains,
            blockers,
            lambdas,
        } = uses;
        let runtime = !functions.is_empty() || !mains.is_empty() || !lambdas.is_empty();
        if !runtime && typing.is_empty() && blockers.is_empty() {
            let names = bound
                .iter()
                .map(|b| format!("`{}`", b.name))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(self.refuse(stmt, RefusalReason::SideEffects { names }));
        }

        let inside_block = || {
            let block = match self.block.map(|b| b.keyword) {
                Some("with") => "a `with` block",
                _ => "an `if` block",
            };
            self.refuse(stmt, RefusalReason::InsideBlock { block })
        };
        let whole = match stmt {
            Stmt::Import(import) => selected.len() == import.names.len(),
            _ => true,
        };

        // 1. Only typing uses: `if TYPE_CHECKING:`.
        if !runtime && blockers.is_empty() {
            if self.block.is_some() {
                return Err(inside_block());
            }
            let introspected = typing.iter().any(|&(_, i)| i);
            return self.type_checking(stmt, selected, introspected, shared_root);
        }

        // 2. Python 3.15+: `lazy import` when nothing at module level needs it at once.
        let lazy_target = self
            .options
            .target
            .as_ref()
            .is_some_and(|t| t.supports_lazy_imports());
        // PEP 810 allows `lazy` in module-level `if` and `with` blocks (not in `try`), as a
        // one-word change of the statement itself.
        if lazy_target && blockers.is_empty() && (self.block.is_none() || whole) {
            return Ok(self.lazy(stmt, selected));
        }

        if let Some(min) = blockers.iter().map(|(at, _)| *at).min() {
            let others = blockers.len() - 1;
            let (_, reason) = blockers
                .into_iter()
                .find(|(at, _)| *at == min)
                .expect("the minimum exists");
            let reason = match reason {
                RefusalReason::UsedAtModuleLevel {
                    name, usage, line, ..
                } => RefusalReason::UsedAtModuleLevel {
                    name,
                    usage,
                    line,
                    others,
                },
                other => other,
            };
            return Err(self.refuse(stmt, reason));
        }
        if let Some((at, name)) = lambdas.first() {
            return Err(self.refuse(
                stmt,
                RefusalReason::UsedInLambda {
                    name: name.clone(),
                    line: self.line(*at),
                },
            ));
        }

        if self.block.is_some() && !typing.is_empty() {
            return Err(inside_block());
        }
        let mut planned = self.move_into_functions(
            stmt,
            selected,
            bound,
            classify::Uses {
                typing,
                functions,
                mains,
                blockers: Vec::new(),
                lambdas,
            },
            shared_root,
        )?;
        if let Some(InBlock { keyword: "if", .. }) = self.block {
            planned.safety = Safety::Unsafe;
            let reason =
                "it ran only when its `if` test held; inside the function it runs on every call"
                    .to_owned();
            planned.unsafe_reason = Some(match planned.unsafe_reason.take() {
                Some(other) => format!("{other}; {reason}"),
                None => reason,
            });
        }
        Ok(planned)
    }

    /// The names the statement binds for the aliases at `selected`.
    fn bound_names(&self, stmt: &Stmt, selected: &[usize]) -> Result<Vec<Bound>, Refusal> {
        Ok(match stmt {
            Stmt::Import(import) => selected
                .iter()
                .map(|&i| {
                    let alias = &import.names[i];
                    match &alias.asname {
                        Some(asname) => Bound {
                            name: asname.to_string(),
                            path: None,
                            alias: i,
                        },
                        None => {
                            let mut parts = alias.name.as_str().split('.');
                            Bound {
                                name: parts.next().unwrap_or_default().to_owned(),
                                path: Some(parts.map(str::to_owned).collect()),
                                alias: i,
                            }
                        }
                    }
                })
                .collect::<Vec<_>>(),
            Stmt::ImportFrom(import) => {
                if import
                    .module
                    .as_ref()
                    .is_some_and(|m| m.as_str() == "__future__")
                {
                    return Err(self.refuse(stmt, RefusalReason::FutureImport));
                }
                if import.names.iter().any(|a| a.name.as_str() == "*") {
                    return Err(self.refuse(stmt, RefusalReason::StarImport));
                }
                import
                    .names
                    .iter()
                    .enumerate()
                    .map(|(i, alias)| Bound {
                        name: alias.asname.as_ref().unwrap_or(&alias.name).to_string(),
                        path: None,
                        alias: i,
                    })
                    .collect()
            }
            _ => unreachable!("only import statements are planned"),
        })
    }

    /// The statement rebuilt with only the aliases at `aliases`: `import a.b as c`,
    /// `from .x import y, z as w`.
    pub(crate) fn rebuilt(&self, stmt: &Stmt, aliases: &[usize]) -> String {
        match stmt {
            Stmt::Import(import) => {
                let names: Vec<&str> = aliases
                    .iter()
                    .map(|&i| &self.text[import.names[i].range()])
                    .collect();
                format!("import {}", names.join(", "))
            }
            Stmt::ImportFrom(import) => {
                let module = format!(
                    "{}{}",
                    ".".repeat(import.level as usize),
                    import.module.as_ref().map_or("", |m| m.as_str())
                );
                let mut indices: Vec<usize> = aliases.to_vec();
                if indices.is_empty() {
                    indices = (0..import.names.len()).collect();
                }
                indices.sort_unstable();
                indices.dedup();
                let names: Vec<&str> = indices
                    .iter()
                    .map(|&i| &self.text[import.names[i].range()])
                    .collect();
                format!("from {module} import {}", names.join(", "))
            }
            _ => String::new(),
        }
    }

    /// The comment at the end of the statement's last line (`# why`), if any.
    pub(crate) fn trailing_comment(&self, stmt: &Stmt) -> Option<String> {
        let next = self.tokens.after(stmt.end()).first()?;
        (next.kind() == TokenKind::Comment
            && !self.text[stmt.end().to_usize()..next.start().to_usize()].contains(['\n', '\r']))
        .then(|| self.text[next.range()].to_owned())
    }

    /// The indentation of the line holding `offset`, if only blanks precede it there.
    pub(crate) fn indentation(&self, offset: u32) -> Option<&str> {
        let start = self.lines.line_start(offset);
        let before = &self.text[start as usize..offset as usize];
        before
            .chars()
            .all(|c| c == ' ' || c == '\t' || c == '\x0c')
            .then_some(before)
    }

    /// One line-level insertion at `at`: `text` plus a line break, or a line break first when
    /// `at` is the end of a file without a final one.
    pub(crate) fn insert_line(&self, at: u32, indent: &str, line: &str) -> Edit {
        let eol = self.eol();
        let at_eof_without_newline =
            at as usize == self.text.len() && !self.text.ends_with(['\n', '\r']);
        if at_eof_without_newline {
            Edit::insert(at, format!("{eol}{indent}{line}"))
        } else {
            Edit::insert(at, format!("{indent}{line}{eol}"))
        }
    }
}

pub(crate) fn planned(
    kind: FixKind,
    description: String,
    reasons: Vec<String>,
    edits: Vec<Edit>,
) -> Planned {
    Planned {
        kind,
        safety: if reasons.is_empty() {
            Safety::Safe
        } else {
            Safety::Unsafe
        },
        description,
        unsafe_reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
        edits,
    }
}

pub(crate) fn join_places(places: &[String]) -> String {
    match places {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub(crate) fn quoted_list(modules: &[String]) -> String {
    modules
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The file's indentation unit: a tab when the first indented line uses one, else four spaces.
pub(crate) fn indent_unit(text: &str) -> &'static str {
    for line in text.lines() {
        if line.starts_with('\t') {
            return "\t";
        }
        if line.starts_with(' ') && !line.trim().is_empty() {
            return "    ";
        }
    }
    "    "
}
