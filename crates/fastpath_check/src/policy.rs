//! The thresholds rules apply. The seed family disagrees with itself, so each is a setting
//! (`[tool.fastpath]`); these defaults are PRODUCT.md's.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// The fast path's total import cost must stay under this (ms).
    pub budget_ms: f64,
    /// The entry's whole cold start must stay under this (ms).
    pub cold_start_budget_ms: f64,
    /// The manifest must import fewer names than this.
    pub max_imports: u32,
    /// A Tier 1 import must cost less than this (ms); undeclared modules costing this much
    /// are reported.
    pub tier1_max_ms: f64,
    /// A Tier 2 (hot-path exception) import needs usage above this fraction.
    pub hot_path_min_usage: f64,
    /// `Last profiled` and `PROFILED` dates may be at most this old (days).
    pub review_interval_days: u32,
    /// Modules (and their submodules) never allowed on the cold path.
    pub banned: Vec<String>,
    /// Modules allowed on the cold path without being declared in the manifest.
    pub allow: Vec<String>,
    /// A documented cost is stale when it differs from the measurement by more than this
    /// fraction of the measurement and more than 1 ms.
    pub cost_tolerance: f64,
    /// Lambda SnapStart (Python 3.12+): imports made in init are captured in the snapshot, so
    /// the advice is to keep them there rather than defer them.
    pub snapstart: bool,
}

/// Packages known to cost tens to hundreds of milliseconds at import.
pub const DEFAULT_BANNED: &[&str] = &[
    "boto3",
    "botocore",
    "pandas",
    "numpy",
    "scipy",
    "matplotlib",
    "requests",
    "sklearn",
    "torch",
    "tensorflow",
];

impl Default for Policy {
    fn default() -> Self {
        Policy {
            budget_ms: 200.0,
            cold_start_budget_ms: 2000.0,
            max_imports: 20,
            tier1_max_ms: 10.0,
            hot_path_min_usage: 0.8,
            review_interval_days: 30,
            banned: DEFAULT_BANNED.iter().map(ToString::to_string).collect(),
            allow: Vec::new(),
            cost_tolerance: 0.5,
            snapstart: false,
        }
    }
}

/// Whether `module` is `pattern` or inside it (`boto3` covers `boto3.session`).
pub(crate) fn covers(pattern: &str, module: &str) -> bool {
    module == pattern
        || module
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('.'))
}

impl Policy {
    pub(crate) fn banned_pattern(&self, module: &str) -> Option<&str> {
        if self.allow.iter().any(|a| covers(a, module)) {
            return None;
        }
        self.banned
            .iter()
            .map(String::as_str)
            .find(|b| covers(b, module))
    }

    pub(crate) fn allowed(&self, module: &str) -> bool {
        self.allow.iter().any(|a| covers(a, module))
    }
}
