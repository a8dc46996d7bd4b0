//! Why an import stays where it is: the reasons a plan gives, and the checks that refuse a
//! statement before any use of its names is looked at (a name another statement, a `global`
//! declaration, `__all__` or another module also owns), and the block a nested import sits in.

use std::fmt;

use ruff_python_ast::{self as ast, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::{Bound, Context, InBlock};
use crate::model::{is_main_guard, is_type_checking};

/// A reasoned "no" for one import statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The statement as written (its first line).
    pub statement: String,
    /// 1-based line of the statement.
    pub line: u32,
    pub reason: RefusalReason,
}

/// What keeps an import where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalReason {
    /// `from m import *`: the names it binds cannot be known.
    StarImport,
    /// `from __future__ import ...` is a compiler directive.
    FutureImport,
    /// The statement sits inside a module-level block (`try`, `if`, `with`, a class body).
    InsideBlock { block: &'static str },
    /// A name is used by code that runs at import.
    UsedAtModuleLevel {
        name: String,
        usage: ModuleUse,
        line: u32,
        others: usize,
    },
    /// A name is used in a lambda outside any function: an import cannot go there.
    UsedInLambda { name: String, line: u32 },
    /// A function that uses a name is itself called while the module is imported.
    CalledAtImport { name: String, function: String },
    /// Another module reaches the name through this one.
    ReExported { name: String, by: String },
    /// A function declares the name `global`.
    GlobalRebinding {
        name: String,
        function: String,
        line: u32,
    },
    /// The name is bound again at module level.
    Rebound { name: String, line: u32 },
    /// No name the statement binds is used: it is there for its side effects, or unused.
    SideEffects { names: String },
    /// Module-level code reads a package attribute (`xml.dom` through `import xml`) that may be
    /// bound only as a side effect of this statement's submodule import.
    SideEffectBinding { attribute: String, line: u32 },
    /// The fix would add `from typing import TYPE_CHECKING` to a module that may not import
    /// anything new (the entry, which imports only the manifest).
    NoNewImports,
}

/// How a name is used at module level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleUse {
    Decorator,
    BaseClass,
    DefaultArgument,
    EvaluatedAnnotation,
    ClassBody,
    Call,
    Statement,
}

impl fmt::Display for ModuleUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModuleUse::Decorator => "in a decorator",
            ModuleUse::BaseClass => "in a base class",
            ModuleUse::DefaultArgument => "in a default argument",
            ModuleUse::EvaluatedAnnotation => "in an annotation evaluated at definition time",
            ModuleUse::ClassBody => "in a class body",
            ModuleUse::Call => "in a module-level call",
            ModuleUse::Statement => "in a module-level statement",
        })
    }
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefusalReason::StarImport => {
                f.write_str("a star import binds names that cannot be known statically")
            }
            RefusalReason::FutureImport => f.write_str("`from __future__` imports are compiler directives"),
            RefusalReason::InsideBlock { block } => {
                write!(f, "it sits inside {block}; move it to module level or into a function by hand")
            }
            RefusalReason::UsedAtModuleLevel {
                name,
                usage,
                line,
                others,
            } => {
                write!(f, "`{name}` is used at import time, {usage} (line {line})")?;
                if *others > 0 {
                    write!(f, " and {others} other place{}", if *others == 1 { "" } else { "s" })?;
                }
                Ok(())
            }
            RefusalReason::UsedInLambda { name, line } => write!(
                f,
                "`{name}` is used in a lambda outside any function (line {line}); an import cannot go there"
            ),
            RefusalReason::CalledAtImport { name, function } => write!(
                f,
                "`{function}` uses `{name}` and is itself called while the module is imported, so the import would stay on the cold path"
            ),
            RefusalReason::ReExported { name, by } => {
                write!(f, "`{name}` is re-exported: {by}")
            }
            RefusalReason::GlobalRebinding {
                name,
                function,
                line,
            } => write!(f, "`{function}` declares `global {name}` (line {line})"),
            RefusalReason::Rebound { name, line } => {
                write!(f, "`{name}` is bound again at module level (line {line})")
            }
            RefusalReason::SideEffects { names } => write!(
                f,
                "{names} is never used in this file: the import is kept for its side effects, or is unused (remove it by hand if so)"
            ),
            RefusalReason::SideEffectBinding { attribute, line } => write!(
                f,
                "`{attribute}` is read at import time (line {line}), and the package may have that attribute only as a side effect of this import: moving it would raise `AttributeError`"
            ),
            RefusalReason::NoNewImports => f.write_str(
                "its names are only used in annotations, and moving it under `if TYPE_CHECKING:` would add `from typing import TYPE_CHECKING` to a module that must import nothing but the manifest",
            ),
        }
    }
}

