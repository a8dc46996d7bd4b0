//! Reading: the seed's example, every variant PRODUCT.md lists, and malformed input.

use fastpath_manifest::{
    Comparison, CriterionKind, DiagnosticKind, ImportForm, LineEnding, Manifest, Unit, UsageKind,
};

use crate::{fixture, lines_of, parse_clean};

#[test]
fn seed_example_model() {
    let manifest = parse_clean(&fixture("seed.py"));
    insta::assert_json_snapshot!("seed_model", manifest);
}

#[test]
fn seed_example_values() {
    let manifest = parse_clean(&fixture("seed.py"));
    let doc = manifest.docstring.as_ref().unwrap();
    assert_eq!(
        doc.title.as_deref(),
        Some("Fast Path: Minimum imports for cold start optimization.")
    );
    assert_eq!(manifest.last_profiled().unwrap().to_string(), "2025-11-08");
    let target = doc.cold_start_target.as_ref().unwrap();
    assert_eq!(
        (target.threshold.comparison, target.threshold.value),
        (Comparison::Less, 2000.0)
    );
    assert_eq!(target.span.line, 10);
    let criteria: Vec<_> = doc
        .criteria
        .iter()
        .map(|c| (c.kind, c.threshold.comparison, c.threshold.value))
        .collect();
    assert_eq!(
        criteria,
        vec![
            (CriterionKind::ImportTime, Comparison::Less, 10.0),
            (CriterionKind::Usage, Comparison::Greater, 80.0)
        ]
    );
    let tiers: Vec<_> = manifest
        .sections
        .iter()
        .map(|s| (s.tier, s.title.as_str(), s.span.line))
        .collect();
    assert_eq!(
        tiers,
        vec![(1, "Lightweight", 15), (2, "Hot path exceptions", 20)]
    );
    assert_eq!(
        manifest.sections[1].criteria.as_deref(),
        Some(">10ms but >80% usage")
    );
    let imports: Vec<_> = manifest
        .imports
        .iter()
        .map(|i| {
            let a = i.annotation.as_ref().unwrap();
            (
                i.items[0].module.as_str(),
                i.tier(&manifest),
                a.cost.as_ref().unwrap().ms,
                a.usage.as_ref().unwrap().text.as_str(),
                a.profiled.as_ref().map(|p| p.date.to_string()),
                i.span.line,
            )
        })
        .collect();
    assert_eq!(
        imports,
        vec![
            ("json", Some(1), 0.8, "every request", None, 16),
            ("time", Some(1), 0.4, "timing operations", None, 17),
            ("logging", Some(1), 4.2, "logging everywhere", None, 18),
            (
                "gateway",
                Some(2),
                15.0,
                "every request",
                Some("2025-11-08".into()),
                21
            ),
            (
                "cache_core",
                Some(2),
                35.0,
                "every request",
                Some("2025-11-08".into()),
                22
            ),
        ]
    );
    let all = manifest.all.as_ref().unwrap();
    let names: Vec<_> = all
        .names
        .iter()
        .map(|n| (n.name.as_str(), n.span.line))
        .collect();
    assert_eq!(
        names,
        vec![
            ("json", 26),
            ("time", 26),
            ("logging", 26),
            ("gateway", 27),
            ("cache_core", 27)
        ]
    );
    let history = manifest.history.as_ref().unwrap();
    assert_eq!(history.span.line, 30);
    assert_eq!(history.entries.len(), 2);
    assert_eq!(history.entries[0].imports, Some(5));
    assert_eq!(history.entries[1].total_ms, Some(55.0));
    assert_eq!(history.entries[1].span.line, 32);
}

