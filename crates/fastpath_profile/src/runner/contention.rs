//! Which measured runs another process slowed down, and the bound on redoing them.
//!
//! Two signals per run, both cheap and both measured in the run itself:
//! - **CPU time against wall time.** An import is single-threaded work on a warm page cache: a
//!   run that had its CPU to itself spends nearly all its wall time on the CPU (the child's
//!   user + system time from `wait4`). A run whose CPU time is under [`ContentionRule::min_cpu_share`]
//!   of its wall time waited for a CPU. This catches a competitor on the same CPU even when
//!   every run suffers alike, which no comparison between runs can.
//! - **Start-up against the fastest start-up seen.** A run's start-up is its wall time minus
//!   its import time (interpreter initialisation, `site`, the bootstrap): the same work in
//!   every run, so a run whose start-up is far above the fastest one was slowed, whatever the
//!   import did. On our machines start-up rose from 12 ms to 27-40 ms under contention.
//!
//! A contended run is dropped and redone, up to [`ContentionRule::max_redo`] times in one
//! measurement; past that the measurement is *contended*: the report says so, and nothing
//! claims the precision target was met. Judgements are redone over all runs after each new
//! one, since a later, faster start-up can reveal an earlier run as slow. Everything here is
//! pure and tested on synthetic runs.

use serde::{Deserialize, Serialize};

/// What one run tells about contention.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSignals {
    /// Whole-process wall time, microseconds.
    pub wall_us: f64,
    /// The child's user + system CPU time, microseconds (`None` where the system cannot say).
    pub cpu_us: Option<f64>,
    /// Wall time outside the entry's import (start-up, bootstrap, exit), microseconds.
    pub startup_us: f64,
}

/// When a run counts as contended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ContentionRule {
    /// A run whose CPU time is below this share of its wall time waited for a CPU.
    pub min_cpu_share: f64,
    /// A run whose start-up exceeds the fastest start-up by this factor ...
    pub max_startup_ratio: f64,
    /// ... and by at least this much (microseconds; guards very fast start-ups) was slowed.
    pub min_startup_excess_us: f64,
    /// At most this many contended runs are dropped and redone in one measurement.
    pub max_redo: usize,
}

impl ContentionRule {
    /// The rule for a measurement of at most `max_runs` runs: half as many redos again, at
    /// least 5.
    pub fn for_runs(max_runs: usize) -> ContentionRule {
        ContentionRule {
            min_cpu_share: 0.75,
            max_startup_ratio: 1.5,
            min_startup_excess_us: 2_000.0,
            max_redo: (max_runs / 2).max(5),
        }
    }
}

/// Why a run was judged contended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Contended {
    /// It spent too little of its wall time on a CPU.
    CpuShare {
        /// CPU time over wall time.
        cpu_share: f64,
    },
    /// Its start-up was far slower than the fastest seen.
    SlowStartUp {
        /// This run's start-up, microseconds.
        startup_us: f64,
        /// The fastest start-up among the measurement's runs, microseconds.
        fastest_startup_us: f64,
    },
}

impl std::fmt::Display for Contended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Contended::CpuShare { cpu_share } => write!(
                f,
                "on a CPU only {:.0} % of its wall time",
                100.0 * cpu_share
            ),
            Contended::SlowStartUp {
                startup_us,
                fastest_startup_us,
            } => write!(
                f,
                "start-up {:.1} ms against a fastest {:.1} ms",
                startup_us / 1000.0,
                fastest_startup_us / 1000.0
            ),
        }
    }
}

/// Judges every run against the rule and the fastest start-up among them.
pub fn classify(runs: &[RunSignals], rule: &ContentionRule) -> Vec<Option<Contended>> {
    let fastest = runs
        .iter()
        .map(|r| r.startup_us)
        .filter(|s| s.is_finite() && *s > 0.0)
        .min_by(f64::total_cmp);
    runs.iter()
        .map(|run| {
            if let Some(cpu) = run.cpu_us {
                if run.wall_us > 0.0 {
                    let share = cpu / run.wall_us;
                    if share < rule.min_cpu_share {
                        return Some(Contended::CpuShare { cpu_share: share });
                    }
                }
            }
            let fastest = fastest?;
            (run.startup_us > fastest * rule.max_startup_ratio
                && run.startup_us - fastest >= rule.min_startup_excess_us)
                .then_some(Contended::SlowStartUp {
                    startup_us: run.startup_us,
                    fastest_startup_us: fastest,
                })
        })
        .collect()
}

