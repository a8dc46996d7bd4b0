//! The project model: everything a command knows about the project, computed once per
//! invocation and handed to the command, so that no two commands derive it differently.
//!
//! It holds the resolved settings (see `settings.rs`), the import roots (the project root, then
//! each `src` root), the target interpreter's answers, the configured entries, where the
//! manifest lives and its module name, and the imports past profiles observed at run time
//! (`.fastpath/observed.json`). [`Project::cold_path`] gives an entry's cold path with those
//! observed edges merged and the sources it scanned; every command that shows, checks, records
//! or fixes a cold path reads it from here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use fastpath_check::LoadedManifest;
use fastpath_graph::{
    cold_path_with_observed, default_cache_dir, find_interpreter, query_interpreter, ColdPath,
    EntryError, InterpreterError, InterpreterInfo, ObservedImport, Resolver, Sources,
};
use fastpath_manifest::Manifest;
use fastpath_profile::observed::{interpreter_key, store_path, ObservedStore};

use crate::cli::Cli;
use crate::printer::Printer;
use crate::settings::{Overrides, Settings, Source};

/// An entry as the interpreter imports it: its module name and the roots it is searched in
/// (the first is the measured interpreter's working directory and first `sys.path` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub module: String,
    pub roots: Vec<PathBuf>,
}

/// Where the manifest lives.
#[derive(Debug, Clone)]
pub struct ManifestLocation {
    /// Absolute path.
    pub path: PathBuf,
    /// Its module name (`fast_path`).
    pub module: String,
}

impl ManifestLocation {
    /// Reads it; `None` when the file does not exist.
    pub fn read(&self) -> Result<Option<LoadedManifest>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let (manifest, diagnostics) = Manifest::parse(&bytes);
                Ok(Some(LoadedManifest {
                    path: self.path.clone(),
                    manifest,
                    diagnostics,
                }))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error)
                .with_context(|| format!("cannot read the manifest {}", self.path.display())),
        }
    }
}

/// The project one invocation works on.
pub struct Project {
    pub settings: Settings,
    /// The working directory (ENTRY arguments given as paths are relative to it).
    pub cwd: PathBuf,
    /// The target interpreter's answers; `None` when none was asked for and none was found.
    pub info: Option<InterpreterInfo>,
    pub manifest: ManifestLocation,
    /// What past profiles saw at run time and no source shows, for this interpreter.
    pub observed: Vec<ObservedImport>,
    /// Modules past profiles saw an import hook load under a name the path search does not
    /// find, with their files: the graph resolves those names to them.
    pub hooked: Vec<(String, PathBuf)>,
}

/// The directory whose configuration applies to PATH (the working directory without one).
pub fn start_dir(path: Option<&Path>) -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    Ok(match path {
        Some(path) => {
            let path = cwd.join(path);
            if !path.exists() {
                bail!("PATH {}: no such file or directory", path.display());
            }
            if path.is_dir() {
                path
            } else {
                path.parent().map_or_else(|| cwd.clone(), Path::to_path_buf)
            }
        }
        None => cwd,
    })
}

/// The settings for a command started in `start` (flags > environment > file > defaults).
pub fn settings(cli: &Cli, start: &Path, src: &[PathBuf]) -> Result<Settings> {
    let overrides = Overrides {
        python: cli.interpreter.python.clone(),
        src: src.to_vec(),
        config: cli.config.clone(),
    };
    Settings::resolve(start, &overrides)
}

impl Project {
    /// Resolves the settings from `start`, asks the interpreter and reads the observed imports.
    pub fn open(cli: &Cli, start: &Path, src: &[PathBuf], printer: &Printer) -> Result<Project> {
        let settings = settings(cli, start, src)?;
        let cwd = std::env::current_dir().context("cannot read the working directory")?;
        let info = interpreter(&settings, printer, cli.interpreter.no_cache)?;
        let (observed, hooked) = observed_imports(&settings, info.as_ref(), printer);
        let path = settings.manifest.value.clone();
        let module = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("fast_path")
            .to_string();
        Ok(Project {
            settings,
            cwd,
            info,
            manifest: ManifestLocation { path, module },
            observed,
            hooked,
        })
    }

    pub fn root(&self) -> &Path {
        &self.settings.root
    }