#[test]
fn spans_point_at_the_bytes_they_describe() {
    let bytes = fixture("seed.py");
    let manifest = parse_clean(&bytes);
    let slice = |span: fastpath_manifest::Span| {
        std::str::from_utf8(&bytes[span.start as usize..span.end as usize]).unwrap()
    };
    let gateway = manifest.import("gateway").unwrap();
    let annotation = gateway.annotation.as_ref().unwrap();
    assert_eq!(slice(gateway.span), "import gateway");
    assert_eq!(
        slice(annotation.span),
        "# 15ms, every request - PROFILED 2025-11-08"
    );
    assert_eq!(annotation.span.column, 23);
    assert_eq!(slice(annotation.cost.as_ref().unwrap().span), "15ms");
    assert_eq!(
        slice(annotation.profiled.as_ref().unwrap().date_span),
        "2025-11-08"
    );
    let doc = manifest.docstring.as_ref().unwrap();
    assert_eq!(
        slice(doc.last_profiled.as_ref().unwrap().date_span),
        "2025-11-08"
    );
    assert_eq!(
        slice(doc.last_profiled.as_ref().unwrap().span),
        "Last profiled: 2025-11-08"
    );
    assert_eq!(
        slice(manifest.all.as_ref().unwrap().names[4].span),
        "'cache_core'"
    );
    assert_eq!(
        slice(manifest.sections[0].span),
        "# Tier 1: Lightweight (<10ms)"
    );
}

#[test]
fn variant_spellings_and_forms() {
    let manifest = parse_clean(&fixture("variants.py"));
    let doc = manifest.docstring.as_ref().unwrap();
    assert!(doc.last_profiled.is_none());
    assert_eq!(doc.last_reviewed.as_ref().unwrap().key, "Last reviewed");
    assert_eq!(manifest.last_profiled().unwrap().to_string(), "2025-10-20");
    let target = doc.cold_start_target.as_ref().unwrap();
    assert_eq!(
        (target.key.as_str(), target.text.as_str()),
        ("Cold start target", "<2s")
    );
    assert_eq!(target.threshold.value, 2000.0);
    assert_eq!(doc.criteria[0].threshold.value, 5.0);
    assert_eq!(doc.criteria[1].threshold.value, 90.0);
    assert_eq!(manifest.sections[1].thresholds.len(), 2);
    assert_eq!(manifest.sections[1].thresholds[1].unit, Unit::Percent);

    let json = manifest
        .import("json")
        .unwrap()
        .annotation
        .as_ref()
        .unwrap();
    assert_eq!(json.cost.as_ref().unwrap().comparison, Comparison::Less);
    assert_eq!(json.tier_marker.as_ref().unwrap().tier, 1);

    let osp = manifest.import("osp").unwrap();
    assert_eq!(osp.items[0].module, "os.path");
    assert_eq!(osp.items[0].bound, "osp");
    assert_eq!(
        osp.annotation
            .as_ref()
            .unwrap()
            .usage
            .as_ref()
            .unwrap()
            .fraction(),
        Some(0.95)
    );

    let multi = manifest.import("base64").unwrap();
    assert_eq!(multi.items.len(), 2);
    assert_eq!(multi.items[0].bound, "re");
    assert_eq!(
        multi
            .annotation
            .as_ref()
            .unwrap()
            .usage
            .as_ref()
            .unwrap()
            .kind,
        UsageKind::Percent {
            comparison: Comparison::Greater,
            percent: 80.0
        }
    );

    let config = manifest.import("config").unwrap();
    assert_eq!(
        config.form,
        ImportForm::From {
            module: String::new(),
            level: 1
        }
    );
    assert_eq!(config.items[0].module, ".config");

    let tz = manifest.import("tz").unwrap();
    assert_eq!(tz.items[1].module, "datetime.timezone");

    let gateway = manifest
        .import("gateway")
        .unwrap()
        .annotation
        .as_ref()
        .unwrap();
    assert_eq!(gateway.usage.as_ref().unwrap().text, "95% usage");
    assert!(gateway.profiled.is_some());
    let boto3 = manifest.import("boto3").unwrap();
    assert_eq!(boto3.tier(&manifest), Some(2));
    let boto3 = boto3.annotation.as_ref().unwrap();
    assert_eq!(boto3.cost.as_ref().unwrap().ms, 350.0);
    assert!(boto3.hot_path_exception.is_some());

    let all = manifest.all.as_ref().unwrap();
    assert_eq!(all.names.len(), 9);
    assert_eq!(all.names[7].span.line, 24);
    let history = manifest.history.as_ref().unwrap();
    assert_eq!(history.entries.len(), 2);
    assert_eq!(
        history.entries[1].text,
        "Added boto3 as a hot path exception after profiling showed 90% usage, 370ms total"
    );
    assert_eq!(history.entries[1].total_ms, Some(370.0));
    assert_eq!(history.entries[1].span.line, 28);
}

