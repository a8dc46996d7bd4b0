//! The target interpreter: found once, asked once, remembered.
//!
//! Module resolution must follow the interpreter the program will run on, not a guess: its
//! `sys.path` (with `.pth` entries already applied by `site`), its built-in and standard-library
//! module names, its extension suffixes, the modules it has loaded before user code runs, and
//! the editable-install finders on `sys.meta_path`. One short run of
//! `interpreter_query.py` answers all of it; the answer is cached per interpreter and dropped
//! when the interpreter or any of its site directories changes.
//!
//! The query runs with the system temporary directory as its working directory so that nothing
//! in the user's project (a `sitecustomize.py`, say) can run: fastpath never runs project code.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use fastpath_scan::Target;
use serde::{Deserialize, Serialize};

const QUERY: &str = include_str!("interpreter_query.py");
const QUERY_TIMEOUT: Duration = Duration::from_secs(60);
/// Bumped whenever the query or the cached shape changes.
const CACHE_VERSION: u32 = 2;

/// What the target interpreter told us about its import system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterpreterInfo {
    pub executable: PathBuf,
    pub version: String,
    pub version_info: (u32, u32),
    pub platform: String,
    pub implementation: String,
    pub prefix: PathBuf,
    pub base_prefix: PathBuf,
    /// `sys.path` without the entry for the working directory.
    pub sys_path: Vec<PathBuf>,
    pub stdlib_dirs: Vec<PathBuf>,
    pub builtin_module_names: Vec<String>,
    pub stdlib_module_names: Vec<String>,
    pub extension_suffixes: Vec<String>,
    /// Modules in `sys.modules` before any user code runs.
    pub preloaded: Vec<String>,
    /// Top-level names mapped to paths by editable-install finders (setuptools' `MAPPING`).
    pub editable: std::collections::BTreeMap<String, PathBuf>,
    /// Other finders on `sys.meta_path` that fastpath cannot follow.
    pub other_finders: Vec<String>,
}

