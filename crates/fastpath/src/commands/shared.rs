//! Steps several commands share: choosing and asking the interpreter, naming the entry, reading
//! the imports `fastpath profile` observed, and running deep recursive work on a thread with
//! room for it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use fastpath_graph::{
    cold_path_with_observed, default_cache_dir, find_interpreter, query_interpreter, ColdPath,
    EntryError, InterpreterError, InterpreterInfo, ObservedImport, Resolver, Sources,
};
use fastpath_profile::observed::{interpreter_key, store_path, ObservedStore};

use crate::cli::Cli;
use crate::printer::Printer;
use crate::settings::{Overrides, Settings, Source};

/// The target interpreter's answers. An interpreter that was asked for (flag, environment,
/// config) must work; when none was asked for and none is found, the analysis goes on with
/// the project roots only, and says so.
pub fn interpreter(
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

/// The module name of ENTRY and the import roots it needs: a path to a `.py` file is named by
/// its package structure and its root goes first, as `python -c "import entry"` run from that
/// root would see it.
pub fn entry_module(
    entry: &str,
    settings: &Settings,
    cwd: &Path,
) -> Result<(String, Vec<PathBuf>)> {
    let mut roots = settings.project_roots();
    let looks_like_path =
        entry.ends_with(".py") || entry.contains('/') || entry.contains(std::path::MAIN_SEPARATOR);
    if !looks_like_path {
        if entry.is_empty() || !entry.split('.').all(is_identifier) {
            bail!("ENTRY `{entry}` is neither a module name (like `app` or `pkg.main`) nor a path to a .py file");
        }
        return Ok((entry.to_string(), roots));
    }
    let path = cwd.join(entry);
    if !path.is_file() {
        bail!("ENTRY `{entry}`: no such file");
    }
    let path = path
        .canonicalize()
        .with_context(|| format!("ENTRY `{entry}`"))?;
    let (name, root) = fastpath_graph::module_name_for_file(&path)
        .with_context(|| format!("ENTRY `{entry}` has no module name"))?;
    roots.retain(|r| r != &root);
    roots.insert(0, root);
    Ok((name, roots))
}

/// ENTRY as given, else the one entry of the configuration.
pub fn entry_name(arg: Option<&str>, settings: &Settings) -> Result<String> {
    match (arg, settings.entries.value.as_slice()) {
        (Some(entry), _) => Ok(entry.to_string()),
        (None, [one]) => Ok(one.clone()),
        (None, []) => bail!(
            "no entry: pass ENTRY (a module name or a .py file) or set `entry` in [tool.fastpath]"
        ),
        (None, many) => bail!(
            "several entries are configured ({}): pass one as ENTRY",
            many.join(", ")
        ),
    }
}

/// The imports `fastpath profile` saw at run time for this interpreter (by implementation and
/// minor version), from `.fastpath/observed.json` under the project root. A store that cannot
/// be read is a warning, not a failure: the static view still stands on its own.
pub fn observed_imports(
    settings: &Settings,
    info: Option<&InterpreterInfo>,
    printer: &Printer,
) -> Vec<ObservedImport> {
    let Some(info) = info else {
        return Vec::new();
    };
    let key = interpreter_key(&info.implementation, &info.version);
    match ObservedStore::read(&store_path(&settings.root)) {
        Ok(store) => store
            .edges(&key)
            .filter_map(|edge| {
                Some(ObservedImport {
                    importer: edge.importer.clone()?,
                    module: edge.module.clone(),
                })
            })
            .collect(),
        Err(error) => {
            printer.warn(format!("observed imports left out: {error}"));
            Vec::new()
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

/// Measures importing `module` in fresh interpreters (the runner of `fastpath profile`): a
/// fixed number of runs when `runs` (or `runs` in the configuration) says so, else adaptive.
pub fn measure_profile(
    settings: &Settings,
    info: &InterpreterInfo,
    module: &str,
    runs: Option<u32>,
    timeout: std::time::Duration,
    printer: &Printer,
) -> Result<fastpath_profile::Profile> {
    use fastpath_profile::runner::{measure, RunnerConfig};
    let mut config = RunnerConfig::new(info.executable.clone(), settings.root.clone(), module);
    config.timeout = timeout;
    if let Some(runs) = runs.or(settings.runs) {
        config.stopping = fastpath_profile::stats::StoppingRule::fixed(runs.max(1) as usize);
    }
    printer.progress(format!("measuring `{module}` ..."));
    let measurement =
        measure(&config, &mut |_| {}).with_context(|| format!("measuring `{module}` failed"))?;
    Ok(fastpath_profile::Profile::from_measurement(&measurement))
}

/// The directory whose configuration applies to PATH.
pub(crate) fn start_dir(path: Option<&Path>) -> Result<PathBuf> {
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

/// The static cold path of `module`, searched in `roots` and then on the interpreter's path,
/// with the `observed` imports of past profiles merged, and the sources it scanned (callers
/// that read the entry's own sites take them from there instead of scanning again).
pub fn cold_path_with_sources(
    module: &str,
    roots: &[PathBuf],
    info: Option<&InterpreterInfo>,
    observed: &[ObservedImport],
) -> Result<(ColdPath, Sources), EntryError> {
    let resolver = Resolver::new(roots.to_vec(), info);
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

/// The static cold path of `module` from source alone.
pub fn cold_path_of(
    module: &str,
    roots: &[PathBuf],
    info: Option<&InterpreterInfo>,
) -> Result<ColdPath, EntryError> {
    cold_path_with_sources(module, roots, info, &[]).map(|(path, _)| path)
}

/// The project's settings from PATH (inside the project) or the working directory; with
/// `need_entry`, a configuration without `entry` is an error.
pub(crate) fn project_settings(
    cli: &Cli,
    path: Option<&std::path::Path>,
    python: Option<std::path::PathBuf>,
    need_entry: bool,
) -> Result<Settings> {
    let start = start_dir(path)?;
    let overrides = Overrides {
        python,
        src: Vec::new(),
        config: cli.config.clone(),
    };
    let settings = Settings::resolve(&start, &overrides)?;
    if need_entry && settings.entries.value.is_empty() && !cli.show_settings {
        bail!(
            "no entry: set `entry` in [tool.fastpath] of {}",
            settings.root.join("pyproject.toml").display()
        );
    }
    Ok(settings)
}

/// The settings for a command started in `start` (flags > environment > file > defaults, see
/// `settings.rs`), or `None` once `--show-settings` has printed them.
pub fn resolve_settings(
    cli: &Cli,
    start: &Path,
    python: Option<PathBuf>,
    src: Vec<PathBuf>,
    printer: &Printer,
) -> Result<Option<Settings>> {
    let overrides = Overrides {
        python,
        src,
        config: cli.config.clone(),
    };
    let settings = Settings::resolve(start, &overrides)?;
    if cli.show_settings {
        settings.show(&mut printer.stdout())?;
        return Ok(None);
    }
    Ok(Some(settings))
}
