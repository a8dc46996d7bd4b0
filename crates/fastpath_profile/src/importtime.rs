//! Parser for CPython's `-X importtime` report (3.7 to 3.14), rebuilt into the import tree.
//!
//! CPython writes one row per `_find_and_load` to the C-level `stderr`
//! (`Python/import.c`: `"import time: %9ld | %10ld | %*s%s\n"`, self and cumulative microseconds,
//! then two spaces per nesting level and the module name). A row is printed when its import
//! *finishes*, so rows come in post-order: children before their parent. This module turns that
//! stream back into a tree without trusting it blindly, because the stream it reads is shared:
//! - lines that are not importtime rows (an extension or a `.pth` file writing to fd 2) are kept
//!   aside as foreign lines, and a row glued to the end of a foreign partial line is recovered;
//! - rows that cannot be parsed are reported as anomalies, never guessed at;
//! - a missing row (its children arrive deeper than one level below the next row) does not
//!   corrupt the tree: the orphans are attached to the next row that closes above them;
//! - odd values (negative self times from a clock step or threads, a number wider than its
//!   column) are parsed as printed;
//! - every row's figures must add up (`cumulative = self + children's cumulative`, within a
//!   microsecond per row): a well-formed row that something wrote straight to fd 2 breaks its
//!   parent's sum, and is set aside when removing it repairs the tree (see [`parse`]);
//! - `-X importtime=2` (3.14) adds `cached` rows for imports satisfied by `sys.modules`. CPython
//!   prints their name *right-aligned* in a field of `2 * level` columns (`"%*s"`), so a name
//!   longer than its field carries no indentation at all. Their level is therefore recovered
//!   from the constraints the post-order stream imposes, best effort when the padding is
//!   missing (see [`CachedRow::depth_exact`]).
//!
//! Failed import attempts print rows too (`copy` tries `org.python.core`): whether a module
//! really loaded is decided elsewhere, against `sys.modules`.

use serde::Serialize;

/// Prefix of every line CPython's importtime writes.
const PREFIX: &str = "import time:";

/// Index of a node in [`ImportTime::nodes`].
pub type NodeId = usize;

/// One finished import, as a node of the rebuilt tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// Absolute module name, as CPython printed it.
    pub name: String,
    /// Microseconds spent in this import excluding nested imports (may be negative, as printed).
    pub self_us: i64,
    /// Microseconds spent in this import including nested imports.
    pub cumulative_us: i64,
    /// Nesting level as printed (two spaces per level); roots are at 0.
    pub depth: usize,
    /// 1-based line number in the parsed text.
    pub line: usize,
    /// The import during which this one ran; `None` for a root.
    pub parent: Option<NodeId>,
    /// Imports that ran during this one, in the order they started.
    pub children: Vec<NodeId>,
}

/// A `cached` row of `-X importtime=2`: an import statement satisfied by `sys.modules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CachedRow {
    /// Module name.
    pub name: String,
    /// 1-based line number.
    pub line: usize,
    /// Nesting level recovered from the stream (see the module documentation).
    pub depth: usize,
    /// Whether `depth` was read from the padding (`true`) or inferred from the neighbouring rows.
    pub depth_exact: bool,
    /// The import in progress when this statement ran; `None` at top level.
    pub parent: Option<NodeId>,
}

/// Something in the stream that did not fit; the tree was rebuilt around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub kind: AnomalyKind,
}

/// Kinds of [`Anomaly`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AnomalyKind {
    /// A line starting with `import time:` that is neither the header nor a row.
    MalformedRow {
        /// The line as read.
        text: String,
    },
    /// Indentation that is not a multiple of two spaces.
    OddIndent {
        /// Leading spaces seen.
        spaces: usize,
    },
    /// Rows arrived more than one level deeper than the row that closed them: a row between
    /// them is missing. They were attached to this row.
    MissingLevel {
        /// The row that adopted them.
        adopted_by: NodeId,
    },
    /// The stream ended while imports at this depth were still open (process killed or output
    /// cut): these rows were kept as roots.
    Unclosed {
        /// Depth of the rows left open.
        depth: usize,
    },
    /// A row with a cumulative time below its self time.
    CumulativeBelowSelf,
    /// A row whose cumulative time is not its self time plus its children's cumulative times
    /// (beyond rounding): threads importing concurrently, or a row that is not CPython's.
    Inconsistent {
        /// The row whose arithmetic fails.
        node: NodeId,
        /// `cumulative - self - sum(children's cumulative)`, microseconds.
        discrepancy_us: i64,
    },
    /// A well-formed row that is not CPython's: removing it restores its parent's arithmetic
    /// exactly (something wrote a fake row straight to fd 2). It was set aside as foreign.
    Spurious {
        /// The module name it claimed.
        name: String,
    },
}