impl Context<'_> {
    /// Refuses a statement whose names are not this statement's alone; otherwise the names
    /// that another `import a.x` also binds (the uses are then told apart by attribute path).
    pub(super) fn hard_refusals(
        &self,
        stmt: &Stmt,
        bound: &[Bound],
    ) -> Result<Vec<String>, Refusal> {
        let stmt_range = stmt.range();
        let mut shared_root: Vec<String> = Vec::new();

        // Hard refusals: the name's identity is not this statement's alone.
        for b in bound {
            if let Some((_, function, at)) = self
                .model
                .global_declarations
                .iter()
                .find(|(name, _, _)| *name == b.name)
            {
                return Err(self.refuse(
                    stmt,
                    RefusalReason::GlobalRebinding {
                        name: b.name.clone(),
                        function: function.clone(),
                        line: self.line(*at),
                    },
                ));
            }
            if let Some((_, at)) = self.model.all.iter().find(|(name, _)| *name == b.name) {
                return Err(self.refuse(
                    stmt,
                    RefusalReason::ReExported {
                        name: b.name.clone(),
                        by: format!("listed in `__all__` (line {})", self.line(*at)),
                    },
                ));
            }
            let has_all = !self.model.all.is_empty();
            if let Some(export) = self.options.reexports.iter().find(|r| match &r.name {
                Some(name) => *name == b.name,
                None => !has_all && !b.name.starts_with('_'),
            }) {
                let by = match &export.name {
                    Some(_) => format!("`{}` imports it from this module", export.by),
                    None => format!("`{}` star-imports this module", export.by),
                };
                return Err(self.refuse(
                    stmt,
                    RefusalReason::ReExported {
                        name: b.name.clone(),
                        by,
                    },
                ));
            }
            for other in &self.model.module_bindings {
                if other.name != b.name || other.statement == stmt_range {
                    continue;
                }
                // `import a.b` next to `import a.c`: both bind `a`; the fix can still move
                // the uses that go through `a.b`, but it is no longer obviously equivalent.
                let both_dotted =
                    other.import_path.is_some() && b.path.as_ref().is_some_and(|p| !p.is_empty());
                if both_dotted {
                    if !shared_root.contains(&b.name) {
                        shared_root.push(b.name.clone());
                    }
                    continue;
                }
                return Err(self.refuse(
                    stmt,
                    RefusalReason::Rebound {
                        name: b.name.clone(),
                        line: self.line(other.statement.start().to_u32()),
                    },
                ));
            }
        }
        Ok(shared_root)
    }
}

/// An import statement starting at `offset` directly inside a module-level `if` or `with`
/// block (nested ones included), with the block it is in. `if TYPE_CHECKING:` and
/// `if __name__ == "__main__":` never run at import, so their imports are not looked for.
pub(crate) fn in_if_or_with(body: &[Stmt], offset: u32) -> Option<(&Stmt, InBlock)> {
    let suite_of = |stmts: &'_ [Stmt]| -> Option<usize> {
        stmts
            .iter()
            .position(|s| s.range().contains(TextSize::new(offset)))
    };
    let stmt = &body[suite_of(body)?];
    let mut suites: Vec<(&[Stmt], &'static str)> = Vec::new();
    match stmt {
        Stmt::If(i) if !is_type_checking(&i.test) && !is_main_guard(&i.test) => {
            suites.push((&i.body, "if"));
            for clause in &i.elif_else_clauses {
                suites.push((&clause.body, "if"));
            }
        }
        Stmt::With(w) => suites.push((&w.body, "with")),
        _ => return None,
    }
    for (suite, keyword) in suites {
        let Some(index) = suite_of(suite) else {
            continue;
        };
        let inner = &suite[index];
        if inner.start().to_u32() == offset
            && matches!(inner, Stmt::Import(_) | Stmt::ImportFrom(_))
        {
            return Some((
                inner,
                InBlock {
                    keyword,
                    sole: suite.len() == 1,
                },
            ));
        }
        return in_if_or_with(suite, offset);
    }
    None
}

/// What the first statement of the module body that starts at `offset` is, when the import is
/// not directly in the module body: the block it sits in.
pub(crate) fn enclosing_block(body: &[Stmt], offset: u32) -> Option<&'static str> {
    fn find(
        stmts: &[Stmt],
        offset: u32,
        outer: Option<&'static str>,
    ) -> Option<Option<&'static str>> {
        for stmt in stmts {
            let range = stmt.range();
            if range.start().to_u32() == offset
                && matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_))
            {
                return Some(outer);
            }
            if !range.contains(TextSize::new(offset)) {
                continue;
            }
            let nested = |label: &'static str| Some(outer.unwrap_or(label));
            let found = match stmt {
                Stmt::Try(t) => find(&t.body, offset, nested("a `try` block"))
                    .or_else(|| {
                        t.handlers.iter().find_map(|h| {
                            let ast::ExceptHandler::ExceptHandler(h) = h;
                            find(&h.body, offset, nested("an `except` block"))
                        })
                    })
                    .or_else(|| find(&t.orelse, offset, nested("a `try` block")))
                    .or_else(|| find(&t.finalbody, offset, nested("a `finally` block"))),
                Stmt::If(i) => find(&i.body, offset, nested("an `if` block")).or_else(|| {
                    i.elif_else_clauses
                        .iter()
                        .find_map(|c| find(&c.body, offset, nested("an `if` block")))
                }),
                Stmt::With(w) => find(&w.body, offset, nested("a `with` block")),
                Stmt::For(f) => find(&f.body, offset, nested("a `for` loop"))
                    .or_else(|| find(&f.orelse, offset, nested("a `for` loop"))),
                Stmt::While(w) => find(&w.body, offset, nested("a `while` loop"))
                    .or_else(|| find(&w.orelse, offset, nested("a `while` loop"))),
                Stmt::ClassDef(c) => find(&c.body, offset, nested("a class body")),
                Stmt::Match(m) => m
                    .cases
                    .iter()
                    .find_map(|c| find(&c.body, offset, nested("a `match` case"))),
                _ => None,
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
    find(body, offset, None).flatten()
}
