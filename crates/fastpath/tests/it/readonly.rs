//! The read-only guarantee: every command run with `--diff`, with `--show-settings`, or in a
//! read-only mode (`graph`, `check --static`, `explain`, `history`, `blame --static`) leaves the
//! project byte-identical. Every file (and directory, and symlink) of a fixture project is read
//! before and after each run and compared; a file created, changed or removed fails the case.
//!
//! The table is checked against the clap command tree as the binary prints it (`fastpath
//! --help`, `fastpath CMD --help`): a command or flag missing from [`FLAGS`] fails
//! `the_table_knows_every_command_and_flag`, and a command whose read-only flags or modes have no
//! case fails `every_read_only_flag_and_mode_has_a_case`. So a new command or flag cannot slip
//! past: whoever adds one must say here whether it writes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::fastpath;

/// What a flag means for the project's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    /// Promises that the run writes nothing in the project: every case with it is checked.
    ReadOnly,
    /// Changes what is read, measured or printed, not whether the project is written.
    Neutral,
    /// Makes the command write (in the project, or to a file the user names).
    Writes,
}

use Flag::{Neutral, ReadOnly, Writes};

/// Whether a command writes to the project when run without any read-only flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A read-only mode: every run of it is checked.
    ReadOnly,
    /// Writes (the manifest, a baseline, the history, measurement caches); only its read-only
    /// flags are checked.
    Writes,
}

/// A command's flags, each with what it means for writing.
type Flags = &'static [(&'static str, Flag)];

/// Every command of `fastpath --help`, its mode, and every flag of `fastpath CMD --help`.
/// `check` and `blame` are read-only only with `--static` (without it they run the project's
/// code, which is the project's to write with; measuring itself writes no `.pyc` file into the
/// tree: the runs' bytecode goes to fastpath's cache).
const FLAGS: &[(&str, Mode, Flags)] = &[
    (
        "check",
        Mode::Writes,
        &[
            ("--static", ReadOnly),
            ("--python", Neutral),
            ("--profile", Neutral),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--timeout", Neutral),
            ("--output-format", Neutral),
            ("--no-cache", Neutral),
            ("--against", Neutral),
            ("--force", Neutral),
            ("--fix", Writes),
            ("--unsafe-fixes", Writes),
            ("--diff", ReadOnly),
        ],
    ),
    (
        "graph",
        Mode::ReadOnly,
        &[
            ("--all", Neutral),
            ("--python", Neutral),
            ("--src", Neutral),
            ("--format", Neutral),
            ("--no-cache", Neutral),
        ],
    ),
    (
        "profile",
        Mode::Writes,
        &[
            ("--python", Neutral),
            ("--src", Neutral),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--warmup", Neutral),
            ("--timeout", Neutral),
            ("--fresh-bytecode", Neutral),
            ("--no-pin", Neutral),
            ("--format", Neutral),
            // The report goes where the user says.
            ("--output", Writes),
            ("--defer", Neutral),
            ("--no-cache", Neutral),
        ],
    ),
    ("explain", Mode::ReadOnly, &[]),
    // Prints a completion script.
    ("generate-shell-completion", Mode::ReadOnly, &[]),
    (
        "fix",
        Mode::Writes,
        &[
            ("--diff", ReadOnly),
            ("--unsafe-fixes", Writes),
            // Runs the user's tests on each candidate edit: with --diff it must still leave
            // the project as it was.
            ("--test", Neutral),
            ("--static", Neutral),
            ("--python", Neutral),
            ("--profile", Neutral),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--timeout", Neutral),
            ("--no-cache", Neutral),
        ],
    ),
    (
        "update",
        Mode::Writes,
        &[
            ("--diff", ReadOnly),
            ("--python", Neutral),
            ("--profile", Neutral),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--timeout", Neutral),
            ("--no-cache", Neutral),
        ],
    ),
    (
        "init",
        Mode::Writes,
        &[
            ("--diff", ReadOnly),
            ("--hot", Neutral),
            ("--python", Neutral),
            ("--profile", Neutral),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--timeout", Neutral),
            ("--no-cache", Neutral),
        ],
    ),
    (
        "baseline",
        Mode::Writes,
        &[
            ("--python", Neutral),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--timeout", Neutral),
            ("--no-cache", Neutral),
        ],
    ),
    (
        "record",
        Mode::Writes,
        &[
            ("--lambda-report", Neutral),
            ("--python", Neutral),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--timeout", Neutral),
            ("--no-cache", Neutral),
            ("--profile", Neutral),
        ],
    ),
    (
        "history",
        Mode::ReadOnly,
        &[
            ("--entry", Neutral),
            ("--module", Neutral),
            // The chart goes where the user says: the cases write it outside the project.
            ("--svg", Writes),
            ("--limit", Neutral),
            ("--format", Neutral),
        ],
    ),
    (
        "blame",
        Mode::Writes,
        &[
            ("--entry", Neutral),
            ("--top", Neutral),
            ("--static", ReadOnly),
            ("--profile", Neutral),
            ("--python", Neutral),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--timeout", Neutral),
            ("--no-cache", Neutral),
            ("--format", Neutral),
        ],
    ),
    (
        "usage",
        Mode::Writes,
        &[
            ("--events", Neutral),
            ("--logs", Neutral),
            ("--entry", Neutral),
            ("--handler", Neutral),
            ("--timeout", Neutral),
            ("--no-write", ReadOnly),
            ("--format", Neutral),
        ],
    ),
    (
        "lambda-report",
        Mode::ReadOnly,
        &[
            ("--project", Neutral),
            ("--profile", Neutral),
            ("--format", Neutral),
        ],
    ),
    (
        "review",
        Mode::Writes,
        &[
            ("--against", Neutral),
            ("--static", ReadOnly),
            ("--runs", Neutral),
            ("--args", Neutral),
            ("--timeout", Neutral),
            ("--format", Neutral),
        ],
    ),
];

