//! The baseline file (`fastpath-baseline.json`, schema `fastpath.baseline/1`): per entry, the
//! runs of a careful measurement (every sample, since the regression test needs them), per-module
//! statistics, the static cold-path module list (for FP203), and the environment it was measured
//! in. It is meant to be committed and reviewed: keys sorted, one line per statistic, sample
//! lists on one line; written atomically (a temporary file renamed over the old one).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::environment::Environment;
use crate::series::{ModuleSeries, Series};

/// Schema tag.
pub const SCHEMA: &str = "fastpath.baseline/1";

/// Why a baseline could not be read or written. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read the baseline {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the baseline {}:{line}:{column} is not valid: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the baseline {} has schema `{found}`; this fastpath reads `{SCHEMA}` (record it again with `fastpath baseline`)", path.display())]
    Schema { path: PathBuf, found: String },
    #[error("the baseline {} is inconsistent: entry `{entry}`: {message}", path.display())]
    Inconsistent {
        path: PathBuf,
        entry: String,
        message: String,
    },
    #[error("cannot write the baseline {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Median, spread and range of a quantity, and every sample (whole microseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    pub median: i64,
    /// Median absolute deviation.
    pub mad: i64,
    pub min: i64,
    pub max: i64,
    pub samples: Vec<i64>,
}

impl Samples {
    pub fn of(values: &[f64]) -> Samples {
        let samples: Vec<i64> = values.iter().map(|v| v.round() as i64).collect();
        let summary = fastpath_profile::stats::Summary::of(values);
        let round = |v: f64| v.round() as i64;
        Samples {
            median: summary.map_or(0, |s| round(s.median)),
            mad: summary.map_or(0, |s| round(s.mad)),
            min: summary.map_or(0, |s| round(s.min)),
            max: summary.map_or(0, |s| round(s.max)),
            samples,
        }
    }

    pub fn values(&self) -> Vec<f64> {
        self.samples.iter().map(|v| *v as f64).collect()
    }
}

/// One module of an entry's baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleBaseline {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub self_us: Samples,
    pub cumulative_us: Samples,
}

/// One entry's baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryBaseline {
    /// Measured runs (each sample list has this many values).
    pub runs: usize,
    /// The CPU the interpreter was pinned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_cpu: Option<usize>,
    /// Time importing the entry.
    pub total_us: Samples,
    /// CPU time of each run's process (what `check` decides on), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_us: Option<Samples>,
    /// CPU time of `python -c pass` runs made along with them: the machine's speed then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_cpu_us: Option<Samples>,
    /// Whole-process wall time (start-up plus imports), for information.
    pub process_wall_us: Samples,
    /// Modules on the static cold path, sorted.
    pub cold_path: Vec<String>,
    /// Every module loaded in the runs.
    pub modules: BTreeMap<String, ModuleBaseline>,
}

impl EntryBaseline {
    /// A baseline entry from measured series.
    pub fn new(
        series: &Series,
        process_wall_us: &[f64],
        mut cold_path: Vec<String>,
        pinned_cpu: Option<usize>,
    ) -> EntryBaseline {
        cold_path.sort();
        cold_path.dedup();
        EntryBaseline {
            runs: series.len(),
            pinned_cpu,
            total_us: Samples::of(&series.total_us),
            cpu_us: series.cpu().map(Samples::of),
            startup_cpu_us: (!series.startup_cpu_us.is_empty())
                .then(|| Samples::of(&series.startup_cpu_us)),
            process_wall_us: Samples::of(process_wall_us),
            cold_path,
            modules: series
                .modules
                .iter()
                .map(|(name, m)| {
                    (
                        name.clone(),
                        ModuleBaseline {
                            parent: m.parent.clone(),
                            self_us: Samples::of(&m.self_us),
                            cumulative_us: Samples::of(&m.cumulative_us),
                        },
                    )
                })
                .collect(),
        }
    }

    /// The runs as a series, for the regression test.
    pub fn series(&self) -> Series {
        Series {
            total_us: self.total_us.values(),
            cpu_us: self
                .cpu_us
                .as_ref()
                .map(Samples::values)
                .unwrap_or_default(),
            startup_cpu_us: self
                .startup_cpu_us
                .as_ref()
                .map(Samples::values)
                .unwrap_or_default(),
            modules: self
                .modules
                .iter()
                .map(|(name, m)| {
                    (
                        name.clone(),
                        ModuleSeries {
                            parent: m.parent.clone(),
                            self_us: m.self_us.values(),
                            cumulative_us: m.cumulative_us.values(),
                        },
                    )
                })
                .collect(),
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.runs == 0 {
            return Err("no runs".to_string());
        }
        if self.total_us.samples.len() != self.runs {
            return Err(format!(
                "`runs` is {} but `total_us` has {} samples",
                self.runs,
                self.total_us.samples.len()
            ));
        }
        if let Some(cpu) = &self.cpu_us {
            if cpu.samples.len() != self.runs {
                return Err(format!(
                    "`runs` is {} but `cpu_us` has {} samples",
                    self.runs,
                    cpu.samples.len()
                ));
            }
        }
        for (name, m) in &self.modules {
            if m.self_us.samples.len() != self.runs || m.cumulative_us.samples.len() != self.runs {
                return Err(format!(
                    "module `{name}` does not have {} samples",
                    self.runs
                ));
            }
        }
        Ok(())
    }
}

/// A whole baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema: String,
    /// When it was recorded (UTC, RFC 3339).
    pub created: String,
    /// The commit the working tree was on, when in a git repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether the working tree had uncommitted changes then.
    #[serde(default)]
    pub dirty: bool,
    pub environment: Environment,
    pub entries: BTreeMap<String, EntryBaseline>,
}

