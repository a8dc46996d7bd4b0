//! Robust statistics over repeated measurements, and the rule that decides when to stop running.
//!
//! Import times on a shared machine have heavy right tails (a run that lost its CPU for a few
//! milliseconds), so everything here is order-based: the median, not the mean; the median
//! absolute deviation (MAD) as the spread; and a distribution-free confidence interval for the
//! median from order statistics (the binomial argument: the number of samples below the true
//! median is Binomial(n, 1/2)). That interval is exact and deterministic, so the adaptive
//! stopping rule needs neither a random bootstrap nor a normality assumption. Tests feed
//! synthetic samples; no clock is read here.

use serde::Serialize;

/// Scale factor that makes the MAD estimate a normal distribution's standard deviation.
pub const MAD_TO_SIGMA: f64 = 1.4826;

/// Median, range and spread of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Middle value (mean of the two middle values for an even count).
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Median absolute deviation from the median (unscaled).
    pub mad: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none. NaNs are ignored.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let median = median_of_sorted(&sorted);
        let mut deviations: Vec<f64> = sorted.iter().map(|x| (x - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            mad: median_of_sorted(&deviations),
        })
    }

    /// Robust coefficient of variation: `1.4826 * MAD / median`, the relative spread of a
    /// normal distribution with the same MAD. Zero when the median is not positive.
    pub fn robust_cv(&self) -> f64 {
        if self.median > 0.0 {
            MAD_TO_SIGMA * self.mad / self.median
        } else {
            0.0
        }
    }
}

/// Median of an already sorted, non-empty slice.
pub fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A confidence interval for the median, from order statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MedianCi {
    /// Lower bound (an order statistic of the samples).
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Coverage actually achieved (at least the requested one when `n` allows it; with few
    /// samples, the widest interval, `[min, max]`, and its coverage `1 - 2^(1-n)`).
    pub confidence: f64,
}

impl MedianCi {
    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// `P(X <= k)` for `X ~ Binomial(n, 1/2)`, computed in log space so large `n` cannot overflow.
fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    let ln_half_n = n as f64 * 0.5f64.ln();
    let mut ln_choose = 0.0f64; // ln C(n, 0)
    let mut total = 0.0f64;
    for i in 0..=k.min(n) {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        total += (ln_choose + ln_half_n).exp();
    }
    total.min(1.0)
}

/// The shortest symmetric order-statistic interval `[x_(k+1), x_(n-k)]` whose coverage
/// `1 - 2 P(X <= k)` reaches `confidence`. `None` for no samples.
pub fn median_ci(samples: &[f64], confidence: f64) -> Option<MedianCi> {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| !x.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    // k samples are cut from each end; k = 0 is [min, max].
    let mut k = 0;
    let mut coverage = 1.0 - 2.0 * binomial_half_cdf(n, 0);
    while 2 * (k + 1) < n {
        let next = 1.0 - 2.0 * binomial_half_cdf(n, k + 1);
        if next < confidence {
            break;
        }
        k += 1;
        coverage = next;
    }
    Some(MedianCi {
        low: sorted[k],
        high: sorted[n - 1 - k],
        confidence: coverage.max(0.0),
    })
}

/// A figure's median with its confidence interval: what a rule compares with a threshold and
/// what `update`/`init` check before writing a cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Interval {
    /// The median.
    pub median: f64,
    /// Lower bound of its confidence interval.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Coverage of the interval (see [`MedianCi::confidence`]).
    pub confidence: f64,
}

/// Where an interval lies against a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The whole interval is above the threshold (by more than the margin).
    Above,
    /// The whole interval is below it.
    Below,
    /// The threshold lies inside the interval (widened by the margin): too close to call.
    TooClose,
}

impl Interval {
    /// The median of `samples` with its confidence interval; `None` for no samples.
    pub fn of(samples: &[f64], confidence: f64) -> Option<Interval> {
        let summary = Summary::of(samples)?;
        let ci = median_ci(samples, confidence)?;
        Some(Interval {
            median: summary.median,
            low: ci.low,
            high: ci.high,
            confidence: ci.confidence,
        })
    }

