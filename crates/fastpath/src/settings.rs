//! The one place where configuration is resolved.
//!
//! Priority, highest first:
//! 1. command-line flags;
//! 2. environment (`FASTPATH_PYTHON`; `VIRTUAL_ENV` when choosing an interpreter);
//! 3. `[tool.fastpath]` in the nearest `pyproject.toml`, or the nearest `fastpath.toml`, found by
//!    walking up from the working directory (a `fastpath.toml` wins in the same directory);
//! 4. defaults.
//!
//! The project root is the directory of that configuration file, else the working directory.
//! `--show-settings` prints every resolved value and where it came from.
//!
//! This file uses library crates only (no `crate::` paths): the `config` fuzz target compiles it
//! in as a module, since a fuzz target cannot depend on a binary crate.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use fastpath_check::Policy;
use fastpath_history::decision::Thresholds;
use serde::Deserialize;

/// The `[tool.fastpath]` table (or a whole `fastpath.toml`). Unknown keys are an error that names
/// them, so a typo never silently does nothing.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub entry: Option<Entries>,
    pub manifest: Option<PathBuf>,
    pub python: Option<PathBuf>,
    pub src: Option<Vec<PathBuf>>,
    pub budget_ms: Option<f64>,
    pub cold_start_budget_ms: Option<f64>,
    pub max_imports: Option<u32>,
    pub tier1_max_ms: Option<f64>,
    pub hot_path_min_usage: Option<f64>,
    pub review_interval_days: Option<u32>,
    pub banned: Option<Vec<String>>,
    pub allow: Option<Vec<String>>,
    pub runs: Option<u32>,
    pub args: Option<Vec<String>>,
    pub baseline: Option<PathBuf>,
    pub regression_min_percent: Option<f64>,
    pub regression_min_ms: Option<f64>,
    pub regression_alpha: Option<f64>,
    pub regression_max_runs: Option<u32>,
    pub snapstart: Option<bool>,
}

/// `entry = "app"` or `entry = ["app", "cli.__main__"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Entries {
    One(String),
    Many(Vec<String>),
}

impl Entries {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Entries::One(e) => vec![e],
            Entries::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Environment,
    File,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "command line",
            Source::Environment => "environment",
            Source::File => "config file",
            Source::Default => "default",
        })
    }
}

#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// Flags that override configuration, as the commands received them.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub python: Option<PathBuf>,
    pub src: Vec<PathBuf>,
    pub config: Option<PathBuf>,
}

#[derive(Debug)]
pub struct Settings {
    pub root: PathBuf,
    pub config_file: Option<PathBuf>,
    pub entries: Setting<Vec<String>>,
    /// `None` means: find one (`$VIRTUAL_ENV`, then `python3` on PATH).
    pub python: Setting<Option<PathBuf>>,
    /// Extra import roots, absolute, searched after the project root.
    pub src: Setting<Vec<PathBuf>>,
    /// The manifest file, absolute.
    pub manifest: Setting<PathBuf>,
    /// The rules' thresholds.
    pub policy: Policy,
    /// Which policy keys came from the config file (the rest are defaults).
    policy_from_file: Vec<&'static str>,
    /// `runs` from the configuration: a fixed number of measured runs.
    pub runs: Option<u32>,
    /// `args` from the configuration: a function entry (`pkg.mod:main`) is called with
    /// `sys.argv = [name, *args]` when measured; without them only its import is measured.
    pub args: Option<Vec<String>>,
    /// The baseline file, absolute (`fastpath-baseline.json` at the root by default).
    pub baseline: Setting<PathBuf>,
    /// The regression gate's minimum effect and significance level.
    pub regression: Thresholds,
    /// At most this many runs (or pairs) when the regression test is unclear; `None`: the gate's
    /// own bound.
    pub regression_max_runs: Option<u32>,
}

