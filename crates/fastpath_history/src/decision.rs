//! The statistical decision: did the new runs get slower than the reference, by at least the
//! minimum effect, beyond noise?
//!
//! Import times have heavy right tails and drift, so the tests are rank-based and need no
//! normality: two independent series (a baseline against fresh runs) are compared with the
//! Mann-Whitney test, paired series (REV and the working tree measured interleaved) with the
//! Wilcoxon signed-rank test on the per-pair differences. Both give a Hodges-Lehmann estimate of
//! the shift and a distribution-free confidence interval for it, read off the ordered pairwise
//! differences (or Walsh averages) at the test's critical value. The null distributions are
//! exact (integer generating functions) up to a size where they are cheap, then normal.
//!
//! A shift is a regression when it is significant (the interval's lower bound is above zero)
//! **and** its estimate reaches the minimum effect (`max(min_us, min_fraction * reference)`);
//! it is clear when the interval's upper bound is below the minimum effect; anything else is
//! unclear and asks for more runs. Nothing here reads a clock: tests feed synthetic series.

use fastpath_profile::stats::median_of_sorted;
use serde::Serialize;

/// The minimum effect and the significance level, from `[tool.fastpath]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// A regression must add at least this many microseconds.
    pub min_us: f64,
    /// ... and at least this fraction of the reference (0.10 = the seed family's 10 %).
    pub min_fraction: f64,
    /// Significance level of the whole sequential decision (split over its looks).
    pub alpha: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_us: 1000.0,
            min_fraction: 0.10,
            alpha: 0.05,
        }
    }
}

impl Thresholds {
    /// The smallest shift that counts as a regression of something that cost `reference_us`.
    pub fn min_effect(&self, reference_us: f64) -> f64 {
        self.min_us.max(self.min_fraction * reference_us.max(0.0))
    }
}

/// How much later (positive) the new series is than the reference, with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shift {
    /// Hodges-Lehmann estimate of the shift, microseconds.
    pub estimate: f64,
    /// Lower bound of the two-sided `1 - 2 alpha` interval (`-inf` when too few runs).
    pub low: f64,
    /// Upper bound (`+inf` when too few runs).
    pub high: f64,
    /// One-sided p-value of "no shift" against "later".
    pub p_value: f64,
    /// Coverage of `[low, high]`.
    pub confidence: f64,
}

/// What a shift says against a minimum effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Significantly later, by at least the minimum effect.
    Regressed,
    /// Confidently below the minimum effect (or faster).
    Clear,
    /// Neither yet: more runs would tell.
    Unclear,
}

/// The verdict on `shift` for a minimum effect of `min_effect` microseconds.
pub fn verdict(shift: &Shift, min_effect: f64) -> Verdict {
    if shift.low > 0.0 && shift.estimate >= min_effect {
        Verdict::Regressed
    } else if shift.high < min_effect {
        Verdict::Clear
    } else {
        Verdict::Unclear
    }
}

/// Exact null distributions up to this many observations (integer counts stay in `u128`).
const EXACT_LIMIT: usize = 120;

/// Shift of `new` against `base`, two independent series (Mann-Whitney / Hodges-Lehmann).
/// `None` when either series is empty.
pub fn independent_shift(base: &[f64], new: &[f64], alpha: f64) -> Option<Shift> {
    let (m, n) = (base.len(), new.len());
    if m == 0 || n == 0 {
        return None;
    }
    let mut diffs: Vec<f64> = Vec::with_capacity(m * n);
    let mut u = 0.0;
    for &y in new {
        for &x in base {
            diffs.push(y - x);
            u += if y > x {
                1.0
            } else if y == x {
                0.5
            } else {
                0.0
            };
        }
    }
    diffs.sort_by(f64::total_cmp);
    let total = m * n;
    let exact = (m + n <= EXACT_LIMIT).then(|| mann_whitney_null(m, n));
    let (c, cdf_c) = match &exact {
        Some(pmf) => critical(pmf, alpha),
        None => {
            let sigma = ((m * n * (m + n + 1)) as f64 / 12.0).sqrt();
            normal_critical(total as f64 / 2.0, sigma, alpha)
        }
    };
    let p_value = match &exact {
        Some(pmf) => upper_tail(pmf, u),
        None => {
            let sigma = ((m * n * (m + n + 1)) as f64 / 12.0).sqrt();
            normal_upper_tail(u, total as f64 / 2.0, sigma)
        }
    };
    Some(interval(&diffs, c, cdf_c, p_value))
}

