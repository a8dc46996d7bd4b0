//! The bootstrap protocol: the program each run executes, the result file it writes
//! (`key LEN` records), and the nonce markers that delimit the entry's rows on fd 2.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::RunError;

/// The Python program each run executes with `-c`.
pub const BOOTSTRAP: &str = include_str!("../bootstrap.py");

/// What a start-up run executes: nothing, then `os._exit` as the bootstrap does (interpreter
/// shutdown is no part of a cold start). `os` is already loaded by `site` at start-up, so the
/// import costs nothing.
pub const STARTUP_CODE: &str = "import os; os._exit(0)";

/// The program a measured run executes: the bootstrap, then the entry's import as a plain
/// module-level statement and the bootstrap's report (see `bootstrap.py` for why the import
/// must sit at module level in a frame as small as `python -c "import ENTRY"`'s). `entry` must
/// have passed [`valid_entry`].
pub(super) fn program(entry: &str) -> String {
    format!("{BOOTSTRAP}import {entry}\n_fastpath_call()\n_fastpath_end()\n")
}

/// Python's hard keywords: no part of a module name an `import` statement can spell.
const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Whether `entry` is a dotted Python identifier (no part a keyword).
pub(super) fn valid_entry(entry: &str) -> bool {
    !entry.is_empty()
        && entry.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
                && !KEYWORDS.contains(&part)
        })
}

/// The bootstrap's result file, parsed.
#[derive(Debug, Default)]
pub(super) struct Report {
    pub(super) version: String,
    pub(super) implementation: String,
    pub(super) executable: String,
    pub(super) status: String,
    pub(super) modules: BTreeSet<String>,
    pub(super) traceback: String,
    /// Modules the import added, under their own names.
    pub(super) new: Vec<String>,
    /// Module -> the module whose import was in progress when it was first asked for (`""`:
    /// the bootstrap itself).
    pub(super) asked: BTreeMap<String, String>,
    /// Module -> the file it was loaded from, for the modules the import added.
    pub(super) files: BTreeMap<String, std::path::PathBuf>,
}

/// Parses `key LEN\n<LEN bytes>\n` records.
pub(super) fn parse_report(bytes: &[u8], path: &Path) -> Result<Report, RunError> {
    let bad = |message: String| RunError::Protocol {
        path: path.to_path_buf(),
        message,
    };
    let mut report = Report::default();
    let mut seen = BTreeSet::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let newline = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("truncated record header".to_string()))?;
        let header = std::str::from_utf8(&rest[..newline])
            .map_err(|_| bad("record header is not text".to_string()))?;
        let (key, len) = header
            .split_once(' ')
            .ok_or_else(|| bad(format!("bad record header `{header}`")))?;
        let len: usize = len
            .parse()
            .map_err(|_| bad(format!("bad record length in `{header}`")))?;
        let body_start = newline + 1;
        if rest.len() < body_start + len + 1 || rest[body_start + len] != b'\n' {
            return Err(bad(format!("record `{key}` is truncated")));
        }
        let value = String::from_utf8_lossy(&rest[body_start..body_start + len]).into_owned();
        match key {
            "version" => report.version = value,
            "implementation" => report.implementation = value,
            "executable" => report.executable = value,
            "status" => report.status = value,
            "modules" => {
                report.modules = value
                    .split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "traceback" => report.traceback = value,
            "new" => {
                report.new = value
                    .split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "asked" => {
                report.asked = value
                    .split('\n')
                    .filter_map(|line| line.split_once(' '))
                    .map(|(module, importer)| (module.to_string(), importer.to_string()))
                    .collect()
            }
            "files" => {
                report.files = value
                    .split('\n')
                    .filter_map(|line| line.split_once(' '))
                    .map(|(module, file)| (module.to_string(), std::path::PathBuf::from(file)))
                    .collect()
            }
            _ => {}
        }
        seen.insert(key.to_string());
        rest = &rest[body_start + len + 1..];
    }
    for key in ["version", "status", "modules"] {
        if !seen.contains(key) {
            return Err(bad(format!("record `{key}` is missing")));
        }
    }
    Ok(report)
}

/// Where the entry's rows are in a run's fd 2 output.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Segments<'a> {
    /// Rows printed during start-up, before the entry.
    pub(super) startup: &'a str,
    /// Rows printed while importing the entry; `None` if the begin marker is missing.
    pub(super) entry: Option<&'a str>,
    /// Whether the end marker was seen.
    pub(super) ended: bool,
}

