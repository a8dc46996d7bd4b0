//! Modules that really loaded versus the static prediction, and the `.fastpath/observed.json`
//! store that lets later static runs include what only running code could show.
//!
//! A syntactic scan cannot see imports made by compiled extensions as they initialise (pandas'
//! `.so` files import `dateutil`) or through computed names. A profile sees them: each is kept as
//! an edge `importer -> module`, the importer taken from the importtime nesting. The store is
//! keyed by interpreter (`cpython-3.11`): what an extension imports depends on the Python
//! version and the packages, not on where the interpreter lives, so the key stays the same on a
//! colleague's machine and in CI. Records are merged (union) so profiling several entries of
//! one project accumulates. Writes are atomic (temporary file in the same directory, then
//! rename); a malformed store is an error naming the file and is never overwritten.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Schema tag of the store.
pub const SCHEMA: &str = "fastpath.observed/1";

/// A module that loaded, with the module whose import statement loaded it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObservedEdge {
    /// The importing module; `None` when it loaded at top level (not under another module).
    pub importer: Option<String>,
    /// The module that loaded.
    pub module: String,
}

/// Result of comparing what loaded with what the static graph predicted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// Loaded but not predicted, with their importer, sorted.
    pub unpredicted: Vec<ObservedEdge>,
    /// Predicted but not loaded: where the static analysis over-approximates. Sorted.
    pub not_loaded: Vec<String>,
}

/// Compares `loaded` (module and importer) with the `predicted` module names.
pub fn compare<'a>(
    loaded: impl IntoIterator<Item = &'a ObservedEdge>,
    predicted: &BTreeSet<String>,
) -> Comparison {
    let mut loaded_names = BTreeSet::new();
    let mut unpredicted = BTreeSet::new();
    for edge in loaded {
        loaded_names.insert(edge.module.as_str());
        if !predicted.contains(&edge.module) {
            unpredicted.insert(edge.clone());
        }
    }
    Comparison {
        unpredicted: unpredicted.into_iter().collect(),
        not_loaded: predicted
            .iter()
            .filter(|m| !loaded_names.contains(m.as_str()))
            .cloned()
            .collect(),
    }
}

/// The store's key for an interpreter: `<implementation>-<major>.<minor>`, e.g. `cpython-3.11`.
pub fn interpreter_key(implementation: &str, version: &str) -> String {
    let minor: Vec<&str> = version.split('.').take(2).collect();
    format!("{}-{}", implementation.to_lowercase(), minor.join("."))
}

/// Where the store lives under a project root.
pub fn store_path(project_root: &Path) -> PathBuf {
    project_root.join(".fastpath").join("observed.json")
}

/// Errors reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum ObservedError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The store.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file is not a valid store; it was left as it is.
    #[error("{}:{line}:{column}: malformed observed-imports file ({message}); fix or delete it, fastpath will not overwrite it", path.display())]
    Malformed {
        /// The store.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// The file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The store (or its directory).
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// What one interpreter showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterpreterRecord {
    /// The last `sys.executable` that recorded here (informative only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executable: Option<String>,
    /// Observed edges, sorted.
    pub edges: BTreeSet<ObservedEdge>,
    /// Modules an import hook (a meta-path finder) loaded under a name the path search does
    /// not find, with the file it loaded: awscli's finder loads `awscli/botocore/__init__.py`
    /// as `botocore`. The graph resolves the name to that file, so the module and its
    /// submodules join the cold path under the name the program used.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hooked: BTreeMap<String, PathBuf>,
}

/// The `.fastpath/observed.json` store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedStore {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Records by interpreter key.
    pub interpreters: BTreeMap<String, InterpreterRecord>,
}

impl Default for ObservedStore {
    fn default() -> Self {
        ObservedStore {
            schema: SCHEMA.to_string(),
            interpreters: BTreeMap::new(),
        }
    }
}

