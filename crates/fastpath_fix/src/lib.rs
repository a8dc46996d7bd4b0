//! Takes imports off the cold path of Python source: the code-mods behind `fastpath fix` and
//! `fastpath init`.
//!
//! A [`FixSession`] holds one file. Each request names an import statement by the line and
//! column it had when the file was read (what a diagnostic points at) and the modules that
//! should leave the cold path; the session parses the current text with ruff's parser, builds
//! the binding model (which names the statement binds, where each one is read), and either
//! applies the best edit or explains why not ([`Refusal`]). Edits are computed and applied on
//! text, then checked: the result must parse, and [`FixSession::finish`] re-encodes it in the
//! file's own encoding with every untouched byte identical (line endings, final newline, BOM,
//! coding cookie). Several requests on one file compose: later requests are mapped through the
//! edits of earlier ones.
//!
//! Every fix declares its [`Safety`]. A safe fix changes only *when* the module is imported; an
//! unsafe one may change what some code observes (an annotation read at run time, a package
//! binding shared by two imports). Callers apply unsafe fixes only when asked.

mod diff;
mod error;
mod model;
mod plan;
mod source;
pub mod verify;

use std::collections::HashSet;

use fastpath_scan::scan_source;
use ruff_python_ast::{Mod, Stmt};
use ruff_python_parser::{parse_unchecked, Mode, ParseOptions, Parsed};
use ruff_text_size::Ranged;

pub use crate::diff::unified_diff;
pub use crate::error::FixError;
pub use crate::plan::{ModuleUse, Refusal, RefusalReason};
pub use crate::source::{apply_edits, line_ending, Edit, SourceFile};
pub use fastpath_scan::Target;

use crate::model::Model;
use crate::source::Lines;

/// Whether a fix can change what the program observes beyond when a module is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Safety {
    Safe,
    Unsafe,
}

impl Safety {
    pub fn as_str(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::Unsafe => "unsafe",
        }
    }
}

/// The edit a fix makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FixKind {
    /// Into the functions that use the names, after their docstring.
    MoveIntoFunctions,
    /// Under `if TYPE_CHECKING:`: the names are only used in annotations.
    TypeChecking,
    /// Into functions for the run-time uses, and under `if TYPE_CHECKING:` for annotations.
    MoveIntoFunctionsAndTypeChecking,
    /// PEP 810 `lazy import`.
    LazyImport,
    /// PEP 810 `__lazy_modules__`.
    LazyModules,
}

/// How a lazy import is spelled when the target supports PEP 810.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LazyStyle {
    /// `lazy import x` (the default; a file that already has a literal `__lazy_modules__` before
    /// the import gets the module added there instead).
    #[default]
    Keyword,
    /// `__lazy_modules__ = ["x"]`, placed before the module's first import: the file still
    /// runs unchanged on interpreters older than 3.15.
    LazyModules,
}

/// Another module of the project that reaches names through this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReExport {
    /// The name it imports (`from this import name`), or `None` for `from this import *`.
    pub name: Option<String>,
    /// Where, as `file:line`.
    pub by: String,
}

/// What a session needs to know about the file's surroundings.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// The target interpreter: decides `sys.version_info` tests, whether annotations are
    /// evaluated (before 3.14 they are, unless `from __future__ import annotations`) and
    /// whether PEP 810 lazy imports exist (3.15+). `None`: assume an older Python.
    pub target: Option<Target>,
    pub lazy_style: LazyStyle,
    /// Whether a fix may add `from typing import TYPE_CHECKING` (not in the entry module,
    /// which imports only the manifest).
    pub allow_new_imports: bool,
    /// Names other project modules import from this one.
    pub reexports: Vec<ReExport>,
    /// Apply fixes that declare themselves unsafe.
    pub unsafe_fixes: bool,
    /// The modules loaded on the cold path (from the import graph), when known: tells a
    /// package's submodules from its other attributes for the side-effect hazard (a statement
    /// whose submodule imports `pkg.sub` binds `sub` on `pkg`). `None`: only the packages on
    /// the statement's own path count.
    pub loaded_modules: Option<std::collections::BTreeSet<String>>,
}

/// One import statement to take off the cold path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// 1-based line and column of the statement in the file as it was read.
    pub line: u32,
    pub column: u32,
    /// The modules that should leave the cold path: for `import a, b` only the aliases that
    /// load one of them move. Empty: every alias.
    pub modules: Vec<String>,
}

