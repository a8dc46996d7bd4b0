//! The cold path: every module that executes when the entry is imported, with the statement
//! that first pulls each one in.
//!
//! The walk replays CPython's execution order without running anything: importing a module
//! runs its eager sites top to bottom, and each site that loads a module not yet in
//! `sys.modules` runs that module to completion first (so "first importer" here is the same one
//! `-X importtime` reports). Following CPython:
//! - `import a.b.c` runs `a`, then `a.b`, then `a.b.c`; a module enters `sys.modules` before its
//!   body runs, so cycles end;
//! - `from p import n` loads `p.n` when `n` is a submodule, and `from p import *` loads the
//!   submodules named in `p.__all__`;
//! - an `except ImportError:` handler runs only when an import in its `try` body failed;
//! - a module-level function called at import time runs its deferred imports;
//! - so does a function of another module, when a call made at import time certainly names
//!   it: `from m import f; f()`, `import m; m.f()`, re-exports followed, in decorators, class
//!   bodies, loops, and the hooks a class statement calls (its bases' `__init_subclass__`,
//!   its metaclass's `__new__` and `__init__`). Its imports count under the same rules as a
//!   module body's (not in a conditional block, a branch the target rules out, or an
//!   `except ImportError:` whose `try` succeeds), and the functions it certainly calls are
//!   followed in turn, [`MAX_CALL_DEPTH`] deep. A name bound in a `try`, bound twice, or not
//!   bound by an import (a parameter, an attribute of an object) is left out, never guessed.
//!   Such an import's [`Via`] is the call site, with the [`CallChain`] that reaches it;
//! - for a function entry (`pkg.mod:main`, a console script), the entry module's function is
//!   called after its body runs: its imports, and those of the functions of the same module
//!   it calls, are on the cold path too, with context `deferred`;
//! - modules already loaded at interpreter start-up cost nothing and are not descended into.
//!
//! What no source shows (an extension that imports as it initialises, a computed
//! `importlib.import_module(name)`) can be supplied as [`ObservedImport`]s, recorded by
//! `fastpath profile`: after the static walk, each observed module whose importer is on the
//! cold path is loaded as if that importer had imported it (context `observed`), and its own
//! imports are followed statically; this repeats until nothing new is added.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fastpath_scan::{Context, FileScan, ImportSite, Problem, SiteKind, Target};
use serde::Serialize;

use crate::resolver::{ModuleKind, Origin, Resolution, ResolvedModule, Resolver};
use crate::sources::Sources;

/// The statement that loads a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Via {
    /// The importing module.
    pub module: String,
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    pub context: Context,
    /// A short rendering of the statement, e.g. `from .store import save`. For an import
    /// reached through calls (see `call`), the calls then the statement:
    /// `getattr_migration() → pydantic/_migration.py:283 from .errors import PydanticImportError`.
    pub statement: String,
    /// Set when the statement at `line` is a call made at import time and the import runs in
    /// a function it enters in another module (`context` is then `deferred`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<CallChain>,
}

/// The path from a call made at import time to the import statement it runs in another
/// module's function: the functions entered, outermost first, then the statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallChain {
    pub calls: Vec<Call>,
    /// The module, file, line and rendering of the import statement reached.
    pub module: String,
    pub path: PathBuf,
    pub line: u32,
    pub statement: String,
}

/// One function entered on a [`CallChain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// The callee as written at the call site (`getattr_migration`, `m.setup`, `app.route`).
    pub callee: String,
    /// Where the function entered is defined: its module and `__qualname__`.
    pub module: String,
    pub function: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Module {
    pub name: String,
    pub path: Option<PathBuf>,
    pub origin: Origin,
    pub kind: ModuleKind,
    /// `None` only for the entry.
    pub via: Option<Via>,
}

/// An import on the cold path that no search root satisfies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    pub name: String,
    pub via: Via,
    /// Inside a `try` that handles `ImportError`: the program expects it may be missing.
    pub optional: bool,
}

/// A problem in a file on the cold path (syntax, encoding, unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    pub path: PathBuf,
    #[serde(flatten)]
    pub problem: Problem,
}

/// One eager import edge: `from` loads (or needs) `to` through the site at `line`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// 1-based; 0 for an observed edge, which no statement shows.
    pub line: u32,
    pub column: u32,
    /// The site's context: `eager`, `deferred` for a function run at import time, or
    /// `observed` for an edge seen only at run time (it cannot be deferred by editing source).
    pub context: Context,
}

/// An import seen at run time that no source shows: `importer` loaded `module`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObservedImport {
    pub importer: String,
    pub module: String,
}

/// `function` (a `__qualname__`) and the functions of the same module it calls, directly or
/// through others, following `a = b` bindings as [`FileScan::functions_run_at_import`] does.
pub fn functions_called_from(scan: &FileScan, function: &str) -> HashSet<String> {
    let mut run = HashSet::new();
    let mut work = vec![function.to_string()];
    while let Some(mut name) = work.pop() {
        for _ in 0..8 {
            match scan.aliases.get(&name) {
                Some(target) => name = target.clone(),
                None => break,
            }
        }
        if let Some(callees) = scan.calls.get(&name) {
            if !run.contains(&name) {
                work.extend(callees.iter().cloned());
            }
        }
        run.insert(name);
    }
    run
}

/// The `statement` of an observed edge's [`Via`].
pub const OBSERVED_STATEMENT: &str = "observed at run time";

#[derive(Debug, Clone, Serialize)]
pub struct ColdPath {
    pub entry: String,
    /// In load order; the entry first.
    pub modules: Vec<Module>,
    pub unresolved: Vec<Unresolved>,
    /// Modules the cold path imports that were already loaded at interpreter start-up.
    pub preloaded: Vec<String>,
    /// Every eager edge between modules of `modules` (indices), for dominator analyses.
    pub edges: Vec<Edge>,
    pub problems: Vec<FileProblem>,
}

impl ColdPath {
    /// The chain of statements from the entry down to module `index`, outermost first.
    pub fn chain(&self, index: usize) -> Vec<&Via> {
        let position: HashMap<&str, usize> = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name.as_str(), i))
            .collect();
        let mut chain = Vec::new();
        let mut current = index;
        while let Some(via) = &self.modules[current].via {
            chain.push(via);
            match position.get(via.module.as_str()) {
                Some(&next) if next != current && chain.len() <= self.modules.len() => {
                    current = next
                }
                _ => break,
            }
        }
        chain.reverse();
        chain
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.modules.iter().position(|m| m.name == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("entry module `{0}` was not found in the project roots or on the interpreter's path")]
    NotFound(String),
    #[error("entry `{0}` is not a module name or a path to a `.py` file")]
    Invalid(String),
}

