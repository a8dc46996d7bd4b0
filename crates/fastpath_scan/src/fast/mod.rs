//! The fast scanner: the same [`FileScan`] as the full-parse reference scanner (`ast`), from
//! a tokenizer and a tree-less recognizer instead of ruff's parser and AST.
//!
//! Scanning is most of `fastpath graph`'s time, and a full parse spends it building a tree
//! this job throws away. Here each logical line is tokenized (`lexer`), checked and reduced
//! to a few events (`parser`), and a stack of indentation levels carries the same state the
//! reference scanner carries down its tree (context, enclosing function, conditional blocks,
//! `try` guards, dead `if` branches, literal loop variables). Events inside an expression
//! come in the order the reference's AST visitor meets them, which is not always source
//! order (a comprehension's generators before its element, a conditional expression's test
//! before its body, keyword arguments after positional ones): per-function call lists depend
//! on it. Correctness comes first: whenever the file holds something this scanner is
//! not sure about (a syntax error, an unusual form, a construct whose reading depends on more
//! than one line), [`try_scan`] says [`Unsure`] and [`crate::scan_source`] falls back to the
//! reference scanner for that file. A differential test over the CPython standard library
//! and site-packages trees holds the two equal.

mod lexer;
mod literal;
mod parser;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;

use crate::condition::{self, Test};
use crate::{scope, Context, FileScan, ImportSite, ImportedName, SiteKind, Target};

use lexer::{Indent, Lexer, Tok, K};
use parser::{Dotted, Event, HeaderKind, LineOut, Parser, NONE};

/// Why the fast scanner handed a file to the full parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsure {
    /// What it met, in a few words.
    pub reason: &'static str,
    /// Byte offset in the source (0 when not tied to one place).
    pub offset: usize,
}

impl Unsure {
    pub(crate) fn at(reason: &'static str, offset: usize) -> Self {
        Unsure { reason, offset }
    }
}

/// Scans decoded source with the fast scanner, or says why it cannot be sure of the result
/// (then [`crate::scan_source`] is the answer).
pub fn try_scan(source: &str, target: Option<&Target>) -> Result<FileScan, Unsure> {
    let src = source.as_bytes();
    if lexer::has_lone_carriage_return(src) {
        return Err(Unsure::at("carriage return without line feed", 0));
    }
    let mut lexer = Lexer::new(source);
    let mut scanner = Scanner::new(source, target);
    let mut toks: Vec<Tok> = Vec::with_capacity(256);
    let mut out = LineOut::default();
    while let Some(indent) = lexer.next_line(&mut toks)? {
        let in_match = scanner.indentation(indent)?;
        let mut parser = Parser::new(source, &toks, lexer.records(), &mut out);
        parser.line(
            in_match,
            scanner.records_calls(),
            scanner.records_attributes(),
        )?;
        scanner.apply(&toks, &out)?;
    }
    scanner.finish()
}

/// What the enclosing blocks say about a statement (the reference scanner's `State`).
#[derive(Debug, Clone)]
struct State {
    context: Context,
    /// The innermost function or lambda (a `Scanner::nodes` index).
    function: Option<u32>,
    /// The innermost class, function or lambda, whose `__qualname__` prefixes a definition
    /// made here (`C.`, `f.<locals>.`); 0 at module level.
    scope: u32,
    /// Node of the `try` bodies enclosing the statement (see `Scanner::guards`).
    guard: u32,
    fallback_for: Option<u32>,
    module_level: bool,
    /// In a block of its function (or of the module) that may not run.
    conditional: bool,
    /// In the body of `for NAME in <literal strings>:` (a `Scanner::loops` index).
    loop_strings: Option<u32>,
    /// False in an `if` branch that the target decides never runs: nothing there counts.
    live: bool,
}

impl State {
    fn dead(&self) -> State {
        State {
            live: false,
            ..self.clone()
        }
    }

    fn maybe(&self) -> State {
        State {
            conditional: true,
            ..self.clone()
        }
    }

    fn with_context(&self, context: Context) -> State {
        let mut inner = self.clone();
        inner.context = scope::guarded_block(self.context, context);
        inner
    }
}