/// The parsed report: the tree, plus everything that was not part of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportTime {
    /// Whether the `import time: self [us] | cumulative | imported package` header was seen.
    pub header_seen: bool,
    /// Nodes in the order their rows were printed (post-order).
    pub nodes: Vec<Node>,
    /// Top-level imports, in the order they started.
    pub roots: Vec<NodeId>,
    /// `cached` rows (`-X importtime=2`), in the order printed.
    pub cached: Vec<CachedRow>,
    /// Lines (1-based number, text) that are not importtime output.
    pub foreign: Vec<(usize, String)>,
    /// Rows the tree was rebuilt around.
    pub anomalies: Vec<Anomaly>,
}

/// One classified line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line<'a> {
    Header,
    Row {
        self_us: i64,
        cumulative_us: i64,
        spaces: usize,
        name: &'a str,
    },
    Cached {
        spaces: usize,
        name: &'a str,
    },
    Malformed,
}

/// Classifies the part of a line starting at `import time:`.
fn classify(rest: &str) -> Line<'_> {
    let Some(body) = rest.strip_prefix(PREFIX) else {
        return Line::Malformed;
    };
    let mut parts = body.splitn(3, '|');
    let (Some(first), Some(second), Some(third)) = (parts.next(), parts.next(), parts.next())
    else {
        return Line::Malformed;
    };
    let (first, second) = (first.trim(), second.trim());
    if first == "self [us]" && second == "cumulative" && third.trim() == "imported package" {
        return Line::Header;
    }
    // The name column is `" " + padding + name`; the first space belongs to the separator.
    let Some(column) = third.strip_prefix(' ') else {
        return Line::Malformed;
    };
    let name = column.trim_start_matches(' ');
    let spaces = column.len() - name.len();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Line::Malformed;
    }
    if first == "cached" && second == "cached" {
        return Line::Cached { spaces, name };
    }
    match (first.parse::<i64>(), second.parse::<i64>()) {
        (Ok(self_us), Ok(cumulative_us)) => Line::Row {
            self_us,
            cumulative_us,
            spaces,
            name,
        },
        _ => Line::Malformed,
    }
}

/// A cached row waiting for the rows after it to fix its depth and parent.
struct PendingCached {
    index: usize,
    /// Lowest depth the stream allows.
    low: usize,
    /// Highest depth the stream allows.
    high: usize,
    exact: bool,
    /// Depth of the regular row before the gap, if any.
    after: Option<usize>,
}