/// A fix, applied or offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub kind: FixKind,
    pub safety: Safety,
    /// The statement as written (its first line).
    pub statement: String,
    /// 1-based line of the statement in the file as it was read.
    pub line: u32,
    /// What the fix does, in a sentence.
    pub description: String,
    /// Why the fix is unsafe, when it is.
    pub unsafe_reason: Option<String>,
    pub edits: Vec<Edit>,
}

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The fix was applied.
    Fixed(Fix),
    /// An unsafe fix exists and was not applied (see [`FixOptions::unsafe_fixes`]).
    UnsafeSkipped(Fix),
    /// No fix: why.
    Refused(Refusal),
    /// The statement is not (or no longer) an eager module-level import: nothing to do.
    NothingToDo { line: u32, why: &'static str },
}

/// A module-level import statement, as [`FixSession::top_level_imports`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopLevelImport {
    /// 1-based line and column in the current text.
    pub line: u32,
    pub column: u32,
    /// The statement as written.
    pub statement: String,
    /// What each alias loads: `a.b` for `import a.b`, `x` for `from x import y` (with leading
    /// dots for relative imports).
    pub modules: Vec<String>,
    /// The names it binds.
    pub bound: Vec<String>,
    /// For `from m import a as b`: the names it imports (`a`); empty for `import`.
    pub imported: Vec<String>,
    pub is_from: bool,
    pub is_lazy: bool,
    pub is_future: bool,
    pub is_star: bool,
}

/// One file being fixed. See the crate documentation.
#[derive(Debug)]
pub struct FixSession {
    source: SourceFile,
    original_lines: Lines,
    text: String,
    /// Edit batches applied so far, oldest first, each in the coordinates of the text it was
    /// applied to.
    history: Vec<Vec<Edit>>,
}

impl FixSession {
    /// Starts a session on the bytes of a file. Fails when the file cannot be edited in place
    /// or does not parse.
    pub fn new(bytes: &[u8]) -> Result<FixSession, FixError> {
        let source = SourceFile::new(bytes);
        if let Some(reason) = source.not_editable() {
            return Err(FixError::NotEditable {
                reason: reason.to_owned(),
            });
        }
        let text = source.text().to_owned();
        let lines = Lines::new(&text);
        let parsed = parse(&text);
        if let Some(error) = parsed.errors().first() {
            return Err(FixError::Syntax {
                line: lines.line(error.location.start().to_u32()),
                message: error.error.to_string(),
            });
        }
        Ok(FixSession {
            source,
            original_lines: lines,
            text,
            history: Vec::new(),
        })
    }

    /// The text as it is now.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text as it was read.
    pub fn original_text(&self) -> &str {
        self.source.text()
    }

    pub fn changed(&self) -> bool {
        self.text != self.source.text()
    }

    /// The new bytes of the file (the original bytes when nothing changed).
    pub fn finish(&self) -> Result<Vec<u8>, FixError> {
        self.source.encode(&self.text)
    }

    /// Where an offset of the original text is now; `None` when an edit replaced it.
    fn map_offset(&self, mut offset: u32) -> Option<u32> {
        for batch in &self.history {
            let mut shifted = offset as i64;
            for edit in batch {
                let insertion = edit.start == edit.end;
                if insertion && edit.start <= offset || !insertion && offset >= edit.end {
                    // Text inserted before the statement (or replaced before it) moves it.
                    shifted += edit.text.len() as i64 - (edit.end - edit.start) as i64;
                } else if offset >= edit.start && offset < edit.end {
                    // The statement itself was replaced or deleted.
                    return None;
                }
            }
            offset = shifted as u32;
        }
        Some(offset)
    }

