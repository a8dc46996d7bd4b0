//! Editing: each edit changes only its own bytes, keeps line endings and encoding, and is a
//! no-op the second time.

use fastpath_manifest::{
    render, Date, EditError, Editor, Manifest, NewImport, RenderEntry, RenderSpec,
};

use crate::diff::line_diff;
use crate::{fixture, parse_clean};

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

/// Applies `edit` to `bytes`, checks the result reads cleanly, and that applying the same edit
/// to the result changes nothing.
fn apply(bytes: &[u8], edit: impl Fn(&mut Editor<'_>)) -> Vec<u8> {
    let manifest = parse_clean(bytes);
    let mut editor = manifest.edit();
    edit(&mut editor);
    let out = editor.finish().unwrap();
    let again = parse_clean(&out);
    let mut editor = again.edit();
    edit(&mut editor);
    assert_eq!(
        String::from_utf8_lossy(&editor.finish().unwrap()),
        String::from_utf8_lossy(&out),
        "the edit is not idempotent"
    );
    out
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn no_edits_change_nothing() {
    for (name, bytes) in crate::all_fixtures() {
        let (manifest, _) = Manifest::parse(&bytes);
        assert_eq!(manifest.edit().finish().unwrap(), bytes, "{name}");
    }
}

#[test]
fn set_usage_rewrites_the_usage_words_from_evidence() {
    let seed = fixture("seed.py");
    let out = apply(&seed, |e| {
        e.set_usage("cache_core", "30% of requests").unwrap();
    });
    assert_eq!(
        line_diff(&seed, &out),
        (
            vec![22],
            vec!["import cache_core     # 35ms, 30% of requests - PROFILED 2025-11-08\n".into()]
        )
    );
    // With the cost rewritten at the same time, both parts change and nothing else.
    let out = apply(&seed, |e| {
        e.set_cost("cache_core", 0.4).unwrap();
        e.set_usage("cache_core", "30% of requests").unwrap();
    });
    assert_eq!(
        line_diff(&seed, &out).1,
        ["import cache_core     # 0.4ms, 30% of requests - PROFILED 2025-11-08\n"]
    );
    // No usage written: it goes after the cost; no annotation: one is added.
    let bare = b"import a  # 12ms - PROFILED 2025-11-08\nimport b\n\n__all__ = ['a', 'b']\n";
    let out = apply(bare, |e| {
        e.set_usage("a", "85% of requests").unwrap();
        e.set_usage("b", "every request").unwrap();
    });
    assert_eq!(
        text(&out),
        "import a  # 12ms, 85% of requests - PROFILED 2025-11-08\nimport b  # every request\n\n__all__ = ['a', 'b']\n"
    );
    let manifest = parse_clean(bare);
    assert!(manifest.edit().set_usage("a", "x\ny").is_err());
    assert!(manifest.edit().set_usage("zzz", "1%").is_err());
}

#[test]
fn set_cost_replaces_only_the_cost() {
    let seed = fixture("seed.py");
    let out = apply(&seed, |e| {
        e.set_cost("gateway", 18.34).unwrap();
    });
    assert_eq!(
        line_diff(&seed, &out),
        (
            vec![21],
            vec!["import gateway        # 18ms, every request - PROFILED 2025-11-08\n".into()]
        )
    );
}

#[test]
fn monthly_update_touches_annotations_dates_and_one_history_line() {
    let seed = fixture("seed.py");
    let review = date("2025-12-08");
    let costs = [
        ("json", 0.9),
        ("time", 0.4),
        ("logging", 3.87),
        ("gateway", 16.2),
        ("cache_core", 31.0),
    ];
    let out = apply(&seed, |e| {
        for (name, ms) in costs {
            e.set_cost(name, ms).unwrap();
        }
        e.set_profiled("gateway", review).unwrap();
        e.set_profiled("cache_core", review).unwrap();
        e.set_last_profiled(review);
        e.append_history(review, "Monthly review, 5 imports, 52ms total")
            .unwrap();
    });
    let (removed, added) = line_diff(&seed, &out);
    // `time` kept its cost, so its line is untouched.
    assert_eq!(removed, vec![9, 16, 18, 21, 22]);
    assert_eq!(added.len(), 6);
    insta::assert_snapshot!("monthly_update", text(&out));
}

#[test]
fn cost_and_date_added_where_missing() {
    let input = b"import a  # every request\nimport b\nimport c  # noqa: F401\nimport d  # (TIER1)\nimport e  # PROFILED 2025-01-01\nimport f  # <1ms, every request (TIER1)\n";
    let out = apply(input, |e| {
        for name in ["a", "b", "c", "d", "e", "f"] {
            e.set_cost(name, 2.0).unwrap();
        }
        for name in ["b", "d", "f"] {
            e.set_profiled(name, date("2025-11-08")).unwrap();
        }
    });
    assert_eq!(
        text(&out),
        "import a  # 2.0ms, every request\n\
         import b  # 2.0ms - PROFILED 2025-11-08\n\
         import c  # 2.0ms  # noqa: F401\n\
         import d  # 2.0ms - PROFILED 2025-11-08 (TIER1)\n\
         import e  # 2.0ms - PROFILED 2025-01-01\n\
         import f  # 2.0ms, every request - PROFILED 2025-11-08 (TIER1)\n"
    );
}

#[test]
fn malformed_cost_is_replaced_not_kept() {
    let input = b"import json  # abcms, every request\n";
    let (manifest, diagnostics) = Manifest::parse(input);
    assert_eq!(diagnostics.len(), 1);
    let mut editor = manifest.edit();
    editor.set_cost("json", 0.8).unwrap();
    assert_eq!(
        text(&editor.finish().unwrap()),
        "import json  # 0.8ms, every request\n"
    );
}

#[test]
fn unknown_import_is_an_error() {
    let manifest = parse_clean(&fixture("seed.py"));
    let mut editor = manifest.edit();
    assert_eq!(
        editor.set_cost("pandas", 1.0).unwrap_err(),
        EditError::UnknownImport {
            name: "pandas".into()
        }
    );
}

#[test]
fn last_reviewed_is_updated_as_the_review_date() {
    let variants = fixture("variants.py");
    let out = apply(&variants, |e| {
        e.set_last_profiled(date("2025-12-01"));
    });
    let (removed, added) = line_diff(&variants, &out);
    assert_eq!(removed, vec![8]);
    assert_eq!(added, vec!["Last reviewed: 2025-12-01\n".to_string()]);
}

#[test]
fn last_profiled_line_added_to_a_docstring_without_one() {
    let out = apply(b"\"\"\"\nFast path.\n\"\"\"\nimport json\n", |e| {
        e.set_last_profiled(date("2025-11-08"));
    });
    assert_eq!(
        text(&out),
        "\"\"\"\nFast path.\nLast profiled: 2025-11-08\n\"\"\"\nimport json\n"
    );
    let out = apply(b"\"\"\"Fast path.\"\"\"\n", |e| {
        e.set_last_profiled(date("2025-11-08"));
    });
    assert_eq!(
        text(&out),
        "\"\"\"Fast path.\n\nLast profiled: 2025-11-08\n\"\"\"\n"
    );
    let out = apply(b"# fast_path.py\nimport json\n", |e| {
        e.set_last_profiled(date("2025-11-08"));
    });
    assert_eq!(
        text(&out),
        "# fast_path.py\n\"\"\"\nLast profiled: 2025-11-08\n\"\"\"\n\nimport json\n"
    );
}

/// A file of comments whose tier heading receives an import: the new docstring goes above the
/// import, where it is still the module's docstring, so the edit is idempotent.
#[test]
fn new_docstring_goes_above_an_import_added_to_a_file_of_comments() {
    let before = b"# Tier 1: Critical\n# (nothing yet)\n";
    let edit = |e: &mut Editor<'_>| {
        e.set_last_profiled(date("2025-11-08"));
        e.add_import(new_import("json", 1, 0.9)).unwrap();
    };
    let out = apply(before, edit);
    assert_eq!(
        text(&out),
        "\"\"\"\nLast profiled: 2025-11-08\n\"\"\"\n\n# Tier 1: Critical\nimport json           # 0.9ms, every request\n# (nothing yet)\n"
    );
    assert_eq!(apply(&out, edit), out);
}

/// The encoding declaration (and a shebang) keep the first lines: a new docstring goes below.
#[test]
fn new_docstring_stays_below_the_encoding_declaration() {
    let edit = |e: &mut Editor<'_>| {
        e.set_last_profiled(date("2025-11-08"));
        e.add_import(new_import("json", 1, 0.9)).unwrap();
    };
    let out = apply(b"#!/usr/bin/env python3\n# -*- coding: latin-1 -*-", edit);
    assert_eq!(
        text(&out),
        "#!/usr/bin/env python3\n# -*- coding: latin-1 -*-\n\"\"\"\nLast profiled: 2025-11-08\n\"\"\"\n\nimport json           # 0.9ms, every request"
    );
    assert_eq!(apply(&out, edit), out);
}

