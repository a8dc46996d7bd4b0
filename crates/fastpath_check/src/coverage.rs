//! What the manifest declares, and where an undeclared module enters the cold path.
//!
//! A module is *declared* when the manifest imports it or a package holding it. An undeclared
//! module is reported where it crosses from project code into the rest of the world: the
//! statement in a project module that imports it. Its own dependencies are its cost, not
//! separate findings.

use fastpath_graph::{Origin, Via};

use crate::context::Context;
use crate::diagnostic::{FixSafety, FixTarget, Label, Location};
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

pub(crate) fn via_location(cx: &Context<'_>, via: &Via) -> Location {
    Location::new(cx.display(&via.path), via.line, via.column)
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
            message: via.statement.clone(),
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
