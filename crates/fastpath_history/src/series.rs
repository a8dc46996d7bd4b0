//! Measurement series: per run, the entry's import total and every loaded module's self and
//! cumulative time, kept run by run (not summarised) because the regression tests need the
//! samples themselves.
//!
//! Per-module times follow `fastpath_profile::Profile`: a row whose module is not in
//! `sys.modules` afterwards is a failed import attempt that loaded nothing, so its self time is
//! added to the nearest loaded module above it. A module absent from a run cost nothing in it
//! (0). The import tree (which module's import each one ran inside) is taken from the first run
//! that loaded the module; it is what growth is attributed along.

use std::collections::BTreeMap;

use fastpath_profile::runner::Run;
use serde::{Deserialize, Serialize};

/// One module's times, one value per run (microseconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleSeries {
    /// The loaded module during whose import this one ran (importtime nesting); `None` for a
    /// top-level import of the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Time in the module's own body (failed attempts below it folded in).
    pub self_us: Vec<f64>,
    /// Time including everything its import loaded.
    pub cumulative_us: Vec<f64>,
}

/// The runs of one side of a comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Time importing the entry, per run.
    pub total_us: Vec<f64>,
    /// CPU time of each run's whole process (user + system), when it was measured for every
    /// run; empty otherwise. A busy machine inflates wall times by whole time slices a run
    /// waited for its CPU; CPU time counts the work only.
    #[serde(default)]
    pub cpu_us: Vec<f64>,
    /// CPU times of `python -c pass` runs made along with these runs: the machine's speed at
    /// the time (see [`crate::calibration`]); empty when not measured.
    #[serde(default)]
    pub startup_cpu_us: Vec<f64>,
    /// Every module loaded in any run, by name.
    pub modules: BTreeMap<String, ModuleSeries>,
}

impl Series {
    /// Number of runs.
    pub fn len(&self) -> usize {
        self.total_us.len()
    }

    /// Whether there are no runs.
    pub fn is_empty(&self) -> bool {
        self.total_us.is_empty()
    }

    /// A series of the given runs (without CPU times).
    pub fn from_runs<'a>(runs: impl IntoIterator<Item = &'a Run>) -> Series {
        let mut series = Series::default();
        for run in runs {
            series.push_run(run, None);
        }
        series
    }

    /// Appends one measured run, with its process's CPU time when known.
    pub fn push_run(&mut self, run: &Run, cpu_us: Option<f64>) {
        let times = run
            .module_times()
            .into_iter()
            .map(|(name, t)| (name, (t.self_us, t.cumulative_us, t.parent)))
            .collect();
        let complete = self.cpu_us.len() == self.len();
        self.push(run.total_us(), times);
        match cpu_us {
            Some(cpu) if complete => self.cpu_us.push(cpu),
            // One run without it makes the whole series without it.
            _ => self.cpu_us.clear(),
        }
    }

    /// The CPU times, when every run has one.
    pub fn cpu(&self) -> Option<&[f64]> {
        (!self.is_empty() && self.cpu_us.len() == self.len()).then_some(self.cpu_us.as_slice())
    }

    /// Appends one run given as totals: `module -> (self, cumulative, parent)`. Modules absent
    /// from it get zeros; modules new in it get zeros for the earlier runs.
    pub fn push(&mut self, total_us: f64, modules: BTreeMap<String, (f64, f64, Option<String>)>) {
        let before = self.len();
        for (name, (self_us, cumulative_us, parent)) in modules {
            let entry = self.modules.entry(name).or_insert_with(|| ModuleSeries {
                parent: parent.clone(),
                self_us: vec![0.0; before],
                cumulative_us: vec![0.0; before],
            });
            entry.self_us.push(self_us);
            entry.cumulative_us.push(cumulative_us);
        }
        self.total_us.push(total_us);
        for series in self.modules.values_mut() {
            series.self_us.resize(before + 1, 0.0);
            series.cumulative_us.resize(before + 1, 0.0);
        }
    }

    /// A module's series, or zeros when it never loaded on this side.
    pub fn module(&self, name: &str) -> ModuleSeries {
        self.modules
            .get(name)
            .cloned()
            .unwrap_or_else(|| ModuleSeries {
                parent: None,
                self_us: vec![0.0; self.len()],
                cumulative_us: vec![0.0; self.len()],
            })
    }

    /// Whether the series is well-formed: every module has one value per run.
    pub fn is_consistent(&self) -> bool {
        self.modules
            .values()
            .all(|m| m.self_us.len() == self.len() && m.cumulative_us.len() == self.len())
    }
}

/// CPU time (user + system) of every child process this process has reaped so far, in
/// microseconds. The difference around one measured run (which reaps exactly its interpreter)
/// is that run's CPU time; `None` where the system does not say.
pub fn children_cpu_us() -> Option<f64> {
    #[cfg(unix)]
    {
        // SAFETY: getrusage writes one plain struct we own.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            if libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) != 0 {
                return None;
            }
            usage
        };
        let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
        Some(us(usage.ru_utime) + us(usage.ru_stime))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Median of `values` (0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return 0.0;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fastpath_profile::importtime;
    use fastpath_profile::runner::EntryOutcome;

    fn run(text: &str, modules: &[&str]) -> Run {
        Run {
            wall_us: 0.0,
            imports: importtime::parse(text),
            modules: modules.iter().map(|m| m.to_string()).collect(),
            outcome: EntryOutcome::Imported,
        }
    }

    #[test]
    fn failed_attempts_are_folded_into_their_owner_and_absent_modules_are_zero() {
        let text = "import time: self [us] | cumulative | imported package\n\
import time:       100 |        100 |     org.python.core\n\
import time:       200 |        300 |   copy\n\
import time:        50 |         50 |   heavy\n\
import time:        10 |        360 | app\n";
        let first = run(text, &["copy", "heavy", "app"]);
        let second_text = "import time: self [us] | cumulative | imported package\n\
import time:        60 |         60 |   heavy\n\
import time:        10 |         70 | app\n";
        let second = run(second_text, &["heavy", "app"]);
        let series = Series::from_runs([&first, &second]);
        assert_eq!(series.total_us, [360.0, 70.0]);
        assert_eq!(series.cpu(), None);
        let mut with_cpu = Series::default();
        with_cpu.push_run(&first, Some(900.0));
        with_cpu.push_run(&second, Some(800.0));
        assert_eq!(with_cpu.cpu(), Some(&[900.0, 800.0][..]));
        with_cpu.push_run(&second, None);
        assert_eq!(with_cpu.cpu(), None);
        assert!(series.is_consistent());
        // `org.python.core` failed: its 100 us belong to `copy`.
        assert_eq!(series.modules["copy"].self_us, [300.0, 0.0]);
        assert!(!series.modules.contains_key("org.python.core"));
        assert_eq!(series.modules["heavy"].cumulative_us, [50.0, 60.0]);
        assert_eq!(series.modules["app"].parent, None);
        assert_eq!(series.modules["copy"].parent.as_deref(), Some("app"));
    }

    #[test]
    fn children_cpu_time_grows_with_a_busy_child() {
        let Some(before) = children_cpu_us() else {
            return;
        };
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(children_cpu_us().unwrap() > before);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
