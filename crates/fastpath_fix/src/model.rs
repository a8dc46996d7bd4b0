//! Which names a module binds and where each one is used: the facts a fix is decided on.
//!
//! One walk over ruff's AST builds Python's scopes (module, class, function, lambda,
//! comprehension) with the names each one binds, the `global`/`nonlocal` declarations, and every
//! load of a name together with the *role* of the expression it sits in (plain code, a call, a
//! decorator, a default argument, a base class, an annotation) and the block around it
//! (`if TYPE_CHECKING:`, `if __name__ == "__main__":`). A second step resolves each load as
//! CPython's compiler would (a function that binds a name makes it local for its whole body;
//! class scopes are skipped by the functions nested in them; `global` and `nonlocal` redirect),
//! so a use counts only when it really reads the module-level binding an import creates.
//!
//! Annotations follow the language: local variable annotations are never evaluated; function
//! and module/class variable annotations are evaluated when the definition runs, unless the
//! module has `from __future__ import annotations` (PEP 563) or the target is Python 3.14+
//! (PEP 649/749, annotations evaluated on access); string annotations never are.

use std::collections::HashSet;

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, ExceptHandler, Expr, ExprContext, Parameters, Pattern, Stmt};
use ruff_python_parser::parse_string_annotation;
use ruff_text_size::{Ranged, TextRange};

pub(crate) type ScopeId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScopeKind {
    Module,
    Class,
    Function,
    Lambda,
    Comprehension,
}

#[derive(Debug)]
pub(crate) struct Scope {
    pub(crate) kind: ScopeKind,
    pub(crate) parent: Option<ScopeId>,
    pub(crate) bindings: HashSet<String>,
    pub(crate) globals: HashSet<String>,
    pub(crate) nonlocals: HashSet<String>,
    /// For function scopes: index into [`Model::functions`].
    pub(crate) function: Option<usize>,
    /// The `__qualname__` prefix of definitions made in this scope.
    prefix: String,
}

/// A `def` whose body an import can move into.
#[derive(Debug, Clone)]
pub(crate) struct Function {
    pub(crate) qualname: String,
    pub(crate) scope: ScopeId,
    /// The body, for finding where an import goes.
    pub(crate) body: Block,
}

/// A suite an import can be inserted at the top of: a function body or the body of
/// `if __name__ == "__main__":`.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Start of the statement that owns the suite (`def`, `if`), for its indentation.
    pub(crate) header_start: u32,
    /// Offset just past the `:` that opens the suite.
    pub(crate) colon_end: u32,
    /// Range of the first statement.
    pub(crate) first: TextRange,
    /// Range of a docstring (first statement, a plain string literal), for function bodies.
    pub(crate) docstring: Option<TextRange>,
    /// Start of the statement after the docstring, if any.
    pub(crate) after_docstring: Option<u32>,
}

/// Why an expression is evaluated: what a use in it would mean for a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Plain,
    Call,
    Decorator,
    Default,
    Base,
    /// A real annotation expression.
    Annotation {
        evaluated: bool,
        introspected: bool,
    },
    /// Inside a string annotation: never evaluated when the definition runs.
    StringAnnotation {
        introspected: bool,
    },
    /// PEP 695 `type X = ...` values and type parameter bounds: evaluated lazily.
    Lazy,
}

/// Module-level blocks that change what running means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    None,
    TypeChecking,
    /// Index into [`Model::main_guards`].
    Main(usize),
}

/// One load of a name (or a store/del, when `store`).
#[derive(Debug, Clone)]
pub(crate) struct Use {
    pub(crate) name: String,
    pub(crate) scope: ScopeId,
    pub(crate) range: TextRange,
    /// The attribute names read after it: `a.b.c` gives `["b", "c"]`.
    pub(crate) chain: Vec<String>,
    pub(crate) role: Role,
    pub(crate) guard: Guard,
    pub(crate) store: bool,
}

