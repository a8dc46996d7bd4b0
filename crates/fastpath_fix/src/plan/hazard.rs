//! The side-effect hazard: importing `a.b.c` binds `b` on package `a` (and `c` on `a.b`), so a
//! statement that imports a submodule also makes `a.b` reachable through any other name bound
//! to `a`. When module-level code reads such an attribute (`import xml` +
//! `from xml.dom.minidom import parseString` + `NODE = xml.dom.Node`), moving the statement
//! removes the binding and the module raises `AttributeError` on import. CPython binds the
//! submodule as an attribute of its parent in `importlib._bootstrap._load_unlocked` /
//! `_handle_fromlist`; nothing else does.
//!
//! A package attribute counts as possibly bound by the statement when it is a package on the
//! path the statement imports (`xml.dom` for `xml.dom.minidom`, always known), or a module the
//! caller says is loaded on the cold path ([`crate::FixOptions::loaded_modules`]): the
//! statement's submodule may import it in turn (httpie's
//! `pygments.formatters.terminal` binds `pygments.formatter`). It is safe only when a
//! statement that stays at module level imports it too.

use std::collections::BTreeSet;

use ruff_python_ast::Stmt;
use ruff_text_size::Ranged;

use super::classify::Found;
use super::{Bound, Context, Refusal, RefusalReason};

/// A read of a package attribute that may only exist because of the moved statement.
struct Hazard {
    /// The attribute path as read (`xml.dom`).
    attribute: String,
    /// 1-based line of the read.
    line: u32,
}

impl Context<'_> {
    /// Refuses the move when module-level code reads a package attribute the statement may be
    /// the only one to bind; returns the unsafe reason when only function code reads one.
    pub(super) fn side_effect_hazard(
        &self,
        stmt: &Stmt,
        selected: &[usize],
        bound: &[Bound],
    ) -> Result<Option<String>, Refusal> {
        let moved = moved_modules(stmt, selected);
        if moved.is_empty() {
            return Ok(None);
        }
        let stmt_range = stmt.range();
        // Modules the statements that stay import (with every package on their path).
        let mut kept: BTreeSet<String> = BTreeSet::new();
        // Names bound to a module by the statements that stay: `import a.b` binds `a` to `a`,
        // `import a.b as x` binds `x` to `a.b`, `from a import b` binds `b` to `a.b` (which
        // may be a module).
        let mut packages: Vec<(String, String)> = Vec::new();
        for other in self.body {
            if other.range() == stmt_range {
                continue;
            }
            for module in moved_modules(other, &[]) {
                kept.extend(prefixes(&module));
            }
            match other {
                Stmt::Import(import) if !import.is_lazy => {
                    for alias in &import.names {
                        let name = alias.name.as_str();
                        match &alias.asname {
                            Some(asname) => packages.push((asname.to_string(), name.to_owned())),
                            None => {
                                let root = name.split('.').next().unwrap_or(name);
                                packages.push((root.to_owned(), root.to_owned()));
                            }
                        }
                    }
                }
                Stmt::ImportFrom(import) if import.level == 0 && !import.is_lazy => {
                    let Some(module) = &import.module else {
                        continue;
                    };
                    for alias in &import.names {
                        if alias.name.as_str() == "*" {
                            continue;
                        }
                        let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                        packages.push((bound.to_string(), format!("{module}.{}", alias.name)));
                    }
                }
                _ => {}
            }
        }
        // Attributes the statement may bind: the packages on its own path, and loaded modules
        // under the same top-level package.
        let roots: BTreeSet<&str> = moved
            .iter()
            .map(|m| m.split('.').next().unwrap_or(m))
            .collect();
        let own: BTreeSet<String> = moved.iter().flat_map(|m| prefixes(m)).collect();
        let may_bind = |path: &str| {
            if kept.contains(path) {
                return false;
            }
            own.contains(path)
                || self.options.loaded_modules.as_ref().is_some_and(|loaded| {
                    loaded.contains(path) && roots.contains(path.split('.').next().unwrap_or(path))
                })
        };
        let mut in_functions: Vec<Hazard> = Vec::new();
        for u in &self.model.uses {
            if u.store || u.chain.is_empty() || stmt_range.contains_range(u.range) {
                continue;
            }
            // A read through the statement's own binding goes where the import goes (`import
            // a.b` moved into the functions that read `a.b...`).
            let own_read = bound.iter().any(|b| {
                b.name == u.name
                    && b.path
                        .as_ref()
                        .is_none_or(|p| p.is_empty() || u.chain.first() == p.first())
            });
            if own_read {
                continue;
            }
            let Some((_, package)) = packages.iter().rev().find(|(name, _)| *name == u.name) else {
                continue;
            };
            if !self.model.reads_module(&u.name, u.scope) {
                continue;
            }
            let mut path = package.clone();
            let mut hazard = None;
            for part in &u.chain {
                path.push('.');
                path.push_str(part);
                if may_bind(&path) {
                    hazard = Some(path.clone());
                    break;
                }
            }
            let Some(attribute) = hazard else { continue };
            let at = u.range.start().to_u32();
            let found = Hazard {
                attribute,
                line: self.line(at),
            };
            match self.classify(u.scope, u.role, u.guard, at) {
                Found::Typing { .. } => {}
                Found::Module(..) | Found::Lambda(_) => {
                    return Err(self.refuse(
                        stmt,
                        RefusalReason::SideEffectBinding {
                            attribute: found.attribute,
                            line: found.line,
                        },
                    ));
                }
                Found::Function(f) if self.runs_at_import(&self.model.functions[f].qualname) => {
                    return Err(self.refuse(
                        stmt,
                        RefusalReason::SideEffectBinding {
                            attribute: found.attribute,
                            line: found.line,
                        },
                    ));
                }
                Found::Function(_) | Found::MainGuard(_) => in_functions.push(found),
            }
        }
        Ok(in_functions.first().map(|h| {
            format!(
                "`{}` (line {}) may be bound on its package only as a side effect of this import, which then runs later",
                h.attribute, h.line
            )
        }))
    }
}