/// Flags every command has (global): `--show-settings` promises to write nothing.
const GLOBAL_FLAGS: &[(&str, Flag)] = &[
    ("--python", Neutral),
    ("--no-cache", Neutral),
    ("--config", Neutral),
    ("--show-settings", ReadOnly),
    ("--quiet", Neutral),
    ("--help", Neutral),
    ("--version", Neutral),
];

/// `{profile}` is a saved profile outside the project; `{out}` a directory outside it.
const CASES: &[&[&str]] = &[
    // --show-settings, on every command.
    &["check", "--show-settings"],
    &["check", "--static", "--show-settings"],
    &["check", "--fix", "--show-settings"],
    &["check", "--fix", "--unsafe-fixes", "--show-settings"],
    &["graph", "--show-settings"],
    &["profile", "--show-settings"],
    &["explain", "--show-settings"],
    &["fix", "--show-settings"],
    &["fix", "--unsafe-fixes", "--show-settings"],
    &["update", "--show-settings"],
    &["init", "lambda_function", "--show-settings"],
    &["baseline", "--show-settings"],
    &["record", "--show-settings"],
    &["history", "--show-settings"],
    &["blame", "--show-settings"],
    &["generate-shell-completion", "bash", "--show-settings"],
    &["usage", "--show-settings"],
    &["lambda-report", "{profile}", "--show-settings"],
    &["review", "--against", "HEAD", "--show-settings"],
    // --diff, on every command that has it.
    &["check", "--fix", "--diff", "--profile", "{profile}"],
    &["check", "--fix", "--unsafe-fixes", "--diff", "--static"],
    &["fix", "--diff", "--profile", "{profile}"],
    &["fix", "--diff", "--static"],
    &["fix", "--diff", "--unsafe-fixes", "--static"],
    &[
        "fix",
        "--diff",
        "--profile",
        "{profile}",
        "--test",
        "python3 -c pass",
    ],
    &["update", "--diff", "--profile", "{profile}"],
    &["update", "--diff", "--runs", "3"],
    &[
        "init",
        "lambda_function",
        "--diff",
        "--profile",
        "{profile}",
    ],
    &[
        "init",
        "lambda_function",
        "--diff",
        "--hot",
        "gateway=95",
        "--runs",
        "3",
    ],
    // Read-only modes.
    &["check", "--static"],
    &["check", "--static", "--output-format", "concise"],
    &["check", "--static", "--output-format", "json"],
    &["check", "--static", "--output-format", "sarif"],
    &["check", "--static", "--output-format", "github"],
    &["check", "--static", "--profile", "{profile}"],
    &["graph"],
    &["graph", "lambda_function", "--format", "json"],
    &["graph", "--format", "dot"],
    &["graph", "--format", "mermaid"],
    &["graph", "--no-cache"],
    &["graph", "--all", "."],
    &["graph", "--all", ".", "--format", "json"],
    &["explain"],
    &["explain", "FP003"],
    &["explain", "FP999"],
    &["history"],
    &["history", "--format", "json"],
    &["history", "--svg", "{out}/chart.svg"],
    &["history", "--module", "gateway", "--limit", "2"],
    &["blame", "--static"],
    &["blame", "--static", "--format", "json"],
    &["blame", "--static", "gateway", "--top", "3"],
    &["generate-shell-completion", "bash"],
    &["generate-shell-completion", "zsh"],
    &["usage", "--no-write", "--logs", "{profile}"],
    &[
        "usage",
        "--no-write",
        "--logs",
        "{profile}",
        "--format",
        "json",
    ],
    &["lambda-report", "{profile}"],
    &["lambda-report", "{profile}", "--format", "json"],
    &["review", "--against", "HEAD", "--static"],
    &[
        "review",
        "--against",
        "HEAD",
        "--static",
        "--format",
        "json",
    ],
];

