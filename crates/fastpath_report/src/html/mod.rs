//! The page shell the HTML reports share: one self-contained file with its style, its data and
//! its script inline, and nothing that reaches the network.
//!
//! A report is read offline, from a CI artifact, and it shows names that come from the code
//! being measured: a module or a file may be called `<script>`. So the page is built in two
//! halves that never mix. Every name travels as data, in a `<script type="application/json">`
//! block where `<`, `>` and `&` are written as JSON escapes (the block cannot be closed from
//! inside, and JSON.parse gives the names back intact); the script then puts them on the page
//! through `textContent` only, never as markup. The few strings written into the markup itself
//! (the title) go through [`escape`]. The Content-Security-Policy allows no source at all
//! beyond the page's inline style and its one script, named by its SHA-256: even a mistake
//! could neither make it load anything nor run an injected handler. All script is written for
//! fastpath; nothing is vendored.

mod digest;

use std::io::{self, Write};

use serde::Serialize;

/// The style every report shares.
const STYLE: &str = include_str!("style.css");
/// Helpers every report's script uses (element building, number formatting, the tooltip).
const COMMON_JS: &str = include_str!("common.js");

/// `text` with the five HTML special characters escaped, for text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `data` as JSON that is safe inside a `<script type="application/json">` element: `<`, `>`
/// and `&` (which can only occur inside JSON strings) become `\u003c`, `\u003e`, `\u0026`, and
/// the line separators U+2028 and U+2029 are escaped too.
pub fn script_json<T: Serialize + ?Sized>(data: &T) -> serde_json::Result<String> {
    let json = serde_json::to_string(data)?;
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Writes a whole page: `title` (escaped here), the shared style, `data` as the page's JSON,
/// the shared script and the report's own `script` (fastpath's code, never user text).
pub fn write_page<T: Serialize + ?Sized>(
    out: &mut dyn Write,
    title: &str,
    data: &T,
    script: &str,
) -> io::Result<()> {
    let json = script_json(data).map_err(io::Error::other)?;
    let code = format!("\n\"use strict\";\n{COMMON_JS}\n{script}\n");
    let hash = digest::base64(&digest::sha256(code.as_bytes()));
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"fastpath {version}\">\n\
<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
<noscript>This report draws itself with JavaScript; its data is in the page source as JSON.</noscript>\n\
<main id=\"app\"></main>\n<div id=\"tooltip\" role=\"tooltip\" hidden></div>\n\
<script type=\"application/json\" id=\"fastpath-data\">{json}</script>\n\
<script>{code}</script>\n</body>\n</html>\n",
        version = env!("CARGO_PKG_VERSION"),
        title = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape("plain.module"), "plain.module");
    }

    #[test]
    fn script_json_cannot_close_its_element_and_round_trips() {
        let name = "</script><script>alert(1)</script>&\u{2028}";
        let json = script_json(&[name]).unwrap();
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        assert!(!json.contains('\u{2028}'));
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [name]);
    }

    #[test]
    fn the_page_has_only_its_own_script_elements_and_no_source_to_fetch() {
        let mut out = Vec::new();
        write_page(&mut out, "<script>", &["<script>x</script>"], "run();").unwrap();
        let page = String::from_utf8(out).unwrap();
        assert_eq!(page.matches("<script").count(), 2, "{page}");
        assert!(page.contains("<title>&lt;script&gt;</title>"));
        assert!(page.contains("default-src 'none'"));
        // The policy names the page's script by its hash.
        let start = page.find("<script>").unwrap() + "<script>".len();
        let end = start + page[start..].find("</script>").unwrap();
        let hash = digest::base64(&digest::sha256(&page.as_bytes()[start..end]));
        assert!(page.contains(&format!("script-src 'sha256-{hash}'")));
        for fetches in ["src=", "href=", "url(", "@import", "http://", "https://"] {
            assert!(!page.contains(fetches), "{fetches}");
        }
    }
}