/// The dotted modules an import statement loads (its aliases at `selected`, all when empty);
/// relative imports are left out (the module's own package is not known here).
fn moved_modules(stmt: &Stmt, selected: &[usize]) -> Vec<String> {
    match stmt {
        Stmt::Import(import) => import
            .names
            .iter()
            .enumerate()
            .filter(|(i, _)| selected.is_empty() || selected.contains(i))
            .map(|(_, a)| a.name.to_string())
            .collect(),
        Stmt::ImportFrom(import) if import.level == 0 => {
            let Some(module) = &import.module else {
                return Vec::new();
            };
            if module.as_str() == "__future__" {
                return Vec::new();
            }
            // `from a.b import c` loads `a.b`, and `a.b.c` when `c` is a submodule.
            let mut out = vec![module.to_string()];
            out.extend(
                import
                    .names
                    .iter()
                    .filter(|a| a.name.as_str() != "*")
                    .map(|a| format!("{module}.{}", a.name)),
            );
            out
        }
        _ => Vec::new(),
    }
}

/// The packages below the top level on a dotted path, and the path itself: `a.b`, `a.b.c` for
/// `a.b.c`.
fn prefixes(module: &str) -> Vec<String> {
    let parts: Vec<&str> = module.split('.').collect();
    (2..=parts.len()).map(|n| parts[..n].join(".")).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::{FixOptions, FixSession, Outcome, RefusalReason, Request, Safety};

    fn run(source: &str, line: u32, options: &FixOptions) -> (String, Outcome) {
        let mut session = FixSession::new(source.as_bytes()).unwrap();
        let request = Request {
            line,
            column: 1,
            modules: Vec::new(),
        };
        let outcome = session.take_off_cold_path(&request, options).unwrap();
        (session.text().to_owned(), outcome)
    }

    #[test]
    fn the_eight_line_stdlib_reproduction_is_refused() {
        // `xml.dom` exists on `xml` only because `xml.dom.minidom` was imported.
        let source = "import xml\nfrom xml.dom.minidom import parseString\n\nNODE = xml.dom.Node\n\n\ndef f(s):\n    return parseString(s)\n";
        let (text, outcome) = run(source, 2, &FixOptions::default());
        assert_eq!(text, source);
        let Outcome::Refused(refusal) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(
            refusal.reason,
            RefusalReason::SideEffectBinding {
                attribute: "xml.dom".to_owned(),
                line: 4
            }
        );
        assert!(refusal.reason.to_string().contains("AttributeError"));
        // Another statement that stays and imports `xml.dom` keeps the binding: safe.
        let kept = source.replace("import xml\n", "import xml.dom\n");
        let (_, outcome) = run(&kept, 2, &FixOptions::default());
        assert!(
            matches!(&outcome, Outcome::Fixed(f) if f.safety == Safety::Safe),
            "{outcome:?}"
        );
    }

    #[test]
    fn an_annotation_evaluated_at_definition_is_refused_like_httpie_and_pygments() {
        // httpie: the terminal formatter's module imports `pygments.formatter`, which a return
        // annotation evaluated when the class body runs reads through `pygments`.
        let source = "import pygments.lexer\nfrom pygments.formatters.terminal import TerminalFormatter\n\n\nclass ColorFormatter:\n    def get_formatter(self) -> pygments.formatter.Formatter:\n        return TerminalFormatter()\n";
        let loaded: BTreeSet<String> = [
            "pygments",
            "pygments.lexer",
            "pygments.formatter",
            "pygments.formatters",
            "pygments.formatters.terminal",
        ]
        .map(str::to_owned)
        .into();
        let options = FixOptions {
            loaded_modules: Some(loaded),
            ..FixOptions::default()
        };
        let (text, outcome) = run(source, 2, &options);
        assert_eq!(text, source);
        let Outcome::Refused(refusal) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(
            refusal.reason,
            RefusalReason::SideEffectBinding {
                attribute: "pygments.formatter".to_owned(),
                line: 6
            }
        );
        // With `from __future__ import annotations` the annotation is never evaluated.
        let deferred = format!("from __future__ import annotations\n{source}");
        let (_, outcome) = run(&deferred, 3, &options);
        assert!(matches!(outcome, Outcome::Fixed(_)), "{outcome:?}");
    }

    #[test]
    fn a_read_inside_a_function_makes_the_move_unsafe_not_refused() {
        let source = "import xml\nfrom xml.dom.minidom import parseString\n\n\ndef node():\n    return xml.dom.Node\n\n\ndef f(s):\n    return parseString(s)\n";
        let (text, outcome) = run(source, 2, &FixOptions::default());
        assert_eq!(text, source, "unsafe fixes are not applied by default");
        let Outcome::UnsafeSkipped(fix) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(fix.unsafe_reason.unwrap().contains("`xml.dom` (line 6)"));
    }

    #[test]
    fn plain_attributes_of_a_package_are_no_hazard() {
        // `os.sep` is not a submodule: `os.path` is, but nothing reads it.
        let source = "import os\nfrom os.path import join\n\nSEP = os.sep\n\n\ndef f(a):\n    return join(a, SEP)\n";
        let loaded: BTreeSet<String> = ["os", "os.path", "posixpath"].map(str::to_owned).into();
        let options = FixOptions {
            loaded_modules: Some(loaded),
            ..FixOptions::default()
        };
        let (_, outcome) = run(source, 2, &options);
        assert!(matches!(outcome, Outcome::Fixed(_)), "{outcome:?}");
    }
}
