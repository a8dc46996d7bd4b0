//! Diff-friendly JSON: objects one key per line in sorted order, and arrays of plain values
//! (numbers, strings) on one line, so a file with long sample lists stays short and a change of
//! one statistic shows as a one-line diff in review.

use serde_json::Value;

/// `value` as indented JSON with scalar arrays inline, ending in a newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write(value, 0, &mut out);
    out.push('\n');
    out
}

fn write(value: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            // Sorted here (a `schema` tag first), whatever order the map keeps.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by_key(|(k, _)| (k.as_str() != "schema", k.as_str()));
            for (i, (key, v)) in entries.into_iter().enumerate() {
                out.push_str(&pad(indent + 1));
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write(v, indent + 1, out);
                if i + 1 < map.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
        Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                write(v, indent + 1, out);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(Value::to_string).collect();
            out.push('[');
            out.push_str(&inner.join(", "));
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_arrays_stay_on_one_line_and_parse_back() {
        let value = serde_json::json!({
            "b": {"samples": [1, 2, 3], "median": 2},
            "a": [{"x": 1}, {"y": []}],
            "e": {}
        });
        let text = to_string(&value);
        assert_eq!(
            text,
            "{\n  \"a\": [\n    {\n      \"x\": 1\n    },\n    {\n      \"y\": []\n    }\n  ],\n  \"b\": {\n    \"median\": 2,\n    \"samples\": [1, 2, 3]\n  },\n  \"e\": {}\n}\n"
        );
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    }
}
