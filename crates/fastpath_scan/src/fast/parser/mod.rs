//! The fast scanner's recognizer: checks that one logical line is valid Python and reports,
//! as [`Event`]s, only what the scan needs from it.
//!
//! It follows the grammar closely enough to say "this line is valid" soundly (every construct
//! it accepts, ruff's parser accepts without error), but it builds no tree: each expression
//! comes back as a [`Shape`] of a few bits (is it a name, a dotted name, a call, a string, a
//! valid assignment target?). Whatever it does not recognize, valid or not, is [`Unsure`]:
//! rejecting valid code only costs a fallback to the full parser, accepting invalid code would
//! hide a syntax error, so when in doubt it rejects.

mod expression;
mod pattern;
mod statement;

use super::lexer::{FieldRecord, Tok, K};
use std::cell::Cell;

use super::Unsure;

/// A span of `LineOut::scratch` (the name/alias pairs of a `from` import).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub len: u32,
}

/// Tokens `first..=last` spelling a dotted name: its parts are the `Name` and `Dotted`
/// tokens among them (dots and the parentheses of `(a).b` are skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dotted {
    pub first: u32,
    pub last: u32,
}

pub(crate) const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderKind {
    If,
    Elif,
    Else,
    While,
    For,
    Try,
    Except,
    Finally,
    With,
    Def,
    Class,
    Match,
    Case,
}

/// What the scanner learns from a logical line, in source order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    /// A compound statement's header; its body follows (on this line when `inline`).
    Header {
        kind: HeaderKind,
        /// Name token of a `def` / `class`; the loop variable of a `for` whose target is one
        /// name; else `NONE`.
        name: u32,
        /// First and last token of an `if` / `elif` test; of a `for` iterable.
        test: (u32, u32),
        /// For `except`: whether the clause catches a failed import.
        catches: bool,
        /// For `except`: `except*`.
        star: bool,
        inline: bool,
    },
    /// A decorator line (`@...`); a `def` or `class` must follow.
    Decorator,
    /// `import a.b as c`: one event per alias.
    Import {
        /// The `import` (or `lazy`) token the statement starts with.
        stmt: u32,
        lazy: bool,
        module: Dotted,
        /// Token of the `as` name, or `NONE`.
        alias: u32,
    },
    /// `from ..a.b import c as d, e`.
    From {
        stmt: u32,
        lazy: bool,
        level: u32,
        /// `None` for `from . import x`.
        module: Option<Dotted>,
        /// Pairs of (name token, asname token or `NONE`); a `*` import is the `*` token.
        names: Span,
    },
    /// `importlib.import_module("literal")` / `__import__("literal")`, or with a name as
    /// argument (a loop variable may make it literal).
    Dynamic {
        dunder: bool,
        /// First token of the called expression: where the call starts.
        call: u32,
        /// First and last token of the literal (implicit concatenation spans several), or the
        /// name token twice.
        literal: (u32, u32),
        /// The argument is a name, not a literal.
        variable: bool,
        /// Lambdas around the call.
        lambdas: u32,
    },
    /// A call whose callee is a dotted name, anywhere in a walked expression.
    Call { callee: Dotted, lambdas: u32 },
    /// Module-level `name = other.name` (one target).
    Alias { name: u32, value: Dotted },
    /// `sys.modules["name"] = ...`: tokens of the key literal.
    Register { key: (u32, u32) },
    /// A statement-level call (or decorator) whose callee is a dotted name.
    EagerCall { callee: Dotted },
    /// A whole attribute chain on a name (`a.b.c`), on a line that may run at import.
    Attribute { chain: Dotted, lambdas: u32 },
    /// A class statement's base (`metaclass: false`) or metaclass written as a dotted name:
    /// defining the class calls its `__init_subclass__`, or its `__new__` and `__init__`.
    ClassBase { class: Dotted, metaclass: bool },
    /// `__all__` / `__lazy_modules__` assigned (`=`, `:`-annotated, or augmented).
    ModuleAssign {
        name: u32,
        /// Token range of the value (end exclusive).
        value: (u32, u32),
        augmented: bool,
    },
}