#[test]
fn history_appended_to_the_block_or_a_new_one() {
    let seed = fixture("seed.py");
    let out = apply(&seed, |e| {
        e.append_history(date("2025-12-08"), "Monthly review, 55ms total")
            .unwrap();
    });
    assert_eq!(
        line_diff(&seed, &out),
        (
            vec![],
            vec!["# 2025-12-08: Monthly review, 55ms total\n".into()]
        )
    );
    assert!(out.ends_with(b"# 2025-12-08: Monthly review, 55ms total\n"));

    let out = apply(b"import json\n", |e| {
        e.append_history(date("2025-12-08"), "Created").unwrap();
    });
    assert_eq!(
        text(&out),
        "import json\n\n# HISTORY:\n# 2025-12-08: Created\n"
    );
    let out = apply(b"import json", |e| {
        e.append_history(date("2025-12-08"), "Created").unwrap();
    });
    assert_eq!(
        text(&out),
        "import json\n\n# HISTORY:\n# 2025-12-08: Created"
    );
    let out = apply(b"import json\n\n", |e| {
        e.append_history(date("2025-12-08"), "Created").unwrap();
    });
    assert_eq!(
        text(&out),
        "import json\n\n# HISTORY:\n# 2025-12-08: Created\n"
    );
}

#[test]
fn history_after_a_wrapped_entry() {
    let variants = fixture("variants.py");
    let out = apply(&variants, |e| {
        e.append_history(date("2025-12-01"), "Review").unwrap();
    });
    assert!(
        text(&out).ends_with("#             showed 90% usage, 370ms total\n# 2025-12-01: Review\n")
    );
}

