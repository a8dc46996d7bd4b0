//! Everything a rule may read: the project, its entry, the manifest, the static cold path and,
//! when the entry was measured, its costs. Built by the caller; rules never do I/O.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fastpath_graph::ColdPath;
use fastpath_manifest::{Date, Manifest, ManifestDiagnostic};
use fastpath_scan::FileScan;

use crate::policy::Policy;
use crate::regression::Regression;

/// The manifest as read from disk.
#[derive(Debug)]
pub struct LoadedManifest {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub diagnostics: Vec<ManifestDiagnostic>,
}

/// Measured costs, in microseconds (medians over runs). Rules only compare them with
/// thresholds, so tests inject synthetic ones.
#[derive(Debug, Clone, Default)]
pub struct Measurements {
    pub modules: BTreeMap<String, ModuleCost>,
    /// Import of the entry (cumulative), without interpreter start-up.
    pub imports_us: f64,
    /// The whole process: interpreter start-up plus imports.
    pub cold_start_us: f64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ModuleCost {
    pub self_us: f64,
    pub cumulative_us: f64,
}

pub struct Context<'a> {
    /// Paths in diagnostics are shown relative to this.
    pub root: &'a Path,
    pub policy: &'a Policy,
    /// The entry module's name and its scan.
    pub entry: &'a str,
    pub entry_path: Option<&'a Path>,
    pub entry_scan: Option<&'a FileScan>,
    /// The manifest's module name (`fast_path`) and its contents; `None` when the file is
    /// missing.
    pub manifest_module: &'a str,
    pub manifest_path: &'a Path,
    pub manifest: Option<&'a LoadedManifest>,
    pub cold_path: &'a ColdPath,
    pub measurements: Option<&'a Measurements>,
    pub today: Date,
    /// The comparison with a baseline or a revision, when one was asked for (FP2xx rules).
    pub regression: Option<&'a Regression>,
}

impl Context<'_> {
    pub(crate) fn display(&self, path: &Path) -> PathBuf {
        path.strip_prefix(self.root)
            .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
    }
}