    /// Where project modules are searched, before the interpreter's path: the root, then `src`.
    pub fn roots(&self) -> Vec<PathBuf> {
        self.settings.project_roots()
    }

    /// The interpreter, or an error saying why `what` needs one.
    pub fn require_interpreter(&self, what: &str) -> Result<&InterpreterInfo> {
        match &self.info {
            Some(info) => Ok(info),
            None => bail!("{what} needs an interpreter to measure with: pass --python PATH"),
        }
    }

    /// The configured entries; `what` says what needs them when there are none.
    pub fn entries(&self, what: &str) -> Result<Vec<Entry>> {
        if self.settings.entries.value.is_empty() {
            bail!(
                "no entry to {what}: set `entry` in [tool.fastpath] of {}",
                self.root().join("pyproject.toml").display()
            );
        }
        self.settings
            .entries
            .value
            .iter()
            .map(|e| self.entry(e, self.root()))
            .collect()
    }

    /// ENTRY as given on the command line (relative to the working directory), else the one
    /// configured entry.
    pub fn given_entry(&self, arg: Option<&str>) -> Result<Entry> {
        match (arg, self.settings.entries.value.as_slice()) {
            (Some(entry), _) => self.entry(entry, &self.cwd),
            (None, [one]) => self.entry(one, self.root()),
            (None, []) => bail!(
                "no entry: pass ENTRY (a module name or a .py file) or set `entry` in [tool.fastpath]"
            ),
            (None, many) => bail!(
                "several entries are configured ({}): pass one as ENTRY",
                many.join(", ")
            ),
        }
    }

    /// The module name of an entry and its roots: a path to a `.py` file (relative to `base`)
    /// is named by its package structure and its root goes first, as `python -c "import
    /// entry"` run from that root would see it.
    pub fn entry(&self, entry: &str, base: &Path) -> Result<Entry> {
        let mut roots = self.roots();
        let looks_like_path = entry.ends_with(".py")
            || entry.contains('/')
            || entry.contains(std::path::MAIN_SEPARATOR);
        if !looks_like_path {
            if entry.is_empty() || !entry.split('.').all(is_identifier) {
                bail!("ENTRY `{entry}` is neither a module name (like `app` or `pkg.main`) nor a path to a .py file");
            }
            return Ok(Entry {
                module: entry.to_string(),
                roots,
            });
        }
        let path = base.join(entry);
        if !path.is_file() {
            bail!("ENTRY `{entry}`: no such file");
        }
        let path = path
            .canonicalize()
            .with_context(|| format!("ENTRY `{entry}`"))?;
        let (module, root) = fastpath_graph::module_name_for_file(&path)
            .with_context(|| format!("ENTRY `{entry}` has no module name"))?;
        roots.retain(|r| r != &root);
        roots.insert(0, root);
        Ok(Entry { module, roots })
    }

    /// The entry's cold path with the observed imports merged, and the sources it scanned
    /// (callers that read the entry's own sites take them from there instead of scanning again).
    pub fn cold_path(&self, entry: &Entry) -> Result<(ColdPath, Sources), EntryError> {
        cold_path_in(
            &entry.module,
            &entry.roots,
            self.info.as_ref(),
            &self.observed,
            &self.hooked,
        )
    }

    /// The cold path from source alone, without observed imports (what `profile` compares a
    /// measurement with).
    pub fn static_cold_path(
        &self,
        module: &str,
        roots: &[PathBuf],
    ) -> Result<ColdPath, EntryError> {
        cold_path_in(module, roots, self.info.as_ref(), &[], &[]).map(|(path, _)| path)
    }

    /// The cold path of the same entry in another tree (a revision's worktree) whose project
    /// root is `other_root`, with this project's observed imports.
    pub fn cold_path_at(&self, entry: &Entry, other_root: &Path) -> Result<ColdPath, EntryError> {
        let mapped = map_roots(&entry.roots, self.root(), other_root);
        cold_path_in(
            &entry.module,
            &mapped,
            self.info.as_ref(),
            &self.observed,
            &self.hooked,
        )
        .map(|(path, _)| path)
    }
}

/// The roots under `from` moved under `to` (others kept).
pub fn map_roots(roots: &[PathBuf], from: &Path, to: &Path) -> Vec<PathBuf> {
    roots
        .iter()
        .map(|r| match r.strip_prefix(from) {
            Ok(rel) => to.join(rel),
            Err(_) => r.clone(),
        })
        .collect()
}

