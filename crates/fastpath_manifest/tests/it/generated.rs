//! Generated manifests: a seeded generator writes manifests in every form the format allows,
//! with the values it put in; each one must read back to those values, survive a no-op edit
//! byte for byte, and take each kind of edit changing only the lines that edit owns.
//!
//! A hand-rolled generator rather than proptest: deterministic, no extra build, and a failure
//! names its seed (re-run one with `FASTPATH_MANIFEST_SEED=<n>`).

use fastpath_manifest::{format_ms, Date, Manifest, NewImport};

use crate::diff::line_diff;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the generator wrote, to compare the reader against.
#[derive(Debug)]
struct Entry {
    /// The name to address it by (the bound name).
    name: String,
    tier: Option<u32>,
    /// The cost text written, when there is one.
    cost: Option<String>,
    profiled: Option<Date>,
}

struct Generated {
    text: String,
    eol: &'static str,
    entries: Vec<Entry>,
    history: usize,
    has_all: bool,
}

fn date(rng: &mut Rng) -> Date {
    Date::new(
        2024 + rng.below(3) as u16,
        1 + rng.below(12) as u8,
        1 + rng.below(28) as u8,
    )
    .unwrap()
}

fn generate(seed: u64) -> Generated {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let eol = *rng.pick(&["\n", "\r\n"]);
    let mut lines: Vec<String> = Vec::new();
    if rng.chance(30) {
        lines.push("# fast_path.py".into());
    }
    if rng.chance(85) {
        lines.push("\"\"\"".into());
        lines.push("Fast Path: Minimum imports for cold start optimization.".into());
        lines.push(String::new());
        lines.push("- Import time <10ms, OR".into());
        lines.push("- Used on >80% of requests (hot path exception)".into());
        lines.push(String::new());
        let key = rng.pick(&["Last profiled", "Last reviewed"]);
        lines.push(format!("{key}: {}", date(&mut rng)));
        let target_key = rng.pick(&["Target cold start", "Cold start target"]);
        let target = rng.pick(&["<2 seconds", "<2s", "< 2000 ms", "<1.5 seconds"]);
        lines.push(format!("{target_key}: {target}"));
        lines.push("\"\"\"".into());
    }
    let sectioned = rng.chance(80);
    let mut entries = Vec::new();
    let mut counter = 0;
    for tier in 1..=2u32 {
        if !sectioned && tier == 2 {
            break;
        }
        lines.push(String::new());
        if sectioned {
            lines.push(match tier {
                1 => "# Tier 1: Lightweight (<10ms)".into(),
                _ => "# Tier 2: Hot path exceptions (>10ms but >80% usage)".into(),
            });
        }
        for _ in 0..rng.below(5) {
            counter += 1;
            let module = format!("mod_{counter}");
            let (statement, name) = match rng.below(4) {
                0 => (format!("import {module}"), module.clone()),
                1 => (
                    format!("import pkg_{counter}.{module} as m{counter}"),
                    format!("m{counter}"),
                ),
                2 => (
                    format!("from pkg_{counter} import {module}"),
                    module.clone(),
                ),
                _ => (format!("from . import {module}"), module.clone()),
            };
            let ms = *rng.pick(&["0.8ms", "4.2ms", "15ms", "350ms", "<1ms", "12.5ms"]);
            let pct = 50 + rng.below(51);
            let day = date(&mut rng);
            let (annotation, cost, profiled) = match rng.below(8) {
                0 => (format!("{ms}, every request"), Some(ms), None),
                1 => (format!("{ms}, {pct}% usage"), Some(ms), None),
                2 => (
                    format!("{ms} but {pct}% usage - PROFILED {day}"),
                    Some(ms),
                    Some(day),
                ),
                3 => (
                    format!("{ms}, every request - PROFILED {day}"),
                    Some(ms),
                    Some(day),
                ),
                4 => (format!("{ms}, every request (TIER{tier})"), Some(ms), None),
                5 => (format!("{ms}, logging everywhere"), Some(ms), None),
                6 => (
                    format!("{ms} but {pct}% usage - HOT PATH EXCEPTION"),
                    Some(ms),
                    None,
                ),
                _ => (String::new(), None, None),
            };
            let pad = " ".repeat(1 + rng.below(12));
            if annotation.is_empty() {
                lines.push(statement);
            } else {
                lines.push(format!("{statement}{pad}# {annotation}"));
            }
            entries.push(Entry {
                name,
                tier: sectioned.then_some(tier),
                cost: cost.map(str::to_owned),
                profiled,
            });
        }
    }
    let has_all = rng.chance(85);
    if has_all {
        lines.push(String::new());
        let quote = *rng.pick(&["'", "\""]);
        let names: Vec<String> = entries
            .iter()
            .map(|e| format!("{quote}{}{quote}", e.name))
            .collect();
        let (open, close) = *rng.pick(&[("[", "]"), ("(", ")")]);
        match rng.below(3) {
            0 => {
                let mut inner = names.join(", ");
                if open == "(" && names.len() == 1 {
                    inner.push(',');
                }
                lines.push(format!("__all__ = {open}{inner}{close}"));
            }
            1 => {
                lines.push(format!("__all__ = {open}"));
                for name in &names {
                    lines.push(format!("    {name},"));
                }
                lines.push(close.into());
            }
            _ => {
                lines.push(format!("__all__ = {open}"));
                for chunk in names.chunks(3) {
                    lines.push(format!("    {},", chunk.join(", ")));
                }
                if let Some(last) = lines.last_mut() {
                    if !names.is_empty() && rng.chance(50) && open == "[" {
                        last.pop();
                    }
                }
                lines.push(close.into());
            }
        }
    }
    let history = rng.below(4);
    if history > 0 {
        lines.push(String::new());
        lines.push("# HISTORY:".into());
        for i in 0..history {
            lines.push(format!(
                "# {}: Change {i}, {} imports, 55ms total",
                date(&mut rng),
                i + 3
            ));
        }
    }
    let mut text = lines.join(eol);
    if rng.chance(85) {
        text.push_str(eol);
    }
    Generated {
        text,
        eol,
        entries,
        history,
        has_all,
    }
}

