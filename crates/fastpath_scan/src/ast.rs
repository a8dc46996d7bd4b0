//! The reference scanner: a full parse with ruff's parser, then a walk over the statements that
//! carries the context (eager, deferred, ...) down the tree.
//!
//! It is the definition of what a scan means; the fast scanner is tested equal to it. It
//! recovers from syntax errors (`parse_unchecked`): every statement the parser could rebuild
//! still yields its sites.

use ruff_python_ast::visitor::{walk_expr, Visitor};
use ruff_python_ast::{
    Alias, ExceptHandler, Expr, Mod, ModModule, Stmt, StmtClassDef, StmtFunctionDef, StmtTry,
};
use ruff_python_parser::{parse_unchecked, Mode, ParseOptions};
use ruff_text_size::Ranged;

use crate::condition::{self, Test};
use crate::{
    scope, Context, FileScan, ImportSite, ImportedName, LineIndex, Problem, ProblemKind, SiteKind,
    Target,
};

/// At most this many syntax errors are reported per file: the first ones are the useful ones.
const MAX_SYNTAX_PROBLEMS: usize = 10;

pub(crate) fn scan(source: &str, target: Option<&Target>) -> FileScan {
    let parsed = parse_unchecked(source, ParseOptions::from(Mode::Module));
    let index = LineIndex::new(source);
    let mut scanner = Scanner {
        source,
        index: &index,
        target,
        scan: FileScan::default(),
        next_try_id: 0,
        previous_strings: None,
    };
    for error in parsed.errors().iter().take(MAX_SYNTAX_PROBLEMS) {
        let offset = error.location.start().to_u32();
        let (line, column) = index.line_column(source, offset);
        scanner.scan.problems.push(Problem {
            kind: ProblemKind::Syntax,
            message: syntax_message(&error.error.to_string(), source, offset),
            line,
            column,
        });
    }
    if let Mod::Module(ModModule { body, .. }) = parsed.syntax() {
        scanner.suite(body, &State::module());
    }
    scanner.scan
}

/// What the enclosing blocks say about a statement.
#[derive(Debug, Clone)]
struct State {
    context: Context,
    /// The `__qualname__` of the innermost function holding the statement, if any.
    function: Option<String>,
    /// The `__qualname__` prefix of a definition made here: `C.` in a class body,
    /// `f.<locals>.` in a function body.
    scope: String,
    optional: bool,
    try_id: Option<u32>,
    fallback_for: Option<u32>,
    /// Directly in the module body (or a module-level block), outside classes and functions.
    module_level: bool,
    /// Inside a block of the innermost function (or of the module) that may not run.
    conditional: bool,
    /// In the body of `for NAME in <literal strings>:`: the name and its values, so
    /// `__import__(NAME)` there is as good as a literal.
    loop_strings: Option<(String, Vec<String>)>,
}

impl State {
    fn module() -> Self {
        State {
            context: Context::Eager,
            function: None,
            scope: String::new(),
            optional: false,
            try_id: None,
            fallback_for: None,
            module_level: true,
            conditional: false,
            loop_strings: None,
        }
    }

    fn runs_at_import(&self) -> bool {
        scope::runs_at_import(self.context)
    }

    fn in_function(&self, name: &str) -> State {
        let mut inner = self.clone();
        inner.module_level = false;
        inner.context = scope::function_body(self.context);
        inner.conditional = false;
        let qualname = format!("{}{name}", self.scope);
        inner.scope = format!("{qualname}.<locals>.");
        inner.function = Some(qualname);
        inner
    }

    fn in_class(&self, name: &str) -> State {
        let mut inner = self.clone();
        inner.module_level = false;
        inner.scope = format!("{}{name}.", self.scope);
        inner
    }

    fn maybe(&self) -> State {
        let mut inner = self.clone();
        inner.conditional = true;
        inner
    }