fn cold_path_in(
    module: &str,
    roots: &[PathBuf],
    info: Option<&InterpreterInfo>,
    observed: &[ObservedImport],
    hooked: &[(String, PathBuf)],
) -> Result<(ColdPath, Sources), EntryError> {
    let resolver = Resolver::new(roots.to_vec(), info);
    for (name, file) in hooked {
        resolver.alias(name, file);
    }
    let sources = Sources::default();
    let target = info.map(InterpreterInfo::target);
    let preloaded: HashSet<String> = info
        .map(|i| i.preloaded.iter().cloned().collect())
        .unwrap_or_default();
    let path = with_big_stack(|| {
        cold_path_with_observed(
            module,
            &resolver,
            &sources,
            target.as_ref(),
            &preloaded,
            observed,
        )
    })?;
    Ok((path, sources))
}

/// The target interpreter's answers. An interpreter that was asked for (flag, environment,
/// config) must work; when none was asked for and none is found, the analysis goes on with
/// the project roots only, and says so.
fn interpreter(
    settings: &Settings,
    printer: &Printer,
    no_cache: bool,
) -> Result<Option<InterpreterInfo>> {
    let explicit = settings.python.value.as_deref();
    let python = match find_interpreter(explicit) {
        Ok((python, _)) => python,
        Err(InterpreterError::NoneOnPath) => {
            printer.warn("no Python interpreter found; only project modules will resolve (pass --python PATH)");
            return Ok(None);
        }
        Err(error) => {
            let flag = match settings.python.source {
                Source::Flag => "--python",
                Source::Environment => "FASTPATH_PYTHON",
                Source::File => "`python` in the config file",
                Source::Default => "the interpreter",
            };
            return Err(error)
                .with_context(|| format!("{flag} does not name a usable interpreter"));
        }
    };
    let cache = if no_cache { None } else { default_cache_dir() };
    let info = query_interpreter(&python, cache.as_deref())?;
    if !info.other_finders.is_empty() {
        printer.warn(format!(
            "{} has import hooks on sys.meta_path that fastpath cannot follow ({}); modules only they provide show as unresolved",
            python.display(),
            info.other_finders.join(", ")
        ));
    }
    if info.version_info.0 < 3 {
        bail!(
            "{} is Python {}; fastpath needs Python 3",
            python.display(),
            info.version
        );
    }
    Ok(Some(info))
}

/// The imports `fastpath profile` saw at run time for this interpreter (by implementation and
/// minor version), from `.fastpath/observed.json` under the project root. A store that cannot
/// be read is a warning, not a failure: the static view still stands on its own.
fn observed_imports(
    settings: &Settings,
    info: Option<&InterpreterInfo>,
    printer: &Printer,
) -> (Vec<ObservedImport>, Vec<(String, PathBuf)>) {
    let Some(info) = info else {
        return (Vec::new(), Vec::new());
    };
    let key = interpreter_key(&info.implementation, &info.version);
    match ObservedStore::read(&store_path(&settings.root)) {
        Ok(store) => (
            store
                .edges(&key)
                .filter_map(|edge| {
                    Some(ObservedImport {
                        importer: edge.importer.clone()?,
                        module: edge.module.clone(),
                    })
                })
                .collect(),
            store
                .hooked(&key)
                .map(|(name, file)| (name.clone(), file.clone()))
                .collect(),
        ),
        Err(error) => {
            printer.warn(format!("observed imports left out: {error}"));
            (Vec::new(), Vec::new())
        }
    }
}

fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Runs `f` on a thread with a large stack: the import replay and the parser recurse as deep as
/// the program's import chains and nesting go.
pub fn with_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(512 << 20)
            .spawn_scoped(scope, f)
            .expect("spawn analysis thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_under_the_project_move_to_the_other_tree() {
        let roots = vec![PathBuf::from("/p"), PathBuf::from("/p/src"), "/x".into()];
        assert_eq!(
            map_roots(&roots, Path::new("/p"), Path::new("/w/p")),
            [PathBuf::from("/w/p"), "/w/p/src".into(), "/x".into()]
        );
    }
}
