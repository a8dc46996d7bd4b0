//! Modules that loaded without an importtime row (through `importlib.import_module`), and
//! the timed modules such a module imported.

use std::collections::{BTreeMap, HashSet};

use super::Run;
use crate::observed::ObservedEdge;

/// What one run says about modules without an importtime row.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Untimed {
    /// See [`Measurement::untimed`].
    pub(super) modules: Vec<ObservedEdge>,
    /// See [`Measurement::reattributed`].
    pub(super) reattributed: BTreeMap<String, String>,
    /// See [`super::Measurement::files`].
    pub(super) files: BTreeMap<String, std::path::PathBuf>,
}

/// Modules in `new` (added by the import) without a loaded importtime row, with the module
/// that asked for each when `who` was on (`None` otherwise, or when the bootstrap itself
/// asked); and the timed modules that an untimed one asked for.
pub(super) fn untimed_modules(
    run: &Run,
    new: &[String],
    asked: &BTreeMap<String, String>,
    who: bool,
) -> Untimed {
    let loaded = run.loaded_nodes();
    let timed: HashSet<&str> = run
        .imports
        .nodes
        .iter()
        .zip(&loaded)
        .filter(|(_, &l)| l)
        .map(|(n, _)| n.name.as_str())
        .collect();
    let mut untimed: Vec<ObservedEdge> = new
        .iter()
        .filter(|m| !timed.contains(m.as_str()))
        .map(|m| ObservedEdge {
            importer: if who {
                asked.get(m).filter(|i| !i.is_empty()).cloned()
            } else {
                None
            },
            module: m.clone(),
        })
        .collect();
    untimed.sort();
    let untimed_names: HashSet<&str> = untimed.iter().map(|e| e.module.as_str()).collect();
    let reattributed = if who {
        new.iter()
            .filter(|m| timed.contains(m.as_str()))
            .filter_map(|m| {
                let importer = asked.get(m)?;
                untimed_names
                    .contains(importer.as_str())
                    .then(|| (m.clone(), importer.clone()))
            })
            .collect()
    } else {
        Default::default()
    };
    Untimed {
        modules: untimed,
        reattributed,
        files: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::importtime;
    use crate::runner::EntryOutcome;

    #[test]
    fn modules_without_an_importtime_row_are_untimed_with_who_asked() {
        // `dynmod` came through importlib.import_module: no row, but it loaded; its own import
        // of `colorsys` shows up under `app`.
        let run = Run {
            wall_us: 1.0,
            imports: importtime::parse(
                "import time:        10 |         10 |   colorsys\n\
                 import time:        20 |         30 | app\n",
            ),
            modules: ["app", "colorsys", "dynmod", "sys"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            outcome: EntryOutcome::Imported,
        };
        let new: Vec<String> = ["app", "colorsys", "dynmod"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let asked = [
            ("dynmod".to_string(), "app".to_string()),
            ("colorsys".to_string(), "dynmod".to_string()),
            ("app".to_string(), String::new()),
        ]
        .into();
        let edge = |importer: Option<&str>| ObservedEdge {
            importer: importer.map(str::to_string),
            module: "dynmod".to_string(),
        };
        let seen = untimed_modules(&run, &new, &asked, true);
        assert_eq!(seen.modules, [edge(Some("app"))]);
        // importtime nests colorsys under app; dynmod's code asked for it.
        assert_eq!(
            seen.reattributed.into_iter().collect::<Vec<_>>(),
            [("colorsys".to_string(), "dynmod".to_string())]
        );
        let blind = untimed_modules(&run, &new, &asked, false);
        assert_eq!(blind.modules, [edge(None)]);
        assert!(blind.reattributed.is_empty());
    }
}
