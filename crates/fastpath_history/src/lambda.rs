//! Production cold starts: the `REPORT` lines AWS Lambda writes after every invocation, read
//! from exported CloudWatch logs, summarised as `fastpath.lambda-report/1`, and kept in the
//! history beside the local measurements.
//!
//! Lambda ends each invocation's log with one line such as
//! `REPORT RequestId: 8f5… Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 128 MB
//! Max Memory Used: 40 MB Init Duration: 345.67 ms`; `Init Duration` appears only on a cold
//! start (a new execution environment ran the module's import), `Status: timeout` on an
//! invocation that ran out of time, `Restore Duration` on a SnapStart restore. Exports come in
//! three shapes and all are read: plain text (one event per line, often prefixed with a
//! timestamp), JSON lines whose `message` holds the text, the JSON document of
//! `aws logs filter-log-events` (`{"events": [{"message": …}]}`), and Lambda's own JSON log
//! format (`{"type": "platform.report", "record": {"metrics": {"initDurationMs": …}}}`). Lines
//! that are not reports are skipped; a report that lacks its duration or memory size is an
//! error naming its line, never a silently wrong figure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Store, StoreError};

/// The JSON schema of a lambda report.
pub const SCHEMA: &str = "fastpath.lambda-report/1";

/// Memory size at which Lambda allocates the equivalent of one full vCPU (AWS documentation:
/// "at 1,769 MB, a function has the equivalent of one vCPU"); CPU scales linearly with memory.
pub const ONE_VCPU_MB: u32 = 1769;

/// Why a log export could not be read. Each names the file, and the line when there is one.
#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    #[error("cannot read the Lambda log export {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: a REPORT line without {missing}: `{text}`", path.display())]
    Incomplete {
        path: PathBuf,
        line: usize,
        missing: &'static str,
        text: String,
    },
    #[error("{}:{line}: `{key}` is not a number: `{value}`", path.display())]
    NotANumber {
        path: PathBuf,
        line: usize,
        key: String,
        value: String,
    },
    #[error("{} holds no Lambda REPORT line (expected `REPORT RequestId: … Duration: … ms …` as text or in JSON `message` fields)", path.display())]
    NoReports { path: PathBuf },
}

/// How an invocation ended, from `Status:` (absent means success).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Success,
    Timeout,
    Error,
}

/// One `REPORT` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    /// 1-based line of the export (for a JSON document: the index of the event, 1-based).
    pub line: usize,
    pub request_id: String,
    pub duration_ms: f64,
    pub billed_duration_ms: Option<f64>,
    pub memory_size_mb: u32,
    pub max_memory_used_mb: Option<u32>,
    /// Present only on a cold start.
    pub init_duration_ms: Option<f64>,
    /// Present only on a SnapStart restore.
    pub restore_duration_ms: Option<f64>,
    pub status: Status,
}

impl Invocation {
    /// A new execution environment: the module was imported (or restored from a snapshot).
    pub fn is_cold(&self) -> bool {
        self.init_duration_ms.is_some() || self.restore_duration_ms.is_some()
    }
}

/// Reads and parses an export.
pub fn read(path: &Path) -> Result<Vec<Invocation>, LambdaError> {
    let bytes = std::fs::read(path).map_err(|source| LambdaError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&String::from_utf8_lossy(&bytes), path)
}

/// Parses an export's text; `path` only names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Vec<Invocation>, LambdaError> {
    let mut out = Vec::new();
    let trimmed = text.trim_start();
    // A whole JSON document (`aws logs filter-log-events` output, or an array of events).
    if trimmed.starts_with('[') || (trimmed.starts_with('{') && !looks_like_json_lines(text)) {
        if let Ok(doc) = serde_json::from_str::<Value>(text) {
            let events = match &doc {
                Value::Array(items) => items.as_slice(),
                Value::Object(map) => match map.get("events") {
                    Some(Value::Array(items)) => items.as_slice(),
                    _ => std::slice::from_ref(&doc),
                },
                _ => &[],
            };
            for (i, event) in events.iter().enumerate() {
                if let Some(inv) = from_json(event, path, i + 1)? {
                    out.push(inv);
                }
            }
            return finish(out, path);
        }
    }
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let line = line.trim();
        if line.starts_with('{') {
            if let Ok(value) = serde_json::from_str::<Value>(line) {
                if let Some(inv) = from_json(&value, path, number)? {
                    out.push(inv);
                }
                continue;
            }
        }
        if let Some(inv) = from_text(line, path, number)? {
            out.push(inv);
        }
    }
    finish(out, path)
}