    fn with_context(&self, context: Context) -> State {
        let mut inner = self.clone();
        inner.context = scope::guarded_block(self.context, context);
        inner
    }
}

struct Scanner<'a> {
    source: &'a str,
    index: &'a LineIndex,
    target: Option<&'a Target>,
    scan: FileScan,
    next_try_id: u32,
    /// The statement before the one being scanned, in its block, when it is `NAME = <literal
    /// strings>` alone on its line: a `for` over NAME right after it walks those strings.
    previous_strings: Option<(String, Vec<String>)>,
}

impl Scanner<'_> {
    fn suite(&mut self, body: &[Stmt], state: &State) {
        for (i, stmt) in body.iter().enumerate() {
            self.previous_strings = i
                .checked_sub(1)
                .and_then(|j| self.strings_assigned(body, j));
            self.stmt(stmt, state);
        }
    }

    /// `NAME = <literal strings>` at `body[j]`, the first statement on its line.
    fn strings_assigned(&self, body: &[Stmt], j: usize) -> Option<(String, Vec<String>)> {
        let Stmt::Assign(assign) = &body[j] else {
            return None;
        };
        let [Expr::Name(name)] = assign.targets.as_slice() else {
            return None;
        };
        if let Some(before) = j.checked_sub(1) {
            let (ends, _) = self.position(body[before].end().to_u32());
            let (starts, _) = self.position(assign.start().to_u32());
            if ends == starts {
                return None; // `x = 1; NAME = (...)`
            }
        }
        let values = literal_strings(&assign.value)?;
        (!values.is_empty()).then(|| (name.id.to_string(), values))
    }

    fn position(&self, offset: u32) -> (u32, u32) {
        self.index.line_column(self.source, offset)
    }

    fn stmt(&mut self, stmt: &Stmt, state: &State) {
        match stmt {
            Stmt::Import(import) => {
                let context = site_context(state, import.is_lazy);
                let (line, column) = self.position(import.start().to_u32());
                for Alias { name, asname, .. } in &import.names {
                    self.push(
                        state,
                        ImportSite {
                            alias: asname.as_ref().map(ToString::to_string),
                            ..ImportSite::new(
                                SiteKind::Import,
                                name.to_string(),
                                0,
                                context,
                                line,
                                column,
                            )
                        },
                    );
                }
            }
            Stmt::ImportFrom(import) => {
                let context = site_context(state, import.is_lazy);
                let (line, column) = self.position(import.start().to_u32());
                let names = import
                    .names
                    .iter()
                    .map(|alias| ImportedName {
                        name: alias.name.to_string(),
                        asname: alias.asname.as_ref().map(ToString::to_string),
                    })
                    .collect();
                self.push(
                    state,
                    ImportSite {
                        names,
                        ..ImportSite::new(
                            SiteKind::From,
                            import
                                .module
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                            import.level,
                            context,
                            line,
                            column,
                        )
                    },
                );
            }
            Stmt::FunctionDef(def) => self.function_def(def, state),
            Stmt::ClassDef(class) => self.class_def(class, state),
            Stmt::If(if_stmt) => {
                self.exprs(std::iter::once(&*if_stmt.test), state);
                let mut branches = std::iter::once((Some(&*if_stmt.test), &if_stmt.body[..]))
                    .chain(
                        if_stmt
                            .elif_else_clauses
                            .iter()
                            .map(|c| (c.test.as_ref(), &c.body[..])),
                    );
                self.if_chain(&mut branches, state, false);
            }
            Stmt::Try(try_stmt) => self.try_stmt(try_stmt, state),
            Stmt::For(for_stmt) => {
                let previous = self.previous_strings.take();
                self.exprs([&*for_stmt.target, &*for_stmt.iter], state);
                // A literal, or a name the statement just before bound to one.
                let strings = literal_strings(&for_stmt.iter).or_else(|| match &*for_stmt.iter {
                    Expr::Name(iter) => previous
                        .filter(|(name, _)| name == iter.id.as_str())
                        .map(|(_, values)| values),
                    _ => None,
                });
                let literal = match (&*for_stmt.target, strings) {
                    (Expr::Name(name), Some(values)) if !values.is_empty() => {
                        Some((name.id.to_string(), values))
                    }
                    _ => None,
                };
                // A loop over a non-empty literal certainly runs its body.
                let mut body = if literal.is_some() {
                    state.clone()
                } else {
                    state.maybe()
                };
                if literal.is_some() {
                    body.loop_strings = literal;
                }
                self.suite(&for_stmt.body, &body);
                self.suite(&for_stmt.orelse, &state.maybe());
            }
            Stmt::While(while_stmt) => {
                self.exprs(std::iter::once(&*while_stmt.test), state);
                self.suite(&while_stmt.body, &state.maybe());
                self.suite(&while_stmt.orelse, &state.maybe());
            }
            Stmt::With(with) => {
                self.exprs(with.items.iter().map(|item| &item.context_expr), state);
                self.suite(&with.body, state);
            }
            Stmt::Match(match_stmt) => {
                self.exprs(std::iter::once(&*match_stmt.subject), state);
                for case in &match_stmt.cases {
                    self.exprs(case.guard.as_deref(), state);
                    self.suite(&case.body, &state.maybe());
                }
            }
            Stmt::Expr(expr) => {
                if state.runs_at_import() {
                    if let Expr::Call(call) = &*expr.value {
                        self.eager_call(&call.func);
                    }
                }
                self.exprs(std::iter::once(&*expr.value), state);
            }
            Stmt::Assign(assign) => {
                if state.module_level {
                    if let [Expr::Name(target)] = &*assign.targets {
                        self.module_assignment(target.id.as_str(), &assign.value, false);
                        if let Some(other) = dotted_name(&assign.value) {
                            self.scan.aliases.insert(target.id.to_string(), other);
                        }
                    }
                }
                if state.runs_at_import() {
                    if let Expr::Call(call) = &*assign.value {
                        self.eager_call(&call.func);
                    }
                }
                if state.runs_at_import() {
                    for target in &assign.targets {
                        if let Some(name) = sys_modules_key(target) {
                            self.scan.registers.push(name);
                        }
                    }
                }
                self.exprs(assign.targets.iter().chain([&*assign.value]), state);
            }
            Stmt::AugAssign(assign) => {
                if state.module_level {
                    if let Expr::Name(target) = &*assign.target {
                        self.module_assignment(target.id.as_str(), &assign.value, true);
                    }
                }
                self.exprs([&*assign.target, &*assign.value], state);
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = assign.value.as_deref() {
                    if state.module_level {
                        if let Expr::Name(target) = &*assign.target {
                            self.module_assignment(target.id.as_str(), value, false);
                        }
                    }
                    if state.runs_at_import() {
                        if let Expr::Call(call) = value {
                            self.eager_call(&call.func);
                        }
                    }
                    self.exprs(std::iter::once(value), state);
                }
            }
            Stmt::Return(ret) => self.exprs(ret.value.as_deref(), state),
            Stmt::Raise(raise) => self.exprs(
                raise
                    .exc
                    .as_deref()
                    .into_iter()
                    .chain(raise.cause.as_deref()),
                state,
            ),
            Stmt::Assert(assert) => self.exprs(
                std::iter::once(&*assert.test).chain(assert.msg.as_deref()),
                state,
            ),
            Stmt::Delete(_)
            | Stmt::TypeAlias(_)
            | Stmt::Global(_)
            | Stmt::Nonlocal(_)
            | Stmt::Pass(_)
            | Stmt::Break(_)
            | Stmt::Continue(_)
            | Stmt::IpyEscapeCommand(_) => {}
        }
    }

    fn push(&mut self, state: &State, mut site: ImportSite) {
        site.optional = state.optional;
        site.try_id = state.try_id;
        site.fallback_for = state.fallback_for;
        site.function.clone_from(&state.function);
        site.conditional = state.conditional;
        // PEP 810: `__lazy_modules__` makes the later eager imports of the modules it names
        // lazy, on a target that honours it. Only imports after it: the walk is in source order.
        let lazy_named = self
            .scan
            .lazy_modules
            .as_ref()
            .is_some_and(|m| m.contains(&site.module));
        if lazy_named
            && site.level == 0
            && site.context == Context::Eager
            && matches!(site.kind, SiteKind::Import | SiteKind::From)
            && self.target.is_some_and(Target::supports_lazy_imports)
        {
            site.context = Context::Lazy;
        }
        self.scan.sites.push(site);
    }

    fn function_def(&mut self, def: &StmtFunctionDef, state: &State) {
        // Decorators, defaults and annotations are evaluated when the `def` runs.
        self.decorators(def.decorator_list.iter().map(|d| &d.expression), state);
        let parameters = &def.parameters;
        let defaults = parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .chain(&parameters.kwonlyargs)
            .filter_map(|p| p.default.as_deref());
        self.exprs(defaults, state);
        if state.module_level && def.name.as_str() == "__getattr__" {
            self.scan.has_getattr = true;
        }
        self.suite(&def.body, &state.in_function(def.name.as_str()));
    }

    fn class_def(&mut self, class: &StmtClassDef, state: &State) {
        self.decorators(class.decorator_list.iter().map(|d| &d.expression), state);
        if let (Some(arguments), true) = (&class.arguments, state.runs_at_import()) {
            // Defining the class calls each base's `__init_subclass__` and the metaclass.
            for base in &arguments.args {
                self.eager_method(base, &["__init_subclass__"]);
            }
            for keyword in &arguments.keywords {
                if keyword
                    .arg
                    .as_ref()
                    .is_some_and(|a| a.as_str() == "metaclass")
                {
                    self.eager_method(&keyword.value, &["__new__", "__init__"]);
                }
            }
        }
        if let Some(arguments) = &class.arguments {
            self.exprs(
                arguments
                    .args
                    .iter()
                    .chain(arguments.keywords.iter().map(|k| &k.value)),
                state,
            );
        }
        self.suite(&class.body, &state.in_class(class.name.as_str()));
    }

    fn decorators<'e>(
        &mut self,
        decorators: impl Iterator<Item = &'e Expr> + Clone,
        state: &State,
    ) {
        if state.runs_at_import() {
            for decorator in decorators.clone() {
                match decorator {
                    Expr::Call(call) => self.eager_call(&call.func),
                    other => self.eager_call(other),
                }
            }
        }
        self.exprs(decorators, state);
    }

    fn if_chain<'s>(
        &mut self,
        branches: &mut dyn Iterator<Item = (Option<&'s Expr>, &'s [Stmt])>,
        state: &State,
        uncertain: bool,
    ) {
        let Some((test, body)) = branches.next() else {
            return;
        };
        let branch_state = if uncertain {
            state.maybe()
        } else {
            state.clone()
        };
        let Some(test) = test else {
            // A bare `else:`.
            self.suite(body, &branch_state);
            return;
        };
        match condition::classify(test, self.target) {
            Test::TypeChecking => {
                self.suite(body, &state.with_context(Context::TypeChecking));
                self.if_chain(branches, state, uncertain);
            }
            Test::MainGuard => {
                self.suite(body, &state.with_context(Context::MainGuard));
                self.if_chain(branches, state, uncertain);
            }
            // The rest of the chain never runs.
            Test::Decided(true) => self.suite(body, &branch_state),
            Test::Decided(false) => self.if_chain(branches, state, uncertain),
            Test::Unknown => {
                self.suite(body, &state.maybe());
                self.if_chain(branches, state, true);
            }
        }
    }

    fn try_stmt(&mut self, try_stmt: &StmtTry, state: &State) {
        let id = self.next_try_id;
        self.next_try_id += 1;
        let guards_imports = try_stmt.handlers.iter().any(|handler| {
            let ExceptHandler::ExceptHandler(handler) = handler;
            handler.type_.as_deref().is_none_or(catches_import_error)
        });
        if guards_imports {
            let mut body_state = state.clone();
            body_state.optional = true;
            body_state.try_id = Some(id);
            self.suite(&try_stmt.body, &body_state);
        } else {
            self.suite(&try_stmt.body, state);
        }
        // A handler runs only when the body raised; every handler's sites say which body.
        let mut handler_state = state.maybe();
        handler_state.fallback_for = Some(id);
        for handler in &try_stmt.handlers {
            let ExceptHandler::ExceptHandler(handler) = handler;
            self.exprs(handler.type_.as_deref(), state);
            self.suite(&handler.body, &handler_state);
        }
        self.suite(&try_stmt.orelse, state);
        self.suite(&try_stmt.finalbody, state);
    }

    /// `__all__` and `__lazy_modules__`, when they are literal.
    fn module_assignment(&mut self, name: &str, value: &Expr, augmented: bool) {
        let slot = match name {
            "__all__" => &mut self.scan.all,
            "__lazy_modules__" => &mut self.scan.lazy_modules,
            _ => return,
        };
        let Some(strings) = literal_strings(value) else {
            return;
        };
        match slot {
            Some(existing) if augmented => existing.extend(strings),
            _ if augmented => {}
            _ => *slot = Some(strings),
        }
    }

    /// `class C(Base, metaclass=Meta)`: the methods of a dotted base or metaclass that the
    /// class statement calls, recorded as eager calls (`Base.__init_subclass__`).
    fn eager_method(&mut self, class: &Expr, methods: &[&str]) {
        if let Some(name) = dotted_name(class) {
            let (line, _) = self.position(class.start().to_u32());
            for method in methods {
                let callee = format!("{name}.{method}");
                if !self.scan.eager_calls.contains(&callee) {
                    self.scan.eager_calls.push(callee);
                    self.scan.eager_call_lines.push(line);
                }
            }
        }
    }

    fn eager_call(&mut self, func: &Expr) {
        if let Some(name) = dotted_name(func) {
            if !self.scan.eager_calls.contains(&name) {
                let (line, _) = self.position(func.start().to_u32());
                self.scan.eager_calls.push(name);
                self.scan.eager_call_lines.push(line);
            }
        }
    }

    /// Walks expressions for literal `importlib.import_module(...)` / `__import__(...)` calls.
    fn exprs<'e>(&mut self, exprs: impl IntoIterator<Item = &'e Expr>, state: &State) {
        let mut finder = DynamicImports {
            scanner: self,
            state: state.clone(),
        };
        for expr in exprs {
            finder.visit_expr(expr);
        }
    }
}

