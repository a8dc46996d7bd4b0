//! `--output-format html`: the findings as one self-contained page, in the profile page's style
//! (see [`crate::html`]): each finding with its code, message, place and source line, the chain
//! of statements that puts the module on the cold path, its notes and help; a search box and a
//! filter by rule code.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use fastpath_check::Diagnostic;
use serde::Serialize;

use super::json::{json_diagnostic, JsonDiagnostic};
use crate::html::write_page;

/// The page's own script.
const SCRIPT: &str = include_str!("../html/check.js");

/// A finding: the JSON report's diagnostic, with the source line it points at.
#[derive(Serialize)]
struct Finding<'a> {
    #[serde(flatten)]
    diagnostic: JsonDiagnostic<'a>,
    /// The source line the finding points at, when it can be read.
    source: Option<String>,
}

#[derive(Serialize)]
struct Page<'a> {
    schema: &'static str,
    summary: String,
    measured: bool,
    findings: Vec<Finding<'a>>,
}

/// Writes the page; `root` is where the diagnostics' relative paths start.
pub fn render_html(
    diagnostics: &[Diagnostic],
    root: &Path,
    measured: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut sources: HashMap<PathBuf, Option<String>> = HashMap::new();
    let findings = diagnostics
        .iter()
        .map(|d| {
            let source = d.location.as_ref().and_then(|l| {
                let text = sources.entry(l.path.clone()).or_insert_with(|| {
                    std::fs::read(root.join(&l.path))
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                });
                text.as_deref()?
                    .lines()
                    .nth(l.line.checked_sub(1)? as usize)
                    .map(str::to_string)
            });
            Finding {
                diagnostic: json_diagnostic(d),
                source,
            }
        })
        .collect();
    let page = Page {
        schema: "fastpath.check-page/1",
        summary: super::summary(diagnostics),
        measured,
        findings,
    };
    write_page(out, "fastpath check", &page, SCRIPT)
}

#[cfg(test)]
mod tests {
    use fastpath_check::{rule_by_code, Label, Location};

    use super::*;

    fn data(page: &str) -> serde_json::Value {
        let start = page.find("id=\"fastpath-data\">").unwrap() + "id=\"fastpath-data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        serde_json::from_str(&page[start..end]).unwrap()
    }

    #[test]
    fn findings_keep_their_chain_and_hostile_names_stay_data() {
        let root = std::env::temp_dir().join(format!("fastpath-check-html-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("<b>.py"),
            "import x\nimport </script><script>alert(1)\n",
        )
        .unwrap();
        let diagnostic = Diagnostic::new(
            rule_by_code("FP003").unwrap(),
            "`</script>` is banned",
            Some(Location::new("<b>.py", 2, 1)),
        )
        .with_chain(vec![Label {
            location: Location::new("app.py", 3, 1),
            message: "import <b>".to_string(),
        }])
        .with_help("defer <it>");
        let mut out = Vec::new();
        render_html(&[diagnostic], &root, true, &mut out).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert_eq!(page.matches("<script").count(), 2);
        assert_eq!(page.matches("</script>").count(), 2);
        let data = data(&page);
        assert_eq!(data["schema"], "fastpath.check-page/1");
        assert_eq!(data["summary"], "Found 1 problem (1 FP003).");
        let finding = &data["findings"][0];
        assert_eq!(finding["code"], "FP003");
        assert_eq!(finding["file"], "<b>.py");
        assert_eq!(finding["source"], "import </script><script>alert(1)");
        assert_eq!(finding["chain"][0]["statement"], "import <b>");
        assert_eq!(finding["help"], "defer <it>");
    }

    #[test]
    fn a_clean_check_is_a_page_too() {
        let mut out = Vec::new();
        render_html(&[], Path::new("/nonexistent"), false, &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        let data = data(&page);
        assert_eq!(data["summary"], "No problems found.");
        assert_eq!(data["measured"], false);
    }
}
