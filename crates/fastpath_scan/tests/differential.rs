//! The fast scanner must give exactly the reference scanner's result, file by file.
//!
//! `fast_scanner_equals_reference_on_whole_trees` (ignored: run it with
//! `cargo test --release -p fastpath_scan --test differential -- --ignored --nocapture`) walks
//! the CPython 3.11 standard library (with its test suite and its deliberately broken files) and
//! site-packages trees; `FASTPATH_DIFF_TREES` (colon-separated) adds more. The non-ignored
//! tests cover the bundled fixtures and a deterministic sample of the standard library, so a
//! debug `cargo test` stays quick. Missing trees are skipped with a message.
//!
//! Both targets are compared: no target (every interpreter test undecided) and CPython 3.11 on
//! Linux (dead branches dropped, try ids shift with them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fastpath_scan::{decode_source, fast, scan_source_reference, FileScan, Target};

const STDLIB: &str = "/root/.pyenv/versions/3.11.7/lib/python3.11";
const SITE_PACKAGES: &str = "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/differential")
}

/// Every `.py` file under `root`, sorted; `skip` names directories not to enter.
fn python_files(root: &Path, skip: &[&Path], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !skip.contains(&path.as_path()) {
                python_files(&path, skip, out);
            }
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

#[derive(Default)]
struct Tally {
    files: usize,
    bytes: usize,
    /// Scans (file x target) the fast scanner handed to the reference one, by reason.
    fallbacks: BTreeMap<&'static str, usize>,
    fallback_files: Vec<(PathBuf, &'static str, usize)>,
    mismatches: Vec<String>,
}

impl Tally {
    fn fallback_count(&self) -> usize {
        self.fallbacks.values().sum()
    }

    fn check(&mut self, path: &Path) {
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        self.files += 1;
        self.bytes += bytes.len();
        let decoded = decode_source(&bytes);
        let linux = Target::new(3, 11, "linux");
        for target in [None, Some(&linux)] {
            let reference = scan_source_reference(&decoded.text, target);
            match fast::try_scan(&decoded.text, target) {
                Ok(scan) => {
                    if scan != reference {
                        self.mismatches
                            .push(describe(path, target, &reference, &scan));
                    }
                }
                Err(unsure) => {
                    *self.fallbacks.entry(unsure.reason).or_default() += 1;
                    if target.is_none() {
                        self.fallback_files.push((
                            path.to_path_buf(),
                            unsure.reason,
                            unsure.offset,
                        ));
                    }
                }
            }
        }
    }

    fn report(&self, label: &str) {
        eprintln!(
            "{label}: {} files, {:.1} MB, {} scans fell back to the full parser, {} mismatches",
            self.files,
            self.bytes as f64 / 1e6,
            self.fallback_count(),
            self.mismatches.len()
        );
        let mut reasons: Vec<_> = self.fallbacks.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, count) in reasons {
            eprintln!("  fallback: {count:6}  {reason}");
        }
        if std::env::var_os("FASTPATH_DIFF_SHOW_FALLBACKS").is_some() {
            for (path, reason, offset) in &self.fallback_files {
                let line = std::fs::read(path)
                    .map(|b| {
                        b[..(*offset).min(b.len())]
                            .iter()
                            .filter(|&&c| c == b'\n')
                            .count()
                            + 1
                    })
                    .unwrap_or(0);
                eprintln!("  {}:{line}: {reason}", path.display());
            }
        }
        for mismatch in self.mismatches.iter().take(5) {
            eprintln!("{mismatch}");
        }
    }
}

/// A readable difference: the first differing sites, then any other differing field.
fn describe(path: &Path, target: Option<&Target>, reference: &FileScan, fast: &FileScan) -> String {
    let mut out = format!(
        "MISMATCH {} (target {:?})\n",
        path.display(),
        target.map(|t| (t.version, t.platform.as_str()))
    );
    let sites = reference.sites.len().max(fast.sites.len());
    let mut shown = 0;
    for i in 0..sites {
        let (r, f) = (reference.sites.get(i), fast.sites.get(i));
        if r != f && shown < 3 {
            out.push_str(&format!(
                "  site {i}:\n    reference: {r:?}\n    fast:      {f:?}\n"
            ));
            shown += 1;
        }
    }
    if reference.eager_calls != fast.eager_calls
        || reference.eager_call_lines != fast.eager_call_lines
    {
        out.push_str(&format!(
            "  eager_calls:\n    reference: {:?}\n    fast:      {:?}\n",
            reference.eager_call_sites().collect::<Vec<_>>(),
            fast.eager_call_sites().collect::<Vec<_>>()
        ));
    }
    for (name, r, f) in [
        ("all", &reference.all, &fast.all),
        ("lazy_modules", &reference.lazy_modules, &fast.lazy_modules),
    ] {
        if r != f {
            out.push_str(&format!(
                "  {name}:\n    reference: {r:?}\n    fast:      {f:?}\n"
            ));
        }
    }
    if reference.has_getattr != fast.has_getattr {
        out.push_str(&format!(
            "  has_getattr: reference {} fast {}\n",
            reference.has_getattr, fast.has_getattr
        ));
    }
    if reference.problems != fast.problems {
        out.push_str(&format!(
            "  problems:\n    reference: {:?}\n    fast:      {:?}\n",
            reference.problems, fast.problems
        ));
    }
    out
}

/// The standard library (its site-packages apart), site-packages, then any tree named in
/// `FASTPATH_DIFF_TREES`.
fn trees() -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut trees = vec![
        (PathBuf::from(STDLIB), vec![PathBuf::from(SITE_PACKAGES)]),
        (PathBuf::from(SITE_PACKAGES), Vec::new()),
    ];
    if let Ok(extra) = std::env::var("FASTPATH_DIFF_TREES") {
        trees.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(|s| (PathBuf::from(s), Vec::new())),
        );
    }
    trees
}

