//! The history database (`.fastpath/history.db`): one record per `fastpath record`, with the
//! commit, branch, date and environment, the entry's medians and every module's medians.
//!
//! SQLite (bundled, so every platform has the same one) with a versioned schema: `PRAGMA
//! user_version` says which [`MIGRATIONS`] have run, and opening a database applies the missing
//! ones in one transaction. WAL journaling and a busy timeout let two writers (two CI jobs on one
//! runner) append at once: each append is one `BEGIN IMMEDIATE` transaction, so the second waits
//! for the first instead of failing. A file that is not a healthy SQLite database is reported and
//! never written to: the header and `PRAGMA quick_check` are read before anything is written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;

use crate::environment::Environment;

/// Schema migrations, in order; `user_version` = how many have run. Never edit one that has
/// shipped: add the next.
pub const MIGRATIONS: &[&str] = &[
    // 1: records and their module costs.
    "CREATE TABLE records (
         id INTEGER PRIMARY KEY,
         commit_id TEXT,
         recorded_at TEXT NOT NULL,
         entry TEXT NOT NULL,
         python_version TEXT NOT NULL,
         runs INTEGER NOT NULL,
         imports_us REAL NOT NULL,
         cold_start_us REAL NOT NULL
     );
     CREATE TABLE module_costs (
         record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
         module TEXT NOT NULL,
         self_us REAL NOT NULL,
         cumulative_us REAL NOT NULL,
         PRIMARY KEY (record_id, module)
     );",
    // 2: the branch and the full environment; an index for per-entry trends.
    "ALTER TABLE records ADD COLUMN branch TEXT;
     ALTER TABLE records ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE records ADD COLUMN python_implementation TEXT NOT NULL DEFAULT 'cpython';
     ALTER TABLE records ADD COLUMN python_executable TEXT NOT NULL DEFAULT '';
     ALTER TABLE records ADD COLUMN platform TEXT NOT NULL DEFAULT '';
     ALTER TABLE records ADD COLUMN cpu TEXT NOT NULL DEFAULT '';
     CREATE INDEX records_by_entry ON records (entry, id);",
    // 3: production cold starts from `record --lambda-report` (see `lambda`).
    "CREATE TABLE lambda_reports (
         id INTEGER PRIMARY KEY,
         commit_id TEXT,
         recorded_at TEXT NOT NULL,
         entry TEXT NOT NULL,
         invocations INTEGER NOT NULL,
         cold_starts INTEGER NOT NULL,
         init_p50_ms REAL,
         init_p90_ms REAL,
         init_p99_ms REAL,
         init_max_ms REAL,
         report TEXT NOT NULL
     );
     CREATE INDEX lambda_reports_by_entry ON lambda_reports (entry, id);",
    // 4: whether the measurement was contended (other processes slowed its runs).
    "ALTER TABLE records ADD COLUMN contended INTEGER NOT NULL DEFAULT 0;",
];

/// Where a project's history lives: `.fastpath/history.db` under its root.
pub fn history_path(root: &Path) -> PathBuf {
    root.join(".fastpath").join("history.db")
}

/// Why the history could not be used. Each names the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the directory of the history database {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a usable fastpath history database ({detail}); it was left untouched: move it away to start a new history", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("the history database {} has schema version {found}, newer than this fastpath understands ({known}); use a newer fastpath", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("the history database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

/// A module's medians in a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedModule {
    pub module: String,
    pub self_us: f64,
    pub cumulative_us: f64,
}

/// One `fastpath record`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Assigned by the database; 0 before insertion.
    pub id: i64,
    pub commit: Option<String>,
    pub branch: Option<String>,
    /// The working tree had uncommitted changes.
    pub dirty: bool,
    /// UTC, RFC 3339.
    pub recorded_at: String,
    pub entry: String,
    pub environment: Environment,
    pub runs: usize,
    /// Median time importing the entry.
    pub imports_us: f64,
    /// Median whole-process cold start.
    pub cold_start_us: f64,
    /// Other processes slowed the measurement's runs: its figures may read high.
    pub contended: bool,
    /// Module medians, by name.
    pub modules: Vec<RecordedModule>,
}

