//! The manifest reader and editor on arbitrary bytes and arbitrary edits.
//!
//! Input: the first byte `n` (mod 49) is the length of the edit script that follows; the rest
//! is the manifest file. Properties:
//! - reading never panics, and the model serialises;
//! - reading then writing with no edit gives back the same bytes;
//! - when a script of edits (costs, `PROFILED` dates, `Last profiled`, HISTORY lines, imports
//!   added and removed) applies, the output re-reads with every edit visible in the model,
//!   untouched imports keep their annotation as written, and applying the same script to the
//!   output changes nothing (edits are idempotent).

use std::collections::BTreeSet;

use fastpath_manifest::{format_ms, Date, Editor, Manifest, NewImport};

use super::input::Input;

#[derive(Debug, Clone)]
enum Op {
    Cost(String, f64),
    Profiled(String, Date),
    LastProfiled(Date),
    History(Date, String),
    Add(NewImport),
    Remove(String),
}

const COSTS: &[f64] = &[0.0, 0.04, 0.05, 0.8, 4.25, 9.94, 9.96, 15.0, 350.0, 1234.5];
const HISTORY: &[&str] = &[
    "Initial file, 5 imports, 55ms total",
    "Removed boto3 (moved to function level), 55ms total",
    "fastpath update: costs re-measured",
    "été: ünïcode",
];
const MODULES: &[&str] = &["json", "a.b", "gateway", "x_1", "été", "os.path"];
const ALIASES: &[Option<&str>] = &[None, Some("j"), Some("gw"), Some("ß")];
const USAGES: &[Option<&str>] = &[None, Some("every request"), Some("95% usage")];

fn date(u: &mut Input<'_>) -> Date {
    let year = 2000 + u.range(0, 60) as u16;
    let month = 1 + u.range(0, 11) as u8;
    let day = 1 + u.range(0, 27) as u8;
    Date::new(year, month, day).expect("a valid day")
}

/// A name the manifest imports (a module or a bound name), or a made-up one.
fn name(u: &mut Input<'_>, manifest: &Manifest) -> String {
    let names: Vec<&str> = manifest
        .imports
        .iter()
        .flat_map(|i| i.items.iter())
        .flat_map(|item| [item.module.as_str(), item.bound.as_str()])
        .collect();
    if names.is_empty() || u.one_in(16) {
        u.choose(MODULES).to_string()
    } else {
        u.choose(&names).to_string()
    }
}

fn script(u: &mut Input<'_>, manifest: &Manifest) -> Vec<Op> {
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 6 {
        let op = match u.byte() % 6 {
            0 => {
                let ms = if u.one_in(3) {
                    f64::from(u.u32() % 100_000) / 100.0
                } else {
                    *u.choose(COSTS)
                };
                Op::Cost(name(u, manifest), ms)
            }
            1 => Op::Profiled(name(u, manifest), date(u)),
            2 => Op::LastProfiled(date(u)),
            3 => Op::History(date(u), u.choose(HISTORY).to_string()),
            4 => Op::Add(NewImport {
                module: u.choose(MODULES).to_string(),
                alias: u.choose(ALIASES).map(str::to_owned),
                tier: 1 + u.range(0, 2) as u32,
                ms: u.bool().then(|| *u.choose(COSTS)),
                usage: u.choose(USAGES).map(str::to_owned),
                profiled: u.bool().then(|| date(u)),
            }),
            _ => Op::Remove(name(u, manifest)),
        };
        ops.push(op);
    }
    ops
}

/// Applies `ops`; returns the ops that applied (the others named no import of the manifest).
fn apply(editor: &mut Editor<'_>, ops: &[Op]) -> Vec<Op> {
    let mut applied = Vec::new();
    for op in ops {
        let ok = match op {
            Op::Cost(name, ms) => editor.set_cost(name, *ms).is_ok(),
            Op::Profiled(name, date) => editor.set_profiled(name, *date).is_ok(),
            Op::LastProfiled(date) => {
                editor.set_last_profiled(*date);
                true
            }
            Op::History(date, text) => editor.append_history(*date, text).is_ok(),
            Op::Add(import) => editor.add_import(import.clone()).is_ok(),
            Op::Remove(name) => {
                editor.remove_import(name);
                true
            }
        };
        if ok {
            applied.push(op.clone());
        }
    }
    applied
}

