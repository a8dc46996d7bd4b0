//! Literal values the scan reads from tokens: string literals (with their escapes decoded),
//! literal lists and tuples of strings (`__all__`, `__lazy_modules__`), and dotted names.

use super::lexer::{Tok, K, STR_BYTES, STR_ESCAPES, STR_INTERPOLATED};
use super::parser::Dotted;
use super::Unsure;

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