/// Parses importtime output (any text; foreign lines are set aside) and rebuilds the tree.
///
/// CPython computes `self = cumulative - sum(children's cumulative)` before rounding each
/// figure up to a microsecond, so every parent's printed figures agree with its children's
/// within a microsecond per row. A row that breaks this, and whose removal makes the tree
/// agree with itself again, cannot be CPython's (something wrote a well-formed fake row straight
/// to fd 2): it is set aside as foreign and reported as [`AnomalyKind::Spurious`]. Disagreements
/// that no single row explains (threads importing concurrently) stay as
/// [`AnomalyKind::Inconsistent`].
pub fn parse(text: &str) -> ImportTime {
    // Bounds keep a pathological stream (many threads importing at once) cheap to parse.
    const MAX_REMOVED: usize = 8;
    const MAX_CANDIDATES: usize = 64;
    let mut excluded: Vec<usize> = Vec::new();
    let mut removed: Vec<(usize, String)> = Vec::new();
    let mut current = parse_excluding(text, &excluded);
    while removed.len() < MAX_REMOVED {
        let bad = inconsistent(&current);
        if bad.is_empty() {
            break;
        }
        let mut candidates: Vec<NodeId> = Vec::new();
        for &id in &bad {
            candidates.push(id);
            candidates.extend(current.nodes[id].children.iter().copied());
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates.truncate(MAX_CANDIDATES);
        let mut best: Option<(usize, NodeId, ImportTime)> = None;
        for id in candidates {
            let mut trial_excluded = excluded.clone();
            trial_excluded.push(current.nodes[id].line);
            let trial = parse_excluding(text, &trial_excluded);
            let left = inconsistent(&trial).len();
            // The removal must repair *other* rows: a row whose own figures are merely odd
            // is not thereby fake.
            let others_before = bad.len() - usize::from(bad.contains(&id));
            if left < others_before && best.as_ref().is_none_or(|(b, _, _)| left < *b) {
                best = Some((left, id, trial));
            }
        }
        let Some((_, id, trial)) = best else { break };
        excluded.push(current.nodes[id].line);
        removed.push((current.nodes[id].line, current.nodes[id].name.clone()));
        current = trial;
    }
    for (line, name) in removed {
        current.anomalies.push(Anomaly {
            line,
            kind: AnomalyKind::Spurious { name },
        });
    }
    current.anomalies.sort_by_key(|a| a.line);
    current
}

/// Rounding slack of a parent's sum: one microsecond per row involved, plus one.
fn slack(children: usize) -> i64 {
    children as i64 + 2
}

/// `cumulative - self - sum(children's cumulative)` of a node.
fn discrepancy(it: &ImportTime, id: NodeId) -> i64 {
    let node = &it.nodes[id];
    let children: i64 = node
        .children
        .iter()
        .map(|&c| it.nodes[c].cumulative_us)
        .sum();
    node.cumulative_us - node.self_us - children
}

/// Nodes whose arithmetic fails.
fn inconsistent(it: &ImportTime) -> Vec<NodeId> {
    it.anomalies
        .iter()
        .filter_map(|a| match a.kind {
            AnomalyKind::Inconsistent { node, .. } => Some(node),
            _ => None,
        })
        .collect()
}

fn parse_excluding(text: &str, excluded_lines: &[usize]) -> ImportTime {
    let mut out = ImportTime::default();
    // Rows waiting for their parent, by depth. In a well-formed stream only the level just
    // below the next row is non-empty.
    let mut pending: Vec<Vec<NodeId>> = Vec::new();
    // Cached rows printed since the last regular row, in order.
    let mut gap: Vec<PendingCached> = Vec::new();
    // Depth of the previous regular row: the import stack cannot be shallower than this
    // until the next row is printed.
    let mut previous_depth: Option<usize> = None;

    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        // A row can arrive glued to the end of a foreign partial line (a program wrote to fd 2
        // without a newline). Recover it from the last occurrence of the prefix.
        let start = match line.find(PREFIX) {
            Some(0) => 0,
            Some(_) => {
                let at = line.rfind(PREFIX).unwrap_or(0);
                out.foreign.push((line_no, line[..at].to_string()));
                at
            }
            None => {
                out.foreign.push((line_no, line.to_string()));
                continue;
            }
        };
        if excluded_lines.contains(&line_no) {
            out.foreign.push((line_no, line[start..].to_string()));
            continue;
        }
        match classify(&line[start..]) {
            Line::Header => out.header_seen = true,
            Line::Malformed => out.anomalies.push(Anomaly {
                line: line_no,
                kind: AnomalyKind::MalformedRow {
                    text: line[start..].to_string(),
                },
            }),
            Line::Cached { spaces, name } => {
                // `"%*s"` right-aligns the name in 2*level columns: with padding the level is
                // exact; without, the name is at least as wide as the field.
                let (low, high, exact) = if spaces > 0 {
                    let level = (spaces + name.len()) / 2;
                    (level, level, true)
                } else {
                    (0, name.len() / 2, false)
                };
                out.cached.push(CachedRow {
                    name: name.to_string(),
                    line: line_no,
                    depth: low,
                    depth_exact: exact,
                    parent: None,
                });
                gap.push(PendingCached {
                    index: out.cached.len() - 1,
                    low: low.max(previous_depth.unwrap_or(0)),
                    high,
                    exact,
                    after: previous_depth,
                });
            }
            Line::Row {
                self_us,
                cumulative_us,
                spaces,
                name,
            } => {
                if spaces % 2 != 0 {
                    out.anomalies.push(Anomaly {
                        line: line_no,
                        kind: AnomalyKind::OddIndent { spaces },
                    });
                }
                if cumulative_us < self_us {
                    out.anomalies.push(Anomaly {
                        line: line_no,
                        kind: AnomalyKind::CumulativeBelowSelf,
                    });
                }
                let depth = spaces / 2;
                let id = out.nodes.len();
                // Everything waiting deeper than this row ran during it.
                let mut children: Vec<NodeId> = Vec::new();
                let mut skipped_level = false;
                for (level, waiting) in pending.iter_mut().enumerate().skip(depth + 1) {
                    if !waiting.is_empty() && level > depth + 1 {
                        skipped_level = true;
                    }
                    children.append(waiting);
                }
                children.sort_unstable();
                if skipped_level {
                    out.anomalies.push(Anomaly {
                        line: line_no,
                        kind: AnomalyKind::MissingLevel { adopted_by: id },
                    });
                }
                for &child in &children {
                    out.nodes[child].parent = Some(id);
                }
                out.nodes.push(Node {
                    name: name.to_string(),
                    self_us,
                    cumulative_us,
                    depth,
                    line: line_no,
                    parent: None,
                    children,
                });
                if pending.len() <= depth {
                    pending.resize_with(depth + 1, Vec::new);
                }
                pending[depth].push(id);
                settle_cached(&mut out, &mut gap, Some((id, depth)));
                previous_depth = Some(depth);
            }
        }
    }
    settle_cached(&mut out, &mut gap, None);
    // Resolve cached rows whose parent is a row printed later than the next one.
    resolve_cached_parents(&mut out);

    for (depth, waiting) in pending.iter().enumerate() {
        if depth > 0 && !waiting.is_empty() {
            out.anomalies.push(Anomaly {
                line: out.nodes[waiting[0]].line,
                kind: AnomalyKind::Unclosed { depth },
            });
        }
    }
    let mut roots: Vec<NodeId> = pending.into_iter().flatten().collect();
    roots.sort_unstable();
    out.roots = roots;
    for id in 0..out.nodes.len() {
        let off = discrepancy(&out, id);
        if off.abs() > slack(out.nodes[id].children.len()) {
            out.anomalies.push(Anomaly {
                line: out.nodes[id].line,
                kind: AnomalyKind::Inconsistent {
                    node: id,
                    discrepancy_us: off,
                },
            });
        }
    }
    out.anomalies.sort_by_key(|a| a.line);
    out
}

