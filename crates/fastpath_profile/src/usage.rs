//! Usage evidence for hot-path exceptions: how often each cold-path module's code actually runs
//! when the program serves requests, as `fastpath.usage/1` (`.fastpath/usage.json`).
//!
//! The manifest admits a costly import only when it is "used on >80% of requests"; this module
//! turns that claim into a count. Evidence comes from two places, both reduced to the same
//! [`UsageReport`]:
//! - [`replay`]: one fresh interpreter (`usage_bootstrap.py`) imports the entry once, calls the
//!   handler with each JSON event file of a directory in sorted order, and records per event
//!   which tracked modules had code run (`sys.monitoring` on 3.12+, `sys.setprofile` before)
//!   and which deferred modules got imported. An event that raises is counted, not fatal.
//! - [`aggregate_logs`]: the lines `fastpath.runtime.track_usage` writes in production, one per
//!   invocation, read back from exported logs (plain, or JSON with a `message` field).
//!
//! A module counts as used in an event when code whose file is that module's (or a submodule's,
//! unless the submodule is tracked on its own) started running: a function called, a class
//! body or a module body executed. Percentages are over every event, failed ones included: an
//! event that raised still ran code.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The JSON schema of a usage report.
pub const SCHEMA: &str = "fastpath.usage/1";

/// The marker key of a line written by `fastpath.runtime.track_usage`.
pub const LOG_MARKER: &str = "fastpath_usage";

const BOOTSTRAP: &str = include_str!("usage_bootstrap.py");

/// Where a project keeps its usage evidence: `.fastpath/usage.json` under its root.
pub fn usage_path(root: &Path) -> PathBuf {
    root.join(".fastpath").join("usage.json")
}

/// Why usage evidence could not be gathered. Each names the file, directory or interpreter.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("cannot read the events directory {}: {source}", path.display())]
    EventsDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} holds no event file (`*.json`, one JSON event each)", path.display())]
    NoEvents { path: PathBuf },
    #[error("cannot prepare the replay's scratch files: {0}")]
    Scratch(std::io::Error),
    #[error("cannot run the interpreter {}: {source}", python.display())]
    Spawn {
        python: PathBuf,
        source: std::io::Error,
    },
    #[error("the replay of `{entry}` was killed after {:.0} s (an event hung)", timeout.as_secs_f64())]
    Timeout { entry: String, timeout: Duration },
    #[error("{message}{}", hint(stderr))]
    Entry { message: String, stderr: String },
    #[error(
        "the replay interpreter exited with {status} before reporting{}",
        hint(stderr)
    )]
    Crashed { status: String, stderr: String },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a usage report ({detail})", path.display())]
    Malformed { path: PathBuf, detail: String },
    #[error("{}:{line}: a `{LOG_MARKER}` line that is not valid JSON: {detail}", path.display())]
    BadLogLine {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error("{} holds no `{LOG_MARKER}` line: decorate the handler with `fastpath.runtime.track_usage` and export its logs", path.display())]
    NoLogLines { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn hint(stderr: &str) -> String {
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    if tail.is_empty() {
        String::new()
    } else {
        let lines: Vec<&str> = tail.into_iter().rev().collect();
        format!("\n  stderr:\n    {}", lines.join("\n    "))
    }
}

/// What role a tracked module plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Imported by the manifest.
    Manifest,
    /// On the cold path, not in the manifest.
    ColdPath,
    /// Imported inside a function: off the cold path.
    Deferred,
    /// Named by a production log line (`track_usage` decides what it tracks).
    Logged,
}

/// A module whose use is counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tracked {
    pub name: String,
    pub kind: Kind,
}

/// What a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub python: PathBuf,
    /// The child's working directory.
    pub root: PathBuf,
    /// Put first on `sys.path` (the project root and `src` roots).
    pub sys_path: Vec<PathBuf>,
    /// The dotted module to import.
    pub entry: String,
    /// The attribute of the entry module to call (`lambda_handler`, `App.handle`).
    pub handler: String,
    pub events_dir: PathBuf,
    pub tracked: Vec<Tracked>,
    /// The whole replay is killed after this long.
    pub timeout: Duration,
    pub extra_env: Vec<(OsString, OsString)>,
}

