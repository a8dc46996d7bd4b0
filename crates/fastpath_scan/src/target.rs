//! The interpreter a scan is decided against: `sys.version_info` and `sys.platform` tests in
//! the source are evaluated with these values, so the scan follows the branch that would run.

use serde::Serialize;

/// The `sys.platform` of the target interpreter (`linux`, `darwin`, `win32`, ...).
pub type Platform = String;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// `(major, minor)` of the target interpreter.
    pub version: (u32, u32),
    /// `sys.platform` of the target interpreter.
    pub platform: Platform,
}

impl Target {
    pub fn new(major: u32, minor: u32, platform: impl Into<Platform>) -> Self {
        Target {
            version: (major, minor),
            platform: platform.into(),
        }
    }

    /// `os.name` as CPython derives it from the platform.
    pub fn os_name(&self) -> &'static str {
        if self.platform == "win32" {
            "nt"
        } else {
            "posix"
        }
    }

    /// Whether PEP 810 lazy imports (and `__lazy_modules__`) are honoured (3.15+).
    pub fn supports_lazy_imports(&self) -> bool {
        self.version >= (3, 15)
    }
}