/// A measured run left out of the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DroppedRun {
    /// Its place among the measured runs attempted (1-based).
    pub run: usize,
    /// Why.
    #[serde(flatten)]
    pub why: Contended,
}

/// What contention did to a measurement (`fastpath.profile/1`'s `contention`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Contention {
    /// Measured runs attempted, the dropped ones included.
    pub attempted: usize,
    /// Runs judged contended and left out of the statistics, in order.
    pub dropped: Vec<DroppedRun>,
    /// The redo bound was reached, or contended runs had to be kept: the measurement itself
    /// is contended, and its figures describe a busy machine.
    pub contended: bool,
    /// Runs judged contended that were kept anyway, because too few clean runs remained: the
    /// figures include them.
    pub kept_contended: Vec<DroppedRun>,
    /// Median share of wall time the kept runs spent on a CPU (`None`: unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_share: Option<f64>,
}

impl Contention {
    /// One sentence for the report: what was dropped and why, or `None` when nothing was.
    pub fn describe(&self) -> Option<String> {
        let slowed: Vec<&DroppedRun> = self.dropped.iter().chain(&self.kept_contended).collect();
        if slowed.is_empty() && !self.contended {
            return None;
        }
        let cpu = slowed
            .iter()
            .filter(|d| matches!(d.why, Contended::CpuShare { .. }))
            .count();
        let startup = slowed.len() - cpu;
        let mut why = Vec::new();
        if cpu > 0 {
            why.push(format!("{cpu} waited for a CPU"));
        }
        if startup > 0 {
            why.push(format!("{startup} started up slowly"));
        }
        let mut text = format!(
            "{} of {} runs were slowed by other processes ({})",
            slowed.len(),
            self.attempted,
            why.join(", ")
        );
        if self.kept_contended.is_empty() {
            text.push_str(" and dropped");
        } else {
            text.push_str(&format!(
                "; {} dropped, {} kept for want of clean runs",
                self.dropped.len(),
                self.kept_contended.len()
            ));
        }
        Some(if self.contended {
            format!("contended: {text}; the machine is busy (or the entry itself waits)")
        } else {
            text
        })
    }
}

/// How much a contended run was slowed, as a factor (1.0: not at all), for choosing the least
/// slowed runs when too few clean ones remain.
fn slowdown(why: &Contended) -> f64 {
    match *why {
        Contended::CpuShare { cpu_share } if cpu_share > 0.0 => 1.0 / cpu_share,
        Contended::CpuShare { .. } => f64::INFINITY,
        Contended::SlowStartUp {
            startup_us,
            fastest_startup_us,
        } if fastest_startup_us > 0.0 => startup_us / fastest_startup_us,
        Contended::SlowStartUp { .. } => f64::INFINITY,
    }
}