/// Shift from paired differences `new_i - base_i` (Wilcoxon signed-rank / Hodges-Lehmann).
/// `None` when there are none.
pub fn paired_shift(diffs: &[f64], alpha: f64) -> Option<Shift> {
    let n = diffs.len();
    if n == 0 {
        return None;
    }
    let mut walsh: Vec<f64> = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in i..n {
            walsh.push((diffs[i] + diffs[j]) / 2.0);
        }
    }
    walsh.sort_by(f64::total_cmp);
    let total = walsh.len();
    let exact = (n <= EXACT_LIMIT).then(|| signed_rank_null(n));
    let sigma = ((n * (n + 1) * (2 * n + 1)) as f64 / 24.0).sqrt();
    let (c, cdf_c) = match &exact {
        Some(pmf) => critical(pmf, alpha),
        None => normal_critical(total as f64 / 2.0, sigma, alpha),
    };
    // The statistic: positive ranks of the non-zero differences, midranks for ties. Its null
    // distribution is that of n' = (non-zero count) ranks.
    let mut nonzero: Vec<f64> = diffs.iter().copied().filter(|d| *d != 0.0).collect();
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let ranks = midranks(&nonzero.iter().map(|d| d.abs()).collect::<Vec<_>>());
    let t_plus: f64 = nonzero
        .iter()
        .zip(&ranks)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| r)
        .sum();
    let k = nonzero.len();
    let p_value = if k == 0 {
        1.0
    } else if k <= EXACT_LIMIT {
        upper_tail(&signed_rank_null(k), t_plus)
    } else {
        let sigma = ((k * (k + 1) * (2 * k + 1)) as f64 / 24.0).sqrt();
        normal_upper_tail(t_plus, (k * (k + 1)) as f64 / 4.0, sigma)
    };
    Some(interval(&walsh, c, cdf_c, p_value))
}

/// The interval `[v_(c+1), v_(N-c)]` of the sorted values, whose coverage is `1 - 2 P(S <= c)`.
/// `c = None` means even the widest interval does not reach the level: unbounded.
fn interval(sorted: &[f64], c: Option<usize>, cdf_c: f64, p_value: f64) -> Shift {
    let estimate = median_of_sorted(sorted);
    let n = sorted.len();
    match c {
        Some(c) if c < n - c => Shift {
            estimate,
            low: sorted[c],
            high: sorted[n - 1 - c],
            p_value,
            confidence: (1.0 - 2.0 * cdf_c).max(0.0),
        },
        _ => Shift {
            estimate,
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
            p_value,
            confidence: 1.0,
        },
    }
}

/// Midranks (1-based) of values already sorted ascending.
fn midranks(sorted: &[f64]) -> Vec<f64> {
    let mut ranks = vec![0.0; sorted.len()];
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[i] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        ranks[i..=j].iter_mut().for_each(|r| *r = rank);
        i = j + 1;
    }
    ranks
}

/// The largest `c` with `P(S <= c) <= alpha` (the number of ordered values cut from each end of
/// the interval), and that probability; `None` when even `P(S <= 0)` exceeds alpha.
fn critical(pmf: &[f64], alpha: f64) -> (Option<usize>, f64) {
    let mut cdf = 0.0;
    let mut found = (None, 0.0);
    for (s, p) in pmf.iter().enumerate() {
        cdf += p;
        if cdf <= alpha + 1e-12 {
            found = (Some(s), cdf);
        } else {
            break;
        }
    }
    // The interval's lower bound is the (c + 1)-th smallest value: the true shift is below it
    // exactly when the statistic is at most c, which has probability P(S <= c) <= alpha.
    found
}

/// Normal-approximation counterpart of [`critical`] for a statistic with `mean` and `sigma`.
fn normal_critical(mean: f64, sigma: f64, alpha: f64) -> (Option<usize>, f64) {
    let z = normal_quantile(1.0 - alpha);
    let c = (mean - z * sigma - 0.5).floor();
    if c < 0.0 {
        (None, 0.0)
    } else {
        let cdf = normal_cdf((c + 0.5 - mean) / sigma);
        (Some(c as usize), cdf)
    }
}

/// `P(S >= s)` under the exact null (half-integer statistics from ties round up).
fn upper_tail(pmf: &[f64], s: f64) -> f64 {
    let from = s.ceil().max(0.0) as usize;
    pmf.iter().skip(from).sum::<f64>().min(1.0)
}

