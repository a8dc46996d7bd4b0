//! The trend chart of `fastpath history --svg`: one line per series (the cold start, the
//! entry's imports, the top modules) over the records, in milliseconds, as a self-contained SVG
//! with no script and no external font. Deterministic: the same records draw the same bytes.

use std::fmt::Write;

/// One line of the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    /// One value per x position, in milliseconds; `None` where the series has no value.
    pub values: Vec<Option<f64>>,
}

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 220.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 90.0;
/// Colour-blind-safe palette (Okabe-Ito), cold start first.
const COLOURS: &[&str] = &[
    "#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step for about five ticks up to `max`.
fn tick_step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1e-9);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// Draws `lines` over `labels` (one per x position, e.g. short commit ids).
pub fn svg(title: &str, labels: &[String], lines: &[Line]) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let max = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let step = tick_step(if max > 0.0 { max } else { 1.0 });
    let top = (max / step).ceil().max(1.0) * step;
    let n = labels.len();
    let x = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - v / top);

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    // Horizontal grid and y ticks.
    let mut tick = 0.0;
    while tick <= top + step / 2.0 {
        let ty = y(tick);
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{} ms</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            ty + 4.0,
            format_ms(tick)
        );
        tick += step;
    }
    // X labels, horizontal (renderers differ on rotated text), thinned to about one per 70 px,
    // alternating between two rows when they are close.
    let every = n.div_ceil((plot_w / 70.0).max(1.0) as usize).max(1);
    for (k, (i, label)) in labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || i + 1 == n)
        .enumerate()
    {
        let ly = TOP + plot_h + 16.0 + if k % 2 == 1 { 14.0 } else { 0.0 };
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{ly:.1}" text-anchor="middle">{}</text>"#,
            x(i),
            escape(label)
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">records, oldest first (commit, + when uncommitted changes)</text>"#,
        LEFT + plot_w / 2.0,
        TOP + plot_h + 56.0
    );
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888888"/>"##
    );
    // Lines, with a dot per value; a gap where a value is missing.
    for (k, line) in lines.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let width = if k == 0 { 2.5 } else { 1.5 };
        let mut segment: Vec<String> = Vec::new();
        let flush = |segment: &mut Vec<String>, out: &mut String| {
            if segment.len() > 1 {
                let _ = writeln!(
                    out,
                    r#"<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{}"/>"#,
                    segment.join(" ")
                );
            }
            segment.clear();
        };
        for (i, value) in line.values.iter().enumerate() {
            match value {
                Some(v) => {
                    segment.push(format!("{:.1},{:.1}", x(i), y(*v)));
                    let _ = writeln!(
                        out,
                        r#"<g><title>{}: {} ms</title><circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/></g>"#,
                        escape(&line.name),
                        format_ms(*v),
                        x(i),
                        y(*v)
                    );
                }
                None => flush(&mut segment, &mut out),
            }
        }
        flush(&mut segment, &mut out);
        // Legend.
        let ly = TOP + 8.0 + 18.0 * k as f64;
        let lx = WIDTH - RIGHT + 16.0;
        let _ = writeln!(
            out,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="{width}"/><text x="{}" y="{}">{}</text>"#,
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            escape(&line.name)
        );
    }
    out.push_str("</svg>\n");
    out
}

fn format_ms(v: f64) -> String {
    if v >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_one_polyline_per_series_gaps_and_escaped_names() {
        let labels: Vec<String> = ["1a2b3c4", "5d6e7f8", "9a0b1c2"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let lines = vec![
            Line {
                name: "cold start".into(),
                values: vec![Some(41.5), Some(43.0), Some(55.2)],
            },
            Line {
                name: "<heavy> & co".into(),
                values: vec![Some(20.0), None, Some(31.0)],
            },
        ];
        let svg = svg("app: cold start over commits", &labels, &lines);
        insta::assert_snapshot!(svg);
        assert_eq!(svg.matches("<polyline").count(), 1); // the second line has only lone points
        assert!(svg.contains("&lt;heavy&gt; &amp; co"));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(55.2), 20.0);
        assert_eq!(tick_step(9.0), 2.0);
        assert_eq!(tick_step(1200.0), 250.0);
    }
}
