//! The parser on importtime output captured from every interpreter on the machine.

use std::path::{Path, PathBuf};

use fastpath_profile::importtime::{parse, AnomalyKind, ImportTime};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/importtime")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture_dir().join(name)).unwrap()
}

/// Captured fixtures of interpreters that support `-X importtime` (3.7+).
fn captured() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".txt")
            && !name.starts_with("2.")
            && !name.starts_with("3.6.")
            && !name.contains("hand")
        {
            out.push((name.clone(), read(&name)));
        }
    }
    out.sort();
    out
}

fn find(it: &ImportTime, name: &str) -> usize {
    it.nodes
        .iter()
        .position(|n| n.name == name)
        .unwrap_or_else(|| panic!("{name} not in tree"))
}

#[test]
fn every_captured_version_is_covered() {
    let names: Vec<String> = captured().into_iter().map(|(n, _)| n).collect();
    for version in ["3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"] {
        assert!(
            names.iter().any(|n| n.starts_with(&format!("{version}."))),
            "no fixture for {version}: {names:?}"
        );
    }
}

#[test]
fn captured_reports_parse_without_anomalies() {
    for (name, text) in captured() {
        let it = parse(&text);
        assert!(it.header_seen, "{name}");
        assert!(it.foreign.is_empty(), "{name}: {:?}", it.foreign);
        assert!(it.anomalies.is_empty(), "{name}: {:?}", it.anomalies);
        let rows = text
            .lines()
            .filter(|l| l.starts_with("import time:"))
            .count();
        assert_eq!(it.nodes.len(), rows - 1, "{name}: every row but the header");
        assert_eq!(it.preorder().len(), it.nodes.len(), "{name}: a tree");
        // Post-order: every child's row precedes its parent's.
        for node in &it.nodes {
            for &c in &node.children {
                assert!(it.nodes[c].line < node.line, "{name}: {}", node.name);
                assert_eq!(it.nodes[c].depth, node.depth + 1, "{name}: {}", node.name);
            }
        }
    }
}

#[test]
fn json_is_a_root_whose_subtree_holds_its_submodules() {
    for (name, text) in captured()
        .into_iter()
        .filter(|(n, _)| n.ends_with("-json.txt"))
    {
        let it = parse(&text);
        let json = find(&it, "json");
        assert!(it.roots.contains(&json), "{name}");
        for sub in ["json.decoder", "json.scanner", "json.encoder"] {
            let id = find(&it, sub);
            assert!(it.stack(id).contains(&json), "{name}: {sub} under json");
        }
        // The roots' cumulative times include every row's self time exactly once.
        let selfs: i64 = it.nodes.iter().map(|n| n.self_us).sum();
        let slack = it.nodes.len() as i64 * 2;
        assert!((it.total_us() - selfs).abs() <= slack, "{name}");
    }
}

#[test]
fn parent_packages_nest_under_the_submodule_and_importer_skips_them() {
    for (name, text) in captured()
        .into_iter()
        .filter(|(n, _)| n.ends_with("-mixed.txt"))
    {
        let it = parse(&text);
        let text_mod = find(&it, "email.mime.text");
        let mime = find(&it, "email.mime");
        assert_eq!(it.nodes[mime].parent, Some(text_mod), "{name}");
        // Top-level statement: no importer for email.mime.text, nor for the packages it pulled.
        assert_eq!(it.importer(text_mod), None, "{name}");
        assert_eq!(it.importer(mime), None, "{name}");
    }
}

#[test]
fn failed_import_attempts_appear_as_rows() {
    // `copy` and `pickle` try `org.python.core` (Jython) on these versions: a row for a module
    // that never loads, which the profile must not list as loaded.
    for version in ["3.7.16", "3.11.7"] {
        let it = parse(&read(&format!("{version}-mixed.txt")));
        assert!(
            it.nodes.iter().any(|n| n.name == "org.python.core"),
            "{version}"
        );
    }
}

#[test]
fn python_2_and_3_6_print_no_report() {
    let py2 = parse(&read("2.7.18-json.txt"));
    assert!(!py2.header_seen && py2.nodes.is_empty());
    assert!(py2.foreign[0].1.contains("-X is reserved"));
    let py36 = parse(&read("3.6.15-json.txt"));
    assert!(!py36.header_seen && py36.nodes.is_empty());
}

