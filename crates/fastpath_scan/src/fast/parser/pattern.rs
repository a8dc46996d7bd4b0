//! `match` patterns: validated so a `case` line is known to parse; they never import.

use super::{Parser, R};
use crate::fast::lexer::{K, STR_INTERPOLATED};

impl<'a> Parser<'a> {
    /// `case` patterns: an open sequence or one pattern.
    pub(super) fn patterns(&mut self) -> R<()> {
        loop {
            self.pattern(true)?;
            if !self.eat(K::Comma) || matches!(self.kind(), K::If | K::Colon) {
                return Ok(());
            }
        }
    }

    /// `or_pattern ['as' NAME]`, or `*name` where a sequence allows it.
    pub(super) fn pattern(&mut self, star_ok: bool) -> R<()> {
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

    pub(super) fn closed_pattern(&mut self) -> R<()> {
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