    /// Takes the statement of `request` off the cold path, or says why not.
    pub fn take_off_cold_path(
        &mut self,
        request: &Request,
        options: &FixOptions,
    ) -> Result<Outcome, FixError> {
        let nothing = |why| Outcome::NothingToDo {
            line: request.line,
            why,
        };
        let Some(offset) = self
            .original_lines
            .offset(self.source.text(), request.line, request.column)
            .and_then(|o| self.map_offset(o))
        else {
            return Ok(nothing("an earlier fix already changed this statement"));
        };
        let parsed = parse(&self.text);
        let body = module_body(&parsed);
        let found = match body.iter().find(|s| s.start().to_u32() == offset) {
            Some(stmt) => Some((stmt, None)),
            None => plan::in_if_or_with(body, offset).map(|(stmt, block)| (stmt, Some(block))),
        };
        let Some((stmt, block)) = found else {
            return Ok(match plan::enclosing_block(body, offset) {
                Some(block) => Outcome::Refused(Refusal {
                    statement: first_line(&self.text[offset as usize..]),
                    line: request.line,
                    reason: RefusalReason::InsideBlock { block },
                }),
                None => nothing("no module-level import statement starts there"),
            });
        };
        let (aliases, lazy) = match stmt {
            Stmt::Import(import) => (
                import
                    .names
                    .iter()
                    .map(|a| a.name.to_string())
                    .collect::<Vec<_>>(),
                import.is_lazy,
            ),
            Stmt::ImportFrom(import) => (Vec::new(), import.is_lazy),
            _ => return Ok(nothing("no import statement starts there")),
        };
        if lazy {
            return Ok(nothing("the import is already lazy"));
        }
        let selected: Vec<usize> = match stmt {
            Stmt::Import(_) => {
                let related: Vec<usize> = aliases
                    .iter()
                    .enumerate()
                    .filter(|(_, alias)| request.modules.iter().any(|m| related(alias, m)))
                    .map(|(i, _)| i)
                    .collect();
                if related.is_empty() {
                    (0..aliases.len()).collect()
                } else {
                    related
                }
            }
            _ => Vec::new(),
        };
        let lazy_target = options
            .target
            .as_ref()
            .is_some_and(Target::supports_lazy_imports);
        if lazy_target {
            let modules: Vec<String> = match stmt {
                Stmt::Import(import) => selected
                    .iter()
                    .map(|&i| import.names[i].name.to_string())
                    .collect(),
                Stmt::ImportFrom(import) if import.level == 0 => {
                    import.module.iter().map(|m| m.to_string()).collect()
                }
                _ => Vec::new(),
            };
            if plan::listed_lazy(body, offset, &modules) {
                return Ok(nothing("`__lazy_modules__` already makes the import lazy"));
            }
        }
        let deferred_annotations = options
            .target
            .as_ref()
            .is_some_and(|t| t.version >= (3, 14));
        let model = Model::build(&self.text, body, parsed.tokens(), deferred_annotations);
        let run_at_import = run_at_import(&self.text, options.target.as_ref(), &model);
        let lines = Lines::new(&self.text);
        let context = plan::Context {
            text: &self.text,
            lines: &lines,
            body,
            tokens: parsed.tokens(),
            model: &model,
            run_at_import: &run_at_import,
            options,
            block,
        };
        let selected = if selected.is_empty() {
            match stmt {
                Stmt::ImportFrom(import) => (0..import.names.len()).collect(),
                _ => selected,
            }
        } else {
            selected
        };
        let planned = match context.plan(stmt, &selected) {
            Ok(planned) => planned,
            Err(mut refusal) => {
                refusal.line = request.line;
                return Ok(Outcome::Refused(refusal));
            }
        };
        let fix = Fix {
            kind: planned.kind,
            safety: planned.safety,
            statement: context.shown(stmt),
            line: request.line,
            description: planned.description,
            unsafe_reason: planned.unsafe_reason,
            edits: planned.edits,
        };
        if fix.safety == Safety::Unsafe && !options.unsafe_fixes {
            return Ok(Outcome::UnsafeSkipped(fix));
        }
        let new_text = apply_edits(&self.text, &fix.edits)?;
        let check = parse(&new_text);
        if let Some(error) = check.errors().first() {
            return Err(FixError::BrokenResult {
                line: Lines::new(&new_text).line(error.location.start().to_u32()),
                message: error.error.to_string(),
            });
        }
        let mut batch = fix.edits.clone();
        batch.sort_by_key(|e| (e.start, e.end));
        self.history.push(batch);
        self.text = new_text;
        Ok(Outcome::Fixed(fix))
    }

    /// The module-level import statements of the current text that load `module` (itself or
    /// one of its submodules: importing `a.b.c` runs `a.b`), as requests for it. `package` is
    /// the package this file's relative imports start from (the module's own name for an
    /// `__init__.py`, else its parent). Convergence: a module leaves the cold path only when
    /// every such statement in the project moves.
    pub fn statements_loading(&self, module: &str, package: &str) -> Vec<Request> {
        let loads = |name: &str| {
            name == module
                || name
                    .strip_prefix(module)
                    .is_some_and(|rest| rest.starts_with('.'))
        };
        self.top_level_imports()
            .into_iter()
            .filter(|i| !i.is_lazy && !i.is_future && !i.is_star)
            .filter(|i| {
                i.modules.iter().any(|m| {
                    let absolute = absolute_module(m, package);
                    if loads(&absolute) {
                        return true;
                    }
                    // `from a import b` loads `a.b` when `b` is a submodule.
                    i.is_from
                        && i.imported
                            .iter()
                            .any(|name| loads(&format!("{absolute}.{name}")))
                })
            })
            .map(|i| Request {
                line: i.line,
                column: i.column,
                modules: vec![module.to_owned()],
            })
            .collect()
    }