    /// A figure known only by its value: an interval of width zero (nothing says how precise
    /// it is).
    pub fn point(value: f64) -> Interval {
        Interval {
            median: value,
            low: value,
            high: value,
            confidence: 0.0,
        }
    }

    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }

    /// Half-width relative to the median (0 for a median that is not positive).
    pub fn relative_half_width(&self) -> f64 {
        if self.median > 0.0 {
            self.half_width() / self.median
        } else {
            0.0
        }
    }

    /// Whether the median may be written as a cost with precision `precision` (same unit as the
    /// interval; e.g. 100 µs for a figure written as `8.7ms`): the interval's half-width is at
    /// most one unit of the last digit written, so the written figure is off by at most that,
    /// at the interval's confidence. A non-positive precision is never met, nor is any by a
    /// [`Interval::point`] (nothing says how precise it is).
    pub fn tight_enough(&self, precision: f64) -> bool {
        precision > 0.0 && self.confidence > 0.0 && self.half_width() <= precision
    }

    /// Where the interval lies against `threshold`, after widening it by `margin` on both
    /// sides (a relative tolerance for what the interval does not cover, e.g. the machine's
    /// drift between measurements): a rule reports only [`Side::Above`] (or [`Side::Below`]),
    /// and a result too close to call is [`Side::TooClose`].
    pub fn side_of(&self, threshold: f64, margin: f64) -> Side {
        if self.low - margin > threshold {
            Side::Above
        } else if self.high + margin < threshold {
            Side::Below
        } else {
            Side::TooClose
        }
    }
}

/// When to stop taking measurements.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StoppingRule {
    /// Never stop before this many runs.
    pub min_runs: usize,
    /// Always stop after this many runs.
    pub max_runs: usize,
    /// Stop once the median's confidence interval half-width is within this fraction of the
    /// median (0.025 = 2.5 %).
    pub relative_half_width: f64,
    /// Requested coverage of that interval.
    pub confidence: f64,
}

impl Default for StoppingRule {
    fn default() -> Self {
        StoppingRule {
            min_runs: 5,
            max_runs: 40,
            relative_half_width: 0.025,
            confidence: 0.95,
        }
    }
}

impl StoppingRule {
    /// A rule that runs exactly `n` times (at least once).
    pub fn fixed(n: usize) -> StoppingRule {
        let n = n.max(1);
        StoppingRule {
            min_runs: n,
            max_runs: n,
            ..StoppingRule::default()
        }
    }

    /// Decides, from the totals measured so far, whether another run is needed.
    pub fn decide(&self, totals: &[f64]) -> Decision {
        let n = totals.len();
        let max_runs = self.max_runs.max(self.min_runs).max(1);
        if n < self.min_runs.max(1) {
            return Decision::Continue;
        }
        if self.converged(totals) {
            return Decision::Converged;
        }
        if n >= max_runs {
            Decision::Exhausted
        } else {
            Decision::Continue
        }
    }

    /// Whether `totals` already meet the precision target.
    pub fn converged(&self, totals: &[f64]) -> bool {
        match (median_ci(totals, self.confidence), Summary::of(totals)) {
            (Some(ci), Some(summary)) => {
                ci.half_width() <= self.relative_half_width * summary.median.abs()
            }
            _ => false,
        }
    }
}