/// Fixes the depth of the cached rows printed since the last regular row.
///
/// Between two regular rows no import finishes, so the import stack only grows: the depths of
/// the cached rows in a gap are non-decreasing, at least the depth of the row before the gap and
/// at most one more than the depth of the row after it (which is either still inside the
/// importer, or the importer itself). If the stream ends, every open import has printed its row,
/// so the cached rows after the last row ran at top level. Rows without padding are ambiguous
/// within those bounds. Only a padded row can show that a fresh import started, so without one
/// the stack is assumed unchanged: an ambiguous row takes the depth of the cached row before it
/// in the same gap; the first of a gap takes one more than the regular row before the gap (the
/// statement ran in a module that started after that row finished, as `import os, sys` at the
/// top of a module body do). Such rows are marked `depth_exact: false`: a best effort.
fn settle_cached(
    out: &mut ImportTime,
    gap: &mut Vec<PendingCached>,
    next: Option<(NodeId, usize)>,
) {
    if gap.is_empty() {
        return;
    }
    let ceiling = next.map_or(0, |(_, depth)| depth + 1);
    // Later rows bound earlier ones from above.
    let mut bound = ceiling;
    for entry in gap.iter_mut().rev() {
        entry.high = entry.high.min(bound);
        bound = entry.high;
    }
    // Earlier rows bound later ones from below.
    let mut floor: Option<usize> = None;
    for entry in gap.iter() {
        let low = entry.low.max(floor.unwrap_or(0)).min(entry.high);
        let depth = if entry.exact {
            out.cached[entry.index].depth
        } else {
            // Absent a padded row showing that a fresh import started, assume none did.
            let guess = floor.or(entry.after.map(|d| d + 1)).unwrap_or(low);
            guess.clamp(low, entry.high)
        };
        floor = Some(depth);
        out.cached[entry.index].depth = depth;
    }
    gap.clear();
}