/// Buffers reused from line to line.
#[derive(Default)]
pub(crate) struct LineOut {
    pub events: Vec<Event>,
    pub scratch: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SK {
    Name,
    Attr,
    Subscript,
    /// `sys.modules["literal"]`: a subscript whose key tokens sit in the dotted fields.
    SysModules,
    Call,
    /// A plain (not bytes, not interpolated) string literal.
    Str,
    Starred,
    Tuple,
    List,
    Yield,
    Other,
}

/// What the scan needs to know about an expression: 16 bytes, so that the `Result` every
/// grammar rule returns travels in registers.
#[derive(Debug, Clone, Copy)]
struct Shape {
    kind: SK,
    /// Valid as an assignment target.
    target: bool,
    /// Holds a starred expression at the top (invalid in `del`).
    star: bool,
    /// Written inside parentheses that add nothing (`(a)`).
    paren: bool,
    /// For names and attribute chains on a name, its tokens (see [`Dotted`]); for calls, the
    /// callee's. `NONE`: not a dotted name.
    dotted_first: u32,
    dotted_last: u32,
    /// First token (for strings: of the implicitly concatenated group).
    first: u32,
}

impl Shape {
    fn new(kind: SK, first: usize) -> Self {
        Shape {
            kind,
            target: false,
            star: false,
            paren: false,
            dotted_first: NONE,
            dotted_last: NONE,
            first: first as u32,
        }
    }

    fn dotted(&self) -> Option<Dotted> {
        (self.dotted_first != NONE).then_some(Dotted {
            first: self.dotted_first,
            last: self.dotted_last,
        })
    }

    fn set_dotted(&mut self, dotted: Option<Dotted>) {
        (self.dotted_first, self.dotted_last) = match dotted {
            Some(dotted) => (dotted.first, dotted.last),
            None => (NONE, NONE),
        };
    }

    /// A name token (`Name`, or `Dotted` for `a.b`) as an expression.
    fn name(kind: K, at: usize) -> Shape {
        let mut shape = Shape::new(if kind == K::Name { SK::Name } else { SK::Attr }, at);
        shape.target = true;
        shape.set_dotted(Some(Dotted {
            first: at as u32,
            last: at as u32,
        }));
        shape
    }
}

/// The first positional argument of a call, when it can make a dynamic import.
#[derive(Debug, Clone, Copy)]
enum Argument {
    Literal(u32),
    Name(u32),
}

/// Whether a line starting with this token may hold statements that record calls when the
/// statements around it do not: only a `def` body on the same line starts a new, unconditional
/// function (every other inline body is as conditional as the header's level).
fn opens_block(kind: K) -> bool {
    matches!(kind, K::Def | K::Async)
}

/// Whether a token after an operand extends the expression (a trailer, an operator, string
/// concatenation, a conditional).
fn continues_operand(kind: K) -> bool {
    matches!(
        kind,
        K::Dot
            | K::LPar
            | K::LSqb
            | K::Str
            | K::Plus
            | K::Minus
            | K::Star
            | K::DoubleStar
            | K::BinOp
            | K::At
            | K::Compare
            | K::In
            | K::Not
            | K::Is
            | K::And
            | K::Or
            | K::If
    )
}

/// Whether a token can start an expression.
fn starts_expression(kind: K) -> bool {
    matches!(
        kind,
        K::Name
            | K::Dotted
            | K::Number
            | K::Str
            | K::False
            | K::None
            | K::True
            | K::Ellipsis
            | K::LPar
            | K::LSqb
            | K::LBrace
            | K::Minus
            | K::Plus
            | K::Tilde
            | K::Not
            | K::Lambda
            | K::Await
            | K::Star
    )
}

pub(crate) struct Parser<'a> {
    source: &'a str,
    src: &'a [u8],
    toks: &'a [Tok],
    /// Index of the line's `Newline`: the tokens after it are f-string fields (`records`).
    line_end: usize,
    records: &'a [FieldRecord],
    p: usize,
    cur: K,
    out: &'a mut LineOut,
    lambda_depth: u32,
    /// Whether calls outside lambdas are reported (see [`Parser::line`]).
    calls: bool,
    /// Whether calls found now are reported: the reference scanner walks only some parts of a
    /// statement (not annotations, `with` targets, `del` targets, type aliases).
    walk: bool,
    /// Whether attribute chains are reported (the line may run at import time).
    attributes: bool,
    why: Cell<Unsure>,
}