#[test]
fn target_in_milliseconds_parenthesized_import_and_pragmas() {
    let manifest = parse_clean(&fixture("target_ms.py"));
    let doc = manifest.docstring.as_ref().unwrap();
    assert_eq!(doc.title.as_deref(), Some("Fast path."));
    assert_eq!(
        doc.cold_start_target.as_ref().unwrap().threshold.value,
        2000.0
    );
    // `from __future__` is a directive, not an entry.
    assert_eq!(manifest.imports.len(), 3);
    assert!(manifest.sections.is_empty());
    assert!(manifest.imports.iter().all(|i| i.section.is_none()));
    let logging = manifest
        .import("logging")
        .unwrap()
        .annotation
        .as_ref()
        .unwrap();
    assert_eq!(logging.text, "4.2ms, logging everywhere");
    let handlers = manifest.import("pay").unwrap();
    assert_eq!(handlers.items[1].module, "fastpath_app.handlers.payments");
    let annotation = handlers.annotation.as_ref().unwrap();
    assert_eq!(annotation.cost.as_ref().unwrap().ms, 12.0);
    assert_eq!(
        annotation.profiled.as_ref().unwrap().date.to_string(),
        "2025-11-01"
    );
    assert_eq!(manifest.all.as_ref().unwrap().names[3].name, "pay");
}

#[test]
fn crlf_file_reads_like_its_lf_twin() {
    let lf = parse_clean(&fixture("seed.py"));
    let crlf = parse_clean(&fixture("crlf.py"));
    assert_eq!(lf.line_ending, LineEnding::Lf);
    assert_eq!(crlf.line_ending, LineEnding::CrLf);
    assert_eq!(crlf.imports.len(), lf.imports.len());
    for (a, b) in lf.imports.iter().zip(&crlf.imports) {
        assert_eq!(a.span.line, b.span.line);
        assert_eq!(a.span.column, b.span.column);
        assert_eq!(
            a.annotation.as_ref().unwrap().text,
            b.annotation.as_ref().unwrap().text
        );
    }
    assert_eq!(crlf.history.as_ref().unwrap().entries.len(), 2);
    assert_eq!(
        crlf.docstring
            .as_ref()
            .unwrap()
            .last_profiled
            .as_ref()
            .unwrap()
            .span
            .line,
        9
    );
}

#[test]
fn latin1_file_with_a_coding_cookie() {
    let bytes = fixture("latin1.py");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture must not be UTF-8"
    );
    let manifest = parse_clean(&bytes);
    assert_eq!(manifest.encoding, "latin-1");
    assert_eq!(manifest.sections[0].title, "Léger");
    let json = manifest
        .import("json")
        .unwrap()
        .annotation
        .as_ref()
        .unwrap();
    assert_eq!(json.usage.as_ref().unwrap().text, "requêtes partout");
    // Spans are file bytes: 'ê' is one byte here.
    let span = json.usage.as_ref().unwrap().span;
    assert_eq!(
        &bytes[span.start as usize..span.end as usize],
        b"requ\xeates partout"
    );
    let history = manifest.history.as_ref().unwrap();
    assert_eq!(history.entries[0].text, "Création, 2 imports, 1.2ms total");
}

#[test]
fn non_utf8_without_a_cookie_is_a_diagnostic() {
    let bytes = b"import json  # 0.8ms, every request\n# caf\xe9\n__all__ = ['json']\n";
    let (manifest, diagnostics) = Manifest::parse(bytes);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].kind, DiagnosticKind::Encoding);
    assert_eq!(diagnostics[0].span.line, 2);
    assert_eq!(manifest.imports.len(), 1);
    assert!(manifest.all.is_some());
}