fn normal_upper_tail(s: f64, mean: f64, sigma: f64) -> f64 {
    if sigma == 0.0 {
        return if s > mean { 0.0 } else { 1.0 };
    }
    1.0 - normal_cdf((s - 0.5 - mean) / sigma)
}

/// Null distribution of the Mann-Whitney U for sizes `m`, `n`: the coefficients of the Gaussian
/// binomial `[m + n choose m]_q`, built as `prod_k (1 - q^(n+k)) / (1 - q^k)`, divided by
/// `C(m + n, m)`.
fn mann_whitney_null(m: usize, n: usize) -> Vec<f64> {
    let mut poly: Vec<i128> = vec![1];
    for k in 1..=m {
        // Multiply by (1 - q^(n+k)).
        let shift = n + k;
        let mut next = vec![0i128; poly.len() + shift];
        for (i, c) in poly.iter().enumerate() {
            next[i] += c;
            next[i + shift] -= c;
        }
        // Divide by (1 - q^k): b[u] = a[u] + b[u - k]; exact, the quotient has degree k * n.
        let degree = k * n;
        let mut quotient = vec![0i128; degree + 1];
        for u in 0..=degree {
            quotient[u] = next[u] + if u >= k { quotient[u - k] } else { 0 };
        }
        poly = quotient;
    }
    let total: f64 = poly.iter().map(|c| *c as f64).sum();
    poly.iter().map(|c| *c as f64 / total).collect()
}

/// Null distribution of the signed-rank statistic for `n` non-zero differences: subset sums of
/// `{1..n}`, each subset with probability `2^-n`.
fn signed_rank_null(n: usize) -> Vec<f64> {
    let max = n * (n + 1) / 2;
    let mut counts = vec![0u128; max + 1];
    counts[0] = 1;
    for r in 1..=n {
        for t in (r..=max).rev() {
            counts[t] += counts[t - r];
        }
    }
    let total = 2f64.powi(n as i32);
    counts.iter().map(|c| *c as f64 / total).collect()
}