/// An open history database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const HEADER: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// Opens (creating it and its directory if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        check_header(path)?;
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(sqlite)?;
        // Read-only health check before any write.
        let health: Result<Vec<String>, rusqlite::Error> = retry_busy(|| {
            conn.prepare("PRAGMA quick_check")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        });
        match health {
            Ok(rows) if rows == ["ok"] => {}
            Ok(rows) => {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: rows.join("; "),
                })
            }
            Err(e) if is_corruption(&e) => {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                })
            }
            Err(e) => return Err(sqlite(e)),
        }
        // WAL is a property of the file: switch once. The switch needs the file to itself, and
        // SQLite answers "busy" at once instead of calling the busy handler, so retry here.
        let mode: String = retry_busy(|| conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .map_err(sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            retry_busy(|| {
                conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            })
            .map_err(sqlite)?;
        }
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(sqlite)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate(MIGRATIONS.len())?;
        Ok(store)
    }

    fn sqlite(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Applies migrations up to `target` (tests stop early to build an older database).
    pub fn migrate(&mut self, target: usize) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sqlite)?;
        if version > MIGRATIONS.len() as i64 {
            return Err(StoreError::TooNew {
                path: path.clone(),
                found: version,
                known: MIGRATIONS.len() as i64,
            });
        }
        for (i, migration) in MIGRATIONS
            .iter()
            .enumerate()
            .take(target)
            .skip(version as usize)
        {
            tx.execute_batch(migration).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.sqlite())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database's path and connection, for tables kept by sibling modules (`lambda`).
    pub(crate) fn parts(&mut self) -> (&Path, &mut Connection) {
        (&self.path, &mut self.conn)
    }

    /// Appends a record (its `id` is ignored) and returns the id it got.
    pub fn append(&mut self, record: &Record) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let env = &record.environment;
        tx.execute(
            "INSERT INTO records (commit_id, recorded_at, entry, python_version, runs, imports_us,
                                  cold_start_us, branch, dirty, python_implementation,
                                  python_executable, platform, cpu, contended)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                record.commit,
                record.recorded_at,
                record.entry,
                env.python_version,
                record.runs as i64,
                record.imports_us,
                record.cold_start_us,
                record.branch,
                record.dirty,
                env.python_implementation,
                env.python_executable,
                env.platform,
                env.cpu,
                record.contended,
            ],
        )
        .map_err(sqlite)?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO module_costs (record_id, module, self_us, cumulative_us)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(sqlite)?;
            for m in &record.modules {
                insert
                    .execute(params![id, m.module, m.self_us, m.cumulative_us])
                    .map_err(sqlite)?;
            }
        }
        tx.commit().map_err(sqlite)?;
        Ok(id)
    }

    /// Records in the order they were appended, optionally of one entry only.
    pub fn records(&self, entry: Option<&str>) -> Result<Vec<Record>, StoreError> {
        let sqlite = self.sqlite();
        let mut select = self
            .conn
            .prepare(
                "SELECT id, commit_id, branch, dirty, recorded_at, entry, python_version,
                        python_implementation, python_executable, platform, cpu, runs,
                        imports_us, cold_start_us, contended
                 FROM records WHERE ?1 IS NULL OR entry = ?1 ORDER BY id",
            )
            .map_err(&sqlite)?;
        let mut records: Vec<Record> = select
            .query_map([entry], |r| {
                Ok(Record {
                    id: r.get(0)?,
                    commit: r.get(1)?,
                    branch: r.get(2)?,
                    dirty: r.get(3)?,
                    recorded_at: r.get(4)?,
                    entry: r.get(5)?,
                    environment: Environment {
                        python_version: r.get(6)?,
                        python_implementation: r.get(7)?,
                        python_executable: r.get(8)?,
                        platform: r.get(9)?,
                        cpu: r.get(10)?,
                    },
                    runs: r.get::<_, i64>(11)? as usize,
                    imports_us: r.get(12)?,
                    cold_start_us: r.get(13)?,
                    contended: r.get(14)?,
                    modules: Vec::new(),
                })
            })
            .map_err(&sqlite)?
            .collect::<Result<_, _>>()
            .map_err(&sqlite)?;
        let mut modules = self
            .conn
            .prepare(
                "SELECT module, self_us, cumulative_us FROM module_costs
                 WHERE record_id = ?1 ORDER BY module",
            )
            .map_err(&sqlite)?;
        for record in &mut records {
            record.modules = modules
                .query_map([record.id], |r| {
                    Ok(RecordedModule {
                        module: r.get(0)?,
                        self_us: r.get(1)?,
                        cumulative_us: r.get(2)?,
                    })
                })
                .map_err(&sqlite)?
                .collect::<Result<_, _>>()
                .map_err(&sqlite)?;
        }
        Ok(records)
    }
}

/// Runs `f` again while SQLite reports the database busy or locked in a way its busy handler
/// does not cover (journal-mode switches, a lock upgrade that would deadlock), for up to 30 s.
fn retry_busy<T>(mut f: impl FnMut() -> Result<T, rusqlite::Error>) -> Result<T, rusqlite::Error> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match f() {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// An existing, non-empty file must start with SQLite's header; nothing is written otherwise.
fn check_header(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(()); // absent: it will be created
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                })
            }
        }
    }
    if read == 0 || &header == HEADER {
        Ok(())
    } else {
        Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: "it does not start with the SQLite header".to_string(),
        })
    }
}