#[test]
fn hand_written_3_14_importtime_2_sample() {
    let it = parse(&read("3.14-hand-importtime2.txt"));
    assert!(it.header_seen);
    assert!(it.anomalies.is_empty(), "{:?}", it.anomalies);
    assert_eq!(it.cached.len(), 12);
    let parent_of = |index: usize| {
        it.cached[index]
            .parent
            .map(|p| it.nodes[p].name.clone())
            .unwrap_or_default()
    };
    let expected = [
        ("codecs", "encodings.utf_8", false),
        ("sys", "site", false),
        ("os", "posixpath", true),
        ("re", "json.decoder", true),
        ("os", "uuid", false),
        ("sys", "uuid", false),
        ("enum", "uuid", false),
        ("re", "platform", true),
        ("collections", "platform", false),
        ("sys", "platform", true),
        ("functools", "platform", false),
        ("itertools", "platform", false),
    ];
    for (i, (name, parent, exact)) in expected.iter().enumerate() {
        assert_eq!(&it.cached[i].name, name, "row {i}");
        assert_eq!(&parent_of(i), parent, "row {i} ({name})");
        assert_eq!(it.cached[i].depth_exact, *exact, "row {i} ({name})");
    }
    // Cached rows never become nodes: the tree is the same as without them.
    let plain: String = read("3.14-hand-importtime2.txt")
        .lines()
        .filter(|l| !l.contains("cached    |"))
        .map(|l| format!("{l}\n"))
        .collect();
    let without_lines = |t: &ImportTime| {
        t.nodes
            .iter()
            .cloned()
            .map(|mut n| {
                n.line = 0;
                n
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(without_lines(&parse(&plain)), without_lines(&it));
}

#[test]
fn captured_report_survives_interleaved_foreign_output() {
    // Splice program output into a real report at every fifth line, including a partial line
    // the next row is glued to and a line that only mentions importtime.
    let text = read("3.11.7-mixed.txt");
    let clean = parse(&text);
    let mut noisy = String::new();
    for (i, line) in text.lines().enumerate() {
        match i % 5 {
            1 => noisy.push_str("DeprecationWarning: something | with | pipes\n"),
            2 => noisy.push_str("partial output: "),
            3 => noisy.push_str("the words import time: appear here\n"),
            _ => {}
        }
        noisy.push_str(line);
        noisy.push('\n');
    }
    let it = parse(&noisy);
    // Line numbers shift; structure and figures must not.
    let shape = |t: &fastpath_profile::importtime::ImportTime| {
        t.nodes
            .iter()
            .map(|n| {
                (
                    n.name.clone(),
                    n.self_us,
                    n.cumulative_us,
                    n.parent,
                    n.children.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&it), shape(&clean));
    assert_eq!(it.roots, clean.roots);
    assert!(!it.foreign.is_empty());
    assert!(it
        .anomalies
        .iter()
        .all(|a| matches!(a.kind, AnomalyKind::MalformedRow { .. })));
}

#[test]
fn savings_on_a_real_tree_equal_cumulative_times() {
    use fastpath_profile::savings::{compute, ColdGraph, ImportSite};
    use std::collections::BTreeMap;
    // On a tree nothing is shared, so deferring the statement that imports a module saves
    // exactly its importtime cumulative time: the attribution and importtime must agree.
    for (name, text) in captured() {
        let it = parse(&text);
        let key = |id: usize| format!("{}#{id}", it.nodes[id].name);
        let mut graph = ColdGraph::new("<entry>");
        let mut costs = BTreeMap::new();
        for (id, node) in it.nodes.iter().enumerate() {
            costs.insert(key(id), node.self_us as f64);
            let from = match node.parent {
                Some(p) => graph.module(&key(p)),
                None => graph.root(),
            };
            let to = graph.module(&key(id));
            let site = graph.site(ImportSite {
                file: "tree.py".to_string(),
                line: id as u32 + 1,
                statement: format!("import {}", node.name),
            });
            graph.edge(from, to, Some(site));
        }
        let savings = compute(&graph, &costs);
        assert_eq!(savings.len(), it.nodes.len(), "{name}");
        for saving in &savings {
            let id = saving.site.line as usize - 1;
            let node = &it.nodes[id];
            let slack = 2.0 * saving.modules.len() as f64 + 2.0;
            assert!(
                (saving.saved_us - node.cumulative_us as f64).abs() <= slack,
                "{name}: {} saves {} but its cumulative is {}",
                node.name,
                saving.saved_us,
                node.cumulative_us
            );
            assert_eq!(saving.shared_modules, 0, "{name}");
        }
    }
}