#[test]
fn history_text_must_be_one_line() {
    let manifest = parse_clean(b"import json\n");
    assert!(matches!(
        manifest.edit().append_history(date("2025-12-01"), "a\nb"),
        Err(EditError::MultilineText { .. })
    ));
}

fn new_import(module: &str, tier: u32, ms: f64) -> NewImport {
    NewImport {
        module: module.into(),
        alias: None,
        tier,
        ms: Some(ms),
        usage: Some("every request".into()),
        profiled: (tier > 1).then(|| date("2025-11-08")),
    }
}

#[test]
fn add_import_goes_to_its_section_and_into_all() {
    let seed = fixture("seed.py");
    let out = apply(&seed, |e| {
        e.add_import(new_import("uuid", 1, 1.1)).unwrap();
        e.add_import(new_import("auth", 2, 22.0)).unwrap();
    });
    let (removed, added) = line_diff(&seed, &out);
    assert_eq!(removed, vec![27]);
    assert_eq!(
        added,
        vec![
            "import uuid           # 1.1ms, every request\n".to_string(),
            "import auth           # 22ms, every request - PROFILED 2025-11-08\n".into(),
            "    'gateway', 'cache_core', 'uuid', 'auth'\n".into(),
        ]
    );
    let manifest = parse_clean(&out);
    assert_eq!(manifest.import("uuid").unwrap().tier(&manifest), Some(1));
    assert_eq!(manifest.import("auth").unwrap().tier(&manifest), Some(2));
}