/// The parser's message, printable (a NUL byte must not reach a terminal), with a hint when the
/// line looks like Python 2.
fn syntax_message(message: &str, source: &str, offset: u32) -> String {
    let mut printable: String = message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    let line_start = source[..(offset as usize).min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = source[line_start..].trim_start();
    if ["print ", "exec ", "print\t"]
        .iter()
        .any(|p| line.starts_with(p))
        && !line.starts_with("print (")
    {
        printable.push_str(" (this looks like Python 2, which fastpath does not analyse)");
    }
    printable
}

fn site_context(state: &State, is_lazy: bool) -> Context {
    scope::import_statement(state.context, is_lazy)
}

struct DynamicImports<'s, 'a> {
    scanner: &'s mut Scanner<'a>,
    state: State,
}

impl<'e> Visitor<'e> for DynamicImports<'_, '_> {
    fn visit_expr(&mut self, expr: &'e Expr) {
        match expr {
            Expr::Lambda(_) => {
                let outer = self.state.clone();
                self.state.context = scope::function_body(self.state.context);
                self.state.function = Some(format!("{}<lambda>", self.state.scope));
                self.state.scope = format!("{}<lambda>.<locals>.", self.state.scope);
                walk_expr(self, expr);
                self.state = outer;
                return;
            }
            Expr::Attribute(_) if scope::runs_at_import(self.state.context) => {
                if let Some(chain) = dotted_text(self.scanner.source, expr) {
                    let (line, _) = self.scanner.position(expr.start().to_u32());
                    let first = self
                        .scanner
                        .scan
                        .eager_attributes
                        .entry(chain.into_owned())
                        .or_insert(line);
                    *first = (*first).min(line);
                    // A parenthesised part, `(a.b).c`, is a chain of its own (the fast
                    // scanner meets its end at the `)`); nothing else is left to visit.
                    let mut inner = expr;
                    while let Expr::Attribute(attribute) = inner {
                        inner = &attribute.value;
                        if inner.start() != expr.start() {
                            self.visit_expr(inner);
                            break;
                        }
                    }
                    return;
                }
            }
            Expr::Call(call) => {
                if let (Context::Deferred, false, Some(function)) = (
                    self.state.context,
                    self.state.conditional,
                    &self.state.function,
                ) {
                    // Hot: one call per call expression of every function. Compare before
                    // allocating; most callees repeat.
                    if let Some(callee) = dotted_text(self.scanner.source, &call.func) {
                        let calls = &mut self.scanner.scan.calls;
                        if !calls.contains_key(function) {
                            calls.insert(function.clone(), Vec::new());
                        }
                        let callees = calls.get_mut(function).expect("inserted above");
                        if !callees.iter().any(|c| *c == callee) {
                            callees.push(callee.into_owned());
                        }
                    }
                }
                let kind = match &*call.func {
                    Expr::Name(name) if name.id.as_str() == "import_module" => {
                        Some(SiteKind::ImportModule)
                    }
                    Expr::Name(name) if name.id.as_str() == "__import__" => {
                        Some(SiteKind::DunderImport)
                    }
                    Expr::Attribute(attribute)
                        if attribute.attr.as_str() == "import_module"
                            && matches!(&*attribute.value, Expr::Name(n) if n.id.as_str() == "importlib") =>
                    {
                        Some(SiteKind::ImportModule)
                    }
                    _ => None,
                };
                let names: Vec<String> = match (kind, call.arguments.args.first()) {
                    (Some(_), Some(Expr::StringLiteral(literal))) => {
                        vec![literal.value.to_str().to_string()]
                    }
                    (Some(_), Some(Expr::Name(variable))) => match &self.state.loop_strings {
                        Some((name, values)) if *name == variable.id.as_str() => values.clone(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                for text in names {
                    let module = text.trim_start_matches('.');
                    let level = (text.len() - module.len()) as u32;
                    if module.is_empty() && level == 0 {
                        continue;
                    }
                    let (line, column) = self.scanner.position(call.start().to_u32());
                    let state = self.state.clone();
                    self.scanner.push(
                        &state,
                        ImportSite::new(
                            kind.expect("names only for import calls"),
                            module.to_string(),
                            level,
                            state.context,
                            line,
                            column,
                        ),
                    );
                }
            }
            _ => {}
        }
        walk_expr(self, expr);
    }
}

/// `"name"` in `sys.modules["name"]`.
fn sys_modules_key(target: &Expr) -> Option<String> {
    let Expr::Subscript(subscript) = target else {
        return None;
    };
    if dotted_name(&subscript.value).as_deref() != Some("sys.modules") {
        return None;
    }
    match &*subscript.slice {
        Expr::StringLiteral(key) => Some(key.value.to_str().to_string()),
        _ => None,
    }
}

/// `a.b.c` for a chain of attribute accesses on a name, borrowed from the source when it is
/// written without spaces (the common case).
fn dotted_text<'s>(source: &'s str, expr: &Expr) -> Option<std::borrow::Cow<'s, str>> {
    fn is_dotted(expr: &Expr) -> bool {
        match expr {
            Expr::Name(_) => true,
            Expr::Attribute(attribute) => is_dotted(&attribute.value),
            _ => false,
        }
    }
    if !is_dotted(expr) {
        return None;
    }
    let text = &source[expr.range()];
    if text
        .bytes()
        .all(|b| b == b'.' || b == b'_' || b.is_ascii_alphanumeric())
    {
        Some(std::borrow::Cow::Borrowed(text))
    } else {
        dotted_name(expr).map(std::borrow::Cow::Owned)
    }
}

/// `a.b.c` for a chain of attribute accesses on a name.
fn dotted_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attribute) => {
            let mut base = dotted_name(&attribute.value)?;
            base.push('.');
            base.push_str(attribute.attr.as_str());
            Some(base)
        }
        _ => None,
    }
}

