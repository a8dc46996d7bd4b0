//! Paths as users read them: relative to the project root when inside it, so output is the
//! same on every machine; absolute otherwise.

use std::path::{Path, PathBuf};

pub fn display_path(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

/// Serialises a path as text, replacing bytes that are not UTF-8: a Linux file name may hold
/// any byte, and serde's own `Path` impl fails on those, which would lose the whole report
/// over one name (found by the `render` fuzz target).
pub fn serialize_lossy<S: serde::Serializer, P: AsRef<Path>>(
    path: &P,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.as_ref().to_string_lossy())
}

/// [`serialize_lossy`] for an optional path.
pub fn serialize_lossy_option<S: serde::Serializer, P: AsRef<Path>>(
    path: &Option<P>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => serialize_lossy(path, serializer),
        None => serializer.serialize_none(),
    }
}