impl Settings {
    pub fn resolve(cwd: &Path, overrides: &Overrides) -> Result<Settings> {
        let (config_file, file) = match &overrides.config {
            Some(path) => {
                let path = cwd.join(path);
                let config = read_config(&path)?.with_context(|| {
                    format!("`--config {}` has no [tool.fastpath] table", path.display())
                })?;
                (Some(path), config)
            }
            None => match find_config(cwd)? {
                Some((path, config)) => (Some(path), config),
                None => (None, FileConfig::default()),
            },
        };
        let root = config_file
            .as_deref()
            .and_then(Path::parent)
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);

        // 1. flags  2. environment  3. file  4. default
        let python = if let Some(p) = &overrides.python {
            Setting {
                value: Some(p.clone()),
                source: Source::Flag,
            }
        } else if let Some(p) = std::env::var_os("FASTPATH_PYTHON") {
            Setting {
                value: Some(PathBuf::from(p)),
                source: Source::Environment,
            }
        } else if let Some(p) = &file.python {
            Setting {
                value: Some(root.join(p)),
                source: Source::File,
            }
        } else {
            Setting {
                value: None,
                source: Source::Default,
            }
        };
        let src = if !overrides.src.is_empty() {
            Setting {
                value: overrides.src.iter().map(|p| cwd.join(p)).collect(),
                source: Source::Flag,
            }
        } else if let Some(src) = &file.src {
            Setting {
                value: src.iter().map(|p| root.join(p)).collect(),
                source: Source::File,
            }
        } else {
            // A src layout is found without configuration, as ruff's default `src = [".",
            // "src"]` finds it: a `src` folder that is not itself a package.
            let layout = root.join("src");
            let found = layout.is_dir() && !layout.join("__init__.py").exists();
            Setting {
                value: if found { vec![layout] } else { Vec::new() },
                source: Source::Default,
            }
        };
        let entries = match file.entry.clone() {
            Some(entries) => Setting {
                value: entries.into_vec(),
                source: Source::File,
            },
            None => Setting {
                value: Vec::new(),
                source: Source::Default,
            },
        };
        let manifest = match &file.manifest {
            Some(m) => Setting {
                value: root.join(m),
                source: Source::File,
            },
            None => Setting {
                value: root.join("fast_path.py"),
                source: Source::Default,
            },
        };
        let baseline = match &file.baseline {
            Some(b) => Setting {
                value: root.join(b),
                source: Source::File,
            },
            None => Setting {
                value: root.join("fastpath-baseline.json"),
                source: Source::Default,
            },
        };
        let (policy, mut policy_from_file) = policy(&file);
        let regression = regression(&file, config_file.as_deref(), &mut policy_from_file)?;
        Ok(Settings {
            root,
            config_file,
            entries,
            python,
            src,
            manifest,
            policy,
            policy_from_file,
            runs: file.runs,
            args: file.args.clone(),
            baseline,
            regression,
            regression_max_runs: file.regression_max_runs,
        })
    }

    /// Where modules of the project are searched, before the interpreter's path.
    pub fn project_roots(&self) -> Vec<PathBuf> {
        let mut roots = vec![self.root.clone()];
        roots.extend(self.src.value.iter().cloned());
        roots
    }

    pub fn show(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let config = self
            .config_file
            .as_deref()
            .map_or_else(|| "none".to_string(), |p| p.display().to_string());
        writeln!(out, "config file: {config}")?;
        writeln!(out, "root: {}", self.root.display())?;
        writeln!(
            out,
            "entry: {:?}  ({})",
            self.entries.value, self.entries.source
        )?;
        let python = self.python.value.as_deref().map_or_else(
            || "auto ($VIRTUAL_ENV, then python3 on PATH)".to_string(),
            |p| p.display().to_string(),
        );
        writeln!(out, "python: {python}  ({})", self.python.source)?;
        let src: Vec<String> = self
            .src
            .value
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        writeln!(out, "src: {src:?}  ({})", self.src.source)?;
        writeln!(
            out,
            "manifest: {}  ({})",
            self.manifest.value.display(),
            self.manifest.source
        )?;
        writeln!(
            out,
            "baseline: {}  ({})",
            self.baseline.value.display(),
            self.baseline.source
        )?;
        if let Some(args) = &self.args {
            writeln!(out, "args: {args:?}  (config file)")?;
        }
        let p = &self.policy;
        let r = &self.regression;
        let values: [(&str, String); 14] = [
            ("budget-ms", p.budget_ms.to_string()),
            ("cold-start-budget-ms", p.cold_start_budget_ms.to_string()),
            ("max-imports", p.max_imports.to_string()),
            ("tier1-max-ms", p.tier1_max_ms.to_string()),
            ("hot-path-min-usage", p.hot_path_min_usage.to_string()),
            ("review-interval-days", p.review_interval_days.to_string()),
            ("banned", format!("{:?}", p.banned)),
            ("allow", format!("{:?}", p.allow)),
            ("snapstart", p.snapstart.to_string()),
            (
                "runs",
                self.runs
                    .map_or_else(|| "adaptive".to_string(), |r| r.to_string()),
            ),
            (
                "regression-min-percent",
                (100.0 * r.min_fraction).to_string(),
            ),
            ("regression-min-ms", (r.min_us / 1000.0).to_string()),
            ("regression-alpha", r.alpha.to_string()),
            (
                "regression-max-runs",
                self.regression_max_runs
                    .map_or_else(|| "40 runs / 30 pairs".to_string(), |r| r.to_string()),
            ),
        ];
        for (key, value) in values {
            let source = if self.policy_from_file.contains(&key) {
                Source::File
            } else {
                Source::Default
            };
            writeln!(out, "{key}: {value}  ({source})")?;
        }
        Ok(())
    }
}