#[test]
fn add_import_creates_a_missing_section() {
    let input = b"# Tier 1: Lightweight (<10ms)\nimport json           # 0.8ms, every request\n\n__all__ = ['json']\n";
    let out = apply(input, |e| {
        e.add_import(new_import("gateway", 2, 15.0)).unwrap();
        e.add_import(new_import("cache_core", 2, 35.0)).unwrap();
    });
    assert_eq!(
        text(&out),
        "# Tier 1: Lightweight (<10ms)\n\
         import json           # 0.8ms, every request\n\
         \n\
         # Tier 2: Hot path exceptions (>10ms but >80% usage)\n\
         import gateway        # 15ms, every request - PROFILED 2025-11-08\n\
         import cache_core     # 35ms, every request - PROFILED 2025-11-08\n\
         \n\
         __all__ = ['json', 'gateway', 'cache_core']\n"
    );
    let out = apply(&out, |e| {
        e.add_import(new_import("uuid", 1, 1.0)).unwrap();
    });
    let manifest = parse_clean(&out);
    assert_eq!(manifest.import("uuid").unwrap().tier(&manifest), Some(1));
    assert_eq!(manifest.import("uuid").unwrap().span.line, 3);
}

#[test]
fn add_import_keeps_the_style_of_all() {
    // One name per line with a trailing comma: a new line with the same indent and quotes.
    let input = b"import json  # 1ms\n__all__ = [\n    \"json\",\n]\n";
    let out = apply(input, |e| {
        e.add_import(new_import("time", 1, 1.0)).unwrap();
    });
    assert_eq!(
        text(&out),
        "import json  # 1ms\nimport time  # 1.0ms, every request\n__all__ = [\n    \"json\",\n    \"time\",\n]\n"
    );
    // A one-element tuple keeps being a tuple.
    let out = apply(b"import json\n__all__ = ('json',)\n", |e| {
        e.add_import(new_import("time", 1, 1.0)).unwrap();
    });
    assert!(text(&out).ends_with("__all__ = ('json', 'time',)\n"));
    let out = apply(b"__all__ = ()\n", |e| {
        e.add_import(new_import("time", 1, 1.0)).unwrap();
    });
    assert!(
        text(&out).ends_with("__all__ = ('time',)\n"),
        "{}",
        text(&out)
    );
}

#[test]
fn remove_import_deletes_its_line_and_its_name() {
    let seed = fixture("seed.py");
    let out = apply(&seed, |e| {
        e.remove_import("time");
        e.remove_import("cache_core");
    });
    let (removed, added) = line_diff(&seed, &out);
    assert_eq!(removed, vec![17, 22, 26, 27]);
    assert_eq!(
        added,
        vec![
            "    'json', 'logging',\n".to_string(),
            "    'gateway'\n".into()
        ]
    );
    let out = apply(&seed, |e| {
        e.remove_import("gateway");
        e.remove_import("cache_core");
    });
    let (removed, added) = line_diff(&seed, &out);
    assert_eq!(removed, vec![21, 22, 27]);
    assert!(added.is_empty());
}

#[test]
fn remove_one_name_of_a_multi_import() {
    let variants = fixture("variants.py");
    let out = apply(&variants, |e| {
        e.remove_import("re");
        e.remove_import("tz");
    });
    let (removed, added) = line_diff(&variants, &out);
    assert_eq!(removed, vec![15, 17, 23]);
    assert_eq!(
        added,
        vec![
            "import base64            # 2ms, >80%\n".to_string(),
            "from datetime import datetime  # 0.9ms, every request\n".into(),
            "__all__ = ('json', 'osp', 'base64', 'config', 'datetime',\n".into(),
        ]
    );
}

#[test]
fn remove_then_add_in_one_edit() {
    let seed = fixture("seed.py");
    let out = apply(&seed, |e| {
        e.remove_import("cache_core");
        e.add_import(new_import("cache", 2, 30.0)).unwrap();
    });
    let manifest = parse_clean(&out);
    let names: Vec<_> = manifest
        .all
        .as_ref()
        .unwrap()
        .names
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, vec!["json", "time", "logging", "gateway", "cache"]);
    assert!(manifest.import("cache_core").is_none());
}

#[test]
fn non_literal_all_refuses_to_go_out_of_sync() {
    let (manifest, _) = Manifest::parse(b"import json\n__all__ = ['json'] + EXTRA\n");
    let mut editor = manifest.edit();
    editor.add_import(new_import("time", 1, 1.0)).unwrap();
    assert_eq!(
        editor.finish().unwrap_err(),
        EditError::DunderAllNotLiteral { line: 2 }
    );
}

