//! Integration tests for the manifest crate: one binary, one module per feature.

mod diff;
mod edit;
mod generated;
mod read;
mod write;

use std::path::PathBuf;

use fastpath_manifest::{Manifest, ManifestDiagnostic};

pub(crate) fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Every `.py` fixture, sorted.
pub(crate) fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_path(""))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".py"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let bytes = fixture(&name);
            (name, bytes)
        })
        .collect()
}

pub(crate) fn parse_clean(bytes: &[u8]) -> Manifest {
    let (manifest, diagnostics) = Manifest::parse(bytes);
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics: {diagnostics:#?}"
    );
    manifest
}

pub(crate) fn lines_of(diagnostics: &[ManifestDiagnostic]) -> Vec<u32> {
    diagnostics.iter().map(|d| d.span.line).collect()
}
