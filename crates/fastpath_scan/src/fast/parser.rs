//! The fast scanner's recognizer: checks that one logical line is valid Python and reports,
//! as [`Event`]s, only what the scan needs from it.
//!
//! It follows the grammar closely enough to say "this line is valid" soundly (every construct
//! it accepts, ruff's parser accepts without error), but it builds no tree: each expression
//! comes back as a [`Shape`] of a few bits (is it a name, a dotted name, a call, a string, a
//! valid assignment target?). Whatever it does not recognize, valid or not, is [`Unsure`]:
//! rejecting valid code only costs a fallback to the full parser, accepting invalid code would
//! hide a syntax error, so when in doubt it rejects.

use super::lexer::{FieldRecord, Tok, K, STR_BYTES, STR_ESCAPES, STR_INTERPOLATED};
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
    pub(crate) fn line(&mut self, in_match: bool, calls: bool) -> Result<(), Unsure> {
        self.calls = calls || opens_block(self.kind());
        self.statement_line(in_match).map_err(|Bail| self.reason())
    }

    fn statement_line(&mut self, in_match: bool) -> R<()> {
        if in_match {
            if !self.is_soft(0, b"case") {
                return Err(self.unsure("statement in a match body"));
            }
            return self.case_clause();
        }
        let header = match self.kind() {
            K::If | K::Elif | K::While => {
                let kind = match self.kind() {
                    K::If => HeaderKind::If,
                    K::Elif => HeaderKind::Elif,
                    _ => HeaderKind::While,
                };
                self.bump();
                let first = self.p as u32;
                // The reference scanner does not walk `elif` tests (see the report).
                let walk = self.walk;
                self.walk &= kind != HeaderKind::Elif;
                self.named_expression()?;
                self.walk = walk;
                let test = (first, self.p as u32 - 1);
                self.header(kind, NONE, test, false, false)
            }
            K::Else | K::Try | K::Finally => {
                let kind = match self.kind() {
                    K::Else => HeaderKind::Else,
                    K::Try => HeaderKind::Try,
                    _ => HeaderKind::Finally,
                };
                self.bump();
                self.header(kind, NONE, (0, 0), false, false)
            }
            K::Except => self.except_clause(),
            K::For => self.for_header(),
            K::With => self.with_header(),
            K::Def => self.def_header(),
            K::Class => self.class_header(),
            K::Async => {
                self.bump();
                match self.kind() {
                    K::Def => self.def_header(),
                    K::For => self.for_header(),
                    K::With => self.with_header(),
                    _ => Err(self.unsure("`async` before a simple statement")),
                }
            }
            K::At => {
                self.bump();
                let shape = self.named_expression()?;
                let callee = match shape.kind {
                    SK::Call => shape.dotted(),
                    SK::Name | SK::Attr => shape.dotted(),
                    _ => None,
                };
                self.out.events.push(Event::Decorator);
                if let Some(callee) = callee {
                    self.out.events.push(Event::EagerCall { callee });
                }
                return self.expect(K::Newline, "decorator followed by more");
            }
            K::Name if self.text(0) == b"match" && self.is_match_statement() => {
                self.bump();
                self.star_expressions(true)?;
                self.header(HeaderKind::Match, NONE, (0, 0), false, false)
            }
            _ => return self.simple_statements(),
        };
        header
    }

    /// A soft-keyword `match` starts a statement when the line ends with a `:` header.
    fn is_match_statement(&self) -> bool {
        let n = self.line_end + 1;
        n >= 3
            && self.toks[n - 2].kind == K::Colon
            && !matches!(
                self.kind_at(1),
                K::Equal
                    | K::Dot
                    | K::Colon
                    | K::AugAssign
                    | K::Comma
                    | K::RPar
                    | K::Newline
                    | K::BinOp
                    | K::Compare
                    | K::If
                    | K::In
                    | K::Is
                    | K::And
                    | K::Or
            )
    }

    /// The `:` ending a header, then the inline body if any.
    fn header(
        &mut self,
        kind: HeaderKind,
        name: u32,
        test: (u32, u32),
        catches: bool,
        star: bool,
    ) -> R<()> {
        self.expect(K::Colon, "header without its `:`")?;
        let inline = self.kind() != K::Newline;
        self.out.events.push(Event::Header {
            kind,
            name,
            test,
            catches,
            star,
            inline,
        });
        if inline {
            if kind == HeaderKind::Match {
                return Err(self.unsure("inline match body"));
            }
            self.simple_statements()
        } else {
            self.bump();
            Ok(())
        }
    }

    fn case_clause(&mut self) -> R<()> {
        self.bump();
        self.patterns()?;
        let mut test = (0, 0);
        if self.eat(K::If) {
            let first = self.p as u32;
            self.named_expression()?;
            test = (first, self.p as u32 - 1);
        }
        self.header(HeaderKind::Case, NONE, test, false, false)
    }

    fn except_clause(&mut self) -> R<()> {
        self.bump();
        let star = self.eat(K::Star);
        let mut catches = true;
        if self.kind() != K::Colon {
            catches = false;
            // `except A, B:` is accepted (Python 3.14 syntax) and means a tuple.
            loop {
                catches |= self.except_type()?;
                if !self.eat(K::Comma) {
                    break;
                }
                if !starts_expression(self.kind()) {
                    return Err(self.unsure("trailing comma in except"));
                }
            }
            if self.eat(K::As) {
                self.expect(K::Name, "except ... as needs a name")?;
            }
        } else if star {
            return Err(self.unsure("bare except*"));
        }
        self.header(HeaderKind::Except, NONE, (0, 0), catches, star)
    }

    /// One exception type (or parenthesized tuple of them); whether it catches `ImportError`.
    fn except_type(&mut self) -> R<bool> {
        if self.kind() == K::LPar {
            self.bump();
            let mut catches = false;
            while self.kind() != K::RPar {
                catches |= self.except_type()?;
                if !self.eat(K::Comma) {
                    break;
                }
            }
            self.expect(K::RPar, "except type")?;
            if !matches!(self.kind(), K::Comma | K::As | K::Colon | K::RPar) {
                return Err(self.unsure("complex except type"));
            }
            return Ok(catches);
        }
        let shape = self.expression()?;
        Ok(match (shape.kind, shape.dotted()) {
            (SK::Name | SK::Attr, Some(parts)) => {
                let last = self.text(parts.last as usize);
                let last = last.rsplit(|&c| c == b'.').next().unwrap_or(last);
                matches!(
                    last,
                    b"ImportError" | b"ModuleNotFoundError" | b"Exception" | b"BaseException"
                )
            }
            _ => false,
        })
    }

    fn for_header(&mut self) -> R<()> {
        self.bump();
        let target = self.p;
        self.target_list()?;
        // `for name in [...]`: the scanner reads the literal iterable.
        // `for (name) in ...` (black's style for long loops) is one name all the same.
        let mut names = self.toks[target..self.p]
            .iter()
            .enumerate()
            .filter(|(_, t)| !matches!(t.kind, K::LPar | K::RPar));
        let name = match (names.next(), names.next()) {
            (Some((i, t)), None) if t.kind == K::Name => (target + i) as u32,
            _ => NONE,
        };
        self.expect(K::In, "for without in")?;
        let iter_first = self.p as u32;
        let iter = self.star_expressions(false)?;
        if iter.kind == SK::Starred {
            return Err(self.unsure("starred for iterable"));
        }
        let iter = (iter_first, self.p as u32);
        self.header(HeaderKind::For, name, iter, false, false)
    }

    fn with_header(&mut self) -> R<()> {
        self.bump();
        if self.kind() == K::LPar {
            if let Some(close) = self.matching(self.p) {
                if self.kind_at(close + 1) == K::Colon {
                    // Parenthesized items (3.9+); also reads `with (a, b):` right, since
                    // only the context expressions matter here.
                    self.bump();
                    if self.kind() == K::RPar {
                        return Err(self.unsure("empty with"));
                    }
                    loop {
                        self.with_item()?;
                        if !self.eat(K::Comma) || self.kind() == K::RPar {
                            break;
                        }
                    }
                    self.expect(K::RPar, "with items")?;
                    return self.header(HeaderKind::With, NONE, (0, 0), false, false);
                }
            }
        }
        loop {
            self.with_item()?;
            if !self.eat(K::Comma) {
                break;
            }
        }
        self.header(HeaderKind::With, NONE, (0, 0), false, false)
    }

    fn with_item(&mut self) -> R<()> {
        let shape = self.expression()?;
        if shape.kind == SK::Starred {
            return Err(self.unsure("starred with item"));
        }
        if self.eat(K::As) {
            let walk = std::mem::replace(&mut self.walk, false);
            let target = self.target()?;
            self.walk = walk;
            if !target.target || target.kind == SK::Starred {
                return Err(self.unsure("with target"));
            }
        }
        Ok(())
    }

    /// Index of the bracket closing the one at `open`.
    fn matching(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, t) in self.toks.iter().enumerate().skip(open) {
            match t.kind {
                K::LPar | K::LSqb | K::LBrace => depth += 1,
                K::RPar | K::RSqb | K::RBrace => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn def_header(&mut self) -> R<()> {
        self.bump();
        let name = self.p as u32;
        self.expect(K::Name, "def without a name")?;
        if self.kind() == K::LSqb {
            self.type_params()?;
        }
        self.expect(K::LPar, "def without parameters")?;
        self.parameters(false)?;
        self.expect(K::RPar, "def parameters")?;
        if self.eat(K::Arrow) {
            let walk = std::mem::replace(&mut self.walk, false);
            self.expression()?;
            self.walk = walk;
        }
        self.header(HeaderKind::Def, name, (0, 0), false, false)
    }

    fn class_header(&mut self) -> R<()> {
        self.bump();
        let name = self.p as u32;
        self.expect(K::Name, "class without a name")?;
        if self.kind() == K::LSqb {
            self.type_params()?;
        }
        if self.eat(K::LPar) {
            self.arguments()?;
        }
        self.header(HeaderKind::Class, name, (0, 0), false, false)
    }

    fn type_params(&mut self) -> R<()> {
        let walk = std::mem::replace(&mut self.walk, false);
        self.bump();
        loop {
            let starred = self.eat(K::Star) || self.eat(K::DoubleStar);
            self.expect(K::Name, "type parameter")?;
            if !starred && self.eat(K::Colon) {
                self.expression()?;
            }
            if self.eat(K::Equal) {
                self.expression()?;
            }
            if !self.eat(K::Comma) || self.kind() == K::RSqb {
                break;
            }
        }
        self.expect(K::RSqb, "type parameters")?;
        self.walk = walk;
        Ok(())
    }

    /// A parameter list, up to `)` (def) or `:` (lambda), not consumed.
    fn parameters(&mut self, lambda: bool) -> R<()> {
        let end = if lambda { K::Colon } else { K::RPar };
        let (mut any, mut slash, mut star, mut kwargs, mut default, mut bare_star) =
            (false, false, false, false, false, false);
        while self.kind() != end {
            if kwargs {
                return Err(self.unsure("parameter after **kwargs"));
            }
            match self.kind() {
                K::BinOp if self.text(self.p) == b"/" => {
                    if slash || star || !any {
                        return Err(self.unsure("misplaced `/`"));
                    }
                    slash = true;
                    self.bump();
                }
                K::Star => {
                    if star {
                        return Err(self.unsure("two `*` parameters"));
                    }
                    star = true;
                    self.bump();
                    if self.eat(K::Name) {
                        if !lambda && self.eat(K::Colon) {
                            self.annotation(true)?;
                        }
                    } else {
                        bare_star = true;
                    }
                }
                K::DoubleStar => {
                    self.bump();
                    self.expect(K::Name, "**kwargs name")?;
                    if !lambda && self.eat(K::Colon) {
                        self.annotation(false)?;
                    }
                    kwargs = true;
                }
                K::Name => {
                    self.bump();
                    if !lambda && self.eat(K::Colon) {
                        self.annotation(false)?;
                    }
                    if self.eat(K::Equal) {
                        self.expression()?;
                        default = true;
                    } else if default && !star {
                        return Err(self.unsure("parameter without default after default"));
                    }
                    bare_star = false;
                }
                _ => return Err(self.unsure("parameter")),
            }
            any = true;
            if !self.eat(K::Comma) {
                break;
            }
        }
        if bare_star {
            return Err(self.unsure("bare `*` without keyword parameters"));
        }
        Ok(())
    }

    fn annotation(&mut self, star_allowed: bool) -> R<()> {
        let walk = std::mem::replace(&mut self.walk, false);
        let shape = if star_allowed {
            self.star_expression()?
        } else {
            self.expression()?
        };
        self.walk = walk;
        if !star_allowed && shape.kind == SK::Starred {
            return Err(self.unsure("starred annotation"));
        }
        Ok(())
    }

    fn simple_statements(&mut self) -> R<()> {
        loop {
            self.simple_statement()?;
            if self.eat(K::Semi) {
                if self.kind() == K::Newline {
                    break;
                }
                continue;
            }
            if self.kind() != K::Newline {
                return Err(self.unsure("statement not ended"));
            }
            break;
        }
        self.bump();
        debug_assert_eq!(self.p, self.line_end + 1);
        Ok(())
    }

    fn simple_statement(&mut self) -> R<()> {
        match self.kind() {
            K::Pass | K::Break | K::Continue => self.bump(),
            K::Return => {
                self.bump();
                if starts_expression(self.kind()) {
                    let value = self.star_expressions(false)?;
                    if value.kind == SK::Starred {
                        return Err(self.unsure("return *x"));
                    }
                }
            }
            K::Raise => {
                self.bump();
                if starts_expression(self.kind()) {
                    self.single_expression()?;
                    if self.eat(K::From) {
                        self.single_expression()?;
                    }
                }
            }
            K::Global | K::Nonlocal => {
                self.bump();
                loop {
                    self.expect(K::Name, "global name")?;
                    if !self.eat(K::Comma) {
                        break;
                    }
                }
            }
            K::Del => {
                self.bump();
                let walk = std::mem::replace(&mut self.walk, false);
                loop {
                    let target = self.target()?;
                    if !target.target || target.star {
                        return Err(self.unsure("del target"));
                    }
                    if !self.eat(K::Comma) || !starts_expression(self.kind()) {
                        break;
                    }
                }
                self.walk = walk;
            }
            K::Assert => {
                self.bump();
                self.single_expression_before(true)?;
                if self.eat(K::Comma) {
                    self.single_expression()?;
                }
            }
            K::Import => self.import(self.p, false)?,
            K::From => self.import_from(self.p, false)?,
            K::Yield => {
                let shape = self.yield_expression()?;
                if self.kind() != K::Newline && self.kind() != K::Semi {
                    return Err(self.unsure("yield statement"));
                }
                let _ = shape;
            }
            K::Name
                if matches!(self.kind_at(self.p + 1), K::Import | K::From)
                    && self.text(self.p) == b"lazy" =>
            {
                let stmt = self.p;
                self.bump();
                if self.kind() == K::Import {
                    self.import(stmt, true)?;
                } else {
                    self.import_from(stmt, true)?;
                }
            }
            K::Name
                if self.kind_at(self.p + 1) == K::Name
                    && matches!(self.kind_at(self.p + 2), K::LSqb | K::Equal)
                    && self.text(self.p) == b"type" =>
            {
                let walk = std::mem::replace(&mut self.walk, false);
                self.bump_by(2);
                if self.kind() == K::LSqb {
                    self.type_params()?;
                }
                self.expect(K::Equal, "type alias")?;
                self.expression()?;
                self.walk = walk;
            }
            _ => self.expression_statement()?,
        }
        Ok(())
    }

    /// An expression that must not be a bare starred one or a tuple.
    fn single_expression(&mut self) -> R<Shape> {
        self.single_expression_before(false)
    }

    /// `comma_follows`: a comma may come next (`assert test, message`).
    fn single_expression_before(&mut self, comma_follows: bool) -> R<Shape> {
        let shape = self.expression()?;
        if shape.kind == SK::Starred {
            return Err(self.unsure("starred expression"));
        }
        if !comma_follows && self.kind() == K::Comma {
            return Err(self.unsure("unparenthesized tuple"));
        }
        Ok(shape)
    }

    fn assigned_value(&mut self) -> R<(Shape, u32)> {
        let start = self.p as u32;
        let shape = if self.kind() == K::Yield {
            self.yield_expression()?
        } else {
            self.star_expressions(false)?
        };
        if shape.kind == SK::Starred {
            return Err(self.unsure("starred value"));
        }
        Ok((shape, start))
    }

    fn expression_statement(&mut self) -> R<()> {
        let first = self.star_expressions(false)?;
        match self.kind() {
            K::Equal => {
                let mut targets = 0;
                let mut last = first;
                let (mut value, mut value_start);
                loop {
                    if !last.target || last.kind == SK::Starred {
                        return Err(self.unsure("assignment target"));
                    }
                    if last.kind == SK::SysModules {
                        self.out.events.push(Event::Register {
                            key: (last.dotted_first, last.dotted_last),
                        });
                    }
                    targets += 1;
                    self.bump();
                    (value, value_start) = self.assigned_value()?;
                    if self.kind() != K::Equal {
                        break;
                    }
                    last = value;
                }
                if targets == 1 && first.kind == SK::Name {
                    self.module_assign(first.first, value_start, false);
                    if let (SK::Name | SK::Attr, Some(dotted)) = (value.kind, value.dotted()) {
                        self.out.events.push(Event::Alias {
                            name: first.first,
                            value: dotted,
                        });
                    }
                }
                self.eager_value(&value);
            }
            K::Colon => {
                if !matches!(
                    first.kind,
                    SK::Name | SK::Attr | SK::Subscript | SK::SysModules
                ) {
                    return Err(self.unsure("annotated assignment target"));
                }
                self.bump();
                self.annotation(false)?;
                if self.eat(K::Equal) {
                    let (value, value_start) = self.assigned_value()?;
                    if first.kind == SK::Name {
                        self.module_assign(first.first, value_start, false);
                    }
                    self.eager_value(&value);
                }
            }
            K::AugAssign => {
                if !matches!(
                    first.kind,
                    SK::Name | SK::Attr | SK::Subscript | SK::SysModules
                ) {
                    return Err(self.unsure("augmented assignment target"));
                }
                self.bump();
                let (_, value_start) = self.assigned_value()?;
                if first.kind == SK::Name {
                    self.module_assign(first.first, value_start, true);
                }
            }
            _ => {
                if first.kind == SK::Starred {
                    return Err(self.unsure("starred expression statement"));
                }
                self.eager_value(&first);
            }
        }
        Ok(())
    }

    fn module_assign(&mut self, name: u32, value_start: u32, augmented: bool) {
        if matches!(self.text(name as usize), b"__all__" | b"__lazy_modules__") {
            self.out.events.push(Event::ModuleAssign {
                name,
                value: (value_start, self.p as u32),
                augmented,
            });
        }
    }

    fn eager_value(&mut self, value: &Shape) {
        if value.kind == SK::Call {
            if let Some(callee) = value.dotted() {
                self.out.events.push(Event::EagerCall { callee });
            }
        }
    }

    /// `a.b.c` in an import: name tokens (merged or not) joined by dots.
    fn dotted_name(&mut self) -> R<Dotted> {
        let first = self.p as u32;
        loop {
            if !matches!(self.kind(), K::Name | K::Dotted) {
                return Err(self.unsure("module name"));
            }
            self.bump();
            if !self.eat(K::Dot) {
                break;
            }
        }
        Ok(Dotted {
            first,
            last: self.p as u32 - 1,
        })
    }

    fn import(&mut self, stmt: usize, lazy: bool) -> R<()> {
        self.bump();
        loop {
            let module = self.dotted_name()?;
            let mut alias = NONE;
            if self.eat(K::As) {
                alias = self.p as u32;
                self.expect(K::Name, "import alias")?;
            }
            self.out.events.push(Event::Import {
                stmt: stmt as u32,
                lazy,
                module,
                alias,
            });
            if !self.eat(K::Comma) {
                return Ok(());
            }
        }
    }

    fn import_from(&mut self, stmt: usize, lazy: bool) -> R<()> {
        self.bump();
        let mut level = 0;
        loop {
            match self.kind() {
                K::Dot => level += 1,
                K::Ellipsis => level += 3,
                _ => break,
            }
            self.bump();
        }
        let module = if self.kind() == K::Import {
            if level == 0 {
                return Err(self.unsure("from import without a module"));
            }
            None
        } else {
            Some(self.dotted_name()?)
        };
        self.expect(K::Import, "from without import")?;
        let start = self.out.scratch.len() as u32;
        if self.kind() == K::Star {
            self.out.scratch.extend([self.p as u32, NONE]);
            self.bump();
        } else {
            let parens = self.eat(K::LPar);
            loop {
                let name = self.p as u32;
                self.expect(K::Name, "imported name")?;
                let mut alias = NONE;
                if self.eat(K::As) {
                    alias = self.p as u32;
                    self.expect(K::Name, "import alias")?;
                }
                self.out.scratch.extend([name, alias]);
                if !self.eat(K::Comma) {
                    break;
                }
                if parens && self.kind() == K::RPar {
                    break;
                }
            }
            if parens {
                self.expect(K::RPar, "from import parentheses")?;
            }
        }
        let names = Span {
            start,
            len: self.out.scratch.len() as u32 - start,
        };
        self.out.events.push(Event::From {
            stmt: stmt as u32,
            lazy,
            level,
            module,
            names,
        });
        Ok(())
    }

    // ---------------------------------------------------------------- expressions

    /// `star_expressions`: a tuple when a comma follows. `named` allows `x := y` items.
    fn star_expressions(&mut self, named: bool) -> R<Shape> {
        let first_tok = self.p;
        let first = if named && self.kind() != K::Star {
            self.named_expression()?
        } else {
            self.star_expression()?
        };
        if self.kind() != K::Comma {
            return Ok(first);
        }
        let mut target = first.target;
        while self.eat(K::Comma) {
            if !starts_expression(self.kind()) {
                break;
            }
            let item = if named && self.kind() != K::Star {
                self.named_expression()?
            } else {
                self.star_expression()?
            };
            target &= item.target;
        }
        let mut shape = Shape::new(SK::Tuple, first_tok);
        shape.target = target;
        Ok(shape)
    }

    #[inline]
    fn star_expression(&mut self) -> R<Shape> {
        if self.kind() == K::Star {
            let first = self.p;
            self.bump();
            let inner = self.bitwise_or()?;
            let mut shape = Shape::new(SK::Starred, first);
            shape.target = inner.target;
            shape.star = true;
            return Ok(shape);
        }
        self.expression()
    }

    #[inline]
    fn named_expression(&mut self) -> R<Shape> {
        if self.kind() == K::Name && self.kind_at(self.p + 1) == K::ColonEqual {
            let first = self.p;
            self.bump_by(2);
            self.expression()?;
            return Ok(Shape::new(SK::Other, first));
        }
        self.expression()
    }

    /// A lone operand (a name, number or single string) that nothing continues: most
    /// operands are, and this answers for them without the operator loop. Must give exactly
    /// what `operators` would.
    #[inline]
    fn simple_operand(&mut self) -> Option<Shape> {
        let first = self.p;
        let next = self.kind_at(first + 1);
        if continues_operand(next) {
            return None;
        }
        let shape = match self.kind() {
            kind @ (K::Name | K::Dotted) => Shape::name(kind, first),
            K::Number | K::None | K::True | K::False | K::Ellipsis => Shape::new(SK::Other, first),
            K::Str => {
                let flags = self.toks[first].flags;
                if flags & STR_INTERPOLATED != 0 {
                    // Its fields hold expressions: the full path walks them.
                    return None;
                }
                let plain = flags & STR_BYTES == 0;
                Shape::new(if plain { SK::Str } else { SK::Other }, first)
            }
            _ => return None,
        };
        self.bump();
        Some(shape)
    }

    /// `expression`: a lambda, or a disjunction with an optional conditional.
    #[inline]
    fn expression(&mut self) -> R<Shape> {
        if let Some(shape) = self.simple_operand() {
            return Ok(shape);
        }
        if self.kind() == K::Lambda {
            return self.lambda();
        }
        let first = self.p;
        let body_events = self.out.events.len();
        let shape = self.disjunction()?;
        if self.kind() == K::If {
            self.bump();
            let test_events = self.out.events.len();
            self.disjunction()?;
            // The reference walks the test before the body.
            self.visit_first(body_events, test_events);
            self.expect(K::Else, "conditional expression without else")?;
            self.expression()?;
            return Ok(Shape::new(SK::Other, first));
        }
        Ok(shape)
    }

    /// Moves the events from `second` on before those from `first` to `second`: the order the
    /// reference scanner's visitor meets them in.
    fn visit_first(&mut self, first: usize, second: usize) {
        if second > first && self.out.events.len() > second {
            self.out.events[first..].rotate_left(second - first);
        }
    }

    /// Walks the replacement fields of the f-string at `at` like any expression: the
    /// reference scanner's visitor sees the calls in them.
    /// Their syntax is checked here too (the lexer only finds where they end).
    fn interpolations(&mut self, at: usize) -> R<()> {
        let owner = self.toks[at].start;
        let records = self.records;
        for record in records.iter().filter(|r| r.owner == owner) {
            let (p, cur) = (self.p, self.cur);
            self.p = record.start as usize;
            self.cur = self.toks[self.p].kind;
            let walked = if self.kind() == K::Yield {
                self.yield_expression()
            } else {
                self.star_expressions(false)
            };
            let complete = self.kind() == K::Newline;
            (self.p, self.cur) = (p, cur);
            if walked?.kind == SK::Starred || !complete {
                return Err(self.unsure("f-string field"));
            }
        }
        Ok(())
    }

    fn lambda(&mut self) -> R<Shape> {
        let first = self.p;
        self.bump();
        self.lambda_depth += 1;
        self.parameters(true)?;
        self.expect(K::Colon, "lambda without `:`")?;
        self.expression()?;
        self.lambda_depth -= 1;
        Ok(Shape::new(SK::Other, first))
    }

    /// `disjunction`: everything below the conditional expression.
    #[inline]
    fn disjunction(&mut self) -> R<Shape> {
        self.operators(true)
    }

    /// `bitwise_or`: arithmetic and bitwise operators only (what `*` and targets take).
    #[inline]
    fn bitwise_or(&mut self) -> R<Shape> {
        self.operators(false)
    }

    /// Operands joined by binary operators, with their prefixes, in one loop: precedence does
    /// not matter to the scan, only which operators a level admits and where `not` may stand
    /// (never right after an arithmetic or comparison operator: `a + not b` is an error).
    fn operators(&mut self, boolean: bool) -> R<Shape> {
        if let Some(shape) = self.simple_operand() {
            return Ok(shape);
        }
        let first = self.p;
        let mut simple = true;
        let mut not_ok = boolean;
        loop {
            loop {
                match self.kind() {
                    K::Not if not_ok => self.bump(),
                    K::Minus | K::Plus | K::Tilde => {
                        self.bump();
                        not_ok = false;
                    }
                    _ => break,
                }
                simple = false;
            }
            if self.eat(K::Await) {
                simple = false;
            }
            let shape = self.primary()?;
            match self.kind() {
                K::Plus | K::Minus | K::Star | K::DoubleStar | K::BinOp | K::At => {
                    self.bump();
                    not_ok = false;
                }
                K::Compare | K::In if boolean => {
                    self.bump();
                    not_ok = false;
                }
                K::Not if boolean && self.kind_at(self.p + 1) == K::In => {
                    self.bump_by(2);
                    not_ok = false;
                }
                K::Is if boolean => {
                    self.bump();
                    self.eat(K::Not);
                    not_ok = false;
                }
                K::And | K::Or if boolean => {
                    self.bump();
                    not_ok = true;
                }
                _ => {
                    return Ok(if simple {
                        shape
                    } else {
                        Shape::new(SK::Other, first)
                    })
                }
            }
            simple = false;
        }
    }

    fn primary(&mut self) -> R<Shape> {
        let mut shape = self.atom()?;
        loop {
            match self.kind() {
                K::Dot => {
                    self.bump();
                    if !matches!(self.kind(), K::Name | K::Dotted) {
                        return Err(self.unsure("attribute name"));
                    }
                    let dotted = shape
                        .dotted()
                        .filter(|_| matches!(shape.kind, SK::Name | SK::Attr));
                    let first = shape.first;
                    shape = Shape::new(SK::Attr, first as usize);
                    shape.target = true;
                    if let Some(base) = dotted {
                        shape.set_dotted(Some(Dotted {
                            first: base.first,
                            last: self.p as u32,
                        }));
                    }
                    self.bump();
                }
                K::LPar => {
                    let callee = if matches!(shape.kind, SK::Name | SK::Attr) {
                        shape.dotted()
                    } else {
                        None
                    };
                    let first = shape.first;
                    let paren = shape.paren;
                    self.bump();
                    // The reference meets a call before what its arguments hold.
                    if let (Some(callee), true) =
                        (callee, self.walk && (self.calls || self.lambda_depth > 0))
                    {
                        self.out.events.push(Event::Call {
                            callee,
                            lambdas: self.lambda_depth,
                        });
                    }
                    let call_events = self.out.events.len();
                    let argument = self.arguments()?;
                    if let (Some(callee), Some(argument)) = (callee, argument) {
                        self.dynamic_import(callee, first, paren, argument, call_events)?;
                    }
                    shape = Shape::new(SK::Call, first as usize);
                    shape.set_dotted(callee);
                }
                K::LSqb => {
                    let sys_modules = matches!(shape.kind, SK::Name | SK::Attr)
                        && shape.dotted().is_some_and(|d| {
                            self.text(d.last as usize).ends_with(b"modules")
                                && dotted_text(self.source, self.toks, d) == "sys.modules"
                        });
                    self.bump();
                    let key = self.slices()?;
                    let first = shape.first;
                    shape = Shape::new(SK::Subscript, first as usize);
                    shape.target = true;
                    if let (true, Some((key_first, key_last))) = (sys_modules, key) {
                        shape.kind = SK::SysModules;
                        shape.dotted_first = key_first;
                        shape.dotted_last = key_last;
                    }
                }
                _ => return Ok(shape),
            }
        }
    }

    fn dynamic_import(
        &mut self,
        callee: Dotted,
        first: u32,
        paren: bool,
        argument: Argument,
        at: usize,
    ) -> R<()> {
        // The callee's last part decides cheaply; the whole name only for candidates.
        let last = self.text(callee.last as usize);
        if !(last.ends_with(b"import_module") || last.ends_with(b"__import__")) {
            return Ok(());
        }
        let name = dotted_text(self.source, self.toks, callee);
        let dunder = match name.as_str() {
            "__import__" => true,
            "import_module" | "importlib.import_module" => false,
            _ => return Ok(()),
        };
        let callee_tokens = &self.toks[callee.first as usize..=callee.last as usize];
        if paren || callee_tokens.iter().any(|t| t.kind == K::LPar) {
            return Err(self.unsure("parenthesized dynamic import callee"));
        }
        if self.walk {
            let (literal, variable) = match argument {
                Argument::Literal(first) => {
                    let mut last = first as usize;
                    while self.kind_at(last + 1) == K::Str {
                        last += 1;
                    }
                    ((first, last as u32), false)
                }
                Argument::Name(name) => ((name, name), true),
            };
            // Before the events of the arguments, where the reference finds it.
            self.out.events.insert(
                at,
                Event::Dynamic {
                    dunder,
                    call: first,
                    literal,
                    variable,
                    lambdas: self.lambda_depth,
                },
            );
        }
        Ok(())
    }

    /// Call arguments after the `(`, through the `)`. Returns the first positional argument
    /// when it is a plain string literal or a name.
    fn arguments(&mut self) -> R<Option<Argument>> {
        let mut first_argument = None;
        let (mut count, mut keyword, mut kwargs, mut generator) = (0, false, false, false);
        // Where the events of the first keyword argument start: the reference walks every
        // positional argument (`*rest` after `key=` included) before the keywords.
        let mut keywords_at: Option<usize> = None;
        while self.kind() != K::RPar {
            let before = self.out.events.len();
            match self.kind() {
                K::Star => {
                    if kwargs {
                        return Err(self.unsure("*args after **kwargs"));
                    }
                    self.bump();
                    self.expression()?;
                    if let Some(at) = keywords_at {
                        let moved = self.out.events.len() - before;
                        self.out.events[at..].rotate_right(moved);
                        keywords_at = Some(at + moved);
                    }
                }
                K::DoubleStar => {
                    self.bump();
                    self.expression()?;
                    kwargs = true;
                    keywords_at.get_or_insert(before);
                }
                K::Name if self.kind_at(self.p + 1) == K::Equal => {
                    self.bump_by(2);
                    self.expression()?;
                    keyword = true;
                    keywords_at.get_or_insert(before);
                }
                _ => {
                    if keyword || kwargs {
                        return Err(self.unsure("positional argument after keyword"));
                    }
                    let shape = self.named_expression()?;
                    if matches!(self.kind(), K::For | K::Async) {
                        if count > 0 {
                            return Err(self.unsure("unparenthesized generator argument"));
                        }
                        self.comprehension(before)?;
                        generator = true;
                    } else if count == 0 {
                        first_argument = match shape.kind {
                            SK::Str => Some(Argument::Literal(shape.first)),
                            SK::Name => Some(Argument::Name(shape.first)),
                            _ => None,
                        };
                    }
                }
            }
            count += 1;
            if !self.eat(K::Comma) {
                break;
            }
            if generator {
                return Err(self.unsure("generator argument with others"));
            }
        }
        self.expect(K::RPar, "call arguments")?;
        Ok(first_argument)
    }

    /// A subscript's slices, through the `]`; the key tokens when it is one plain string.
    fn slices(&mut self) -> R<Option<(u32, u32)>> {
        if self.kind() == K::RSqb {
            return Err(self.unsure("empty subscript"));
        }
        if self.kind() == K::Str {
            let first = self.p;
            let mut last = first;
            while self.kind_at(last + 1) == K::Str {
                last += 1;
            }
            let plain = self.toks[first..=last]
                .iter()
                .all(|t| t.flags & (STR_BYTES | STR_INTERPOLATED) == 0);
            if plain && self.kind_at(last + 1) == K::RSqb {
                self.bump_by(last - first + 2);
                return Ok(Some((first as u32, last as u32)));
            }
        }
        loop {
            if self.kind() == K::Star {
                self.star_expression()?;
            } else {
                if self.kind() != K::Colon {
                    self.named_expression()?;
                }
                if self.eat(K::Colon) {
                    if starts_expression(self.kind()) {
                        self.expression()?;
                    }
                    if self.eat(K::Colon) && starts_expression(self.kind()) {
                        self.expression()?;
                    }
                }
            }
            if !self.eat(K::Comma) || self.kind() == K::RSqb {
                break;
            }
        }
        self.expect(K::RSqb, "subscript")?;
        Ok(None)
    }

    /// `for targets in disjunction (if disjunction)*`, repeated. `element_events`: where the
    /// element's events start; the reference walks the generators first.
    fn comprehension(&mut self, element_events: usize) -> R<()> {
        let generator_events = self.out.events.len();
        loop {
            self.eat(K::Async);
            if !self.eat(K::For) {
                break;
            }
            let target_events = self.out.events.len();
            self.target_list()?;
            self.expect(K::In, "comprehension without in")?;
            let iter_events = self.out.events.len();
            self.disjunction()?;
            // Then, in each generator, the iterable before the target.
            self.visit_first(target_events, iter_events);
            while self.eat(K::If) {
                self.disjunction()?;
            }
        }
        self.visit_first(element_events, generator_events);
        Ok(())
    }

    /// Targets of `for` and comprehensions: primaries (and starred ones), comma separated.
    fn target_list(&mut self) -> R<()> {
        let mut count = 0;
        let mut starred = false;
        loop {
            let target = self.target()?;
            if !target.target {
                return Err(self.unsure("invalid target"));
            }
            starred |= target.kind == SK::Starred;
            count += 1;
            if !self.eat(K::Comma) {
                break;
            }
            count += 1;
            if self.kind() == K::In {
                break;
            }
        }
        if starred && count == 1 {
            return Err(self.unsure("lone starred target"));
        }
        Ok(())
    }

    fn target(&mut self) -> R<Shape> {
        if self.kind() == K::Star {
            let first = self.p;
            self.bump();
            let inner = self.bitwise_or()?;
            let mut shape = Shape::new(SK::Starred, first);
            shape.target = inner.target && inner.kind != SK::Starred;
            shape.star = true;
            return Ok(shape);
        }
        self.bitwise_or()
    }

    fn yield_expression(&mut self) -> R<Shape> {
        let first = self.p;
        self.bump();
        if self.eat(K::From) {
            self.expression()?;
        } else if starts_expression(self.kind()) {
            let value = self.star_expressions(false)?;
            if value.kind == SK::Starred {
                return Err(self.unsure("yield *x"));
            }
        }
        Ok(Shape::new(SK::Yield, first))
    }

    fn atom(&mut self) -> R<Shape> {
        let first = self.p;
        match self.kind() {
            kind @ (K::Name | K::Dotted) => {
                self.bump();
                Ok(Shape::name(kind, first))
            }
            K::Number | K::None | K::True | K::False | K::Ellipsis => {
                self.bump();
                Ok(Shape::new(SK::Other, first))
            }
            K::Str => {
                let mut flags = 0u8;
                let mut bytes = None;
                while self.kind() == K::Str {
                    let t = self.toks[self.p];
                    let is_bytes = t.flags & STR_BYTES != 0;
                    if *bytes.get_or_insert(is_bytes) != is_bytes {
                        return Err(self.unsure("bytes mixed with str"));
                    }
                    flags |= t.flags;
                    if t.flags & STR_INTERPOLATED != 0 {
                        self.interpolations(self.p)?;
                    }
                    self.bump();
                }
                let kind = if flags & (STR_BYTES | STR_INTERPOLATED) == 0 {
                    SK::Str
                } else {
                    SK::Other
                };
                Ok(Shape::new(kind, first))
            }
            K::LPar => {
                self.bump();
                if self.eat(K::RPar) {
                    return Ok(Shape::new(SK::Tuple, first));
                }
                if self.kind() == K::Yield {
                    self.yield_expression()?;
                    self.expect(K::RPar, "parenthesized yield")?;
                    return Ok(Shape::new(SK::Other, first));
                }
                let element_events = self.out.events.len();
                let inner = if self.kind() == K::Star {
                    self.star_expression()?
                } else {
                    self.named_expression()?
                };
                match self.kind() {
                    K::RPar => {
                        if inner.kind == SK::Starred {
                            return Err(self.unsure("parenthesized starred"));
                        }
                        self.bump();
                        let mut shape = inner;
                        shape.paren = true;
                        shape.star = false;
                        Ok(shape)
                    }
                    K::For | K::Async => {
                        self.comprehension(element_events)?;
                        self.expect(K::RPar, "generator")?;
                        Ok(Shape::new(SK::Other, first))
                    }
                    K::Comma => {
                        let mut target = inner.target;
                        while self.eat(K::Comma) {
                            if self.kind() == K::RPar {
                                break;
                            }
                            let item = if self.kind() == K::Star {
                                self.star_expression()?
                            } else {
                                self.named_expression()?
                            };
                            target &= item.target;
                        }
                        self.expect(K::RPar, "tuple")?;
                        let mut shape = Shape::new(SK::Tuple, first);
                        shape.target = target;
                        Ok(shape)
                    }
                    _ => Err(self.unsure("parenthesized expression")),
                }
            }
            K::LSqb => {
                self.bump();
                let mut target = true;
                if self.kind() != K::RSqb {
                    let element_events = self.out.events.len();
                    let item = if self.kind() == K::Star {
                        self.star_expression()?
                    } else {
                        self.named_expression()?
                    };
                    target = item.target;
                    if matches!(self.kind(), K::For | K::Async) {
                        self.comprehension(element_events)?;
                        target = false;
                    } else {
                        while self.eat(K::Comma) {
                            if self.kind() == K::RSqb {
                                break;
                            }
                            let item = if self.kind() == K::Star {
                                self.star_expression()?
                            } else {
                                self.named_expression()?
                            };
                            target &= item.target;
                        }
                    }
                }
                self.expect(K::RSqb, "list")?;
                let mut shape = Shape::new(SK::List, first);
                shape.target = target;
                Ok(shape)
            }
            K::LBrace => {
                self.bump();
                self.braces()?;
                Ok(Shape::new(SK::Other, first))
            }
            _ => Err(self.unsure("expected an expression")),
        }
    }

    /// A dict or set display or comprehension, after the `{`, through the `}`.
    fn braces(&mut self) -> R<()> {
        if self.eat(K::RBrace) {
            return Ok(());
        }
        let element_events = self.out.events.len();
        let dict = if self.kind() == K::DoubleStar {
            true
        } else {
            let first = if self.kind() == K::Star {
                self.star_expression()?
            } else {
                self.named_expression()?
            };
            if self.eat(K::Colon) {
                if first.kind == SK::Starred {
                    return Err(self.unsure("starred dict key"));
                }
                self.expression()?;
                true
            } else {
                false
            }
        };
        if dict {
            if self.kind() == K::DoubleStar {
                self.bump();
                self.bitwise_or()?;
            } else if matches!(self.kind(), K::For | K::Async) {
                self.comprehension(element_events)?;
                return self.expect(K::RBrace, "dict comprehension");
            }
            while self.eat(K::Comma) {
                if self.kind() == K::RBrace {
                    break;
                }
                if self.eat(K::DoubleStar) {
                    self.bitwise_or()?;
                } else {
                    self.expression()?;
                    self.expect(K::Colon, "dict item")?;
                    self.expression()?;
                }
            }
            return self.expect(K::RBrace, "dict");
        }
        if matches!(self.kind(), K::For | K::Async) {
            self.comprehension(element_events)?;
            return self.expect(K::RBrace, "set comprehension");
        }
        while self.eat(K::Comma) {
            if self.kind() == K::RBrace {
                break;
            }
            if self.kind() == K::Star {
                self.star_expression()?;
            } else {
                self.named_expression()?;
            }
        }
        self.expect(K::RBrace, "set")
    }

    // ---------------------------------------------------------------- match patterns

    /// `case` patterns: an open sequence or one pattern.
    fn patterns(&mut self) -> R<()> {
        loop {
            self.pattern(true)?;
            if !self.eat(K::Comma) || matches!(self.kind(), K::If | K::Colon) {
                return Ok(());
            }
        }
    }

    /// `or_pattern ['as' NAME]`, or `*name` where a sequence allows it.
    fn pattern(&mut self, star_ok: bool) -> R<()> {
        if self.kind() == K::Star {
            if !star_ok {
                return Err(self.unsure("star pattern"));
            }
            self.bump();
            return self.expect(K::Name, "star pattern name");
        }
        loop {
            self.closed_pattern()?;
            if !(self.kind() == K::BinOp && self.text(self.p) == b"|") {
                break;
            }
            self.bump();
        }
        if self.eat(K::As) {
            if self.kind() != K::Name || self.text(self.p) == b"_" {
                return Err(self.unsure("pattern capture name"));
            }
            self.bump();
        }
        Ok(())
    }

    fn closed_pattern(&mut self) -> R<()> {
        match self.kind() {
            K::Minus | K::Number => {
                self.eat(K::Minus);
                self.expect(K::Number, "number pattern")?;
                if matches!(self.kind(), K::Plus | K::Minus) {
                    self.bump();
                    self.expect(K::Number, "complex pattern")?;
                }
            }
            K::Str => {
                while self.kind() == K::Str {
                    if self.toks[self.p].flags & STR_INTERPOLATED != 0 {
                        return Err(self.unsure("f-string pattern"));
                    }
                    self.bump();
                }
            }
            K::None | K::True | K::False => self.bump(),
            K::Name | K::Dotted => {
                self.bump();
                while self.eat(K::Dot) {
                    if !matches!(self.kind(), K::Name | K::Dotted) {
                        return Err(self.unsure("value pattern"));
                    }
                    self.bump();
                }
                if self.eat(K::LPar) {
                    let mut keyword = false;
                    while self.kind() != K::RPar {
                        if self.kind() == K::Name && self.kind_at(self.p + 1) == K::Equal {
                            self.bump_by(2);
                            keyword = true;
                        } else if keyword {
                            return Err(self.unsure("positional pattern after keyword"));
                        }
                        self.pattern(false)?;
                        if !self.eat(K::Comma) {
                            break;
                        }
                    }
                    self.expect(K::RPar, "class pattern")?;
                }
            }
            K::LPar | K::LSqb => {
                let close = if self.kind() == K::LPar {
                    K::RPar
                } else {
                    K::RSqb
                };
                self.bump();
                while self.kind() != close {
                    self.pattern(true)?;
                    if !self.eat(K::Comma) {
                        break;
                    }
                }
                self.expect(close, "sequence pattern")?;
            }
            K::LBrace => {
                self.bump();
                while self.kind() != K::RBrace {
                    if self.eat(K::DoubleStar) {
                        self.expect(K::Name, "mapping rest")?;
                    } else {
                        match self.kind() {
                            K::Str | K::Number | K::Minus | K::None | K::True | K::False => {
                                self.closed_pattern()?
                            }
                            K::Name | K::Dotted => {
                                // A value pattern: a name with at least one dot.
                                let mut dotted = self.kind() == K::Dotted;
                                self.bump();
                                while self.eat(K::Dot) {
                                    if !matches!(self.kind(), K::Name | K::Dotted) {
                                        return Err(self.unsure("mapping key"));
                                    }
                                    self.bump();
                                    dotted = true;
                                }
                                if !dotted {
                                    return Err(self.unsure("mapping key"));
                                }
                            }
                            _ => return Err(self.unsure("mapping key")),
                        }
                        self.expect(K::Colon, "mapping pattern")?;
                        self.pattern(false)?;
                    }
                    if !self.eat(K::Comma) {
                        break;
                    }
                }
                self.expect(K::RBrace, "mapping pattern")?;
            }
            _ => return Err(self.unsure("pattern")),
        }
        Ok(())
    }
}

/// The dotted name a [`Dotted`] spells: its name tokens joined by dots.
pub(crate) fn dotted_text(source: &str, toks: &[Tok], dotted: Dotted) -> String {
    let mut name = String::new();
    for t in &toks[dotted.first as usize..=dotted.last as usize] {
        if matches!(t.kind, K::Name | K::Dotted) {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(&source[t.start as usize..t.end as usize]);
        }
    }
    name
}

/// The value of a plain string literal group (implicit concatenation), when it needs no
/// escape decoding.
pub(crate) fn literal_value(src: &[u8], toks: &[Tok]) -> Result<String, Unsure> {
    let mut value = String::new();
    for t in toks {
        if t.kind != K::Str || t.flags & (STR_BYTES | STR_INTERPOLATED) != 0 {
            return Err(Unsure::at("not a plain string", t.start as usize));
        }
        let body = super::lexer::string_body(src, t);
        // The source is valid UTF-8 and quotes are ASCII, so the body is too.
        let body = std::str::from_utf8(body).map_err(|_| Unsure::at("utf-8", 0))?;
        if t.flags & STR_ESCAPES != 0 {
            decode_escapes(body, &mut value)
                .ok_or_else(|| Unsure::at("string escape", t.start as usize))?;
        } else {
            value.push_str(body);
        }
    }
    Ok(value)
}

/// Appends the value of a non-raw `str` literal's body, its escapes decoded as ruff's parser
/// decodes them (unknown escapes keep their backslash, lone surrogates become U+FFFD);
/// `None` for an escape the lexer should have refused.
fn decode_escapes(body: &str, value: &mut String) -> Option<()> {
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        let escaped = chars.next()?;
        let mut hex = |digits: usize| -> Option<char> {
            let mut code = 0u32;
            for _ in 0..digits {
                code = code * 16 + chars.next()?.to_digit(16)?;
            }
            match code {
                0xD800..=0xDFFF => Some(char::REPLACEMENT_CHARACTER),
                _ => char::from_u32(code),
            }
        };
        let decoded = match escaped {
            '\\' => '\\',
            '\'' => '\'',
            '"' => '"',
            'a' => '\x07',
            'b' => '\x08',
            'f' => '\x0c',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0b',
            'x' => hex(2)?,
            'u' => hex(4)?,
            'U' => hex(8)?,
            'N' => {
                if chars.next()? != '{' {
                    return None;
                }
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                unicode_names2::character(&name)?
            }
            '0'..='7' => {
                let mut code = escaped.to_digit(8)?;
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(digit) => {
                            code = code * 8 + digit;
                            chars.next();
                        }
                        None => break,
                    }
                }
                char::from_u32(code)?
            }
            '\n' => continue,
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                continue;
            }
            other => {
                value.push('\\');
                other
            }
        };
        value.push(decoded);
    }
    Some(())
}