fn literal_strings(expr: &Expr) -> Option<Vec<String>> {
    let elts = match expr {
        Expr::List(list) => &list.elts,
        Expr::Tuple(tuple) => &tuple.elts,
        Expr::Set(set) => &set.elts,
        _ => return None,
    };
    elts.iter()
        .map(|e| match e {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            _ => None,
        })
        .collect()
}

/// Whether an `except` clause's type catches a failed import.
fn catches_import_error(type_: &Expr) -> bool {
    match type_ {
        Expr::Tuple(tuple) => tuple.elts.iter().any(catches_import_error),
        other => matches!(
            dotted_name(other)
                .as_deref()
                .map(|n| n.rsplit('.').next().unwrap_or(n)),
            Some("ImportError" | "ModuleNotFoundError" | "Exception" | "BaseException")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, target: Option<&Target>) -> String {
        let scan = crate::scan_source_reference(source, target);
        let mut out = String::new();
        for s in &scan.sites {
            let dots = ".".repeat(s.level as usize);
            out.push_str(&format!(
                "{}:{} {}{} {}",
                s.line,
                s.column,
                dots,
                s.module,
                s.context.as_str()
            ));
            if s.optional {
                out.push_str(&format!(" optional(try {})", s.try_id.unwrap()));
            }
            if let Some(id) = s.fallback_for {
                out.push_str(&format!(" fallback({id})"));
            }
            if let Some(f) = &s.function {
                out.push_str(&format!(" in {f}"));
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn every_context_kind() {
        let source = r#"
import os, json as j
from . import sibling
from ..pkg.mod import a, b as c
lazy import heavy
if TYPE_CHECKING:
    from typing import Any
else:
    import runtime_only
def handler(event):
    import boto3
    class Inner:
        import deep
class Model:
    import in_class
    def method(self):
        from x import y
try:
    import ujson
except ImportError:
    import json as ujson
try:
    import a
except ValueError:
    import b
if __name__ == "__main__":
    import cli
f = lambda: __import__("in_lambda")
mod = importlib.import_module("dyn")
"#;
        let expected = "\
2:1 os eager
2:1 json eager
3:1 . eager
4:1 ..pkg.mod eager
5:1 heavy lazy
7:5 typing type-checking
9:5 runtime_only eager
11:5 boto3 deferred in handler
13:9 deep deferred in handler
15:5 in_class eager
17:9 x deferred in Model.method
19:5 ujson eager optional(try 0)
21:5 json eager fallback(0)
23:5 a eager
25:5 b eager fallback(1)
27:5 cli main-guard
28:13 in_lambda deferred in <lambda>
29:7 dyn eager
";
        assert_eq!(render(source, None), expected);
    }

    #[test]
    fn version_branches_follow_the_target() {
        let source = "import sys\nif sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli\n";
        let py311 = Target::new(3, 11, "linux");
        let py38 = Target::new(3, 8, "linux");
        assert_eq!(
            render(source, Some(&py311)),
            "1:1 sys eager\n3:5 tomllib eager\n"
        );
        assert_eq!(
            render(source, Some(&py38)),
            "1:1 sys eager\n5:5 tomli eager\n"
        );
        assert_eq!(
            render(source, None),
            "1:1 sys eager\n3:5 tomllib eager\n5:5 tomli eager\n"
        );
    }

    #[test]
    fn module_facts_and_eager_calls() {
        let nested = "def make():\n    def __getattr__(name):\n        import meta\n    return __getattr__\n";
        let scan = crate::scan_source_reference(nested, None);
        assert_eq!(
            scan.sites[0].function.as_deref(),
            Some("make.<locals>.__getattr__")
        );
        let looped =
            "for package in ('urllib3', 'idna'):\n    locals()[package] = __import__(package)\n";
        let modules: Vec<_> = crate::scan_source_reference(looped, None)
            .sites
            .iter()
            .map(|s| (s.module.clone(), s.conditional))
            .collect();
        assert_eq!(
            modules,
            vec![("urllib3".to_string(), false), ("idna".to_string(), false)]
        );
        let chained = "def a():\n    import x\ndef b():\n    return a()\nc = b\nfor n in []:\n    y = c(n)\ndef unused():\n    import z\n";
        let scan = crate::scan_source_reference(chained, None);
        assert_eq!(
            scan.functions_run_at_import()
                .into_iter()
                .collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        let registering = "import sys\ntry:\n    import _x\nexcept ImportError:\n    pass\nelse:\n    sys.modules['pkg._x'] = _x\ndef f():\n    sys.modules['no'] = 1\n";
        assert_eq!(
            crate::scan_source_reference(registering, None).registers,
            vec!["pkg._x"]
        );
        let before = "import json\n__lazy_modules__ = ['json']\nimport json\n";
        let scan = crate::scan_source_reference(before, Some(&Target::new(3, 15, "linux")));
        let contexts: Vec<_> = scan.sites.iter().map(|s| s.context).collect();
        assert_eq!(
            contexts,
            vec![Context::Eager, Context::Lazy],
            "only imports after __lazy_modules__"
        );
        let source = "__all__ = ['a', 'b']\n__all__ += ('c',)\n__lazy_modules__ = ['json']\nimport json\n@register\ndef setup():\n    import x\nsetup()\nvalue = make.thing()\ndef __getattr__(name):\n    pass\n";
        let scan = crate::scan_source_reference(source, Some(&Target::new(3, 15, "linux")));
        assert_eq!(scan.all, Some(vec!["a".into(), "b".into(), "c".into()]));
        let calls: Vec<(&str, u32)> = scan.eager_call_sites().collect();
        assert_eq!(calls, [("register", 5), ("setup", 8), ("make.thing", 9)]);
        assert!(scan.has_getattr);
        assert_eq!(
            scan.sites[0].context,
            Context::Lazy,
            "__lazy_modules__ on 3.15"
        );
        let scan = crate::scan_source_reference(source, Some(&Target::new(3, 11, "linux")));
        assert_eq!(
            scan.sites[0].context,
            Context::Eager,
            "__lazy_modules__ ignored before 3.15"
        );
    }

    #[test]
    fn syntax_errors_keep_recoverable_sites() {
        let source = "import os\nprint 'python 2'\ndef broken(:\nimport json\n";
        let scan = crate::scan_source_reference(source, None);
        let modules: Vec<_> = scan.sites.iter().map(|s| s.module.as_str()).collect();
        assert!(
            modules.contains(&"os") && modules.contains(&"json"),
            "{modules:?}"
        );
        assert!(scan
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::Syntax && p.line == 2));
    }
}
