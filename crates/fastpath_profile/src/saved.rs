//! The one reader of a saved profile (`fastpath.profile/1`, written by `fastpath profile
//! --format json` from [`Profile`]), and the figures every command reads from a profile, fresh
//! or saved.
//!
//! Typed, beside the writer, so the two cannot drift: a document of another schema is refused,
//! and a missing number is an error that names the field (`missing field `median``), never a
//! silent 0. Only the figures the commands use are read (per-module self and cumulative times,
//! the import total, the whole-process time, the interpreter); unknown fields are ignored so
//! that later versions of the writer can add more.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::profile::{Profile, SCHEMA};
use crate::stats::{Interval, Summary};

/// Why a saved profile cannot be used.
#[derive(Debug, Error)]
pub enum SavedError {
    #[error("{path}: {source}", path = .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}", path = .path.display())]
    NotJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{path}: not a `{SCHEMA}` document (from `fastpath profile --format json`){found}",
        path = .path.display(),
        found = .found.as_deref().map_or_else(String::new, |f| format!("; its schema is `{f}`"))
    )]
    WrongSchema {
        path: PathBuf,
        found: Option<String>,
    },
    #[error("{path}: {source}", path = .path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// A statistic over runs, microseconds: what the commands read of a [`Summary`]. The median
/// is required; a document without `min` and `max` (written by hand) has no known range, which
/// then collapses to the median.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(from = "RawSpread")]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Deserialize)]
struct RawSpread {
    median: f64,
    min: Option<f64>,
    max: Option<f64>,
}

impl From<RawSpread> for Spread {
    fn from(raw: RawSpread) -> Self {
        Spread {
            median: raw.median,
            min: raw.min.unwrap_or(raw.median),
            max: raw.max.unwrap_or(raw.median),
        }
    }
}

impl From<&Summary> for Spread {
    fn from(s: &Summary) -> Self {
        Spread {
            median: s.median,
            min: s.min,
            max: s.max,
        }
    }
}

/// The interpreter that was measured.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SavedInterpreter {
    pub executable: String,
    pub version: String,
    pub implementation: String,
}

/// One loaded module's times.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SavedModule {
    pub name: String,
    /// The loaded module during whose import this one ran (importtime nesting); `null` at the
    /// top.
    pub parent: Option<String>,
    pub self_us: Spread,
    pub cumulative_us: Spread,
    /// Confidence intervals of the medians (absent from profiles written before they existed:
    /// see [`SavedModule::cumulative_interval`]).
    #[serde(default)]
    pub self_ci_us: Option<Interval>,
    #[serde(default)]
    pub cumulative_ci_us: Option<Interval>,
}

impl SavedModule {
    /// The cumulative time's confidence interval; a point at the median when the document has
    /// none.
    pub fn cumulative_interval(&self) -> Interval {
        self.cumulative_ci_us
            .unwrap_or_else(|| Interval::point(self.cumulative_us.median))
    }
}

/// The part of `stability` a reader needs: the total's interval.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct SavedStability {
    pub ci_low_us: f64,
    pub ci_high_us: f64,
    pub confidence: f64,
}

/// The figures of a profile that the commands read: `check`'s rules, `update`, `init`,
/// `record` and `blame`, whether the profile was measured now or saved earlier.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SavedProfile {
    pub entry: String,
    /// The interpreter measured (`fastpath profile` always writes it; a hand-written document
    /// may leave it out).
    pub interpreter: Option<SavedInterpreter>,
    pub runs: usize,
    /// Importing the entry, without interpreter start-up.
    pub total_us: Spread,
    /// The whole process: start-up plus imports.
    pub process_wall_us: Spread,
    /// Loaded modules, in the writer's order.
    pub modules: Vec<SavedModule>,
    /// The total's interval (absent from hand-written documents).
    #[serde(default)]
    pub stability: Option<SavedStability>,
    /// The whole process's interval (absent from profiles written before it existed).
    #[serde(default)]
    pub process_wall_ci_us: Option<Interval>,
    /// What contention did to the measurement (absent from profiles written before it existed).
    #[serde(default)]
    pub contention: Option<SavedContention>,
}

/// The part of `contention` a reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct SavedContention {
    /// See [`crate::runner::Contention::contended`].
    pub contended: bool,
}

#[derive(Deserialize)]
struct SchemaOnly {
    schema: Option<String>,
}