/// Builds the cold path of `entry` (an absolute module name) from source alone.
pub fn cold_path(
    entry: &str,
    resolver: &Resolver,
    sources: &Sources,
    target: Option<&Target>,
    preloaded: &HashSet<String>,
) -> Result<ColdPath, EntryError> {
    cold_path_with_observed(entry, resolver, sources, target, preloaded, &[])
}

/// Builds the cold path of `entry`, then adds the `observed` imports whose importer is on it
/// (see the module documentation).
pub fn cold_path_with_observed(
    entry: &str,
    resolver: &Resolver,
    sources: &Sources,
    target: Option<&Target>,
    preloaded: &HashSet<String>,
    observed: &[ObservedImport],
) -> Result<ColdPath, EntryError> {
    cold_path_of_call(entry, None, resolver, sources, target, preloaded, observed)
}

/// The cold path of `entry` and then of calling its `function` (`main` for `pkg.mod:main`),
/// with the `observed` imports merged.
pub fn cold_path_of_call(
    entry: &str,
    function: Option<&str>,
    resolver: &Resolver,
    sources: &Sources,
    target: Option<&Target>,
    preloaded: &HashSet<String>,
    observed: &[ObservedImport],
) -> Result<ColdPath, EntryError> {
    let resolved = match resolver.resolve(entry) {
        Resolution::Found(module) => module,
        _ => return Err(EntryError::NotFound(entry.to_string())),
    };
    // An entry without source (an extension, a built-in) is a cold path of one leaf.
    let mut walk = Walk {
        resolver,
        sources,
        target,
        preloaded,
        loaded: HashMap::new(),
        path: ColdPath {
            entry: entry.to_string(),
            modules: Vec::new(),
            unresolved: Vec::new(),
            preloaded: Vec::new(),
            edges: Vec::new(),
            problems: Vec::new(),
        },
        seen_preloaded: HashSet::new(),
        seen_problem_files: HashSet::new(),
        registered: HashSet::new(),
        entered: HashSet::new(),
        entry_call: function.map(|f| (entry.to_string(), f.to_string())),
    };
    // The entry's parents run first, as `import a.b.entry` would run them.
    if let Some((parent, _)) = entry.rsplit_once('.') {
        walk.load_chain(parent, None);
    }
    walk.enter(resolved, None);
    walk.merge_observed(observed);
    let mut path = walk.path;
    path.edges.sort_by_key(|e| (e.from, e.line, e.column, e.to));
    path.edges.dedup();
    path.preloaded.sort();
    Ok(path)
}

/// What a site needs in order to name the module it loads.
struct SiteFrame<'s> {
    module: &'s str,
    path: &'s Path,
    site: &'s ImportSite,
    statement: String,
    /// For a site run through calls: the [`Via`] naming the call made at import time.
    called: Option<&'s Via>,
}

enum Load {
    Loaded(usize),
    Preloaded,
    Missing,
    /// `a.b` where `a` is a plain module: satisfied (or not) by `a` itself at run time.
    Alias,
}

struct Walk<'a> {
    resolver: &'a Resolver,
    sources: &'a Sources,
    target: Option<&'a Target>,
    preloaded: &'a HashSet<String>,
    loaded: HashMap<String, usize>,
    path: ColdPath,
    seen_preloaded: HashSet<String>,
    seen_problem_files: HashSet<PathBuf>,
    registered: HashSet<String>,
    /// Functions already followed from a call made at import time: (module, `__qualname__`).
    entered: HashSet<(usize, String)>,
    /// The entry module and the function the program calls in it after importing it.
    entry_call: Option<(String, String)>,
}

/// Where a call made at import time sits: the module whose body makes it, its file and line.
struct CallSite {
    module: usize,
    path: PathBuf,
    line: u32,
}

/// How deep calls are followed from a call made at import time (functions entered, and
/// re-exports walked to find one).
pub const MAX_CALL_DEPTH: usize = 6;