/// One replayed event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventResult {
    /// The event file's name.
    pub file: String,
    pub ok: bool,
    /// The exception's last line when the handler raised (or the file was not JSON).
    pub error: Option<String>,
    /// Tracked modules whose code ran.
    pub used: Vec<String>,
    /// Deferred modules this event imported first.
    pub imported: Vec<String>,
}

/// One module's usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleUsage {
    pub name: String,
    pub kind: Kind,
    /// Events (invocations) in which its code ran.
    pub count: usize,
    /// `count` over all events, 0-100.
    pub percent: f64,
}

/// `fastpath.usage/1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageReport {
    pub schema: String,
    /// `events` (a replay) or `logs` (production lines).
    pub source: String,
    /// The events directory or the log file, as given.
    pub input: String,
    pub entry: Option<String>,
    pub handler: Option<String>,
    pub python: Option<String>,
    /// `sys.monitoring` or `sys.setprofile` (replay only).
    pub monitor: Option<String>,
    /// Events replayed or invocations logged.
    pub invocations: usize,
    /// Of those, how many raised.
    pub failed: usize,
    /// Per event (replay only; logs keep only the counts).
    pub events: Vec<EventResult>,
    /// Sorted by kind, then name.
    pub modules: Vec<ModuleUsage>,
}

impl UsageReport {
    /// The usage of a module, when the evidence tracked it.
    pub fn module(&self, name: &str) -> Option<&ModuleUsage> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// Reads `.fastpath/usage.json`.
    pub fn read(path: &Path) -> Result<UsageReport, UsageError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsageError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let report: UsageReport =
            serde_json::from_str(&text).map_err(|e| UsageError::Malformed {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        if report.schema != SCHEMA {
            return Err(UsageError::Malformed {
                path: path.to_path_buf(),
                detail: format!("schema `{}`, expected `{SCHEMA}`", report.schema),
            });
        }
        Ok(report)
    }

    /// Writes the report atomically (a temporary file in the same directory, then a rename).
    pub fn write(&self, path: &Path) -> Result<(), UsageError> {
        let err = |source| UsageError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
        let mut json = serde_json::to_string_pretty(self).expect("a usage report serialises");
        json.push('\n');
        std::io::Write::write_all(&mut tmp, json.as_bytes()).map_err(err)?;
        tmp.persist(path).map_err(|e| err(e.error))?;
        Ok(())
    }
}

/// Counts per module over per-event sets of used names.
fn modules_of<'a>(
    tracked: &BTreeMap<String, Kind>,
    used_per_event: impl Iterator<Item = &'a BTreeSet<String>>,
    invocations: usize,
) -> Vec<ModuleUsage> {
    let mut counts: BTreeMap<&str, usize> = tracked.keys().map(|k| (k.as_str(), 0)).collect();
    for used in used_per_event {
        for name in used {
            if let Some(c) = counts.get_mut(name.as_str()) {
                *c += 1;
            }
        }
    }
    let mut out: Vec<ModuleUsage> = counts
        .into_iter()
        .map(|(name, count)| ModuleUsage {
            name: name.to_string(),
            kind: tracked[name],
            count,
            percent: if invocations == 0 {
                0.0
            } else {
                100.0 * count as f64 / invocations as f64
            },
        })
        .collect();
    out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    out
}

/// The event files of a directory (`*.json`), in sorted order of their names.
pub fn event_files(dir: &Path) -> Result<Vec<PathBuf>, UsageError> {
    let entries = std::fs::read_dir(dir).map_err(|source| UsageError::EventsDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| UsageError::EventsDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(UsageError::NoEvents {
            path: dir.to_path_buf(),
        });
    }
    Ok(files)
}

#[derive(Deserialize)]
struct RawResult {
    python: String,
    monitor: String,
    #[serde(default)]
    events: Vec<EventResult>,
    fatal: Option<String>,
}

