//! One file per rule, named for the problem it finds.

pub(crate) mod all_out_of_sync;
pub(crate) mod banned_module_on_cold_path;
pub(crate) mod cold_start_over_budget;
pub(crate) mod cold_start_regressed;
pub(crate) mod documented_cost_drift;
pub(crate) mod entry_imports_beyond_manifest;
pub(crate) mod fast_path_over_budget;
pub(crate) mod hot_path_exception_without_evidence;
pub(crate) mod import_without_cost;
pub(crate) mod malformed_manifest;
pub(crate) mod missing_manifest;
pub(crate) mod module_cost_regressed;
pub(crate) mod new_module_on_cold_path;
pub(crate) mod slow_tier1_import;
pub(crate) mod stale_profile;
pub(crate) mod too_many_imports;
pub(crate) mod undeclared_costly_module;
pub(crate) mod undeclared_third_party_import;

use fastpath_manifest::{Manifest, ManifestImport, Span};

use crate::context::Context;
use crate::diagnostic::Location;

pub(crate) fn span_location(cx: &Context<'_>, span: &Span) -> Location {
    let mut location = Location::new(cx.display(cx.manifest_path), span.line, span.column);
    // Highlight exactly the span when it stays on one line.
    if let Some(text) = cx.manifest.and_then(|m| {
        m.manifest
            .bytes()
            .get(span.start as usize..span.end as usize)
    }) {
        if !text.contains(&b'\n') {
            let width = String::from_utf8_lossy(text).chars().count() as u32;
            location.end_column = Some(span.column + width.max(1));
        }
    }
    location
}

/// The tier an import is in: an explicit `(TIERn)` marker, then `HOT PATH EXCEPTION` (tier 2),
/// then the section it sits in.
pub(crate) fn tier(manifest: &Manifest, import: &ManifestImport) -> Option<u32> {
    let annotation = import.annotation.as_ref();
    if let Some(marker) = annotation.and_then(|a| a.tier_marker.as_ref()) {
        return Some(marker.tier);
    }
    if annotation.is_some_and(|a| a.hot_path_exception.is_some()) {
        return Some(2);
    }
    import.tier(manifest)
}
