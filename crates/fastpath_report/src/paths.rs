//! Paths as users read them: relative to the project root when inside it, so output is the
//! same on every machine; absolute otherwise.

use std::path::{Path, PathBuf};

pub fn display_path(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}
