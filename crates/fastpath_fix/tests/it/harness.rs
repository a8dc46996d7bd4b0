//! The fix harness, in the spirit of ruff's: for every fixture under `tests/fixtures`, take the
//! imports its header names off the cold path, pass after pass, until a pass changes nothing.
//! Then:
//! - it must have converged within two passes (the second one changes nothing);
//! - the result must still parse, and compile with `python3 -m py_compile`;
//! - the fixture, imported as a module, must return the same value from `handler()` as before;
//! - every line the fix removed or added must be an import line (or the `if TYPE_CHECKING:` /
//!   `__lazy_modules__` lines that hold one), unless the fixture says `# allow: reshape`;
//! - the bytes must keep the encoding, line endings and final newline (a CRLF Latin-1 fixture
//!   without a final newline guards that);
//! - the outcome of the first pass (each fix with its safety, each refusal with its reason) and
//!   the final text are snapshotted.
//!
//! Header lines: `# fix: mod, mod` (required), `# target: 3.15`, `# options: unsafe,
//! lazy-modules, no-new-imports`, `# allow: reshape`. Fixtures for 3.15+ cannot run on the
//! interpreters here (no 3.15 is installed): their run-time checks are skipped with a message,
//! and the re-parse by ruff's parser (which knows PEP 810) still holds them to valid syntax.

use std::path::{Path, PathBuf};
use std::process::Command;

use fastpath_fix::{
    unified_diff, FixOptions, FixSession, LazyStyle, Outcome, Request, SourceFile, Target,
};

struct Header {
    modules: Vec<String>,
    target: Option<Target>,
    unsafe_fixes: bool,
    lazy_modules: bool,
    no_new_imports: bool,
    reshape: bool,
}

fn header(text: &str) -> Header {
    let mut header = Header {
        modules: Vec::new(),
        target: None,
        unsafe_fixes: false,
        lazy_modules: false,
        no_new_imports: false,
        reshape: false,
    };
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("# fix:") {
            header.modules = rest.split(',').map(|m| m.trim().to_owned()).collect();
        } else if let Some(rest) = line.strip_prefix("# target:") {
            let (major, minor) = rest.trim().split_once('.').expect("target like 3.15");
            header.target = Some(Target::new(
                major.parse().unwrap(),
                minor.parse().unwrap(),
                "linux",
            ));
        } else if let Some(rest) = line.strip_prefix("# options:") {
            for option in rest.split(',').map(str::trim) {
                match option {
                    "unsafe" => header.unsafe_fixes = true,
                    "lazy-modules" => header.lazy_modules = true,
                    "no-new-imports" => header.no_new_imports = true,
                    other => panic!("unknown option {other}"),
                }
            }
        } else if line.starts_with("# allow: reshape") {
            header.reshape = true;
        }
    }
    assert!(!header.modules.is_empty(), "a fixture needs `# fix: ...`");
    header
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    files
}

fn python3() -> Option<PathBuf> {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("pass")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("python3 is required under CI=true");
    }
    ok.then(|| PathBuf::from("python3"))
}