pub fn check(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = (usize::from(n) % 49).min(rest.len());
    let (script_bytes, bytes) = rest.split_at(n);

    let (manifest, _diagnostics) = Manifest::parse(bytes);
    serde_json::to_string(&manifest).expect("the model serialises");
    assert_eq!(manifest.bytes(), bytes);
    assert_eq!(
        manifest.edit().finish().as_deref(),
        Ok(bytes),
        "reading then writing changed the bytes"
    );

    let ops = script(&mut Input::new(script_bytes), &manifest);
    let mut editor = manifest.edit();
    let applied = apply(&mut editor, &ops);
    let Ok(out) = editor.finish() else {
        return;
    };
    let (after, _) = Manifest::parse(&out);

    // Idempotence: the same script on the output changes nothing.
    let mut again = after.edit();
    let reapplied = apply(&mut again, &applied);
    let removed: BTreeSet<&str> = applied
        .iter()
        .filter_map(|op| match op {
            Op::Remove(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let structural = applied
        .iter()
        .any(|op| matches!(op, Op::Remove(_) | Op::Add(_)));
    // Adding and removing the same name in one script contradicts itself: the editor decides
    // both against the file as read, so the output is not a fixed point. No command does that.
    let contradictory = applied.iter().any(|op| match op {
        Op::Add(import) => {
            removed.contains(import.module.as_str()) || removed.contains(import.bound())
        }
        _ => false,
    });
    if contradictory {
        return;
    }
    if !structural {
        assert_eq!(
            reapplied.len(),
            applied.len(),
            "an edit that applied no longer applies to its own output:\n{}",
            String::from_utf8_lossy(&out)
        );
    }
    let twice = again.finish();
    if let Ok(twice) = twice {
        assert!(
            twice == out,
            "an edit is not idempotent:\n--- once\n{:?}\n--- twice\n{:?}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&twice)
        );
    } else if !structural {
        panic!(
            "edits that applied fail on their own output ({twice:?}):\n{:?}\n--- from\n{:?}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(bytes)
        );
    }

    // Every edit is visible when the output is read again.
    if structural {
        for op in &applied {
            if let Op::Add(import) = op {
                if removed.contains(import.module.as_str()) || removed.contains(import.bound()) {
                    continue;
                }
                assert!(
                    after.imports.iter().any(|i| i.items.iter().any(|item| {
                        item.module == import.module && item.asname == import.alias
                    })),
                    "added import {} not read back:\n{}",
                    import.module,
                    String::from_utf8_lossy(&out)
                );
            }
        }
        return;
    }
    assert_eq!(
        after.imports.len(),
        manifest.imports.len(),
        "annotation edits changed the imports read:\n{}",
        String::from_utf8_lossy(&out)
    );
    let mut touched = BTreeSet::new();
    for op in &applied {
        match op {
            Op::Cost(name, _) | Op::Profiled(name, _) => {
                let at = manifest
                    .imports
                    .iter()
                    .position(|i| i.names(name))
                    .expect("it applied");
                touched.insert(at);
            }
            _ => {}
        }
    }
    for (at, (before, now)) in manifest.imports.iter().zip(&after.imports).enumerate() {
        if touched.contains(&at) {
            continue;
        }
        assert_eq!(
            before.annotation.as_ref().map(|a| &a.text),
            now.annotation.as_ref().map(|a| &a.text),
            "an import no edit named changed its annotation:\n{}",
            String::from_utf8_lossy(&out)
        );
    }
    // The last edit of each kind wins.
    for (index, op) in applied.iter().enumerate() {
        let later = |same: &dyn Fn(&Op) -> bool| applied[index + 1..].iter().any(same);
        match op {
            Op::Cost(name, ms) => {
                let at = manifest.imports.iter().position(|i| i.names(name)).unwrap();
                if later(
                    &|o| matches!(o, Op::Cost(n, _) if manifest.imports.iter().position(|i| i.names(n)) == Some(at)),
                ) {
                    continue;
                }
                let text = after.imports[at]
                    .annotation
                    .as_ref()
                    .map(|a| a.text.clone())
                    .unwrap_or_default();
                assert!(
                    text.contains(&format_ms(*ms)),
                    "cost {} not written to `{name}`: {text:?}\n{}",
                    format_ms(*ms),
                    String::from_utf8_lossy(&out)
                );
            }
            Op::Profiled(name, date) => {
                let at = manifest.imports.iter().position(|i| i.names(name)).unwrap();
                if later(
                    &|o| matches!(o, Op::Profiled(n, _) if manifest.imports.iter().position(|i| i.names(n)) == Some(at)),
                ) {
                    continue;
                }
                let read = after.imports[at]
                    .annotation
                    .as_ref()
                    .and_then(|a| a.profiled.as_ref())
                    .map(|p| p.date);
                assert_eq!(
                    read,
                    Some(*date),
                    "PROFILED date not read back for `{name}`:\n{}",
                    String::from_utf8_lossy(&out)
                );
            }
            Op::LastProfiled(date) => {
                if later(&|o| matches!(o, Op::LastProfiled(_))) {
                    continue;
                }
                assert_eq!(
                    after.last_profiled(),
                    Some(*date),
                    "Last profiled not read back:\n{}",
                    String::from_utf8_lossy(&out)
                );
            }
            Op::History(date, text) => {
                let found = after
                    .history
                    .as_ref()
                    .is_some_and(|h| h.entries.iter().any(|e| e.date == *date && e.text == *text));
                assert!(
                    found,
                    "HISTORY line {date}: {text} not read back:\n{}",
                    String::from_utf8_lossy(&out)
                );
            }
            Op::Add(_) | Op::Remove(_) => unreachable!("structural edits returned above"),
        }
    }
}
