//! A fresh manifest in the seed's exact format, for `fastpath init`.
//!
//! With the seed's own numbers it reproduces the seed's example byte for byte (a test holds
//! it to that): docstring with the criteria, `Last profiled` and the target; one section per
//! tier with annotations aligned at the seed's column; `__all__` one line per tier; HISTORY.

use crate::date::Date;
use crate::edit::annotation_text;
use crate::text::{format_ms, format_number};

/// One import of a manifest to render.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderEntry {
    /// Dotted module name; rendered as `import module`.
    pub module: String,
    /// 1 for lightweight imports, 2 for hot-path exceptions.
    pub tier: u32,
    pub ms: f64,
    /// `every request`, `95% usage`, or free words; `None` writes the cost alone.
    pub usage: Option<String>,
    /// The statement to write instead of `import module` (`from x import y`, `import a as b`),
    /// so that a manifest made from an entry binds the names the entry uses.
    pub statement: Option<String>,
    /// The names that statement binds, for `__all__`; empty means `module`'s top-level name.
    pub exports: Vec<String>,
}

impl RenderEntry {
    /// `import module` with its tier, cost and usage.
    pub fn import(module: impl Into<String>, tier: u32, ms: f64, usage: Option<String>) -> Self {
        RenderEntry {
            module: module.into(),
            tier,
            ms,
            usage,
            statement: None,
            exports: Vec::new(),
        }
    }

    fn statement(&self) -> String {
        self.statement
            .clone()
            .unwrap_or_else(|| format!("import {}", self.module))
    }
}

/// Everything a fresh manifest says.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSpec {
    /// A first comment line naming the file (`fast_path.py`), as the seed writes it.
    pub header: Option<String>,
    pub entries: Vec<RenderEntry>,
    /// `Last profiled:`, and the `PROFILED` date of tier 2 imports.
    pub profiled: Date,
    /// The docstring's `Import time <10ms` criterion.
    pub tier1_max_ms: f64,
    /// The docstring's `Used on >80% of requests` criterion, in percent.
    pub hot_path_min_usage_percent: f64,
    /// `Target cold start: <2 seconds`.
    pub cold_start_target_ms: f64,
    /// HISTORY lines, oldest first.
    pub history: Vec<(Date, String)>,
}

impl RenderSpec {
    /// A spec with the product's default policy (10 ms, 80 %, 2 s), the seed's header, and one
    /// HISTORY line saying the file was created.
    pub fn new(entries: Vec<RenderEntry>, profiled: Date) -> RenderSpec {
        let mut spec = RenderSpec {
            header: Some("fast_path.py".to_owned()),
            entries,
            profiled,
            tier1_max_ms: 10.0,
            hot_path_min_usage_percent: 80.0,
            cold_start_target_ms: 2000.0,
            history: Vec::new(),
        };
        spec.history = vec![(profiled, spec.initial_history_text())];
        spec
    }

    /// `Initial file, 5 imports, 55ms total`.
    pub fn initial_history_text(&self) -> String {
        let total: f64 = self.entries.iter().map(|entry| entry.ms).sum();
        let count = self.entries.len();
        format!(
            "Initial file, {count} import{}, {} total",
            if count == 1 { "" } else { "s" },
            format_ms(total)
        )
    }
}

/// The title of a tier heading: `Lightweight (<10ms)`, `Hot path exceptions (>10ms but >80%
/// usage)`.
pub(crate) fn tier_heading(tier: u32, max_ms: f64, usage: f64) -> String {
    match tier {
        1 => format!("Lightweight (<{}ms)", format_number(max_ms)),
        2 => format!(
            "Hot path exceptions (>{}ms but >{}% usage)",
            format_number(max_ms),
            format_number(usage)
        ),
        _ => "Other imports".to_owned(),
    }
}

fn cold_start_target(ms: f64) -> String {
    if ms >= 1000.0 && (ms / 100.0).fract() == 0.0 {
        let seconds = ms / 1000.0;
        format!(
            "<{} second{}",
            format_number(seconds),
            if seconds == 1.0 { "" } else { "s" }
        )
    } else {
        format!("<{}ms", format_number(ms))
    }
}

/// The seed's annotation column (0-based): `import json           # 0.8ms`.
const COMMENT_COLUMN: usize = 22;