impl ObservedStore {
    /// Reads the store; an absent file is an empty store.
    pub fn read(path: &Path) -> Result<ObservedStore, ObservedError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ObservedStore::default()),
            Err(source) => {
                return Err(ObservedError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let store: ObservedStore =
            serde_json::from_str(&text).map_err(|e| ObservedError::Malformed {
                path: path.to_path_buf(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        if store.schema != SCHEMA {
            return Err(ObservedError::Malformed {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("schema is `{}`, expected `{SCHEMA}`", store.schema),
            });
        }
        Ok(store)
    }

    /// Adds `edges` under `key` (union with what is there). Returns how many were new.
    pub fn merge(
        &mut self,
        key: &str,
        executable: Option<&str>,
        edges: impl IntoIterator<Item = ObservedEdge>,
    ) -> usize {
        let record = self.interpreters.entry(key.to_string()).or_default();
        if let Some(executable) = executable {
            record.executable = Some(executable.to_string());
        }
        edges
            .into_iter()
            .filter(|edge| record.edges.insert(edge.clone()))
            .count()
    }

    /// Adds modules loaded through import hooks under `key` (see
    /// [`InterpreterRecord::hooked`]); a later profile's file replaces an earlier one's.
    /// Returns how many changed.
    pub fn merge_hooked(&mut self, key: &str, hooked: &BTreeMap<String, PathBuf>) -> usize {
        let record = self.interpreters.entry(key.to_string()).or_default();
        hooked
            .iter()
            .filter(|(name, file)| {
                record
                    .hooked
                    .insert((*name).clone(), (*file).clone())
                    .as_ref()
                    != Some(*file)
            })
            .count()
    }

    /// Modules loaded through import hooks recorded for `key`, with their files.
    pub fn hooked(&self, key: &str) -> impl Iterator<Item = (&String, &PathBuf)> {
        self.interpreters
            .get(key)
            .into_iter()
            .flat_map(|record| record.hooked.iter())
    }

    /// Edges recorded for `key`.
    pub fn edges(&self, key: &str) -> impl Iterator<Item = &ObservedEdge> {
        self.interpreters
            .get(key)
            .into_iter()
            .flat_map(|record| record.edges.iter())
    }

    /// Writes the store atomically, creating its directory if needed.
    pub fn write(&self, path: &Path) -> Result<(), ObservedError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let fail = |source: io::Error| ObservedError::Write {
            path: path.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(fail)?;
        let mut text = serde_json::to_string_pretty(self).map_err(|e| fail(io::Error::other(e)))?;
        text.push('\n');
        let mut temp = tempfile::Builder::new()
            .prefix(".observed-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(fail)?;
        temp.write_all(text.as_bytes()).map_err(fail)?;
        temp.as_file().sync_all().map_err(fail)?;
        temp.persist(path).map_err(|e| fail(e.error))?;
        Ok(())
    }

    /// Reads the store at `path`, merges `edges` under `key` and writes it back. A malformed
    /// store is returned as an error and left untouched. Returns how many edges were new.
    pub fn update(
        path: &Path,
        key: &str,
        executable: Option<&str>,
        edges: impl IntoIterator<Item = ObservedEdge>,
    ) -> Result<usize, ObservedError> {
        ObservedStore::update_with(path, key, executable, edges, &BTreeMap::new())
    }

    /// [`ObservedStore::update`], with modules loaded through import hooks. Returns how many
    /// edges were new.
    pub fn update_with(
        path: &Path,
        key: &str,
        executable: Option<&str>,
        edges: impl IntoIterator<Item = ObservedEdge>,
        hooked: &BTreeMap<String, PathBuf>,
    ) -> Result<usize, ObservedError> {
        let mut store = ObservedStore::read(path)?;
        let added = store.merge(key, executable, edges);
        store.merge_hooked(key, hooked);
        store.write(path)?;
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(importer: Option<&str>, module: &str) -> ObservedEdge {
        ObservedEdge {
            importer: importer.map(str::to_string),
            module: module.to_string(),
        }
    }

    #[test]
    fn hooked_modules_round_trip_and_old_stores_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_path(dir.path());
        let hooked: BTreeMap<String, PathBuf> = [(
            "botocore".to_string(),
            PathBuf::from("/sp/awscli/botocore/__init__.py"),
        )]
        .into();
        let added = ObservedStore::update_with(
            &path,
            "cpython-3.11",
            None,
            [edge(Some("a"), "b")],
            &hooked,
        )
        .unwrap();
        assert_eq!(added, 1);
        let store = ObservedStore::read(&path).unwrap();
        let read: Vec<_> = store.hooked("cpython-3.11").collect();
        assert_eq!(read, [(&"botocore".to_string(), &hooked["botocore"])]);
        assert_eq!(store.hooked("cpython-3.12").count(), 0);
        // A store written before hooks were recorded has no `hooked`: it reads as none.
        let old =
            r#"{"schema": "fastpath.observed/1", "interpreters": {"cpython-3.11": {"edges": []}}}"#;
        std::fs::write(&path, old).unwrap();
        assert_eq!(
            ObservedStore::read(&path)
                .unwrap()
                .hooked("cpython-3.11")
                .count(),
            0
        );
    }

    #[test]
    fn compare_finds_both_directions() {
        let loaded = [
            edge(None, "app"),
            edge(Some("app"), "pandas"),
            edge(Some("pandas._libs.tslib"), "dateutil"),
        ];
        let predicted: BTreeSet<String> = ["app", "pandas", "yaml"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c = compare(&loaded, &predicted);
        assert_eq!(
            c.unpredicted,
            [edge(Some("pandas._libs.tslib"), "dateutil")]
        );
        assert_eq!(c.not_loaded, ["yaml"]);
    }

    #[test]
    fn interpreter_keys_drop_the_micro_version() {
        assert_eq!(interpreter_key("cpython", "3.11.7"), "cpython-3.11");
        assert_eq!(interpreter_key("PyPy", "3.10"), "pypy-3.10");
    }

    #[test]
    fn update_creates_merges_and_keeps_keys_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_path(dir.path());
        let added = ObservedStore::update(
            &path,
            "cpython-3.11",
            Some("/venv/bin/python"),
            [edge(Some("a"), "b")],
        )
        .unwrap();
        assert_eq!(added, 1);
        let added = ObservedStore::update(
            &path,
            "cpython-3.11",
            None,
            [edge(Some("a"), "b"), edge(Some("c"), "d")],
        )
        .unwrap();
        assert_eq!(added, 1);
        ObservedStore::update(&path, "cpython-3.12", None, [edge(None, "x")]).unwrap();
        let store = ObservedStore::read(&path).unwrap();
        assert_eq!(store.edges("cpython-3.11").count(), 2);
        assert_eq!(store.edges("cpython-3.12").count(), 1);
        assert_eq!(store.edges("cpython-3.9").count(), 0);
        assert_eq!(
            store.interpreters["cpython-3.11"].executable.as_deref(),
            Some("/venv/bin/python")
        );
        // No temporary files left beside the store.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["observed.json"]);
    }

    #[test]
    fn written_store_is_sorted_and_stable() {
        let mut store = ObservedStore::default();
        store.merge("k", None, [edge(Some("z"), "a"), edge(Some("a"), "z")]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.json");
        store.write(&path).unwrap();
        let first = fs::read_to_string(&path).unwrap();
        ObservedStore::read(&path).unwrap().write(&path).unwrap();
        assert_eq!(first, fs::read_to_string(&path).unwrap());
        assert!(first.find("\"a\"").unwrap() < first.find("\"z\"").unwrap());
        assert!(first.starts_with("{\n  \"schema\": \"fastpath.observed/1\""));
    }

    #[test]
    fn malformed_store_is_an_error_naming_it_and_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_path(dir.path());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let broken = "{\n  \"schema\": \"fastpath.observed/1\",\n  \"interpreters\": [\n";
        fs::write(&path, broken).unwrap();
        let err = ObservedStore::update(&path, "k", None, [edge(None, "m")]).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("observed.json:3:"), "{message}");
        assert_eq!(fs::read_to_string(&path).unwrap(), broken);
    }

    #[test]
    fn wrong_schema_is_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("observed.json");
        fs::write(&path, r#"{"schema": "other/9", "interpreters": {}}"#).unwrap();
        assert!(matches!(
            ObservedStore::read(&path),
            Err(ObservedError::Malformed { .. })
        ));
    }

    #[test]
    fn missing_store_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObservedStore::read(&dir.path().join("none.json")).unwrap();
        assert!(store.interpreters.is_empty());
    }
}
