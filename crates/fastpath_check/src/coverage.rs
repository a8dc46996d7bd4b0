//! What the manifest declares, and where an undeclared module enters the cold path.
//!
//! A module is *declared* when the manifest imports it or a package holding it. An undeclared
//! module is reported where it crosses from project code into the rest of the world: the
//! statement in a project module that imports it. Its own dependencies are its cost, not
//! separate findings.

use fastpath_graph::{ColdPath, Origin, Via};
use fastpath_scan::Context as SiteContext;

use crate::context::Context;
use crate::diagnostic::{Diagnostic, FixSafety, FixTarget, Label, Location};
use crate::policy::covers;

/// Dotted names the manifest imports (`import a.b` declares `a.b`; `from x import y` declares
/// `x` and `x.y`).
pub(crate) fn declared(cx: &Context<'_>) -> Vec<String> {
    let Some(loaded) = cx.manifest else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for import in &loaded.manifest.imports {
        // `from x import y`: the reader spells the item's module `x.y`; `x` is what loads.
        if let fastpath_manifest::ImportForm::From { module, level: 0 } = &import.form {
            names.push(module.clone());
        }
        for item in &import.items {
            names.push(item.module.clone());
            if item.name != "*" && !item.name.is_empty() && item.name != item.module {
                names.push(format!("{}.{}", item.module, item.name));
            }
        }
    }
    names
}

pub(crate) fn is_declared(declared: &[String], module: &str) -> bool {
    declared.iter().any(|d| covers(d, module))
}

/// Modules on the cold path whose first importer is a project module, with their index.
pub(crate) fn boundary_modules<'c>(
    cx: &'c Context<'_>,
) -> impl Iterator<Item = (usize, &'c Via)> + 'c {
    let path = cx.cold_path;
    path.modules
        .iter()
        .enumerate()
        .filter_map(move |(index, module)| {
            let via = module.via.as_ref()?;
            let importer = path.index_of(&via.module)?;
            (module.origin != Origin::Project && path.modules[importer].origin == Origin::Project)
                .then_some((index, via))
        })
}

/// The statement behind `via`: itself; for an import observed at run time (no statement shows
/// it), the statement that pulls its importer in, recursively; `None` when that importer is the
/// entry, which no statement imports.
pub fn stated_via<'p>(path: &'p ColdPath, via: &'p Via) -> Option<&'p Via> {
    let mut via = via;
    let mut hops = 0;
    while via.context == SiteContext::Observed {
        let up = path
            .index_of(&via.module)
            .and_then(|i| path.modules[i].via.as_ref())?;
        hops += 1;
        if hops > path.modules.len() {
            return None;
        }
        via = up;
    }
    Some(via)
}

/// Where a finding about the module `via` brings in points: its statement (see
/// [`stated_via`]), or the importer's first line when no statement brings it in. Never line 0.
pub(crate) fn via_location(cx: &Context<'_>, via: &Via) -> Location {
    match stated_via(cx.cold_path, via) {
        Some(stated) => Location::new(cx.display(&stated.path), stated.line, stated.column),
        None => {
            let path = cx.cold_path;
            let file = path
                .index_of(&via.module)
                .and_then(|i| path.modules[i].path.clone())
                .unwrap_or_else(|| via.path.clone());
            Location::new(cx.display(&file), 1, 1)
        }
    }
}

/// The observed edge as a note, when `module` came in through one.
pub(crate) fn with_observed_note(
    cx: &Context<'_>,
    diagnostic: Diagnostic,
    via: &Via,
    module: &str,
) -> Diagnostic {
    if via.context != SiteContext::Observed {
        return diagnostic;
    }
    let pointed = match stated_via(cx.cold_path, via) {
        Some(_) => format!("the statement that brings `{}` in", via.module),
        None => format!("the start of `{}`, the entry", via.module),
    };
    diagnostic.with_note(format!(
        "`{}` imports `{module}` at run time (observed by `fastpath profile`; no statement shows it): the finding points at {pointed}",
        via.module
    ))
}

/// The fix for the module at `index`: the innermost statement of its chain made by a project
/// module (where the user can act), concerning `module`.
pub(crate) fn take_off_cold_path(cx: &Context<'_>, index: usize, module: &str) -> FixTarget {
    let path = cx.cold_path;
    let statement = path.chain(index).into_iter().rev().find(|via| {
        path.index_of(&via.module)
            .is_some_and(|i| path.modules[i].origin == Origin::Project)
    });
    FixTarget {
        location: statement.map(|via| via_location(cx, via)),
        statement: statement.map_or_else(String::new, |via| via.statement.clone()),
        modules: vec![module.to_owned()],
        safety: FixSafety::Safe,
    }
}

/// The statements from the entry down to the module at `index`, outermost first.
pub(crate) fn chain(cx: &Context<'_>, index: usize) -> Vec<Label> {
    cx.cold_path
        .chain(index)
        .into_iter()
        .map(|via| Label {
            location: via_location(cx, via),
            message: if via.context == SiteContext::Observed {
                format!("`{}` imports it at run time (observed)", via.module)
            } else {
                via.statement.clone()
            },
        })
        .collect()
}

pub(crate) fn ms(us: f64) -> String {
    if us < 100.0 {
        format!("{:.2} ms", us / 1000.0)
    } else if us < 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{:.0} ms", us / 1000.0)
    }
}

/// A signed duration: `+10.2 ms`, `-3 ms`.
pub(crate) fn signed_ms(us: f64) -> String {
    let sign = if us < 0.0 { "-" } else { "+" };
    format!("{sign}{}", ms(us.abs()))
}

/// `us` as a percentage of `of` (`+22 %`); empty when `of` is zero.
pub(crate) fn percent(us: f64, of: f64) -> String {
    if of > 0.0 {
        format!(" ({:+.0} %)", 100.0 * us / of)
    } else {
        String::new()
    }
}