/// Replays the events of `config.events_dir` through the handler in one fresh interpreter.
pub fn replay(config: &ReplayConfig) -> Result<UsageReport, UsageError> {
    let files = event_files(&config.events_dir)?;
    let scratch = tempfile::tempdir().map_err(UsageError::Scratch)?;
    let bootstrap = scratch.path().join("usage_bootstrap.py");
    std::fs::write(&bootstrap, BOOTSTRAP).map_err(UsageError::Scratch)?;
    let result_path = scratch.path().join("result.json");
    let of_kind = |kind: Kind| -> Vec<&str> {
        config
            .tracked
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.name.as_str())
            .collect()
    };
    let mut tracked = of_kind(Kind::Manifest);
    tracked.extend(of_kind(Kind::ColdPath));
    tracked.extend(of_kind(Kind::Logged));
    let request = serde_json::json!({
        "entry": config.entry,
        "handler": config.handler,
        "events": files,
        "tracked": tracked,
        "deferred": of_kind(Kind::Deferred),
        "sys_path": config.sys_path,
        "result": result_path,
    });
    let config_path = scratch.path().join("config.json");
    std::fs::write(&config_path, request.to_string()).map_err(UsageError::Scratch)?;
    let stdout =
        std::fs::File::create(scratch.path().join("stdout")).map_err(UsageError::Scratch)?;
    let stderr_path = scratch.path().join("stderr");
    let stderr = std::fs::File::create(&stderr_path).map_err(UsageError::Scratch)?;

    let mut cmd = Command::new(&config.python);
    cmd.arg(&bootstrap)
        .arg(&config_path)
        .current_dir(&config.root)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .env_remove("PYTHONSTARTUP")
        .env_remove("PYTHONINSPECT");
    for (k, v) in &config.extra_env {
        cmd.env(k, v);
    }
    let status = run_with_timeout(cmd, config)?;
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let raw: RawResult = match std::fs::read_to_string(&result_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| UsageError::Crashed {
            status: format!("an unreadable result ({e})"),
            stderr: stderr.clone(),
        })?,
        Err(_) => {
            return Err(UsageError::Crashed {
                status: status.to_string(),
                stderr,
            })
        }
    };
    if let Some(message) = raw.fatal {
        return Err(UsageError::Entry { message, stderr });
    }
    let kinds: BTreeMap<String, Kind> = config
        .tracked
        .iter()
        .map(|t| (t.name.clone(), t.kind))
        .collect();
    let sets: Vec<BTreeSet<String>> = raw
        .events
        .iter()
        .map(|e| e.used.iter().chain(&e.imported).cloned().collect())
        .collect();
    let invocations = raw.events.len();
    Ok(UsageReport {
        schema: SCHEMA.to_string(),
        source: "events".to_string(),
        input: config.events_dir.display().to_string(),
        entry: Some(config.entry.clone()),
        handler: Some(config.handler.clone()),
        python: Some(raw.python),
        monitor: Some(raw.monitor),
        invocations,
        failed: raw.events.iter().filter(|e| !e.ok).count(),
        modules: modules_of(&kinds, sets.iter(), invocations),
        events: raw.events,
    })
}

fn run_with_timeout(
    mut cmd: Command,
    config: &ReplayConfig,
) -> Result<std::process::ExitStatus, UsageError> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    let mut child = cmd.spawn().map_err(|source| UsageError::Spawn {
        python: config.python.clone(),
        source,
    })?;
    let pid = child.id() as libc::pid_t;
    let (sender, receiver) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = sender.send(child.wait());
    });
    let status = match receiver.recv_timeout(config.timeout) {
        Ok(status) => status,
        Err(_) => {
            // SAFETY: kill(2) on the child's own process group, which it leads.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            let _ = waiter.join();
            return Err(UsageError::Timeout {
                entry: config.entry.clone(),
                timeout: config.timeout,
            });
        }
    };
    let _ = waiter.join();
    status.map_err(|source| UsageError::Spawn {
        python: config.python.clone(),
        source,
    })
}