    /// The module-level import statements of the current text, in order.
    pub fn top_level_imports(&self) -> Vec<TopLevelImport> {
        let parsed = parse(&self.text);
        let lines = Lines::new(&self.text);
        let mut out = Vec::new();
        for stmt in module_body(&parsed) {
            let start = stmt.start().to_u32();
            let line = lines.line(start);
            let column = self.text[lines.line_start(start) as usize..start as usize]
                .chars()
                .count() as u32
                + 1;
            let statement = self.text[stmt.range()].to_owned();
            match stmt {
                Stmt::Import(import) => out.push(TopLevelImport {
                    line,
                    column,
                    statement,
                    modules: import.names.iter().map(|a| a.name.to_string()).collect(),
                    bound: import
                        .names
                        .iter()
                        .map(|a| match &a.asname {
                            Some(asname) => asname.to_string(),
                            None => a.name.as_str().split('.').next().unwrap_or("").to_owned(),
                        })
                        .collect(),
                    imported: Vec::new(),
                    is_from: false,
                    is_lazy: import.is_lazy,
                    is_future: false,
                    is_star: false,
                }),
                Stmt::ImportFrom(import) => {
                    let module = format!(
                        "{}{}",
                        ".".repeat(import.level as usize),
                        import.module.as_ref().map_or("", |m| m.as_str())
                    );
                    out.push(TopLevelImport {
                        line,
                        column,
                        statement,
                        modules: vec![module.clone()],
                        bound: import
                            .names
                            .iter()
                            .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string())
                            .collect(),
                        imported: import.names.iter().map(|a| a.name.to_string()).collect(),
                        is_from: true,
                        is_lazy: import.is_lazy,
                        is_future: module == "__future__",
                        is_star: import.names.iter().any(|a| a.name.as_str() == "*"),
                    });
                }
                _ => {}
            }
        }
        out
    }

    /// Replaces the module-level import statements at `at` (lines and columns of the current
    /// text) by one `line`, written where the first of them was (or, when `at` is empty, after
    /// the docstring and `__future__` imports). `None` only removes them. Used by `fastpath init`
    /// to turn an entry's imports into `from fast_path import *`.
    pub fn replace_imports(
        &mut self,
        at: &[(u32, u32)],
        line: Option<&str>,
    ) -> Result<(), FixError> {
        let parsed = parse(&self.text);
        let lines = Lines::new(&self.text);
        let eol = line_ending(&self.text);
        let body = module_body(&parsed);
        let position = |stmt: &Stmt| {
            let start = stmt.start().to_u32();
            let column = self.text[lines.line_start(start) as usize..start as usize]
                .chars()
                .count() as u32
                + 1;
            (lines.line(start), column)
        };
        let mut edits = Vec::new();
        let mut line = line;
        for stmt in body.iter().filter(|s| at.contains(&position(s))) {
            let start = lines.line_start(stmt.start().to_u32());
            let end = lines.next_line_start(stmt.end().to_u32(), self.text.len() as u32);
            let rest = self.text[stmt.end().to_usize()..end as usize].trim();
            let alone = self.text[start as usize..stmt.start().to_usize()]
                .trim()
                .is_empty()
                && (rest.is_empty() || rest.starts_with('#'));
            if !alone {
                return Err(FixError::NotEditable {
                    reason: format!(
                        "line {} holds more than the import statement",
                        lines.line(stmt.start().to_u32())
                    ),
                });
            }
            let mut end = end;
            let replacement = match line.take() {
                Some(line)
                    if end as usize == self.text.len() && !self.text.ends_with(['\n', '\r']) =>
                {
                    line.to_owned()
                }
                Some(line) => format!("{line}{eol}"),
                None => {
                    // Removing a line between two blank ones would leave a double gap.
                    let blank = |from: u32| {
                        let to = lines.next_line_start(from, self.text.len() as u32);
                        to > from && self.text[from as usize..to as usize].trim().is_empty()
                    };
                    let previous_blank = start > 0 && blank(lines.line_start(start - 1));
                    if previous_blank && (end as usize) < self.text.len() && blank(end) {
                        end = lines.next_line_start(end, self.text.len() as u32);
                    }
                    String::new()
                }
            };
            edits.push(Edit::replace(start, end, replacement));
        }
        if let Some(line) = line {
            // Nothing replaced: after the docstring and `from __future__` imports.
            let after = body
                .iter()
                .enumerate()
                .find(|(i, stmt)| match stmt {
                    Stmt::Expr(e) if *i == 0 => !e.value.is_string_literal_expr(),
                    Stmt::ImportFrom(f) => {
                        f.module.as_ref().is_none_or(|m| m.as_str() != "__future__")
                    }
                    _ => true,
                })
                .map(|(_, s)| s);
            let edit = match after {
                // PEP 8's two blank lines before a top-level definition.
                Some(stmt @ (Stmt::FunctionDef(_) | Stmt::ClassDef(_))) => Edit::insert(
                    lines.line_start(stmt.start().to_u32()),
                    format!("{line}{eol}{eol}{eol}"),
                ),
                Some(stmt) => Edit::insert(
                    lines.line_start(stmt.start().to_u32()),
                    format!("{line}{eol}"),
                ),
                None if self.text.is_empty() || self.text.ends_with(['\n', '\r']) => {
                    Edit::insert(self.text.len() as u32, format!("{line}{eol}"))
                }
                None => Edit::insert(self.text.len() as u32, format!("{eol}{line}")),
            };
            edits.push(edit);
        }
        if edits.is_empty() {
            return Ok(());
        }
        let new_text = apply_edits(&self.text, &edits)?;
        if let Some(error) = parse(&new_text).errors().first() {
            return Err(FixError::BrokenResult {
                line: Lines::new(&new_text).line(error.location.start().to_u32()),
                message: error.error.to_string(),
            });
        }
        edits.sort_by_key(|e| (e.start, e.end));
        self.history.push(edits);
        self.text = new_text;
        Ok(())
    }
}