/// Renders a manifest; lines end with `\n`.
pub fn render(spec: &RenderSpec) -> String {
    let mut out = String::new();
    if let Some(header) = &spec.header {
        out.push_str(&format!("# {header}\n"));
    }
    out.push_str(&format!(
        "\"\"\"\n\
         Fast Path: Minimum imports for cold start optimization.\n\
         \n\
         ONLY modules meeting criteria:\n\
         - Import time <{}ms, OR\n\
         - Used on >{}% of requests (hot path exception)\n\
         \n\
         Last profiled: {}\n\
         Target cold start: {}\n\
         \n\
         REVIEW REQUIRED for any changes to this file!\n\
         \"\"\"\n",
        format_number(spec.tier1_max_ms),
        format_number(spec.hot_path_min_usage_percent),
        spec.profiled,
        cold_start_target(spec.cold_start_target_ms),
    ));

    let mut tiers: Vec<u32> = spec.entries.iter().map(|entry| entry.tier).collect();
    tiers.sort_unstable();
    tiers.dedup();
    let column = spec
        .entries
        .iter()
        .map(|entry| entry.statement().chars().count() + 2)
        .max()
        .unwrap_or(0)
        .max(COMMENT_COLUMN);
    let mut all_lines = Vec::new();
    for &tier in &tiers {
        out.push_str(&format!(
            "\n# Tier {tier}: {}\n",
            tier_heading(tier, spec.tier1_max_ms, spec.hot_path_min_usage_percent)
        ));
        let mut names: Vec<String> = Vec::new();
        for entry in spec.entries.iter().filter(|entry| entry.tier == tier) {
            let statement = entry.statement();
            let profiled = (tier >= 2).then_some(spec.profiled);
            let annotation = annotation_text(Some(entry.ms), entry.usage.as_deref(), profiled);
            let pad = column - statement.chars().count();
            out.push_str(&format!("{statement}{}# {annotation}\n", " ".repeat(pad)));
            let bound: Vec<&str> = if entry.exports.is_empty() {
                vec![entry.module.split('.').next().unwrap_or(&entry.module)]
            } else {
                entry.exports.iter().map(String::as_str).collect()
            };
            for bound in bound {
                let quoted = format!("'{bound}'");
                let listed = all_lines.iter().flatten().any(|n: &String| *n == quoted);
                if !listed && !names.contains(&quoted) {
                    names.push(quoted);
                }
            }
        }
        all_lines.push(names);
    }

    out.push_str("\n# Export for easy import\n");
    let names: Vec<Vec<String>> = all_lines.into_iter().filter(|l| !l.is_empty()).collect();
    if names.is_empty() {
        out.push_str("__all__ = []\n");
    } else {
        out.push_str("__all__ = [\n");
        let mut lines = Vec::new();
        for group in names {
            // One line per tier, wrapped to stay readable.
            let mut line = String::new();
            for name in group {
                if !line.is_empty() && 4 + line.len() + 2 + name.len() + 1 > 88 {
                    lines.push(std::mem::take(&mut line));
                }
                if !line.is_empty() {
                    line.push_str(", ");
                }
                line.push_str(&name);
            }
            lines.push(line);
        }
        out.push_str(
            &lines
                .iter()
                .map(|line| format!("    {line}"))
                .collect::<Vec<_>>()
                .join(",\n"),
        );
        out.push_str("\n]\n");
    }

    if !spec.history.is_empty() {
        out.push_str("\n# HISTORY:\n");
        for (date, text) in &spec.history {
            out.push_str(&format!("# {date}: {text}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_like_the_seed() {
        assert_eq!(cold_start_target(2000.0), "<2 seconds");
        assert_eq!(cold_start_target(1000.0), "<1 second");
        assert_eq!(cold_start_target(1500.0), "<1.5 seconds");
        assert_eq!(cold_start_target(750.0), "<750ms");
    }

    #[test]
    fn long_module_names_push_the_comment_column() {
        let date = "2025-11-08".parse().unwrap();
        let spec = RenderSpec::new(
            vec![RenderEntry::import(
                "a_really_long_package.sub",
                1,
                2.0,
                None,
            )],
            date,
        );
        let text = render(&spec);
        assert!(text.contains("import a_really_long_package.sub  # 2.0ms\n"));
        assert!(text.contains("    'a_really_long_package'\n"));
    }

    #[test]
    fn other_statements_export_the_names_they_bind() {
        let date = "2025-11-08".parse().unwrap();
        let mut entry = RenderEntry::import("decimal", 1, 2.0, None);
        entry.statement = Some("from decimal import Decimal as D, ROUND_UP".to_owned());
        entry.exports = vec!["D".to_owned(), "ROUND_UP".to_owned()];
        let text = render(&RenderSpec::new(vec![entry], date));
        assert!(text.contains("from decimal import Decimal as D, ROUND_UP  # 2.0ms\n"));
        assert!(text.contains("    'D', 'ROUND_UP'\n"));
        let (manifest, diagnostics) = crate::Manifest::parse(text.as_bytes());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(manifest.all.unwrap().names.len(), 2);
    }
}
