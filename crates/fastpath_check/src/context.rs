//! Everything a rule may read: the project, its entry, the manifest, the static cold path and,
//! when the entry was measured, its costs. Built by the caller; rules never do I/O.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fastpath_graph::ColdPath;
use fastpath_manifest::{Date, Manifest, ManifestDiagnostic};
use fastpath_profile::saved::SavedProfile;
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

/// Measured costs, in microseconds (medians over runs, with the cumulative range where the
/// pricing of a manifest import needs it, and the confidence intervals the measured rules
/// decide on: see [`crate::margin`]). Rules only compare them with thresholds, so tests inject
/// synthetic ones.
#[derive(Debug, Clone, Default)]
pub struct Measurements {
    pub modules: BTreeMap<String, ModuleCost>,
    /// Import of the entry (cumulative), without interpreter start-up.
    pub imports_us: f64,
    /// The whole process: interpreter start-up plus imports.
    pub cold_start_us: f64,
    /// The confidence interval of `cold_start_us` (`None`: a point at the median).
    pub cold_start_ci_us: Option<(f64, f64)>,
    /// The measurement was contended (a busy machine): its figures read high, so no rule may
    /// conclude from it that something is over a threshold.
    pub contended: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ModuleCost {
    pub self_us: f64,
    pub cumulative_us: f64,
    /// The fastest and slowest run's cumulative time (both `cumulative_us` when unknown).
    pub cumulative_min_us: f64,
    pub cumulative_max_us: f64,
    /// The loaded module during whose import this one ran (importtime nesting), when known.
    pub parent: Option<String>,
    /// The confidence interval of `cumulative_us` (`None`: a point at the median).
    pub cumulative_ci_us: Option<(f64, f64)>,
}

impl ModuleCost {
    /// The cumulative time's interval, `(low, high)`.
    pub fn cumulative_interval(&self) -> (f64, f64) {
        self.cumulative_ci_us
            .unwrap_or((self.cumulative_us, self.cumulative_us))
    }
}

impl Measurements {
    /// The cold start's interval, `(low, high)`.
    pub fn cold_start_interval(&self) -> (f64, f64) {
        self.cold_start_ci_us
            .unwrap_or((self.cold_start_us, self.cold_start_us))
    }
}

impl ModuleCost {
    /// A cost known by its medians only (the range collapses to them).
    pub fn new(self_us: f64, cumulative_us: f64) -> Self {
        ModuleCost {
            self_us,
            cumulative_us,
            cumulative_min_us: cumulative_us,
            cumulative_max_us: cumulative_us,
            parent: None,
            cumulative_ci_us: None,
        }
    }
}

impl From<&SavedProfile> for Measurements {
    /// The rules' view of a profile, fresh ([`SavedProfile::of`]) or saved.
    fn from(profile: &SavedProfile) -> Self {
        Measurements {
            modules: profile
                .modules
                .iter()
                .map(|m| {
                    (
                        m.name.clone(),
                        ModuleCost {
                            self_us: m.self_us.median,
                            cumulative_us: m.cumulative_us.median,
                            cumulative_min_us: m.cumulative_us.min,
                            cumulative_max_us: m.cumulative_us.max,
                            parent: m.parent.clone(),
                            cumulative_ci_us: m.cumulative_ci_us.map(|i| (i.low, i.high)),
                        },
                    )
                })
                .collect(),
            imports_us: profile.total_us.median,
            cold_start_us: profile.process_wall_us.median,
            cold_start_ci_us: profile.process_wall_ci_us.map(|i| (i.low, i.high)),
            contended: profile.contended(),
        }
    }
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
    /// Usage evidence (`.fastpath/usage.json`), when `fastpath usage` gathered some (FP008).
    pub usage: Option<&'a UsageEvidence>,
}

/// How often each module's code ran when the program served requests: from replayed events
/// or from production logs (`fastpath usage`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageEvidence {
    /// What was counted, for messages: `replayed events`, `logged invocations`.
    pub unit: String,
    /// Events (invocations) counted.
    pub total: usize,
    /// Per module: in how many of them its code ran.
    pub modules: BTreeMap<String, usize>,
}

impl UsageEvidence {
    /// The share of requests (0-1) and the count, when the evidence tracked `module`.
    pub fn share(&self, module: &str) -> Option<(f64, usize)> {
        let count = *self.modules.get(module)?;
        (self.total > 0).then(|| (count as f64 / self.total as f64, count))
    }
}

impl Context<'_> {
    pub(crate) fn display(&self, path: &Path) -> PathBuf {
        path.strip_prefix(self.root)
            .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
    }
}