/// What [`StoppingRule::decide`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Take another run.
    Continue,
    /// Precise enough: stop.
    Converged,
    /// Not precise enough, but the maximum number of runs is reached: stop.
    Exhausted,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_and_even_counts() {
        let s = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.mad), (3.0, 1.0, 5.0, 2.0));
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert_eq!(s.mad, 1.0);
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[f64::NAN]).is_none());
    }

    #[test]
    fn mad_ignores_a_single_outlier() {
        let s = Summary::of(&[100.0, 101.0, 99.0, 100.0, 5000.0]).unwrap();
        assert_eq!(s.median, 100.0);
        assert_eq!(s.mad, 1.0);
        assert!((s.robust_cv() - 0.014826).abs() < 1e-9);
    }

    #[test]
    fn robust_cv_is_zero_for_a_zero_median() {
        assert_eq!(Summary::of(&[0.0, 0.0, 1.0]).unwrap().robust_cv(), 0.0);
    }

    #[test]
    fn binomial_cdf_matches_hand_values() {
        assert!((binomial_half_cdf(5, 0) - 1.0 / 32.0).abs() < 1e-12);
        assert!((binomial_half_cdf(5, 1) - 6.0 / 32.0).abs() < 1e-12);
        assert!((binomial_half_cdf(10, 10) - 1.0).abs() < 1e-12);
        // Large n stays finite.
        let p = binomial_half_cdf(1000, 500);
        assert!(p > 0.5 && p < 0.52, "{p}");
    }

    #[test]
    fn median_ci_widens_to_min_max_for_few_samples() {
        let ci = median_ci(&[3.0, 1.0, 2.0, 5.0, 4.0], 0.95).unwrap();
        assert_eq!((ci.low, ci.high), (1.0, 5.0));
        assert!((ci.confidence - 0.9375).abs() < 1e-12);
    }

    #[test]
    fn median_ci_uses_textbook_order_statistics() {
        // For n = 10 the 95 % interval is [x_(2), x_(9)] (coverage 97.9 %).
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();
        let ci = median_ci(&samples, 0.95).unwrap();
        assert_eq!((ci.low, ci.high), (2.0, 9.0));
        assert!((ci.confidence - 0.978515625).abs() < 1e-9);
        // For n = 20 it is [x_(6), x_(15)] (coverage 95.9 %).
        let samples: Vec<f64> = (1..=20).map(f64::from).collect();
        let ci = median_ci(&samples, 0.95).unwrap();
        assert_eq!((ci.low, ci.high), (6.0, 15.0));
        assert!(ci.confidence >= 0.95);
    }

    #[test]
    fn stopping_rule_waits_for_min_runs_even_when_stable() {
        let rule = StoppingRule::default();
        assert_eq!(rule.decide(&[100.0; 4]), Decision::Continue);
        assert_eq!(rule.decide(&[100.0; 5]), Decision::Converged);
    }

    #[test]
    fn stopping_rule_keeps_running_on_noise_then_gives_up_at_max() {
        let rule = StoppingRule::default();
        // Alternating 90/110: the CI half-width is 10 % of the median, never within 2.5 %.
        let noisy: Vec<f64> = (0..40)
            .map(|i| if i % 2 == 0 { 90.0 } else { 110.0 })
            .collect();
        assert_eq!(rule.decide(&noisy[..10]), Decision::Continue);
        assert_eq!(rule.decide(&noisy[..39]), Decision::Continue);
        assert_eq!(rule.decide(&noisy), Decision::Exhausted);
    }

    #[test]
    fn stopping_rule_converges_once_tails_are_cut_by_more_runs() {
        // A deterministic sample: 1 % jitter plus two wild runs. At 5 runs [min, max] spans the
        // outliers; with more runs the interval drops them and the rule converges.
        let rule = StoppingRule::default();
        let mut totals = vec![100.0, 140.0, 101.0, 60.0, 99.0];
        assert_eq!(rule.decide(&totals), Decision::Continue);
        let jitter = [100.5, 99.5, 100.2, 99.8, 100.1, 99.9, 100.3, 99.7];
        let mut decided_at = None;
        for (i, x) in jitter.iter().enumerate() {
            totals.push(*x);
            if rule.decide(&totals) == Decision::Converged {
                decided_at = Some(5 + i + 1);
                break;
            }
        }
        assert_eq!(decided_at, Some(9));
    }

    #[test]
    fn intervals_decide_against_a_threshold_with_a_margin() {
        let samples: Vec<f64> = (1..=10).map(f64::from).collect();
        let i = Interval::of(&samples, 0.95).unwrap();
        assert_eq!((i.low, i.median, i.high), (2.0, 5.5, 9.0));
        assert_eq!(i.side_of(1.0, 0.0), Side::Above);
        assert_eq!(i.side_of(1.0, 1.5), Side::TooClose);
        assert_eq!(i.side_of(9.5, 0.0), Side::Below);
        assert_eq!(i.side_of(5.0, 0.0), Side::TooClose);
        assert!(Interval::of(&[], 0.95).is_none());
    }

    #[test]
    fn an_interval_is_tight_enough_for_a_precision_within_one_unit() {
        // 8.6-8.8 ms around 8.7: good for "8.7ms" (0.1 ms) only just, and for "9ms" (1 ms).
        let i = Interval {
            median: 8_700.0,
            low: 8_600.0,
            high: 8_800.0,
            confidence: 0.95,
        };
        assert!(i.tight_enough(100.0));
        assert!(i.tight_enough(1_000.0));
        assert!(!i.tight_enough(50.0));
        assert!(!i.tight_enough(0.0));
        assert!(!Interval::point(8_700.0).tight_enough(1_000.0));
        // A contended figure, 17 ms within [9, 25]: not even to the millisecond.
        let shaky = Interval {
            median: 17_000.0,
            low: 9_000.0,
            high: 25_000.0,
            confidence: 0.95,
        };
        assert!(!shaky.tight_enough(1_000.0));
        assert!((i.relative_half_width() - 100.0 / 8_700.0).abs() < 1e-12);
    }

    #[test]
    fn fixed_rule_runs_exactly_n() {
        let rule = StoppingRule::fixed(3);
        assert_eq!(rule.decide(&[1.0, 50.0]), Decision::Continue);
        assert_ne!(rule.decide(&[1.0, 50.0, 100.0]), Decision::Continue);
        assert_eq!(StoppingRule::fixed(0).max_runs, 1);
    }
}
