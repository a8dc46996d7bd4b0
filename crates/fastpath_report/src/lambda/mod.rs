//! `fastpath lambda-report` output: production cold starts from Lambda `REPORT` lines, as a
//! readable summary beside the local measurement (text) and as `fastpath.lambda-report/1`
//! (json). The command parses and summarises; these renderers only lay the figures out.

mod json;
mod text;

pub use json::render_json;
pub use text::render_text;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use fastpath_history::lambda::{parse, LambdaReport, Local};

    fn report(name: &str, text: &str) -> LambdaReport {
        LambdaReport::new(name, &parse(text, Path::new(name)).unwrap())
    }

    fn text(report: &LambdaReport) -> String {
        let mut out = Vec::new();
        super::render_text(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    const PLAIN: &str = include_str!("../../../fastpath/tests/fixtures/lambda_logs/plain.log");
    const DOCUMENT: &str =
        include_str!("../../../fastpath/tests/fixtures/lambda_logs/filter-log-events.json");
    const JSON_FORMAT: &str =
        include_str!("../../../fastpath/tests/fixtures/lambda_logs/json-format.jsonl");

    #[test]
    fn plain_export_with_the_local_cold_start() {
        let mut r = report("plain.log", PLAIN);
        r.local = Some(Local {
            entry: "lambda_function".into(),
            python: "3.12.1".into(),
            imports_ms: 33.1,
            cold_start_ms: 45.2,
            source: "profile".into(),
        });
        insta::assert_snapshot!(text(&r));
    }

    #[test]
    fn filter_log_events_export() {
        insta::assert_snapshot!(text(&report("filter-log-events.json", DOCUMENT)));
    }

    #[test]
    fn lambda_json_log_format() {
        let r = report("json-format.jsonl", JSON_FORMAT);
        insta::assert_snapshot!(text(&r));
        let mut out = Vec::new();
        super::render_json(&r, &mut out).unwrap();
        insta::assert_snapshot!(
            "lambda_json_log_format_json",
            String::from_utf8(out).unwrap()
        );
    }
}
