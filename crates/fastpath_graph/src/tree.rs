//! Every Python file under a directory with all its import sites and what each resolves to:
//! the whole-tree view (`fastpath graph --all`), with contexts on every edge.
//!
//! Files are scanned and resolved in parallel. Module names come from the package structure
//! seen in the walk itself (a directory is a package when the walk found its `__init__.py`), so
//! naming a file costs no file-system calls.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use fastpath_scan::{ImportSite, Problem, ProblemKind, SiteKind, Target};
use rayon::prelude::*;
use serde::Serialize;

use crate::cold_path::absolute_module;
use crate::resolver::{Origin, Resolution, Resolver};
use crate::sources::scan_file;

#[derive(Debug, Clone, Serialize)]
pub struct TreeTarget {
    pub name: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "lossy_option"
    )]
    pub path: Option<PathBuf>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Serialize)]
pub struct TreeSite {
    #[serde(flatten)]
    pub site: ImportSite,
    /// The modules this site loads that were found (a `from` import's package and its
    /// submodules).
    pub targets: Vec<TreeTarget>,
    /// The absolute names it asks for that nothing on the search path provides.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TreeFile {
    /// Relative to the scanned directory.
    #[serde(serialize_with = "lossy")]
    pub path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub sites: Vec<TreeSite>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tree {
    pub files: Vec<TreeFile>,
    pub bytes: u64,
}

/// Lists the `.py` files under `dir` (respecting `.gitignore` and skipping hidden entries; never
/// following symlinks, so a symlink loop cannot trap the walk), sorted.
pub fn python_files(dir: &Path) -> Vec<PathBuf> {
    walk(dir).0
}

/// A place the walk could not enter or read: its path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// The `.py` files under `dir`, sorted, and the places the walk could not read (a directory
/// without permission, an entry that vanished), sorted: reported, never silently dropped.
pub fn walk(dir: &Path) -> (Vec<PathBuf>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for entry in ignore::WalkBuilder::new(dir)
        .follow_links(false)
        .require_git(true)
        .build()
    {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_some_and(|t| t.is_file())
                    && entry.path().extension().is_some_and(|e| e == "py")
                {
                    files.push(entry.into_path());
                }
            }
            Err(error) => errors.push(walk_error(dir, &error)),
        }
    }
    files.sort();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (files, errors)
}

/// The path an `ignore` error is about (it nests them: `WithPath`, `WithDepth`, `Partial`).
fn walk_error(dir: &Path, error: &ignore::Error) -> WalkError {
    fn path_of(error: &ignore::Error) -> Option<&Path> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            ignore::Error::Partial(errors) => errors.iter().find_map(path_of),
            _ => None,
        }
    }
    fn innermost(error: &ignore::Error) -> String {
        match error {
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => innermost(err),
            other => other.to_string(),
        }
    }
    WalkError {
        path: path_of(error).unwrap_or(dir).to_path_buf(),
        message: innermost(error),
    }
}

/// Scans and resolves every `.py` file under `dir`.
pub fn scan_tree(dir: &Path, resolver: &Resolver, target: Option<&Target>) -> Tree {
    let (files, walk_errors) = walk(dir);
    let packages: HashSet<&Path> = files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "__init__.py"))
        .filter_map(|f| f.parent())
        .collect();
    let results: Vec<(TreeFile, u64)> = files
        .par_iter()
        .map(|file| {
            let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
            let module = module_name(file, &packages);
            let scan = scan_file(file, target);
            let is_package = file.file_name().is_some_and(|n| n == "__init__.py");
            let package = match &module {
                Some(m) if is_package => m.clone(),
                Some(m) => m
                    .rsplit_once('.')
                    .map(|(p, _)| p.to_string())
                    .unwrap_or_default(),
                None => String::new(),
            };
            let sites = scan
                .sites
                .into_iter()
                .map(|site| resolve_site(site, &package, resolver))
                .collect();
            let path = file.strip_prefix(dir).unwrap_or(file).to_path_buf();
            (
                TreeFile {
                    path,
                    module,
                    sites,
                    problems: scan.problems,
                },
                bytes,
            )
        })
        .collect();
    let bytes = results.iter().map(|(_, b)| b).sum();
    let mut files: Vec<TreeFile> = results.into_iter().map(|(f, _)| f).collect();
    // What the walk could not read is listed like a file with an `unreadable` problem, so every
    // renderer shows its path and the rest of the tree is still analysed.
    files.extend(walk_errors.into_iter().map(|error| {
        TreeFile {
            path: error
                .path
                .strip_prefix(dir)
                .unwrap_or(&error.path)
                .to_path_buf(),
            module: None,
            sites: Vec::new(),
            problems: vec![Problem {
                kind: ProblemKind::Unreadable,
                message: format!("cannot read: {}", error.message),
                line: 1,
                column: 1,
            }],
        }
    }));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Tree { files, bytes }
}

/// Serialises a path as text, replacing bytes that are not UTF-8 (a Linux file name may hold
/// any byte; serde's `Path` impl fails on them and would lose the whole tree).
fn lossy<S: serde::Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

fn lossy_option<S: serde::Serializer>(
    path: &Option<PathBuf>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => lossy(path, serializer),
        None => serializer.serialize_none(),
    }
}

fn module_name(file: &Path, packages: &HashSet<&Path>) -> Option<String> {
    let stem = file.file_stem()?.to_str()?;
    let mut parts = if stem == "__init__" {
        Vec::new()
    } else {
        vec![stem]
    };
    let mut dir = file.parent()?;
    while packages.contains(dir) {
        parts.push(dir.file_name()?.to_str()?);
        dir = dir.parent()?;
    }
    parts.reverse();
    (!parts.is_empty()).then(|| parts.join("."))
}

fn resolve_site(site: ImportSite, package: &str, resolver: &Resolver) -> TreeSite {
    let mut targets = Vec::new();
    let mut unresolved = Vec::new();
    let Some(base) = absolute_module(&site, package) else {
        unresolved.push(format!(
            "{}{}",
            ".".repeat(site.level as usize),
            site.module
        ));
        return TreeSite {
            site,
            targets,
            unresolved,
        };
    };
    let mut found = |name: &str, required: bool| match resolver.resolve(name) {
        Resolution::Found(module) => {
            targets.push(TreeTarget {
                name: module.name.clone(),
                path: module.path.clone(),
                origin: module.origin,
            });
            true
        }
        Resolution::NotFound if required => {
            unresolved.push(name.to_string());
            false
        }
        _ => false,
    };
    if found(&base, true) && site.kind == SiteKind::From {
        for imported in &site.names {
            if imported.name != "*" {
                found(&format!("{base}.{}", imported.name), false);
            }
        }
    }
    TreeSite {
        site,
        targets,
        unresolved,
    }
}
