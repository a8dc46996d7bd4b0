//! How a measured rule (FP101-FP104) decides against its threshold: on the figure's confidence
//! interval, widened by a margin, never on one median.
//!
//! A median compared with a threshold flips with the noise: eight identical measured checks
//! of one project gave 0, 1 or 6 findings. The confidence interval of the median (order
//! statistics, see `fastpath_profile::stats`) covers the noise between runs of one measurement;
//! the [`margin_us`] added on both sides covers what it does not, the drift of the machine
//! between measurements minutes apart (two 15-run medians differed by 4 % typically, 10 % at
//! most, on our machines). A rule reports only when the widened interval lies wholly beyond the
//! threshold; when the threshold falls inside it the result is too close to call: no finding,
//! but a [`Severity::Note`] diagnostic, on stderr and in the JSON's `close_calls`. A contended
//! measurement (a busy machine; see `fastpath_profile::runner::contention`) reads high, so it
//! can never show that a figure is over a threshold: such a result is too close to call too.

/// The paragraph every measured rule's `explain` gives on how it decides (FP101-FP104): one
/// text, so the promise reads the same wherever it is made.
macro_rules! decided_on_the_interval {
    () => {
        r#"Decided on the confidence interval, not on one median: reported only when the interval of the
measured figure, widened on both sides by a margin of 10 % of the threshold (at least 0.5 ms)
for the machine's drift between measurements, lies wholly over the threshold. A result too
close to call, or from a contended measurement (a busy machine reads high), is no finding: it is
a `note:` line on stderr (unless `-q`) and an entry of `close_calls` in the JSON. Repeated checks
of an unchanged project give the same findings, except for a figure within the margin of
its threshold: that one is a note whichever side it falls."#
    };
}
pub(crate) use decided_on_the_interval;

use fastpath_profile::stats::{Interval, Side};

use crate::diagnostic::{Diagnostic, Severity};

/// The margin is this fraction of the threshold ...
pub const MARGIN_FRACTION: f64 = 0.10;
/// ... and at least this much, microseconds.
pub const MARGIN_MIN_US: f64 = 500.0;

/// The margin for a threshold, microseconds.
pub fn margin_us(threshold_us: f64) -> f64 {
    (MARGIN_FRACTION * threshold_us.abs()).max(MARGIN_MIN_US)
}

/// What a measured rule concludes about "figure >= threshold".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// Clearly over: a finding.
    Over,
    /// Clearly under: nothing to say.
    Under,
    /// Too close to call (or the measurement was contended): a note, never a finding.
    TooClose,
}

/// Decides whether the figure with interval `(low, high)` is over `threshold_us`.
pub fn call(interval: (f64, f64), median: f64, threshold_us: f64, contended: bool) -> Call {
    let interval = Interval {
        median,
        low: interval.0.min(median),
        high: interval.1.max(median),
        confidence: 1.0,
    };
    match interval.side_of(threshold_us, margin_us(threshold_us)) {
        Side::Above if contended => Call::TooClose,
        Side::Above => Call::Over,
        Side::Below => Call::Under,
        Side::TooClose => Call::TooClose,
    }
}

/// Turns a would-be finding into the note a too-close call makes, saying why.
pub fn too_close(diagnostic: Diagnostic, contended: bool) -> Diagnostic {
    let why = if contended {
        "not reported: the measurement was contended (a busy machine reads high); measure again on a quieter one"
    } else {
        "not reported: too close to call (the threshold lies within the figure's confidence interval widened by the margin; `fastpath explain` gives it)"
    };
    let mut d = diagnostic.with_note(why);
    d.severity = Severity::Note;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_is_over_only_when_its_widened_interval_is() {
        // 10 ms threshold: margin 1 ms. [11.5, 12.5] is over; [10.5, 12] too close.
        assert_eq!(
            call((11_500.0, 12_500.0), 12_000.0, 10_000.0, false),
            Call::Over
        );
        assert_eq!(
            call((10_500.0, 12_000.0), 11_000.0, 10_000.0, false),
            Call::TooClose
        );
        assert_eq!(
            call((7_000.0, 8_500.0), 8_000.0, 10_000.0, false),
            Call::Under
        );
        assert_eq!(
            call((8_500.0, 9_200.0), 9_000.0, 10_000.0, false),
            Call::TooClose
        );
    }

    #[test]
    fn a_contended_measurement_is_never_over() {
        assert_eq!(
            call((30_000.0, 40_000.0), 35_000.0, 10_000.0, true),
            Call::TooClose
        );
        assert_eq!(
            call((1_000.0, 2_000.0), 1_500.0, 10_000.0, true),
            Call::Under
        );
    }

    #[test]
    fn the_margin_has_a_floor() {
        assert_eq!(margin_us(200_000.0), 20_000.0);
        assert_eq!(margin_us(1_000.0), 500.0);
        // A point (no interval known) decides on the median with the margin.
        assert_eq!(
            call((12_000.0, 12_000.0), 12_000.0, 10_000.0, false),
            Call::Over
        );
    }
}
