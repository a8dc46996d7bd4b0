//! The real [`Verifier`]: the target interpreter, fresh for every run.
//!
//! An entry run is `python -B -c SCRIPT` in the project root with the import roots first on
//! `sys.path`: it imports the entry module, calls its function with `args` as `sys.argv[1:]`
//! when the entry names one (`SystemExit(0)` or `None` counts as success, as a console script
//! would), and writes the sorted `sys.modules` to a file given by the environment, so whatever
//! the program prints cannot be mistaken for it. Bytecode goes to a private cache
//! (`PYTHONPYCACHEPREFIX`) so an edit can never be hidden by a `.pyc` with the same size and
//! second as the file it replaces. The test command runs through `sh -c` in the project root.
//! Both are killed after the timeout.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Failure, Verifier};

/// How the entry is run and tested.
#[derive(Debug)]
pub struct PythonVerifier {
    pub python: PathBuf,
    /// The project root: the working directory.
    pub root: PathBuf,
    /// Import roots, first on `sys.path` (the root and `src` roots).
    pub roots: Vec<PathBuf>,
    /// The entry module.
    pub module: String,
    /// The entry's function, when it names one (`pkg.cli:main`).
    pub function: Option<String>,
    /// `args` the function is called with (as `sys.argv[1:]`); it is called only when some are
    /// given.
    pub args: Option<Vec<String>>,
    /// The user's test command (`--test CMD`).
    pub test: Option<String>,
    pub timeout: Duration,
    /// The test command's own limit: a suite runs longer than an import.
    pub test_timeout: Duration,
    /// Private bytecode cache and output files.
    scratch: tempfile_dir::Scratch,
}

/// The lines of output kept as a failure's tail.
const TAIL_LINES: usize = 15;

const SCRIPT: &str = r#"
import os, sys
roots = [r for r in os.environ["FASTPATH_VERIFY_ROOTS"].split(os.pathsep) if r]
sys.path[0:0] = roots
import importlib
module = importlib.import_module(os.environ["FASTPATH_VERIFY_MODULE"])
function = os.environ.get("FASTPATH_VERIFY_FUNCTION")
if function and "FASTPATH_VERIFY_ARGS" in os.environ:
    import json
    sys.argv = [os.environ["FASTPATH_VERIFY_MODULE"]] + json.loads(os.environ["FASTPATH_VERIFY_ARGS"])
    target = module
    for part in function.split("."):
        target = getattr(target, part)
    try:
        result = target()
    except SystemExit as exit:
        if exit.code not in (None, 0):
            raise
with open(os.environ["FASTPATH_VERIFY_OUT"], "w") as out:
    out.write("\n".join(sorted(sys.modules)))
"#;

impl PythonVerifier {
    /// Runs `module` with `python` in `root` (also its only import root), without a function,
    /// tests or args, killed after 60 s (tests after 600 s); set the other fields to change that.
    pub fn new(python: PathBuf, root: PathBuf, module: String) -> std::io::Result<PythonVerifier> {
        Ok(PythonVerifier {
            python,
            roots: vec![root.clone()],
            root,
            module,
            function: None,
            args: None,
            test: None,
            timeout: Duration::from_secs(60),
            test_timeout: Duration::from_secs(600),
            scratch: tempfile_dir::Scratch::new()?,
        })
    }
}

impl Verifier for PythonVerifier {
    fn run_entry(&mut self) -> Result<BTreeSet<String>, Failure> {
        let out = self.scratch.path().join("modules.txt");
        let _ = std::fs::remove_file(&out);
        let roots = std::env::join_paths(&self.roots).unwrap_or_default();
        let mut command = Command::new(&self.python);
        command
            .current_dir(&self.root)
            .args(["-B", "-c", SCRIPT])
            .env("FASTPATH_VERIFY_ROOTS", roots)
            .env("FASTPATH_VERIFY_MODULE", &self.module)
            .env("FASTPATH_VERIFY_OUT", &out)
            .env("PYTHONPYCACHEPREFIX", self.scratch.path().join("pycache"))
            .env_remove("PYTHONSTARTUP")
            .env_remove("PYTHONPROFILEIMPORTTIME");
        if let Some(function) = &self.function {
            command.env("FASTPATH_VERIFY_FUNCTION", function);
        }
        if let Some(args) = &self.args {
            command.env("FASTPATH_VERIFY_ARGS", json_list(args));
        }
        let (ok, output) = run(command, self.timeout)?;
        if !ok {
            return Err(failure(&output));
        }
        match std::fs::read_to_string(&out) {
            Ok(text) => Ok(text.lines().map(str::to_owned).collect()),
            Err(_) => Err(Failure {
                summary: "the entry exited before it finished importing (an `os._exit` or `sys.exit` at import?)".to_owned(),
                tail: tail(&output),
            }),
        }
    }

    fn run_tests(&mut self) -> Option<Result<(), Failure>> {
        let test = self.test.as_ref()?;
        let mut command = Command::new("sh");
        command
            .current_dir(&self.root)
            .args(["-c", test])
            .env("PYTHONPYCACHEPREFIX", self.scratch.path().join("pycache"))
            .env("PYTHONDONTWRITEBYTECODE", "1");
        Some(match run(command, self.test_timeout) {
            Ok((true, _)) => Ok(()),
            Ok((false, output)) => Err(Failure {
                summary: format!("`{test}` failed"),
                tail: tail(&output),
            }),
            Err(failure) => Err(failure),
        })
    }
}

/// Runs to the end or the timeout: whether it succeeded, and its output (stdout then stderr).
fn run(mut command: Command, timeout: Duration) -> Result<(bool, String), Failure> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|error| Failure {
        summary: format!("could not start {:?}: {error}", command.get_program()),
        tail: String::new(),
    })?;
    // Drain both pipes on threads so a chatty program cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = stdout.read_to_end(&mut buffer);
        buffer
    });
    let err = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = stderr.read_to_end(&mut buffer);
        buffer
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let mut output = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    output.push_str(&String::from_utf8_lossy(&err.join().unwrap_or_default()));
    match status {
        Some(status) => Ok((status.success(), output)),
        None => Err(Failure {
            summary: format!("killed after {} s", timeout.as_secs_f64()),
            tail: tail(&output),
        }),
    }
}

fn failure(output: &str) -> Failure {
    let summary = output
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("it exited with an error and printed nothing")
        .trim()
        .to_owned();
    Failure {
        summary,
        tail: tail(output),
    }
}

fn tail(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// A JSON list of strings.
fn json_list(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        })
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// A private directory removed on drop.
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    #[derive(Debug)]
    pub(super) struct Scratch {
        path: PathBuf,
    }

    impl Scratch {
        pub(super) fn new() -> std::io::Result<Scratch> {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "fastpath-verify-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path)?;
            Ok(Scratch { path })
        }

        pub(super) fn path(&self) -> &Path {
            &self.path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