/// Which runs to keep after the measurement stopped (indices, in run order): the clean ones
/// when at least `min_runs` are; else the clean ones topped up to `min_runs` with the least
/// slowed contended runs (the measurement is then contended and says so).
pub fn kept(flags: &[Option<Contended>], min_runs: usize) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..flags.len()).filter(|&i| flags[i].is_none()).collect();
    let wanted = min_runs.max(1);
    if keep.len() < wanted {
        let mut contended: Vec<(usize, f64)> = flags
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().map(|why| (i, slowdown(why))))
            .collect();
        contended.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        keep.extend(contended.iter().take(wanted - keep.len()).map(|c| c.0));
        keep.sort_unstable();
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(wall_ms: f64, cpu_ms: f64, startup_ms: f64) -> RunSignals {
        RunSignals {
            wall_us: wall_ms * 1000.0,
            cpu_us: Some(cpu_ms * 1000.0),
            startup_us: startup_ms * 1000.0,
        }
    }

    #[test]
    fn quiet_runs_are_clean() {
        let runs = [
            run(110.0, 104.0, 12.0),
            run(112.0, 105.0, 12.5),
            run(108.0, 103.0, 11.8),
        ];
        let rule = ContentionRule::for_runs(10);
        assert!(classify(&runs, &rule).iter().all(Option::is_none));
    }

    #[test]
    fn a_run_sharing_its_cpu_is_contended_even_when_all_runs_are() {
        // A hog on the same CPU: every run doubled, each on a CPU half of its wall time.
        let runs = [run(220.0, 106.0, 25.0), run(216.0, 104.0, 24.0)];
        let flags = classify(&runs, &ContentionRule::for_runs(10));
        for flag in &flags {
            match flag {
                Some(Contended::CpuShare { cpu_share }) => assert!(*cpu_share < 0.5),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(kept(&flags, 5), [0, 1]);
        // Only one wanted: the least slowed (run 0 had 48.2 % of a CPU, run 1 48.1 %).
        assert_eq!(kept(&flags, 1), [0]);
    }

    #[test]
    fn a_slow_start_up_is_judged_against_the_fastest() {
        // Full CPU share (contention elsewhere, e.g. a shared cache) but start-up 30 ms vs 12.
        let runs = [
            run(110.0, 104.0, 12.0),
            run(140.0, 135.0, 30.0),
            run(111.0, 105.0, 13.0),
        ];
        let flags = classify(&runs, &ContentionRule::for_runs(10));
        assert_eq!(flags[0], None);
        assert_eq!(
            flags[1],
            Some(Contended::SlowStartUp {
                startup_us: 30_000.0,
                fastest_startup_us: 12_000.0
            })
        );
        assert_eq!(flags[2], None);
        assert_eq!(kept(&flags, 2), [0, 2]);
        // Too few clean runs: topped up with the contended one.
        assert_eq!(kept(&flags, 3), [0, 1, 2]);
        assert_eq!(kept(&flags, 9), [0, 1, 2]);
    }

    #[test]
    fn a_tiny_start_up_needs_an_absolute_excess_too() {
        // 0.5 ms vs 1.0 ms is twice as slow but only 0.5 ms: noise, not contention.
        let runs = [run(10.0, 9.5, 0.5), run(10.5, 10.0, 1.0)];
        assert!(classify(&runs, &ContentionRule::for_runs(10))
            .iter()
            .all(Option::is_none));
    }

    #[test]
    fn without_cpu_times_only_start_up_decides() {
        let mut runs = vec![run(110.0, 0.0, 12.0), run(230.0, 0.0, 40.0)];
        for r in &mut runs {
            r.cpu_us = None;
        }
        let flags = classify(&runs, &ContentionRule::for_runs(10));
        assert_eq!(flags[0], None);
        assert!(matches!(flags[1], Some(Contended::SlowStartUp { .. })));
        assert!(classify(&[], &ContentionRule::for_runs(10)).is_empty());
    }

    #[test]
    fn the_redo_bound_scales_with_the_runs() {
        assert_eq!(ContentionRule::for_runs(40).max_redo, 20);
        assert_eq!(ContentionRule::for_runs(3).max_redo, 5);
    }

    #[test]
    fn the_description_names_counts_and_causes() {
        let mut c = Contention {
            attempted: 12,
            dropped: vec![
                DroppedRun {
                    run: 2,
                    why: Contended::CpuShare { cpu_share: 0.4 },
                },
                DroppedRun {
                    run: 5,
                    why: Contended::SlowStartUp {
                        startup_us: 30_000.0,
                        fastest_startup_us: 12_000.0,
                    },
                },
            ],
            ..Contention::default()
        };
        assert_eq!(
            c.describe().unwrap(),
            "2 of 12 runs were slowed by other processes (1 waited for a CPU, 1 started up slowly) and dropped"
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["dropped"][0]["reason"], "cpu-share");
        assert_eq!(json["dropped"][1]["reason"], "slow-start-up");
        assert_eq!(json["dropped"][1]["fastest_startup_us"], 12_000.0);
        c.contended = true;
        c.kept_contended = vec![c.dropped.pop().unwrap()];
        let text = c.describe().unwrap();
        assert_eq!(
            text,
            "contended: 2 of 12 runs were slowed by other processes (1 waited for a CPU, 1 started up slowly); \
1 dropped, 1 kept for want of clean runs; the machine is busy (or the entry itself waits)"
        );
        c.kept_contended.clear();
        assert_eq!(Contention::default().describe(), None);
    }
}