/// The literal strings of a list, tuple or set display (what `__all__` holds), `None` when
/// the value is anything else, as the reference scanner reads it.
pub(crate) fn literal_strings(src: &[u8], toks: &[Tok]) -> Result<Option<Vec<String>>, Unsure> {
    let (mut items, brackets) = match split_display(toks) {
        Some(split) => split,
        None => return Ok(None),
    };
    let _ = brackets;
    let mut strings = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        let mut item = item;
        // `("a")` is the string itself.
        while item.len() >= 2
            && item[0].kind == K::LPar
            && item[item.len() - 1].kind == K::RPar
            && closes_at_end(item)
        {
            item = &item[1..item.len() - 1];
            if item.iter().any(|t| t.kind == K::Comma) {
                return Ok(None);
            }
        }
        if item.is_empty() || item.iter().any(|t| t.kind != K::Str) {
            return Ok(None);
        }
        if item
            .iter()
            .any(|t| t.flags & (STR_BYTES | STR_INTERPOLATED) != 0)
        {
            return Ok(None);
        }
        strings.push(literal_value(src, item)?);
    }
    Ok(Some(strings))
}

/// Whether the bracket opening `toks[0]` closes at the last token.
fn closes_at_end(toks: &[Tok]) -> bool {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            K::LPar | K::LSqb | K::LBrace => depth += 1,
            K::RPar | K::RSqb | K::RBrace => {
                depth -= 1;
                if depth == 0 {
                    return i == toks.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// Splits a list/tuple/set display into its items; `None` when the value is not one.
fn split_display(toks: &[Tok]) -> Option<(Vec<&[Tok]>, K)> {
    let mut toks = toks;
    let mut bracket = K::Comma;
    loop {
        let first = toks.first()?;
        if matches!(first.kind, K::LPar | K::LSqb | K::LBrace) && closes_at_end(toks) {
            let inner = &toks[1..toks.len() - 1];
            if first.kind == K::LPar && !has_top_level_comma(inner) && !inner.is_empty() {
                // Parentheses around a single expression add nothing.
                toks = inner;
                continue;
            }
            bracket = first.kind;
            toks = inner;
        } else if !has_top_level_comma(toks) {
            return None;
        }
        break;
    }
    if bracket == K::LBrace && (toks.is_empty() || toks.iter().any(|t| t.kind == K::Colon)) {
        return None;
    }
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            K::LPar | K::LSqb | K::LBrace => depth += 1,
            K::RPar | K::RSqb | K::RBrace => depth -= 1,
            K::Comma if depth == 0 => {
                items.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < toks.len() {
        items.push(&toks[start..]);
    }
    Some((items, bracket))
}

fn has_top_level_comma(toks: &[Tok]) -> bool {
    let mut depth = 0;
    for t in toks {
        match t.kind {
            K::LPar | K::LSqb | K::LBrace => depth += 1,
            K::RPar | K::RSqb | K::RBrace => depth -= 1,
            K::Comma if depth == 0 => return true,
            _ => {}
        }
    }
    false
}
