//! The `-X importtime` parser on arbitrary text, and on real-shaped streams interleaved with a
//! program's own output.
//!
//! The first byte picks the mode:
//! - raw (even): any text; the parser must not panic and the tree it returns must hang together
//!   (parents and children agree, roots have no parent, pre-order visits each node once);
//! - interleaved (odd): a random import tree is printed the way CPython prints it (post-order,
//!   `"import time: %9ld | %10ld | %*s%s\n"`), foreign lines are inserted between rows and
//!   foreign partial lines (no newline) are glued in front of rows, optionally with CRLF line
//!   ends; the parser must give back exactly the tree that was printed, with no anomaly, and
//!   every foreign line with its line number.

use fastpath_profile::importtime::{parse, ImportTime};

use super::input::Input;

/// A module of the generated tree.
struct Gen {
    name: String,
    self_us: i64,
    children: Vec<Gen>,
}

const NAME_CHARS: &[char] = &['a', 'b', 'z', '_', '.', '0', '9', 'é', 'ü', '中', '|', '-'];

fn gen_name(u: &mut Input<'_>) -> String {
    let len = u.range(1, 12);
    (0..len).map(|_| *u.choose(NAME_CHARS)).collect()
}

fn gen_tree(u: &mut Input<'_>, depth: usize, budget: &mut usize) -> Gen {
    *budget = budget.saturating_sub(1);
    let name = gen_name(u);
    let self_us = u.range(0, 5_000_000) as i64;
    let mut children = Vec::new();
    if depth < 12 {
        for _ in 0..u.range(0, 3) {
            if *budget == 0 {
                break;
            }
            children.push(gen_tree(u, depth + 1, budget));
        }
    }
    Gen {
        name,
        self_us,
        children,
    }
}

/// Foreign text: anything without a line break or the importtime prefix.
fn gen_foreign(u: &mut Input<'_>) -> String {
    let text: String = u
        .text(60)
        .chars()
        .filter(|c| *c != '\n' && *c != '\r')
        .collect();
    text.replace("import time:", "import-time:")
}

/// The parsed tree as (name, self, cumulative, depth, parent's name, children's names).
type Shape = Vec<(String, i64, i64, usize, Option<String>, Vec<String>)>;

fn shape(it: &ImportTime) -> Shape {
    it.nodes
        .iter()
        .map(|n| {
            (
                n.name.clone(),
                n.self_us,
                n.cumulative_us,
                n.depth,
                n.parent.map(|p| it.nodes[p].name.clone()),
                n.children
                    .iter()
                    .map(|&c| it.nodes[c].name.clone())
                    .collect(),
            )
        })
        .collect()
}

/// Appends the tree's rows in post-order, as CPython prints them; returns its cumulative time.
fn print(tree: &Gen, depth: usize, parent: Option<&str>, out: &mut Shape) -> i64 {
    let children: i64 = tree
        .children
        .iter()
        .map(|c| print(c, depth + 1, Some(&tree.name), out))
        .sum();
    let cumulative = tree.self_us + children;
    out.push((
        tree.name.clone(),
        tree.self_us,
        cumulative,
        depth,
        parent.map(str::to_owned),
        tree.children.iter().map(|c| c.name.clone()).collect(),
    ));
    cumulative
}

/// What must hold of any parse.
pub fn check_invariants(it: &ImportTime, text: &str) {
    let lines = text.lines().count();
    for (id, node) in it.nodes.iter().enumerate() {
        assert!(
            node.line >= 1 && node.line <= lines,
            "node line out of range"
        );
        for &child in &node.children {
            assert_eq!(it.nodes[child].parent, Some(id), "child's parent disagrees");
        }
        if let Some(parent) = node.parent {
            assert!(
                it.nodes[parent].children.contains(&id),
                "parent lacks child"
            );
        }
        let _ = it.importer(id);
        let _ = it.stack(id);
    }
    for &root in &it.roots {
        assert_eq!(it.nodes[root].parent, None, "root with a parent");
    }
    let mut order = it.preorder();
    assert_eq!(
        order.len(),
        it.nodes.len(),
        "pre-order misses or repeats nodes"
    );
    order.sort_unstable();
    order.dedup();
    assert_eq!(order.len(), it.nodes.len(), "pre-order repeats nodes");
    let _ = it.total_us();
    serde_json::to_string(it).expect("the parse serialises");
}

fn interleaved(u: &mut Input<'_>) {
    let mut budget = 40usize;
    let mut trees = Vec::new();
    for _ in 0..u.range(1, 4) {
        if budget == 0 {
            break;
        }
        trees.push(gen_tree(u, 0, &mut budget));
    }
    let mut expected = Shape::new();
    for tree in &trees {
        print(tree, 0, None, &mut expected);
    }
    let mut text = String::new();
    let mut foreign: Vec<(usize, String)> = Vec::new();
    let mut line = 1usize;
    let header = u.bool();
    if header {
        text.push_str("import time: self [us] | cumulative | imported package\n");
        line += 1;
    }
    for (name, self_us, cumulative, depth, _, _) in &expected {
        // Whole foreign lines before the row.
        for _ in 0..u.range(0, 2) {
            let f = gen_foreign(u);
            text.push_str(&f);
            text.push('\n');
            foreign.push((line, f));
            line += 1;
        }
        // A partial foreign line the row is glued to.
        if u.one_in(4) {
            let f = gen_foreign(u);
            if !f.is_empty() {
                text.push_str(&f);
                foreign.push((line, f));
            }
        }
        text.push_str(&format!(
            "import time: {self_us:>9} | {cumulative:>10} | {:width$}{name}\n",
            "",
            width = 2 * depth
        ));
        line += 1;
    }
    let text = if u.one_in(8) {
        text.replace('\n', "\r\n")
    } else {
        text
    };
    let it = parse(&text);
    check_invariants(&it, &text);
    assert_eq!(it.header_seen, header);
    assert!(
        it.anomalies.is_empty(),
        "anomalies on a clean stream: {:?}\n{text}",
        it.anomalies
    );
    assert_eq!(shape(&it), expected, "tree not recovered from:\n{text}");
    assert_eq!(it.foreign, foreign, "foreign lines not kept");
}

pub fn check(data: &[u8]) {
    let mut u = Input::new(data);
    if u.byte() % 2 == 0 {
        let text = String::from_utf8_lossy(u.rest());
        let it = parse(&text);
        check_invariants(&it, &text);
    } else {
        interleaved(&mut u);
    }
}