impl Walk<'_> {
    fn via(frame: &SiteFrame<'_>) -> Via {
        if let Some(via) = frame.called {
            return via.clone();
        }
        Via {
            module: frame.module.to_string(),
            path: frame.path.to_path_buf(),
            line: frame.site.line,
            column: frame.site.column,
            context: frame.site.context,
            statement: frame.statement.clone(),
            call: None,
        }
    }

    /// Loads `name` and its parents, as `import name` does.
    fn load_chain(&mut self, name: &str, frame: Option<&SiteFrame<'_>>) -> Load {
        let mut end = 0;
        loop {
            let next = name[end..].find('.').map_or(name.len(), |i| end + i);
            let result = self.load(&name[..next], frame);
            match result {
                Load::Missing | Load::Alias => return result,
                Load::Loaded(_) | Load::Preloaded => {}
            }
            if next == name.len() {
                return result;
            }
            end = next + 1;
        }
    }

    /// Loads one module whose parents are loaded.
    fn load(&mut self, name: &str, frame: Option<&SiteFrame<'_>>) -> Load {
        if let Some(&index) = self.loaded.get(name) {
            return Load::Loaded(index);
        }
        if self.registered.contains(name) {
            return Load::Alias;
        }
        if self.preloaded.contains(name) {
            if self.seen_preloaded.insert(name.to_string()) {
                self.path.preloaded.push(name.to_string());
            }
            return Load::Preloaded;
        }
        match self.resolver.resolve(name) {
            Resolution::Found(module) => Load::Loaded(self.enter(module, frame)),
            Resolution::NotFound => Load::Missing,
            Resolution::ParentNotPackage => Load::Alias,
        }
    }

    /// Adds a module to `sys.modules` and runs its body.
    fn enter(&mut self, module: Arc<ResolvedModule>, frame: Option<&SiteFrame<'_>>) -> usize {
        let index = self.path.modules.len();
        self.loaded.insert(module.name.clone(), index);
        self.path.modules.push(Module {
            name: module.name.clone(),
            path: module.path.clone(),
            origin: module.origin,
            kind: module.kind,
            via: frame.map(Self::via),
        });
        if let Some(source) = module.source_path() {
            let scanned = self.sources.scan(source, self.target);
            // `sys.modules["x"] = obj`: later imports of `x` find it there and load nothing.
            self.registered.extend(scanned.registers.iter().cloned());
            if self.seen_problem_files.insert(source.to_path_buf()) {
                for problem in &scanned.problems {
                    self.path.problems.push(FileProblem {
                        path: source.to_path_buf(),
                        problem: problem.clone(),
                    });
                }
            }
            self.run_body(index, &module, source, &scanned);
        }
        index
    }

    fn run_body(&mut self, index: usize, module: &ResolvedModule, source: &Path, scan: &FileScan) {
        let package = package_of(&module.name, module.is_package());
        let mut failed_tries: HashSet<u32> = HashSet::new();
        let mut called: HashSet<String> = scan
            .functions_run_at_import()
            .into_iter()
            .map(str::to_string)
            .collect();
        if let Some((_, function)) = self.entry_call.as_ref().filter(|(m, _)| *m == module.name) {
            called.extend(functions_called_from(scan, function));
        }
        // Calls and attribute chains evaluated at import time run, in source order, between
        // the statements around them.
        let mut steps: Vec<(u32, Step<'_>)> = scan
            .eager_call_sites()
            .map(|(callee, line)| (line, Step::Call(callee)))
            .chain(
                scan.eager_attributes
                    .iter()
                    .map(|(chain, &line)| (line, Step::Attribute(chain))),
            )
            .collect();
        steps.sort_by_key(|&(line, _)| line);
        let mut steps = steps.into_iter().peekable();
        for site in &scan.sites {
            while let Some(step) = steps.next_if(|&(line, _)| line < site.line) {
                self.eager_step(index, source, step);
            }
            let runs = match site.context {
                Context::Eager => true,
                // A function called at import time runs its imports then.
                Context::Deferred => {
                    !site.conditional
                        && site.function.as_deref().is_some_and(|f| called.contains(f))
                }
                // The scanner never produces `observed`; the merge adds those edges itself.
                Context::TypeChecking | Context::Lazy | Context::MainGuard | Context::Observed => {
                    false
                }
            };
            if !runs {
                continue;
            }
            let frame = SiteFrame {
                module: &module.name,
                path: source,
                site,
                statement: statement(site),
                called: None,
            };
            self.run_site(index, &package, &frame, &mut failed_tries);
        }
        for step in steps {
            self.eager_step(index, source, step);
        }
        // The program calls the entry function once the import is done: the functions of other
        // modules it certainly calls run their imports then (its own module's ran above).
        if let Some((_, function)) = self.entry_call.clone().filter(|(m, _)| *m == module.name) {
            let at = CallSite {
                module: index,
                path: source.to_path_buf(),
                line: 1,
            };
            if let Some((defined_in, qualname)) = self.resolve_callee(index, &function, 0) {
                let step = Call {
                    callee: function,
                    module: self.path.modules[defined_in].name.clone(),
                    function: qualname,
                };
                self.enter_function(&at, vec![step], defined_in);
            }
        }
    }

    /// Runs one import site: `from` is the module whose body is running (the edges start
    /// there), `package` the one the site's leading dots climb from.
    fn run_site(
        &mut self,
        from: usize,
        package: &str,
        frame: &SiteFrame<'_>,
        failed_tries: &mut HashSet<u32>,
    ) {
        let site = frame.site;
        if let Some(id) = site.fallback_for {
            if !failed_tries.contains(&id) {
                return;
            }
        }
        let Some(base) = absolute_module(site, package) else {
            let via = Self::via(frame);
            self.path.unresolved.push(Unresolved {
                name: format!("{}{}", ".".repeat(site.level as usize), site.module),
                via,
                optional: site.optional,
            });
            return;
        };
        let mut targets = vec![base.clone()];
        if site.kind == SiteKind::From {
            targets.clear();
            match self.load_chain(&base, Some(frame)) {
                Load::Loaded(base_index) => {
                    self.edge_with_parents(from, base_index, &base, frame);
                    let submodules = self.submodules_named_by(base_index, site);
                    for imported in &site.names {
                        if imported.name != "*" && !submodules.contains(&imported.name) {
                            self.run_getattr(base_index, &imported.name, None);
                        }
                    }
                    for name in submodules {
                        targets.push(format!("{base}.{name}"));
                    }
                }
                Load::Preloaded | Load::Alias => {}
                Load::Missing => {
                    self.missing(&base, frame, failed_tries);
                }
            }
        }
        for target in targets {
            match self.load_chain(&target, Some(frame)) {
                Load::Loaded(to) => self.edge_with_parents(from, to, &target, frame),
                Load::Missing => self.missing(&target, frame, failed_tries),
                Load::Preloaded | Load::Alias => {}
            }
        }
    }

    fn eager_step(&mut self, index: usize, source: &Path, (line, step): (u32, Step<'_>)) {
        match step {
            Step::Call(callee) => self.follow_eager_call(index, source, (callee, line)),
            Step::Attribute(chain) => self.follow_attribute(index, chain, line),
        }
    }

    /// An attribute chain evaluated by the body of module `index` at import time, on a name
    /// that one certain module-level import binds (`np.random.Generator` after `import numpy
    /// as np`): each attribute that is not a loaded submodule is looked up on its module, whose
    /// PEP 562 `__getattr__` runs the imports that bind that name. The walk goes on while the
    /// chain names modules.
    fn follow_attribute(&mut self, index: usize, chain: &str, line: u32) {
        let module = &self.path.modules[index];
        let Some(source) = module.path.clone().filter(|p| is_python(p)) else {
            return;
        };
        let Some((head, rest)) = chain.split_once('.') else {
            return;
        };
        let scan = self.sources.scan(&source, self.target);
        let package = package_of(&module.name, module.kind == ModuleKind::Package).to_owned();
        let mut bindings = certain_bindings(&scan).filter_map(|s| binding(s, head, &package));
        let Some((mut module_name, first)) = bindings.next() else {
            return;
        };
        if bindings.next().is_some() {
            return; // bound twice: which one holds is not certain
        }
        for part in first.as_deref().into_iter().chain(rest.split('.')) {
            let submodule = format!("{module_name}.{part}");
            if !self.loaded.contains_key(&submodule) {
                let Some(&base) = self.loaded.get(&module_name) else {
                    return;
                };
                let accessed = Access {
                    module: index,
                    path: source.to_path_buf(),
                    line,
                    chain: chain.to_string(),
                };
                self.run_getattr(base, part, Some(&accessed));
                if !self.loaded.contains_key(&submodule) {
                    return;
                }
            }
            module_name = submodule;
        }
    }

    /// A call made by the body of module `index` at import time: when its callee is a
    /// function that can be resolved with certainty, the imports that function certainly
    /// runs (and those of the functions it certainly calls, [`MAX_CALL_DEPTH`] deep) run now.
    fn follow_eager_call(&mut self, index: usize, source: &Path, (callee, line): (&str, u32)) {
        let Some((module, function)) = self.resolve_callee(index, callee, 0) else {
            return;
        };
        let at = CallSite {
            module: index,
            path: source.to_path_buf(),
            line,
        };
        let step = Call {
            callee: callee.to_string(),
            module: self.path.modules[module].name.clone(),
            function,
        };
        self.enter_function(&at, vec![step], module);
    }

    /// Runs the function at the end of `chain` (defined in module `defined_in`): its
    /// certain imports, then the functions it certainly calls.
    fn enter_function(&mut self, at: &CallSite, chain: Vec<Call>, defined_in: usize) {
        let step = chain.last().expect("a chain has a call");
        if chain.len() > MAX_CALL_DEPTH || !self.entered.insert((defined_in, step.function.clone()))
        {
            return;
        }
        let module = self.path.modules[defined_in].clone();
        let Some(source) = module.path.clone().filter(|p| is_python(p)) else {
            return;
        };
        let scan = self.sources.scan(&source, self.target);
        let function = step.function.clone();
        // Imports of a function of the running module itself already ran with its body.
        if defined_in != at.module {
            let package = package_of(&module.name, module.kind == ModuleKind::Package);
            let mut failed_tries: HashSet<u32> = HashSet::new();
            let caller = self.path.modules[at.module].name.clone();
            for site in scan.sites.iter().filter(|s| {
                s.context == Context::Deferred
                    && !s.conditional
                    && s.function.as_deref() == Some(function.as_str())
            }) {
                let via = self.call_via(at, &chain, &module, &source, site);
                let frame = SiteFrame {
                    module: &caller,
                    path: &at.path,
                    site,
                    statement: via.statement.clone(),
                    called: Some(&via),
                };
                self.run_site(at.module, &package, &frame, &mut failed_tries);
            }
        }
        for callee in scan.calls.get(&function).into_iter().flatten() {
            if let Some((next, function)) = self.resolve_callee(defined_in, callee, 0) {
                let mut deeper = chain.clone();
                deeper.push(Call {
                    callee: callee.clone(),
                    module: self.path.modules[next].name.clone(),
                    function,
                });
                self.enter_function(at, deeper, next);
            }
        }
    }

    /// The [`Via`] of an import that `chain`, called at `at`, runs in `module`'s function.
    fn call_via(
        &self,
        at: &CallSite,
        chain: &[Call],
        module: &Module,
        source: &Path,
        site: &ImportSite,
    ) -> Via {
        let mut rendered = String::new();
        for (i, call) in chain.iter().enumerate() {
            if i > 0 {
                let caller = &chain[i - 1].module;
                let file = self
                    .loaded
                    .get(caller)
                    .and_then(|&c| self.path.modules[c].path.as_deref())
                    .map(|p| module_file(caller, p))
                    .unwrap_or_default();
                rendered.push_str(&format!(" → {file} "));
            }
            rendered.push_str(&format!("{}()", call.callee));
        }
        let stmt = statement(site);
        rendered.push_str(&format!(
            " → {}:{} {stmt}",
            module_file(&module.name, source),
            site.line
        ));
        Via {
            module: self.path.modules[at.module].name.clone(),
            path: at.path.clone(),
            line: at.line,
            column: 1,
            context: Context::Deferred,
            statement: rendered,
            call: Some(CallChain {
                calls: chain.to_vec(),
                module: module.name.clone(),
                path: source.to_path_buf(),
                line: site.line,
                statement: stmt,
            }),
        }
    }

    /// The function a callee written in module `index` certainly names, as (module index,
    /// `__qualname__`): a function defined there, or one bound by a module-level import that
    /// nothing else binds (`from m import f`, `import m` then `m.f`), followed through
    /// re-exports. A class names its `__init__` / `__new__` when it defines one. Anything
    /// else (a parameter, an attribute of an object, a name bound twice) is left out.
    fn resolve_callee(&self, index: usize, callee: &str, depth: usize) -> Option<(usize, String)> {
        if depth > MAX_CALL_DEPTH {
            return None;
        }
        let module = &self.path.modules[index];
        let source = module.path.as_deref().filter(|p| is_python(p))?;
        let scan = self.sources.scan(source, self.target);
        let mut name = callee.to_string();
        for _ in 0..8 {
            match scan.aliases.get(&name) {
                Some(target) => name = target.clone(),
                None => break,
            }
        }
        if let Some(function) = defined_function(&scan, &name) {
            return Some((index, function));
        }
        let (head, rest) = match name.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (name.as_str(), None),
        };
        let package = package_of(&module.name, module.kind == ModuleKind::Package);
        let mut bindings = certain_bindings(&scan).filter_map(|s| binding(s, head, &package));
        let bound = bindings.next()?;
        if bindings.next().is_some() {
            return None; // bound twice: which one holds at call time is not certain
        }
        // Walk the rest of the dotted name: through submodules while they are loaded, then
        // into attributes of the last module.
        let (mut module_name, first) = bound;
        let mut attribute: Option<String> = None;
        for part in first
            .as_deref()
            .into_iter()
            .chain(rest.into_iter().flat_map(|r| r.split('.')))
        {
            match attribute {
                None => {
                    let submodule = format!("{module_name}.{part}");
                    if self.loaded.contains_key(&submodule) {
                        module_name = submodule;
                    } else {
                        attribute = Some(part.to_string());
                    }
                }
                Some(ref mut attribute) => {
                    attribute.push('.');
                    attribute.push_str(part);
                }
            }
        }
        let attribute = attribute?;
        let &defined_in = self.loaded.get(&module_name)?;
        if defined_in == index {
            return None;
        }
        self.resolve_callee(defined_in, &attribute, depth + 1)
    }

    /// `from pkg import name` where `pkg` defines no `name` but has a module `__getattr__`
    /// (PEP 562): the imports of `__getattr__` that bind `name` run.
    /// `accessed`: the attribute chain read at import time that made the lookup; the modules
    /// loaded are then said to come through it (`np.random → numpy/__init__.py:718 import
    /// numpy.random as random`).
    fn run_getattr(&mut self, base_index: usize, name: &str, accessed: Option<&Access>) {
        let base = self.path.modules[base_index].clone();
        let Some(path) = base
            .path
            .clone()
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
        else {
            return;
        };
        let scan = self.sources.scan(&path, self.target);
        if !scan.has_getattr {
            return;
        }
        let binds = |site: &ImportSite| {
            site.names
                .iter()
                .any(|n| n.name == name || n.asname.as_deref() == Some(name))
                || site.alias.as_deref() == Some(name)
                || (site.kind != SiteKind::From && site.module.rsplit('.').next() == Some(name))
        };
        if scan
            .sites
            .iter()
            .any(|s| s.context == Context::Eager && binds(s))
        {
            return; // defined at module level: `__getattr__` is not called
        }
        let package = crate::package_of(&base.name, base.kind == ModuleKind::Package).to_owned();
        for site in scan
            .sites
            .iter()
            .filter(|s| s.function.as_deref() == Some("__getattr__") && binds(s))
        {
            let Some(target) = absolute_module(site, &package) else {
                continue;
            };
            let through = accessed.map(|access| Via {
                module: self.path.modules[access.module].name.clone(),
                path: access.path.clone(),
                line: access.line,
                column: 1,
                context: Context::Eager,
                statement: format!(
                    "{} → {}:{} {}",
                    access.chain,
                    module_file(&base.name, &path),
                    site.line,
                    statement(site)
                ),
                // The chain read calls the module's `__getattr__`, which runs the import.
                call: Some(CallChain {
                    calls: vec![Call {
                        callee: access.chain.clone(),
                        module: base.name.clone(),
                        function: "__getattr__".to_string(),
                    }],
                    module: base.name.clone(),
                    path: path.clone(),
                    line: site.line,
                    statement: statement(site),
                }),
            });
            let frame = SiteFrame {
                module: &base.name,
                path: &path,
                site,
                statement: statement(site),
                called: through.as_ref(),
            };
            let target = match site
                .names
                .iter()
                .find(|n| n.name == name || n.asname.as_deref() == Some(name))
            {
                Some(n) if site.kind == SiteKind::From && self.is_submodule(&target, &n.name) => {
                    format!("{target}.{}", n.name)
                }
                _ => target,
            };
            if let Load::Loaded(to) = self.load_chain(&target, Some(&frame)) {
                self.edge(base_index, to, site);
            }
        }
    }

    /// Submodule names a `from` import loads from an already-loaded package.
    fn submodules_named_by(&self, base_index: usize, site: &ImportSite) -> Vec<String> {
        let base = &self.path.modules[base_index];
        if !matches!(base.kind, ModuleKind::Package | ModuleKind::Namespace) {
            return Vec::new();
        }
        let mut names = Vec::new();
        for imported in &site.names {
            if imported.name == "*" {
                // `from p import *` imports the submodules `p.__all__` names.
                let all = base
                    .path
                    .as_deref()
                    .map(|p| self.sources.scan(p, self.target))
                    .and_then(|s| s.all.clone());
                for name in all.unwrap_or_default() {
                    if self.is_submodule(&base.name, &name) {
                        names.push(name);
                    }
                }
            } else if self.is_submodule(&base.name, &imported.name) {
                names.push(imported.name.clone());
            }
        }
        names
    }

    fn is_submodule(&self, package: &str, name: &str) -> bool {
        let full = format!("{package}.{name}");
        self.loaded.contains_key(&full)
            || matches!(self.resolver.resolve(&full), Resolution::Found(_))
    }

    fn missing(&mut self, name: &str, frame: &SiteFrame<'_>, failed_tries: &mut HashSet<u32>) {
        if let Some(id) = frame.site.try_id {
            failed_tries.insert(id);
        }
        self.path.unresolved.push(Unresolved {
            name: name.to_string(),
            via: Self::via(frame),
            optional: frame.site.optional,
        });
    }

    /// The edge to `to` (named `name`), and to every package on the way: the statement
    /// needs them too (`import a.b.c` and `from a.b import c` run `a` and `a.b`).
    fn edge_with_parents(&mut self, from: usize, to: usize, name: &str, frame: &SiteFrame<'_>) {
        let (line, column, context) = match frame.called {
            Some(via) => (via.line, via.column, via.context),
            None => (frame.site.line, frame.site.column, frame.site.context),
        };
        self.edge_at(from, to, line, column, context);
        let mut name = name;
        while let Some((parent, _)) = name.rsplit_once('.') {
            if let Some(&p) = self.loaded.get(parent) {
                self.edge_at(from, p, line, column, context);
            }
            name = parent;
        }
    }

    fn edge(&mut self, from: usize, to: usize, site: &ImportSite) {
        self.edge_at(from, to, site.line, site.column, site.context);
    }

    fn edge_at(&mut self, from: usize, to: usize, line: u32, column: u32, context: Context) {
        if from != to {
            self.path.edges.push(Edge {
                from,
                to,
                line,
                column,
                context,
            });
        }
    }

    /// Adds observed imports whose importer is loaded, until none is left to add. Each edge
    /// is tried until its importer is loaded; one whose module does not resolve (an alias set
    /// in `sys.modules`, a module from a finder fastpath cannot follow) is skipped silently:
    /// it is no statement of the program, so it is not reported as unresolved. One that a
    /// statement of the importer already makes adds nothing: the statement can be deferred,
    /// an observed edge could not.
    fn merge_observed(&mut self, observed: &[ObservedImport]) {
        let mut done = vec![false; observed.len()];
        loop {
            let mut progressed = false;
            for (i, edge) in observed.iter().enumerate() {
                if done[i] {
                    continue;
                }
                let Some(&from) = self.loaded.get(&edge.importer) else {
                    continue;
                };
                done[i] = true;
                let importer_path = self.path.modules[from].path.clone().unwrap_or_default();
                let site = ImportSite {
                    kind: SiteKind::Import,
                    module: edge.module.clone(),
                    level: 0,
                    names: Vec::new(),
                    alias: None,
                    context: Context::Observed,
                    optional: false,
                    try_id: None,
                    fallback_for: None,
                    function: None,
                    conditional: false,
                    line: 0,
                    column: 0,
                };
                let frame = SiteFrame {
                    module: &edge.importer,
                    path: &importer_path,
                    site: &site,
                    statement: OBSERVED_STATEMENT.to_string(),
                    called: None,
                };
                let before = self.path.modules.len();
                if let Load::Loaded(to) = self.load_chain(&edge.module, Some(&frame)) {
                    let stated =
                        self.path.edges.iter().any(|e| {
                            e.from == from && e.to == to && e.context != Context::Observed
                        });
                    if !stated {
                        self.edge(from, to, &site);
                    }
                }
                progressed |= self.path.modules.len() > before;
            }
            if !progressed {
                break;
            }
        }
    }
}

