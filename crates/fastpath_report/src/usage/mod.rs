//! `fastpath usage` output: how often each tracked module's code ran, as a table (text) and as
//! `fastpath.usage/1` (json). The replay and the log aggregation compute; these lay it out.

mod json;
mod text;

pub use json::render_json;
pub use text::render_text;

#[cfg(test)]
mod tests {
    use fastpath_profile::usage::{EventResult, Kind, ModuleUsage, UsageReport, SCHEMA};

    #[test]
    fn table_with_a_failed_event() {
        let module = |name: &str, kind, count| ModuleUsage {
            name: name.into(),
            kind,
            count,
            percent: count as f64 * 10.0,
        };
        let report = UsageReport {
            schema: SCHEMA.into(),
            source: "events".into(),
            input: "events".into(),
            entry: Some("lambda_function".into()),
            handler: Some("lambda_handler".into()),
            python: Some("3.11.7".into()),
            monitor: Some("sys.setprofile".into()),
            invocations: 10,
            failed: 1,
            events: vec![EventResult {
                file: "07.json".into(),
                ok: false,
                error: Some("KeyError: 'url'".into()),
                used: vec![],
                imported: vec![],
            }],
            modules: vec![
                module("cache_core", Kind::Manifest, 3),
                module("gateway", Kind::Manifest, 10),
                module("interface_cache", Kind::ColdPath, 3),
                module("gateway_wrappers", Kind::Deferred, 7),
            ],
        };
        let mut out = Vec::new();
        super::render_text(&report, &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }
}