#[test]
fn crlf_stays_crlf() {
    let crlf = fixture("crlf.py");
    let out = apply(&crlf, |e| {
        e.set_cost("json", 1.0).unwrap();
        e.add_import(new_import("uuid", 1, 1.1)).unwrap();
        e.add_import(new_import("auth", 3, 40.0)).unwrap();
        e.remove_import("time");
        e.append_history(date("2025-12-08"), "Review").unwrap();
    });
    let bare_lf = out
        .windows(2)
        .filter(|w| w[1] == b'\n' && w[0] != b'\r')
        .count();
    assert_eq!(bare_lf, 0, "{}", text(&out));
    assert!(!out.starts_with(b"\n"));
    // The same edits on the LF twin give the same text with LF.
    let lf = apply(&fixture("seed.py"), |e| {
        e.set_cost("json", 1.0).unwrap();
        e.add_import(new_import("uuid", 1, 1.1)).unwrap();
        e.add_import(new_import("auth", 3, 40.0)).unwrap();
        e.remove_import("time");
        e.append_history(date("2025-12-08"), "Review").unwrap();
    });
    assert_eq!(text(&out).replace("\r\n", "\n"), text(&lf));
}

#[test]
fn missing_final_newline_stays_missing() {
    let bytes = fixture("no_final_newline.py");
    let out = apply(&bytes, |e| {
        e.append_history(date("2025-12-08"), "Review").unwrap();
        e.remove_import("cache_core");
    });
    assert!(text(&out).ends_with("# 2025-12-08: Review"));
    let out = apply(b"import json  # 1ms\nimport time  # 1ms", |e| {
        e.remove_import("time");
    });
    assert_eq!(text(&out), "import json  # 1ms");
}

#[test]
fn latin1_edits_stay_latin1() {
    let bytes = fixture("latin1.py");
    let out = apply(&bytes, |e| {
        e.set_cost("json", 0.7).unwrap();
        e.append_history(date("2025-12-08"), "Révision mensuelle")
            .unwrap();
    });
    assert!(std::str::from_utf8(&out).is_err());
    let (removed, added) = line_diff(&bytes, &out);
    assert_eq!(removed, vec![10]);
    assert_eq!(added.len(), 2);
    assert!(out.ends_with(b"# 2025-12-08: R\xe9vision mensuelle\n"));
    let manifest = parse_clean(&out);
    assert_eq!(
        manifest
            .import("json")
            .unwrap()
            .annotation
            .as_ref()
            .unwrap()
            .text,
        "0.7ms, requêtes partout"
    );

    let manifest = parse_clean(&bytes);
    let mut editor = manifest.edit();
    editor
        .append_history(date("2025-12-08"), "→ arrow")
        .unwrap();
    assert!(matches!(
        editor.finish().unwrap_err(),
        EditError::Unencodable { .. }
    ));
}

#[test]
fn bytes_that_do_not_map_back_refuse_edits_but_not_reads() {
    // Invalid in the declared encoding: the text has U+FFFD where the file has other bytes.
    let bytes = b"# coding: shift_jis\nimport json  # 1ms \x81\n";
    let (manifest, diagnostics) = Manifest::parse(bytes);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(manifest.edit().finish().unwrap(), bytes);
    let mut editor = manifest.edit();
    editor.set_cost("json", 2.0).unwrap();
    assert!(matches!(
        editor.finish().unwrap_err(),
        EditError::NotEditable { .. }
    ));
}

#[test]
fn invalid_utf8_without_cookie_is_still_edited_in_place() {
    let bytes = b"import json  # 1ms, caf\xe9\n";
    let (manifest, diagnostics) = Manifest::parse(bytes);
    assert_eq!(diagnostics.len(), 1);
    let mut editor = manifest.edit();
    editor.set_cost("json", 2.0).unwrap();
    assert_eq!(editor.finish().unwrap(), b"import json  # 2.0ms, caf\xe9\n");
}

