//! Bytes to [`Manifest`]: decode, parse with ruff's parser (which recovers from syntax errors
//! and keeps comments in its tokens), then read the statements and comments the format gives
//! meaning to. Anything that does not read becomes a diagnostic; reading never stops early.

use ruff_python_ast::statement_visitor::{walk_stmt, StatementVisitor};
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::{Expr, PySourceType, Stmt};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::Ranged;

use crate::annotation;
use crate::comments::{self, Comment};
use crate::docstring;
use crate::model::{
    AllName, DiagnosticKind, DunderAll, ImportForm, ImportedItem, Manifest, ManifestDiagnostic,
    ManifestImport,
};
use crate::source::Source;

pub(crate) fn read(bytes: &[u8]) -> (Manifest, Vec<ManifestDiagnostic>) {
    let mut diagnostics = Vec::new();
    let source = Source::new(bytes, &mut diagnostics);
    let parsed = parse_unchecked_source(&source.text, PySourceType::Python);
    for error in parsed.errors() {
        let start = error.location.start().to_u32();
        diagnostics.push(ManifestDiagnostic {
            kind: DiagnosticKind::Syntax,
            message: format!("syntax error: {}", error.error),
            span: source.span(start, error.location.end().to_u32().max(start)),
        });
    }

    // Own-line comments structure the file; trailing ones annotate statements.
    let mut own_line = Vec::new();
    let mut trailing = Vec::new();
    for token in parsed.tokens().iter() {
        if token.kind() != TokenKind::Comment {
            continue;
        }
        let (start, end) = (token.start().to_u32(), token.end().to_u32());
        let line_start = source.line_start(start);
        let comment = Comment {
            start,
            end,
            line: source.span(start, start).line,
        };
        if source.text[line_start as usize..start as usize]
            .trim()
            .is_empty()
        {
            own_line.push(comment);
        } else {
            trailing.push(comment);
        }
    }

    let mut sections = Vec::new();
    let mut section_starts = Vec::new();
    let mut history = None;
    let mut at = 0;
    while at < own_line.len() {
        let comment = own_line[at];
        at += 1;
        if history.is_none() && comments::is_history_heading(&source, comment) {
            let (block, used) =
                comments::history(&source, comment, &own_line[at..], &mut diagnostics);
            history = Some(block);
            at += used;
        } else if let Some(section) = comments::tier_heading(&source, comment, &mut diagnostics) {
            sections.push(section);
            section_starts.push(comment.start);
        }
    }

    let body = &parsed.syntax().body;
    let docstring = match body.first() {
        Some(Stmt::Expr(expr)) => match expr.value.as_ref() {
            Expr::StringLiteral(literal) => Some(docstring::parse(
                &source,
                literal.start().to_u32(),
                literal.end().to_u32(),
                &mut diagnostics,
            )),
            _ => None,
        },
        _ => None,
    };

    let mut imports = Vec::new();
    let mut all = None;
    let mut all_unreadable = None;
    for (index, stmt) in body.iter().enumerate() {
        let next_start = body.get(index + 1).map(|next| next.start().to_u32());
        match stmt {
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                if let Some(mut import) = read_import(&source, stmt) {
                    let start = stmt.start().to_u32();
                    import.section = section_starts
                        .partition_point(|&s| s < start)
                        .checked_sub(1);
                    import.annotation = trailing_comment(&source, stmt, next_start, &trailing)
                        .and_then(|c| {
                            annotation::parse(
                                &source,
                                c.start,
                                &source.text[c.start as usize..c.end as usize],
                                &mut diagnostics,
                            )
                        });
                    imports.push(import);
                }
            }
            Stmt::Assign(assign) if assign.targets.iter().any(is_dunder_all) => {
                if !set_all(&source, stmt, &assign.value, &mut all, &mut diagnostics) {
                    all_unreadable =
                        Some(source.span(stmt.start().to_u32(), stmt.end().to_u32()).line);
                }
            }
            Stmt::AnnAssign(assign) if is_dunder_all(&assign.target) => {
                if let Some(value) = &assign.value {
                    if !set_all(&source, stmt, value, &mut all, &mut diagnostics) {
                        all_unreadable =
                            Some(source.span(stmt.start().to_u32(), stmt.end().to_u32()).line);
                    }
                }
            }
            Stmt::AugAssign(assign) if is_dunder_all(&assign.target) => {
                diagnostics.push(ManifestDiagnostic {
                    kind: DiagnosticKind::DunderAll,
                    message: "`__all__` is extended here; only a single literal assignment is read"
                        .to_owned(),
                    span: source.span(stmt.start().to_u32(), stmt.end().to_u32()),
                });
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => {
                let mut nested = NestedImports(Vec::new());
                nested.visit_stmt(stmt);
                for import in nested.0 {
                    let (start, end) = (import.start().to_u32(), import.end().to_u32());
                    diagnostics.push(ManifestDiagnostic {
                        kind: DiagnosticKind::NestedImport,
                        message: format!(
                            "`{}` is inside a block: it is not read as a manifest entry",
                            source.text[start as usize..end as usize]
                                .lines()
                                .next()
                                .unwrap_or_default()
                        ),
                        span: source.span(start, end),
                    });
                }
            }
        }
    }

    diagnostics.sort_by_key(|d| (d.span.line, d.span.column, d.kind));
    let final_newline = source.text.ends_with(['\n', '\r']);
    let manifest = Manifest {
        docstring,
        sections,
        imports,
        all,
        history,
        encoding: source
            .declared
            .clone()
            .filter(|_| source.encoding != encoding_rs::UTF_8)
            .unwrap_or_else(|| "utf-8".to_owned()),
        line_ending: source.line_ending,
        final_newline,
        first_statement: body.first().map(|stmt| stmt.start().to_u32()),
        all_unreadable,
        syntax_error: diagnostics
            .iter()
            .find(|d| d.kind == DiagnosticKind::Syntax)
            .map(|d| d.span.line),
        source,
    };
    (manifest, diagnostics)
}

