//! The module resolver and the import graph.
//!
//! Import sites (from `fastpath_scan`) become modules here: the [`interpreter`] module asks the
//! target Python where it looks for modules, the [`resolver`] finds each name as CPython
//! would, and [`cold_path`] replays an entry's import to list everything it loads and the
//! statement that loads it. [`tree`] gives the same facts for every file under a directory.
//! No Python code of the project is ever run.

pub mod cold_path;
pub mod interpreter;
pub mod resolver;
pub mod sources;
pub mod tree;

pub use cold_path::{
    cold_path, cold_path_of_call, cold_path_with_observed, functions_called_from, Call, CallChain,
    ColdPath, EntryError, Module, ObservedImport, Unresolved, Via, OBSERVED_STATEMENT,
};
pub use interpreter::{
    default_cache_dir, find_interpreter, query_interpreter, InterpreterError, InterpreterInfo,
    InterpreterSource,
};
pub use resolver::{ModuleKind, Origin, Resolution, ResolvedModule, Resolver};
pub use sources::Sources;

use std::path::{Path, PathBuf};

/// The module name of a `.py` file: the dotted path from the first ancestor directory that is
/// not a package (has no `__init__.py`), which is also the root it must be imported from.
pub fn module_name_for_file(file: &Path) -> Option<(String, PathBuf)> {
    let stem = file.file_stem()?.to_str()?;
    let mut parts = if stem == "__init__" {
        Vec::new()
    } else {
        vec![stem.to_string()]
    };
    let mut dir = file.parent()?.to_path_buf();
    while dir.join("__init__.py").is_file() {
        parts.push(dir.file_name()?.to_str()?.to_string());
        dir = dir.parent()?.to_path_buf();
    }
    parts.reverse();
    (!parts.is_empty()).then(|| (parts.join("."), dir))
}

/// The package a module's relative imports start from (`__package__`): the module itself for a
/// package (`pkg/__init__.py`), else its parent (`pkg` for `pkg.mod`, empty at the top level).
pub fn package_of(module: &str, is_package: bool) -> &str {
    if is_package {
        module
    } else {
        module.rsplit_once('.').map_or("", |(parent, _)| parent)
    }
}

#[cfg(test)]
mod package_tests {
    #[test]
    fn a_package_is_its_own_package_and_a_module_its_parents() {
        assert_eq!(super::package_of("pkg.sub", true), "pkg.sub");
        assert_eq!(super::package_of("pkg.sub.mod", false), "pkg.sub");
        assert_eq!(super::package_of("app", false), "");
    }
}