#[test]
fn malformed_elements_are_diagnostics_at_their_lines() {
    let (manifest, diagnostics) = Manifest::parse(&fixture("malformed.py"));
    let found: Vec<_> = diagnostics.iter().map(|d| (d.span.line, d.kind)).collect();
    assert_eq!(
        found,
        vec![
            (2, DiagnosticKind::Date),
            (3, DiagnosticKind::DocstringKey),
            (6, DiagnosticKind::TierHeading),
            (7, DiagnosticKind::Cost),
            (8, DiagnosticKind::Usage),
            (9, DiagnosticKind::Date),
            (10, DiagnosticKind::Date),
            (12, DiagnosticKind::NestedImport),
            (16, DiagnosticKind::DunderAll),
            (19, DiagnosticKind::Date),
            (20, DiagnosticKind::History),
        ],
        "{diagnostics:#?}"
    );
    insta::assert_snapshot!(
        "malformed_messages",
        diagnostics
            .iter()
            .map(|d| format!("{}:{}: {}", d.span.line, d.span.column, d.message))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Everything else still reads.
    assert_eq!(manifest.imports.len(), 4);
    let json = manifest
        .import("json")
        .unwrap()
        .annotation
        .as_ref()
        .unwrap();
    assert!(json.cost.is_none());
    assert_eq!(json.usage.as_ref().unwrap().kind, UsageKind::EveryRequest);
    let time = manifest
        .import("time")
        .unwrap()
        .annotation
        .as_ref()
        .unwrap();
    assert_eq!(time.cost.as_ref().unwrap().ms, 2.0);
    assert!(manifest.all.is_none());
    assert!(manifest.history.as_ref().unwrap().entries.is_empty());
}

#[test]
fn syntax_error_is_a_diagnostic_and_the_rest_reads() {
    let (manifest, diagnostics) = Manifest::parse(&fixture("syntax_error.py"));
    assert!(!diagnostics.is_empty());
    assert!(diagnostics.iter().all(|d| d.kind == DiagnosticKind::Syntax));
    assert_eq!(diagnostics[0].span.line, 2, "{diagnostics:#?}");
    let names: Vec<_> = manifest
        .imports
        .iter()
        .map(|i| i.items[0].module.as_str())
        .collect();
    assert_eq!(names, vec!["json", "gateway"]);
    assert_eq!(manifest.all.as_ref().unwrap().names.len(), 2);
}

#[test]
fn unparsable_lines_and_empty_input_do_not_panic() {
    for input in [
        &b""[..],
        b"\n",
        b"impot json  # 1ms\n",
        b"import\n",
        b"from import x\n",
        b"import json  #\n",
        b"import json  # ,,, - - but\n",
        b"\"\"\"\n",
        b"\"\"\"Last profiled:\"\"\"\n",
        b"# HISTORY:\n#\n# 2025-01-01\n",
        b"# Tier\n# Tier :\n# Tier 99999999999999999999: x\n",
        b"__all__ = [\n",
        b"__all__: list[str] = ['a', f'{b}']\n",
        b"import json  # (TIER",
        b"\xff\xfe\x00i\x00m\x00",
    ] {
        let (manifest, _) = Manifest::parse(input);
        assert_eq!(manifest.bytes(), input);
    }
}

#[test]
fn nested_import_and_unparsable_line_lines() {
    let text = b"import json  # 1ms\nif True:\n    import os\nimpot sys\n";
    let (manifest, diagnostics) = Manifest::parse(text);
    assert_eq!(manifest.imports.len(), 1);
    assert_eq!(lines_of(&diagnostics), vec![3, 4]);
    assert_eq!(diagnostics[0].kind, DiagnosticKind::NestedImport);
    assert_eq!(diagnostics[1].kind, DiagnosticKind::Syntax);
}