fn read_import(source: &Source, stmt: &Stmt) -> Option<ManifestImport> {
    let span = source.span(stmt.start().to_u32(), stmt.end().to_u32());
    let alias_span =
        |alias: &ruff_python_ast::Alias| source.span(alias.start().to_u32(), alias.end().to_u32());
    let (form, items, lazy) = match stmt {
        Stmt::Import(import) => {
            let items = import
                .names
                .iter()
                .map(|alias| {
                    let name = alias.name.id.as_str();
                    let asname = alias.asname.as_ref().map(|a| a.id.to_string());
                    ImportedItem {
                        module: name.to_owned(),
                        name: name.to_owned(),
                        bound: asname
                            .clone()
                            .unwrap_or_else(|| name.split('.').next().unwrap_or(name).to_owned()),
                        asname,
                        span: alias_span(alias),
                    }
                })
                .collect();
            (ImportForm::Import, items, import.is_lazy)
        }
        Stmt::ImportFrom(from) => {
            let module = from
                .module
                .as_ref()
                .map(|m| m.id.to_string())
                .unwrap_or_default();
            if from.level == 0 && module == "__future__" {
                return None;
            }
            let dotted = format!("{}{module}", ".".repeat(from.level as usize));
            let items = from
                .names
                .iter()
                .map(|alias| {
                    let name = alias.name.id.to_string();
                    let asname = alias.asname.as_ref().map(|a| a.id.to_string());
                    let full = if name == "*" {
                        dotted.clone()
                    } else if module.is_empty() {
                        format!("{dotted}{name}")
                    } else {
                        format!("{dotted}.{name}")
                    };
                    ImportedItem {
                        module: full,
                        bound: asname.clone().unwrap_or_else(|| name.clone()),
                        name,
                        asname,
                        span: alias_span(alias),
                    }
                })
                .collect();
            (
                ImportForm::From {
                    module,
                    level: from.level,
                },
                items,
                from.is_lazy,
            )
        }
        _ => return None,
    };
    Some(ManifestImport {
        form,
        items,
        lazy,
        section: None,
        span,
        annotation: None,
    })
}

