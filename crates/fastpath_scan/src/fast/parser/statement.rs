//! Statements: one logical line, compound statement headers (`if`, `for`, `with`, `def`,
//! `class`, `try`/`except`, `match`/`case`), simple statements and the import statements the
//! scan reports.

use super::{starts_expression, Dotted, Event, HeaderKind, Parser, Shape, Span, NONE, R, SK};
use crate::fast::lexer::K;

impl Parser<'_> {
    pub(super) fn statement_line(&mut self, in_match: bool) -> R<()> {
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
    pub(super) fn is_match_statement(&self) -> bool {
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
    pub(super) fn header(
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

    pub(super) fn case_clause(&mut self) -> R<()> {
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

    pub(super) fn except_clause(&mut self) -> R<()> {
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
    pub(super) fn except_type(&mut self) -> R<bool> {
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

    pub(super) fn for_header(&mut self) -> R<()> {
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

    pub(super) fn with_header(&mut self) -> R<()> {
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

    pub(super) fn with_item(&mut self) -> R<()> {
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
    pub(super) fn matching(&self, open: usize) -> Option<usize> {
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

    pub(super) fn def_header(&mut self) -> R<()> {
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

    /// The bases and `metaclass=` of a class statement's (already checked) argument tokens
    /// `open..close`, when written as dotted names: one [`Event::ClassBase`] each.
    pub(super) fn class_bases(&mut self, open: usize, close: usize) -> R<()> {
        let mut start = open;
        let mut depth = 0u32;
        for p in open..=close {
            let kind = self.kind_at(p);
            match kind {
                K::LPar | K::LSqb | K::LBrace => depth += 1,
                K::RPar | K::RSqb | K::RBrace if depth > 0 => depth -= 1,
                _ => {}
            }
            if depth == 0 && (kind == K::Comma || p == close) {
                self.class_base(start, p)?;
                start = p + 1;
            }
        }
        Ok(())
    }

    fn class_base(&mut self, first: usize, end: usize) -> R<()> {
        let (first, metaclass) =
            if self.kind_at(first) == K::Name && self.kind_at(first + 1) == K::Equal {
                if !self.is_soft(first, b"metaclass") {
                    return Ok(());
                }
                (first + 2, true)
            } else {
                (first, false)
            };
        if first >= end {
            return Ok(());
        }
        if self.kind_at(first) == K::LPar {
            // `(a).b`: the reference reads through the parentheses; not worth a second reading.
            return Err(self.unsure("class base in parentheses"));
        }
        let dotted = self.kind_at(first) != K::Dot
            && (first..end).all(|p| matches!(self.kind_at(p), K::Name | K::Dotted | K::Dot))
            && (first..end)
                .zip(first + 1..end)
                .all(|(a, b)| (self.kind_at(a) == K::Dot) != (self.kind_at(b) == K::Dot))
            && self.kind_at(end - 1) != K::Dot;
        if dotted {
            self.out.events.push(Event::ClassBase {
                class: Dotted {
                    first: first as u32,
                    last: (end - 1) as u32,
                },
                metaclass,
            });
        }
        Ok(())
    }

    pub(super) fn class_header(&mut self) -> R<()> {
        self.bump();
        let name = self.p as u32;
        self.expect(K::Name, "class without a name")?;
        if self.kind() == K::LSqb {
            self.type_params()?;
        }
        if self.eat(K::LPar) {
            let open = self.p;
            self.arguments()?;
            self.class_bases(open, self.p - 1)?;
        }
        self.header(HeaderKind::Class, name, (0, 0), false, false)
    }

    pub(super) fn type_params(&mut self) -> R<()> {
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
    pub(super) fn parameters(&mut self, lambda: bool) -> R<()> {
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

    pub(super) fn annotation(&mut self, star_allowed: bool) -> R<()> {
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

    pub(super) fn simple_statements(&mut self) -> R<()> {
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

    pub(super) fn simple_statement(&mut self) -> R<()> {
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
    pub(super) fn single_expression(&mut self) -> R<Shape> {
        self.single_expression_before(false)
    }

    /// `comma_follows`: a comma may come next (`assert test, message`).
    pub(super) fn single_expression_before(&mut self, comma_follows: bool) -> R<Shape> {
        let shape = self.expression()?;
        if shape.kind == SK::Starred {
            return Err(self.unsure("starred expression"));
        }
        if !comma_follows && self.kind() == K::Comma {
            return Err(self.unsure("unparenthesized tuple"));
        }
        Ok(shape)
    }

    pub(super) fn assigned_value(&mut self) -> R<(Shape, u32)> {
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

    pub(super) fn expression_statement(&mut self) -> R<()> {
        let target_events = self.out.events.len();
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
                // The reference does not walk an annotated assignment's target.
                let mut at = target_events;
                while at < self.out.events.len() {
                    if matches!(self.out.events[at], Event::Attribute { .. }) {
                        self.out.events.remove(at);
                    } else {
                        at += 1;
                    }
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

    pub(super) fn module_assign(&mut self, name: u32, value_start: u32, augmented: bool) {
        if matches!(self.text(name as usize), b"__all__" | b"__lazy_modules__") {
            self.out.events.push(Event::ModuleAssign {
                name,
                value: (value_start, self.p as u32),
                augmented,
            });
        }
    }

    pub(super) fn eager_value(&mut self, value: &Shape) {
        if value.kind == SK::Call {
            if let Some(callee) = value.dotted() {
                self.out.events.push(Event::EagerCall { callee });
            }
        }
    }

    /// `a.b.c` in an import: name tokens (merged or not) joined by dots.
    pub(super) fn dotted_name(&mut self) -> R<Dotted> {
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

    pub(super) fn import(&mut self, stmt: usize, lazy: bool) -> R<()> {
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

    pub(super) fn import_from(&mut self, stmt: usize, lazy: bool) -> R<()> {
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
}