/// The recognizer gave up; the reason waits in `Parser::why`. Zero-sized, so the `Result`s
/// threaded through every grammar rule stay as small as the shapes they carry.
#[derive(Debug)]
pub(crate) struct Bail;

type R<T> = Result<T, Bail>;

impl<'a> Parser<'a> {
    pub(crate) fn new(
        source: &'a str,
        toks: &'a [Tok],
        records: &'a [FieldRecord],
        out: &'a mut LineOut,
    ) -> Self {
        let line_end = records
            .first()
            .map_or(toks.len() - 1, |r| r.start as usize - 1);
        out.events.clear();
        out.scratch.clear();
        Parser {
            source,
            src: source.as_bytes(),
            toks,
            line_end,
            records,
            p: 0,
            out,
            cur: toks[0].kind,
            lambda_depth: 0,
            calls: true,
            walk: true,
            attributes: false,
            why: Cell::new(Unsure::at("", 0)),
        }
    }

    /// The current token's kind, kept in a field: the grammar asks for it several times per
    /// token, and an indexed load with its bounds check each time showed in profiles.
    #[inline]
    fn kind(&self) -> K {
        self.cur
    }

    #[inline]
    fn bump(&mut self) {
        self.p += 1;
        self.cur = self.kind_at(self.p);
    }

    #[inline]
    fn bump_by(&mut self, n: usize) {
        self.p += n;
        self.cur = self.kind_at(self.p);
    }

    #[inline]
    fn kind_at(&self, p: usize) -> K {
        self.toks.get(p).map_or(K::Newline, |t| t.kind)
    }

    fn text(&self, p: usize) -> &'a [u8] {
        let t = &self.toks[p];
        &self.src[t.start as usize..t.end as usize]
    }

    fn unsure(&self, why: &'static str) -> Bail {
        let offset = self.toks[self.p.min(self.toks.len() - 1)].start as usize;
        self.why.set(Unsure::at(why, offset));
        Bail
    }

    fn reason(&self) -> Unsure {
        self.why.get()
    }

    #[inline]
    fn eat(&mut self, kind: K) -> bool {
        if self.kind() == kind {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: K, why: &'static str) -> R<()> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.unsure(why))
        }
    }

    fn is_soft(&self, p: usize, word: &[u8]) -> bool {
        self.kind_at(p) == K::Name && self.text(p) == word
    }

    // ---------------------------------------------------------------- statements

    /// One logical line. `in_match` says the line sits directly in a `match` body, where only
    /// `case` clauses may stand.
    /// `calls`: whether the statements of this line record the calls they make (the scanner
    /// knows: in a function, outside its conditional blocks). Calls in lambdas, and on lines
    /// that define a function (its inline body records them), are reported regardless.
    /// `attributes`: whether the line may run at import time, so its attribute chains matter.
    pub(crate) fn line(
        &mut self,
        in_match: bool,
        calls: bool,
        attributes: bool,
    ) -> Result<(), Unsure> {
        self.calls = calls || opens_block(self.kind());
        self.attributes = attributes;
        self.statement_line(in_match).map_err(|Bail| self.reason())
    }
}