/// The compound statement that ended last at a level, which `elif` / `else` / `except` /
/// `finally` continue.
#[derive(Debug, Clone, Copy)]
enum Last {
    None,
    /// An `if` or `elif`: `rest_dead` once a branch was decided true; `uncertain` once a test
    /// was undecided (the later branches may not run).
    If {
        rest_dead: bool,
        uncertain: bool,
    },
    /// `for` / `while`, whose `else` runs after the loop.
    Loop,
    Try {
        /// Index in `Scanner::tries`.
        index: u32,
        handlers: bool,
        /// `except*` (Some(true)) or `except` (Some(false)), once a handler was seen.
        star: Option<bool>,
        orelse: bool,
    },
}

struct Level {
    indent: Indent,
    state: State,
    /// A `match` body: only `case` clauses stand here.
    in_match: bool,
    last: Last,
    /// A decorator was seen: a `def` or `class` must come next.
    decorated: bool,
    /// The last line here was `NAME = <literal strings>` alone: a `for` over NAME on the
    /// next line walks those strings.
    strings: Option<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Module,
    Class,
    /// A function or a lambda.
    Function,
}

#[derive(Debug, Clone, Copy)]
struct Node<'a> {
    parent: u32,
    name: &'a str,
    kind: NodeKind,
}

struct TryRecord {
    id: u32,
    /// Some handler catches a failed import.
    guards: bool,
}

struct Scanner<'a> {
    source: &'a str,
    target: Option<&'a Target>,
    lines: Lines,
    scan: FileScan,
    levels: Vec<Level>,
    /// The body state of a header whose block starts on the next line.
    pending: Option<(State, bool)>,
    /// Classes, functions and lambdas, each under the one it is defined in: `__qualname__`s
    /// are built from them only when a site or a call list needs one.
    nodes: Vec<Node<'a>>,
    /// Lambda nodes already made: (parent node, lambda node).
    lambda_nodes: Vec<(u32, u32)>,
    /// `for NAME in <literal strings>`: the name and the strings.
    loops: Vec<(&'a str, Vec<String>)>,
    /// The line before the current one in its block, when it was `NAME = <literal strings>`.
    previous_strings: Option<(String, Vec<String>)>,
    /// For each node, its index in `call_lists` (or `NONE`).
    call_list_of: Vec<u32>,
    /// The callees of a function node, in the order first met.
    call_lists: Vec<(u32, Vec<String>)>,
    tries: Vec<TryRecord>,
    /// `try`-body nodes: (index in `tries`, parent node); node 0 is "no enclosing try".
    guards: Vec<(u32, u32)>,
    /// The guard node of each site, resolved once every handler is known.
    site_guards: Vec<u32>,
    next_try_id: u32,
}

impl<'a> Scanner<'a> {
    fn new(source: &'a str, target: Option<&'a Target>) -> Self {
        let module = State {
            context: Context::Eager,
            function: None,
            scope: 0,
            guard: 0,
            fallback_for: None,
            module_level: true,
            conditional: false,
            loop_strings: None,
            live: true,
        };
        Scanner {
            source,
            target,
            lines: Lines::default(),
            scan: FileScan::default(),
            levels: vec![Level {
                indent: Indent::default(),
                state: module,
                in_match: false,
                last: Last::None,
                decorated: false,
                strings: None,
            }],
            pending: None,
            nodes: vec![Node {
                parent: NONE,
                name: "",
                kind: NodeKind::Module,
            }],
            lambda_nodes: Vec::new(),
            loops: Vec::new(),
            previous_strings: None,
            call_list_of: vec![NONE],
            call_lists: Vec::new(),
            tries: Vec::new(),
            guards: vec![(NONE, 0)],
            site_guards: Vec::new(),
            next_try_id: 0,
        }
    }