impl InterpreterInfo {
    pub fn target(&self) -> Target {
        Target::new(
            self.version_info.0,
            self.version_info.1,
            self.platform.clone(),
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InterpreterError {
    #[error("no Python interpreter at `{}` ({cause})", path.display())]
    NotFound { path: PathBuf, cause: String },
    #[error("no Python interpreter found: pass `--python PATH`, activate a virtualenv, or put `python3` on PATH")]
    NoneOnPath,
    #[error("`{}` failed to report its import system (exit status {status}): {stderr}", path.display())]
    Failed {
        path: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("`{}` did not answer within {} s", path.display(), QUERY_TIMEOUT.as_secs())]
    Hung { path: PathBuf },
    #[error("`{}` printed something that is not the expected answer: {cause}", path.display())]
    BadAnswer { path: PathBuf, cause: String },
}

/// Where the interpreter choice came from, for messages and `--show-settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpreterSource {
    Flag,
    VirtualEnv,
    Path,
}

/// Chooses the target interpreter: an explicit path or name, else `$VIRTUAL_ENV/bin/python`,
/// else `python3` (then `python`) on `PATH`.
pub fn find_interpreter(
    explicit: Option<&Path>,
) -> Result<(PathBuf, InterpreterSource), InterpreterError> {
    if let Some(path) = explicit {
        let found = if path.components().count() == 1 && !path.exists() {
            search_path(path.as_os_str())
        } else {
            Some(path.to_path_buf())
        };
        return match found {
            Some(found) if found.is_file() => Ok((absolute(&found), InterpreterSource::Flag)),
            _ => Err(InterpreterError::NotFound {
                path: path.to_path_buf(),
                cause: if path.exists() {
                    "not a file".into()
                } else {
                    "no such file".into()
                },
            }),
        };
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let python = Path::new(&venv).join("bin").join("python");
        if python.is_file() {
            return Ok((python, InterpreterSource::VirtualEnv));
        }
    }
    ["python3", "python"]
        .iter()
        .find_map(|name| search_path(name.as_ref()))
        .map(|p| (p, InterpreterSource::Path))
        .ok_or(InterpreterError::NoneOnPath)
}

fn search_path(name: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Asks `python` about its import system, through the cache in `cache_dir` when given.
pub fn query_interpreter(
    python: &Path,
    cache_dir: Option<&Path>,
) -> Result<InterpreterInfo, InterpreterError> {
    let key = cache_key(python);
    let cache_file = cache_dir
        .zip(key.as_ref())
        .map(|(dir, key)| dir.join(format!("interpreter-{key:016x}.json")));
    if let Some(file) = &cache_file {
        if let Some(info) = read_cache(file) {
            return Ok(info);
        }
    }
    let info = run_query(python)?;
    if let Some(file) = &cache_file {
        // A cache that cannot be written only costs speed next time.
        let _ = write_cache(file, &info);
    }
    Ok(info)
}

fn run_query(python: &Path) -> Result<InterpreterInfo, InterpreterError> {
    let mut command = Command::new(python);
    // The query runs elsewhere, so relative PYTHONPATH entries must be made absolute here, where
    // the user meant them.
    if let Some(pythonpath) = std::env::var_os("PYTHONPATH") {
        let absolute: Vec<PathBuf> = std::env::split_paths(&pythonpath)
            .map(|p| absolute(&p))
            .collect();
        if let Ok(joined) = std::env::join_paths(absolute) {
            command.env("PYTHONPATH", joined);
        }
    }
    let mut child = command
        .arg("-c")
        .arg(QUERY)
        .current_dir(std::env::temp_dir())
        .env_remove("PYTHONSTARTUP")
        .env_remove("PYTHONPROFILEIMPORTTIME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| InterpreterError::NotFound {
            path: python.to_path_buf(),
            cause: e.to_string(),
        })?;
    // Drain both pipes on threads so a chatty interpreter cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| InterpreterError::Failed {
            path: python.to_path_buf(),
            status: "unknown".into(),
            stderr: e.to_string(),
        })? {
            break status;
        }
        if started.elapsed() > QUERY_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(InterpreterError::Hung {
                path: python.to_path_buf(),
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out.join().ok().and_then(Result::ok).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default())
        .trim()
        .to_string();
    if !status.success() {
        return Err(InterpreterError::Failed {
            path: python.to_path_buf(),
            status: status
                .code()
                .map_or_else(|| "killed by a signal".into(), |c| c.to_string()),
            stderr: last_lines(&stderr, 5),
        });
    }
    let mut info: InterpreterInfo =
        serde_json::from_slice(&stdout).map_err(|e| InterpreterError::BadAnswer {
            path: python.to_path_buf(),
            cause: e.to_string(),
        })?;
    info.stdlib_dirs.dedup();
    Ok(info)
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    version: u32,
    /// Modification times of the site directories when the answer was given: installing or
    /// removing a package (or a `.pth` file) changes them.
    dir_stamps: Vec<(PathBuf, Option<u128>)>,
    info: InterpreterInfo,
}

/// Key: the interpreter path as given (a virtualenv's `python` is a symlink to the base one,
/// and its answer differs) plus the modification time and size of what it points to.
fn cache_key(python: &Path) -> Option<u64> {
    let meta = std::fs::metadata(python).ok()?;
    let link = std::fs::symlink_metadata(python).ok()?;
    // The environment variables that change `sys.path` are part of the key.
    let environment: Vec<String> = [
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONNOUSERSITE",
        "PYTHONUSERBASE",
    ]
    .iter()
    .map(|name| {
        let value = std::env::var_os(name).unwrap_or_default();
        let value = if *name == "PYTHONPATH" {
            std::env::join_paths(std::env::split_paths(&value).map(|p| absolute(&p)))
                .unwrap_or(value)
        } else {
            value
        };
        format!("{name}={}", value.to_string_lossy())
    })
    .collect();
    let text = format!(
        "{CACHE_VERSION}\0{}\0{:?}\0{}\0{:?}\0{}",
        python.display(),
        stamp(meta.modified().ok()),
        meta.len(),
        stamp(link.modified().ok()),
        environment.join("\0")
    );
    Some(fnv1a(text.as_bytes()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn stamp(time: Option<SystemTime>) -> Option<u128> {
    time.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
}

fn dir_stamps(info: &InterpreterInfo) -> Vec<(PathBuf, Option<u128>)> {
    info.sys_path
        .iter()
        .map(|dir| {
            (
                dir.clone(),
                stamp(std::fs::metadata(dir).and_then(|m| m.modified()).ok()),
            )
        })
        .collect()
}

fn read_cache(file: &Path) -> Option<InterpreterInfo> {
    let entry: CacheEntry = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    (entry.version == CACHE_VERSION && entry.dir_stamps == dir_stamps(&entry.info))
        .then_some(entry.info)
}

fn write_cache(file: &Path, info: &InterpreterInfo) -> std::io::Result<()> {
    let dir = file.parent().expect("cache file has a parent");
    std::fs::create_dir_all(dir)?;
    let entry = CacheEntry {
        version: CACHE_VERSION,
        dir_stamps: dir_stamps(info),
        info: info.clone(),
    };
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(
        &tmp,
        serde_json::to_vec(&entry).map_err(std::io::Error::other)?,
    )?;
    std::fs::rename(&tmp, file)
}

/// The default cache directory: `$FASTPATH_CACHE_DIR`, else `$XDG_CACHE_HOME/fastpath`, else
/// `~/.cache/fastpath`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FASTPATH_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("fastpath"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache").join("fastpath"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_interpreter_names_its_path() {
        let error = find_interpreter(Some(Path::new("/nonexistent/python"))).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/python"), "{error}");
    }

    #[test]
    fn the_real_interpreter_answers_and_is_cached() {
        let Ok((python, _)) = find_interpreter(Some(Path::new("python3"))) else {
            eprintln!("skipped: no python3 on PATH");
            return;
        };
        let cache = tempfile::tempdir().unwrap();
        let info = query_interpreter(&python, Some(cache.path())).unwrap();
        assert!(info.builtin_module_names.iter().any(|n| n == "sys"));
        assert!(info.preloaded.iter().any(|n| n == "sys"));
        assert!(!info.sys_path.is_empty());
        assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
        let again = query_interpreter(&python, Some(cache.path())).unwrap();
        assert_eq!(info, again);
    }

    #[test]
    fn a_broken_interpreter_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("python");
        std::fs::write(&fake, "#!/bin/sh\necho 'boom' >&2\nexit 3\n").unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&fake)
            .status()
            .unwrap();
        let error = query_interpreter(&fake, None).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("exit status 3") && message.contains("boom"),
            "{message}"
        );
    }
}
