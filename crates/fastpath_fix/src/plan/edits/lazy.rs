//! PEP 810 for Python 3.15+ targets: `lazy import`, or the module listed in `__lazy_modules__`.

use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::plan::{planned, quoted_list, Context, Planned};
use crate::source::Edit;
use crate::{FixKind, LazyStyle};

impl Context<'_> {
    /// PEP 810: `lazy import`, or the module added to a `__lazy_modules__` defined before the
    /// statement (a new one when the options ask for that style).
    pub(in crate::plan) fn lazy(&self, stmt: &Stmt, selected: &[usize]) -> Planned {
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
