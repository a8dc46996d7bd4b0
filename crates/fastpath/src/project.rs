//! The project model: everything a command knows about the project, computed once per
//! invocation and handed to the command, so that no two commands derive it differently.
//!
//! It holds the resolved settings (see `settings.rs`), the import roots (the project root, then
//! each `src` root), the target interpreter's answers, the configured entries, where the
//! manifest lives and its module name, and the imports past profiles observed at run time
//! (`.fastpath/observed.json`). [`Project::cold_path`] gives an entry's cold path with those
//! observed edges merged and the sources it scanned; every command that shows, checks, records
//! or fixes a cold path reads it from here.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use fastpath_check::LoadedManifest;
use fastpath_graph::{
    cold_path_of_call, default_cache_dir, find_interpreter, query_interpreter, ColdPath,
    EntryError, InterpreterError, InterpreterInfo, ObservedImport, Resolution, Resolver, Sources,
};
use fastpath_manifest::Manifest;
use fastpath_profile::observed::{interpreter_key, store_path, ObservedStore};

use crate::cli::Cli;
use crate::printer::Printer;
use crate::settings::{Overrides, Settings, Source};

/// An entry as the interpreter imports it: its module name, the function a console script or a
/// handler string calls in it, its source file, and the roots it is searched in (the first is
/// the measured interpreter's working directory and first `sys.path` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// As the user wrote it (`pkg.mod:main`, `my-cli`, `handler.py`).
    pub name: String,
    pub module: String,
    /// `main` in `pkg.mod:main`; `lambda_handler` in the handler string
    /// `pkg.mod.lambda_handler`.
    pub function: Option<String>,
    /// Whether `function` is run as a command when the program starts (`pkg.mod:main`, a
    /// console script): its imports are on the cold path and it is called when measuring
    /// with `args`. A handler string's function runs per request, after the cold start.
    pub command: bool,
    /// The module's source file (`pkg/mod.py`, never `pkg/__init__.py` unless the entry is the
    /// package itself); `None` for a module without source.
    pub file: Option<PathBuf>,
    pub roots: Vec<PathBuf>,
}

impl Entry {
    /// The function run as a command at start-up, if any (see [`Entry::command`]).
    pub fn command_function(&self) -> Option<&str> {
        self.function.as_deref().filter(|_| self.command)
    }

    /// The package the entry module belongs to (`pkg` for `pkg.mod`, `pkg` for the package
    /// `pkg` itself, empty for a top-level module), which relative imports in it start from.
    pub fn package(&self) -> &str {
        let is_package = self
            .file
            .as_deref()
            .and_then(Path::file_stem)
            .is_some_and(|s| s == "__init__");
        fastpath_graph::package_of(&self.module, is_package)
    }
}