/// The package a module's relative imports climb from: itself for a package.
fn package_of(name: &str, is_package: bool) -> String {
    if is_package {
        name.to_string()
    } else {
        name.rsplit_once('.')
            .map(|(p, _)| p.to_string())
            .unwrap_or_default()
    }
}

fn is_python(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "py")
}

/// A module's file as its import path spells it (`pydantic/_migration.py`,
/// `pydantic/__init__.py`): the same whatever directory the tree sits in.
fn module_file(name: &str, path: &Path) -> String {
    let depth = name.matches('.').count()
        + 1
        + usize::from(path.file_stem().is_some_and(|s| s == "__init__"));
    let parts: Vec<String> = path
        .components()
        .rev()
        .take(depth)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

/// The `__qualname__` of the function `name` spells in this module, when the module defines
/// one the scan knows of (it calls something or imports something): the function itself, or
/// for a class its `__init__` (else its `__new__`).
fn defined_function(scan: &FileScan, name: &str) -> Option<String> {
    let defined = |qualname: &str| {
        scan.calls.contains_key(qualname)
            || scan
                .sites
                .iter()
                .any(|s| s.function.as_deref() == Some(qualname))
    };
    [
        name.to_string(),
        format!("{name}.__init__"),
        format!("{name}.__new__"),
    ]
    .into_iter()
    .find(|q| defined(q))
}

/// What a module-level import binds to `head`: the module it names, and the first
/// attribute taken from it (`from m import f` binds `f` to `m`'s `f`; `import a.b` binds `a`).
/// The module-level import sites that certainly bind their names once the body has run: not
/// in a function, a condition, a `try` that expects failure, or a fallback.
fn certain_bindings(scan: &FileScan) -> impl Iterator<Item = &ImportSite> {
    scan.sites.iter().filter(|s| {
        s.context == Context::Eager
            && s.function.is_none()
            && !s.conditional
            && !s.optional
            && s.fallback_for.is_none()
    })
}

/// An attribute chain read at import time: by which module, where.
struct Access {
    module: usize,
    path: PathBuf,
    line: u32,
    chain: String,
}

/// What module-level code evaluates at import time, in source order with the import sites.
#[derive(Clone, Copy)]
enum Step<'s> {
    /// A call, by its callee's dotted name.
    Call(&'s str),
    /// An attribute chain on a name.
    Attribute(&'s str),
}

fn binding(site: &ImportSite, head: &str, package: &str) -> Option<(String, Option<String>)> {
    match site.kind {
        SiteKind::From => {
            let imported = site
                .names
                .iter()
                .find(|n| n.name != "*" && n.asname.as_deref().unwrap_or(&n.name) == head)?;
            Some((absolute_module(site, package)?, Some(imported.name.clone())))
        }
        SiteKind::Import => match &site.alias {
            Some(alias) if alias == head => Some((site.module.clone(), None)),
            Some(_) => None,
            None => {
                let first = site.module.split('.').next()?;
                (first == head).then(|| (first.to_string(), None))
            }
        },
        SiteKind::ImportModule | SiteKind::DunderImport => None,
    }
}

/// The absolute module a site names, resolving leading dots against the importer's package.
/// `None` when a relative import climbs above the top-level package.
pub fn absolute_module(site: &ImportSite, package: &str) -> Option<String> {
    if site.level == 0 {
        return Some(site.module.clone());
    }
    let mut base = package;
    for _ in 1..site.level {
        base = base.rsplit_once('.').map(|(p, _)| p)?;
        if base.is_empty() {
            return None;
        }
    }
    if base.is_empty() {
        return None;
    }
    Some(if site.module.is_empty() {
        base.to_string()
    } else {
        format!("{base}.{}", site.module)
    })
}

/// A one-line rendering of the statement behind a site.
pub fn statement(site: &ImportSite) -> String {
    let dots = ".".repeat(site.level as usize);
    let lazy = if site.context == Context::Lazy {
        "lazy "
    } else {
        ""
    };
    match site.kind {
        SiteKind::Import => match &site.alias {
            Some(alias) => format!("{lazy}import {} as {alias}", site.module),
            None => format!("{lazy}import {}", site.module),
        },
        SiteKind::From => {
            let names: Vec<String> = site
                .names
                .iter()
                .map(|n| match &n.asname {
                    Some(a) => format!("{} as {a}", n.name),
                    None => n.name.clone(),
                })
                .collect();
            format!(
                "{lazy}from {dots}{} import {}",
                site.module,
                names.join(", ")
            )
        }
        SiteKind::ImportModule => format!("importlib.import_module(\"{dots}{}\")", site.module),
        SiteKind::DunderImport => format!("__import__(\"{dots}{}\")", site.module),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fastpath_scan::ImportedName;

    fn site(module: &str, level: u32) -> ImportSite {
        ImportSite {
            kind: SiteKind::From,
            module: module.into(),
            level,
            names: vec![ImportedName {
                name: "x".into(),
                asname: None,
            }],
            alias: None,
            context: Context::Eager,
            optional: false,
            try_id: None,
            fallback_for: None,
            function: None,
            conditional: false,
            line: 1,
            column: 1,
        }
    }

    /// A project in a temporary directory: `(relative path, source)` pairs.
    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, source) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, source).unwrap();
        }
        dir
    }

    fn observed(pairs: &[(&str, &str)]) -> Vec<ObservedImport> {
        pairs
            .iter()
            .map(|(importer, module)| ObservedImport {
                importer: importer.to_string(),
                module: module.to_string(),
            })
            .collect()
    }

    fn names(path: &ColdPath) -> Vec<&str> {
        path.modules.iter().map(|m| m.name.as_str()).collect()
    }

    #[test]
    fn observed_import_of_an_importer_on_the_path_is_added_with_its_static_imports() {
        let dir = project(&[
            (
                "app.py",
                "import importlib\nname = 'dyn' + 'mod'\nimportlib.import_module(name)\n",
            ),
            ("dynmod.py", "import helper\n"),
            ("helper.py", ""),
            ("unrelated.py", "import helper\n"),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let sources = Sources::default();
        let none = HashSet::new();
        let static_only = cold_path("app", &resolver, &sources, None, &none).unwrap();
        assert_eq!(names(&static_only), ["app"]);

        let seen = observed(&[("app", "dynmod"), ("elsewhere", "unrelated")]);
        let path = cold_path_with_observed("app", &resolver, &sources, None, &none, &seen).unwrap();
        assert_eq!(names(&path), ["app", "dynmod", "helper"]);
        let via = path.modules[1].via.as_ref().unwrap();
        assert_eq!(via.context, Context::Observed);
        assert_eq!((via.module.as_str(), via.line), ("app", 0));
        assert_eq!(via.statement, OBSERVED_STATEMENT);
        assert_eq!(via.path, dir.path().join("app.py"));
        // dynmod's own import is a source statement.
        let via = path.modules[2].via.as_ref().unwrap();
        assert_eq!(
            (via.module.as_str(), via.context),
            ("dynmod", Context::Eager)
        );
        assert!(path
            .edges
            .iter()
            .any(|e| e.from == 0 && e.to == 1 && e.context == Context::Observed));
        // Without an interpreter only `importlib` is missing; the observed edges add nothing.
        let unresolved: Vec<&str> = path.unresolved.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(unresolved, ["importlib"]);
    }

    #[test]
    fn observed_chains_are_followed_whatever_their_order() {
        // `b`'s importer `a` is itself observed, and listed after it.
        let dir = project(&[
            ("app.py", ""),
            ("a.py", ""),
            ("pkg/__init__.py", ""),
            ("pkg/b.py", ""),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let seen = observed(&[("a", "pkg.b"), ("app", "a")]);
        let path = cold_path_with_observed(
            "app",
            &resolver,
            &Sources::default(),
            None,
            &HashSet::new(),
            &seen,
        )
        .unwrap();
        // `import pkg.b` runs `pkg` first, as Python does.
        assert_eq!(names(&path), ["app", "a", "pkg", "pkg.b"]);
    }

    #[test]
    fn observed_import_that_a_statement_of_the_importer_makes_adds_no_edge() {
        // `dynmod` is observed; its own `import helper` was also seen at run time.
        let dir = project(&[
            ("app.py", ""),
            ("dynmod.py", "import helper\n"),
            ("helper.py", ""),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let seen = observed(&[("app", "dynmod"), ("dynmod", "helper")]);
        let path = cold_path_with_observed(
            "app",
            &resolver,
            &Sources::default(),
            None,
            &HashSet::new(),
            &seen,
        )
        .unwrap();
        assert_eq!(names(&path), ["app", "dynmod", "helper"]);
        let contexts: Vec<Context> = path.edges.iter().map(|e| e.context).collect();
        assert_eq!(contexts, [Context::Observed, Context::Eager]);
    }

    #[test]
    fn a_from_import_needs_every_package_on_the_way() {
        let dir = project(&[
            ("app.py", "import pkg\nfrom pkg.sub.mod import x\n"),
            ("pkg/__init__.py", ""),
            ("pkg/sub/__init__.py", ""),
            ("pkg/sub/mod.py", "x = 1\n"),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let none = HashSet::new();
        let path = cold_path("app", &resolver, &Sources::default(), None, &none).unwrap();
        assert_eq!(names(&path), ["app", "pkg", "pkg.sub", "pkg.sub.mod"]);
        let from_line_2: Vec<usize> = path
            .edges
            .iter()
            .filter(|e| e.from == 0 && e.line == 2)
            .map(|e| e.to)
            .collect();
        assert_eq!(from_line_2, [1, 2, 3]);
    }

    #[test]
    fn observed_modules_that_do_not_resolve_are_not_reported_as_unresolved() {
        // An alias registered in `sys.modules` is loaded but has no file.
        let dir = project(&[("app.py", "")]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let seen = observed(&[("app", "six.moves.urllib")]);
        let path = cold_path_with_observed(
            "app",
            &resolver,
            &Sources::default(),
            None,
            &HashSet::new(),
            &seen,
        )
        .unwrap();
        assert_eq!(names(&path), ["app"]);
        assert!(path.unresolved.is_empty());
    }

    #[test]
    fn observed_edge_to_a_module_already_on_the_path_adds_only_the_edge() {
        // `b` (say, an extension) imported `a` at run time; `app` imports `a` by statement.
        let dir = project(&[
            ("app.py", "import a\nimport b\n"),
            ("a.py", ""),
            ("b.py", ""),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let seen = observed(&[("b", "a")]);
        let path = cold_path_with_observed(
            "app",
            &resolver,
            &Sources::default(),
            None,
            &HashSet::new(),
            &seen,
        )
        .unwrap();
        assert_eq!(names(&path), ["app", "a", "b"]);
        assert_eq!(
            path.modules[1].via.as_ref().unwrap().context,
            Context::Eager
        );
        let edges: Vec<(usize, usize, Context)> = path
            .edges
            .iter()
            .map(|e| (e.from, e.to, e.context))
            .collect();
        assert_eq!(
            edges,
            [
                (0, 1, Context::Eager),
                (0, 2, Context::Eager),
                (2, 1, Context::Observed)
            ]
        );
    }

    #[test]
    fn a_call_is_followed_through_a_re_export_and_named_in_via() {
        let dir = project(&[
            ("app.py", "from pkg import setup\n\nsetup()\n"),
            ("pkg/__init__.py", "from .impl import setup\n"),
            ("pkg/impl.py", "def setup():\n    import leaf\n"),
            ("leaf.py", ""),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let none = HashSet::new();
        let path = cold_path("app", &resolver, &Sources::default(), None, &none).unwrap();
        assert_eq!(names(&path), ["app", "pkg", "pkg.impl", "leaf"]);
        let via = path.modules[3].via.as_ref().unwrap();
        assert_eq!((via.module.as_str(), via.line), ("app", 3));
        assert_eq!(via.context, Context::Deferred);
        assert_eq!(via.statement, "setup() → pkg/impl.py:2 import leaf");
        let call = via.call.as_ref().unwrap();
        assert_eq!(
            (
                call.calls[0].module.as_str(),
                call.calls[0].function.as_str()
            ),
            ("pkg.impl", "setup")
        );
        assert!(path
            .edges
            .iter()
            .any(|e| e.from == 0 && e.to == 3 && e.line == 3 && e.context == Context::Deferred));
    }

    #[test]
    fn a_name_the_analysis_cannot_be_sure_of_is_not_followed() {
        // Bound in a `try` that handles ImportError, bound twice, or a parameter: left out.
        let dir = project(&[
            (
                "app.py",
                "try:\n    from a import f\nexcept ImportError:\n    f = None\nfrom a import g\nfrom b import g\nf()\ng()\ndef run(h):\n    h()\nrun(len)\n",
            ),
            ("a.py", "def f():\n    import leaf_f\ndef g():\n    import leaf_g\n"),
            ("b.py", "def g():\n    import leaf_g\n"),
            ("leaf_f.py", ""),
            ("leaf_g.py", ""),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let none = HashSet::new();
        let path = cold_path("app", &resolver, &Sources::default(), None, &none).unwrap();
        assert_eq!(names(&path), ["app", "a", "b"]);
    }

    #[test]
    fn mutually_recursive_callees_end() {
        let dir = project(&[
            ("app.py", "import a\n\na.f()\n"),
            ("a.py", "import b\n\ndef f():\n    b.g()\n"),
            ("b.py", "import a\n\ndef g():\n    import leaf\n    a.f()\n"),
            ("leaf.py", ""),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let none = HashSet::new();
        let path = cold_path("app", &resolver, &Sources::default(), None, &none).unwrap();
        assert_eq!(names(&path), ["app", "a", "b", "leaf"]);
        let via = path.modules[3].via.as_ref().unwrap();
        assert_eq!(via.statement, "a.f() → a.py b.g() → b.py:4 import leaf");
    }

    /// The cold path of `cli.__main__:main` in the project `dir`.
    fn main_called(dir: &tempfile::TempDir) -> ColdPath {
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let none = HashSet::new();
        let sources = Sources::default();
        cold_path_of_call(
            "cli.__main__",
            Some("main"),
            &resolver,
            &sources,
            None,
            &none,
            &[],
        )
        .unwrap()
    }

    #[test]
    fn a_function_entry_runs_its_imports_and_those_of_the_functions_it_calls() {
        let dir = project(&[
            ("cli/__init__.py", ""),
            (
                "cli/__main__.py",
                "import sys\n\ndef main():\n    import cli.commands\n    helper()\n\ndef helper():\n    from . import output\n\ndef unused():\n    import cli.never\n",
            ),
            ("cli/commands.py", "import cli.deep\n"),
            ("cli/deep.py", ""),
            ("cli/output.py", ""),
            ("cli/never.py", ""),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let none = HashSet::new();
        let module_only =
            cold_path("cli.__main__", &resolver, &Sources::default(), None, &none).unwrap();
        assert_eq!(names(&module_only), ["cli", "cli.__main__"]);
        let called = main_called(&dir);
        assert_eq!(
            names(&called),
            [
                "cli",
                "cli.__main__",
                "cli.commands",
                "cli.deep",
                "cli.output"
            ]
        );
        let via = called.modules[2].via.as_ref().unwrap();
        assert_eq!((via.line, via.context), (4, Context::Deferred));
    }

    #[test]
    fn an_attribute_evaluated_at_import_runs_the_module_getattr() {
        let dir = project(&[
            (
                "lazy/__init__.py",
                "def __getattr__(attr):\n    if attr == 'random':\n        import lazy.random as random\n        return random\n    if attr == 'fft':\n        from . import fft\n        return fft\n    raise AttributeError(attr)\n",
            ),
            ("lazy/random.py", "import lazy.bits\n"),
            ("lazy/bits.py", ""),
            ("lazy/fft.py", ""),
            (
                "app.py",
                "import lazy as lz\n\nKind = int | lz.random.Generator\n\ndef later():\n    return lz.fft.x\n",
            ),
        ]);
        let resolver = Resolver::new(vec![dir.path().to_path_buf()], None);
        let none = HashSet::new();
        let path = cold_path("app", &resolver, &Sources::default(), None, &none).unwrap();
        // `lz.fft` is read only in a function: `lazy.fft` stays off the cold path.
        assert_eq!(names(&path), ["app", "lazy", "lazy.random", "lazy.bits"]);
        let via = path.modules[2].via.as_ref().unwrap();
        assert_eq!(
            (via.module.as_str(), via.line, via.statement.as_str()),
            (
                "app",
                3,
                "lz.random.Generator → lazy/__init__.py:3 import lazy.random as random"
            )
        );
    }

    #[test]
    fn a_function_entry_follows_its_calls_into_other_modules() {
        let dir = project(&[
            ("cli/__init__.py", ""),
            (
                "cli/__main__.py",
                "from cli.app import run\nimport cli.util as util\n\ndef main():\n    run()\n    util.show()\n",
            ),
            (
                "cli/app.py",
                "def run():\n    import cli.commands\n    if flag:\n        import cli.maybe\n\ndef unused():\n    import cli.never\n",
            ),
            ("cli/util.py", "def show():\n    from . import output\n"),
            ("cli/commands.py", ""),
            ("cli/output.py", ""),
            ("cli/maybe.py", ""),
            ("cli/never.py", ""),
        ]);
        let called = main_called(&dir);
        assert_eq!(
            names(&called),
            [
                "cli",
                "cli.__main__",
                "cli.app",
                "cli.util",
                "cli.commands",
                "cli.output"
            ]
        );
        let via = called.modules[4].via.as_ref().unwrap();
        assert_eq!(via.module, "cli.__main__");
        assert_eq!(
            via.statement,
            "main() → cli/__main__.py run() → cli/app.py:2 import cli.commands"
        );
    }

    #[test]
    fn relative_imports_climb_from_the_package() {
        assert_eq!(
            absolute_module(&site("b", 1), "pkg.sub").as_deref(),
            Some("pkg.sub.b")
        );
        assert_eq!(
            absolute_module(&site("", 1), "pkg.sub").as_deref(),
            Some("pkg.sub")
        );
        assert_eq!(
            absolute_module(&site("c", 2), "pkg.sub").as_deref(),
            Some("pkg.c")
        );
        assert_eq!(
            absolute_module(&site("c", 3), "pkg.sub"),
            None,
            "beyond the top-level package"
        );
        assert_eq!(
            absolute_module(&site("c", 1), ""),
            None,
            "relative import outside a package"
        );
    }
}