fn is_corruption(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn record(entry: &str, commit: &str, imports_us: f64) -> Record {
        Record {
            id: 0,
            commit: Some(commit.to_string()),
            branch: Some("main".to_string()),
            dirty: false,
            recorded_at: "2025-11-20T09:30:00Z".to_string(),
            entry: entry.to_string(),
            environment: Environment {
                python_version: "3.11.7".into(),
                python_implementation: "cpython".into(),
                python_executable: "/usr/bin/python3".into(),
                platform: "linux-x86_64".into(),
                cpu: "AMD EPYC 7B13".into(),
            },
            runs: 10,
            imports_us,
            cold_start_us: imports_us + 11_000.0,
            contended: false,
            modules: vec![
                RecordedModule {
                    module: "heavy".into(),
                    self_us: imports_us - 2_000.0,
                    cumulative_us: imports_us - 1_000.0,
                },
                RecordedModule {
                    module: "json".into(),
                    self_us: 500.0,
                    cumulative_us: 1_000.0,
                },
            ],
        }
    }

    #[test]
    fn records_round_trip_in_order_and_filter_by_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".fastpath/history.db");
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let a = store.append(&record("app", "aaaa", 30_000.0)).unwrap();
        let b = store.append(&record("cli", "bbbb", 40_000.0)).unwrap();
        let mut busy = record("app", "cccc", 35_000.0);
        busy.contended = true;
        let c = store.append(&busy).unwrap();
        assert!(a < b && b < c);
        let all = store.records(None).unwrap();
        assert_eq!(all.len(), 3);
        let app = store.records(Some("app")).unwrap();
        assert_eq!(app.len(), 2);
        assert_eq!(app[1].commit.as_deref(), Some("cccc"));
        let mut expected = busy;
        expected.id = c;
        assert_eq!(app[1], expected);
        // WAL is on.
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_version_one_database_is_migrated_and_keeps_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            // Build a database as the first schema left it, with a row in it.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO records (commit_id, recorded_at, entry, python_version, runs,
                                      imports_us, cold_start_us)
                 VALUES ('old1', '2025-10-01T08:00:00Z', 'app', '3.11.7', 20, 30000, 41000)",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO module_costs VALUES (1, 'heavy', 20000, 28000)",
                [],
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let old = &store.records(None).unwrap()[0];
        assert_eq!(old.commit.as_deref(), Some("old1"));
        assert_eq!(old.branch, None);
        assert_eq!(old.environment.python_implementation, "cpython");
        assert!(
            !old.contended,
            "a record from before the column is not contended"
        );
        assert_eq!(old.modules[0].cumulative_us, 28_000.0);
        store.append(&record("app", "new1", 31_000.0)).unwrap();
        let again = Store::open(&path).unwrap();
        assert_eq!(again.records(Some("app")).unwrap().len(), 2);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let e = Store::open(&path).unwrap_err();
        assert!(matches!(e, StoreError::TooNew { found: 99, .. }), "{e}");
    }

    #[test]
    fn two_writers_at_once_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".fastpath/history.db");
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            for writer in ["a", "b"] {
                let path = &path;
                let barrier = &barrier;
                scope.spawn(move || {
                    // Both open (and migrate) a database that does not exist yet, at once.
                    barrier.wait();
                    let mut store = Store::open(path).unwrap();
                    for i in 0..40 {
                        store
                            .append(&record("app", &format!("{writer}{i}"), 30_000.0 + i as f64))
                            .unwrap();
                    }
                });
            }
        });
        let store = Store::open(&path).unwrap();
        let records = store.records(None).unwrap();
        assert_eq!(records.len(), 80);
        for writer in ["a", "b"] {
            let mine: Vec<&Record> = records
                .iter()
                .filter(|r| r.commit.as_deref().is_some_and(|c| c.starts_with(writer)))
                .collect();
            assert_eq!(mine.len(), 40);
            // Each writer's records keep their order.
            assert!(mine.windows(2).all(|w| w[0].imports_us < w[1].imports_us));
            assert!(mine.iter().all(|r| r.modules.len() == 2));
        }
    }

    #[test]
    fn a_corrupted_database_is_reported_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        // Not a database at all.
        let path = dir.path().join("garbage.db");
        let garbage = b"this was somebody's file, not a database\n".repeat(100);
        std::fs::write(&path, &garbage).unwrap();
        let e = Store::open(&path).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("garbage.db"), "{e}");
        assert!(e.to_string().contains("left untouched"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), garbage);

        // A real database whose pages were damaged after the header.
        let path = dir.path().join("damaged.db");
        {
            let mut store = Store::open(&path).unwrap();
            for i in 0..200 {
                store
                    .append(&record("app", &format!("c{i}"), 30_000.0))
                    .unwrap();
            }
            // Fold the WAL into the main file so the damage below hits real pages.
            store
                .conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
                .unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 8192);
        for b in &mut bytes[4096 + 100..8192] {
            *b = 0xA5;
        }
        std::fs::write(&path, &bytes).unwrap();
        let e = Store::open(&path).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}