/// A file's bytes with `requests` applied in order, as one session applies them: what a
/// verification transaction renders for a subset of a file's fixes. Requests that end in no
/// fix change nothing.
pub fn render_fixes(
    bytes: &[u8],
    requests: &[&Request],
    options: &FixOptions,
) -> Result<Vec<u8>, FixError> {
    let mut session = FixSession::new(bytes)?;
    for request in requests {
        session.take_off_cold_path(request, options)?;
    }
    session.finish()
}

fn parse(text: &str) -> Parsed<Mod> {
    parse_unchecked(text, ParseOptions::from(Mode::Module))
}

fn module_body(parsed: &Parsed<Mod>) -> &[Stmt] {
    match parsed.syntax() {
        Mod::Module(module) => &module.body,
        Mod::Expression(_) => &[],
    }
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

/// `.x` / `..x` from `package` made absolute (`from . import y` gives the package itself).
pub fn absolute_module(name: &str, package: &str) -> String {
    let dots = name.chars().take_while(|&c| c == '.').count();
    if dots == 0 {
        return name.to_owned();
    }
    let mut parts: Vec<&str> = package.split('.').filter(|p| !p.is_empty()).collect();
    for _ in 1..dots {
        parts.pop();
    }
    let rest = &name[dots..];
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts.join(".")
}

/// Whether an alias loading `alias` is what a request for `module` is about: the same
/// module, a package of it, or a submodule of it.
fn related(alias: &str, module: &str) -> bool {
    let inside = |a: &str, b: &str| a == b || a.strip_prefix(b).is_some_and(|r| r.starts_with('.'));
    inside(alias, module) || inside(module, alias)
}

/// The functions (by `__qualname__`) that run while the module is imported: those called by
/// module-level code, the `__init__`/`__new__`/`__post_init__` of classes instantiated there,
/// and everything they call in turn (as far as the scanner sees calls that certainly run).
fn run_at_import(text: &str, target: Option<&Target>, model: &Model) -> HashSet<String> {
    let scan = scan_source(text, target);
    let mut run: HashSet<String> = HashSet::new();
    let mut work: Vec<String> = scan.eager_calls.clone();
    while let Some(mut name) = work.pop() {
        for _ in 0..8 {
            match scan.aliases.get(&name) {
                Some(target) => name = target.clone(),
                None => break,
            }
        }
        if !run.insert(name.clone()) {
            continue;
        }
        if model.classes.contains(&name) {
            for method in ["__init__", "__new__", "__post_init__"] {
                work.push(format!("{name}.{method}"));
            }
        }
        if let Some(callees) = scan.calls.get(&name) {
            work.extend(callees.iter().cloned());
        }
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(source: &str, line: u32, options: &FixOptions) -> (String, Outcome) {
        let mut session = FixSession::new(source.as_bytes()).unwrap();
        let outcome = session
            .take_off_cold_path(
                &Request {
                    line,
                    column: 1,
                    modules: Vec::new(),
                },
                options,
            )
            .unwrap();
        (session.text().to_owned(), outcome)
    }

    fn reason(outcome: &Outcome) -> String {
        match outcome {
            Outcome::Refused(refusal) => refusal.reason.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn moves_into_the_one_function_that_uses_it() {
        let (text, outcome) = fix(
            "import json\nimport urllib.request  # slow\n\n\ndef refresh(url):\n    \"\"\"Doc.\"\"\"\n    return urllib.request.urlopen(url)\n",
            2,
            &FixOptions::default(),
        );
        assert_eq!(
            text,
            "import json\n\n\ndef refresh(url):\n    \"\"\"Doc.\"\"\"\n    import urllib.request  # slow\n    return urllib.request.urlopen(url)\n"
        );
        let Outcome::Fixed(fix) = outcome else {
            panic!()
        };
        assert_eq!(fix.safety, Safety::Safe);
        assert_eq!(fix.kind, FixKind::MoveIntoFunctions);
    }

    #[test]
    fn refuses_module_level_uses_with_their_reason() {
        let options = FixOptions::default();
        let cases = [
            (
                "import x\n@x.deco\ndef f():\n    pass\n",
                "in a decorator (line 2)",
            ),
            (
                "import x\nclass C(x.Base):\n    pass\n",
                "in a base class (line 2)",
            ),
            (
                "import x\ndef f(a=x.D):\n    return a\n",
                "in a default argument (line 2)",
            ),
            (
                "import x\nVALUE = x.compute()\n",
                "in a module-level call (line 2)",
            ),
            (
                "import x\n__all__ = ['x']\n",
                "listed in `__all__` (line 2)",
            ),
            (
                "import x\ndef f():\n    global x\n    x = 1\n",
                "declares `global x`",
            ),
            ("import x\nx = 2\n", "bound again at module level (line 2)"),
            ("import x\n", "kept for its side effects"),
            (
                "import x\nclass C:\n    y = x.z\n",
                "in a class body (line 3)",
            ),
            (
                "import x\ndef f():\n    return x.a\nf()\n",
                "itself called while the module is imported",
            ),
            ("import x\ng = lambda: x.a\n", "lambda outside any function"),
            ("from x import *\n", "star import"),
        ];
        for (source, expected) in cases {
            let (text, outcome) = fix(source, 1, &options);
            assert_eq!(text, source, "a refusal changes nothing");
            let message = reason(&outcome);
            assert!(message.contains(expected), "{source:?}: {message}");
        }
    }

    #[test]
    fn annotations_only_go_under_type_checking() {
        let source = "from __future__ import annotations\nfrom decimal import Decimal\n\n\ndef total(a: Decimal) -> Decimal:\n    return a\n";
        let (text, outcome) = fix(
            source,
            2,
            &FixOptions {
                allow_new_imports: true,
                ..FixOptions::default()
            },
        );
        assert_eq!(
            text,
            "from __future__ import annotations\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from decimal import Decimal\n\n\ndef total(a: Decimal) -> Decimal:\n    return a\n"
        );
        assert!(matches!(outcome, Outcome::Fixed(ref f) if f.kind == FixKind::TypeChecking));
        // The entry may not gain an import.
        let (_, outcome) = fix(source, 2, &FixOptions::default());
        assert!(reason(&outcome).contains("must import nothing but the manifest"));
    }

    #[test]
    fn lazy_for_python_3_15() {
        let options = FixOptions {
            target: Some(Target::new(3, 15, "linux")),
            ..FixOptions::default()
        };
        let (text, _) = fix(
            "import json\n\ndef f():\n    return json.dumps(1)\n",
            1,
            &options,
        );
        assert_eq!(
            text,
            "lazy import json\n\ndef f():\n    return json.dumps(1)\n"
        );
        let (text, outcome) = fix(
            "__lazy_modules__ = ['os']\nimport json\nX = 1\n\ndef f():\n    return json\n",
            2,
            &options,
        );
        assert_eq!(
            text,
            "__lazy_modules__ = ['os', 'json']\nimport json\nX = 1\n\ndef f():\n    return json\n"
        );
        assert!(matches!(outcome, Outcome::Fixed(ref f) if f.kind == FixKind::LazyModules));
        let options = FixOptions {
            lazy_style: LazyStyle::LazyModules,
            ..options
        };
        let (text, _) = fix(
            "\"\"\"Doc.\"\"\"\nimport os\nimport json\n\ndef f():\n    return json, os\n",
            3,
            &options,
        );
        assert_eq!(
            text,
            "\"\"\"Doc.\"\"\"\n__lazy_modules__ = [\"json\"]\nimport os\nimport json\n\ndef f():\n    return json, os\n"
        );
    }

    #[test]
    fn several_requests_compose() {
        let source = "import a\nimport b\n\ndef f():\n    return a.x, b.y\n";
        let mut session = FixSession::new(source.as_bytes()).unwrap();
        for line in [1, 2] {
            let outcome = session
                .take_off_cold_path(
                    &Request {
                        line,
                        column: 1,
                        modules: Vec::new(),
                    },
                    &FixOptions::default(),
                )
                .unwrap();
            assert!(matches!(outcome, Outcome::Fixed(_)), "{outcome:?}");
        }
        assert_eq!(
            session.text(),
            "\ndef f():\n    import b\n    import a\n    return a.x, b.y\n"
        );
    }

    #[test]
    fn a_new_import_before_a_definition_keeps_two_blank_lines() {
        // httpie's `__main__`: a docstring, then `def main()` deferring every import.
        let source = "\"\"\"The entry.\"\"\"\n\n\n@wraps\ndef main():\n    import heavy\n";
        let mut session = FixSession::new(source.as_bytes()).unwrap();
        session
            .replace_imports(&[], Some("from pkg.fast_path import *"))
            .unwrap();
        assert_eq!(
            session.text(),
            "\"\"\"The entry.\"\"\"\n\n\nfrom pkg.fast_path import *\n\n\n@wraps\ndef main():\n    import heavy\n"
        );
        let mut session = FixSession::new(b"\"\"\"Doc.\"\"\"\nx = 1\n").unwrap();
        session
            .replace_imports(&[], Some("from m import *"))
            .unwrap();
        assert_eq!(session.text(), "\"\"\"Doc.\"\"\"\nfrom m import *\nx = 1\n");
    }

    #[test]
    fn a_statement_an_earlier_fix_replaced_is_left_alone() {
        let source = "from __future__ import annotations\nimport a, b\n\ndef f(x: a.X, y: b.Y):\n    return x\n";
        let mut session = FixSession::new(source.as_bytes()).unwrap();
        let options = FixOptions {
            allow_new_imports: true,
            ..FixOptions::default()
        };
        let request = |module: &str| Request {
            line: 2,
            column: 1,
            modules: vec![module.to_owned()],
        };
        let first = session.take_off_cold_path(&request("a"), &options).unwrap();
        assert!(matches!(first, Outcome::Fixed(_)), "{first:?}");
        let second = session.take_off_cold_path(&request("b"), &options).unwrap();
        assert!(matches!(second, Outcome::Fixed(_)), "{second:?}");
        assert_eq!(
            session.text(),
            "from __future__ import annotations\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n    import b\n\ndef f(x: a.X, y: b.Y):\n    return x\n"
        );
        // A whole statement replaced by a fix is not looked for again.
        let mut session = FixSession::new(b"import a\n\ndef f():\n    return a\n").unwrap();
        let request = Request {
            line: 1,
            column: 1,
            modules: Vec::new(),
        };
        assert!(matches!(
            session.take_off_cold_path(&request, &options).unwrap(),
            Outcome::Fixed(_)
        ));
        assert!(matches!(
            session.take_off_cold_path(&request, &options).unwrap(),
            Outcome::NothingToDo { .. }
        ));
    }

    #[test]
    fn imports_in_module_level_if_and_with_blocks() {
        // Inside a block the statement starts at column 5.
        let fix = |source: &str, line: u32, options: &FixOptions| {
            let mut session = FixSession::new(source.as_bytes()).unwrap();
            let request = Request {
                line,
                column: 5,
                modules: Vec::new(),
            };
            let outcome = session.take_off_cold_path(&request, options).unwrap();
            (session.text().to_owned(), outcome)
        };
        let unsafe_ok = FixOptions {
            unsafe_fixes: true,
            ..FixOptions::default()
        };
        // `with`: moved, safe; the emptied suite gets `pass`.
        let (text, outcome) = fix(
            "import warnings\nwith warnings.catch_warnings():\n    import json\n\n\ndef f():\n    return json.dumps(1)\n",
            3,
            &FixOptions::default(),
        );
        assert!(
            matches!(&outcome, Outcome::Fixed(f) if f.safety == Safety::Safe),
            "{outcome:?}"
        );
        assert_eq!(
            text,
            "import warnings\nwith warnings.catch_warnings():\n    pass\n\n\ndef f():\n    import json\n    return json.dumps(1)\n"
        );
        // `if`: moved, but it ran only when the test held: unsafe.
        let source = "import sys\nif sys.platform == 'win32':\n    import winreg\n    X = 1\n\n\ndef f():\n    return winreg.HKEY_CURRENT_USER\n";
        let (_, outcome) = fix(source, 3, &FixOptions::default());
        assert!(
            matches!(&outcome, Outcome::UnsafeSkipped(f) if f.unsafe_reason.as_deref().unwrap().contains("`if` test")),
            "{outcome:?}"
        );
        let (text, _) = fix(source, 3, &unsafe_ok);
        assert_eq!(
            text,
            "import sys\nif sys.platform == 'win32':\n    X = 1\n\n\ndef f():\n    import winreg\n    return winreg.HKEY_CURRENT_USER\n"
        );
        // A module-level use in the block still refuses.
        let (_, outcome) = fix(
            "if True:\n    import json\n    X = json.dumps(1)\n",
            2,
            &FixOptions::default(),
        );
        assert!(reason(&outcome).contains("used at import time"));
        // `try` stays refused, even for 3.15.
        let lazy = FixOptions {
            target: Some(Target::new(3, 15, "linux")),
            ..FixOptions::default()
        };
        let source = "try:\n    import json\nexcept ImportError:\n    json = None\n\n\ndef f():\n    return json\n";
        for options in [&FixOptions::default(), &lazy] {
            let (text, outcome) = fix(source, 2, options);
            assert_eq!(text, source);
            assert!(
                reason(&outcome).contains("inside a `try` block"),
                "{outcome:?}"
            );
        }
        // 3.15: `lazy` inside `if` and `with`.
        let (text, _) = fix(
            "import sys\nif sys.version_info >= (3, 15):\n    import json\n\n\ndef f():\n    return json\n",
            3,
            &lazy,
        );
        assert_eq!(
            text,
            "import sys\nif sys.version_info >= (3, 15):\n    lazy import json\n\n\ndef f():\n    return json\n"
        );
    }

    #[test]
    fn removing_an_import_keeps_the_files_blank_line_style() {
        // One blank line at most in this file: removing `import json` must not leave two.
        let (text, _) = fix(
            "import os\n\nimport json\n\nX = os.sep\n\ndef f():\n    return json\n",
            3,
            &FixOptions::default(),
        );
        assert_eq!(
            text,
            "import os\n\nX = os.sep\n\ndef f():\n    import json\n    return json\n"
        );
        // Between two import groups, one blank line stays one.
        let (text, _) = fix(
            "import os\n\n\nimport sys\n\nimport json\n\nfrom x import y\n\n\ndef f():\n    return json, os, sys, y\n",
            6,
            &FixOptions::default(),
        );
        assert_eq!(
            text,
            "import os\n\n\nimport sys\n\nfrom x import y\n\n\ndef f():\n    import json\n    return json, os, sys, y\n"
        );
        // PEP 8's two blank lines before a def stay two, not three or four.
        let (text, _) = fix(
            "import os\n\n\nimport json\n\n\ndef f():\n    return json, os\n",
            4,
            &FixOptions::default(),
        );
        assert_eq!(
            text,
            "import os\n\n\ndef f():\n    import json\n    return json, os\n"
        );
    }

    #[test]
    fn type_checking_receives_only_the_names_annotations_use() {
        // `Decimal` is only an annotation; `localcontext` runs in `f`: only `Decimal` goes
        // under `if TYPE_CHECKING:` (the other would be a new F401 there).
        let (text, outcome) = fix(
            "from __future__ import annotations\nfrom typing import TYPE_CHECKING\nfrom decimal import Decimal, localcontext\n\n\ndef f(a: Decimal):\n    with localcontext():\n        return a\n",
            3,
            &FixOptions::default(),
        );
        assert!(matches!(outcome, Outcome::Fixed(_)), "{outcome:?}");
        assert_eq!(
            text,
            "from __future__ import annotations\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from decimal import Decimal\n\n\ndef f(a: Decimal):\n    from decimal import localcontext\n    with localcontext():\n        return a\n"
        );
    }

    #[test]
    fn every_statement_that_loads_a_module_is_found() {
        // httpie: `import requests` and, two lines lower, `from requests import __version__`.
        let session = FixSession::new(
            b"import requests\nimport json\nfrom requests import __version__\nfrom requests.auth import HTTPBasicAuth\nimport requestsx\nfrom . import util\nfrom .util import x\n",
        )
        .unwrap();
        let lines: Vec<u32> = session
            .statements_loading("requests", "pkg")
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [1, 3, 4]);
        let lines: Vec<u32> = session
            .statements_loading("pkg.util", "pkg")
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [6, 7]);
        assert_eq!(absolute_module("..a", "p.q"), "p.a");
        assert_eq!(absolute_module(".", "p.q"), "p.q");
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        let error = FixSession::new(b"import json\ndef f(:\n").unwrap_err();
        assert!(matches!(error, FixError::Syntax { line: 2, .. }), "{error}");
    }
}