/// Gives each cached row its parent: the first regular row after it that is shallower than it.
fn resolve_cached_parents(out: &mut ImportTime) {
    // Walk rows and cached entries by line number; cached rows wait on a stack by depth.
    let mut waiting: Vec<usize> = Vec::new();
    let mut next_cached = 0;
    for id in 0..out.nodes.len() {
        let line = out.nodes[id].line;
        while next_cached < out.cached.len() && out.cached[next_cached].line < line {
            waiting.push(next_cached);
            next_cached += 1;
        }
        let depth = out.nodes[id].depth;
        waiting.retain(|&c| {
            if out.cached[c].depth > depth {
                out.cached[c].parent = Some(id);
                false
            } else {
                true
            }
        });
    }
}

impl ImportTime {
    /// The nearest ancestor of `id` whose row loaded a module (`loaded` as
    /// [`crate::runner::Run::loaded_nodes`] gives it): the import in progress when `id` ran.
    pub fn loaded_ancestor(&self, loaded: &[bool], id: NodeId) -> Option<NodeId> {
        let mut current = self.nodes[id].parent;
        while let Some(p) = current {
            if loaded[p] {
                return Some(p);
            }
            current = self.nodes[p].parent;
        }
        None
    }

    /// Nodes in pre-order (each import before the imports it made), roots in start order.
    pub fn preorder(&self) -> Vec<NodeId> {
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<NodeId> = self.roots.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            order.push(id);
            stack.extend(self.nodes[id].children.iter().rev());
        }
        order
    }

    /// Sum of the roots' cumulative times: the time spent importing, as importtime saw it.
    pub fn total_us(&self) -> i64 {
        self.roots
            .iter()
            .map(|&r| self.nodes[r].cumulative_us)
            .sum()
    }

    /// The module whose import statement caused `id` to load.
    ///
    /// `import a.b.c` loads `a.b.c`, whose import first loads its parent packages: importtime
    /// nests `a.b` under `a.b.c` and `a` under `a.b`. The module that wrote the statement is the
    /// nearest ancestor that is not a submodule of `id`.
    pub fn importer(&self, id: NodeId) -> Option<NodeId> {
        let name = &self.nodes[id].name;
        let mut current = self.nodes[id].parent;
        while let Some(parent) = current {
            let parent_name = &self.nodes[parent].name;
            let is_submodule = parent_name.len() > name.len()
                && parent_name.starts_with(name.as_str())
                && parent_name.as_bytes()[name.len()] == b'.';
            if !is_submodule {
                return Some(parent);
            }
            current = self.nodes[parent].parent;
        }
        None
    }

    /// Ancestors of `id` from the root down, `id` included.
    pub fn stack(&self, id: NodeId) -> Vec<NodeId> {
        let mut chain = vec![id];
        let mut current = self.nodes[id].parent;
        while let Some(parent) = current {
            chain.push(parent);
            current = self.nodes[parent].parent;
        }
        chain.reverse();
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(it: &ImportTime, ids: &[NodeId]) -> Vec<String> {
        ids.iter().map(|&i| it.nodes[i].name.clone()).collect()
    }

    #[test]
    fn rebuilds_post_order_rows_into_a_tree() {
        let text = "\
import time: self [us] | cumulative | imported package
import time:        10 |         10 |     c
import time:        20 |         30 |   b
import time:         5 |          5 |   d
import time:       100 |        135 | a
import time:         7 |          7 | e
";
        let it = parse(text);
        assert!(it.header_seen);
        assert!(it.anomalies.is_empty(), "{:?}", it.anomalies);
        assert_eq!(names(&it, &it.roots), ["a", "e"]);
        assert_eq!(names(&it, &it.preorder()), ["a", "b", "c", "d", "e"]);
        let a = it.roots[0];
        assert_eq!(names(&it, &it.nodes[a].children), ["b", "d"]);
        assert_eq!(it.total_us(), 142);
    }

    #[test]
    fn foreign_lines_do_not_break_nesting() {
        let text = "\
import time: self [us] | cumulative | imported package
Warning: something from a C extension
import time:        10 |         10 |   b
   indented foreign text | with | pipes
import time:       100 |        110 | a
";
        let it = parse(text);
        assert_eq!(it.foreign.len(), 2);
        assert_eq!(it.foreign[0].0, 2);
        assert_eq!(names(&it, &it.preorder()), ["a", "b"]);
    }

    #[test]
    fn row_glued_to_a_partial_foreign_line_is_recovered() {
        let text = "no newline hereimport time:        10 |         10 |   b\n\
                    import time:       100 |        110 | a\n";
        let it = parse(text);
        assert_eq!(it.foreign, vec![(1, "no newline here".to_string())]);
        assert_eq!(names(&it, &it.preorder()), ["a", "b"]);
    }

    #[test]
    fn negative_and_wide_values_parse_as_printed() {
        // A clock step can make a parent's self time negative; a slow import overflows the
        // 9- and 10-column fields.
        let text = "\
import time:       340 |        340 |   b
import time:       -12 |        328 | a
import time: 12345678901 | 12345678901 | w
";
        let it = parse(text);
        assert_eq!(it.nodes[1].self_us, -12);
        assert_eq!(it.nodes[2].self_us, 12_345_678_901);
        assert_eq!(it.nodes[2].cumulative_us, 12_345_678_901);
        assert!(it.anomalies.is_empty(), "{:?}", it.anomalies);
    }

    #[test]
    fn malformed_rows_are_reported_not_guessed() {
        let text = "\
import time:       abc |        340 |   b
import time:        10 | 20
import time:        10 |         20 |
import time:       100 |        100 | a
";
        let it = parse(text);
        assert_eq!(it.anomalies.len(), 3);
        assert!(it
            .anomalies
            .iter()
            .all(|a| matches!(a.kind, AnomalyKind::MalformedRow { .. })));
        assert_eq!(names(&it, &it.roots), ["a"]);
    }

    #[test]
    fn missing_intermediate_row_attaches_orphans_to_the_closing_row() {
        // `b` (depth 1) was lost: `c` at depth 2 is closed by `a` at depth 0.
        let text = "\
import time:        10 |         10 |     c
import time:       100 |        110 | a
";
        let it = parse(text);
        assert_eq!(names(&it, &it.preorder()), ["a", "c"]);
        assert!(matches!(
            it.anomalies[0].kind,
            AnomalyKind::MissingLevel { adopted_by: 1 }
        ));
    }

    #[test]
    fn truncated_stream_keeps_open_rows_as_roots() {
        let text = "import time:        10 |         10 |     c\n";
        let it = parse(text);
        assert_eq!(names(&it, &it.roots), ["c"]);
        assert!(matches!(
            it.anomalies[0].kind,
            AnomalyKind::Unclosed { depth: 2 }
        ));
    }

    #[test]
    fn fake_row_written_straight_to_fd2_is_set_aside() {
        // `noisy` wrote a well-formed row for `fake` while `app` was importing it; `app`'s
        // figures do not include it, which no CPython row can do.
        let text = "\
import time:        40 |         40 |     json
import time:      5000 |       5000 |   fake
import time:        60 |        100 |   noisy
import time:       200 |        300 | app
";
        let it = parse(text);
        assert_eq!(names(&it, &it.preorder()), ["app", "noisy", "json"]);
        assert_eq!(it.foreign.len(), 1);
        assert!(it.foreign[0].1.contains("fake"));
        assert_eq!(
            it.anomalies,
            [Anomaly {
                line: 2,
                kind: AnomalyKind::Spurious {
                    name: "fake".to_string()
                }
            }]
        );
    }

    #[test]
    fn rounding_within_a_microsecond_per_row_is_not_an_anomaly() {
        // CPython rounds each figure up: 3 children can put the sum off by a few microseconds.
        let text = "\
import time:        10 |         10 |   a
import time:        10 |         10 |   b
import time:        10 |         10 |   c
import time:       100 |        128 | p
";
        assert!(parse(text).anomalies.is_empty());
    }

    #[test]
    fn disagreement_that_no_single_row_explains_is_reported() {
        let text = "\
import time:        10 |         10 |   a
import time:       100 |        500 | p
";
        let it = parse(text);
        assert_eq!(
            it.anomalies[0].kind,
            AnomalyKind::Inconsistent {
                node: 1,
                discrepancy_us: 390
            }
        );
        assert_eq!(it.nodes.len(), 2);
    }

    #[test]
    fn odd_indent_and_cumulative_below_self_are_flagged() {
        let text = "\
import time:        10 |         10 |    c
import time:       100 |         50 | a
";
        let it = parse(text);
        let kinds: Vec<_> = it.anomalies.iter().map(|a| a.kind.clone()).collect();
        assert!(kinds.contains(&AnomalyKind::OddIndent { spaces: 3 }));
        assert!(kinds.contains(&AnomalyKind::CumulativeBelowSelf));
    }

    #[test]
    fn importer_skips_parent_packages_loaded_for_a_submodule() {
        let text = "\
import time:        10 |         10 |       email
import time:        20 |         30 |     email.mime
import time:        30 |         60 |   email.mime.text
import time:       100 |        160 | app
";
        let it = parse(text);
        let find = |n: &str| it.nodes.iter().position(|x| x.name == n).unwrap();
        let app = find("app");
        assert_eq!(it.importer(find("email")), Some(app));
        assert_eq!(it.importer(find("email.mime")), Some(app));
        assert_eq!(it.importer(find("email.mime.text")), Some(app));
        assert_eq!(it.importer(app), None);
        assert_eq!(
            names(&it, &it.stack(find("email"))),
            ["app", "email.mime.text", "email.mime", "email"]
        );
    }

    #[test]
    fn importer_does_not_mistake_a_prefix_for_a_package() {
        // `json` imported by `jsonschema` is not jsonschema's parent package.
        let text = "\
import time:        10 |         10 |   json
import time:       100 |        110 | jsonschema
";
        let it = parse(text);
        assert_eq!(it.importer(0), Some(1));
    }

    #[test]
    fn cached_rows_get_exact_depth_from_padding() {
        // 3.14 right-aligns in 2*level columns: `_io` at level 2 is padded to 4 columns.
        let text = "\
import time: cached    | cached     |  _io
import time:       151 |        151 |     _wmi
import time:     18290 |      18441 |   platform
import time:     10955 |      29396 | uuid
";
        let it = parse(text);
        let c = &it.cached[0];
        assert_eq!((c.depth, c.depth_exact), (2, true));
        assert_eq!(
            c.parent.map(|p| it.nodes[p].name.as_str()),
            Some("platform")
        );
    }

    #[test]
    fn cached_rows_of_a_module_with_only_cached_imports_belong_to_it() {
        // encodings.utf_8 runs `import codecs` (cached) and nothing fresh.
        let text = "\
import time:       540 |        540 | encodings
import time: cached    | cached     | codecs
import time:       120 |        120 | encodings.utf_8
";
        let it = parse(text);
        assert_eq!(it.cached[0].depth, 1);
        assert_eq!(
            it.cached[0].parent.map(|p| it.nodes[p].name.as_str()),
            Some("encodings.utf_8")
        );
    }

    #[test]
    fn cached_rows_without_padding_use_their_padded_neighbours() {
        // Under `platform` (level 2): `_io` is padded to 4 columns, `collections` (11) is not.
        let text = "\
import time:       100 |        100 | earlier
import time: cached    | cached     |  _io
import time: cached    | cached     | collections
import time: cached    | cached     |   os
import time:       151 |        151 |     _wmi
import time:     18290 |      18441 |   platform
import time: cached    | cached     | functools
import time:     10955 |      29396 | uuid
import time: cached    | cached     | sys
";
        let it = parse(text);
        let by_name = |n: &str| it.cached.iter().find(|c| c.name == n).unwrap().clone();
        assert_eq!(by_name("collections").depth, 2);
        assert_eq!(
            by_name("collections")
                .parent
                .map(|p| it.nodes[p].name.clone()),
            Some("platform".to_string())
        );
        // Between `platform` (1) and `uuid` (0): shallowest allowed is 1 -> imported by uuid.
        assert_eq!(by_name("functools").depth, 1);
        assert_eq!(
            by_name("functools")
                .parent
                .map(|p| it.nodes[p].name.clone()),
            Some("uuid".to_string())
        );
        // After the last row every import has finished: top level.
        assert_eq!(it.cached.iter().filter(|c| !c.depth_exact).count(), 3);
        assert_eq!(by_name("sys").depth, 0);
        assert_eq!(by_name("sys").parent, None);
    }
}