fn finish(out: Vec<Invocation>, path: &Path) -> Result<Vec<Invocation>, LambdaError> {
    if out.is_empty() {
        return Err(LambdaError::NoReports {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// JSON lines: the first two non-empty lines each parse as an object on their own.
fn looks_like_json_lines(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match (lines.next(), lines.next()) {
        (Some(a), Some(b)) => {
            serde_json::from_str::<Value>(a).is_ok_and(|v| v.is_object())
                && serde_json::from_str::<Value>(b).is_ok_and(|v| v.is_object())
        }
        _ => false,
    }
}

fn from_json(value: &Value, path: &Path, line: usize) -> Result<Option<Invocation>, LambdaError> {
    if let Some(message) = value.get("message").and_then(Value::as_str) {
        return from_text(message.trim(), path, line);
    }
    if value.get("type").and_then(Value::as_str) != Some("platform.report") {
        return Ok(None);
    }
    let Some(record) = value.get("record") else {
        return Ok(None);
    };
    let metrics = record.get("metrics").unwrap_or(&Value::Null);
    let number = |key: &str| metrics.get(key).and_then(Value::as_f64);
    let text = || value.to_string();
    let duration_ms = number("durationMs").ok_or_else(|| LambdaError::Incomplete {
        path: path.to_path_buf(),
        line,
        missing: "durationMs",
        text: text(),
    })?;
    let memory_size_mb = number("memorySizeMB").ok_or_else(|| LambdaError::Incomplete {
        path: path.to_path_buf(),
        line,
        missing: "memorySizeMB",
        text: text(),
    })? as u32;
    Ok(Some(Invocation {
        line,
        request_id: record
            .get("requestId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        duration_ms,
        billed_duration_ms: number("billedDurationMs"),
        memory_size_mb,
        max_memory_used_mb: number("maxMemoryUsedMB").map(|v| v as u32),
        init_duration_ms: number("initDurationMs"),
        restore_duration_ms: number("restoreDurationMs"),
        status: status_of(record.get("status").and_then(Value::as_str)),
    }))
}

fn status_of(value: Option<&str>) -> Status {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("success") => Status::Success,
        Some("timeout") => Status::Timeout,
        Some(_) => Status::Error,
    }
}

/// `REPORT RequestId: … Duration: … ms …` anywhere in the line (exports prefix a timestamp).
fn from_text(line: &str, path: &Path, number: usize) -> Result<Option<Invocation>, LambdaError> {
    let Some(start) = line.find("REPORT RequestId:") else {
        return Ok(None);
    };
    let fields = fields(&line[start + "REPORT".len()..]);
    let incomplete = |missing| LambdaError::Incomplete {
        path: path.to_path_buf(),
        line: number,
        missing,
        text: line[start..].to_string(),
    };
    let num = |key: &str| -> Result<Option<f64>, LambdaError> {
        match fields.get(key) {
            None => Ok(None),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(Some)
                .ok_or_else(|| LambdaError::NotANumber {
                    path: path.to_path_buf(),
                    line: number,
                    key: key.to_string(),
                    value: v.clone(),
                }),
        }
    };
    let duration_ms = num("Duration")?.ok_or_else(|| incomplete("Duration"))?;
    let memory_size_mb = num("Memory Size")?.ok_or_else(|| incomplete("Memory Size"))? as u32;
    Ok(Some(Invocation {
        line: number,
        request_id: fields.get("RequestId").cloned().unwrap_or_default(),
        duration_ms,
        billed_duration_ms: num("Billed Duration")?,
        memory_size_mb,
        max_memory_used_mb: num("Max Memory Used")?.map(|v| v as u32),
        init_duration_ms: num("Init Duration")?,
        restore_duration_ms: num("Restore Duration")?,
        status: status_of(fields.get("Status").map(String::as_str)),
    }))
}

/// `Key Words: value [unit]` pairs, separated by tabs or spaces. A key is the words before a
/// token ending in `:`; the value is the next token; a following `ms`/`MB` is its unit.
fn fields(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut words: Vec<&str> = Vec::new();
    let mut tokens = text.split_whitespace().peekable();
    while let Some(token) = tokens.next() {
        if let Some(word) = token.strip_suffix(':') {
            words.push(word);
            let key = words.join(" ");
            words.clear();
            if let Some(value) = tokens.next() {
                out.insert(key, value.to_string());
                if matches!(tokens.peek(), Some(&"ms") | Some(&"MB")) {
                    tokens.next();
                }
            }
        } else {
            words.push(token);
        }
    }
    out
}

/// Order statistics of a set of durations. Percentiles are nearest-rank: always a duration
/// that was observed, never an interpolation between two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    pub fn of(values: &[f64]) -> Option<Percentiles> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let r = (p * sorted.len() as f64).ceil() as usize;
            sorted[r.clamp(1, sorted.len()) - 1]
        };
        Some(Percentiles {
            count: sorted.len(),
            p50_ms: rank(0.50),
            p90_ms: rank(0.90),
            p99_ms: rank(0.99),
            max_ms: sorted[sorted.len() - 1],
        })
    }
}

/// Invocations at one memory size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemorySize {
    pub memory_size_mb: u32,
    /// The share of one vCPU Lambda allocates at this size (`memory / 1769 MB`).
    pub vcpu: f64,
    pub invocations: usize,
    pub cold_starts: usize,
    pub init_p50_ms: Option<f64>,
    pub max_memory_used_mb: Option<u32>,
}