impl SavedProfile {
    /// Reads a saved `fastpath.profile/1` document.
    pub fn read(path: &Path) -> Result<SavedProfile, SavedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SavedError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        SavedProfile::parse(&text, path)
    }

    /// Parses a document; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<SavedProfile, SavedError> {
        let schema: SchemaOnly =
            serde_json::from_str(text).map_err(|source| SavedError::NotJson {
                path: path.to_path_buf(),
                source,
            })?;
        if schema.schema.as_deref() != Some(SCHEMA) {
            return Err(SavedError::WrongSchema {
                path: path.to_path_buf(),
                found: schema.schema,
            });
        }
        serde_json::from_str(text).map_err(|source| SavedError::Invalid {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The same figures from a profile measured now.
    pub fn of(profile: &Profile) -> SavedProfile {
        SavedProfile {
            entry: profile.entry.clone(),
            interpreter: Some(SavedInterpreter {
                executable: profile.interpreter.executable.clone(),
                version: profile.interpreter.version.clone(),
                implementation: profile.interpreter.implementation.clone(),
            }),
            runs: profile.runs,
            total_us: (&profile.total_us).into(),
            process_wall_us: (&profile.process_wall_us).into(),
            modules: profile
                .modules
                .iter()
                .map(|m| SavedModule {
                    name: m.name.clone(),
                    parent: m.parent.clone(),
                    self_us: (&m.self_us).into(),
                    cumulative_us: (&m.cumulative_us).into(),
                    self_ci_us: Some(m.self_ci_us),
                    cumulative_ci_us: Some(m.cumulative_ci_us),
                })
                .collect(),
            stability: Some(SavedStability {
                ci_low_us: profile.stability.ci_low_us,
                ci_high_us: profile.stability.ci_high_us,
                confidence: profile.stability.confidence,
            }),
            process_wall_ci_us: profile.process_wall_ci_us,
            contention: Some(SavedContention {
                contended: profile.contention.contended,
            }),
        }
    }

    /// The import total's confidence interval; a point at the median when the document has
    /// none.
    pub fn total_interval(&self) -> Interval {
        match self.stability {
            Some(s) => Interval {
                median: self.total_us.median,
                low: s.ci_low_us,
                high: s.ci_high_us,
                confidence: s.confidence,
            },
            None => Interval::point(self.total_us.median),
        }
    }

    /// The whole process's confidence interval; a point at the median when the document has
    /// none.
    pub fn process_wall_interval(&self) -> Interval {
        self.process_wall_ci_us
            .unwrap_or_else(|| Interval::point(self.process_wall_us.median))
    }

    /// Whether the measurement was contended (see [`crate::runner::Contention::contended`]): its figures
    /// describe a busy machine and read high.
    pub fn contended(&self) -> bool {
        self.contention.as_ref().is_some_and(|c| c.contended)
    }

    /// A module's times, by name.
    pub fn module(&self, name: &str) -> Option<&SavedModule> {
        self.modules.iter().find(|m| m.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"schema": "fastpath.profile/1", "entry": "app", "runs": 3,
      "interpreter": {"executable": "/usr/bin/python3", "version": "3.11.7", "implementation": "cpython", "requested": "python3"},
      "total_us": {"median": 900.0, "min": 850.0, "max": 990.0, "mad": 10.0},
      "process_wall_us": {"median": 12000.0, "min": 11000.0, "max": 13000.0, "mad": 100.0},
      "modules": [{"name": "json", "self_us": {"median": 300.0, "min": 280.0, "max": 320.0},
                   "cumulative_us": {"median": 800.0, "min": 760.0, "max": 850.0}}]}"#;

    #[test]
    fn a_document_reads_into_typed_figures() {
        let saved = SavedProfile::parse(DOC, Path::new("p.json")).unwrap();
        assert_eq!(saved.entry, "app");
        assert_eq!(saved.module("json").unwrap().cumulative_us.max, 850.0);
        assert_eq!(saved.process_wall_us.median, 12000.0);
    }

    #[test]
    fn a_missing_number_is_an_error_naming_the_field() {
        let doc = DOC.replace(r#""median": 800.0, "#, "");
        let error = SavedProfile::parse(&doc, Path::new("p.json")).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("missing field `median`"), "{text}");
    }

    #[test]
    fn a_range_left_out_collapses_to_the_median() {
        let doc = DOC.replace(r#""min": 760.0, "max": 850.0"#, r#""mad": 1.0"#);
        let saved = SavedProfile::parse(&doc, Path::new("p.json")).unwrap();
        let json = saved.module("json").unwrap();
        assert_eq!(
            (json.cumulative_us.min, json.cumulative_us.max),
            (800.0, 800.0)
        );
    }

    #[test]
    fn intervals_and_contention_are_read_when_present() {
        let saved = SavedProfile::parse(DOC, Path::new("p.json")).unwrap();
        // An older document: points at the medians, not contended.
        assert_eq!(saved.total_interval().low, 900.0);
        assert_eq!(
            saved.module("json").unwrap().cumulative_interval().high,
            800.0
        );
        assert!(!saved.contended());
        let doc = DOC
            .replace(
                r#""runs": 3,"#,
                r#""runs": 3, "stability": {"ci_low_us": 870.0, "ci_high_us": 950.0, "confidence": 0.96},
                "contention": {"attempted": 5, "dropped": [], "contended": true, "kept_contended": []},"#,
            )
            .replace(
                r#""cumulative_us": {"median": 800.0"#,
                r#""cumulative_ci_us": {"median": 800.0, "low": 780.0, "high": 820.0, "confidence": 0.96},
                   "cumulative_us": {"median": 800.0"#,
            );
        let saved = SavedProfile::parse(&doc, Path::new("p.json")).unwrap();
        assert_eq!(saved.total_interval().high, 950.0);
        assert_eq!(
            saved.module("json").unwrap().cumulative_interval().low,
            780.0
        );
        assert!(saved.contended());
    }

    #[test]
    fn other_documents_are_refused() {
        let error = SavedProfile::parse("[tool]", Path::new("x.toml")).unwrap_err();
        assert!(
            error.to_string().starts_with("x.toml is not JSON"),
            "{error}"
        );
        let error = SavedProfile::parse(r#"{"schema": "fastpath.check/1"}"#, Path::new("c.json"))
            .unwrap_err();
        assert!(error
            .to_string()
            .contains("its schema is `fastpath.check/1`"));
    }
}
