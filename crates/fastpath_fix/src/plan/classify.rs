//! Where each read of a name an import binds happens, sorted by the code that runs it: typing
//! only, a function, the `__main__` block, a lambda at module level, or module-level code that
//! runs at import (which blocks every fix that moves the import).

use std::collections::BTreeSet;

use ruff_python_ast::Stmt;
use ruff_text_size::Ranged;

use crate::model::{Guard, Place, Role, ScopeKind};

use super::{Bound, Context, ModuleUse, RefusalReason};

/// Where a use was found, for classification.
pub(super) enum Found {
    Typing { introspected: bool },
    Function(usize),
    MainGuard(usize),
    Lambda(u32),
    Module(ModuleUse, u32),
}

/// The reads of a statement's names, by where they run.
pub(super) struct Uses {
    /// (bound index, introspected)
    pub(super) typing: Vec<(usize, bool)>,
    /// (function, bound index)
    pub(super) functions: BTreeSet<(usize, usize)>,
    /// (main block, bound index)
    pub(super) mains: BTreeSet<(usize, usize)>,
    /// Module-level uses, with their offset.
    pub(super) blockers: Vec<(u32, RefusalReason)>,
    pub(super) lambdas: Vec<(u32, String)>,
}

impl Context<'_> {
    /// Where each name of `bound` is read.
    pub(super) fn uses(&self, stmt: &Stmt, bound: &[Bound], shared_root: &[String]) -> Uses {
        let stmt_range = stmt.range();
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
        Uses {
            typing,
            functions,
            mains,
            blockers,
            lambdas,
        }
    }

    pub(super) fn classify(&self, scope: usize, role: Role, guard: Guard, at: u32) -> Found {
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

    pub(super) fn runs_at_import(&self, qualname: &str) -> bool {
        self.run_at_import.contains(qualname)
    }
}