/// A name bound at module level (outside `if TYPE_CHECKING:`), with what binds it.
#[derive(Debug, Clone)]
pub(crate) struct ModuleBinding {
    pub(crate) name: String,
    /// The statement that binds it.
    pub(crate) statement: TextRange,
    /// For `import a.b.c` (no alias): the components after the root, `["b", "c"]`.
    pub(crate) import_path: Option<Vec<String>>,
}

/// Where a use resolves to the module's binding, seen from a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// Code of this function (index into [`Model::functions`]) runs it.
    Function(usize),
    /// A lambda outside any function.
    Lambda,
    /// Module-level code, class bodies included.
    Module,
}

/// Everything known about one module's names.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) scopes: Vec<Scope>,
    pub(crate) functions: Vec<Function>,
    pub(crate) uses: Vec<Use>,
    pub(crate) module_bindings: Vec<ModuleBinding>,
    /// `global` declarations: name, the function's qualname, line offset.
    pub(crate) global_declarations: Vec<(String, String, u32)>,
    /// Names listed in a literal `__all__` (assigned, extended or appended), with the offset.
    pub(crate) all: Vec<(String, u32)>,
    /// `if __name__ == "__main__":` blocks at module level.
    pub(crate) main_guards: Vec<Block>,
    /// Module-level `if TYPE_CHECKING:` statements: (statement range, last body statement end,
    /// body indentation start).
    pub(crate) type_checking_blocks: Vec<TypeCheckingBlock>,
    /// Classes defined in the module, by qualname (to follow `Class()` to `__init__`).
    pub(crate) classes: HashSet<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct TypeCheckingBlock {
    pub(crate) statement: TextRange,
    /// How the test spells it: `TYPE_CHECKING`, `typing.TYPE_CHECKING`.
    pub(crate) last_body_end: u32,
    pub(crate) body_first: TextRange,
}

impl Model {
    pub(crate) fn build(
        source: &str,
        body: &[Stmt],
        tokens: &Tokens,
        deferred_annotations: bool,
    ) -> Model {
        let future_annotations = body.iter().any(|stmt| match stmt {
            Stmt::ImportFrom(import) => {
                import
                    .module
                    .as_ref()
                    .is_some_and(|m| m.as_str() == "__future__")
                    && import
                        .names
                        .iter()
                        .any(|a| a.name.as_str() == "annotations")
            }
            _ => false,
        });
        let mut builder = Builder {
            source,
            tokens,
            model: Model {
                scopes: vec![Scope {
                    kind: ScopeKind::Module,
                    parent: None,
                    bindings: HashSet::new(),
                    globals: HashSet::new(),
                    nonlocals: HashSet::new(),
                    function: None,
                    prefix: String::new(),
                }],
                functions: Vec::new(),
                uses: Vec::new(),
                module_bindings: Vec::new(),
                global_declarations: Vec::new(),
                all: Vec::new(),
                main_guards: Vec::new(),
                type_checking_blocks: Vec::new(),
                classes: HashSet::new(),
            },
            scope: 0,
            role: Role::Plain,
            guard: Guard::None,
            statement: TextRange::default(),
            annotations_deferred: future_annotations || deferred_annotations,
        };
        builder.visit_body(body);
        builder.model
    }

    /// Whether a use of `name` in `scope` reads the module-level binding.
    pub(crate) fn reads_module(&self, name: &str, scope: ScopeId) -> bool {
        let mut current = scope;
        let mut first = true;
        loop {
            let s = &self.scopes[current];
            match s.kind {
                ScopeKind::Module => return true,
                ScopeKind::Class => {
                    // A class body that binds the name may read either: count it as a use.
                    if first && s.bindings.contains(name) {
                        return true;
                    }
                }
                ScopeKind::Function | ScopeKind::Lambda | ScopeKind::Comprehension => {
                    if s.globals.contains(name) {
                        return true;
                    }
                    if s.bindings.contains(name) || s.nonlocals.contains(name) {
                        return false;
                    }
                }
            }
            first = false;
            match s.parent {
                Some(parent) => current = parent,
                None => return true,
            }
        }
    }

