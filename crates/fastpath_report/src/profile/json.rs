//! `--format json`: `fastpath.profile/1`. Every field of the profile as PRODUCT.md describes it
//! (per module `name`, `self_us` and `cumulative_us` as `median`/`min`/`max`/`mad` over runs,
//! the totals, start-up, whole-process wall time, runs, interpreter), the savings, what pulled
//! each module in under `pulled_in`, the comparison with the static graph under `observed`,
//! and, with `--defer`, the set's combined saving under `deferred`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;

use fastpath_profile::costed::PulledIn;
use fastpath_profile::observed::ObservedEdge;
use fastpath_profile::savings::SetSaving;
use fastpath_profile::Profile;
use serde::Serialize;

use super::ProfileView;
use crate::paths::display_path;

#[derive(Serialize)]
struct JsonObserved<'a> {
    key: &'a str,
    /// Where the unpredicted edges were recorded; `null` when the store could not be written.
    store: Option<PathBuf>,
    /// Loaded but not predicted by the static graph, with their importer.
    unpredicted: &'a [ObservedEdge],
    /// The unpredicted imports kept in the store (the others follow from them).
    recorded: &'a [ObservedEdge],
    /// Predicted by the static graph but not loaded.
    not_loaded: &'a [String],
    /// Recorded edges that were new to the store.
    added: usize,
}

#[derive(Serialize)]
struct JsonProfile<'a> {
    #[serde(flatten)]
    profile: &'a Profile,
    pulled_in: &'a BTreeMap<String, PulledIn>,
    observed: JsonObserved<'a>,
    /// With `--defer`: the statements, what they save together (`saved_us`, the median over
    /// runs of each run's self time in the modules) and the modules that stop loading.
    #[serde(skip_serializing_if = "Option::is_none")]
    deferred: Option<&'a SetSaving>,
}

pub fn render_json(view: &ProfileView<'_>, out: &mut dyn Write) -> io::Result<()> {
    let observed = &view.observed;
    let doc = JsonProfile {
        profile: view.profile,
        pulled_in: view.pulled_in,
        observed: JsonObserved {
            key: observed.key,
            store: observed.store.map(|p| display_path(p, view.root)),
            unpredicted: &observed.comparison.unpredicted,
            recorded: observed.recorded,
            not_loaded: &observed.comparison.not_loaded,
            added: observed.added,
        },
        deferred: view.deferred,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
