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

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::model::{Block, Guard, Model, Place, Role, ScopeKind};
use crate::source::{Edit, Lines};
use crate::{FixKind, FixOptions, LazyStyle, Safety};

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
            RefusalReason::NoNewImports => f.write_str(
                "its names are only used in annotations, and moving it under `if TYPE_CHECKING:` would add `from typing import TYPE_CHECKING` to a module that must import nothing but the manifest",
            ),
        }
    }
}

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
struct Bound {
    /// The bound name.
    name: String,
    /// For `import a.b` (no alias), the path after the root: `["b"]`.
    path: Option<Vec<String>>,
    /// Index of the alias in the statement.
    alias: usize,
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
}

/// Where a use was found, for classification.
enum Found {
    Typing { introspected: bool },
    Function(usize),
    MainGuard(usize),
    Lambda(u32),
    Module(ModuleUse, u32),
}

impl Context<'_> {
    fn line(&self, offset: u32) -> u32 {
        self.lines.line(offset)
    }

    fn eol(&self) -> &'static str {
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

    fn refuse(&self, stmt: &Stmt, reason: RefusalReason) -> Refusal {
        Refusal {
            statement: self.shown(stmt),
            line: self.line(stmt.start().to_u32()),
            reason,
        }
    }

    /// Plans the fix for the module-level statement `stmt`, moving the aliases at `selected`
    /// (all of them for a `from` import).
    pub(crate) fn plan(&self, stmt: &Stmt, selected: &[usize]) -> Result<Planned, Refusal> {
        let bound = match stmt {
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
        };
        let stmt_range = stmt.range();
        let mut shared_root: Vec<String> = Vec::new();

        // Hard refusals: the name's identity is not this statement's alone.
        for b in &bound {
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

        // Where each name is read.
        let mut typing: Vec<(usize, bool)> = Vec::new(); // (bound index, introspected)
        let mut functions: BTreeSet<(usize, usize)> = BTreeSet::new(); // (function, bound)
        let mut mains: BTreeSet<(usize, usize)> = BTreeSet::new();
        let mut blockers: Vec<(u32, RefusalReason)> = Vec::new();
        let mut lambdas: Vec<(u32, String)> = Vec::new();
        for (index, b) in bound.iter().enumerate() {
            for u in &self.model.uses {
                if u.name != b.name || u.store || !self.model.reads_module(&u.name, u.scope) {
                    continue;
                }
                if stmt_range.contains_range(u.range) {
                    continue;
                }
                if shared_root.contains(&b.name) {
                    let first = b.path.as_ref().and_then(|p| p.first());
                    if u.chain.first() != first {
                        continue;
                    }
                }
                let at = u.range.start().to_u32();
                match self.classify(u.scope, u.role, u.guard, at) {
                    Found::Typing { introspected } => typing.push((index, introspected)),
                    Found::Function(f) => {
                        functions.insert((f, index));
                    }
                    Found::MainGuard(m) => {
                        mains.insert((m, index));
                    }
                    Found::Lambda(at) => lambdas.push((at, b.name.clone())),
                    Found::Module(usage, at) => blockers.push((
                        at,
                        RefusalReason::UsedAtModuleLevel {
                            name: b.name.clone(),
                            usage,
                            line: self.line(at),
                            others: 0,
                        },
                    )),
                }
            }
        }
        let runtime = !functions.is_empty() || !mains.is_empty() || !lambdas.is_empty();
        if !runtime && typing.is_empty() && blockers.is_empty() {
            let names = bound
                .iter()
                .map(|b| format!("`{}`", b.name))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(self.refuse(stmt, RefusalReason::SideEffects { names }));
        }

        // 1. Only typing uses: `if TYPE_CHECKING:`.
        if !runtime && blockers.is_empty() {
            let introspected = typing.iter().any(|&(_, i)| i);
            return self.type_checking(stmt, selected, introspected, &shared_root);
        }

        // 2. Python 3.15+: `lazy import` when nothing at module level needs it at once.
        let lazy_target = self
            .options
            .target
            .as_ref()
            .is_some_and(|t| t.supports_lazy_imports());
        if lazy_target && blockers.is_empty() {
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
            edits.extend(self.removal(stmt, selected));
        } else {
            // Annotations still name it: keep an import for type checkers.
            match self.type_checking_edits(stmt, selected) {
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
                    edits.extend(self.removal(stmt, selected));
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

    fn classify(&self, scope: usize, role: Role, guard: Guard, at: u32) -> Found {
        let typing = match role {
            Role::Annotation {
                evaluated: false,
                introspected,
            }
            | Role::StringAnnotation { introspected } => Some(introspected),
            Role::Lazy => Some(false),
            _ => None,
        };
        if let Some(introspected) = typing {
            return Found::Typing { introspected };
        }
        if guard == Guard::TypeChecking {
            return Found::Typing {
                introspected: false,
            };
        }
        match self.model.place(scope) {
            Place::Function(f) => Found::Function(f),
            Place::Lambda => Found::Lambda(at),
            Place::Module => {
                if let Guard::Main(m) = guard {
                    return Found::MainGuard(m);
                }
                let in_class = {
                    let mut s = scope;
                    while self.model.scopes[s].kind == ScopeKind::Comprehension {
                        s = self.model.scopes[s].parent.unwrap_or(0);
                    }
                    self.model.scopes[s].kind == ScopeKind::Class
                };
                let usage = match role {
                    Role::Decorator => ModuleUse::Decorator,
                    Role::Base => ModuleUse::BaseClass,
                    Role::Default => ModuleUse::DefaultArgument,
                    Role::Annotation { .. } => ModuleUse::EvaluatedAnnotation,
                    _ if in_class => ModuleUse::ClassBody,
                    Role::Call => ModuleUse::Call,
                    _ => ModuleUse::Statement,
                };
                Found::Module(usage, at)
            }
        }
    }

    fn runs_at_import(&self, qualname: &str) -> bool {
        self.run_at_import.contains(qualname)
    }

    /// The statement rebuilt with only the aliases at `aliases`: `import a.b as c`,
    /// `from .x import y, z as w`.
    fn rebuilt(&self, stmt: &Stmt, aliases: &[usize]) -> String {
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
    fn trailing_comment(&self, stmt: &Stmt) -> Option<String> {
        let next = self.tokens.after(stmt.end()).first()?;
        (next.kind() == TokenKind::Comment
            && !self.text[stmt.end().to_usize()..next.start().to_usize()].contains(['\n', '\r']))
        .then(|| self.text[next.range()].to_owned())
    }

    /// The indentation of the line holding `offset`, if only blanks precede it there.
    fn indentation(&self, offset: u32) -> Option<&str> {
        let start = self.lines.line_start(offset);
        let before = &self.text[start as usize..offset as usize];
        before
            .chars()
            .all(|c| c == ' ' || c == '\t' || c == '\x0c')
            .then_some(before)
    }

    /// One line-level insertion at `at`: `text` plus a line break, or a line break first when
    /// `at` is the end of a file without a final one.
    fn insert_line(&self, at: u32, indent: &str, line: &str) -> Edit {
        let eol = self.eol();
        let at_eof_without_newline =
            at as usize == self.text.len() && !self.text.ends_with(['\n', '\r']);
        if at_eof_without_newline {
            Edit::insert(at, format!("{eol}{indent}{line}"))
        } else {
            Edit::insert(at, format!("{indent}{line}{eol}"))
        }
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

    /// Edits that take the aliases at `selected` out of the statement (the whole statement
    /// when it holds nothing else).
    fn removal(&self, stmt: &Stmt, selected: &[usize]) -> Vec<Edit> {
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
        vec![self.statement_removal(stmt)]
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

    /// The edits that move the statement under `if TYPE_CHECKING:`; the flag says whether
    /// `from typing import TYPE_CHECKING` was added.
    fn type_checking_edits(
        &self,
        stmt: &Stmt,
        selected: &[usize],
    ) -> Result<(Vec<Edit>, bool), Refusal> {
        let eol = self.eol();
        let unit = indent_unit(self.text);
        let whole = match stmt {
            Stmt::Import(import) => selected.len() == import.names.len(),
            _ => true,
        };
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
            self.rebuilt(stmt, selected)
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

    fn type_checking(
        &self,
        stmt: &Stmt,
        selected: &[usize],
        introspected: bool,
        shared_root: &[String],
    ) -> Result<Planned, Refusal> {
        let (edits, added) = self.type_checking_edits(stmt, selected)?;
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

    /// PEP 810: `lazy import`, or the module added to a `__lazy_modules__` defined before the
    /// statement (a new one when the options ask for that style).
    fn lazy(&self, stmt: &Stmt, selected: &[usize]) -> Planned {
        let modules: Vec<String> = match stmt {
            Stmt::Import(import) => selected
                .iter()
                .map(|&i| import.names[i].name.to_string())
                .collect(),
            Stmt::ImportFrom(import) if import.level == 0 => {
                vec![import
                    .module
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_default()]
            }
            _ => Vec::new(),
        };
        let whole = match stmt {
            Stmt::Import(import) => selected.len() == import.names.len(),
            _ => true,
        };
        let start = stmt.start().to_u32();
        if !modules.is_empty() && whole {
            if let Some(edit) = self.extend_lazy_modules(start, &modules) {
                return planned(
                    FixKind::LazyModules,
                    format!(
                        "listed {} in `__lazy_modules__` (PEP 810): `{}` now loads on first use",
                        quoted_list(&modules),
                        self.shown(stmt)
                    ),
                    Vec::new(),
                    vec![edit],
                );
            }
            if self.options.lazy_style == LazyStyle::LazyModules {
                let first_import = self
                    .body
                    .iter()
                    .find(|s| match s {
                        Stmt::Import(_) => true,
                        Stmt::ImportFrom(i) => {
                            i.module.as_ref().is_none_or(|m| m.as_str() != "__future__")
                        }
                        _ => false,
                    })
                    .map_or(start, |s| s.start().to_u32());
                let at = self.lines.line_start(first_import);
                let list = modules
                    .iter()
                    .map(|m| format!("\"{m}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                return planned(
                    FixKind::LazyModules,
                    format!(
                        "added `__lazy_modules__ = [{list}]` before the imports (PEP 810): `{}` now loads on first use",
                        self.shown(stmt)
                    ),
                    Vec::new(),
                    vec![self.insert_line(at, "", &format!("__lazy_modules__ = [{list}]"))],
                );
            }
        }
        if whole {
            return planned(
                FixKind::LazyImport,
                format!("made `{}` a PEP 810 `lazy` import", self.shown(stmt)),
                Vec::new(),
                vec![Edit::insert(start, "lazy ")],
            );
        }
        let mut edits = self.removal(stmt, selected);
        let line = format!("lazy {}", self.rebuilt(stmt, selected));
        let at = self
            .lines
            .next_line_start(stmt.end().to_u32(), self.text.len() as u32);
        edits.push(self.insert_line(at, "", &line));
        planned(
            FixKind::LazyImport,
            format!("split `{line}` out of `{}`", self.shown(stmt)),
            Vec::new(),
            edits,
        )
    }

    /// Adds modules to a literal `__lazy_modules__` assigned at module level before `before`.
    fn extend_lazy_modules(&self, before: u32, modules: &[String]) -> Option<Edit> {
        for stmt in self.body {
            if stmt.start().to_u32() >= before {
                return None;
            }
            let Stmt::Assign(assign) = stmt else { continue };
            let named = assign
                .targets
                .iter()
                .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "__lazy_modules__"));
            if !named {
                continue;
            }
            let (elements, range): (&[Expr], TextRange) = match assign.value.as_ref() {
                Expr::List(l) => (&l.elts, l.range()),
                Expr::Tuple(t) if t.parenthesized => (&t.elts, t.range()),
                Expr::Set(s) => (&s.elts, s.range()),
                _ => return None,
            };
            let present: Vec<&str> = elements
                .iter()
                .filter_map(|e| match e {
                    Expr::StringLiteral(s) => Some(s.value.to_str()),
                    _ => None,
                })
                .collect();
            let missing: Vec<&String> = modules
                .iter()
                .filter(|m| !present.contains(&m.as_str()))
                .collect();
            if missing.is_empty() {
                return None;
            }
            let quote = elements
                .iter()
                .find_map(|e| match e {
                    Expr::StringLiteral(s) => self.text[s.range()].chars().next(),
                    _ => None,
                })
                .unwrap_or('"');
            let new: Vec<String> = missing
                .iter()
                .map(|m| format!("{quote}{m}{quote}"))
                .collect();
            let close = range.end().to_u32() - 1;
            let inside = &self.text[range.start().to_usize() + 1..close as usize];
            let trimmed = inside.trim_end();
            let text = if elements.is_empty() {
                new.join(", ")
            } else if trimmed.ends_with(',') {
                format!(" {}", new.join(", "))
            } else {
                format!(", {}", new.join(", "))
            };
            let at = range.start().to_u32() + 1 + trimmed.len() as u32;
            let single_tuple = matches!(assign.value.as_ref(), Expr::Tuple(_))
                && elements.is_empty()
                && new.len() == 1;
            return Some(Edit::insert(
                at,
                if single_tuple {
                    format!("{text},")
                } else {
                    text
                },
            ));
        }
        None
    }
}

fn planned(kind: FixKind, description: String, reasons: Vec<String>, edits: Vec<Edit>) -> Planned {
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

fn join_places(places: &[String]) -> String {
    match places {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn quoted_list(modules: &[String]) -> String {
    modules
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The file's indentation unit: a tab when the first indented line uses one, else four spaces.
fn indent_unit(text: &str) -> &'static str {
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

/// Whether every module of `modules` is listed in a literal `__lazy_modules__` assigned at
/// module level before `before`: PEP 810 then already makes the import lazy.
pub(crate) fn listed_lazy(body: &[Stmt], before: u32, modules: &[String]) -> bool {
    let mut listed: Vec<String> = Vec::new();
    for stmt in body {
        if stmt.start().to_u32() >= before {
            break;
        }
        let Stmt::Assign(assign) = stmt else { continue };
        if !assign
            .targets
            .iter()
            .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "__lazy_modules__"))
        {
            continue;
        }
        let elements: &[Expr] = match assign.value.as_ref() {
            Expr::List(l) => &l.elts,
            Expr::Tuple(t) => &t.elts,
            Expr::Set(s) => &s.elts,
            _ => continue,
        };
        listed = elements
            .iter()
            .filter_map(|e| match e {
                Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
                _ => None,
            })
            .collect();
    }
    !modules.is_empty() && modules.iter().all(|m| listed.contains(m))
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
