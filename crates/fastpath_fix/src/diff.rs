//! Unified diffs of a file before and after an edit, for `--diff` previews.
//!
//! Lines are compared with the `similar` crate's Myers diff, whose cost grows with the number of
//! changed lines rather than the file's size, so hunks stay minimal in a file of any length.
//! Hunks carry three lines of context, like `diff -u` and `git diff`; lines are compared with
//! their own line breaks (a CRLF file diffs as CRLF) and printed without them.

const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Delete,
    Insert,
}

/// `--- a/PATH` / `+++ b/PATH` and the hunks between `old` and `new`; empty when they are
/// equal. A file created from nothing is shown against `/dev/null` when `old` is `None`.
pub fn unified_diff(old: Option<&str>, new: &str, path: &str) -> String {
    let old_text = old.unwrap_or("");
    if old.is_some() && old_text == new {
        return String::new();
    }
    let a: Vec<&str> = split_lines(old_text);
    let b: Vec<&str> = split_lines(new);
    let ops = diff_ops(&a, &b);
    let mut out = String::new();
    match old {
        Some(_) => out.push_str(&format!("--- a/{path}\n+++ b/{path}\n")),
        None => out.push_str(&format!("--- /dev/null\n+++ b/{path}\n")),
    }
    // Group ops into hunks with context.
    let changes: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| **op != Op::Same)
        .map(|(i, _)| i)
        .collect();
    let mut i = 0;
    while i < changes.len() {
        let start = changes[i].saturating_sub(CONTEXT);
        let mut end = changes[i];
        let mut j = i;
        while j + 1 < changes.len() && changes[j + 1] <= end + 2 * CONTEXT + 1 {
            j += 1;
            end = changes[j];
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        // Line numbers at the hunk start.
        let (mut old_line, mut new_line) = (0usize, 0usize);
        for op in &ops[..start] {
            match op {
                Op::Same => {
                    old_line += 1;
                    new_line += 1;
                }
                Op::Delete => old_line += 1,
                Op::Insert => new_line += 1,
            }
        }
        let old_count = ops[start..end].iter().filter(|o| **o != Op::Insert).count();
        let new_count = ops[start..end].iter().filter(|o| **o != Op::Delete).count();
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(old_line, old_count),
            range(new_line, new_count)
        ));
        let (mut ai, mut bi) = (old_line, new_line);
        for op in &ops[start..end] {
            let (mark, line) = match op {
                Op::Same => {
                    ai += 1;
                    bi += 1;
                    (' ', a[ai - 1])
                }
                Op::Delete => {
                    ai += 1;
                    ('-', a[ai - 1])
                }
                Op::Insert => {
                    bi += 1;
                    ('+', b[bi - 1])
                }
            };
            out.push(mark);
            let (body, has_break) = strip_break(line);
            out.push_str(body);
            out.push('\n');
            if !has_break {
                out.push_str("\\ No newline at end of file\n");
            }
        }
        i = j + 1;
    }
    out
}

fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{count}", start + 1),
    }
}

/// Lines with their line breaks (`\n`, `\r\n` or `\r`).
fn split_lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..=i]);
                start = i + 1;
            }
            b'\r' => {
                let end = if bytes.get(i + 1) == Some(&b'\n') {
                    i + 1
                } else {
                    i
                };
                lines.push(&text[start..=end]);
                i = end;
                start = end + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

fn strip_break(line: &str) -> (&str, bool) {
    match line.strip_suffix('\n').or_else(|| line.strip_suffix('\r')) {
        Some(body) => (body.strip_suffix('\r').unwrap_or(body), true),
        None => (line, false),
    }
}

fn diff_ops(a: &[&str], b: &[&str]) -> Vec<Op> {
    // Myers' algorithm (what `git diff` uses by default) with no deadline: it costs O((N+M)D)
    // for D changed lines, so a code-mod's few lines in a file of any size diff in an instant.
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, a, b);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for op in ops {
        // Deletions first within a change, as `diff` prints them.
        let (tag, old, new) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            out.extend(std::iter::repeat_n(Op::Same, old.len()));
        } else {
            out.extend(std::iter::repeat_n(Op::Delete, old.len()));
            out.extend(std::iter::repeat_n(Op::Insert, new.len()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_moved_line() {
        let old = "a\nb\nimport x\nc\nd\ne\nf\ng\nh\ndef f():\n    return x\n";
        let new = "a\nb\nc\nd\ne\nf\ng\nh\ndef f():\n    import x\n    return x\n";
        assert_eq!(
            unified_diff(Some(old), new, "m.py"),
            "--- a/m.py\n+++ b/m.py\n@@ -1,6 +1,5 @@\n a\n b\n-import x\n c\n d\n e\n@@ -8,4 +7,5 @@\n g\n h\n def f():\n+    import x\n     return x\n"
        );
    }

    #[test]
    fn equal_texts_have_no_diff_and_new_files_diff_against_dev_null() {
        assert_eq!(unified_diff(Some("a\n"), "a\n", "m.py"), "");
        assert_eq!(
            unified_diff(None, "a\nb", "new.py"),
            "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn a_small_change_in_a_huge_file_gives_small_hunks() {
        // The reproduction, at 5,000 lines: `import json` moves into `f` at the end.
        let body: String = (0..5000).map(|i| format!("X{i} = {i}\n")).collect();
        let old = format!("import json\n{body}\n\ndef f():\n    return json.dumps({{}})\n");
        let new = format!("{body}\n\ndef f():\n    import json\n    return json.dumps({{}})\n");
        let diff = unified_diff(Some(&old), &new, "m.py");
        let hunks: Vec<&str> = diff.lines().filter(|l| l.starts_with("@@")).collect();
        assert_eq!(hunks, ["@@ -1,4 +1,3 @@", "@@ -5002,4 +5001,5 @@"]);
        let changed: Vec<&str> = diff
            .lines()
            .skip(2)
            .filter(|l| l.starts_with(['+', '-']))
            .collect();
        assert_eq!(changed, ["-import json", "+    import json"]);
        assert!(diff.lines().count() < 20, "{diff}");
    }

    #[test]
    fn crlf_lines_print_without_their_carriage_return() {
        let diff = unified_diff(Some("a\r\nb\r\n"), "a\r\nc\r\n", "m.py");
        assert_eq!(
            diff,
            "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
        );
    }
}
