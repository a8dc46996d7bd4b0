//! The fast scanner's tokenizer: bytes to the tokens of one logical line at a time.
//!
//! It knows exactly as much Python lexing as the scan needs to be right: every string form
//! (prefixes, triple quotes, escapes that can make a file invalid, PEP 701 f-strings with
//! nested quotes and replacement fields), comments, numbers (with the rules that reject
//! Python 2 literals such as `0777` and `10L`), operators, bracket nesting, backslash
//! continuations and the indentation of each logical line, compared the way ruff's lexer
//! compares it. Names written `a.b.c` become one token, since attribute chains are a good part
//! of all tokens. Anything outside that (a stray character, a name not in NFKC form, a form
//! feed or backslash in indentation, an unterminated string) is [`Unsure`]: the caller falls
//! back to the full parser for the whole file, so the lexer never has to guess. The tokens
//! of f-string replacement fields follow the line's own, for the parser to check and walk.

use std::cell::Cell;

use memchr::{memchr, memchr2, memchr3};

use super::Unsure;

/// Token kinds. Keywords are their own kinds; soft keywords (`match`, `case`, `type`, `lazy`,
/// `_`) are names, told apart by the parser from their text and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum K {
    Name,
    /// `a.b.c` written without spaces: one token for what is most of Python's attribute
    /// access (the parser treats it as the name `a` with attribute trailers).
    Dotted,
    Number,
    Str,
    // Keywords.
    False,
    None,
    True,
    And,
    As,
    Assert,
    Async,
    Await,
    Break,
    Class,
    Continue,
    Def,
    Del,
    Elif,
    Else,
    Except,
    Finally,
    For,
    From,
    Global,
    If,
    Import,
    In,
    Is,
    Lambda,
    Nonlocal,
    Not,
    Or,
    Pass,
    Raise,
    Return,
    Try,
    While,
    With,
    Yield,
    // Punctuation.
    LPar,
    RPar,
    LSqb,
    RSqb,
    LBrace,
    RBrace,
    Colon,
    ColonEqual,
    Comma,
    Semi,
    Dot,
    Ellipsis,
    /// `=`
    Equal,
    /// `->`
    Arrow,
    /// `@`: a decorator at the start of a statement, matrix product elsewhere.
    At,
    /// `+=`, `-=`, ... `@=`, `**=`, `//=`, `>>=`, `<<=`.
    AugAssign,
    Star,
    DoubleStar,
    Plus,
    Minus,
    Tilde,
    /// `/ // % << >> & | ^`: binary only.
    BinOp,
    /// `< > <= >= == !=`.
    Compare,
    /// End of the logical line (also ends an f-string replacement field's token list).
    Newline,
}

/// String token flags.
pub(crate) const STR_BYTES: u8 = 1;
/// An f-string or t-string: never a plain literal.
pub(crate) const STR_INTERPOLATED: u8 = 2;
/// A non-raw string holding at least one backslash: its value needs decoding.
pub(crate) const STR_ESCAPES: u8 = 4;
/// A t-string (PEP 750): it cannot be concatenated with any other kind of string.
pub(crate) const STR_TEMPLATE: u8 = 16;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    pub kind: K,
    pub flags: u8,
    pub start: u32,
    pub end: u32,
}

/// A logical line's indentation, as ruff's lexer measures it: columns (a tab advances to the
/// next multiple of 2) and characters. Two indentations whose orders disagree are an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Indent {
    pub column: u32,
    pub chars: u32,
}

impl Indent {
    pub(crate) fn compare(self, other: Indent) -> Result<std::cmp::Ordering, Unsure> {
        let by_column = self.column.cmp(&other.column);
        if by_column == self.chars.cmp(&other.chars) {
            Ok(by_column)
        } else {
            Err(Unsure::at(
                "indentation mixes tabs and spaces inconsistently",
                0,
            ))
        }
    }
}

/// Where the tokens of an f-string replacement field stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldEnd {
    /// `}`
    Close,
    /// `!` of a conversion (`!r`).
    Conversion,
    /// `:` opening a format spec.
    Spec,
}

#[derive(Debug, Clone, Copy)]
struct Field {
    triple: bool,
}

/// One replacement field of an f-string: its tokens are `start..end` of the line's buffer,
/// `end` being the `Newline` that closes them; `owner` is the f-string token's start offset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldRecord {
    pub owner: u32,
    pub start: u32,
    pub end: u32,
}

/// The lexer gave up; the reason waits in `Lexer::why` (zero-sized, so every token's `Result`
/// stays small).
#[derive(Debug)]
pub(crate) struct Bail;

type L<T> = Result<T, Bail>;

pub(crate) struct Lexer<'s> {
    why: Cell<Unsure>,
    text: &'s str,
    src: &'s [u8],
    pos: usize,
    brackets: Vec<u8>,
    fields: Vec<Tok>,
    /// The tokens of this line's replacement fields, each group ended by a `Newline`, and
    /// which f-string each group belongs to: appended after the line's own tokens.
    line_fields: Vec<Tok>,
    records: Vec<FieldRecord>,
}

