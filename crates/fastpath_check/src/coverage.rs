//! What the manifest declares, and where an undeclared module enters the cold path.
//!
//! A module is *declared* when the manifest imports it or a package holding it. An undeclared
//! module is reported where it crosses from project code into the rest of the world: the
//! statement in a project module that imports it. Its own dependencies are its cost, not
//! separate findings.
//!
//! A problem further down, inside a dependency, is reported at the *boundary*: the project
//! statement that brings that dependency onto the cold path, the one place the user can edit.
//! The statements inside the dependency become a note. Findings about several modules of one
//! package through one statement (`import packaging.utils` loads `packaging` too) are one
//! finding, named for the deepest modules: users act on statements, not on modules.

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

/// The module whose loading a project statement causes, on the way to the module at `index`:
/// the module itself when a project module imports it, else the dependency (or its
/// submodule) that the innermost project statement of the chain loads. `None` when no project
/// statement is on the chain (only code outside the project brings it in).
pub(crate) fn boundary_of(cx: &Context<'_>, index: usize) -> Option<usize> {
    let path = cx.cold_path;
    let mut current = index;
    for _ in 0..=path.modules.len() {
        let via = path.modules[current].via.as_ref()?;
        let importer = path.index_of(&via.module)?;
        if path.modules[importer].origin == Origin::Project {
            return Some(current);
        }
        if importer == current {
            return None;
        }
        current = importer;
    }
    None
}

/// Where a finding about the module at `index` is reported: the project statement that brings
/// it onto the cold path, else the statement that loads it.
pub(crate) fn boundary_location(cx: &Context<'_>, index: usize) -> Option<Location> {
    let path = cx.cold_path;
    let at = boundary_of(cx, index).unwrap_or(index);
    path.modules[at]
        .via
        .as_ref()
        .map(|via| via_location(cx, via))
}

/// The fix for the module at `index`: the innermost statement of its chain made by a project
/// module (where the user can act), concerning `module`, or the dependency that statement
/// loads when `module` comes in further down.
pub(crate) fn take_off_cold_path(cx: &Context<'_>, index: usize, module: &str) -> FixTarget {
    let path = cx.cold_path;
    let boundary = boundary_of(cx, index);
    let statement = boundary.and_then(|b| path.modules[b].via.as_ref());
    let modules = match boundary {
        Some(b) if b != index => vec![path.modules[b].name.clone()],
        _ => vec![module.to_owned()],
    };
    FixTarget {
        location: statement.map(|via| via_location(cx, via)),
        statement: statement.map_or_else(String::new, |via| via.statement.clone()),
        modules,
        safety: FixSafety::Safe,
    }
}

/// The statements from the entry down to the project statement that brings the module at
/// `index` in (the whole chain when there is none), and, when the module comes in further
/// down, a note with the statements inside the dependency.
pub(crate) fn boundary_chain(cx: &Context<'_>, index: usize) -> (Vec<Label>, Option<String>) {
    let path = cx.cold_path;
    let Some(boundary) = boundary_of(cx, index) else {
        return (chain(cx, index), None);
    };
    if boundary == index {
        return (chain(cx, index), None);
    }
    let outer = chain(cx, boundary);
    let full = path.chain(index);
    let inner: Vec<String> = full
        .iter()
        .skip(outer.len())
        .map(|via| format!("`{}`:{} `{}`", via.module, via.line, via.statement))
        .collect();
    let note = format!(
        "`{}` comes in inside `{}`: {}",
        path.modules[index].name,
        path.modules[boundary].name,
        inner.join(" → ")
    );
    (outer, Some(note))
}

/// The top-level package of a dotted name.
pub(crate) fn top_level(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// Indices of cold-path modules gathered into one finding per project statement and
/// top-level package, each group in load order. The statement is the boundary
/// ([`boundary_of`]) of each module.
pub(crate) fn by_statement(
    cx: &Context<'_>,
    indices: impl IntoIterator<Item = usize>,
) -> Vec<Vec<usize>> {
    let path = cx.cold_path;
    // Keyed by (statement, top-level package).
    type Key = (Option<Location>, String);
    let mut groups: Vec<(Key, Vec<usize>)> = Vec::new();
    for index in indices {
        let key = (
            boundary_location(cx, index),
            top_level(&path.modules[index].name).to_owned(),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(index),
            None => groups.push((key, vec![index])),
        }
    }
    groups
        .into_iter()
        .map(|(_, mut members)| {
            members.sort_unstable();
            members
        })
        .collect()
}

/// How a group of modules is named: the one module left once parent packages fold into their
/// submodules (`packaging.utils`, not `packaging` too), else the top-level package, with the
/// submodules for a note.
pub(crate) fn group_name(names: &[&str]) -> (String, Vec<String>) {
    let deepest: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            !names
                .iter()
                .any(|other| other.len() > n.len() && covers(n, other))
        })
        .collect();
    match deepest.as_slice() {
        [one] => ((*one).to_owned(), Vec::new()),
        _ => {
            let top = names.first().map_or("", |n| top_level(n)).to_owned();
            (top, deepest.iter().map(|n| (*n).to_owned()).collect())
        }
    }
}

/// The note naming a group's submodules, when it has several.
pub(crate) fn submodules_note(submodules: &[String]) -> Option<String> {
    (!submodules.is_empty()).then(|| {
        let names: Vec<String> = submodules.iter().map(|m| format!("`{m}`")).collect();
        format!("through this statement: {}", names.join(", "))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_fold_into_their_submodule() {
        assert_eq!(
            group_name(&["packaging", "packaging.utils"]),
            ("packaging.utils".to_owned(), Vec::new())
        );
        assert_eq!(
            group_name(&["urllib", "urllib.request", "urllib.parse"]),
            (
                "urllib".to_owned(),
                vec!["urllib.request".to_owned(), "urllib.parse".to_owned()]
            )
        );
        assert_eq!(group_name(&["json"]), ("json".to_owned(), Vec::new()));
        // A sibling whose name extends another's is not its submodule.
        assert_eq!(
            group_name(&["a.b", "a.bc"]),
            ("a".to_owned(), vec!["a.b".to_owned(), "a.bc".to_owned()])
        );
    }
}