/// Cases known to write today, with who fixes them. Each is checked the other way round: it
/// must still write, so the day it stops, this entry fails and must go (the case turns strict).
/// None today: `update --diff --runs 3` measures, and measured runs keep their `.pyc` files in
/// fastpath's cache (`PYTHONPYCACHEPREFIX`), not in the project's `__pycache__`.
const KNOWN_WRITES: &[(&[&str], &str)] = &[];

/// The commands `fastpath --help` lists.
fn commands() -> Vec<String> {
    let help = help(&["--help"]);
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The long flags `fastpath CMD --help` lists.
fn flags(command: &str) -> BTreeSet<String> {
    help(&[command, "--help"])
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = match line.strip_prefix('-') {
                Some(rest) if !rest.starts_with('-') && rest.len() > 1 => {
                    rest[1..].trim_start_matches(',').trim_start()
                }
                _ => line,
            };
            let flag = line.strip_prefix("--")?;
            let end = flag
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(flag.len());
            (end > 0).then(|| format!("--{}", &flag[..end]))
        })
        .collect()
}

fn help(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_fastpath"))
        .args(args)
        .output()
        .expect("run fastpath --help");
    assert!(output.status.success(), "fastpath {args:?} failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

#[test]
fn the_table_knows_every_command_and_flag() {
    let table: BTreeSet<&str> = FLAGS.iter().map(|(c, _, _)| *c).collect();
    let listed: BTreeSet<String> = commands().into_iter().collect();
    let listed_ref: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    assert_eq!(
        listed_ref, table,
        "`fastpath --help` and FLAGS list different commands: add the new command to FLAGS \
         (and its read-only runs to CASES)"
    );
    for (command, _, known) in FLAGS {
        let printed = flags(command);
        let mut known: BTreeSet<String> = known.iter().map(|(f, _)| f.to_string()).collect();
        known.extend(GLOBAL_FLAGS.iter().map(|(f, _)| f.to_string()));
        assert_eq!(
            printed, known,
            "`fastpath {command} --help` and FLAGS disagree: say in FLAGS whether the new \
             flag writes"
        );
    }
}

#[test]
fn every_read_only_flag_and_mode_has_a_case() {
    let has_case =
        |command: &str, flag: Option<&str>| {
            CASES.iter().any(|case| {
                case[0] == command
                    && flag.is_none_or(|f| case.contains(&f))
                    && !case.iter().any(|a| {
                        // A case checks a read-only flag only when nothing in it writes.
                        flag.is_none()
                            && FLAGS.iter().find(|(c, _, _)| *c == command).is_some_and(
                                |(_, _, fs)| fs.iter().any(|(f, k)| f == a && *k == Writes),
                            )
                    })
            })
        };
    for (command, mode, known) in FLAGS {
        for (flag, kind) in known.iter().chain(GLOBAL_FLAGS) {
            if *kind == ReadOnly {
                assert!(
                    has_case(command, Some(flag)),
                    "no case runs `fastpath {command} {flag}`: add one to CASES"
                );
            }
        }
        if *mode == Mode::ReadOnly {
            assert!(
                has_case(command, None),
                "no case runs the read-only `fastpath {command}`: add one to CASES"
            );
        }
    }
    // And every case is read-only by the table's own rules.
    for case in CASES {
        let (_, mode, known) = FLAGS
            .iter()
            .find(|(c, _, _)| *c == case[0])
            .unwrap_or_else(|| panic!("case {case:?}: unknown command"));
        let read_only_flag = case[1..].iter().any(|a| {
            known
                .iter()
                .chain(GLOBAL_FLAGS)
                .any(|(f, k)| f == a && *k == ReadOnly)
        });
        assert!(
            *mode == Mode::ReadOnly || read_only_flag,
            "case {case:?} has no read-only flag and its command writes"
        );
    }
}

/// The fixture: `examples/lambda-seed` committed in a git repository (for `blame`) with a
/// recorded history (for `history`), plus a saved profile outside it. Built once.
struct Fixture {
    /// Kept alive for the run.
    _dir: tempfile::TempDir,
    template: PathBuf,
    profile: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let template = dir.path().join("project");
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lambda-seed");
        copy_tree(&example, &template);
        let git = |args: &[&str]| {
            let status = Command::new("git")
                .args(args)
                .current_dir(&template)
                .env("GIT_AUTHOR_NAME", "Ada")
                .env("GIT_AUTHOR_EMAIL", "ada@example.com")
                .env("GIT_COMMITTER_NAME", "Ada")
                .env("GIT_COMMITTER_EMAIL", "ada@example.com")
                .status()
                .expect("run git");
            assert!(status.success(), "git {args:?}");
        };
        git(&["init", "-q"]);
        git(&["add", "."]);
        git(&["commit", "-q", "-m", "lambda seed"]);
        let profile = dir.path().join("profile.json");
        let output = fastpath(&template)
            .args(["profile", "--format", "json", "--runs", "3"])
            .output()
            .expect("run fastpath profile");
        assert!(
            output.status.success(),
            "fastpath profile: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(&profile, &output.stdout).expect("write the profile");
        let output = fastpath(&template)
            .arg("record")
            .arg("--profile")
            .arg(&profile)
            .output()
            .expect("run fastpath record");
        assert!(
            output.status.success(),
            "fastpath record: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Fixture {
            _dir: dir,
            template,
            profile,
        }
    })
}

pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let kind = entry.file_type().expect("file type");
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).expect("read link");
            std::os::unix::fs::symlink(link, &target).expect("symlink");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// What a tree holds: every file's bytes, every directory, every symlink's target.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
}