/// `repr(module.handler())`, importing the module from `dir`.
fn run_handler(python: &Path, dir: &Path, module: &str) -> String {
    let output = Command::new(python)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONPATH")
        .args([
            "-c",
            &format!("import sys; sys.path.insert(0, '.'); import {module}; print(repr({module}.handler()))"),
        ])
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "{module}.handler() failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One pass: every module-level eager import statement that loads a requested module.
fn pass(bytes: &[u8], header: &Header) -> (Vec<u8>, Vec<String>) {
    let mut session = FixSession::new(bytes).expect("fixture parses and is editable");
    let options = FixOptions {
        target: header.target.clone(),
        lazy_style: if header.lazy_modules {
            LazyStyle::LazyModules
        } else {
            LazyStyle::Keyword
        },
        allow_new_imports: !header.no_new_imports,
        reexports: Vec::new(),
        unsafe_fixes: header.unsafe_fixes,
        loaded_modules: None,
    };
    let statements: Vec<_> = session
        .top_level_imports()
        .into_iter()
        .filter(|i| !i.is_lazy && !i.is_future)
        .filter(|i| {
            i.modules.iter().any(|m| {
                header.modules.iter().any(|want| {
                    m == want
                        || m.starts_with(&format!("{want}."))
                        || want.starts_with(&format!("{m}."))
                })
            })
        })
        .collect();
    let mut log = Vec::new();
    // One request per statement and module, as `fastpath fix` makes one per finding.
    let requests = statements.iter().flat_map(|statement| {
        header
            .modules
            .iter()
            .filter(|want| {
                statement.modules.iter().any(|m| {
                    m == *want
                        || m.starts_with(&format!("{want}."))
                        || want.starts_with(&format!("{m}."))
                })
            })
            .map(|want| Request {
                line: statement.line,
                column: statement.column,
                modules: vec![want.clone()],
            })
    });
    for request in requests {
        let outcome = session
            .take_off_cold_path(&request, &options)
            .expect("no fix error");
        log.push(match outcome {
            Outcome::Fixed(fix) => format!(
                "line {}: fixed ({}): {}{}",
                fix.line,
                fix.safety.as_str(),
                fix.description,
                fix.unsafe_reason
                    .map(|r| format!(" [unsafe: {r}]"))
                    .unwrap_or_default()
            ),
            Outcome::UnsafeSkipped(fix) => format!(
                "line {}: unsafe fix not applied: {} [{}]",
                fix.line,
                fix.description,
                fix.unsafe_reason.unwrap_or_default()
            ),
            Outcome::Refused(refusal) => format!(
                "line {}: refused `{}`: {}",
                refusal.line, refusal.statement, refusal.reason
            ),
            Outcome::NothingToDo { line, why } => format!("line {line}: nothing to do: {why}"),
        });
    }
    (session.finish().expect("encodes"), log)
}

fn is_import_line(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("import ")
        || line.starts_with("from ")
        || line.starts_with("lazy ")
        || line.starts_with("if TYPE_CHECKING")
        || line.starts_with("if typing.TYPE_CHECKING")
        || line.starts_with("__lazy_modules__")
        // continuation lines of a parenthesised import that moved
        || line.ends_with(',') && !line.contains(['=', '('])
        || line == ")"
}

#[test]
fn fixes_converge_compile_and_keep_behaviour() {
    let python = python3();
    if python.is_none() {
        eprintln!("python3 not found: the compile and run checks are skipped");
    }
    for path in fixtures() {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let original = std::fs::read(&path).unwrap();
        let text = SourceFile::new(&original).text().to_owned();
        let header = header(&text);

        let (first, log) = pass(&original, &header);
        let (second, second_log) = pass(&first, &header);
        assert_eq!(
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second),
            "{name}: a second pass still changed the file (log: {second_log:?})"
        );
        assert!(
            first != original || log.iter().all(|l| !l.contains("fixed")),
            "{name}"
        );

        // Encoding, line endings and the final newline are the file's own.
        let before = SourceFile::new(&original);
        let after = SourceFile::new(&first);
        assert_eq!(before.encoding(), after.encoding(), "{name}");
        assert_eq!(before.line_ending(), after.line_ending(), "{name}");
        assert_eq!(
            original.ends_with(b"\n"),
            first.ends_with(b"\n"),
            "{name}: final newline"
        );

        // Only import lines change.
        let diff = unified_diff(Some(before.text()), after.text(), &format!("{name}.py"));
        if !header.reshape {
            for line in diff.lines().skip(2) {
                let changed = line.starts_with('-') || line.starts_with('+');
                if changed {
                    assert!(
                        is_import_line(&line[1..]),
                        "{name}: a non-import line changed: {line}\n{diff}"
                    );
                }
            }
        }

        let lazy_target = header
            .target
            .as_ref()
            .is_some_and(|t| t.supports_lazy_imports());
        match (&python, lazy_target) {
            (Some(python), false) => {
                let dir = tempfile::tempdir().unwrap();
                std::fs::write(dir.path().join(format!("{name}.py")), &original).unwrap();
                let expected = run_handler(python, dir.path(), &name);
                std::fs::write(dir.path().join(format!("{name}.py")), &first).unwrap();
                let compiled = Command::new(python)
                    .current_dir(dir.path())
                    .args(["-m", "py_compile", &format!("{name}.py")])
                    .output()
                    .unwrap();
                assert!(
                    compiled.status.success(),
                    "{name}: py_compile failed:\n{}",
                    String::from_utf8_lossy(&compiled.stderr)
                );
                let got = run_handler(python, dir.path(), &name);
                assert_eq!(expected, got, "{name}: handler() changed");
            }
            (Some(_), true) => eprintln!(
                "{name}: targets Python 3.15 (PEP 810); no such interpreter here, run-time checks skipped"
            ),
            (None, _) => {}
        }

        let shown = after.text().replace('\r', "\\r");
        insta::assert_snapshot!(
            name.clone(),
            format!("{}\n--- diff\n{diff}--- result\n{shown}", log.join("\n"))
        );
    }
}

#[test]
fn fixture_harness_can_fail() {
    // Guard for the guards: a "fix" that breaks behaviour is caught by the run check.
    let Some(python) = python3() else {
        eprintln!("python3 not found: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.py"), "def handler():\n    return 1\n").unwrap();
    let one = run_handler(&python, dir.path(), "m");
    std::fs::write(dir.path().join("m.py"), "def handler():\n    return 2\n").unwrap();
    assert_ne!(one, run_handler(&python, dir.path(), "m"));
    assert!(!is_import_line("    return json.dumps(x)"));
}