#[test]
#[ignore = "walks whole trees (~150 MB): run in release with --ignored"]
fn fast_scanner_equals_reference_on_whole_trees() {
    let mut total = Tally::default();
    for (root, skip) in trees() {
        if !root.is_dir() {
            eprintln!(
                "skipping {}: not a directory on this machine",
                root.display()
            );
            continue;
        }
        let skip: Vec<&Path> = skip.iter().map(PathBuf::as_path).collect();
        let mut files = Vec::new();
        python_files(&root, &skip, &mut files);
        let mut tally = Tally::default();
        for file in &files {
            tally.check(file);
        }
        tally.report(&root.display().to_string());
        total.files += tally.files;
        total.bytes += tally.bytes;
        for (reason, count) in tally.fallbacks {
            *total.fallbacks.entry(reason).or_default() += count;
        }
        total.mismatches.extend(tally.mismatches);
    }
    eprintln!(
        "total: {} files, {:.1} MB, {} fallbacks, {} mismatches",
        total.files,
        total.bytes as f64 / 1e6,
        total.fallback_count(),
        total.mismatches.len()
    );
    assert!(total.files > 0, "no tree found to compare on");
    assert!(
        total.mismatches.is_empty(),
        "{} mismatches, first:\n{}",
        total.mismatches.len(),
        total.mismatches[0]
    );
}

#[test]
fn fast_scanner_equals_reference_on_fixtures() {
    let mut files = Vec::new();
    python_files(&fixtures(), &[], &mut files);
    assert!(!files.is_empty(), "fixtures missing");
    let mut tally = Tally::default();
    for file in &files {
        tally.check(file);
    }
    tally.report("fixtures");
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches:\n{}",
        tally.mismatches.len(),
        tally.mismatches.join("\n")
    );
    // The valid fixtures must take the fast path, or this test would prove nothing; the
    // `broken_*` and `fallback_*` ones must not.
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let fell_back = tally.fallback_files.iter().any(|(path, ..)| path == file);
        let expected = name.starts_with("broken_") || name.starts_with("fallback_");
        assert_eq!(
            fell_back,
            expected,
            "{name}: fell back {fell_back}, expected {expected} ({:?})",
            tally.fallback_files.iter().find(|(path, ..)| path == file)
        );
    }
}

#[test]
fn fast_scanner_equals_reference_on_a_stdlib_sample() {
    let root = Path::new(STDLIB);
    if !root.is_dir() {
        eprintln!("skipping: no CPython 3.11 standard library at {STDLIB}");
        return;
    }
    let mut files = Vec::new();
    python_files(root, &[Path::new(SITE_PACKAGES)], &mut files);
    let mut tally = Tally::default();
    // Every 20th file, plus every file the test suite keeps broken on purpose.
    for (i, file) in files.iter().enumerate() {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if i % 20 == 0
            || name.starts_with("bad")
            || file.to_string_lossy().contains("lib2to3/tests/data")
        {
            tally.check(file);
        }
    }
    tally.report("stdlib sample");
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches:\n{}",
        tally.mismatches.len(),
        tally.mismatches.join("\n")
    );
}
