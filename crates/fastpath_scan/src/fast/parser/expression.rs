//! Expressions, from `star_expressions` down to atoms, with the calls, subscripts and
//! comprehensions whose shape the scan needs (`importlib.import_module("x")`, `sys.modules[...]`).

use super::{continues_operand, starts_expression, Argument, Dotted, Event, Parser, Shape, R, SK};
use crate::fast::lexer::{K, STR_BYTES, STR_INTERPOLATED};
use crate::fast::literal::dotted_text;

impl Parser<'_> {
    /// `star_expressions`: a tuple when a comma follows. `named` allows `x := y` items.
    pub(super) fn star_expressions(&mut self, named: bool) -> R<Shape> {
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
    pub(super) fn star_expression(&mut self) -> R<Shape> {
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
    pub(super) fn named_expression(&mut self) -> R<Shape> {
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
    pub(super) fn simple_operand(&mut self) -> Option<Shape> {
        let first = self.p;
        let next = self.kind_at(first + 1);
        if continues_operand(next) {
            return None;
        }
        let shape = match self.kind() {
            K::Dotted => {
                let shape = Shape::name(K::Dotted, first);
                self.attribute_chain(&shape);
                shape
            }
            K::Name => Shape::name(K::Name, first),
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
    pub(super) fn expression(&mut self) -> R<Shape> {
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
    pub(super) fn visit_first(&mut self, first: usize, second: usize) {
        if second > first && self.out.events.len() > second {
            self.out.events[first..].rotate_left(second - first);
        }
    }

    /// Walks the replacement fields of the f-string at `at` like any expression: the
    /// reference scanner's visitor sees the calls in them.
    /// Their syntax is checked here too (the lexer only finds where they end).
    pub(super) fn interpolations(&mut self, at: usize) -> R<()> {
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

    pub(super) fn lambda(&mut self) -> R<Shape> {
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
    pub(super) fn disjunction(&mut self) -> R<Shape> {
        self.operators(true)
    }

    /// `bitwise_or`: arithmetic and bitwise operators only (what `*` and targets take).
    #[inline]
    pub(super) fn bitwise_or(&mut self) -> R<Shape> {
        self.operators(false)
    }

    /// Operands joined by binary operators, with their prefixes, in one loop: precedence does
    /// not matter to the scan, only which operators a level admits and where `not` may stand
    /// (never right after an arithmetic or comparison operator: `a + not b` is an error).
    pub(super) fn operators(&mut self, boolean: bool) -> R<Shape> {
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

    /// Reports `shape` when it is a whole attribute chain on a name: the chain ends here.
    #[inline]
    fn attribute_chain(&mut self, shape: &Shape) {
        if self.attributes && self.walk && shape.kind == SK::Attr {
            if let Some(chain) = shape.dotted() {
                self.out.events.push(Event::Attribute {
                    chain,
                    lambdas: self.lambda_depth,
                });
            }
        }
    }

    pub(super) fn primary(&mut self) -> R<Shape> {
        let mut shape = self.atom()?;
        loop {
            if self.kind() != K::Dot {
                self.attribute_chain(&shape);
            }
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

    pub(super) fn dynamic_import(
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
    pub(super) fn arguments(&mut self) -> R<Option<Argument>> {
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
    pub(super) fn slices(&mut self) -> R<Option<(u32, u32)>> {
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
    pub(super) fn comprehension(&mut self, element_events: usize) -> R<()> {
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
    pub(super) fn target_list(&mut self) -> R<()> {
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

    pub(super) fn target(&mut self) -> R<Shape> {
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

    pub(super) fn yield_expression(&mut self) -> R<Shape> {
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

    pub(super) fn atom(&mut self) -> R<Shape> {
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
    pub(super) fn braces(&mut self) -> R<()> {
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
}
