//! `fastpath review` output: the seed's review checklist for a pull request, as Markdown ready
//! to post as a comment (GitHub task lists and a collapsed commit message) and as
//! `fastpath.review/1` (json). The checklist is decided in `fastpath_history::review`.

mod json;
mod markdown;

pub use json::render_json;
pub use markdown::render_markdown;

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use fastpath_history::review::{
        Change, ChangeKind, Cost, Item, Justification, Place, Review, Site, Status, Total, SCHEMA,
    };

    fn cost(m: f64) -> Cost {
        Cost {
            median_ms: m,
            low_ms: m - 1.5,
            high_ms: m + 1.5,
        }
    }

    /// The review of a pull request that adds a 30 ms import to the manifest.
    fn review() -> Review {
        let item = |item, status, detail: &str| Item {
            item,
            status,
            detail: detail.to_string(),
        };
        Review {
            schema: SCHEMA,
            against: "origin/main".into(),
            against_commit: "0123456789abcdef0123456789abcdef01234567".into(),
            manifest: Some(PathBuf::from("fast_path.py")),
            changes: vec![Change {
                module: "heavy_client".into(),
                kind: ChangeKind::Added,
                place: Place::Manifest,
                site: Some(Site {
                    path: PathBuf::from("fast_path.py"),
                    line: 21,
                }),
                measured: Some(cost(31.0)),
                documented_ms: Some(30.0),
                justification: Some(Justification {
                    commit: "89abcdef0123456789abcdef0123456789abcdef".into(),
                    author: "Ada Dev".into(),
                    date: "2026-11-20".into(),
                    message: "Add heavy_client to the fast path\n\nEvery request signs with it."
                        .into(),
                }),
                alternative: Some("defer it".into()),
                checklist: vec![
                    item("Profiling data", Status::Pass, "31.0 ms (29.5-32.5) measured"),
                    item(
                        "Documented import time",
                        Status::Pass,
                        "documented 30.0 ms, measured 31.0 ms",
                    ),
                    item(
                        "Usage data (if >10ms)",
                        Status::Fail,
                        "used on 30 % of requests (3 of 10 replayed events), below hot-path-min-usage 80 %",
                    ),
                    item(
                        "Justification",
                        Status::Pass,
                        "89abcde (Ada Dev, 2026-11-20): Add heavy_client to the fast path",
                    ),
                    item("Alternative considered", Status::Manual, "defer it"),
                ],
            }],
            indirect_added: 2,
            indirect_removed: 0,
            total: Total {
                before: Some(cost(24.0)),
                after: Some(cost(55.0)),
                budget_ms: 200.0,
                imports_before: 5,
                imports_after: 6,
                max_imports: 20,
                within_budget: Some(true),
            },
            approvers: vec!["@perf-lead".into()],
            codeowners: Some(PathBuf::from(".github/CODEOWNERS")),
            usage_source: Some(".fastpath/usage.json".into()),
        }
    }

    #[test]
    fn markdown_for_a_pull_request() {
        let mut out = Vec::new();
        super::render_markdown(&review(), &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn no_change_says_so() {
        let mut r = review();
        r.changes.clear();
        r.indirect_added = 0;
        r.codeowners = None;
        let mut out = Vec::new();
        super::render_markdown(&r, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("No import was added to or removed"), "{text}");
        assert!(text.contains("no CODEOWNERS file"), "{text}");
    }
}