    fn text(&self, toks: &[Tok], i: u32) -> &'a str {
        let t = &toks[i as usize];
        &self.source[t.start as usize..t.end as usize]
    }

    fn node(&mut self, parent: u32, name: &'a str, kind: NodeKind) -> u32 {
        self.nodes.push(Node { parent, name, kind });
        self.call_list_of.push(NONE);
        self.nodes.len() as u32 - 1
    }

    /// `__qualname__` of a node: `C.method`, `f.<locals>.g`, `<lambda>`.
    fn qualname(&self, node: u32) -> String {
        let mut name = String::new();
        self.write_qualname(node, &mut name);
        name
    }

    fn write_qualname(&self, node: u32, out: &mut String) {
        let Node { parent, name, .. } = self.nodes[node as usize];
        let parent_node = &self.nodes[parent as usize];
        if parent_node.kind != NodeKind::Module {
            self.write_qualname(parent, out);
            out.push_str(if parent_node.kind == NodeKind::Class {
                "."
            } else {
                ".<locals>."
            });
        }
        out.push_str(name);
    }

    /// Whether the statements of the current level record the calls they make.
    fn records_calls(&self) -> bool {
        let state = &self.levels[self.levels.len() - 1].state;
        state.live
            && state.context == Context::Deferred
            && !state.conditional
            && state.function.is_some()
    }

    /// Whether the current line may run at import time, so its attribute chains are kept (a
    /// `def` line's inline body is told apart by its header event).
    fn records_attributes(&self) -> bool {
        scope::runs_at_import(self.levels[self.levels.len() - 1].state.context)
    }

    /// Opens or closes levels for a logical line's indentation; says whether the line sits in
    /// a `match` body.
    fn indentation(&mut self, indent: Indent) -> Result<bool, Unsure> {
        if let Some((state, in_match)) = self.pending.take() {
            let current = self.levels.last().expect("module level").indent;
            if indent.compare(current)? != Ordering::Greater {
                return Err(Unsure::at("expected an indented block", 0));
            }
            self.levels.push(Level {
                indent,
                state,
                in_match,
                last: Last::None,
                decorated: false,
                strings: None,
            });
            return Ok(in_match);
        }
        loop {
            let level = self.levels.last().expect("module level");
            match indent.compare(level.indent)? {
                Ordering::Equal => return Ok(level.in_match),
                Ordering::Greater => return Err(Unsure::at("unexpected indentation", 0)),
                Ordering::Less => {
                    if self.levels.len() == 1 {
                        return Err(Unsure::at("dedent below the module", 0));
                    }
                    let level = self.levels.pop().expect("checked");
                    Self::close(&level)?;
                }
            }
        }
    }

    fn close(level: &Level) -> Result<(), Unsure> {
        if level.decorated {
            return Err(Unsure::at("decorator without a definition", 0));
        }
        Self::end_compound(level.last)
    }

    fn end_compound(last: Last) -> Result<(), Unsure> {
        match last {
            Last::Try {
                handlers: false, ..
            } => Err(Unsure::at("try without except or finally", 0)),
            _ => Ok(()),
        }
    }

    fn apply(&mut self, toks: &[Tok], out: &LineOut) -> Result<(), Unsure> {
        let first_kind = toks[0].kind;
        let head = match first_kind {
            K::Elif => Some(HeaderKind::Elif),
            K::Else => Some(HeaderKind::Else),
            K::Except => Some(HeaderKind::Except),
            K::Finally => Some(HeaderKind::Finally),
            K::Def | K::Class | K::Async => out.events.iter().find_map(header_kind),
            _ => None,
        };
        let is_decorator = first_kind == K::At;
        let top = self.levels.len() - 1;
        let assigned = self.strings_assigned(toks)?;
        self.previous_strings = std::mem::replace(&mut self.levels[top].strings, assigned);
        {
            let level = &mut self.levels[top];
            let continues = matches!(
                head,
                Some(
                    HeaderKind::Elif | HeaderKind::Else | HeaderKind::Except | HeaderKind::Finally
                )
            );
            if !continues {
                Self::end_compound(level.last)?;
                level.last = Last::None;
            }
            if level.decorated
                && !is_decorator
                && !matches!(head, Some(HeaderKind::Def | HeaderKind::Class))
            {
                return Err(Unsure::at("decorator without a definition", 0));
            }
            level.decorated = is_decorator;
        }
        if out.events.is_empty() {
            // Most lines (in function bodies above all) report nothing.
            return Ok(());
        }
        let mut state = self.levels[top].state.clone();
        for event in &out.events {
            self.event(toks, out, top, &mut state, event)?;
        }
        Ok(())
    }

    /// `NAME = <literal strings>`, alone on its line (a trailing `;` aside).
    fn strings_assigned(&self, toks: &[Tok]) -> Result<Option<(String, Vec<String>)>, Unsure> {
        if toks.len() < 4 || toks[0].kind != K::Name || toks[1].kind != K::Equal {
            return Ok(None);
        }
        let Some(mut end) = toks.iter().position(|t| t.kind == K::Newline) else {
            return Ok(None);
        };
        if toks[end - 1].kind == K::Semi {
            end -= 1;
        }
        if toks[2..end].iter().any(|t| t.kind == K::Semi) {
            return Ok(None);
        }
        let values = literal::literal_strings(self.source.as_bytes(), &toks[2..end])?;
        Ok(values
            .filter(|values| !values.is_empty())
            .map(|values| (self.text(toks, 0).to_string(), values)))
    }

    fn event(
        &mut self,
        toks: &[Tok],
        out: &LineOut,
        top: usize,
        state: &mut State,
        event: &Event,
    ) -> Result<(), Unsure> {
        match *event {
            Event::Header {
                kind,
                name,
                test,
                catches,
                star,
                inline,
            } => {
                let body = self.header(toks, top, state, kind, name, test, catches, star)?;
                if inline {
                    *state = body;
                } else {
                    self.pending = Some((body, kind == HeaderKind::Match));
                }
            }
            Event::Decorator => {}
            _ if !state.live => {}
            Event::Import {
                stmt,
                lazy,
                module,
                alias,
            } => {
                let module = self.dotted(toks, module);
                let alias = (alias != NONE).then(|| self.text(toks, alias).to_string());
                let context = site_context(state, lazy);
                let site = self.site(state, toks[stmt as usize].start, SiteKind::Import, context);
                self.push_site(state, site, module, 0, Vec::new(), alias, state.function);
            }
            Event::From {
                stmt,
                lazy,
                level,
                module,
                names,
            } => {
                let module = module.map_or_else(String::new, |m| self.dotted(toks, m));
                let pairs = &out.scratch[names.start as usize..(names.start + names.len) as usize];
                let names = pairs
                    .chunks(2)
                    .map(|pair| ImportedName {
                        name: self.text(toks, pair[0]).to_string(),
                        asname: (pair[1] != NONE).then(|| self.text(toks, pair[1]).to_string()),
                    })
                    .collect();
                let context = site_context(state, lazy);
                let site = self.site(state, toks[stmt as usize].start, SiteKind::From, context);
                self.push_site(state, site, module, level, names, None, state.function);
            }
            Event::Dynamic {
                dunder,
                call,
                literal,
                variable,
                lambdas,
            } => {
                let values = if variable {
                    let name = self.text(toks, literal.0);
                    match state.loop_strings {
                        Some(index) if self.loops[index as usize].0 == name => {
                            self.loops[index as usize].1.clone()
                        }
                        _ => return Ok(()),
                    }
                } else {
                    vec![literal::literal_value(
                        self.source.as_bytes(),
                        &toks[literal.0 as usize..=literal.1 as usize],
                    )?]
                };
                let (context, function) = self.in_lambdas(state, lambdas);
                let kind = if dunder {
                    SiteKind::DunderImport
                } else {
                    SiteKind::ImportModule
                };
                for text in values {
                    let module = text.trim_start_matches('.');
                    let level = (text.len() - module.len()) as u32;
                    if module.is_empty() && level == 0 {
                        continue;
                    }
                    let module = module.to_string();
                    let site = self.site(state, toks[call as usize].start, kind, context);
                    self.push_site(state, site, module, level, Vec::new(), None, function);
                }
            }
            Event::Call { callee, lambdas } => {
                let (context, function) = self.in_lambdas(state, lambdas);
                if let (Context::Deferred, false, Some(function)) =
                    (context, state.conditional, function)
                {
                    // One token spells most callees: compare before allocating.
                    let single =
                        (callee.first == callee.last).then(|| self.text(toks, callee.first));
                    let mut list = self.call_list_of[function as usize];
                    if list == NONE {
                        list = self.call_lists.len() as u32;
                        self.call_lists.push((function, Vec::new()));
                        self.call_list_of[function as usize] = list;
                    }
                    let callees = &mut self.call_lists[list as usize].1;
                    let known = match single {
                        Some(text) => callees.iter().any(|c| c == text),
                        None => {
                            let text = literal::dotted_text(self.source, toks, callee);
                            callees.contains(&text)
                        }
                    };
                    if !known {
                        callees.push(literal::dotted_text(self.source, toks, callee));
                    }
                }
            }
            Event::ClassBase { class, metaclass } => {
                if scope::runs_at_import(state.context) {
                    let name = self.dotted(toks, class);
                    let offset = toks[class.first as usize].start as usize;
                    let (line, _) = self.lines.line_column(self.source, offset);
                    let methods: &[&str] = if metaclass {
                        &["__new__", "__init__"]
                    } else {
                        &["__init_subclass__"]
                    };
                    for method in methods {
                        let callee = format!("{name}.{method}");
                        if !self.scan.eager_calls.contains(&callee) {
                            self.scan.eager_calls.push(callee);
                            self.scan.eager_call_lines.push(line);
                        }
                    }
                }
            }
            Event::EagerCall { callee } => {
                if scope::runs_at_import(state.context) {
                    let name = self.dotted(toks, callee);
                    if !self.scan.eager_calls.contains(&name) {
                        let offset = toks[callee.first as usize].start as usize;
                        let (line, _) = self.lines.line_column(self.source, offset);
                        self.scan.eager_calls.push(name);
                        self.scan.eager_call_lines.push(line);
                    }
                }
            }
            Event::Attribute { chain, lambdas } => {
                if lambdas == 0 && scope::runs_at_import(state.context) {
                    let name = self.dotted(toks, chain);
                    let offset = toks[chain.first as usize].start as usize;
                    let (line, _) = self.lines.line_column(self.source, offset);
                    let first = self.scan.eager_attributes.entry(name).or_insert(line);
                    *first = (*first).min(line);
                }
            }
            Event::ModuleAssign {
                name,
                value,
                augmented,
            } => {
                if state.module_level {
                    let strings = literal::literal_strings(
                        self.source.as_bytes(),
                        &toks[value.0 as usize..value.1 as usize],
                    )?;
                    let slot = match self.text(toks, name) {
                        "__all__" => &mut self.scan.all,
                        _ => &mut self.scan.lazy_modules,
                    };
                    if let Some(strings) = strings {
                        match slot {
                            Some(existing) if augmented => existing.extend(strings),
                            _ if augmented => {}
                            _ => *slot = Some(strings),
                        }
                    }
                }
            }
            Event::Alias { name, value } => {
                if state.module_level {
                    let name = self.text(toks, name).to_string();
                    let value = self.dotted(toks, value);
                    self.scan.aliases.insert(name, value);
                }
            }
            Event::Register { key } => {
                if scope::runs_at_import(state.context) {
                    let key = literal::literal_value(
                        self.source.as_bytes(),
                        &toks[key.0 as usize..=key.1 as usize],
                    )?;
                    self.scan.registers.push(key);
                }
            }
        }
        Ok(())
    }

    /// The context and function of code inside `lambdas` nested lambdas: deferred, in
    /// `<lambda>` (the reference scanner's visitor does the same).
    fn in_lambdas(&mut self, state: &State, lambdas: u32) -> (Context, Option<u32>) {
        if lambdas == 0 {
            return (state.context, state.function);
        }
        let context = scope::function_body(state.context);
        let mut node = state.scope;
        for _ in 0..lambdas {
            node = match self.lambda_nodes.iter().find(|(parent, _)| *parent == node) {
                Some(&(_, lambda)) => lambda,
                None => {
                    let lambda = self.node(node, "<lambda>", NodeKind::Function);
                    self.lambda_nodes.push((node, lambda));
                    lambda
                }
            };
        }
        (context, Some(node))
    }

    /// The body state a header opens, and what it leaves for the clauses that may follow.
    #[allow(clippy::too_many_arguments)]
    fn header(
        &mut self,
        toks: &[Tok],
        top: usize,
        state: &State,
        kind: HeaderKind,
        name: u32,
        test: (u32, u32),
        catches: bool,
        star: bool,
    ) -> Result<State, Unsure> {
        let last = self.levels[top].last;
        let (body, next) = match kind {
            HeaderKind::If => {
                let (body, rest_dead, uncertain) = self.branch(toks, state, test, false, false)?;
                (
                    body,
                    Last::If {
                        rest_dead,
                        uncertain,
                    },
                )
            }
            HeaderKind::Elif => {
                let Last::If {
                    rest_dead,
                    uncertain,
                } = last
                else {
                    return Err(Unsure::at("elif without if", 0));
                };
                let (body, rest_dead, uncertain) =
                    self.branch(toks, state, test, rest_dead, uncertain)?;
                (
                    body,
                    Last::If {
                        rest_dead,
                        uncertain,
                    },
                )
            }
            HeaderKind::Else => match last {
                Last::If {
                    rest_dead,
                    uncertain,
                } => {
                    let body = if rest_dead {
                        state.dead()
                    } else if uncertain {
                        state.maybe()
                    } else {
                        state.clone()
                    };
                    (body, Last::None)
                }
                Last::Loop => (state.maybe(), Last::None),
                Last::Try {
                    handlers: true,
                    star,
                    orelse: false,
                    index,
                } => (
                    state.clone(),
                    Last::Try {
                        index,
                        handlers: true,
                        star,
                        orelse: true,
                    },
                ),
                _ => return Err(Unsure::at("else without its statement", 0)),
            },
            HeaderKind::While => (state.maybe(), Last::Loop),
            HeaderKind::For => (self.loop_body(toks, state, name, test)?, Last::Loop),
            HeaderKind::Try => {
                let id = if state.live {
                    self.next_try_id += 1;
                    self.next_try_id - 1
                } else {
                    NONE
                };
                let index = self.tries.len() as u32;
                self.tries.push(TryRecord { id, guards: false });
                self.guards.push((index, state.guard));
                let mut body = state.clone();
                body.guard = self.guards.len() as u32 - 1;
                (
                    body,
                    Last::Try {
                        index,
                        handlers: false,
                        star: None,
                        orelse: false,
                    },
                )
            }
            HeaderKind::Except => {
                let Last::Try {
                    index,
                    star: seen,
                    orelse: false,
                    ..
                } = last
                else {
                    return Err(Unsure::at("except without try", 0));
                };
                if seen.is_some_and(|s| s != star) {
                    return Err(Unsure::at("except mixed with except*", 0));
                }
                let record = &mut self.tries[index as usize];
                record.guards |= catches;
                // A handler runs only when the body raised, whatever it catches.
                let mut body = state.maybe();
                body.fallback_for = Some(record.id);
                (
                    body,
                    Last::Try {
                        index,
                        handlers: true,
                        star: Some(star),
                        orelse: false,
                    },
                )
            }
            HeaderKind::Finally => {
                let Last::Try { .. } = last else {
                    return Err(Unsure::at("finally without try", 0));
                };
                (state.clone(), Last::None)
            }
            HeaderKind::With | HeaderKind::Match => (state.clone(), Last::None),
            HeaderKind::Case => (state.maybe(), Last::None),
            HeaderKind::Def => {
                let name = self.text(toks, name);
                if state.live && state.module_level && name == "__getattr__" {
                    self.scan.has_getattr = true;
                }
                (self.in_function(state, name), Last::None)
            }
            HeaderKind::Class => {
                let name = self.text(toks, name);
                (self.in_class(state, name), Last::None)
            }
        };
        self.levels[top].last = next;
        Ok(body)
    }

    /// A `for` body: certain to run, with its variable's values known, when the loop walks a
    /// non-empty literal of strings; else conditional.
    fn loop_body(
        &mut self,
        toks: &[Tok],
        state: &State,
        name: u32,
        iter: (u32, u32),
    ) -> Result<State, Unsure> {
        let iter = &toks[iter.0 as usize..iter.1 as usize];
        let mut strings = literal::literal_strings(self.source.as_bytes(), iter)?;
        // A name the line just before bound to a literal of strings.
        if let ([only], None) = (iter, &strings) {
            if only.kind == K::Name {
                let name = &self.source[only.start as usize..only.end as usize];
                strings = self
                    .previous_strings
                    .take()
                    .filter(|(previous, _)| previous == name)
                    .map(|(_, values)| values);
            }
        }
        match strings {
            Some(values) if !values.is_empty() && name != NONE => {
                if !state.live {
                    return Ok(state.clone());
                }
                self.loops.push((self.text(toks, name), values));
                let mut body = state.clone();
                body.loop_strings = Some(self.loops.len() as u32 - 1);
                Ok(body)
            }
            _ => Ok(state.maybe()),
        }
    }

    /// The body state of an `if` / `elif` branch, whether the branches after it are dead, and
    /// whether they are uncertain.
    fn branch(
        &mut self,
        toks: &[Tok],
        state: &State,
        test: (u32, u32),
        rest_dead: bool,
        uncertain: bool,
    ) -> Result<(State, bool, bool), Unsure> {
        if rest_dead || !state.live {
            return Ok((state.dead(), true, uncertain));
        }
        let certain = if uncertain {
            state.maybe()
        } else {
            state.clone()
        };
        Ok(match self.classify(toks, test)? {
            Test::TypeChecking => (state.with_context(Context::TypeChecking), false, uncertain),
            Test::MainGuard => (state.with_context(Context::MainGuard), false, uncertain),
            Test::Decided(true) => (certain, true, uncertain),
            Test::Decided(false) => (state.dead(), false, uncertain),
            Test::Unknown => (state.maybe(), false, true),
        })
    }

    /// Runs the shared condition evaluator on an `if` test, after a token check that skips the
    /// (common) tests it cannot decide.
    fn classify(&self, toks: &[Tok], test: (u32, u32)) -> Result<Test, Unsure> {
        let tokens = &toks[test.0 as usize..=test.1 as usize];
        let decidable = (0..tokens.len()).any(|i| self.may_decide(tokens, i));
        if !decidable {
            return Ok(Test::Unknown);
        }
        let text = &self.source[tokens[0].start as usize..tokens[tokens.len() - 1].end as usize];
        // Parenthesized, the test parses alone even as an unparenthesized `x := y`; the
        // parentheses change nothing in the expression.
        let parsed = ruff_python_parser::parse_expression(&format!("({text})")).map_err(|_| {
            Unsure::at(
                "if test the expression parser rejects alone",
                tokens[0].start as usize,
            )
        })?;
        Ok(condition::classify(parsed.expr(), self.target))
    }

    /// Whether token `i` of an `if` test can make the shared evaluator decide it (when no
    /// token can, the test is `Unknown` without a parse). It follows `condition.rs`: the
    /// interpreter values it knows (`sys.version_info`, `sys.platform`, `os.name`,
    /// `platform.system()`), `TYPE_CHECKING`, `__name__`, the `PY2`/`PY3` flags, and literals
    /// that stand alone as an operand of `not` / `and` / `or` (a `0` compared or added to is
    /// never decided on its own). Erring towards `true` only costs a parse.
    fn may_decide(&self, tokens: &[Tok], i: usize) -> bool {
        let t = &tokens[i];
        match t.kind {
            K::Number | K::True | K::False => {
                let alone = |kind: Option<K>| {
                    matches!(
                        kind,
                        None | Some(K::LPar | K::RPar | K::Not | K::And | K::Or)
                    )
                };
                alone(i.checked_sub(1).map(|p| tokens[p].kind))
                    && alone(tokens.get(i + 1).map(|n| n.kind))
            }
            K::Name | K::Dotted => {
                let text = &self.source[t.start as usize..t.end as usize];
                let starts = |prefix: &str| {
                    text.strip_prefix(prefix)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                };
                let last = text.rsplit('.').next().unwrap_or(text);
                matches!(
                    last,
                    "TYPE_CHECKING"
                        | "PY2"
                        | "IS_PY2"
                        | "is_py2"
                        | "PY3"
                        | "PY3K"
                        | "IS_PY3"
                        | "is_py3"
                ) || text == "__name__"
                    || starts("sys.version_info")
                    || starts("sys.platform")
                    || starts("os.name")
                    || starts("platform.system")
                    // `sys . platform` written with spaces: let the parser see it.
                    || (matches!(text, "sys" | "os" | "platform")
                        && tokens.get(i + 1).is_some_and(|n| n.kind == K::Dot))
            }
            _ => false,
        }
    }

    fn in_function(&mut self, state: &State, name: &'a str) -> State {
        let mut inner = state.clone();
        inner.module_level = false;
        inner.context = scope::function_body(state.context);
        inner.conditional = false;
        let node = self.node(state.scope, name, NodeKind::Function);
        inner.function = Some(node);
        inner.scope = node;
        inner
    }

    fn in_class(&mut self, state: &State, name: &'a str) -> State {
        let mut inner = state.clone();
        inner.module_level = false;
        inner.scope = self.node(state.scope, name, NodeKind::Class);
        inner
    }

    fn dotted(&self, toks: &[Tok], dotted: Dotted) -> String {
        literal::dotted_text(self.source, toks, dotted)
    }

    /// A site's position and context; the caller fills in what it imports.
    fn site(&mut self, state: &State, offset: u32, kind: SiteKind, context: Context) -> ImportSite {
        let (line, column) = self.lines.line_column(self.source, offset as usize);
        ImportSite {
            fallback_for: state.fallback_for,
            conditional: state.conditional,
            ..ImportSite::new(kind, String::new(), 0, context, line, column)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_site(
        &mut self,
        state: &State,
        mut site: ImportSite,
        module: String,
        level: u32,
        names: Vec<ImportedName>,
        alias: Option<String>,
        function: Option<u32>,
    ) {
        // PEP 810: `__lazy_modules__` makes the eager imports after it of the modules it names
        // lazy, on a target that honours it (as the reference decides it, site by site).
        if site.context == Context::Eager
            && level == 0
            && matches!(site.kind, SiteKind::Import | SiteKind::From)
            && self.target.is_some_and(Target::supports_lazy_imports)
            && self
                .scan
                .lazy_modules
                .as_ref()
                .is_some_and(|m| m.contains(&module))
        {
            site.context = Context::Lazy;
        }
        site.module = module;
        site.level = level;
        site.names = names;
        site.alias = alias;
        site.function = function.map(|f| self.qualname(f));
        self.scan.sites.push(site);
        self.site_guards.push(state.guard);
    }

    fn finish(mut self) -> Result<FileScan, Unsure> {
        if self.pending.is_some() {
            return Err(Unsure::at(
                "expected an indented block at end of file",
                self.source.len(),
            ));
        }
        while let Some(level) = self.levels.pop() {
            Self::close(&level)?;
        }
        for (site, &guard) in self.scan.sites.iter_mut().zip(&self.site_guards) {
            let mut node = guard;
            while node != 0 {
                let (index, parent) = self.guards[node as usize];
                let record = &self.tries[index as usize];
                if record.guards {
                    site.optional = true;
                    site.try_id = Some(record.id);
                    break;
                }
                node = parent;
            }
        }
        // Two functions may share a qualified name (a redefinition, a property setter): their
        // lists merge, the first one's callees first, as the reference's one map does.
        for (function, callees) in std::mem::take(&mut self.call_lists) {
            let qualname = self.qualname(function);
            match self.scan.calls.get_mut(&qualname) {
                Some(existing) => {
                    for callee in callees {
                        if !existing.contains(&callee) {
                            existing.push(callee);
                        }
                    }
                }
                None => {
                    self.scan.calls.insert(qualname, callees);
                }
            }
        }
        Ok(self.scan)
    }
}

/// Line and column of offsets met in increasing order, counted from the last one: sites are
/// sparse, so this reads far less than indexing every line start of the file would. Agrees with
/// [`crate::LineIndex`] on files without lone carriage returns (the only ones scanned here).
#[derive(Debug, Default)]
struct Lines {
    offset: usize,
    /// 1-based line of `offset`, minus one.
    line: usize,
    line_start: usize,
}

impl Lines {
    fn line_column(&mut self, source: &str, offset: usize) -> (u32, u32) {
        if offset < self.offset {
            *self = Lines::default();
        }
        let bytes = source.as_bytes();
        let between = &bytes[self.offset..offset];
        let newlines = count_newlines(between);
        if newlines > 0 {
            self.line += newlines;
            self.line_start = self.offset + memchr::memrchr(b'\n', between).expect("counted") + 1;
        }
        self.offset = offset;
        let prefix = &bytes[self.line_start..offset];
        let column = if prefix.is_ascii() {
            prefix.len()
        } else {
            source[self.line_start..offset].chars().count()
        };
        (self.line as u32 + 1, column as u32 + 1)
    }
}

/// `\n` bytes in `bytes`, counted in byte-sized lanes (255 bytes at a time) so the loop
/// vectorizes; a plain `filter().count()` does not.
fn count_newlines(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            chunk
                .iter()
                .fold(0u8, |count, &b| count + u8::from(b == b'\n')) as usize
        })
        .sum()
}

fn header_kind(event: &Event) -> Option<HeaderKind> {
    match event {
        Event::Header { kind, .. } => Some(*kind),
        _ => None,
    }
}

fn site_context(state: &State, lazy: bool) -> Context {
    scope::import_statement(state.context, lazy)
}