#[derive(Deserialize)]
struct LogLine {
    #[serde(default)]
    handler: Option<String>,
    #[serde(default)]
    used: Vec<String>,
    #[serde(default)]
    tracked: Vec<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Aggregates the `track_usage` lines of an exported log (`path` only names it in errors).
pub fn aggregate_logs(text: &str, path: &Path) -> Result<UsageReport, UsageError> {
    let mut tracked: BTreeSet<String> = BTreeSet::new();
    let mut per_line: Vec<BTreeSet<String>> = Vec::new();
    let mut handlers: BTreeSet<String> = BTreeSet::new();
    let mut failed = 0;
    for (i, line) in text.lines().enumerate() {
        let Some(parsed) = log_line(line, path, i + 1)? else {
            continue;
        };
        tracked.extend(parsed.tracked);
        tracked.extend(parsed.used.iter().cloned());
        handlers.extend(parsed.handler);
        if parsed.error.is_some() {
            failed += 1;
        }
        per_line.push(parsed.used.into_iter().collect());
    }
    if per_line.is_empty() {
        return Err(UsageError::NoLogLines {
            path: path.to_path_buf(),
        });
    }
    let kinds: BTreeMap<String, Kind> = tracked.into_iter().map(|n| (n, Kind::Logged)).collect();
    Ok(UsageReport {
        schema: SCHEMA.to_string(),
        source: "logs".to_string(),
        input: path.display().to_string(),
        entry: None,
        handler: (!handlers.is_empty())
            .then(|| handlers.into_iter().collect::<Vec<_>>().join(", ")),
        python: None,
        monitor: None,
        invocations: per_line.len(),
        failed,
        events: Vec::new(),
        modules: modules_of(&kinds, per_line.iter(), per_line.len()),
    })
}

/// Reads and aggregates an exported log file.
pub fn read_logs(path: &Path) -> Result<UsageReport, UsageError> {
    let bytes = std::fs::read(path).map_err(|source| UsageError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    aggregate_logs(&String::from_utf8_lossy(&bytes), path)
}

/// The `track_usage` record in a line: directly, after a prefix (timestamp, request id, level),
/// or inside the `message` of a JSON export.
fn log_line(line: &str, path: &Path, number: usize) -> Result<Option<LogLine>, UsageError> {
    let needle = format!("{{\"{LOG_MARKER}\"");
    let Some(start) = line.find(&needle) else {
        // A JSON export whose message holds the record, escaped.
        if line.trim_start().starts_with('{') && line.contains(LOG_MARKER) {
            if let Ok(value) = serde_json::from_str::<Value>(line.trim()) {
                if let Some(message) = value.get("message").and_then(Value::as_str) {
                    return log_line(message, path, number);
                }
            }
        }
        return Ok(None);
    };
    let mut stream = serde_json::Deserializer::from_str(&line[start..]).into_iter::<LogLine>();
    match stream.next() {
        Some(Ok(parsed)) => Ok(Some(parsed)),
        Some(Err(e)) => Err(UsageError::BadLogLine {
            path: path.to_path_buf(),
            line: number,
            detail: e.to_string(),
        }),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn logs_in_three_shapes_aggregate_with_zero_counts_kept() {
        let text = r#"{"fastpath_usage": 1, "handler": "app.handler", "tracked": ["cache_core", "gateway", "heavy"], "used": ["cache_core", "gateway"], "error": null}
2026-11-30T10:00:00.000Z	8f5	INFO	{"fastpath_usage": 1, "handler": "app.handler", "used": ["gateway"], "error": null}
{"timestamp": 1, "message": "{\"fastpath_usage\": 1, \"handler\": \"app.handler\", \"used\": [\"gateway\"], \"error\": \"ValueError: x\"}\n"}
START RequestId: 1
{"unrelated": true}
"#;
        let report = aggregate_logs(text, Path::new("logs.txt")).unwrap();
        assert_eq!(report.invocations, 3);
        assert_eq!(report.failed, 1);
        assert_eq!(report.handler.as_deref(), Some("app.handler"));
        let counts: Vec<(&str, usize)> = report
            .modules
            .iter()
            .map(|m| (m.name.as_str(), m.count))
            .collect();
        assert_eq!(counts, [("cache_core", 1), ("gateway", 3), ("heavy", 0)]);
        let cache = report.module("cache_core").unwrap();
        assert!((cache.percent - 100.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_broken_log_line_names_its_line_and_no_lines_is_an_error() {
        let err =
            aggregate_logs("x\n{\"fastpath_usage\": 1, \"used\": [\n", Path::new("l")).unwrap_err();
        assert!(
            err.to_string().starts_with("l:2: a `fastpath_usage` line"),
            "{err}"
        );
        let err = aggregate_logs("nothing\n", Path::new("l")).unwrap_err();
        assert!(matches!(err, UsageError::NoLogLines { .. }));
    }

    #[test]
    fn event_files_are_json_files_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.json", "a.json", "10.json", "notes.txt"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        let names: Vec<String> = event_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["10.json", "a.json", "b.json"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            event_files(empty.path()).unwrap_err(),
            UsageError::NoEvents { .. }
        ));
    }

    #[test]
    fn report_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let report = aggregate_logs(
            "{\"fastpath_usage\": 1, \"used\": [\"a\"]}\n",
            Path::new("l"),
        )
        .unwrap();
        let path = dir.path().join(".fastpath/usage.json");
        report.write(&path).unwrap();
        assert_eq!(UsageReport::read(&path).unwrap(), report);
        std::fs::write(&path, "{\"schema\": \"other/1\"}").unwrap();
        assert!(UsageReport::read(&path).is_err());
    }

    /// An interpreter for the replay tests: `python3` on PATH, or the newest pyenv version
    /// starting with `prefix`. Missing: skip, except under `CI=true`, where it fails.
    fn interpreter(prefix: Option<&str>) -> Option<PathBuf> {
        let found = match prefix {
            None => Some(PathBuf::from("python3")).filter(|p| {
                Command::new(p)
                    .args(["-c", "pass"])
                    .status()
                    .is_ok_and(|s| s.success())
            }),
            Some(prefix) => Command::new("pyenv")
                .arg("root")
                .output()
                .ok()
                .and_then(|o| {
                    let root = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
                    let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("versions"))
                        .ok()?
                        .filter_map(|e| e.ok())
                        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                        .map(|e| e.path().join("bin/python"))
                        .filter(|p| p.is_file())
                        .collect();
                    found.sort();
                    found.pop()
                }),
        };
        if found.is_none() {
            let what = prefix.unwrap_or("python3");
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "interpreter {what} missing under CI=true"
            );
            eprintln!("SKIP: no interpreter {what}");
        }
        found
    }