    /// The code that runs a use made in `scope`.
    pub(crate) fn place(&self, scope: ScopeId) -> Place {
        let mut current = scope;
        let mut lambda = false;
        loop {
            let s = &self.scopes[current];
            match s.kind {
                ScopeKind::Function => return Place::Function(s.function.expect("function")),
                ScopeKind::Lambda => lambda = true,
                ScopeKind::Module => {
                    return if lambda { Place::Lambda } else { Place::Module };
                }
                ScopeKind::Class | ScopeKind::Comprehension => {}
            }
            current = s.parent.expect("non-module scopes have a parent");
        }
    }

    /// The functions enclosing function `index`, innermost first.
    pub(crate) fn enclosing_functions(&self, index: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut current = self.scopes[self.functions[index].scope].parent;
        while let Some(scope) = current {
            if let Some(function) = self.scopes[scope].function {
                out.push(function);
            }
            current = self.scopes[scope].parent;
        }
        out
    }
}

struct Builder<'s> {
    source: &'s str,
    tokens: &'s Tokens,
    model: Model,
    scope: ScopeId,
    role: Role,
    guard: Guard,
    /// The module-level statement being walked.
    statement: TextRange,
    annotations_deferred: bool,
}

impl Builder<'_> {
    fn push_scope(&mut self, kind: ScopeKind, prefix: String) -> ScopeId {
        self.model.scopes.push(Scope {
            kind,
            parent: Some(self.scope),
            bindings: HashSet::new(),
            globals: HashSet::new(),
            nonlocals: HashSet::new(),
            function: None,
            prefix,
        });
        let id = self.model.scopes.len() - 1;
        self.scope = id;
        id
    }

    fn pop_scope(&mut self) {
        self.scope = self.model.scopes[self.scope]
            .parent
            .expect("never pop the module scope");
    }

    fn kind(&self) -> ScopeKind {
        self.model.scopes[self.scope].kind
    }

    fn bind(&mut self, name: &str, range: TextRange) {
        self.bind_in(self.scope, name, range, None);
    }

    fn bind_in(&mut self, scope: ScopeId, name: &str, range: TextRange, path: Option<Vec<String>>) {
        self.model.scopes[scope].bindings.insert(name.to_owned());
        if self.model.scopes[scope].kind == ScopeKind::Module {
            if self.guard != Guard::TypeChecking {
                self.model.module_bindings.push(ModuleBinding {
                    name: name.to_owned(),
                    statement: self.statement,
                    import_path: path,
                });
            }
            // A store is also recorded as a use so that fixes see the rebinding.
            self.model.uses.push(Use {
                name: name.to_owned(),
                scope,
                range,
                chain: Vec::new(),
                role: Role::Plain,
                guard: self.guard,
                store: true,
            });
        }
    }

    fn record(&mut self, name: &str, range: TextRange, chain: Vec<String>) {
        self.model.uses.push(Use {
            name: name.to_owned(),
            scope: self.scope,
            range,
            chain,
            role: self.role,
            guard: self.guard,
            store: false,
        });
    }

    fn with_role(&mut self, role: Role, f: impl FnOnce(&mut Self)) {
        let saved = self.role;
        self.role = role;
        f(self);
        self.role = saved;
    }

    fn annotation_role(&self, introspected: bool) -> Role {
        Role::Annotation {
            evaluated: !self.annotations_deferred,
            introspected,
        }
    }

    fn qualname(&self, name: &str) -> String {
        format!("{}{name}", self.model.scopes[self.scope].prefix)
    }

    /// The suite opened by the `:` before `body[0]`.
    fn block(&self, header_start: u32, body: &[Stmt], docstrings: bool) -> Option<Block> {
        let first = body.first()?.range();
        let colon = self
            .tokens
            .before(first.start())
            .iter()
            .rev()
            .find(|t| {
                !matches!(
                    t.kind(),
                    TokenKind::Newline
                        | TokenKind::NonLogicalNewline
                        | TokenKind::Indent
                        | TokenKind::Dedent
                        | TokenKind::Comment
                )
            })
            .filter(|t| t.kind() == TokenKind::Colon)?;
        let docstring = docstrings
            .then(|| match &body[0] {
                Stmt::Expr(ast::StmtExpr { value, .. })
                    if matches!(value.as_ref(), Expr::StringLiteral(_)) =>
                {
                    Some(value.range())
                }
                _ => None,
            })
            .flatten();
        Some(Block {
            header_start,
            colon_end: colon.end().to_u32(),
            first,
            docstring,
            after_docstring: docstring
                .and_then(|_| body.get(1))
                .map(|s| s.start().to_u32()),
        })
    }

    fn parameters(
        &mut self,
        parameters: &Parameters,
        introspected: bool,
        bind_scope: Option<ScopeId>,
    ) {
        for p in parameters.iter() {
            if let Some(default) = p.default() {
                self.with_role(Role::Default, |b| b.visit_expr(default));
            }
            if let Some(annotation) = p.annotation() {
                let role = self.annotation_role(introspected);
                self.with_role(role, |b| b.visit_expr(annotation));
            }
        }
        if let Some(scope) = bind_scope {
            for p in parameters.iter() {
                let name = p.name();
                self.model.scopes[scope]
                    .bindings
                    .insert(name.as_str().to_owned());
            }
        }
    }

    fn function_def(&mut self, def: &ast::StmtFunctionDef) {
        let decorated = !def.decorator_list.is_empty();
        for decorator in &def.decorator_list {
            self.with_role(Role::Decorator, |b| b.visit_expr(&decorator.expression));
        }
        if let Some(type_params) = &def.type_params {
            self.with_role(Role::Lazy, |b| b.visit_type_params(type_params));
        }
        self.parameters(&def.parameters, decorated, None);
        if let Some(returns) = &def.returns {
            let role = self.annotation_role(decorated);
            self.with_role(role, |b| b.visit_expr(returns));
        }
        self.bind(def.name.as_str(), def.name.range());
        let qualname = self.qualname(def.name.as_str());
        let block = self.block(def.start().to_u32(), &def.body, true);
        let scope = self.push_scope(ScopeKind::Function, format!("{qualname}.<locals>."));
        if let Some(body) = block {
            self.model.functions.push(Function {
                qualname,
                scope,
                body,
            });
            self.model.scopes[scope].function = Some(self.model.functions.len() - 1);
        }
        for p in def.parameters.iter() {
            self.model.scopes[scope]
                .bindings
                .insert(p.name().as_str().to_owned());
        }
        if let Some(type_params) = &def.type_params {
            for param in type_params.iter() {
                self.model.scopes[scope]
                    .bindings
                    .insert(param.name().as_str().to_owned());
            }
        }
        let (saved_role, saved_guard) = (self.role, self.guard);
        self.role = Role::Plain;
        // A TYPE_CHECKING block around the def still never runs; main guards do not matter
        // inside functions (their code runs when called).
        if self.guard != Guard::TypeChecking {
            self.guard = Guard::None;
        }
        self.visit_body(&def.body);
        self.role = saved_role;
        self.guard = saved_guard;
        self.pop_scope();
    }

    fn class_def(&mut self, class: &ast::StmtClassDef) {
        for decorator in &class.decorator_list {
            self.with_role(Role::Decorator, |b| b.visit_expr(&decorator.expression));
        }
        if let Some(type_params) = &class.type_params {
            self.with_role(Role::Lazy, |b| b.visit_type_params(type_params));
        }
        if let Some(arguments) = &class.arguments {
            self.with_role(Role::Base, |b| b.visit_arguments(arguments));
        }
        self.bind(class.name.as_str(), class.name.range());
        let qualname = self.qualname(class.name.as_str());
        self.model.classes.insert(qualname.clone());
        self.push_scope(ScopeKind::Class, format!("{qualname}."));
        self.visit_body(&class.body);
        self.pop_scope();
    }

    fn import_bindings(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    match &alias.asname {
                        Some(asname) => {
                            self.bind_in(self.scope, asname.as_str(), asname.range(), None)
                        }
                        None => {
                            let mut parts = alias.name.as_str().split('.');
                            let root = parts.next().unwrap_or_default().to_owned();
                            let path = parts.map(str::to_owned).collect();
                            self.bind_in(self.scope, &root, alias.name.range(), Some(path));
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    if alias.name.as_str() == "*" {
                        continue;
                    }
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.bind_in(self.scope, bound.as_str(), bound.range(), None);
                }
            }
            _ => {}
        }
    }

    /// Reads a literal `__all__` assignment, `+=`, `.extend(...)` or `.append(...)`.
    fn dunder_all(&mut self, stmt: &Stmt) {
        let strings = |expr: &Expr| -> Vec<String> {
            let elements: &[Expr] = match expr {
                Expr::List(list) => &list.elts,
                Expr::Tuple(tuple) => &tuple.elts,
                _ => return Vec::new(),
            };
            elements
                .iter()
                .filter_map(|e| match e {
                    Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
                    _ => None,
                })
                .collect()
        };
        let is_all = |expr: &Expr| matches!(expr, Expr::Name(n) if n.id.as_str() == "__all__");
        let names = match stmt {
            Stmt::Assign(assign) if assign.targets.iter().any(is_all) => strings(&assign.value),
            Stmt::AugAssign(aug) if is_all(&aug.target) => strings(&aug.value),
            Stmt::AnnAssign(ann) if is_all(&ann.target) => {
                ann.value.as_deref().map(strings).unwrap_or_default()
            }
            Stmt::Expr(ast::StmtExpr { value, .. }) => match value.as_ref() {
                Expr::Call(call) => match call.func.as_ref() {
                    Expr::Attribute(attr) if is_all(&attr.value) => {
                        match (attr.attr.as_str(), call.arguments.args.first()) {
                            ("extend", Some(arg)) => strings(arg),
                            ("append", Some(Expr::StringLiteral(s))) => {
                                vec![s.value.to_str().to_owned()]
                            }
                            _ => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let at = stmt.start().to_u32();
        self.model
            .all
            .extend(names.into_iter().map(|name| (name, at)));
    }

    /// Names inside a string annotation, as typing-only uses.
    fn string_annotation(&mut self, string: &ast::ExprStringLiteral, introspected: bool) {
        let Some(part) = string.as_single_part_string() else {
            return;
        };
        if part.flags.prefix().is_raw() {
            return;
        }
        let Ok(parsed) = parse_string_annotation(self.source, part) else {
            return;
        };
        let mut names = NameCollector::default();
        names.visit_expr(parsed.expr());
        let saved = self.role;
        self.role = Role::StringAnnotation { introspected };
        for (name, range, chain) in names.found {
            self.record(&name, range, chain);
        }
        self.role = saved;
    }

    fn comprehension(&mut self, generators: &[ast::Comprehension], rest: impl FnOnce(&mut Self)) {
        if let Some(first) = generators.first() {
            self.visit_expr(&first.iter);
        }
        self.push_scope(ScopeKind::Comprehension, String::new());
        for (i, generator) in generators.iter().enumerate() {
            self.visit_expr(&generator.target);
            if i > 0 {
                self.visit_expr(&generator.iter);
            }
            for condition in &generator.ifs {
                self.visit_expr(condition);
            }
        }
        rest(self);
        self.pop_scope();
    }
}

// The context rules are the scanners' own (`fastpath_scan::condition`): a third copy here
// once drifted on `a.b.TYPE_CHECKING`.
pub(crate) use fastpath_scan::condition::{is_main_guard, is_type_checking};

impl<'a> Visitor<'a> for Builder<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let module_level = self.kind() == ScopeKind::Module && self.guard != Guard::TypeChecking;
        if self.scope == 0 {
            self.statement = stmt.range();
        }
        if module_level {
            self.dunder_all(stmt);
        }
        match stmt {
            Stmt::FunctionDef(def) => self.function_def(def),
            Stmt::ClassDef(class) => self.class_def(class),
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.import_bindings(stmt),
            Stmt::Global(global) => {
                let qualname = self.model.scopes[self.scope]
                    .prefix
                    .trim_end_matches(".<locals>.")
                    .to_owned();
                for name in &global.names {
                    self.model.scopes[self.scope]
                        .globals
                        .insert(name.as_str().to_owned());
                    self.model.global_declarations.push((
                        name.as_str().to_owned(),
                        qualname.clone(),
                        name.start().to_u32(),
                    ));
                }
            }
            Stmt::Nonlocal(nonlocal) => {
                for name in &nonlocal.names {
                    self.model.scopes[self.scope]
                        .nonlocals
                        .insert(name.as_str().to_owned());
                }
            }
            Stmt::AnnAssign(ann) => {
                let in_function = matches!(self.kind(), ScopeKind::Function | ScopeKind::Lambda);
                let role = if in_function {
                    Role::Annotation {
                        evaluated: false,
                        introspected: false,
                    }
                } else {
                    self.annotation_role(self.kind() == ScopeKind::Class)
                };
                self.with_role(role, |b| b.visit_expr(&ann.annotation));
                if let Some(value) = &ann.value {
                    self.visit_expr(value);
                    self.visit_expr(&ann.target);
                } else if let Expr::Name(name) = ann.target.as_ref() {
                    // `x: int` binds nothing at run time but makes `x` local to a function.
                    if in_function {
                        self.model.scopes[self.scope]
                            .bindings
                            .insert(name.id.as_str().to_owned());
                    }
                } else {
                    self.visit_expr(&ann.target);
                }
            }
            Stmt::TypeAlias(alias) => {
                if let Some(type_params) = &alias.type_params {
                    self.with_role(Role::Lazy, |b| b.visit_type_params(type_params));
                }
                self.with_role(Role::Lazy, |b| b.visit_expr(&alias.value));
                self.visit_expr(&alias.name);
            }
            Stmt::If(if_stmt) if is_type_checking(&if_stmt.test) => {
                self.visit_expr(&if_stmt.test);
                if self.scope == 0 && self.guard == Guard::None {
                    if let (Some(first), Some(last)) = (if_stmt.body.first(), if_stmt.body.last()) {
                        self.model.type_checking_blocks.push(TypeCheckingBlock {
                            statement: if_stmt.range(),
                            last_body_end: last.end().to_u32(),
                            body_first: first.range(),
                        });
                    }
                }
                let saved = self.guard;
                self.guard = Guard::TypeChecking;
                self.visit_body(&if_stmt.body);
                self.guard = saved;
                for clause in &if_stmt.elif_else_clauses {
                    self.visit_elif_else_clause(clause);
                }
            }
            Stmt::If(if_stmt)
                if self.scope == 0 && self.guard == Guard::None && is_main_guard(&if_stmt.test) =>
            {
                self.visit_expr(&if_stmt.test);
                if let Some(block) = self.block(if_stmt.start().to_u32(), &if_stmt.body, false) {
                    self.model.main_guards.push(block);
                    self.guard = Guard::Main(self.model.main_guards.len() - 1);
                }
                self.visit_body(&if_stmt.body);
                self.guard = Guard::None;
                for clause in &if_stmt.elif_else_clauses {
                    self.visit_elif_else_clause(clause);
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) => match name.ctx {
                ExprContext::Load => self.record(name.id.as_str(), name.range(), Vec::new()),
                ExprContext::Store | ExprContext::Del => self.bind(name.id.as_str(), name.range()),
                ExprContext::Invalid => {}
            },
            Expr::Attribute(_) => {
                let mut chain = Vec::new();
                let mut current = expr;
                while let Expr::Attribute(attr) = current {
                    chain.push(attr.attr.as_str().to_owned());
                    current = &attr.value;
                }
                match current {
                    Expr::Name(name) if name.ctx == ExprContext::Load => {
                        chain.reverse();
                        self.record(name.id.as_str(), name.range(), chain);
                    }
                    _ => visitor::walk_expr(self, expr),
                }
            }
            Expr::Call(_) => {
                let role = if self.role == Role::Plain {
                    Role::Call
                } else {
                    self.role
                };
                self.with_role(role, |b| visitor::walk_expr(b, expr));
            }
            Expr::StringLiteral(string) => match self.role {
                Role::Annotation { introspected, .. } => {
                    self.string_annotation(string, introspected);
                }
                _ => visitor::walk_expr(self, expr),
            },
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    for p in parameters.iter() {
                        if let Some(default) = p.default() {
                            self.visit_expr(default);
                        }
                    }
                }
                let scope = self.push_scope(ScopeKind::Lambda, "<lambda>.<locals>.".to_owned());
                if let Some(parameters) = &lambda.parameters {
                    for p in parameters.iter() {
                        self.model.scopes[scope]
                            .bindings
                            .insert(p.name().as_str().to_owned());
                    }
                }
                self.visit_expr(&lambda.body);
                self.pop_scope();
            }
            Expr::ListComp(comp) => {
                self.comprehension(&comp.generators, |b| b.visit_expr(&comp.elt))
            }
            Expr::SetComp(comp) => {
                self.comprehension(&comp.generators, |b| b.visit_expr(&comp.elt))
            }
            Expr::Generator(comp) => {
                self.comprehension(&comp.generators, |b| b.visit_expr(&comp.elt));
            }
            Expr::DictComp(comp) => self.comprehension(&comp.generators, |b| {
                if let Some(key) = &comp.key {
                    b.visit_expr(key);
                }
                b.visit_expr(&comp.value);
            }),
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                if let Expr::Name(target) = named.target.as_ref() {
                    // A walrus in a comprehension binds in the enclosing function or module.
                    let mut scope = self.scope;
                    while self.model.scopes[scope].kind == ScopeKind::Comprehension {
                        scope = self.model.scopes[scope].parent.expect("parent");
                    }
                    self.bind_in(scope, target.id.as_str(), target.range(), None);
                } else {
                    self.visit_expr(&named.target);
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_pattern(&mut self, pattern: &'a Pattern) {
        match pattern {
            Pattern::MatchAs(p) => {
                if let Some(name) = &p.name {
                    self.bind(name.as_str(), name.range());
                }
            }
            Pattern::MatchStar(p) => {
                if let Some(name) = &p.name {
                    self.bind(name.as_str(), name.range());
                }
            }
            Pattern::MatchMapping(p) => {
                if let Some(rest) = &p.rest {
                    self.bind(rest.as_str(), rest.range());
                }
            }
            _ => {}
        }
        visitor::walk_pattern(self, pattern);
    }

    fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
        let ExceptHandler::ExceptHandler(h) = handler;
        if let Some(name) = &h.name {
            self.bind(name.as_str(), name.range());
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_type_param(&mut self, type_param: &'a ast::TypeParam) {
        // The parameter's own name is bound in its annotation scope, not here.
        let saved = self.role;
        self.role = Role::Lazy;
        visitor::walk_type_param(self, type_param);
        self.role = saved;
    }
}

/// Name loads (with attribute chains) inside a parsed string annotation.
#[derive(Default)]
struct NameCollector {
    found: Vec<(String, TextRange, Vec<String>)>,
}

impl<'a> Visitor<'a> for NameCollector {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) => {
                self.found
                    .push((name.id.as_str().to_owned(), name.range(), Vec::new()))
            }
            Expr::Attribute(_) => {
                let mut chain = Vec::new();
                let mut current = expr;
                while let Expr::Attribute(attr) = current {
                    chain.push(attr.attr.as_str().to_owned());
                    current = &attr.value;
                }
                if let Expr::Name(name) = current {
                    chain.reverse();
                    self.found
                        .push((name.id.as_str().to_owned(), name.range(), chain));
                } else {
                    visitor::walk_expr(self, expr);
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// Names and their uses, grouped for tests and debugging.
#[cfg(test)]
pub(crate) fn summary(
    model: &Model,
    names: &[&str],
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for u in &model.uses {
        if !names.contains(&u.name.as_str()) || u.store {
            continue;
        }
        if !model.reads_module(&u.name, u.scope) {
            continue;
        }
        let place = match model.place(u.scope) {
            Place::Function(f) => model.functions[f].qualname.clone(),
            Place::Lambda => "<lambda>".to_owned(),
            Place::Module => "<module>".to_owned(),
        };
        out.entry(u.name.clone())
            .or_default()
            .push(format!("{place} {:?} {:?}", u.role, u.guard));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::{parse_unchecked, Mode, ParseOptions};

    fn model(source: &str) -> Model {
        let parsed = parse_unchecked(source, ParseOptions::from(Mode::Module));
        let body = match parsed.syntax() {
            ast::Mod::Module(m) => &m.body,
            ast::Mod::Expression(_) => unreachable!(),
        };
        Model::build(source, body, parsed.tokens(), false)
    }

    #[test]
    fn locals_params_and_globals_resolve_like_cpython() {
        let m = model(
            "import json\n\
             def a(json):\n    return json\n\
             def b():\n    json = 1\n    return json\n\
             def c():\n    global json\n    return json.dumps(1)\n\
             def d():\n    return [json for json in range(3)]\n\
             def e():\n    return json.loads('1')\n\
             class C:\n    def m(self):\n        return json\n",
        );
        let s = summary(&m, &["json"]);
        assert_eq!(
            s["json"],
            vec!["c Call None", "e Call None", "C.m Plain None"]
        );
    }

    #[test]
    fn roles_at_module_level() {
        let m = model(
            "import x\n\
             @x.deco\n\
             def f(a=x.default, b: x.T = 1) -> x.R:\n    return x.y\n\
             class K(x.Base, metaclass=x.Meta):\n    attr = x.value\n\
             x.call()\n\
             if __name__ == '__main__':\n    x.main()\n\
             if TYPE_CHECKING:\n    v: x.Only\n\
             g = lambda: x.lam\n",
        );
        let s = summary(&m, &["x"]);
        let expected = [
            "<module> Decorator None",
            "<module> Default None",
            "<module> Annotation { evaluated: true, introspected: true } None",
            "<module> Annotation { evaluated: true, introspected: true } None",
            "f Plain None",
            "<module> Base None",
            "<module> Base None",
            "<module> Plain None",
            "<module> Call None",
            "<module> Call Main(0)",
            "<module> Annotation { evaluated: true, introspected: false } TypeChecking",
            "<lambda> Plain None",
        ];
        assert_eq!(s["x"], expected);
    }

    #[test]
    fn future_annotations_and_strings_are_not_evaluated() {
        let m = model(
            "from __future__ import annotations\nimport x\n\
             def f(a: x.T) -> 'x.R':\n    v: x.Local = 1\n    return v\n",
        );
        let s = summary(&m, &["x"]);
        assert_eq!(
            s["x"],
            vec![
                "<module> Annotation { evaluated: false, introspected: false } None",
                "<module> StringAnnotation { introspected: false } None",
                "f Annotation { evaluated: false, introspected: false } None",
            ]
        );
    }

    #[test]
    fn nested_functions_and_blocks() {
        let m = model(
            "import x\n\
             def outer():\n    \"\"\"Doc.\"\"\"\n    def inner():\n        return x.a\n    return inner\n\
             if __name__ == '__main__':\n    print(x)\n",
        );
        assert_eq!(m.functions.len(), 2);
        assert_eq!(m.functions[1].qualname, "outer.<locals>.inner");
        assert_eq!(m.enclosing_functions(1), vec![0]);
        assert!(m.functions[0].body.docstring.is_some());
        assert_eq!(m.main_guards.len(), 1);
    }

    #[test]
    fn a_dotted_type_checking_test_is_the_scanners_rule() {
        // The drift the shared rule fixed: `a.b.TYPE_CHECKING` guards like `TYPE_CHECKING`.
        let m = model("import x\nif a.b.TYPE_CHECKING:\n    v = x.Only\n");
        let s = summary(&m, &["x"]);
        assert_eq!(s["x"], vec!["<module> Plain TypeChecking"]);
    }

    #[test]
    fn dunder_all_and_global_declarations() {
        let m = model(
            "import a, b\n__all__ = ['a']\n__all__ += ('c',)\n__all__.append('d')\n\
             def f():\n    global b\n    b = 2\n",
        );
        let names: Vec<&str> = m.all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "c", "d"]);
        assert_eq!(m.global_declarations[0].0, "b");
        assert_eq!(m.global_declarations[0].1, "f");
    }
}