/// Standard normal CDF, from `erfc` (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7).
pub(crate) fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Inverse of [`normal_cdf`] by bisection (monotone, so 80 halvings are exact to f64).
fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0f64, 10.0f64);
    for _ in 0..80 {
        let mid = (lo + hi) / 2.0;
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn mann_whitney_null_matches_textbook_tables() {
        // m = n = 3: U takes 0..=9 with counts 1 1 2 3 3 3 3 2 1 1 over C(6,3) = 20.
        let pmf = mann_whitney_null(3, 3);
        let counts: Vec<f64> = pmf.iter().map(|p| (p * 20.0).round()).collect();
        assert_eq!(counts, [1., 1., 2., 3., 3., 3., 3., 2., 1., 1.]);
        // Table value: for m = n = 10, P(U <= 23) = 0.0216 and P(U <= 24) = 0.0262, so the
        // one-sided 2.5 % critical value is 23.
        let pmf = mann_whitney_null(10, 10);
        let cdf = |c: usize| pmf[..=c].iter().sum::<f64>();
        assert!(close(cdf(23), 0.0216, 5e-4), "{}", cdf(23));
        assert!(close(cdf(24), 0.0262, 5e-4), "{}", cdf(24));
        assert_eq!(critical(&pmf, 0.025).0, Some(23));
        // Large sizes stay exact and normalised.
        let pmf = mann_whitney_null(60, 60);
        assert!(close(pmf.iter().sum::<f64>(), 1.0, 1e-9));
    }

    #[test]
    fn signed_rank_null_matches_textbook_tables() {
        // n = 10: P(T <= 8) = 0.0244, P(T <= 10) = 0.0420 (table of the Wilcoxon test).
        let pmf = signed_rank_null(10);
        let cdf = |c: usize| pmf[..=c].iter().sum::<f64>();
        assert!(close(cdf(8), 0.0244, 5e-4), "{}", cdf(8));
        assert!(close(cdf(10), 0.0420, 5e-4), "{}", cdf(10));
        assert!(close(pmf.iter().sum::<f64>(), 1.0, 1e-12));
    }

    #[test]
    fn normal_helpers_agree_with_known_values() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(1.959_964), 0.975, 1e-6));
        assert!(close(normal_quantile(0.95), 1.644_854, 1e-5));
    }

    #[test]
    fn hodges_lehmann_of_a_pure_shift_is_the_shift() {
        let base: Vec<f64> = (0..20)
            .map(|i| 30_000.0 + (i * 37 % 11) as f64 * 100.0)
            .collect();
        let new: Vec<f64> = base.iter().map(|x| x + 5_000.0).collect();
        let shift = independent_shift(&base, &new, 0.025).unwrap();
        assert_eq!(shift.estimate, 5_000.0);
        assert!(shift.low > 0.0 && shift.low <= 5_000.0 && shift.high >= 5_000.0);
        assert!(shift.p_value < 1e-6, "{}", shift.p_value);
        let diffs: Vec<f64> = new.iter().zip(&base).map(|(y, x)| y - x).collect();
        let paired = paired_shift(&diffs, 0.025).unwrap();
        assert_eq!(
            (paired.estimate, paired.low, paired.high),
            (5_000.0, 5_000.0, 5_000.0)
        );
    }

    #[test]
    fn the_interval_is_the_textbook_one() {
        // Paired, n = 10, one-sided 2.5 %: c = 8 (P(T <= 8) = 0.0244), so the interval is the
        // 9th smallest and 9th largest of the 55 Walsh averages; coverage 1 - 2 * 0.0244.
        let diffs: Vec<f64> = (1..=10).map(f64::from).collect();
        let shift = paired_shift(&diffs, 0.025).unwrap();
        let mut walsh = Vec::new();
        for i in 0..10 {
            for j in i..10 {
                walsh.push((diffs[i] + diffs[j]) / 2.0);
            }
        }
        walsh.sort_by(f64::total_cmp);
        assert_eq!((shift.low, shift.high), (walsh[8], walsh[46]));
        assert!(close(shift.confidence, 1.0 - 2.0 * 0.0244, 1e-3));
        assert_eq!(shift.estimate, 5.5);
    }

    #[test]
    fn too_few_runs_give_an_unbounded_interval_and_an_unclear_verdict() {
        let shift = paired_shift(&[5_000.0, 6_000.0], 0.01).unwrap();
        assert_eq!(shift.low, f64::NEG_INFINITY);
        assert_eq!(verdict(&shift, 1_000.0), Verdict::Unclear);
    }

    #[test]
    fn verdicts_need_significance_and_the_minimum_effect() {
        let shift = |estimate, low, high| Shift {
            estimate,
            low,
            high,
            p_value: 0.0,
            confidence: 0.95,
        };
        // Significant and big enough.
        assert_eq!(verdict(&shift(5.0, 3.0, 7.0), 4.0), Verdict::Regressed);
        // Significant but small: clear once the whole interval is under the effect.
        assert_eq!(verdict(&shift(1.0, 0.5, 1.5), 4.0), Verdict::Clear);
        // Big estimate, not significant.
        assert_eq!(verdict(&shift(5.0, -1.0, 9.0), 4.0), Verdict::Unclear);
        // Small estimate, but the interval reaches the effect.
        assert_eq!(verdict(&shift(2.0, 0.5, 4.5), 4.0), Verdict::Unclear);
        // Faster.
        assert_eq!(verdict(&shift(-3.0, -5.0, -1.0), 4.0), Verdict::Clear);
    }

    #[test]
    fn min_effect_is_the_larger_of_the_floor_and_the_fraction() {
        let t = Thresholds::default();
        assert_eq!(t.min_effect(45_000.0), 4_500.0);
        assert_eq!(t.min_effect(3_000.0), 1_000.0);
    }

    #[test]
    fn ties_and_zero_differences_are_handled() {
        let shift = paired_shift(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 0.025).unwrap();
        assert_eq!(shift.estimate, 0.0);
        assert_eq!(shift.p_value, 1.0);
        let shift = independent_shift(&[1.0; 12], &[1.0; 12], 0.025).unwrap();
        assert_eq!((shift.estimate, shift.low, shift.high), (0.0, 0.0, 0.0));
        assert!(shift.p_value > 0.4);
    }

    #[test]
    fn normal_approximation_takes_over_for_large_series() {
        let base: Vec<f64> = (0..100).map(|i| (i * 7919 % 100) as f64).collect();
        let new: Vec<f64> = base.iter().map(|x| x + 10.0).collect();
        let shift = independent_shift(&base, &new, 0.025).unwrap();
        assert_eq!(shift.estimate, 10.0);
        assert!(shift.low < 10.0 && shift.high > 10.0 && shift.low > 0.0);
        assert!(shift.confidence > 0.94 && shift.confidence < 0.96);
    }
}