impl<'s> Lexer<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Lexer {
            why: Cell::new(Unsure::at("", 0)),
            text: src,
            src: src.as_bytes(),
            pos: 0,
            brackets: Vec::with_capacity(16),
            fields: Vec::new(),
            line_fields: Vec::new(),
            records: Vec::new(),
        }
    }

    #[inline]
    fn at(&self, pos: usize) -> u8 {
        self.src.get(pos).copied().unwrap_or(0)
    }

    fn unsure(&self, why: &'static str) -> Bail {
        self.unsure_at(why, self.pos)
    }

    fn unsure_at(&self, why: &'static str, offset: usize) -> Bail {
        self.why.set(Unsure::at(why, offset));
        Bail
    }

    /// Reads the next non-blank logical line into `out` (ending with a `Newline` token) and
    /// returns its indentation; `None` at the end of the file.
    /// The f-string fields of the line last read (their token ranges index the line's token
    /// buffer, after the line's `Newline`).
    pub(crate) fn records(&self) -> &[FieldRecord] {
        &self.records
    }

    pub(crate) fn next_line(&mut self, out: &mut Vec<Tok>) -> Result<Option<Indent>, Unsure> {
        self.line(out).map_err(|Bail| self.why.get())
    }

    fn line(&mut self, out: &mut Vec<Tok>) -> L<Option<Indent>> {
        out.clear();
        let indent = loop {
            let mut indent = Indent::default();
            loop {
                let run = spaces(&self.src[self.pos..]);
                self.pos += run;
                indent.column += run as u32;
                indent.chars += run as u32;
                match self.at(self.pos) {
                    b'\t' => {
                        indent.column += 2 - indent.column % 2;
                        indent.chars += 1;
                    }
                    b'\x0c' => indent = Indent::default(),
                    _ => break,
                }
                self.pos += 1;
            }
            match self.at(self.pos) {
                b'\n' => self.pos += 1,
                b'\r' => {
                    self.pos += 1;
                    if self.at(self.pos) == b'\n' {
                        self.pos += 1;
                    }
                }
                b'#' => self.skip_comment(),
                0 if self.pos >= self.src.len() => return Ok(None),
                b'\\' => return Err(self.unsure("backslash in indentation")),
                _ => break indent,
            }
        };
        self.records.clear();
        self.lex(out, None)?;
        if !self.records.is_empty() {
            let offset = out.len() as u32;
            out.append(&mut self.line_fields);
            for record in &mut self.records {
                record.start += offset;
                record.end += offset;
            }
        }
        Ok(Some(indent))
    }

    fn skip_comment(&mut self) {
        self.pos = match memchr2(b'\n', b'\r', &self.src[self.pos..]) {
            Some(i) => self.pos + i,
            None => self.src.len(),
        };
    }

    #[inline]
    fn push(out: &mut Vec<Tok>, kind: K, start: usize, end: usize) {
        out.push(Tok {
            kind,
            flags: 0,
            start: start as u32,
            end: end as u32,
        });
    }

    /// Tokens up to the end of the logical line, or, in an f-string replacement field, up to
    /// the `}`, `!` or `:` that ends its expression (left unconsumed).
    fn lex(&mut self, out: &mut Vec<Tok>, field: Option<Field>) -> L<FieldEnd> {
        let base = self.brackets.len();
        let src = self.src;
        loop {
            // Runs of spaces are most of the bytes between tokens: skip them before dispatching.
            let mut start = self.pos;
            if src.get(start) == Some(&b' ') {
                start += 1;
                if src.get(start) == Some(&b' ') {
                    start += spaces(&src[start..]);
                }
            }
            let b = src.get(start).copied().unwrap_or(0);
            // Names are most tokens: take them before the dispatch when nothing is unusual
            // (a string prefix, a non-ASCII character) about them.
            if IDENT_START[b as usize] {
                let end = identifier_end(src, start);
                let next = src.get(end).copied().unwrap_or(0);
                if next < 0x80 && !(end - start <= 2 && (next == b'\'' || next == b'"')) {
                    let kind = keyword(src, start, end);
                    if next == b'.' && kind == K::Name {
                        self.pos = end;
                        self.dotted(out, start)?;
                    } else {
                        self.pos = end;
                        Self::push(out, kind, start, end);
                    }
                    continue;
                }
            }
            self.pos = start;
            match b {
                b'\t' | b'\x0c' => self.pos += 1,
                b'\n' | b'\r' => {
                    let len = if b == b'\r' && self.at(start + 1) == b'\n' {
                        2
                    } else {
                        1
                    };
                    if let Some(field) = field {
                        if !field.triple {
                            return Err(self.unsure("newline in a single-quoted f-string"));
                        }
                        self.pos += len;
                    } else if self.brackets.len() > base {
                        self.pos += len;
                    } else {
                        Self::push(out, K::Newline, start, start);
                        self.pos += len;
                        return Ok(FieldEnd::Close);
                    }
                }
                b'#' => {
                    if field.is_some() {
                        return Err(self.unsure("comment in an f-string"));
                    }
                    self.skip_comment();
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.name_or_string(out)?,
                b'0'..=b'9' => self.number(out)?,
                b'.' => {
                    if self.at(start + 1).is_ascii_digit() {
                        self.number(out)?;
                    } else if self.at(start + 1) == b'.' && self.at(start + 2) == b'.' {
                        self.pos += 3;
                        Self::push(out, K::Ellipsis, start, self.pos);
                    } else {
                        self.pos += 1;
                        Self::push(out, K::Dot, start, self.pos);
                    }
                }
                b'\'' | b'"' => self.string(out, start, 0)?,
                b'(' | b'[' | b'{' => {
                    self.brackets.push(b);
                    self.pos += 1;
                    let kind = match b {
                        b'(' => K::LPar,
                        b'[' => K::LSqb,
                        _ => K::LBrace,
                    };
                    Self::push(out, kind, start, self.pos);
                }
                b')' | b']' | b'}' => {
                    if b == b'}' && field.is_some() && self.brackets.len() == base {
                        return Ok(FieldEnd::Close);
                    }
                    let open = match b {
                        b')' => b'(',
                        b']' => b'[',
                        _ => b'{',
                    };
                    if self.brackets.len() == base || self.brackets.pop() != Some(open) {
                        return Err(self.unsure("unmatched closing bracket"));
                    }
                    self.pos += 1;
                    let kind = match b {
                        b')' => K::RPar,
                        b']' => K::RSqb,
                        _ => K::RBrace,
                    };
                    Self::push(out, kind, start, self.pos);
                }
                b':' => {
                    if field.is_some() && self.brackets.len() == base {
                        return Ok(FieldEnd::Spec);
                    }
                    if self.at(start + 1) == b'=' {
                        self.pos += 2;
                        Self::push(out, K::ColonEqual, start, self.pos);
                    } else {
                        self.pos += 1;
                        Self::push(out, K::Colon, start, self.pos);
                    }
                }
                b'!' => {
                    if self.at(start + 1) == b'=' {
                        self.pos += 2;
                        Self::push(out, K::Compare, start, self.pos);
                    } else if field.is_some() && self.brackets.len() == base {
                        return Ok(FieldEnd::Conversion);
                    } else {
                        return Err(self.unsure("stray `!`"));
                    }
                }
                b',' => {
                    self.pos += 1;
                    Self::push(out, K::Comma, start, self.pos);
                }
                b';' => {
                    self.pos += 1;
                    Self::push(out, K::Semi, start, self.pos);
                }
                b'~' => {
                    self.pos += 1;
                    Self::push(out, K::Tilde, start, self.pos);
                }
                b'\\' => {
                    if field.is_some() {
                        return Err(self.unsure("backslash in an f-string expression"));
                    }
                    let next = self.at(start + 1);
                    self.pos += match (next, self.at(start + 2)) {
                        (b'\n', _) => 2,
                        (b'\r', b'\n') => 3,
                        (b'\r', _) => 2,
                        _ => return Err(self.unsure("backslash outside a string")),
                    };
                    if self.pos >= self.src.len() {
                        return Err(self.unsure("line continuation at end of file"));
                    }
                }
                0 if start >= self.src.len() => {
                    if field.is_some() || self.brackets.len() > base {
                        return Err(self.unsure("end of file inside brackets"));
                    }
                    Self::push(out, K::Newline, start, start);
                    return Ok(FieldEnd::Close);
                }
                0x80.. => self.unicode_name(out, start)?,
                _ => self.operator(out, b)?,
            }
        }
    }

    /// A name holding non-ASCII characters, at `start`: characters as ruff's lexer takes them
    /// (XID), and already in NFKC form, since the parser would normalize it and the scan
    /// reports names as written.
    fn unicode_name(&mut self, out: &mut Vec<Tok>, start: usize) -> L<()> {
        let rest = &self.text[start..];
        let mut end = 0;
        for (i, c) in rest.char_indices() {
            let ok = if i == 0 {
                c == '_' || c.is_ascii_alphabetic() || unicode_ident::is_xid_start(c)
            } else {
                c.is_ascii_alphanumeric()
                    || c == '_'
                    || (!c.is_ascii() && unicode_ident::is_xid_continue(c))
            };
            if !ok {
                break;
            }
            end = i + c.len_utf8();
        }
        let name = &rest[..end];
        if end == 0 {
            return Err(self.unsure("character outside the Python 3 grammar"));
        }
        if !unicode_normalization::is_nfkc(name) {
            return Err(self.unsure("identifier not in NFKC form"));
        }
        let next = self.at(start + end);
        if next == b'\'' || next == b'"' {
            return Err(self.unsure("unknown string prefix"));
        }
        self.pos = start + end;
        Self::push(out, K::Name, start, self.pos);
        Ok(())
    }

    fn operator(&mut self, out: &mut Vec<Tok>, b: u8) -> L<()> {
        let start = self.pos;
        let next = self.at(start + 1);
        let (kind, len) = match b {
            b'+' | b'%' | b'&' | b'|' | b'^' | b'@' if next == b'=' => (K::AugAssign, 2),
            b'+' => (K::Plus, 1),
            b'%' | b'&' | b'|' | b'^' => (K::BinOp, 1),
            b'@' => (K::At, 1),
            b'-' => match next {
                b'=' => (K::AugAssign, 2),
                b'>' => (K::Arrow, 2),
                _ => (K::Minus, 1),
            },
            b'*' => match (next, self.at(start + 2)) {
                (b'*', b'=') => (K::AugAssign, 3),
                (b'*', _) => (K::DoubleStar, 2),
                (b'=', _) => (K::AugAssign, 2),
                _ => (K::Star, 1),
            },
            b'/' => match (next, self.at(start + 2)) {
                (b'/', b'=') => (K::AugAssign, 3),
                (b'/', _) => (K::BinOp, 2),
                (b'=', _) => (K::AugAssign, 2),
                _ => (K::BinOp, 1),
            },
            b'<' | b'>' => match (next, self.at(start + 2)) {
                (n, b'=') if n == b => (K::AugAssign, 3),
                (n, _) if n == b => (K::BinOp, 2),
                (b'=', _) => (K::Compare, 2),
                (b'>', _) => return Err(self.unsure("`<>` operator")),
                _ => (K::Compare, 1),
            },
            b'=' => match next {
                b'=' => (K::Compare, 2),
                _ => (K::Equal, 1),
            },
            _ => return Err(self.unsure("character outside the Python 3 grammar")),
        };
        self.pos += len;
        Self::push(out, kind, start, self.pos);
        Ok(())
    }

    fn name_or_string(&mut self, out: &mut Vec<Tok>) -> L<()> {
        let start = self.pos;
        let src = self.src;
        let end = identifier_end(src, start);
        let next = self.at(end);
        if next >= 0x80 {
            return self.unicode_name(out, start);
        }
        let text = &src[start..end];
        if (next == b'\'' || next == b'"') && text.len() <= 2 {
            let flags = string_prefix(text).ok_or_else(|| self.unsure("unknown string prefix"))?;
            self.pos = end;
            return self.string(out, start, flags);
        }
        self.pos = end;
        let kind = keyword(src, start, end);
        if next == b'.' && kind == K::Name {
            return self.dotted(out, start);
        }
        Self::push(out, kind, start, end);
        Ok(())
    }

    /// After the name at `start` (up to `self.pos`, at a `.`): further `.name` parts written
    /// without spaces join it into one `Dotted` token.
    fn dotted(&mut self, out: &mut Vec<Tok>, start: usize) -> L<()> {
        let src = self.src;
        let mut end = self.pos;
        let mut merged = false;
        while src.get(end) == Some(&b'.') && IDENT_START[self.at(end + 1) as usize] {
            let part = end + 1;
            let part_end = identifier_end(src, part);
            if self.at(part_end) >= 0x80 {
                // A non-ASCII part stays a token of its own.
                break;
            }
            if keyword(src, part, part_end) != K::Name {
                // `a.if`: a keyword cannot be an attribute.
                return Err(self.unsure_at("keyword after a dot", part));
            }
            end = part_end;
            merged = true;
        }
        self.pos = end;
        Self::push(out, if merged { K::Dotted } else { K::Name }, start, end);
        Ok(())
    }

    fn digits(&mut self, valid: fn(u8) -> bool) -> L<usize> {
        // digit ('_'? digit)*: an underscore only between two digits.
        let mut count = 0;
        loop {
            let c = self.at(self.pos);
            if valid(c) {
                count += 1;
                self.pos += 1;
            } else if c == b'_' && count > 0 && valid(self.at(self.pos + 1)) {
                self.pos += 1;
            } else {
                return Ok(count);
            }
        }
    }

    fn number(&mut self, out: &mut Vec<Tok>) -> L<()> {
        let start = self.pos;
        let first = self.at(start);
        let radix: Option<fn(u8) -> bool> = if first == b'0' {
            match self.at(start + 1) {
                b'x' | b'X' => Some(|c: u8| c.is_ascii_hexdigit()),
                b'o' | b'O' => Some(|c: u8| (b'0'..=b'7').contains(&c)),
                b'b' | b'B' => Some(|c: u8| c == b'0' || c == b'1'),
                _ => None,
            }
        } else {
            None
        };
        if let Some(valid) = radix {
            self.pos += 2;
            if self.at(self.pos) == b'_' {
                self.pos += 1;
            }
            if self.digits(valid)? == 0 {
                return Err(self.unsure("malformed number"));
            }
        } else {
            let mut integer = true;
            if first != b'.' {
                self.digits(|c| c.is_ascii_digit())?;
            }
            if self.at(self.pos) == b'.' {
                integer = false;
                self.pos += 1;
                let fraction = self.digits(|c| c.is_ascii_digit())?;
                if first == b'.' && fraction == 0 {
                    return Err(self.unsure("malformed number"));
                }
            }
            if matches!(self.at(self.pos), b'e' | b'E') {
                integer = false;
                self.pos += 1;
                if matches!(self.at(self.pos), b'+' | b'-') {
                    self.pos += 1;
                }
                if self.digits(|c| c.is_ascii_digit())? == 0 {
                    return Err(self.unsure("malformed number"));
                }
            }
            if matches!(self.at(self.pos), b'j' | b'J') {
                integer = false;
                self.pos += 1;
            }
            // `0777` is Python 2; `00` and `0_0` are fine.
            if integer
                && first == b'0'
                && self.src[start..self.pos]
                    .iter()
                    .any(|&c| c != b'0' && c != b'_')
            {
                return Err(self.unsure("leading zero in a decimal integer"));
            }
        }
        let after = self.at(self.pos);
        if after.is_ascii_alphanumeric() || after == b'_' || after >= 0x80 {
            return Err(self.unsure("number glued to a name"));
        }
        Self::push(out, K::Number, start, self.pos);
        Ok(())
    }

    /// A string whose prefix (already consumed) gave `flags`; `self.pos` is at the quote.
    fn string(&mut self, out: &mut Vec<Tok>, start: usize, flags: u8) -> L<()> {
        let raw = flags & PREFIX_RAW != 0;
        let quote = self.at(self.pos);
        let triple = self.at(self.pos + 1) == quote && self.at(self.pos + 2) == quote;
        self.pos += if triple { 3 } else { 1 };
        let mut out_flags = flags & (STR_BYTES | STR_INTERPOLATED | STR_TEMPLATE);
        if flags & STR_INTERPOLATED != 0 {
            self.interpolated(start as u32, raw, quote, triple)?;
        } else {
            loop {
                // A backslash as the file's last byte steps past its end (found by the
                // `scan_differential` fuzz target).
                let Some(rest) = self.src.get(self.pos..) else {
                    return Err(self.unsure("unterminated string"));
                };
                let found = if triple {
                    memchr2(quote, b'\\', rest)
                } else {
                    memchr3(quote, b'\\', b'\n', rest)
                };
                let Some(i) = found else {
                    return Err(self.unsure("unterminated string"));
                };
                self.pos += i;
                match self.src[self.pos] {
                    b'\\' => {
                        if raw {
                            self.skip_escaped();
                        } else {
                            out_flags |= STR_ESCAPES;
                            self.pos += self.escape(flags & STR_BYTES != 0)?;
                        }
                    }
                    b'\n' => return Err(self.unsure("unterminated string")),
                    _ => {
                        if !triple {
                            self.pos += 1;
                            break;
                        }
                        if self.at(self.pos + 1) == quote && self.at(self.pos + 2) == quote {
                            self.pos += 3;
                            break;
                        }
                        self.pos += 1;
                    }
                }
            }
            // `b'é'` is a syntax error ("bytes can only contain ASCII literal characters").
            if flags & STR_BYTES != 0 && !self.src[start..self.pos].is_ascii() {
                return Err(self.unsure("non-ASCII character in a bytes literal"));
            }
        }
        // "Cannot mix t-string literals with string or bytes literals": `t'a' 'b'` (found by
        // the `scan_differential` fuzz target).
        if let Some(previous) = out.last() {
            if previous.kind == K::Str && (previous.flags ^ out_flags) & STR_TEMPLATE != 0 {
                return Err(self.unsure("t-string concatenated with another kind of string"));
            }
        }
        out.push(Tok {
            kind: K::Str,
            flags: out_flags,
            start: start as u32,
            end: self.pos as u32,
        });
        Ok(())
    }

    /// Steps over a backslash and the character it escapes (a `\r\n` counts as one).
    fn skip_escaped(&mut self) {
        self.pos += match (self.at(self.pos + 1), self.at(self.pos + 2)) {
            (b'\r', b'\n') => 3,
            _ => 2,
        };
    }

    /// Length of the escape at `self.pos` in a non-raw literal, checked the way the full
    /// parser checks it: `\x`, `\u`, `\U` need their hex digits and `\N{...}` a name the
    /// Unicode database knows (the same `unicode_names2` lookup ruff does).
    fn escape(&self, bytes: bool) -> L<usize> {
        let at = self.pos;
        let hex = |n: usize| (0..n).all(|k| self.at(at + 2 + k).is_ascii_hexdigit());
        let ok = match self.at(at + 1) {
            b'\r' if self.at(at + 2) == b'\n' => return Ok(3),
            b'x' => hex(2),
            b'u' if !bytes => hex(4),
            b'U' if !bytes => {
                hex(8)
                    && std::str::from_utf8(&self.src[at + 2..at + 10])
                        .ok()
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .is_some_and(|v| char::from_u32(v).is_some())
            }
            b'N' if !bytes => {
                let name_start = at + 3;
                let close = (self.at(at + 2) == b'{')
                    .then(|| {
                        self.src[name_start..]
                            .iter()
                            .take(128)
                            .position(|&c| c == b'}')
                    })
                    .flatten();
                let name = close.map(|len| &self.src[name_start..name_start + len]);
                match name {
                    Some(name)
                        if name
                            .iter()
                            .all(|&c| c.is_ascii_alphanumeric() || c == b' ' || c == b'-')
                            && std::str::from_utf8(name)
                                .ok()
                                .and_then(unicode_names2::character)
                                .is_some() =>
                    {
                        return Ok(3 + name.len() + 1);
                    }
                    _ => false,
                }
            }
            _ => true,
        };
        if ok {
            Ok(2)
        } else {
            Err(self.unsure("escape the full parser rejects"))
        }
    }

    /// The body of an f-string (or t-string) after its opening quotes.
    fn interpolated(&mut self, owner: u32, raw: bool, quote: u8, triple: bool) -> L<()> {
        loop {
            let c = self.at(self.pos);
            match c {
                0 if self.pos >= self.src.len() => return Err(self.unsure("unterminated f-string")),
                b'\\' => {
                    let next = self.at(self.pos + 1);
                    if next == b'{' || next == b'}' {
                        // The backslash stays in the text; the brace still means what it means.
                        self.pos += 1;
                    } else if raw {
                        // A raw string still cannot end on an escaped quote.
                        self.pos += if next == quote || next == b'\\' { 2 } else { 1 };
                    } else {
                        // `\N{...}` included: its braces are not a replacement field.
                        self.pos += self.escape(false)?;
                    }
                }
                b'\n' | b'\r' => {
                    if !triple {
                        return Err(self.unsure("unterminated f-string"));
                    }
                    self.pos += 1;
                }
                b'{' => {
                    if self.at(self.pos + 1) == b'{' {
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        self.replacement_field(owner, raw, quote, triple)?;
                    }
                }
                b'}' => {
                    if self.at(self.pos + 1) == b'}' {
                        self.pos += 2;
                    } else {
                        return Err(self.unsure("single `}` in an f-string"));
                    }
                }
                _ if c == quote => {
                    if !triple {
                        self.pos += 1;
                        return Ok(());
                    }
                    if self.at(self.pos + 1) == quote && self.at(self.pos + 2) == quote {
                        self.pos += 3;
                        return Ok(());
                    }
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// `{expression [=] [!conversion] [:format spec]}`, with `self.pos` after the `{`.
    fn replacement_field(&mut self, owner: u32, raw: bool, quote: u8, triple: bool) -> L<()> {
        let mut buffer = std::mem::take(&mut self.fields);
        let base = buffer.len();
        let end = self.lex(&mut buffer, Some(Field { triple }));
        let checked = end.and_then(|end| {
            let mut tokens = &buffer[base..];
            // The self-documenting `{x=}`.
            if let [rest @ .., last] = tokens {
                if last.kind == K::Equal {
                    tokens = rest;
                }
            }
            if tokens.iter().any(|t| {
                let text = &self.src[t.start as usize..t.end as usize];
                matches!(t.kind, K::Name | K::Dotted)
                    && (text.ends_with(b"__import__") || text.ends_with(b"import_module"))
            }) {
                return Err(self.unsure("dynamic import inside an f-string"));
            }
            // Kept for the parser, which checks and walks them like any expression.
            let start = self.line_fields.len() as u32;
            self.line_fields.extend_from_slice(tokens);
            let at = tokens.last().map_or(0, |t| t.end);
            self.line_fields.push(Tok {
                kind: K::Newline,
                flags: 0,
                start: at,
                end: at,
            });
            self.records.push(FieldRecord {
                owner,
                start,
                end: self.line_fields.len() as u32 - 1,
            });
            Ok(end)
        });
        buffer.truncate(base);
        self.fields = buffer;
        let mut end = checked?;
        if end == FieldEnd::Conversion {
            // `!r`, `!s`, `!a`, directly after the `!`.
            match (self.at(self.pos + 1), self.at(self.pos + 2)) {
                (b'r' | b's' | b'a', b':' | b'}') => self.pos += 2,
                _ => return Err(self.unsure("f-string conversion")),
            }
            end = if self.at(self.pos) == b':' {
                FieldEnd::Spec
            } else {
                FieldEnd::Close
            };
        }
        if end == FieldEnd::Spec {
            self.pos += 1;
            self.format_spec(owner, raw, quote, triple)?;
        }
        debug_assert_eq!(self.at(self.pos), b'}');
        self.pos += 1;
        Ok(())
    }

    /// A format spec, up to (not past) the `}` that closes its field.
    fn format_spec(&mut self, owner: u32, raw: bool, quote: u8, triple: bool) -> L<()> {
        loop {
            let c = self.at(self.pos);
            match c {
                b'}' => return Ok(()),
                b'{' => {
                    self.pos += 1;
                    self.replacement_field(owner, raw, quote, triple)?;
                }
                b'\\' | b'\n' | b'\r' => return Err(self.unsure("unusual f-string format spec")),
                0 if self.pos >= self.src.len() => return Err(self.unsure("unterminated f-string")),
                _ if c == quote => return Err(self.unsure("quote in an f-string format spec")),
                _ => self.pos += 1,
            }
        }
    }
}

const PREFIX_RAW: u8 = 8;

/// Flags of a valid string prefix (`r`, `b`, `u`, `f`, `t` and their allowed pairs).
fn string_prefix(text: &[u8]) -> Option<u8> {
    let mut flags = 0;
    for &c in text {
        let bit = match c.to_ascii_lowercase() {
            b'r' => PREFIX_RAW,
            b'b' => STR_BYTES,
            b'f' => STR_INTERPOLATED,
            b't' => STR_INTERPOLATED | STR_TEMPLATE,
            b'u' if text.len() == 1 => 0,
            _ => return None,
        };
        if flags & bit != 0 {
            return None;
        }
        flags |= bit;
    }
    if flags & STR_BYTES != 0 && flags & STR_INTERPOLATED != 0 {
        return None;
    }
    Some(flags)
}

/// The text between the quotes of a string token.
pub(crate) fn string_body<'s>(src: &'s [u8], tok: &Tok) -> &'s [u8] {
    let text = &src[tok.start as usize..tok.end as usize];
    let prefix = text.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let quote = text[prefix];
    let triple = text.len() >= prefix + 6 && text[prefix + 1] == quote && text[prefix + 2] == quote;
    let q = if triple { 3 } else { 1 };
    &text[prefix + q..text.len() - q]
}

/// Length of the run of spaces `bytes` starts with.
#[inline]
fn spaces(bytes: &[u8]) -> usize {
    bytes.iter().position(|&c| c != b' ').unwrap_or(bytes.len())
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit of each byte of `x` (all below 0x80) that lies in `lo..=hi`.
#[inline]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least = x.wrapping_add((0x80 - lo as u64) * LOW);
    let above = x.wrapping_add((0x7f - hi as u64) * LOW);
    at_least & !above & HIGH
}

/// High bit of each byte of `x` that does not continue an identifier (non-ASCII included).
#[inline]
fn non_identifier(x: u64) -> u64 {
    let ascii = x & !HIGH;
    let digits = in_range(ascii, b'0', b'9');
    let letters = in_range(ascii | 0x2020_2020_2020_2020, b'a', b'z');
    let underscore = {
        let v = ascii ^ (b'_' as u64 * LOW);
        !(((v & !HIGH).wrapping_add(!HIGH)) | v | !HIGH)
    };
    (!(digits | letters | underscore) & HIGH) | (x & HIGH)
}

/// End of the identifier starting at `start`, eight bytes at a time (most names fit in one
/// step).
#[inline]
fn identifier_end(src: &[u8], start: usize) -> usize {
    let mut pos = start + 1;
    while let Some(eight) = src.get(pos..pos + 8) {
        let x = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
        let stop = non_identifier(x);
        if stop != 0 {
            return pos + (stop.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    pos + src[pos..]
        .iter()
        .position(|&c| !IDENT[c as usize])
        .unwrap_or(src.len() - pos)
}

/// Bytes that start an ASCII identifier.
static IDENT_START: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphabetic() || b == b'_';
        c += 1;
    }
    table
};

/// Bytes that continue an ASCII identifier.
static IDENT: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    table
};

/// Up to 8 bytes of a word, little-endian in a `u64`, zero-padded.
const fn word(text: &[u8]) -> u64 {
    let mut value = 0u64;
    let mut i = 0;
    while i < text.len() {
        value |= (text[i] as u64) << (8 * i);
        i += 1;
    }
    value
}

/// The keyword kind of `src[start..end]`, or `Name`: one integer compare per keyword
/// instead of byte strings, since every name goes through here.
fn keyword(src: &[u8], start: usize, end: usize) -> K {
    let len = end - start;
    if !(2..=8).contains(&len) {
        return K::Name;
    }
    let value = match src.get(start..start + 8) {
        Some(eight) => {
            let all = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
            if len == 8 {
                all
            } else {
                all & ((1u64 << (8 * len)) - 1)
            }
        }
        None => word(&src[start..end]),
    };
    let (word, kind) = KEYWORDS[keyword_slot(value)];
    if word == value {
        kind
    } else {
        K::Name
    }
}

/// A perfect hash of the keywords (checked when the table is built): one multiply, one load
/// and one compare per name, where a `match` over 35 constants costs a chain of branches.
const KEYWORD_MAGIC: u64 = 0xb57c_8e05_e3c9_b0e1;

#[inline]
const fn keyword_slot(value: u64) -> usize {
    (value.wrapping_mul(KEYWORD_MAGIC) >> 58) as usize
}

static KEYWORDS: [(u64, K); 64] = {
    let words: [(&[u8], K); 35] = [
        (b"False", K::False),
        (b"None", K::None),
        (b"True", K::True),
        (b"and", K::And),
        (b"as", K::As),
        (b"assert", K::Assert),
        (b"async", K::Async),
        (b"await", K::Await),
        (b"break", K::Break),
        (b"class", K::Class),
        (b"continue", K::Continue),
        (b"def", K::Def),
        (b"del", K::Del),
        (b"elif", K::Elif),
        (b"else", K::Else),
        (b"except", K::Except),
        (b"finally", K::Finally),
        (b"for", K::For),
        (b"from", K::From),
        (b"global", K::Global),
        (b"if", K::If),
        (b"import", K::Import),
        (b"in", K::In),
        (b"is", K::Is),
        (b"lambda", K::Lambda),
        (b"nonlocal", K::Nonlocal),
        (b"not", K::Not),
        (b"or", K::Or),
        (b"pass", K::Pass),
        (b"raise", K::Raise),
        (b"return", K::Return),
        (b"try", K::Try),
        (b"while", K::While),
        (b"with", K::With),
        (b"yield", K::Yield),
    ];
    // Slot 0 of an empty table holds 0, which no name of two bytes or more equals.
    let mut table = [(0u64, K::Name); 64];
    let mut i = 0;
    while i < words.len() {
        let value = word(words[i].0);
        let slot = keyword_slot(value);
        assert!(table[slot].0 == 0, "keyword hash collision");
        table[slot] = (value, words[i].1);
        i += 1;
    }
    table
};

/// Whether `source` holds a carriage return that is not part of a `\r\n`: old Mac line ends,
/// which the line index and the full parser count as breaks but this lexer does not handle.
pub(crate) fn has_lone_carriage_return(src: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = memchr(b'\r', &src[from..]) {
        let at = from + i;
        if src.get(at + 1) != Some(&b'\n') {
            return true;
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Result<Vec<Vec<K>>, Unsure> {
        let mut lexer = Lexer::new(src);
        let mut lines = Vec::new();
        let mut toks = Vec::new();
        while lexer.next_line(&mut toks)?.is_some() {
            // The line's own tokens; f-string fields follow its `Newline`.
            let end = toks.iter().position(|t| t.kind == K::Newline).unwrap() + 1;
            lines.push(toks[..end].iter().map(|t| t.kind).collect());
        }
        Ok(lines)
    }

    #[test]
    fn strings_comments_and_continuations_hide_their_content() {
        let src =
            "x = 'import a' # import b\ny = \"\"\"\nimport c\n\"\"\"\nz = (1,\n  2) \\\n + 3\n";
        let lines = kinds(src).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], [K::Name, K::Equal, K::Str, K::Newline]);
        assert_eq!(lines[1], [K::Name, K::Equal, K::Str, K::Newline]);
        assert_eq!(lines[2].len(), 10);
    }

    #[test]
    fn fstrings_with_nested_quotes_are_one_token() {
        let src = "x = f\"{d[\"k\"]!r:>{width}} {'{'} {{x}}\"\ny = rf'\\{a}' + t'{b}'\n";
        let lines = kinds(src).unwrap();
        assert_eq!(lines[0], [K::Name, K::Equal, K::Str, K::Newline]);
        assert_eq!(
            lines[1],
            [K::Name, K::Equal, K::Str, K::Plus, K::Str, K::Newline]
        );
    }

    #[test]
    fn python2_literals_and_bad_strings_are_unsure() {
        for src in [
            "x = 0777\n",
            "x = 10L\n",
            "x = ur'a'\n",
            "x = `a`\n",
            "a <> b\n",
            "x = 'abc\n",
            "x = '''abc\n",
            "x = '\\N{DASH}'\n",
            "x = '\\x4'\n",
            "x = f'{a'\n",
            "x = f'}'\n",
            "x = (1,\n",
            "x = )\n",
            "€ = 1\n",
        ] {
            assert!(kinds(src).is_err(), "{src:?}");
        }
        for src in [
            "x = 00\n",
            "x = 0_0 + 0x_1f + 1_000.5e-3j + .5\n",
            "x = b'\\N'\n",
        ] {
            assert!(kinds(src).is_ok(), "{src:?}");
        }
    }

    #[test]
    fn identifiers_end_where_a_table_says() {
        let all: Vec<u8> = (0..=255u8).collect();
        for b in all {
            let mut src = b"abcdefghij".to_vec();
            for at in 1..src.len() {
                let mut text = src.clone();
                text[at] = b;
                let expected = if IDENT[b as usize] { text.len() } else { at };
                assert_eq!(identifier_end(&text, 0), expected, "byte {b:#x} at {at}");
            }
            src.clear();
        }
    }

    #[test]
    fn indentation_is_measured_like_ruff() {
        let mut lexer = Lexer::new("if x:\n\t  y\n");
        let mut toks = Vec::new();
        assert_eq!(lexer.next_line(&mut toks).unwrap(), Some(Indent::default()));
        let indent = lexer.next_line(&mut toks).unwrap().unwrap();
        assert_eq!((indent.column, indent.chars), (4, 3));
        let eight_spaces = Indent {
            column: 8,
            chars: 8,
        };
        assert!(indent.compare(eight_spaces).is_ok());
        let one_tab = Indent {
            column: 2,
            chars: 1,
        };
        let three_spaces = Indent {
            column: 3,
            chars: 3,
        };
        assert!(one_tab.compare(three_spaces).is_ok());
        let two_tabs = Indent {
            column: 4,
            chars: 2,
        };
        assert!(two_tabs.compare(three_spaces).is_err());
    }
}