/// The locally measured cold start of the entry, put beside the production figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Local {
    pub entry: String,
    pub python: String,
    /// Median time importing the entry.
    pub imports_ms: f64,
    /// Median whole-process cold start (interpreter start-up plus imports).
    pub cold_start_ms: f64,
    /// Where the figure comes from: `profile`, `baseline`, `history`.
    pub source: String,
}

/// `fastpath.lambda-report/1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaReport {
    pub schema: String,
    /// The export, as the user named it.
    pub file: String,
    pub invocations: usize,
    pub cold_starts: usize,
    /// `cold_starts / invocations`, 0-1.
    pub cold_start_rate: f64,
    pub timeouts: usize,
    pub errors: usize,
    /// `Init Duration` of the cold starts.
    pub init: Option<Percentiles>,
    /// `Restore Duration` of SnapStart restores.
    pub restore: Option<Percentiles>,
    /// `Duration` of every invocation.
    pub duration: Option<Percentiles>,
    pub memory_sizes: Vec<MemorySize>,
    pub local: Option<Local>,
}

impl LambdaReport {
    /// Summarises parsed invocations; `local` is filled by the caller when it has one.
    pub fn new(file: &str, invocations: &[Invocation]) -> LambdaReport {
        let inits: Vec<f64> = invocations
            .iter()
            .filter_map(|i| i.init_duration_ms)
            .collect();
        let restores: Vec<f64> = invocations
            .iter()
            .filter_map(|i| i.restore_duration_ms)
            .collect();
        let durations: Vec<f64> = invocations.iter().map(|i| i.duration_ms).collect();
        let cold_starts = invocations.iter().filter(|i| i.is_cold()).count();
        let mut by_size: BTreeMap<u32, Vec<&Invocation>> = BTreeMap::new();
        for inv in invocations {
            by_size.entry(inv.memory_size_mb).or_default().push(inv);
        }
        let memory_sizes = by_size
            .into_iter()
            .map(|(mb, invs)| {
                let inits: Vec<f64> = invs.iter().filter_map(|i| i.init_duration_ms).collect();
                MemorySize {
                    memory_size_mb: mb,
                    vcpu: mb as f64 / ONE_VCPU_MB as f64,
                    invocations: invs.len(),
                    cold_starts: invs.iter().filter(|i| i.is_cold()).count(),
                    init_p50_ms: Percentiles::of(&inits).map(|p| p.p50_ms),
                    max_memory_used_mb: invs.iter().filter_map(|i| i.max_memory_used_mb).max(),
                }
            })
            .collect();
        LambdaReport {
            schema: SCHEMA.to_string(),
            file: file.to_string(),
            invocations: invocations.len(),
            cold_starts,
            cold_start_rate: if invocations.is_empty() {
                0.0
            } else {
                cold_starts as f64 / invocations.len() as f64
            },
            timeouts: invocations
                .iter()
                .filter(|i| i.status == Status::Timeout)
                .count(),
            errors: invocations
                .iter()
                .filter(|i| i.status == Status::Error)
                .count(),
            init: Percentiles::of(&inits),
            restore: Percentiles::of(&restores),
            duration: Percentiles::of(&durations),
            memory_sizes,
            local: None,
        }
    }
}

