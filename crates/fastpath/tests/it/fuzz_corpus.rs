//! Replays the committed fuzz corpus (`fuzz/corpus/TARGET/`) and every crash the fuzzers found
//! (`fuzz/regressions/TARGET/`) through the same checks the libFuzzer targets run
//! (`fuzz/checks/`), on the stable toolchain, so `cargo test` keeps what fuzzing proved. The
//! configuration target reads `settings.rs` from inside the binary crate, so its corpus is
//! replayed through the real binary instead (`--show-settings` on each file).
//!
//! Each crash has a named test below; the fix it proves is named in the test.

use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code, clippy::all)]
#[path = "../../../../fuzz/checks/mod.rs"]
mod checks;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<kind>/<target>`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `check` on every input; fails naming each input that panics. On a thread with a big
/// stack, as `fastpath graph` scans: deeply nested inputs recurse deep in a debug build.
fn replay(files: &[PathBuf], check: fn(&[u8])) {
    assert!(!files.is_empty(), "no inputs to replay");
    let files = files.to_vec();
    let failed: Vec<String> = std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || {
            files
                .iter()
                .filter_map(|path| {
                    let data = std::fs::read(path).expect("read input");
                    std::panic::catch_unwind(|| check(&data))
                        .err()
                        .map(|_| path.display().to_string())
                })
                .collect()
        })
        .expect("spawn the replay thread")
        .join()
        .expect("the replay thread");
    assert!(
        failed.is_empty(),
        "inputs that fail:\n{}",
        failed.join("\n")
    );
}

fn regression(target: &str, name: &str, check: fn(&[u8])) {
    replay(
        &[fuzz_dir().join("regressions").join(target).join(name)],
        check,
    );
}

#[test]
fn scan_differential_corpus() {
    replay(&inputs("corpus", "scan_differential"), checks::scan::check);
}

#[test]
fn importtime_corpus() {
    replay(&inputs("corpus", "importtime"), checks::importtime::check);
}

#[test]
fn manifest_corpus() {
    replay(&inputs("corpus", "manifest"), checks::manifest::check);
}

#[test]
fn render_corpus() {
    replay(&inputs("corpus", "render"), checks::render::check);
}

#[test]
fn every_regression_replays() {
    for (target, check) in [
        ("scan_differential", checks::scan::check as fn(&[u8])),
        ("manifest", checks::manifest::check),
        ("render", checks::render::check),
    ] {
        replay(&inputs("regressions", target), check);
    }
}

// --- The crashes, one test each, named for what was wrong. ---

/// `b'\xfe'`-style bytes literals holding non-ASCII text are a syntax error; the fast scanner
/// accepted them (fix: `fast/lexer.rs` hands them to the full parser).
#[test]
fn scan_bytes_literal_with_non_ascii_is_a_syntax_error() {
    regression(
        "scan_differential",
        "bytes_literal_non_ascii.py",
        checks::scan::check,
    );
}

/// `t'a' 'b'`: "Cannot mix t-string literals with string or bytes literals"; the fast scanner
/// accepted it (fix: `fast/lexer.rs`).
#[test]
fn scan_tstring_concatenated_with_string_is_a_syntax_error() {
    regression(
        "scan_differential",
        "tstring_concatenated_with_string.py",
        checks::scan::check,
    );
}

/// An unterminated docstring: the reader cut three bytes off its end and split a character
/// (panic; fix: `docstring::parse`).
#[test]
fn manifest_unterminated_docstring_does_not_split_a_character() {
    regression(
        "manifest",
        "unterminated_docstring_splits_a_character.bin",
        checks::manifest::check,
    );
}

/// `bu` before a multi-byte character: the annotation splitter sliced through it looking for
/// `but` (panic; fix: `annotation::split_parts`).
#[test]
fn manifest_but_before_a_multibyte_character() {
    regression(
        "manifest",
        "but_before_multibyte_character.bin",
        checks::manifest::check,
    );
}

/// An edit range inside a replacement character of a file that did not decode (panic; fix:
/// `Editor::apply` compares with `get`).
#[test]
fn manifest_edit_range_inside_a_replacement_character() {
    regression(
        "manifest",
        "edit_range_inside_replacement_character.bin",
        checks::manifest::check,
    );
}

/// `Last profiled` on a file whose unterminated docstring has no closing quotes (panic; fix:
/// `docstring::closing_line_start`).
#[test]
fn manifest_closing_quotes_of_an_unterminated_docstring() {
    regression(
        "manifest",
        "closing_quotes_of_unterminated_docstring.bin",
        checks::manifest::check,
    );
}

/// An import added after an unterminated docstring became part of the string; a comment added
/// to a statement recovered from a syntax error swallowed the rest of its line (fix: a
/// manifest that does not parse is not edited, `EditError::Syntax`).
#[test]
fn manifest_that_does_not_parse_is_not_edited() {
    for name in [
        "add_after_unterminated_docstring.bin",
        "comment_swallows_rest_of_broken_line.bin",
    ] {
        regression("manifest", name, checks::manifest::check);
    }
}

/// A docstring added to a file of comments without a final newline joined the last comment
/// (fix: `Editor::last_profiled_edits` starts a new line).
#[test]
fn manifest_docstring_does_not_join_the_last_comment() {
    regression(
        "manifest",
        "docstring_joins_last_comment.bin",
        checks::manifest::check,
    );
}

/// `Last profiled:` added to a one-line `"..."` docstring broke the file (fix:
/// `EditError::DocstringOneLine`).
#[test]
fn manifest_last_profiled_is_not_put_into_a_one_line_docstring() {
    regression(
        "manifest",
        "last_profiled_into_one_line_docstring.bin",
        checks::manifest::check,
    );
}

/// An import added to a manifest without imports or sections went below the HISTORY block,
/// so a HISTORY line appended later stopped reading as history (fix:
/// `Editor::unsectioned_place` puts it above the block).
#[test]
fn manifest_import_is_added_above_the_history() {
    regression(
        "manifest",
        "import_added_after_history.bin",
        checks::manifest::check,
    );
}

/// A diagnostic whose end column equals its start column on a multi-byte character: the
/// full renderer's span cut the character and the snippet renderer panicked (fix:
/// `check/full.rs`).
#[test]
fn render_snippet_span_keeps_whole_characters() {
    regression(
        "render",
        "snippet_span_cuts_a_character.bin",
        checks::render::check,
    );
}

/// A file name that is not UTF-8 made every JSON renderer fail (fix: paths are written
/// lossily, `fastpath_report::paths::serialize_lossy`).
#[test]
fn render_json_with_a_file_name_that_is_not_utf8() {
    use fastpath_check::{Diagnostic, Location, RULES};
    use std::os::unix::ffi::OsStrExt;
    let path = PathBuf::from(std::ffi::OsStr::from_bytes(b"caf\xe9.py"));
    let diagnostics = [Diagnostic::new(
        RULES[0],
        "message",
        Some(Location::new(path, 1, 1)),
    )];
    let mut out = Vec::new();
    fastpath_report::check::render_json(&diagnostics, false, &mut out).expect("renders");
    let value: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    assert_eq!(value["diagnostics"][0]["file"], "caf\u{fffd}.py");
}

/// The configuration corpus, through the binary: a file that does not read is an error (exit
/// 2) naming the file, never a panic; one that reads prints its settings.
#[test]
fn config_corpus_through_the_binary() {
    let files = inputs("corpus", "config");
    assert!(!files.is_empty());
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("project");
    std::fs::create_dir(&project).expect("project dir");
    let mut failed = Vec::new();
    for path in &files {
        let data = std::fs::read(path).expect("read input");
        let Some((&which, content)) = data.split_first() else {
            continue;
        };
        let name = if which % 2 == 0 {
            "fastpath.toml"
        } else {
            "pyproject.toml"
        };
        let _ = std::fs::remove_file(project.join("fastpath.toml"));
        let _ = std::fs::remove_file(project.join("pyproject.toml"));
        std::fs::write(project.join(name), content).expect("write config");
        let output = Command::new(env!("CARGO_BIN_EXE_fastpath"))
            .args(["graph", "--show-settings"])
            .current_dir(&project)
            .env_remove("FASTPATH_PYTHON")
            .output()
            .expect("run fastpath");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let ok = match output.status.code() {
            Some(0) => true,
            Some(2) => stderr.contains(name),
            _ => false,
        };
        if !ok || stderr.contains("panicked") {
            failed.push(format!(
                "{}: exit {:?}\n{stderr}",
                path.display(),
                output.status.code()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// A bad `PROFILED` date stopped the reader, so a good date an edit added after it was never
/// read and `set_profiled` appended another on every run (fix: `annotation::profiled` reads on).
#[test]
fn manifest_profiled_after_a_bad_profiled_date() {
    regression(
        "manifest",
        "profiled_after_a_bad_profiled_date.bin",
        checks::manifest::check,
    );
}

/// A backslash as the last byte of the file, inside a string: the fast lexer stepped past the
/// end and panicked, so `fastpath graph` crashed on such a file (fix: `fast/lexer.rs` says
/// unsure).
#[test]
fn scan_backslash_at_the_end_of_the_file() {
    regression(
        "scan_differential",
        "backslash_at_end_of_file.py",
        checks::scan::check,
    );
}

/// Comments holding NUL bytes, then the manifest's only docstring: adding an import and
/// `Last profiled` must edit that docstring, not insert a second one.
#[test]
fn manifest_docstring_after_comments_with_nul_bytes() {
    regression(
        "manifest",
        "docstring_after_nul_comment_is_found.bin",
        checks::manifest::check,
    );
}

/// Tier headings above the first statement receive imports while `Last profiled` creates the
/// docstring: it went above the first statement, below the new imports, and was no docstring.
#[test]
fn manifest_docstring_above_imports_added_before_the_first_statement() {
    regression(
        "manifest",
        "docstring_above_imports_added_before_the_first_statement.bin",
        checks::manifest::check,
    );
}

/// A latin-1 manifest whose only line is its encoding declaration: the new docstring went
/// above it, the declaration left the first two lines, and the file no longer read as latin-1.
#[test]
fn manifest_docstring_below_the_encoding_declaration() {
    regression(
        "manifest",
        "docstring_below_the_encoding_declaration.bin",
        checks::manifest::check,
    );
}

/// Lines ended by lone carriage returns before an encoding declaration: the editor's idea of
/// "the first two lines" must be the reader's (`\n` ends a line for PEP 263 here).
#[test]
fn manifest_encoding_declaration_after_carriage_returns() {
    regression(
        "manifest",
        "encoding_declaration_after_carriage_returns.bin",
        checks::manifest::check,
    );
}

/// A tier heading above the docstring received an import, which made the docstring an
/// ordinary string: added imports now go below the docstring.
#[test]
fn manifest_import_added_above_the_docstring() {
    regression(
        "manifest",
        "import_added_above_the_docstring.bin",
        checks::manifest::check,
    );
}

/// A docstring `"..." ""` ends in `"""` but is a one-line string: `Last profiled` went inside it
/// and broke the file. Only one whole triple-quoted string takes the line now.
#[test]
fn manifest_docstring_concatenation_ending_in_triple_quotes() {
    regression(
        "manifest",
        "docstring_concatenation_ending_in_triple_quotes.bin",
        checks::manifest::check,
    );
}

/// A manifest of only a HISTORY block: the new docstring went below it, and the HISTORY lines
/// appended after the docstring were no longer in the block. The docstring goes above it now.
#[test]
fn manifest_docstring_above_the_history_block() {
    regression(
        "manifest",
        "docstring_above_the_history_block.bin",
        checks::manifest::check,
    );
}

/// `# - PROFILED <not a date>`: the reader recognised nothing, and a cost added in front was
/// glued to the dash (`0.1ms- PROFILED`), which read differently the next time.
#[test]
fn manifest_cost_glued_to_an_unread_annotation() {
    regression(
        "manifest",
        "cost_glued_to_an_unread_annotation.bin",
        checks::manifest::check,
    );
}

/// A usage with `%` after a U+0085 (a two-byte whitespace character): the diagnostic's word
/// start fell inside the character and the reader panicked.
#[test]
fn manifest_usage_word_after_a_two_byte_space() {
    regression(
        "manifest",
        "usage_word_after_a_two_byte_space.bin",
        checks::manifest::check,
    );
}
