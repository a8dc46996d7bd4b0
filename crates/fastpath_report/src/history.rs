//! `fastpath history`'s output: the recorded cold start over commits as a table per entry, as
//! `fastpath.history/1`, and the lines of its SVG chart (drawn by `fastpath_history::chart`).
//! The command reads the records; this file only renders them.

use std::io::{self, Write};

use fastpath_history::chart::{svg, Line};
use fastpath_history::store::Record;
use serde::Serialize;

#[derive(Serialize)]
struct JsonHistory<'a> {
    schema: &'static str,
    database: &'a str,
    records: &'a [Record],
}

/// `fastpath.history/1`: every record, oldest first.
pub fn render_json(records: &[Record], database: &str, out: &mut dyn Write) -> io::Result<()> {
    let json = JsonHistory {
        schema: "fastpath.history/1",
        database,
        records,
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)
}

/// The SVG chart of one entry's records: cold start, the entry's imports, and `modules`.
pub fn render_svg(entry: &str, rows: &[&Record], modules: &[String]) -> String {
    let labels: Vec<String> = rows.iter().map(|r| label(r)).collect();
    let mut lines = vec![
        Line {
            name: "cold start".into(),
            values: rows
                .iter()
                .map(|r| Some(r.cold_start_us / 1000.0))
                .collect(),
        },
        Line {
            name: format!("imports of {entry}"),
            values: rows.iter().map(|r| Some(r.imports_us / 1000.0)).collect(),
        },
    ];
    for m in modules {
        lines.push(Line {
            name: m.clone(),
            values: rows
                .iter()
                .map(|r| cost(r, m).map(|us| us / 1000.0))
                .collect(),
        });
    }
    svg(
        &format!("`{entry}`: cold start over the recorded history"),
        &labels,
        &lines,
    )
}

/// The modules to show: those asked for, else the three costliest of the latest record (the
/// entry itself left out: it is the imports column).
pub fn columns(rows: &[&Record], asked: &[String]) -> Vec<String> {
    if !asked.is_empty() {
        return asked.to_vec();
    }
    let Some(last) = rows.last() else {
        return Vec::new();
    };
    let mut costs: Vec<(&str, f64)> = last
        .modules
        .iter()
        .filter(|m| m.module != last.entry)
        .map(|m| (m.module.as_str(), m.cumulative_us))
        .collect();
    costs.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    costs
        .into_iter()
        .take(3)
        .map(|(name, _)| name.to_string())
        .collect()
}

fn cost(record: &Record, module: &str) -> Option<f64> {
    record
        .modules
        .iter()
        .find(|m| m.module == module)
        .map(|m| m.cumulative_us)
}

/// The commit (`+`: with uncommitted changes; `*`: a contended measurement).
fn label(r: &Record) -> String {
    let mut label = match &r.commit {
        Some(c) => format!("{}{}", &c[..7.min(c.len())], if r.dirty { "+" } else { "" }),
        None => format!("#{}", r.id),
    };
    if r.contended {
        label.push('*');
    }
    label
}

/// The table of one entry's records, with a column for each of `modules`.
pub fn render_table(
    out: &mut dyn Write,
    entry: &str,
    rows: &[&Record],
    modules: &[String],
    database: &str,
) -> io::Result<()> {
    let s = if rows.len() == 1 { "" } else { "s" };
    writeln!(
        out,
        "History of `{entry}` in {database}: {} record{s}",
        rows.len()
    )?;
    let mut header = format!(
        "{:>4}  {:<16}  {:<8}  {:<12}  {:>10}  {:>9}  {:>9}",
        "#", "recorded (UTC)", "commit", "branch", "cold start", "imports", "change"
    );
    for m in modules {
        header.push_str(&format!("  {:>10}", truncate(m, 18)));
    }
    writeln!(out, "{}", header.trim_end())?;
    let mut previous: Option<f64> = None;
    for r in rows {
        let when = r.recorded_at.replace('T', " ");
        let when = when.get(..16).unwrap_or(&when);
        let change = previous.map_or_else(String::new, |p| {
            format!("{:+.1} ms", (r.imports_us - p) / 1000.0)
        });
        let mut line = format!(
            "{:>4}  {:<16}  {:<8}  {:<12}  {:>7.1} ms  {:>6.1} ms  {:>9}",
            r.id,
            when,
            label(r),
            truncate(r.branch.as_deref().unwrap_or("-"), 12),
            r.cold_start_us / 1000.0,
            r.imports_us / 1000.0,
            change
        );
        for m in modules {
            line.push_str(&match cost(r, m) {
                Some(us) => format!("  {:>7.1} ms", us / 1000.0),
                None => format!("  {:>10}", "-"),
            });
        }
        writeln!(out, "{}", line.trim_end())?;
        previous = Some(r.imports_us);
    }
    if !modules.is_empty() {
        writeln!(
            out,
            "modules: cumulative cost (what importing them adds), median of each record's runs"
        )?;
    }
    if rows.iter().any(|r| r.contended) {
        writeln!(
            out,
            "*: measured while other processes slowed the runs; those figures may read high"
        )?;
    }
    Ok(())
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use fastpath_history::environment::Environment;

    use super::*;

    fn record(id: i64, imports_ms: f64, contended: bool) -> Record {
        Record {
            id,
            commit: Some(format!("{id:0>7}abcdef")),
            branch: Some("main".into()),
            dirty: false,
            recorded_at: "2026-12-01T09:30:00Z".into(),
            entry: "app".into(),
            environment: Environment {
                python_version: "3.11.7".into(),
                python_implementation: "cpython".into(),
                python_executable: "/usr/bin/python3".into(),
                platform: "linux-x86_64".into(),
                cpu: "cpu".into(),
            },
            runs: 10,
            imports_us: imports_ms * 1000.0,
            cold_start_us: imports_ms * 1000.0 + 11_000.0,
            contended,
            modules: Vec::new(),
        }
    }

    #[test]
    fn a_contended_record_is_marked_and_explained() {
        let (quiet, busy) = (record(1, 30.0, false), record(2, 41.5, true));
        let mut out = Vec::new();
        render_table(&mut out, "app", &[&quiet, &busy], &[], "history.db").unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[2].contains("0000001 ") && !lines[2].contains('*'),
            "{text}"
        );
        assert!(lines[3].contains("0000002*"), "{text}");
        assert!(
            lines[4].starts_with("*: measured while other processes"),
            "{text}"
        );
        let mut out = Vec::new();
        render_table(&mut out, "app", &[&quiet], &[], "history.db").unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("*:"));
    }
}