fn seeds() -> Vec<u64> {
    match std::env::var("FASTPATH_MANIFEST_SEED") {
        Ok(seed) => vec![seed.parse().expect("a number")],
        Err(_) => (0..400).collect(),
    }
}

fn parse_clean(seed: u64, bytes: &[u8]) -> Manifest {
    let (manifest, diagnostics) = Manifest::parse(bytes);
    assert!(
        diagnostics.is_empty(),
        "seed {seed}: {diagnostics:#?}\n{}",
        String::from_utf8_lossy(bytes)
    );
    manifest
}

/// Line endings kept: no bare LF in a CRLF file; the final newline present exactly when it
/// was.
fn check_layout(seed: u64, generated: &Generated, out: &[u8]) {
    if generated.eol == "\r\n" {
        let bare =
            out.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r') || out.first() == Some(&b'\n');
        assert!(
            !bare,
            "seed {seed}: bare LF in a CRLF file\n{}",
            String::from_utf8_lossy(out)
        );
    }
    assert_eq!(
        out.ends_with(generated.eol.as_bytes()),
        generated.text.ends_with(generated.eol),
        "seed {seed}: final newline changed"
    );
}

#[test]
fn generated_manifests_read_back_their_values() {
    for seed in seeds() {
        let generated = generate(seed);
        let manifest = parse_clean(seed, generated.text.as_bytes());
        assert_eq!(
            manifest.imports.len(),
            generated.entries.len(),
            "seed {seed}"
        );
        for (import, entry) in manifest.imports.iter().zip(&generated.entries) {
            assert!(import.names(&entry.name), "seed {seed}: {}", entry.name);
            assert_eq!(import.tier(&manifest), entry.tier, "seed {seed}");
            let annotation = import.annotation.as_ref();
            let cost = annotation.and_then(|a| a.cost.as_ref()).map(|c| {
                String::from_utf8_lossy(
                    &generated.text.as_bytes()[c.span.start as usize..c.span.end as usize],
                )
                .into_owned()
            });
            assert_eq!(cost, entry.cost, "seed {seed}");
            assert_eq!(
                annotation.and_then(|a| a.profiled.as_ref()).map(|p| p.date),
                entry.profiled,
                "seed {seed}"
            );
        }
        assert_eq!(manifest.all.is_some(), generated.has_all, "seed {seed}");
        if let Some(all) = &manifest.all {
            assert_eq!(all.names.len(), generated.entries.len(), "seed {seed}");
        }
        assert_eq!(
            manifest.history.as_ref().map_or(0, |h| h.entries.len()),
            generated.history,
            "seed {seed}"
        );
        assert_eq!(
            manifest.edit().finish().unwrap(),
            generated.text.as_bytes(),
            "seed {seed}"
        );
    }
}

