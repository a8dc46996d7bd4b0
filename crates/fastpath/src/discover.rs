//! Entry candidates for a project with no `entry` configured: what `init` and
//! `--show-settings` propose. They come from the places a deployment already names its entry
//! points: `[project.scripts]` in `pyproject.toml` and `console_scripts` under
//! `[options.entry_points]` in a setuptools `setup.cfg` (console scripts, `pkg.mod:function`), a SAM
//! `template.yaml`/`template.yml` (`Handler`, searched under its function's `CodeUri`), and a
//! Serverless `serverless.yml` (`handler: dir/module.function`).
//!
//! The YAML files are read line by line rather than parsed: a template's `Handler`/`CodeUri`
//! and Serverless's `handler:` are plain scalars in every real template, and CloudFormation's
//! own tags (`!Ref`, `!Sub`) would need a custom schema from a YAML parser anyway.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One proposed entry and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// As it would be written in `entry = [...]`.
    pub entry: String,
    /// A `src` root the entry needs (a SAM function's `CodeUri`), relative to the project root.
    pub src: Option<PathBuf>,
    /// Where it was found (`pyproject.toml [project.scripts] http`).
    pub origin: String,
}

/// `[project.scripts]` of a `pyproject.toml`: script name to `pkg.mod:function`. A file that
/// cannot be read or parsed has none (the settings reader reports its errors).
pub fn console_scripts(pyproject: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(pyproject) else {
        return BTreeMap::new();
    };
    let Ok(value) = text.parse::<toml::Table>() else {
        return BTreeMap::new();
    };
    value
        .get("project")
        .and_then(|p| p.get("scripts"))
        .and_then(toml::Value::as_table)
        .map(|scripts| {
            scripts
                .iter()
                .filter_map(|(name, target)| {
                    Some((name.clone(), target.as_str()?.trim().to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `console_scripts` under `[options.entry_points]` of a setuptools `setup.cfg`: script name to
/// `pkg.mod:function` (extras in brackets left out). Read as configparser reads it: `key = value`
/// or `key: value`, the value continued on indented lines, `#` and `;` comment lines.
pub fn setup_cfg_console_scripts(setup_cfg: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(setup_cfg) else {
        return BTreeMap::new();
    };
    let mut in_section = false;
    let mut in_key = false;
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') && indent(line) == 0 {
            in_section = trimmed == "[options.entry_points]";
            in_key = false;
            continue;
        }
        if !in_section || trimmed.is_empty() {
            continue;
        }
        if indent(line) == 0 {
            let Some(at) = line.find(['=', ':']) else {
                in_key = false;
                continue;
            };
            in_key = line[..at].trim() == "console_scripts";
            if in_key {
                lines.push(line[at + 1..].trim());
            }
        } else if in_key {
            lines.push(trimmed);
        }
    }
    lines
        .into_iter()
        .filter_map(|line| {
            let (name, target) = line.split_once('=')?;
            let target = target.split('[').next()?.trim();
            (!name.trim().is_empty() && !target.is_empty())
                .then(|| (name.trim().to_string(), target.to_string()))
        })
        .collect()
}

/// Every candidate under `root`, in a stable order: console scripts, SAM, Serverless.
pub fn candidates(root: &Path) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (name, target) in console_scripts(&root.join("pyproject.toml")) {
        out.push(Candidate {
            entry: target,
            src: None,
            origin: format!("pyproject.toml [project.scripts] {name}"),
        });
    }
    for (name, target) in setup_cfg_console_scripts(&root.join("setup.cfg")) {
        out.push(Candidate {
            entry: target,
            src: None,
            origin: format!("setup.cfg [options.entry_points] console_scripts {name}"),
        });
    }
    for file in ["template.yaml", "template.yml"] {
        if let Ok(text) = std::fs::read_to_string(root.join(file)) {
            for (handler, code_uri) in sam_handlers(&text) {
                let src = code_uri
                    .map(|c| PathBuf::from(c.trim_end_matches('/')))
                    .filter(|c| !c.as_os_str().is_empty() && c != Path::new("."));
                out.push(Candidate {
                    entry: handler.clone(),
                    src,
                    origin: format!("{file} Handler: {handler}"),
                });
            }
        }
    }
    for file in ["serverless.yml", "serverless.yaml"] {
        if let Ok(text) = std::fs::read_to_string(root.join(file)) {
            for handler in serverless_handlers(&text) {
                out.push(Candidate {
                    entry: serverless_entry(&handler),
                    src: None,
                    origin: format!("{file} handler: {handler}"),
                });
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.entry.clone()));
    out
}

/// The candidates under `root` as `--show-settings` and `init` print them, with the
/// configuration that would select them all.
pub fn show_candidates(root: &Path, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let found = candidates(root);
    if found.is_empty() {
        return Ok(());
    }
    writeln!(out, "entry candidates (none configured):")?;
    for candidate in &found {
        writeln!(out, "  {}  (from {})", candidate.entry, candidate.origin)?;
    }
    writeln!(out, "{}", suggestion(&found))
}

/// The `[tool.fastpath]` lines that select every candidate.
pub fn suggestion(found: &[Candidate]) -> String {
    let entries: Vec<String> = found.iter().map(|c| format!("{:?}", c.entry)).collect();
    let mut src: Vec<String> = found
        .iter()
        .filter_map(|c| {
            c.src
                .as_ref()
                .map(|s| format!("{:?}", s.display().to_string()))
        })
        .collect();
    src.dedup();
    let mut text = format!(
        "to use them, add to [tool.fastpath]:\n  entry = [{}]",
        entries.join(", ")
    );
    if !src.is_empty() {
        text.push_str(&format!("\n  src = [{}]", src.join(", ")));
    }
    text
}

/// A scalar value with its quotes and trailing comment removed.
fn scalar(value: &str) -> Option<String> {
    let value = value.trim();
    let value = match value.chars().next() {
        Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
        _ => value.split(" #").next().unwrap_or("").trim(),
    };
    (!value.is_empty() && !value.starts_with('!') && !value.starts_with('{'))
        .then(|| value.to_string())
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// `key: value` on a line, for `key` at any indentation.
fn key_value<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    line.trim_start()
        .strip_prefix(key)?
        .strip_prefix(':')
        .filter(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// Each SAM `Handler` with the `CodeUri` of the same properties block, else the `Globals`'.
fn sam_handlers(text: &str) -> Vec<(String, Option<String>)> {
    let lines: Vec<&str> = text.lines().collect();
    let global_uri = lines
        .iter()
        .position(|l| l.trim_end() == "Globals:")
        .and_then(|start| {
            lines[start + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || indent(l) > 0)
                .find_map(|l| key_value(l, "CodeUri").and_then(scalar))
        });
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(handler) = key_value(line, "Handler").and_then(scalar) else {
            continue;
        };
        let level = indent(line);
        // The block: the lines around at the same indentation, up to a shallower one.
        let in_block = |l: &&&str| l.trim().is_empty() || indent(l) >= level;
        let before = lines[..i].iter().rev().take_while(in_block);
        let after = lines[i + 1..].iter().take_while(in_block);
        let uri = before
            .chain(after)
            .filter(|l| indent(l) == level)
            .find_map(|l| key_value(l, "CodeUri").and_then(scalar))
            .or_else(|| global_uri.clone());
        out.push((handler, uri));
    }
    out
}

/// Each Serverless `handler:` value.
fn serverless_handlers(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| key_value(l, "handler").and_then(scalar))
        .collect()
}

/// Serverless writes `dir/module.function`: a module path without `.py`, then the function.
/// With a directory it becomes the file form `dir/module.py:function`; without one it is a
/// handler string already.
fn serverless_entry(handler: &str) -> String {
    match (handler.contains('/'), handler.rsplit_once('.')) {
        (true, Some((module, function))) => format!("{module}.py:{function}"),
        _ => handler.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sam_handler_takes_its_own_code_uri_else_the_globals() {
        let template = "\
Globals:
  Function:
    CodeUri: shared/
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Handler: services.orders.handler.lambda_handler  # the orders API
      CodeUri: src/
      Runtime: python3.11
  Users:
    Type: AWS::Serverless::Function
    Properties:
      Handler: \"users.app.handler\"
";
        assert_eq!(
            sam_handlers(template),
            [
                (
                    "services.orders.handler.lambda_handler".to_string(),
                    Some("src/".to_string())
                ),
                ("users.app.handler".to_string(), Some("shared/".to_string())),
            ]
        );
    }

    #[test]
    fn serverless_handlers_become_entries() {
        let yml = "functions:\n  hello:\n    handler: handler.hello\n  orders:\n    handler: src/orders/api.handle\n";
        let entries: Vec<String> = serverless_handlers(yml)
            .iter()
            .map(|h| serverless_entry(h))
            .collect();
        assert_eq!(entries, ["handler.hello", "src/orders/api.py:handle"]);
    }

    #[test]
    fn console_scripts_are_read_from_pyproject() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(
            &path,
            "[project]\nname = 'x'\n[project.scripts]\nmycli = 'mycli.__main__:main'\n",
        )
        .unwrap();
        assert_eq!(
            console_scripts(&path).get("mycli").map(String::as_str),
            Some("mycli.__main__:main")
        );
        assert!(candidates(dir.path())[0].origin.contains("mycli"));
        assert!(console_scripts(&dir.path().join("missing.toml")).is_empty());
    }

    #[test]
    fn console_scripts_are_read_from_setup_cfg() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("setup.cfg"),
            "[metadata]\nname = httpie\n\n[options.entry_points]\n# the commands\n\
             console_scripts = \n\thttp = httpie.__main__:main\n\thttpie = httpie.manager.__main__:main [cli]\n\
             pygments.lexers =\n\tx = not.a:script\n\n[options]\nconsole_scripts = no = no:no\n",
        )
        .unwrap();
        let scripts = setup_cfg_console_scripts(&dir.path().join("setup.cfg"));
        assert_eq!(
            scripts.into_iter().collect::<Vec<_>>(),
            [
                ("http".to_string(), "httpie.__main__:main".to_string()),
                (
                    "httpie".to_string(),
                    "httpie.manager.__main__:main".to_string()
                )
            ]
        );
        assert_eq!(candidates(dir.path())[0].entry, "httpie.__main__:main");
        assert!(setup_cfg_console_scripts(&dir.path().join("missing.cfg")).is_empty());
    }

    #[test]
    fn tags_and_blank_values_are_not_handlers() {
        assert_eq!(scalar(" !Ref Handler"), None);
        assert_eq!(scalar(" "), None);
        assert_eq!(scalar(" 'a.b' # c"), Some("a.b".to_string()));
    }
}
