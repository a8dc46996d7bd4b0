//! Module names to files, the way CPython's import system finds them.
//!
//! Order follows `sys.meta_path` on a normal CPython: built-in modules first
//! (`BuiltinImporter`), then the path finder over the search roots (project roots, then the
//! interpreter's `sys.path`), then editable-install finders. Within one directory `FileFinder`
//! prefers a regular package (`name/__init__.*`), then extension modules, then `name.py`, then
//! sourceless `name.pyc`; a directory without `__init__` is only a namespace portion, used when
//! no root has a regular module (PEP 420). Submodules are looked up in the parent's `__path__`.
//!
//! Directory listings are read once and kept, so resolving thousands of names costs a few hash
//! lookups each rather than a burst of `stat` calls.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::interpreter::InterpreterInfo;

/// Where a module comes from, as users think of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Project,
    Stdlib,
    ThirdParty,
    Builtin,
    Extension,
    Namespace,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Project => "project",
            Origin::Stdlib => "stdlib",
            Origin::ThirdParty => "third-party",
            Origin::Builtin => "builtin",
            Origin::Extension => "extension",
            Origin::Namespace => "namespace",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModuleKind {
    /// A `.py` file.
    Source,
    /// A regular package: its `__init__` file runs.
    Package,
    /// A PEP 420 namespace package: no code runs.
    Namespace,
    /// A compiled extension (`.so`, `.pyd`): a leaf whose own imports are invisible.
    Extension,
    /// Compiled into the interpreter.
    Builtin,
    /// A `.pyc` without source.
    Bytecode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModule {
    pub name: String,
    pub kind: ModuleKind,
    pub origin: Origin,
    /// The file that runs (`__init__.py` for a package); `None` for built-in and namespace.
    pub path: Option<PathBuf>,
    /// `__path__`: where submodules are searched. Empty for anything but packages.
    pub locations: Vec<PathBuf>,
    /// For an extension compiled from Python (mypyc, Cython's pure-Python mode), the `.py`
    /// file shipped beside it: the same module-level imports, readable.
    pub shadow_source: Option<PathBuf>,
}

impl ResolvedModule {
    pub fn is_package(&self) -> bool {
        !self.locations.is_empty()
    }

    /// The Python source whose imports this module runs: its own file, or the source an
    /// extension was compiled from.
    pub fn source_path(&self) -> Option<&Path> {
        match self.kind {
            ModuleKind::Source | ModuleKind::Package => self
                .path
                .as_deref()
                .filter(|p| p.extension().is_some_and(|e| e == "py")),
            ModuleKind::Extension => self.shadow_source.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Found(Arc<ResolvedModule>),
    /// Nothing on the search path has this name.
    NotFound,
    /// The parent is a plain module, not a package: `a.b` can only exist if `a` puts it in
    /// `sys.modules` itself, as `os` does for `os.path`.
    ParentNotPackage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    Project,
    Stdlib,
    Site,
}

#[derive(Debug, Clone)]
pub struct Root {
    pub dir: PathBuf,
    pub kind: RootKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryType {
    File,
    Dir,
}

type Listing = HashMap<Box<str>, EntryType>;

enum DirHit {
    Package {
        init: PathBuf,
        dir: PathBuf,
        shadow: Option<PathBuf>,
    },
    Module {
        path: PathBuf,
        kind: ModuleKind,
        shadow: Option<PathBuf>,
    },
    Portion(PathBuf),
}

pub struct Resolver {
    roots: Vec<Root>,
    builtins: HashSet<String>,
    stdlib_names: HashSet<String>,
    /// Extension suffixes first, then source, then bytecode: `FileFinder`'s loader order.
    suffixes: Vec<(String, ModuleKind)>,
    editable: BTreeMap<String, PathBuf>,
    project_roots: Vec<PathBuf>,
    listings: Mutex<HashMap<PathBuf, Option<Arc<Listing>>>>,
    resolved: Mutex<HashMap<String, Resolution>>,
}

impl Resolver {
    /// A resolver searching `project_roots` first, then the interpreter's path. Without an
    /// interpreter only the project roots are searched.
    pub fn new(project_roots: Vec<PathBuf>, interpreter: Option<&InterpreterInfo>) -> Self {
        let mut roots: Vec<Root> = project_roots
            .iter()
            .map(|dir| Root {
                dir: dir.clone(),
                kind: RootKind::Project,
            })
            .collect();
        let mut suffixes = Vec::new();
        let (mut builtins, mut stdlib_names, mut editable) =
            (HashSet::new(), HashSet::new(), BTreeMap::new());
        if let Some(info) = interpreter {
            for dir in &info.sys_path {
                if roots.iter().any(|r| &r.dir == dir) {
                    continue;
                }
                let in_stdlib = info.stdlib_dirs.iter().any(|s| dir.starts_with(s))
                    && !dir.components().any(|c| {
                        c.as_os_str() == "site-packages" || c.as_os_str() == "dist-packages"
                    });
                roots.push(Root {
                    dir: dir.clone(),
                    kind: if in_stdlib {
                        RootKind::Stdlib
                    } else {
                        RootKind::Site
                    },
                });
            }
            suffixes.extend(
                info.extension_suffixes
                    .iter()
                    .map(|s| (s.clone(), ModuleKind::Extension)),
            );
            builtins.extend(info.builtin_module_names.iter().cloned());
            stdlib_names.extend(info.stdlib_module_names.iter().cloned());
            editable.clone_from(&info.editable);
        } else {
            suffixes.push((".so".into(), ModuleKind::Extension));
        }
        suffixes.push((".py".into(), ModuleKind::Source));
        suffixes.push((".pyc".into(), ModuleKind::Bytecode));
        Resolver {
            roots,
            builtins,
            stdlib_names,
            suffixes,
            editable,
            project_roots,
            listings: Mutex::default(),
            resolved: Mutex::default(),
        }
    }

    pub fn roots(&self) -> &[Root] {
        &self.roots
    }

    pub fn is_stdlib_name(&self, top_level: &str) -> bool {
        self.stdlib_names.contains(top_level)
    }

    /// Finds the module `name` (absolute, dotted).
    pub fn resolve(&self, name: &str) -> Resolution {
        if let Some(hit) = self.resolved.lock().expect("resolver cache").get(name) {
            return hit.clone();
        }
        let resolution = match name.rsplit_once('.') {
            None => self.resolve_top_level(name),
            Some((parent, last)) => match self.resolve(parent) {
                Resolution::Found(parent) if parent.is_package() => {
                    self.resolve_submodule(&parent, name, last)
                }
                Resolution::Found(_) | Resolution::ParentNotPackage => Resolution::ParentNotPackage,
                Resolution::NotFound => Resolution::NotFound,
            },
        };
        self.resolved
            .lock()
            .expect("resolver cache")
            .insert(name.to_string(), resolution.clone());
        resolution
    }

    /// From now on, `name` is the module in `file`: a module an import hook (a meta-path
    /// finder) loaded under a name the path search does not find, as `fastpath profile` saw it
    /// (awscli's finder loads `awscli/botocore/__init__.py` as `botocore`). A package's
    /// submodules are then searched in its directory, as its `__path__` says, so
    /// `botocore.session` resolves too. Names the path search finds are left alone, as is a
    /// file that no longer exists; returns whether the alias was taken.
    pub fn alias(&self, name: &str, file: &Path) -> bool {
        if name.is_empty() || !matches!(self.resolve(name), Resolution::NotFound) || !file.is_file()
        {
            return false;
        }
        let file_name = file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let suffix = self
            .suffixes
            .iter()
            .find(|(suffix, _)| file_name.ends_with(suffix.as_str()))
            .map(|(_, kind)| *kind);
        let Some(kind) = suffix else {
            return false;
        };
        let is_init = file_name.starts_with("__init__.");
        let (kind, origin, locations) = match kind {
            ModuleKind::Extension => (kind, Origin::Extension, Vec::new()),
            ModuleKind::Source if is_init => (
                ModuleKind::Package,
                self.origin_of_path(file),
                file.parent().map(Path::to_path_buf).into_iter().collect(),
            ),
            _ => (kind, self.origin_of_path(file), Vec::new()),
        };
        let resolution = found(name, kind, origin, Some(file.to_path_buf()), locations);
        let mut cache = self.resolved.lock().expect("resolver cache");
        // Submodules looked up before the alias were not found; they may be now.
        let prefix = format!("{name}.");
        cache.retain(|key, _| !key.starts_with(&prefix));
        cache.insert(name.to_string(), resolution);
        true
    }

    fn resolve_top_level(&self, name: &str) -> Resolution {
        if name.is_empty() {
            return Resolution::NotFound;
        }
        if self.builtins.contains(name) {
            return found(name, ModuleKind::Builtin, Origin::Builtin, None, Vec::new());
        }
        let mut portions = Vec::new();
        for root in &self.roots {
            match self.find_in_dir(&root.dir, name) {
                Some(DirHit::Portion(dir)) => portions.push(dir),
                Some(hit) => return self.found_hit(name, hit, root_origin(root.kind)),
                None => {}
            }
        }
        if !portions.is_empty() {
            return found(
                name,
                ModuleKind::Namespace,
                Origin::Namespace,
                None,
                portions,
            );
        }
        if let Some(path) = self.editable.get(name) {
            let origin = if self.project_roots.iter().any(|r| path.starts_with(r)) {
                Origin::Project
            } else {
                Origin::ThirdParty
            };
            if path.is_dir() {
                let parent = path.parent().unwrap_or(path);
                if let Some(hit) = self.find_in_dir(parent, name).or_else(|| {
                    let init = path.join("__init__.py");
                    init.is_file().then(|| DirHit::Package {
                        init,
                        dir: path.clone(),
                        shadow: None,
                    })
                }) {
                    return self.found_hit(name, hit, origin);
                }
            } else if path.is_file() {
                return found(
                    name,
                    ModuleKind::Source,
                    origin,
                    Some(path.clone()),
                    Vec::new(),
                );
            }
        }
        Resolution::NotFound
    }

    fn resolve_submodule(&self, parent: &ResolvedModule, name: &str, last: &str) -> Resolution {
        let mut portions = Vec::new();
        for location in &parent.locations {
            match self.find_in_dir(location, last) {
                Some(DirHit::Portion(dir)) => portions.push(dir),
                Some(hit) => {
                    let origin = match parent.origin {
                        Origin::Namespace | Origin::Extension | Origin::Builtin => {
                            self.origin_of_path(location)
                        }
                        origin => origin,
                    };
                    return self.found_hit(name, hit, origin);
                }
                None => {}
            }
        }
        if portions.is_empty() {
            Resolution::NotFound
        } else {
            found(
                name,
                ModuleKind::Namespace,
                Origin::Namespace,
                None,
                portions,
            )
        }
    }

    /// The origin of a file found under a namespace package: by the root it lies under.
    fn origin_of_path(&self, path: &Path) -> Origin {
        self.roots
            .iter()
            .filter(|root| path.starts_with(&root.dir))
            .max_by_key(|root| root.dir.as_os_str().len())
            .map_or(Origin::ThirdParty, |root| root_origin(root.kind))
    }

    fn found_hit(&self, name: &str, hit: DirHit, origin: Origin) -> Resolution {
        match hit {
            DirHit::Package { init, dir, shadow } => {
                let kind = if init.extension().is_some_and(|e| e == "py") {
                    ModuleKind::Package
                } else {
                    ModuleKind::Extension
                };
                let origin = if kind == ModuleKind::Extension {
                    Origin::Extension
                } else {
                    origin
                };
                let mut resolution = found(name, kind, origin, Some(init), vec![dir]);
                if let Resolution::Found(module) = &mut resolution {
                    Arc::get_mut(module).expect("fresh").shadow_source = shadow;
                }
                resolution
            }
            DirHit::Module { path, kind, shadow } => {
                let origin = if kind == ModuleKind::Extension {
                    Origin::Extension
                } else {
                    origin
                };
                let mut resolution = found(name, kind, origin, Some(path), Vec::new());
                if let Resolution::Found(module) = &mut resolution {
                    Arc::get_mut(module).expect("fresh").shadow_source = shadow;
                }
                resolution
            }
            DirHit::Portion(dir) => found(
                name,
                ModuleKind::Namespace,
                Origin::Namespace,
                None,
                vec![dir],
            ),
        }
    }

    fn find_in_dir(&self, dir: &Path, name: &str) -> Option<DirHit> {
        let listing = self.listing(dir)?;
        let mut portion = None;
        if listing.get(name) == Some(&EntryType::Dir) {
            let package_dir = dir.join(name);
            if let Some(inner) = self.listing(&package_dir) {
                for (suffix, _) in &self.suffixes {
                    let init = format!("__init__{suffix}");
                    if inner.get(init.as_str()) == Some(&EntryType::File) {
                        let shadow = (*suffix != ".py"
                            && inner.get("__init__.py") == Some(&EntryType::File))
                        .then(|| package_dir.join("__init__.py"));
                        return Some(DirHit::Package {
                            init: package_dir.join(init),
                            dir: package_dir,
                            shadow,
                        });
                    }
                }
            }
            portion = Some(package_dir);
        }
        for (suffix, kind) in &self.suffixes {
            let file = format!("{name}{suffix}");
            if listing.get(file.as_str()) == Some(&EntryType::File) {
                let py = format!("{name}.py");
                let shadow = (*kind == ModuleKind::Extension
                    && listing.get(py.as_str()) == Some(&EntryType::File))
                .then(|| dir.join(py));
                return Some(DirHit::Module {
                    path: dir.join(file),
                    kind: *kind,
                    shadow,
                });
            }
        }
        portion.map(DirHit::Portion)
    }

    fn listing(&self, dir: &Path) -> Option<Arc<Listing>> {
        if let Some(listing) = self.listings.lock().expect("listing cache").get(dir) {
            return listing.clone();
        }
        let listing = read_listing(dir).map(Arc::new);
        self.listings
            .lock()
            .expect("listing cache")
            .insert(dir.to_path_buf(), listing.clone());
        listing
    }
}

fn found(
    name: &str,
    kind: ModuleKind,
    origin: Origin,
    path: Option<PathBuf>,
    locations: Vec<PathBuf>,
) -> Resolution {
    Resolution::Found(Arc::new(ResolvedModule {
        name: name.to_string(),
        kind,
        origin,
        path,
        locations,
        shadow_source: None,
    }))
}

fn root_origin(kind: RootKind) -> Origin {
    match kind {
        RootKind::Project => Origin::Project,
        RootKind::Stdlib => Origin::Stdlib,
        RootKind::Site => Origin::ThirdParty,
    }
}

fn read_listing(dir: &Path) -> Option<Listing> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut listing = Listing::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        // Symlinks count as what they point to; a dangling or looping one is skipped.
        let kind = if file_type.is_symlink() {
            match std::fs::metadata(entry.path()) {
                Ok(meta) if meta.is_dir() => EntryType::Dir,
                Ok(_) => EntryType::File,
                Err(_) => continue,
            }
        } else if file_type.is_dir() {
            EntryType::Dir
        } else {
            EntryType::File
        };
        listing.insert(name.into_boxed_str(), kind);
    }
    Some(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        dir
    }

    fn resolve(resolver: &Resolver, name: &str) -> Option<(ModuleKind, Origin, Option<PathBuf>)> {
        match resolver.resolve(name) {
            Resolution::Found(m) => Some((m.kind, m.origin, m.path.clone())),
            _ => None,
        }
    }

    #[test]
    fn an_alias_resolves_the_hooked_name_and_its_submodules() {
        let dir = tree(&[
            "project/app.py",
            "vendor/awscli/botocore/__init__.py",
            "vendor/awscli/botocore/session.py",
        ]);
        let resolver = Resolver::new(vec![dir.path().join("project")], None);
        // Looked up before the alias, as the static walk does: not found.
        assert!(resolve(&resolver, "botocore.session").is_none());
        let init = dir.path().join("vendor/awscli/botocore/__init__.py");
        assert!(resolver.alias("botocore", &init));
        assert_eq!(
            resolve(&resolver, "botocore").unwrap().0,
            ModuleKind::Package
        );
        assert_eq!(
            resolve(&resolver, "botocore.session").unwrap().2.unwrap(),
            dir.path().join("vendor/awscli/botocore/session.py")
        );
        // A name the path search finds keeps its own file; a missing file is no alias.
        assert!(!resolver.alias("app", &init));
        assert!(!resolver.alias("gone", &dir.path().join("vendor/gone.py")));
        assert!(resolve(&resolver, "gone").is_none());
    }

    #[test]
    fn packages_win_over_modules_and_namespaces_come_last() {
        let first = tree(&["both/__init__.py", "both.py", "ns/a.py", "plain.py"]);
        let second = tree(&["ns/b.py", "plain/__init__.py"]);
        let resolver = Resolver::new(vec![first.path().into(), second.path().into()], None);
        assert_eq!(resolve(&resolver, "both").unwrap().0, ModuleKind::Package);
        // `plain.py` in the first root wins over a package in a later root.
        assert_eq!(
            resolve(&resolver, "plain").unwrap().2.unwrap(),
            first.path().join("plain.py")
        );
        let Resolution::Found(ns) = resolver.resolve("ns") else {
            panic!()
        };
        assert_eq!(ns.kind, ModuleKind::Namespace);
        assert_eq!(ns.locations.len(), 2, "both portions");
        assert!(
            resolve(&resolver, "ns.b").is_some(),
            "a submodule from the second portion"
        );
        assert_eq!(resolver.resolve("plain.x"), Resolution::ParentNotPackage);
        assert_eq!(resolver.resolve("missing.x"), Resolution::NotFound);
    }

    #[test]
    fn a_compiled_module_is_read_through_the_source_beside_it() {
        let root = tree(&[
            "mypyc_pkg/__init__.so",
            "mypyc_pkg/__init__.py",
            "mypyc_pkg/core.so",
            "mypyc_pkg/core.py",
            "bare.so",
        ]);
        let resolver = Resolver::new(vec![root.path().into()], None);
        for name in ["mypyc_pkg", "mypyc_pkg.core"] {
            let Resolution::Found(module) = resolver.resolve(name) else {
                panic!("{name}")
            };
            assert_eq!(module.kind, ModuleKind::Extension);
            assert!(
                module
                    .source_path()
                    .is_some_and(|p| p.extension().unwrap() == "py"),
                "{name}"
            );
        }
        let Resolution::Found(bare) = resolver.resolve("bare") else {
            panic!()
        };
        assert_eq!(bare.source_path(), None);
    }

    #[test]
    fn extensions_win_over_source_in_one_directory() {
        let root = tree(&["fast.cpython-311-x86_64-linux-gnu.so", "fast.py"]);
        let resolver = Resolver::new(vec![root.path().into()], None);
        // Without an interpreter only `.so` is known as an extension suffix.
        assert_eq!(resolve(&resolver, "fast").unwrap().0, ModuleKind::Source);
        let root = tree(&["fast.so", "fast.py"]);
        let resolver = Resolver::new(vec![root.path().into()], None);
        assert_eq!(resolve(&resolver, "fast").unwrap().1, Origin::Extension);
    }
}