/// Where the manifest lives.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        // A configured manifest inside a package is imported by its dotted name.
        let stem = || {
            path.file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string)
        };
        let module = if settings.manifest.source == Source::Default {
            stem()
        } else {
            fastpath_graph::module_name_for_file(&path)
                .map(|(name, _)| name)
                .or_else(stem)
        }
        .unwrap_or_else(|| "fast_path".to_string());
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

    /// The module name of an entry and its roots. ENTRY is one of:
    /// - a console script named in `[project.scripts]` of the configuration's `pyproject.toml`
    ///   (first: the command a user runs wins over a module of the same name);
    /// - a module name (`app`, `pkg.mod`);
    /// - `pkg.mod:function`, the console-script form;
    /// - an AWS handler string `pkg.mod.function`, when that is not a module but `pkg.mod` is;
    /// - a path to a `.py` file (relative to `base`), named by its package structure, whose root
    ///   goes first, as `python -c "import entry"` run from that root would see it.
    pub fn entry(&self, entry: &str, base: &Path) -> Result<Entry> {
        let mut roots = self.roots();
        let looks_like_path = entry.ends_with(".py")
            || entry.contains('/')
            || entry.contains(std::path::MAIN_SEPARATOR);
        let resolver = Resolver::new(roots.clone(), self.info.as_ref());
        let source_of = |module: &str| match resolver.resolve(module) {
            Resolution::Found(found) => Some(found.source_path().map(Path::to_path_buf)),
            _ => None,
        };
        if !looks_like_path {
            let (module, function) = match entry.split_once(':') {
                Some((module, function)) => (module, Some(function)),
                None => (entry, None),
            };
            // A console script's name is the command a user runs: it wins over a module of the
            // same name (`mycli` the script, not the package `mycli/__init__.py`).
            if function.is_none() {
                if let Some(target) = self.console_scripts().get(entry) {
                    let mut resolved = self
                        .entry(target, base)
                        .with_context(|| format!("the console script `{entry}` = \"{target}\""))?;
                    resolved.name = entry.to_string();
                    return Ok(resolved);
                }
            }
            let is_module_name = !module.is_empty() && module.split('.').all(is_identifier);
            let function_ok = function.is_none_or(|f| f.split('.').all(is_identifier));
            if is_module_name && function_ok {
                if let Some(file) = source_of(module) {
                    return Ok(Entry {
                        name: entry.to_string(),
                        module: module.to_string(),
                        function: function.map(str::to_string),
                        command: function.is_some(),
                        file,
                        roots,
                    });
                }
            }
            if function.is_none() {
                // A handler string: the last part is a function of the module before it.
                if let Some((module, function)) = entry.rsplit_once('.') {
                    if is_module_name {
                        if let Some(file) = source_of(module) {
                            return Ok(Entry {
                                name: entry.to_string(),
                                module: module.to_string(),
                                function: Some(function.to_string()),
                                command: false,
                                file,
                                roots,
                            });
                        }
                    }
                }
            }
            if !is_module_name || !function_ok {
                bail!("ENTRY `{entry}` is neither a module name (like `app`, `pkg.main` or `pkg.main:function`), a console script in [project.scripts], nor a path to a .py file");
            }
            // Not found: commands report it where they build the cold path.
            return Ok(Entry {
                name: entry.to_string(),
                module: module.to_string(),
                function: function.map(str::to_string),
                command: function.is_some(),
                file: None,
                roots,
            });
        }
        let (file, function) = match entry.rsplit_once(':') {
            Some((file, function)) if file.ends_with(".py") && is_identifier(function) => {
                (file, Some(function.to_string()))
            }
            _ => (entry, None),
        };
        let path = base.join(file);
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
        Ok(Entry {
            name: entry.to_string(),
            module,
            command: function.is_some(),
            function,
            file: Some(path),
            roots,
        })
    }

    /// The project's console scripts: `console_scripts` of the root's `setup.cfg`, then
    /// `[project.scripts]` of the configuration's `pyproject.toml`, which wins a name both
    /// define.
    pub fn console_scripts(&self) -> BTreeMap<String, String> {
        let mut scripts =
            crate::discover::setup_cfg_console_scripts(&self.settings.root.join("setup.cfg"));
        scripts.extend(
            self.settings
                .config_file
                .as_deref()
                .filter(|p| p.file_name().is_some_and(|n| n == "pyproject.toml"))
                .map(crate::discover::console_scripts)
                .unwrap_or_default(),
        );
        scripts
    }

    /// Where the manifest of `entry` lives. A configured `manifest` is used as written; by
    /// default an entry inside a package keeps its manifest beside it (`pkg/fast_path.py`,
    /// imported as `pkg.fast_path`, which still works once the package is installed), and a
    /// top-level entry keeps it at the project root (the seed's flat layout), as does a project
    /// whose root manifest already exists.
    pub fn manifest_of(&self, entry: &Entry) -> ManifestLocation {
        let package = entry.package();
        // A project that already keeps its manifest at the root goes on using it.
        if self.settings.manifest.source != Source::Default
            || package.is_empty()
            || self.manifest.path.exists()
        {
            return self.manifest.clone();
        }
        let Some(dir) = entry.file.as_deref().and_then(Path::parent) else {
            return self.manifest.clone();
        };
        let name = self
            .manifest
            .path
            .file_name()
            .map_or_else(|| "fast_path.py".into(), |n| n.to_os_string());
        ManifestLocation {
            path: dir.join(name),
            module: format!("{package}.{}", self.manifest.module),
        }
    }

    /// The entry's cold path with the observed imports merged, and the sources it scanned
    /// (callers that read the entry's own sites take them from there instead of scanning again).
    pub fn cold_path(&self, entry: &Entry) -> Result<(ColdPath, Sources), EntryError> {
        self.cold_path_with(entry, Sources::default())
    }

    /// The entry's cold path as it would be with some files' contents replaced (`sources` built
    /// with [`Sources::with_overlay`]): what a preview of edits computes without writing them.
    pub fn cold_path_with(
        &self,
        entry: &Entry,
        sources: Sources,
    ) -> Result<(ColdPath, Sources), EntryError> {
        cold_path_in(
            &entry.module,
            entry.command_function(),
            &entry.roots,
            self.info.as_ref(),
            &self.observed,
            &self.hooked,
            sources,
        )
    }

    /// The cold path from source alone, without observed imports (what `profile` compares a
    /// measurement with).
    pub fn static_cold_path(
        &self,
        module: &str,
        roots: &[PathBuf],
    ) -> Result<ColdPath, EntryError> {
        cold_path_in(
            module,
            None,
            roots,
            self.info.as_ref(),
            &[],
            &[],
            Sources::default(),
        )
        .map(|(path, _)| path)
    }

    /// The usage evidence of `fastpath usage` (`.fastpath/usage.json`), when there is some; a
    /// damaged file is an error that names it.
    pub fn usage_evidence(&self) -> Result<Option<fastpath_check::UsageEvidence>> {
        use fastpath_profile::usage::{usage_path, UsageReport};
        let path = usage_path(self.root());
        if !path.is_file() {
            return Ok(None);
        }
        let report = UsageReport::read(&path)?;
        Ok(Some(fastpath_check::UsageEvidence {
            unit: if report.source == "logs" {
                "logged invocations".to_string()
            } else {
                "replayed events".to_string()
            },
            total: report.invocations,
            modules: report
                .modules
                .iter()
                .map(|m| (m.name.clone(), m.count))
                .collect(),
        }))
    }

    /// The cold path of the same entry in another tree (a revision's worktree) whose project
    /// root is `other_root`, with this project's observed imports.
    pub fn cold_path_at(&self, entry: &Entry, other_root: &Path) -> Result<ColdPath, EntryError> {
        let mapped = map_roots(&entry.roots, self.root(), other_root);
        cold_path_in(
            &entry.module,
            entry.command_function(),
            &mapped,
            self.info.as_ref(),
            &self.observed,
            &self.hooked,
            Sources::default(),
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
    function: Option<&str>,
    roots: &[PathBuf],
    info: Option<&InterpreterInfo>,
    observed: &[ObservedImport],
    hooked: &[(String, PathBuf)],
    sources: Sources,
) -> Result<(ColdPath, Sources), EntryError> {
    let resolver = Resolver::new(roots.to_vec(), info);
    for (name, file) in hooked {
        resolver.alias(name, file);
    }
    let target = info.map(InterpreterInfo::target);
    let preloaded: HashSet<String> = info
        .map(|i| i.preloaded.iter().cloned().collect())
        .unwrap_or_default();
    let path = with_big_stack(|| {
        cold_path_of_call(
            module,
            function,
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

/// `--show-settings`, for any command or none: the settings that command would resolve (from
/// its PATH and `--src`), printed with where each came from. Nothing runs and nothing is
/// written.
pub fn show_settings(
    cli: &crate::cli::Cli,
    printer: &crate::printer::Printer,
) -> Result<crate::ExitStatus> {
    let (path, src) = cli
        .command
        .as_ref()
        .map_or((None, &[][..]), crate::cli::Command::project_start);
    let start = start_dir(path)?;
    let settings = settings(cli, &start, src)?;
    let mut out = printer.stdout();
    settings.show(&mut out)?;
    if settings.entries.value.is_empty() {
        crate::discover::show_candidates(&settings.root, &mut out)?;
    }
    crate::printer::Printer::flush(out)?;
    Ok(crate::ExitStatus::Success)
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