pub(crate) fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let entry = entry.expect("dir entry");
            let path = entry.path();
            let relative = path.strip_prefix(root).expect("under root").to_path_buf();
            let kind = entry.file_type().expect("file type");
            if kind.is_symlink() {
                out.insert(
                    relative,
                    Entry::Link(std::fs::read_link(&path).expect("link")),
                );
            } else if kind.is_dir() {
                out.insert(relative, Entry::Dir);
                walk(root, &path, out);
            } else {
                out.insert(
                    relative,
                    Entry::File(std::fs::read(&path).expect("read file")),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The paths that differ between two snapshots, as `created`, `changed` or `removed`.
pub(crate) fn differences(
    before: &BTreeMap<PathBuf, Entry>,
    after: &BTreeMap<PathBuf, Entry>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (path, entry) in after {
        match before.get(path) {
            None => out.push(format!("created {}", path.display())),
            Some(old) if old != entry => out.push(format!("changed {}", path.display())),
            Some(_) => {}
        }
    }
    for path in before.keys() {
        if !after.contains_key(path) {
            out.push(format!("removed {}", path.display()));
        }
    }
    out
}

/// Runs one case in a fresh copy of the fixture; returns what it wrote and its output.
fn run_case(case: &[&str], out_dir: &Path) -> (Vec<String>, String) {
    let fixture = fixture();
    let work = tempfile::tempdir().expect("temp dir");
    let project = work.path().join("project");
    copy_tree(&fixture.template, &project);
    let args: Vec<String> = case
        .iter()
        .map(|a| {
            a.replace("{profile}", &fixture.profile.display().to_string())
                .replace("{out}", &out_dir.display().to_string())
        })
        .collect();
    let before = snapshot(&project);
    let output = fastpath(&project)
        .args(&args)
        .env("FASTPATH_TODAY", "2025-11-20")
        .output()
        .expect("run fastpath");
    let after = snapshot(&project);
    let text = format!(
        "exit {:?}\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (differences(&before, &after), text)
}

#[test]
fn read_only_runs_leave_the_project_byte_identical() {
    if crate::python().is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: the read-only test needs python3"
        );
        eprintln!("skipped: no python3 on PATH");
        return;
    }
    let out_dir = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for case in CASES {
        let (written, output) = run_case(case, out_dir.path());
        let known = KNOWN_WRITES.iter().find(|(c, _)| c == case);
        let line = format!("fastpath {}", case.join(" "));
        assert_ne!(
            output.lines().next(),
            Some("exit None"),
            "{line} was killed by a signal:\n{output}"
        );
        assert!(!output.contains("panicked"), "{line} panicked:\n{output}");
        match (written.is_empty(), known) {
            (true, None) => report.push(format!("ok            {line}")),
            (false, Some((_, why))) => report.push(format!(
                "known write   {line}: {} ({why})",
                written.join(", ")
            )),
            (true, Some((_, why))) => failures.push(format!(
                "{line} no longer writes ({why}): remove it from KNOWN_WRITES so it stays strict"
            )),
            (false, None) => failures.push(format!(
                "{line} wrote to the project: {}\n{output}",
                written.join(", ")
            )),
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