impl Baseline {
    pub fn new(created: String, environment: Environment) -> Baseline {
        Baseline {
            schema: SCHEMA.to_string(),
            created,
            commit: None,
            dirty: false,
            environment,
            entries: BTreeMap::new(),
        }
    }

    /// Reads and checks a baseline file; `Ok(None)` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<Baseline>, BaselineError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(BaselineError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| BaselineError::Parse {
                path: path.to_path_buf(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        let schema = value["schema"].as_str().unwrap_or("(none)").to_string();
        if schema != SCHEMA {
            return Err(BaselineError::Schema {
                path: path.to_path_buf(),
                found: schema,
            });
        }
        let baseline: Baseline =
            serde_json::from_value(value).map_err(|e| BaselineError::Parse {
                path: path.to_path_buf(),
                line: 0,
                column: 0,
                message: e.to_string(),
            })?;
        for (entry, b) in &baseline.entries {
            b.check().map_err(|message| BaselineError::Inconsistent {
                path: path.to_path_buf(),
                entry: entry.clone(),
                message,
            })?;
        }
        Ok(Some(baseline))
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let value = serde_json::to_value(self).expect("a baseline serialises");
        crate::jsonfmt::to_string(&value)
    }

    /// Writes the file atomically: a temporary file in the same directory, renamed over it.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let error = |source| BaselineError::Write {
            path: path.to_path_buf(),
            source,
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(error)?;
        std::io::Write::write_all(&mut file, self.to_text().as_bytes()).map_err(error)?;
        // A temporary file is private (0600); the baseline is a project file like any other.
        let permissions = match std::fs::metadata(path) {
            Ok(old) => old.permissions(),
            Err(_) => default_permissions(),
        };
        file.as_file().set_permissions(permissions).map_err(error)?;
        file.persist(path).map_err(|e| error(e.error))?;
        Ok(())
    }
}

#[cfg(unix)]
fn default_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn default_permissions() -> std::fs::Permissions {
    tempfile::tempfile()
        .and_then(|f| f.metadata())
        .map(|m| m.permissions())
        .expect("a temporary file")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline() -> Baseline {
        let mut series = Series::default();
        for i in 0..3 {
            let mut modules = BTreeMap::new();
            modules.insert("app".to_string(), (100.0, 1000.0 + i as f64, None));
            modules.insert(
                "heavy".to_string(),
                (900.0 + i as f64, 900.0 + i as f64, Some("app".to_string())),
            );
            series.push(1000.0 + i as f64, modules);
            series.cpu_us.push(11_000.0 + i as f64);
        }
        let mut b = Baseline::new(
            "2025-11-20T09:30:00Z".to_string(),
            Environment {
                python_version: "3.11.7".into(),
                python_implementation: "cpython".into(),
                python_executable: "/usr/bin/python3".into(),
                platform: "linux-x86_64".into(),
                cpu: "AMD EPYC 7B13".into(),
            },
        );
        b.commit = Some("1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d".into());
        b.entries.insert(
            "app".into(),
            EntryBaseline::new(
                &series,
                &[12_000.0, 12_100.0, 11_900.0],
                vec!["heavy".into(), "app".into()],
                Some(1),
            ),
        );
        b
    }

    #[test]
    fn the_file_is_reviewable_and_round_trips() {
        let b = baseline();
        insta::assert_snapshot!(b.to_text());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fastpath-baseline.json");
        b.write(&path).unwrap();
        let read = Baseline::read(&path).unwrap().unwrap();
        assert_eq!(read, b);
        assert_eq!(
            read.entries["app"].series().total_us,
            [1000.0, 1001.0, 1002.0]
        );
    }

    #[test]
    fn a_missing_file_is_none_and_bad_files_name_themselves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        assert!(Baseline::read(&path).unwrap().is_none());
        std::fs::write(&path, "{\n  \"schema\": \n").unwrap();
        let e = Baseline::read(&path).unwrap_err().to_string();
        assert!(e.contains("b.json:3:"), "{e}");
        std::fs::write(&path, r#"{"schema": "fastpath.baseline/9"}"#).unwrap();
        let e = Baseline::read(&path).unwrap_err().to_string();
        assert!(e.contains("fastpath.baseline/9"), "{e}");
        let mut b = baseline();
        b.entries.get_mut("app").unwrap().runs = 4;
        std::fs::write(&path, b.to_text()).unwrap();
        let e = Baseline::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("entry `app`: `runs` is 4 but `total_us` has 3 samples"),
            "{e}"
        );
    }
}