/// Applies an edit, checks the result reads cleanly with the layout kept, and that the same
/// edit on the result is a no-op.
fn edit_twice(
    seed: u64,
    generated: &Generated,
    edit: &dyn Fn(&mut fastpath_manifest::Editor<'_>),
) -> (Vec<u8>, Manifest) {
    let manifest = parse_clean(seed, generated.text.as_bytes());
    let mut editor = manifest.edit();
    edit(&mut editor);
    let out = editor.finish().unwrap();
    check_layout(seed, generated, &out);
    let after = parse_clean(seed, &out);
    let mut editor = after.edit();
    edit(&mut editor);
    assert_eq!(editor.finish().unwrap(), out, "seed {seed}: not idempotent");
    (out, after)
}

#[test]
fn generated_cost_and_date_edits_touch_one_line() {
    let mut spliced = 0;
    for seed in seeds() {
        let generated = generate(seed);
        if generated.entries.is_empty() {
            continue;
        }
        let mut rng = Rng(seed + 7);
        let target = rng.below(generated.entries.len());
        let name = generated.entries[target].name.clone();
        let ms = [0.3, 7.77, 42.0, 1234.0][rng.below(4)];
        let day = Date::new(2026, 2, 28).unwrap();
        let (out, after) = edit_twice(seed, &generated, &|e| {
            e.set_cost(&name, ms).unwrap();
            e.set_profiled(&name, day).unwrap();
        });
        let before = parse_clean(seed, generated.text.as_bytes());
        let line = before.import(&name).unwrap().span.line as usize;
        // Where the cost and the date were already written, the output is the input with
        // exactly those two spans replaced: every other byte is the same.
        let old = before.import(&name).unwrap().annotation.as_ref();
        if let Some((cost, profiled)) =
            old.and_then(|a| Some((a.cost.as_ref()?.span, a.profiled.as_ref()?.date_span)))
        {
            let bytes = generated.text.as_bytes();
            let mut expected = bytes[..cost.start as usize].to_vec();
            expected.extend_from_slice(format_ms(ms).as_bytes());
            expected.extend_from_slice(&bytes[cost.end as usize..profiled.start as usize]);
            expected.extend_from_slice(day.to_string().as_bytes());
            expected.extend_from_slice(&bytes[profiled.end as usize..]);
            assert_eq!(out, expected, "seed {seed}");
            spliced += 1;
        }
        let (removed, added) = line_diff(generated.text.as_bytes(), &out);
        assert_eq!(removed, vec![line], "seed {seed}");
        assert_eq!(added.len(), 1, "seed {seed}");
        let annotation = after.import(&name).unwrap().annotation.as_ref().unwrap();
        let cost = annotation.cost.as_ref().unwrap().span;
        assert_eq!(
            &out[cost.start as usize..cost.end as usize],
            format_ms(ms).as_bytes()
        );
        assert_eq!(annotation.profiled.as_ref().unwrap().date, day);
        for (a, b) in before.imports.iter().zip(&after.imports) {
            if !a.names(&name) {
                assert_eq!(
                    a.annotation.as_ref().map(|x| &x.text),
                    b.annotation.as_ref().map(|x| &x.text)
                );
            }
        }
    }
    // The generator must keep producing the case the byte-exact check covers.
    assert!(
        seeds().len() == 1 || spliced > 20,
        "only {spliced} byte-exact checks ran"
    );
}

#[test]
fn generated_history_and_review_date_edits() {
    for seed in seeds() {
        let generated = generate(seed);
        let day = Date::new(2026, 3, 1).unwrap();
        let (out, after) = edit_twice(seed, &generated, &|e| {
            e.append_history(day, "Monthly review, 3 imports, 20ms total")
                .unwrap();
            e.set_last_profiled(day);
        });
        assert_eq!(
            after.history.as_ref().unwrap().entries.len(),
            generated.history + 1,
            "seed {seed}"
        );
        assert_eq!(
            after.history.as_ref().unwrap().entries.last().unwrap().date,
            day
        );
        assert_eq!(after.last_profiled(), Some(day), "seed {seed}");
        let (removed, _) = line_diff(generated.text.as_bytes(), &out);
        let before = parse_clean(seed, generated.text.as_bytes());
        let review_line = before
            .docstring
            .as_ref()
            .and_then(|d| d.last_profiled.as_ref().or(d.last_reviewed.as_ref()))
            .map(|k| k.span.line as usize);
        // Only the review-date line is replaced (and, without a final newline, the old last
        // line gains one).
        for line in &removed {
            let last_line = generated.text.lines().count();
            assert!(
                Some(*line) == review_line || *line == last_line,
                "seed {seed}: line {line} changed\n{}",
                String::from_utf8_lossy(&out)
            );
        }
        assert_eq!(after.imports.len(), before.imports.len());
    }
}

#[test]
fn generated_add_and_remove_keep_all_in_sync() {
    for seed in seeds() {
        let generated = generate(seed);
        let mut rng = Rng(seed + 11);
        let tier = 1 + rng.below(3) as u32;
        let add = NewImport {
            module: "added_mod".into(),
            alias: None,
            tier,
            ms: Some(3.0),
            usage: Some("every request".into()),
            profiled: None,
        };
        let remove = (!generated.entries.is_empty()).then(|| {
            generated.entries[rng.below(generated.entries.len())]
                .name
                .clone()
        });
        let (out, after) = edit_twice(seed, &generated, &|e| {
            e.add_import(add.clone()).unwrap();
            if let Some(name) = &remove {
                e.remove_import(name);
            }
        });
        let added = after
            .import("added_mod")
            .unwrap_or_else(|| panic!("seed {seed}"));
        let sectioned = generated.entries.iter().any(|e| e.tier.is_some())
            || !parse_clean(seed, generated.text.as_bytes())
                .sections
                .is_empty();
        if sectioned {
            assert_eq!(
                added.tier(&after),
                Some(tier),
                "seed {seed}\n{}",
                String::from_utf8_lossy(&out)
            );
        }
        if let Some(name) = &remove {
            assert!(after.import(name).is_none(), "seed {seed}");
        }
        assert_eq!(
            after.imports.len(),
            generated.entries.len() + 1 - usize::from(remove.is_some())
        );
        if let Some(all) = &after.all {
            let mut listed: Vec<&str> = all.names.iter().map(|n| n.name.as_str()).collect();
            let mut bound: Vec<&str> = after
                .imports
                .iter()
                .flat_map(|i| &i.items)
                .map(|i| i.bound.as_str())
                .collect();
            listed.sort_unstable();
            bound.sort_unstable();
            assert_eq!(
                listed,
                bound,
                "seed {seed}\n{}",
                String::from_utf8_lossy(&out)
            );
        }
        // Nothing else moved: every line of the input is still there except the removed
        // import's and `__all__`'s.
        let (removed_lines, _) = line_diff(generated.text.as_bytes(), &out);
        let before = parse_clean(seed, generated.text.as_bytes());
        let allowed = |line: usize| {
            let in_all = before.all.as_ref().is_some_and(|a| {
                let last = a.span.line as usize
                    + generated.text[a.value_span.start as usize..a.value_span.end as usize]
                        .lines()
                        .count();
                line >= a.span.line as usize && line <= last
            });
            let removed_import = remove
                .as_ref()
                .is_some_and(|name| before.import(name).unwrap().span.line as usize == line);
            let last_line = line == generated.text.lines().count();
            in_all || removed_import || last_line
        };
        for line in removed_lines {
            assert!(
                allowed(line),
                "seed {seed}: line {line} changed\n{}",
                String::from_utf8_lossy(&out)
            );
        }
    }
}