/// The comment that annotates an import: the one after it on its last line, or else one on its
/// first line (`from x import (  # 3ms`), as long as no other statement sits in between.
fn trailing_comment(
    source: &Source,
    stmt: &Stmt,
    next_start: Option<u32>,
    trailing: &[Comment],
) -> Option<Comment> {
    let (start, end) = (stmt.start().to_u32(), stmt.end().to_u32());
    let last_line_end = source.line_end(end);
    let first_line_end = source.line_end(start);
    let not_past_next = |c: &&Comment| next_start.is_none_or(|next| c.start < next);
    trailing
        .iter()
        .filter(not_past_next)
        .find(|c| c.start >= end && c.start < last_line_end)
        .or_else(|| {
            trailing
                .iter()
                .filter(not_past_next)
                .find(|c| c.start > start && c.start < first_line_end)
        })
        .copied()
}

fn is_dunder_all(target: &Expr) -> bool {
    matches!(target, Expr::Name(name) if name.id.as_str() == "__all__")
}

fn set_all(
    source: &Source,
    stmt: &Stmt,
    value: &Expr,
    all: &mut Option<DunderAll>,
    diagnostics: &mut Vec<ManifestDiagnostic>,
) -> bool {
    let span = source.span(stmt.start().to_u32(), stmt.end().to_u32());
    let (elements, open_end, is_tuple) = match value {
        Expr::List(list) => (&list.elts, list.start().to_u32() + 1, false),
        Expr::Tuple(tuple) => (
            &tuple.elts,
            tuple.start().to_u32() + u32::from(tuple.parenthesized),
            true,
        ),
        _ => {
            diagnostics.push(ManifestDiagnostic {
                kind: DiagnosticKind::DunderAll,
                message: "`__all__` is not a literal list or tuple of strings; it is not read"
                    .to_owned(),
                span: source.span(value.start().to_u32(), value.end().to_u32()),
            });
            *all = None;
            return false;
        }
    };
    if all.is_some() {
        diagnostics.push(ManifestDiagnostic {
            kind: DiagnosticKind::DunderAll,
            message: "`__all__` is assigned more than once; the last assignment is read".to_owned(),
            span,
        });
    }
    let mut names = Vec::new();
    let mut name_text = Vec::new();
    let mut literal = true;
    for element in elements {
        let (start, end) = (element.start().to_u32(), element.end().to_u32());
        match element {
            Expr::StringLiteral(literal) => {
                names.push(AllName {
                    name: literal.value.to_str().to_owned(),
                    span: source.span(start, end),
                });
                name_text.push((start, end));
            }
            _ => {
                literal = false;
                diagnostics.push(ManifestDiagnostic {
                    kind: DiagnosticKind::DunderAll,
                    message: format!(
                        "`{}` in `__all__` is not a string literal; it is not read",
                        &source.text[start as usize..end as usize]
                    ),
                    span: source.span(start, end),
                });
            }
        }
    }
    let (value_start, value_end) = (value.start().to_u32(), value.end().to_u32());
    *all = Some(DunderAll {
        names,
        span,
        value_span: source.span(value_start, value_end),
        value_text: (value_start, value_end),
        open_end,
        name_text,
        is_tuple,
    });
    literal
}

/// Import statements inside module-level blocks (`if`, `try`, `with`, ...), not inside
/// functions or classes.
struct NestedImports<'a>(Vec<&'a Stmt>);

impl<'a> StatementVisitor<'a> for NestedImports<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.0.push(stmt),
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            _ => walk_stmt(self, stmt),
        }
    }
}