#[test]
fn renderer_reproduces_the_seed_example() {
    let entry = |module: &str, tier, ms, usage: &str| {
        RenderEntry::import(module, tier, ms, Some(usage.into()))
    };
    let mut spec = RenderSpec::new(
        vec![
            entry("json", 1, 0.8, "every request"),
            entry("time", 1, 0.4, "timing operations"),
            entry("logging", 1, 4.2, "logging everywhere"),
            entry("gateway", 2, 15.0, "every request"),
            entry("cache_core", 2, 35.0, "every request"),
        ],
        date("2025-11-08"),
    );
    assert_eq!(spec.history[0].1, "Initial file, 5 imports, 55ms total");
    spec.history = vec![
        (
            date("2025-10-01"),
            "Initial file, 5 imports, 55ms total".into(),
        ),
        (
            date("2025-11-08"),
            "Removed boto3 (moved to function level), 55ms total".into(),
        ),
    ];
    assert_eq!(render(&spec), text(&fixture("seed.py")));
}

#[test]
fn rendered_manifests_read_back_to_their_spec() {
    let spec = RenderSpec::new(
        vec![
            RenderEntry::import("os.path", 1, 0.05, None),
            RenderEntry::import("boto3", 2, 350.0, Some("90% usage".into())),
        ],
        date("2026-01-31"),
    );
    let manifest = parse_clean(render(&spec).as_bytes());
    assert_eq!(manifest.last_profiled(), Some(date("2026-01-31")));
    assert_eq!(
        manifest
            .import("os.path")
            .unwrap()
            .annotation
            .as_ref()
            .unwrap()
            .cost
            .as_ref()
            .unwrap()
            .ms,
        0.1
    );
    let boto3 = manifest.import("boto3").unwrap();
    assert_eq!(boto3.tier(&manifest), Some(2));
    assert_eq!(
        boto3
            .annotation
            .as_ref()
            .unwrap()
            .usage
            .as_ref()
            .unwrap()
            .fraction(),
        Some(0.9)
    );
    let names: Vec<_> = manifest
        .all
        .as_ref()
        .unwrap()
        .names
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, vec!["os", "boto3"]);
    assert_eq!(
        manifest.history.as_ref().unwrap().entries[0].imports,
        Some(2)
    );
}

/// Edited manifests must still compile under a real interpreter (skipped without `python3`).
#[test]
fn edited_manifests_compile_with_python() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: python3 is not available");
        return;
    }
    let mut outputs = Vec::new();
    for (name, bytes) in crate::all_fixtures() {
        let (manifest, diagnostics) = Manifest::parse(&bytes);
        if diagnostics
            .iter()
            .any(|d| d.kind == fastpath_manifest::DiagnosticKind::Syntax)
        {
            continue;
        }
        let mut editor = manifest.edit();
        if let Some(first) = manifest.imports.first() {
            let first = first.items[0].bound.clone();
            editor.set_cost(&first, 3.3).unwrap();
            editor.set_profiled(&first, date("2025-12-01")).unwrap();
        }
        if let Some(last) = manifest.imports.last() {
            editor.remove_import(&last.items[0].bound.clone());
        }
        editor.add_import(new_import("added_one", 1, 1.0)).unwrap();
        editor.add_import(new_import("added_two", 4, 50.0)).unwrap();
        editor.set_last_profiled(date("2025-12-01"));
        editor.append_history(date("2025-12-01"), "Edited").unwrap();
        match editor.finish() {
            Ok(out) => outputs.push((name, out)),
            Err(EditError::DunderAllNotLiteral { .. }) => {}
            Err(error) => panic!("{name}: {error}"),
        }
    }
    assert!(outputs.len() >= 6);
    for (name, out) in outputs {
        let mut child = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys; compile(sys.stdin.buffer.read(), 'fast_path.py', 'exec')",
            ])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(&out).unwrap();
        let result = child.wait_with_output().unwrap();
        assert!(
            result.status.success(),
            "{name} no longer compiles:\n{}\n{}",
            String::from_utf8_lossy(&result.stderr),
            String::from_utf8_lossy(&out)
        );
    }
}

#[test]
fn names_sharing_lines_keep_sharing_after_a_removal() {
    let variants = fixture("variants.py");
    let out = apply(&variants, |e| {
        e.remove_import("boto3");
        e.add_import(new_import("auth", 2, 20.0)).unwrap();
    });
    assert!(
        text(&out).contains("           'gateway', 'auth')\n"),
        "{}",
        text(&out)
    );
}