/// The policy: each key from the file when set there, else its default.
fn policy(file: &FileConfig) -> (Policy, Vec<&'static str>) {
    let mut policy = Policy::default();
    let mut from_file = Vec::new();
    macro_rules! take {
        ($key:literal, $field:ident) => {
            if let Some(value) = file.$field.clone() {
                policy.$field = value;
                from_file.push($key);
            }
        };
    }
    take!("budget-ms", budget_ms);
    take!("cold-start-budget-ms", cold_start_budget_ms);
    take!("max-imports", max_imports);
    take!("tier1-max-ms", tier1_max_ms);
    take!("hot-path-min-usage", hot_path_min_usage);
    take!("review-interval-days", review_interval_days);
    take!("banned", banned);
    take!("allow", allow);
    take!("snapstart", snapstart);
    if file.runs.is_some() {
        from_file.push("runs");
    }
    (policy, from_file)
}

/// The regression gate's thresholds: each key from the file when set there (and valid).
fn regression(
    file: &FileConfig,
    config: Option<&Path>,
    from_file: &mut Vec<&'static str>,
) -> Result<Thresholds> {
    let mut t = Thresholds::default();
    let place = || config.map_or_else(String::new, |p| format!(" in {}", p.display()));
    if let Some(percent) = file.regression_min_percent {
        anyhow::ensure!(
            percent.is_finite() && percent >= 0.0,
            "`regression-min-percent = {percent}`{}: must be 0 or more",
            place()
        );
        t.min_fraction = percent / 100.0;
        from_file.push("regression-min-percent");
    }
    if let Some(ms) = file.regression_min_ms {
        anyhow::ensure!(
            ms.is_finite() && ms >= 0.0,
            "`regression-min-ms = {ms}`{}: must be 0 or more",
            place()
        );
        t.min_us = ms * 1000.0;
        from_file.push("regression-min-ms");
    }
    if let Some(alpha) = file.regression_alpha {
        anyhow::ensure!(
            alpha > 0.0 && alpha < 0.5,
            "`regression-alpha = {alpha}`{}: must be between 0 and 0.5 (e.g. 0.05)",
            place()
        );
        t.alpha = alpha;
        from_file.push("regression-alpha");
    }
    if file.regression_max_runs.is_some() {
        from_file.push("regression-max-runs");
    }
    Ok(t)
}