/// Splits fd 2 output at the bootstrap's markers. The markers carry a nonce, so nothing the
/// program writes to fd 2 by accident can be taken for one.
pub(super) fn split_segments<'a>(stderr: &'a str, nonce: &str) -> Segments<'a> {
    let begin = format!("fastpath-mark begin {nonce}\n");
    let end = format!("fastpath-mark end {nonce}\n");
    let Some(b) = stderr.find(&begin) else {
        return Segments {
            startup: stderr,
            entry: None,
            ended: false,
        };
    };
    let after = &stderr[b + begin.len()..];
    match after.find(&end) {
        Some(e) => Segments {
            startup: &stderr[..b],
            entry: Some(&after[..e]),
            ended: true,
        },
        None => Segments {
            startup: &stderr[..b],
            entry: Some(after),
            ended: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_dotted_identifiers() {
        assert!(valid_entry("app"));
        assert!(valid_entry("pkg.sub_mod.handler"));
        assert!(valid_entry("_private"));
        assert!(valid_entry("café"));
        assert!(!valid_entry(""));
        assert!(!valid_entry("pkg..mod"));
        assert!(!valid_entry("1abc"));
        assert!(!valid_entry("app; import os"));
        assert!(!valid_entry("app-name"));
        assert!(!valid_entry("pkg.class"));
        assert!(valid_entry("pkg.match.type"));
    }

    #[test]
    fn report_records_round_trip() {
        let text = b"version 6\n3.11.7\nimplementation 7\ncpython\nexecutable 0\n\n\
status 2\nok\nmodules 12\nsys\njson\napp\ntraceback 0\n\n";
        let report = parse_report(text, Path::new("r")).unwrap();
        assert_eq!(report.version, "3.11.7");
        assert_eq!(report.status, "ok");
        assert_eq!(
            report.modules.iter().cloned().collect::<Vec<_>>(),
            ["app", "json", "sys"]
        );
    }

    #[test]
    fn report_with_a_newline_inside_a_value_is_length_delimited() {
        let text = b"version 6\n3.11.7\nstatus 6\nraised\nmodules 0\n\ntraceback 9\nline\nline\n";
        let report = parse_report(text, Path::new("r")).unwrap();
        assert_eq!(report.traceback, "line\nline");
    }

    #[test]
    fn truncated_report_is_a_protocol_error_naming_the_file() {
        let err = parse_report(b"version 60\n3.11", Path::new("/tmp/x/result")).unwrap_err();
        assert!(err.to_string().contains("/tmp/x/result"), "{err}");
        let err = parse_report(b"version 6\n3.11.7\n", Path::new("r")).unwrap_err();
        assert!(err.to_string().contains("`status` is missing"), "{err}");
    }

    #[test]
    fn segments_split_at_nonce_markers_only() {
        let text = "import time: self [us] | cumulative | imported package\n\
import time:        10 |         10 | site\n\
\nfastpath-mark begin N1\n\
fastpath-mark end WRONG\n\
import time:        20 |         20 | app\n\
fastpath-mark end N1\n\
import time:        30 |         30 | traceback\n";
        let s = split_segments(text, "N1");
        assert!(s.startup.contains("site"));
        let entry = s.entry.unwrap();
        assert!(entry.contains("app") && entry.contains("WRONG") && !entry.contains("traceback"));
        assert!(s.ended);
        let s = split_segments("no markers", "N1");
        assert_eq!(s.entry, None);
    }

    #[test]
    fn report_lists_new_modules_and_who_asked() {
        let text = b"version 6\n3.11.7\nstatus 2\nok\nmodules 3\napp\n\
new 10\napp\ndynmod\nasked 15\ndynmod app\napp \n";
        let report = parse_report(text, Path::new("r")).unwrap();
        assert_eq!(report.new, ["app", "dynmod"]);
        assert_eq!(report.asked["dynmod"], "app");
        assert_eq!(report.asked["app"], "");
    }

    #[test]
    fn bootstrap_never_imports_before_the_entry() {
        // Anything imported before the begin marker would be charged to start-up, anything
        // imported between the markers to the entry: the bootstrap may only touch `sys` there.
        let before_end = BOOTSTRAP.split("fastpath-mark end").next().unwrap();
        let imports: Vec<&str> = before_end
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("import ") || l.starts_with("from "))
            .collect();
        // `atexit` is built in: it loads during start-up, before the begin marker.
        assert_eq!(imports, ["import sys", "import atexit"]);
        // The entry's import is a module-level statement after the bootstrap.
        assert!(program("pkg.app")
            .ends_with("\n_fastpath_begin()\nimport pkg.app\n_fastpath_call()\n_fastpath_end()\n"));
    }
}