    fn replay_project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "app.py",
            "import json\nimport gateway\nimport cache_core\n\n\
             def handler(event, context):\n    \
                 assert context.get_remaining_time_in_millis() > 0\n    \
                 return gateway.route(event)\n",
        );
        write(
            "gateway.py",
            "import cache_core\n\n\
             def route(event):\n    \
                 op = event['op']\n    \
                 if op == 'get':\n        return cache_core.get(event['key'])\n    \
                 if op == 'fetch':\n        import wrappers\n        return wrappers.fetch()\n    \
                 if op == 'boom':\n        raise ValueError('no such route')\n    \
                 return None\n",
        );
        write(
            "cache_core.py",
            "_S = {}\n\ndef get(key):\n    return _S.get(key)\n",
        );
        write("wrappers.py", "def fetch():\n    return 1\n");
        let events = [
            ("01.json", r#"{"op": "get", "key": "a"}"#),
            ("02.json", r#"{"op": "fetch"}"#),
            ("03.json", r#"{"op": "ping"}"#),
            ("04.json", r#"{"op": "boom"}"#),
            ("05.json", r#"{"op": "fetch"}"#),
            ("06.json", "{not json"),
        ];
        for (name, text) in events {
            write(&format!("events/{name}"), text);
        }
        dir
    }

    fn replay_config(python: PathBuf, root: &Path) -> ReplayConfig {
        let t = |name: &str, kind| Tracked {
            name: name.to_string(),
            kind,
        };
        ReplayConfig {
            python,
            root: root.to_path_buf(),
            sys_path: vec![root.to_path_buf()],
            entry: "app".into(),
            handler: "handler".into(),
            events_dir: root.join("events"),
            tracked: vec![
                t("json", Kind::Manifest),
                t("gateway", Kind::Manifest),
                t("cache_core", Kind::ColdPath),
                t("wrappers", Kind::Deferred),
            ],
            timeout: Duration::from_secs(120),
            extra_env: Vec::new(),
        }
    }

    fn check_replay(python: PathBuf, monitor: &str) {
        let project = replay_project();
        let report = replay(&replay_config(python, project.path())).unwrap();
        assert_eq!(report.monitor.as_deref(), Some(monitor));
        assert_eq!(report.invocations, 6);
        assert_eq!(report.failed, 2);
        let counts: Vec<(&str, Kind, usize)> = report
            .modules
            .iter()
            .map(|m| (m.name.as_str(), m.kind, m.count))
            .collect();
        // json is used by the bootstrap itself, never by the handler: it must stay at 0.
        assert_eq!(
            counts,
            [
                ("gateway", Kind::Manifest, 5),
                ("json", Kind::Manifest, 0),
                ("cache_core", Kind::ColdPath, 1),
                ("wrappers", Kind::Deferred, 2),
            ]
        );
        let boom = &report.events[3];
        assert_eq!(boom.error.as_deref(), Some("ValueError: no such route"));
        assert_eq!(report.events[1].imported, ["wrappers"]);
        assert!(
            report.events[4].imported.is_empty(),
            "imported by event 2 already"
        );
        assert!(report.events[5]
            .error
            .as_deref()
            .unwrap()
            .starts_with("invalid event file"));
    }

    #[test]
    fn replay_with_setprofile_on_python3() {
        if let Some(python) = interpreter(None) {
            let version = Command::new(&python)
                .args(["-c", "import sys; print(sys.version_info >= (3, 12))"])
                .output()
                .unwrap();
            let monitor = if String::from_utf8_lossy(&version.stdout).trim() == "True" {
                "sys.monitoring"
            } else {
                "sys.setprofile"
            };
            check_replay(python, monitor);
        }
    }

    #[test]
    fn replay_with_sys_monitoring_on_3_12() {
        if let Some(python) = interpreter(Some("3.12")) {
            check_replay(python, "sys.monitoring");
        }
    }

    #[test]
    fn an_entry_that_cannot_import_is_an_error_with_its_exception() {
        if let Some(python) = interpreter(None) {
            let project = replay_project();
            std::fs::write(project.path().join("app.py"), "import missing_dep\n").unwrap();
            let err = replay(&replay_config(python, project.path())).unwrap_err();
            assert!(
                err.to_string()
                    .contains("ModuleNotFoundError: No module named 'missing_dep'"),
                "{err}"
            );
        }
    }

    /// The production path: `fastpath.runtime.track_usage` (the wheel's Python package) in a
    /// fresh interpreter, its lines read back by `aggregate_logs`.
    #[test]
    fn track_usage_lines_aggregate() {
        for prefix in [None, Some("3.12")] {
            let Some(python) = interpreter(prefix) else {
                continue;
            };
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            std::fs::write(
                root.join("cache_core.py"),
                "_S = {}\n\ndef get(key):\n    return _S.get(key)\n",
            )
            .unwrap();
            std::fs::write(
                root.join("app.py"),
                "import cache_core\nfrom fastpath.runtime import track_usage\n\n\
                 @track_usage\n\
                 def handler(event, context):\n    \
                     if event == 'boom':\n        raise KeyError(event)\n    \
                     return cache_core.get(event) if event == 'get' else None\n",
            )
            .unwrap();
            let log = root.join("usage.log");
            let python_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python");
            let status = Command::new(&python)
                .args(["-S", "-c"])
                .arg(
                    "import app\n\
                     for e in ['get'] * 3 + ['ping'] * 6 + ['boom']:\n    \
                         try: app.handler(e, None)\n    \
                         except KeyError: pass\n",
                )
                .env(
                    "PYTHONPATH",
                    std::env::join_paths([root, &python_dir]).unwrap(),
                )
                .env("FASTPATH_USAGE_LOG", &log)
                .current_dir(root)
                .status()
                .unwrap();
            assert!(status.success());
            let report = read_logs(&log).unwrap();
            assert_eq!(report.invocations, 10);
            assert_eq!(report.failed, 1);
            let counts: Vec<(&str, usize)> = report
                .modules
                .iter()
                .map(|m| (m.name.as_str(), m.count))
                .collect();
            assert_eq!(counts, [("app", 10), ("cache_core", 3)], "{prefix:?}");
            assert_eq!(report.module("cache_core").unwrap().percent, 30.0);
        }
    }
}