/// A lambda report stored by `fastpath record --lambda-report`, with the commit it was
/// recorded at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredLambdaReport {
    pub id: i64,
    pub commit: Option<String>,
    pub recorded_at: String,
    pub entry: String,
    pub report: LambdaReport,
}

impl Store {
    /// Appends a lambda report (migration 3's `lambda_reports` table); returns its id.
    pub fn append_lambda_report(
        &mut self,
        entry: &str,
        commit: Option<&str>,
        recorded_at: &str,
        report: &LambdaReport,
    ) -> Result<i64, StoreError> {
        let json = serde_json::to_string(report).expect("a lambda report serialises");
        let init = report.init.as_ref();
        let (path, conn) = self.parts();
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        conn.execute(
            "INSERT INTO lambda_reports (commit_id, recorded_at, entry, invocations, cold_starts,
                                         init_p50_ms, init_p90_ms, init_p99_ms, init_max_ms, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                commit,
                recorded_at,
                entry,
                report.invocations as i64,
                report.cold_starts as i64,
                init.map(|p| p.p50_ms),
                init.map(|p| p.p90_ms),
                init.map(|p| p.p99_ms),
                init.map(|p| p.max_ms),
                json,
            ],
        )
        .map_err(sqlite)?;
        Ok(conn.last_insert_rowid())
    }

    /// Stored lambda reports in the order they were appended, optionally of one entry only.
    pub fn lambda_reports(
        &mut self,
        entry: Option<&str>,
    ) -> Result<Vec<StoredLambdaReport>, StoreError> {
        let (path, conn) = self.parts();
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut select = conn
            .prepare(
                "SELECT id, commit_id, recorded_at, entry, report FROM lambda_reports
                 WHERE ?1 IS NULL OR entry = ?1 ORDER BY id",
            )
            .map_err(sqlite)?;
        let rows = select
            .query_map([entry], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(sqlite)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sqlite)?;
        let mut out = Vec::new();
        for (id, commit, recorded_at, entry, json) in rows {
            let report = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: format!("lambda report {id} is not valid JSON: {e}"),
            })?;
            out.push(StoredLambdaReport {
                id,
                commit,
                recorded_at,
                entry,
                report,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "logs.txt";

    fn parse_ok(text: &str) -> Vec<Invocation> {
        parse(text, Path::new(P)).unwrap()
    }

    #[test]
    fn plain_text_cold_warm_and_timeout() {
        let text = "\
2026-11-30T10:00:00.000Z START RequestId: a1 Version: $LATEST
2026-11-30T10:00:00.400Z REPORT RequestId: a1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 812.31 ms\t
REPORT RequestId: a2 Duration: 3.10 ms Billed Duration: 4 ms Memory Size: 128 MB Max Memory Used: 41 MB
REPORT RequestId: a3 Duration: 3000.00 ms Billed Duration: 3000 ms Memory Size: 128 MB Max Memory Used: 45 MB Status: timeout
";
        let invs = parse_ok(text);
        assert_eq!(invs.len(), 3);
        assert_eq!(invs[0].line, 2);
        assert_eq!(invs[0].request_id, "a1");
        assert_eq!(invs[0].init_duration_ms, Some(812.31));
        assert_eq!(invs[0].billed_duration_ms, Some(13.0));
        assert!(invs[0].is_cold());
        assert!(!invs[1].is_cold());
        assert_eq!(invs[2].status, Status::Timeout);
        assert_eq!(invs[2].max_memory_used_mb, Some(45));
    }

    #[test]
    fn json_lines_with_message_and_platform_report() {
        let text = r#"{"timestamp": 1764496800000, "message": "REPORT RequestId: b1\tDuration: 5.0 ms\tBilled Duration: 5 ms\tMemory Size: 512 MB\tMax Memory Used: 60 MB\tInit Duration: 400.5 ms\t\n"}
{"time": "2026-11-30T10:00:01Z", "type": "platform.report", "record": {"requestId": "b2", "metrics": {"durationMs": 2.5, "billedDurationMs": 3, "memorySizeMB": 512, "maxMemoryUsedMB": 61}, "status": "timeout"}}
{"time": "2026-11-30T10:00:02Z", "type": "platform.start", "record": {"requestId": "b3"}}
"#;
        let invs = parse_ok(text);
        assert_eq!(invs.len(), 2);
        assert_eq!(invs[0].init_duration_ms, Some(400.5));
        assert_eq!(invs[1].status, Status::Timeout);
        assert_eq!(invs[1].memory_size_mb, 512);
    }

    #[test]
    fn filter_log_events_document() {
        let text = r#"{
  "events": [
    {"logStreamName": "s", "timestamp": 1, "message": "START RequestId: c1 Version: $LATEST\n"},
    {"logStreamName": "s", "timestamp": 2, "message": "REPORT RequestId: c1\tDuration: 1.00 ms\tBilled Duration: 2 ms\tMemory Size: 1769 MB\tMax Memory Used: 70 MB\tRestore Duration: 210.00 ms\tBilled Restore Duration: 110 ms\t\n"}
  ]
}"#;
        let invs = parse_ok(text);
        assert_eq!(invs.len(), 1);
        assert_eq!(invs[0].line, 2);
        assert_eq!(invs[0].restore_duration_ms, Some(210.0));
        assert!(invs[0].is_cold());
    }

    #[test]
    fn bad_input_is_an_error_naming_the_line() {
        let err = parse(
            "hello\nREPORT RequestId: x Billed Duration: 3 ms Memory Size: 128 MB\n",
            Path::new(P),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "logs.txt:2: a REPORT line without Duration: `REPORT RequestId: x Billed Duration: 3 ms Memory Size: 128 MB`"
        );
        let err = parse(
            "REPORT RequestId: x Duration: fast ms Memory Size: 128 MB",
            Path::new(P),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("`Duration` is not a number"),
            "{err}"
        );
        let err = parse("no reports here\n{\"a\": 1}\n", Path::new(P)).unwrap_err();
        assert!(matches!(err, LambdaError::NoReports { .. }));
        assert!(matches!(
            parse("", Path::new(P)).unwrap_err(),
            LambdaError::NoReports { .. }
        ));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = Percentiles::of(&values).unwrap();
        assert_eq!(
            (p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms),
            (50.0, 90.0, 99.0, 100.0)
        );
        let p = Percentiles::of(&[7.0]).unwrap();
        assert_eq!((p.p50_ms, p.p99_ms), (7.0, 7.0));
        assert!(Percentiles::of(&[]).is_none());
    }

    #[test]
    fn report_counts_cold_starts_per_memory_size() {
        let text = "\
REPORT RequestId: 1 Duration: 10 ms Memory Size: 128 MB Max Memory Used: 40 MB Init Duration: 800 ms
REPORT RequestId: 2 Duration: 3 ms Memory Size: 128 MB Max Memory Used: 42 MB
REPORT RequestId: 3 Duration: 3 ms Memory Size: 1024 MB Max Memory Used: 50 MB Init Duration: 300 ms
REPORT RequestId: 4 Duration: 3000 ms Memory Size: 1024 MB Max Memory Used: 51 MB Status: timeout
";
        let report = LambdaReport::new("logs.txt", &parse_ok(text));
        assert_eq!(report.invocations, 4);
        assert_eq!(report.cold_starts, 2);
        assert_eq!(report.cold_start_rate, 0.5);
        assert_eq!(report.timeouts, 1);
        assert_eq!(report.init.as_ref().unwrap().max_ms, 800.0);
        assert_eq!(report.memory_sizes.len(), 2);
        assert_eq!(report.memory_sizes[0].memory_size_mb, 128);
        assert_eq!(report.memory_sizes[0].max_memory_used_mb, Some(42));
        assert_eq!(report.memory_sizes[1].init_p50_ms, Some(300.0));
    }

    #[test]
    fn stored_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("history.db")).unwrap();
        let text = "REPORT RequestId: 1 Duration: 10 ms Memory Size: 128 MB Init Duration: 800 ms";
        let report = LambdaReport::new("logs.txt", &parse_ok(text));
        let id = store
            .append_lambda_report("app", Some("abc"), "2026-12-01T00:00:00Z", &report)
            .unwrap();
        let stored = store.lambda_reports(Some("app")).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].id, id);
        assert_eq!(stored[0].report, report);
        assert!(store.lambda_reports(Some("other")).unwrap().is_empty());
    }
}