/// Walks up from `start` to the nearest `fastpath.toml` or `pyproject.toml` with a
/// `[tool.fastpath]` table.
fn find_config(start: &Path) -> Result<Option<(PathBuf, FileConfig)>> {
    for dir in start.ancestors() {
        for name in ["fastpath.toml", "pyproject.toml"] {
            let path = dir.join(name);
            if path.is_file() {
                if let Some(config) = read_config(&path)? {
                    return Ok(Some((path, config)));
                }
            }
        }
    }
    Ok(None)
}

/// Reads a configuration file; `None` for a `pyproject.toml` without `[tool.fastpath]`.
fn read_config(path: &Path) -> Result<Option<FileConfig>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    // A pyproject-style file (`--config ci/pyproject.ci.toml`) is read by its `[tool.fastpath]`
    // whatever its name; a bare table is a `fastpath.toml`.
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml")
        || table.get("tool").and_then(|t| t.get("fastpath")).is_some()
        || table.contains_key("project");
    let section = if is_pyproject {
        match table.get("tool").and_then(|t| t.get("fastpath")) {
            Some(section) => section.clone(),
            None => return Ok(None),
        }
    } else {
        toml::Value::Table(table)
    };
    let where_ = if is_pyproject {
        "[tool.fastpath] in "
    } else {
        ""
    };
    let config = FileConfig::deserialize(section)
        .with_context(|| format!("invalid {where_}{}", path.display()))?;
    Ok(Some(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.fastpath]\nbudjet-ms = 3\n",
        )
        .unwrap();
        let error = Settings::resolve(dir.path(), &Overrides::default()).unwrap_err();
        let chain = format!("{error:#}");
        assert!(
            chain.contains("budjet-ms") && chain.contains("pyproject.toml"),
            "{chain}"
        );
    }

    #[test]
    fn flags_override_the_file_and_the_root_is_the_config_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fastpath.toml"),
            "python = 'py/bin/python'\nentry = 'app'\nsrc = ['src']\n",
        )
        .unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        let settings = Settings::resolve(&nested, &Overrides::default()).unwrap();
        assert_eq!(settings.root, dir.path());
        assert_eq!(
            settings.python.value.as_deref(),
            Some(dir.path().join("py/bin/python").as_path())
        );
        assert_eq!(settings.entries.value, vec!["app"]);
        assert_eq!(settings.src.value, vec![dir.path().join("src")]);
        let flags = Overrides {
            python: Some("/usr/bin/python3".into()),
            ..Overrides::default()
        };
        let settings = Settings::resolve(&nested, &flags).unwrap();
        assert_eq!(settings.python.source, Source::Flag);
    }

    #[test]
    fn a_src_layout_is_a_root_by_default_unless_src_is_a_package() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fastpath.toml"), "entry = 'app'\n").unwrap();
        let settings = Settings::resolve(dir.path(), &Overrides::default()).unwrap();
        assert_eq!(settings.src.value, Vec::<PathBuf>::new());
        std::fs::create_dir_all(dir.path().join("src/app")).unwrap();
        let settings = Settings::resolve(dir.path(), &Overrides::default()).unwrap();
        assert_eq!(settings.src.value, vec![dir.path().join("src")]);
        assert_eq!(settings.src.source, Source::Default);
        std::fs::write(dir.path().join("src/__init__.py"), "").unwrap();
        let settings = Settings::resolve(dir.path(), &Overrides::default()).unwrap();
        assert_eq!(
            settings.src.value,
            Vec::<PathBuf>::new(),
            "`src` is a package"
        );
    }

    #[test]
    fn a_pyproject_without_our_table_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), "[project]\nname = 'x'\n").unwrap();
        let settings = Settings::resolve(dir.path(), &Overrides::default()).unwrap();
        assert!(settings.config_file.is_none());
    }
}
