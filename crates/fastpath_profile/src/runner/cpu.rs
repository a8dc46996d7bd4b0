//! Which CPU the measured interpreter runs on: the least-busy CPU this process may use, read
//! from `/proc/stat` deltas over a short window, reserved with an advisory lock so that two
//! fastpath processes started together never share one, and checked again between runs.
//!
//! Pinning steadies the figures (robust CV 2-19 % unpinned, 1-4 % pinned on our machines), but
//! a pinned process cannot escape a competitor on its CPU: one busy process there doubled a
//! ~100 ms import while the other CPU stood idle. So the choice looks at load first. Every
//! allowed CPU busy means there is no quiet CPU to pin to; the interpreter then runs unpinned
//! (the scheduler can at least move it) and the report says why. The arithmetic is pure and
//! tested on synthetic `/proc/stat` samples; only [`sample`] and [`CpuLocks`] touch the system.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Pinning, RunError};

/// How long the first look at the machine's load lasts.
pub const SAMPLE_WINDOW: Duration = Duration::from_millis(100);

/// A CPU busier than this (share of the window spent on other work) is not pinned to.
pub const MAX_BUSY: f64 = 0.5;

/// One CPU's counters from a `/proc/stat` line, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTicks {
    /// Ticks spent on anything but idling (`iowait` counts as idle: the CPU was free).
    pub busy: u64,
    /// All ticks.
    pub total: u64,
}

/// Per-CPU counters at one instant, by CPU number.
pub type CpuSample = BTreeMap<usize, CpuTicks>;

/// Parses the `cpuN` lines of `/proc/stat` (the aggregate `cpu` line and malformed lines are
/// skipped: bad input yields fewer CPUs, never a panic).
pub fn parse_proc_stat(text: &str) -> CpuSample {
    let mut sample = CpuSample::new();
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(label) = fields.next() else { continue };
        let Some(number) = label.strip_prefix("cpu") else {
            continue;
        };
        let Ok(cpu) = number.parse::<usize>() else {
            continue;
        };
        let values: Vec<u64> = fields.map_while(|f| f.parse().ok()).collect();
        if values.len() < 4 {
            continue;
        }
        // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is
        // already inside user and nice, so only the first eight fields add up.
        let counted = &values[..values.len().min(8)];
        let total: u64 = counted.iter().sum();
        let idle = values[3] + values.get(4).copied().unwrap_or(0);
        sample.insert(
            cpu,
            CpuTicks {
                busy: total.saturating_sub(idle),
                total,
            },
        );
    }
    sample
}

/// Share of each CPU's time spent busy between two samples (0.0 to 1.0). A CPU missing from
/// either sample, or whose counters did not advance, is left out.
pub fn busy_shares(before: &CpuSample, after: &CpuSample) -> BTreeMap<usize, f64> {
    after
        .iter()
        .filter_map(|(cpu, a)| {
            let b = before.get(cpu)?;
            let total = a.total.checked_sub(b.total)?;
            let busy = a.busy.checked_sub(b.busy)?;
            (total > 0).then(|| (*cpu, (busy as f64 / total as f64).min(1.0)))
        })
        .collect()
}

/// Reads `/proc/stat` now; `None` where it does not exist or cannot be read.
pub fn sample() -> Option<CpuSample> {
    let text = fs::read_to_string("/proc/stat").ok()?;
    let sample = parse_proc_stat(&text);
    (!sample.is_empty()).then_some(sample)
}

/// Where the measured interpreter ran, and why.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Placement {
    /// The CPU the last measured run was pinned to (`None`: unpinned).
    pub cpu: Option<usize>,
    /// Each CPU's busy share in the first look, percent, as the choice saw it.
    pub busy_percent: BTreeMap<usize, f64>,
    /// Why it ran unpinned, or on a CPU other than the least busy, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Changes of CPU between runs, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moves: Vec<Move>,
}

/// A change of CPU between two runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Move {
    /// The measured run after which the check ran (1-based).
    pub after_run: usize,
    /// The CPU left (`None`: was unpinned).
    pub from: Option<usize>,
    /// The CPU taken (`None`: unpinned from now on).
    pub to: Option<usize>,
    /// Share of the CPU left that other processes used over the window, percent.
    pub foreign_busy_percent: f64,
}

/// What [`choose`] decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// Pin to this CPU (its lock is taken).
    Pinned {
        /// The CPU.
        cpu: usize,
        /// Its busy share.
        busy: f64,
    },
    /// Run unpinned, for this reason (a sentence).
    Unpinned(String),
}

/// Picks the least-busy allowed CPU at most [`MAX_BUSY`] busy whose lock `take` obtains. Ties
/// go to the higher-numbered CPU (CPU 0 tends to take more interrupts). CPUs without a busy
/// share count as idle (nothing says otherwise).
pub fn choose(
    busy: &BTreeMap<usize, f64>,
    allowed: &[usize],
    mut take: impl FnMut(usize) -> bool,
) -> Choice {
    if allowed.is_empty() {
        return Choice::Unpinned("no CPU is allowed to this process".to_string());
    }
    let share = |cpu: usize| busy.get(&cpu).copied().unwrap_or(0.0);
    let mut order: Vec<usize> = allowed.to_vec();
    order.sort_by(|a, b| share(*a).total_cmp(&share(*b)).then(b.cmp(a)));
    let mut taken_by_others = Vec::new();
    for &cpu in &order {
        if share(cpu) > MAX_BUSY {
            break;
        }
        if take(cpu) {
            return Choice::Pinned {
                cpu,
                busy: share(cpu),
            };
        }
        taken_by_others.push(cpu);
    }
    let least = order[0];
    if taken_by_others.is_empty() {
        Choice::Unpinned(format!(
            "every allowed CPU was busy (the least busy, CPU {least}, at {:.0} %): ran unpinned",
            100.0 * share(least)
        ))
    } else {
        let list: Vec<String> = taken_by_others.iter().map(|c| c.to_string()).collect();
        Choice::Unpinned(format!(
            "the quiet CPUs ({}) were taken by other fastpath processes and the rest were busy: ran unpinned",
            list.join(", ")
        ))
    }
}

/// The load other processes put on `cpu` over a window in which the measured children used
/// `own_cpu_share` of one CPU there: its busy share minus ours, never below zero.
pub fn foreign_share(busy: &BTreeMap<usize, f64>, cpu: usize, own_cpu_share: f64) -> f64 {
    (busy.get(&cpu).copied().unwrap_or(0.0) - own_cpu_share).max(0.0)
}

/// Leave the pinned CPU between runs when other processes used more than this share of it: a
/// competitor taking a quarter of our CPU already slows every run, so the bar is lower than
/// [`MAX_BUSY`] for the first choice.
pub const MOVE_WHEN_FOREIGN: f64 = 0.25;

/// Advisory per-CPU locks (`flock`) under the temporary directory, shared by every fastpath
/// process on the machine. A lock is released when its file is closed, so a crashed process
/// never leaves a CPU reserved.
#[derive(Debug)]
pub struct CpuLocks {
    dir: PathBuf,
}

impl Default for CpuLocks {
    fn default() -> Self {
        CpuLocks {
            dir: std::env::temp_dir().join("fastpath-cpu-locks"),
        }
    }
}

impl CpuLocks {
    /// Locks under `dir` (tests use their own directory).
    pub fn in_dir(dir: impl Into<PathBuf>) -> CpuLocks {
        CpuLocks { dir: dir.into() }
    }

    /// Tries to reserve `cpu` without waiting. `Ok(None)`: another process holds it. An error
    /// means locking is not possible here (the caller pins without a lock).
    pub fn try_lock(&self, cpu: usize) -> std::io::Result<Option<File>> {
        if !self.dir.is_dir() {
            fs::create_dir_all(&self.dir)?;
            // Shared by every user of the machine, like /tmp itself.
            let _ = fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o1777));
        }
        let path = self.dir.join(format!("cpu-{cpu}.lock"));
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let file = OpenOptions::new()
                    .append(true)
                    .create(true)
                    .mode(0o666)
                    .open(&path)?;
                let _ = file.set_permissions(fs::Permissions::from_mode(0o666));
                file
            }
            Err(e) => return Err(e),
        };
        flock_nonblocking(&file).map(|locked| locked.then_some(file))
    }
}

/// The CPU of one measurement over time: the first choice, the checks between runs, the lock
/// it holds and what the report will say.
#[derive(Debug)]
pub(super) struct Placer {
    /// Re-checking happens only for [`Pinning::Auto`].
    auto: bool,
    allowed: Vec<usize>,
    locks: CpuLocks,
    /// The lock of the current CPU (dropping it releases the CPU).
    lock: Option<File>,
    placement: Placement,
    /// The `/proc/stat` sample that opened the current window, and when.
    window: Option<(CpuSample, Instant)>,
    /// CPU time our children used since the window opened.
    own_cpu: Duration,
}

/// How long a window between two checks lasts at least: `/proc/stat` counts in 10 ms ticks.
const RECHECK_WINDOW: Duration = Duration::from_millis(300);

impl Placer {
    /// Decides the first CPU (see the module documentation). `Pinning::Cpu` is honoured as
    /// given, or an error when this process may not use that CPU.
    pub(super) fn start(pinning: Pinning) -> Result<Placer, RunError> {
        let mut placer = Placer {
            auto: pinning == Pinning::Auto,
            allowed: allowed_cpus().unwrap_or_default(),
            locks: CpuLocks::default(),
            lock: None,
            placement: Placement::default(),
            window: None,
            own_cpu: Duration::ZERO,
        };
        match pinning {
            Pinning::Off => {}
            Pinning::Cpu(cpu) => {
                if allowed_cpus().is_none() {
                    return Err(RunError::Pin {
                        cpu,
                        reason: "CPU affinity is not available on this system".to_string(),
                    });
                }
                if !placer.allowed.contains(&cpu) {
                    return Err(RunError::Pin {
                        cpu,
                        reason: format!("this process may only run on CPUs {:?}", placer.allowed),
                    });
                }
                placer.placement.cpu = Some(cpu);
            }
            Pinning::Auto if placer.allowed.is_empty() => {
                placer.placement.note =
                    Some("CPU affinity is not available here: ran unpinned".to_string());
            }
            Pinning::Auto => {
                let before = sample();
                std::thread::sleep(SAMPLE_WINDOW);
                let after = sample();
                let busy = match (&before, &after) {
                    (Some(b), Some(a)) => busy_shares(b, a),
                    _ => BTreeMap::new(),
                };
                placer.placement.busy_percent = busy
                    .iter()
                    .filter(|(cpu, _)| placer.allowed.contains(cpu))
                    .map(|(cpu, share)| (*cpu, (1000.0 * share).round() / 10.0))
                    .collect();
                let allowed = placer.allowed.clone();
                match placer.choose_among(&busy, &allowed) {
                    Choice::Pinned { cpu, .. } => placer.placement.cpu = Some(cpu),
                    Choice::Unpinned(why) => placer.placement.note = Some(why),
                }
                placer.window = after.map(|a| (a, Instant::now()));
            }
        }
        Ok(placer)
    }

    /// [`choose`] with the real locks; the lock of the CPU chosen is kept. A system where
    /// locking fails pins without one.
    fn choose_among(&mut self, busy: &BTreeMap<usize, f64>, cpus: &[usize]) -> Choice {
        let locks = &self.locks;
        let mut taken = None;
        let choice = choose(busy, cpus, |cpu| match locks.try_lock(cpu) {
            Ok(Some(file)) => {
                taken = Some(file);
                true
            }
            Ok(None) => false,
            Err(_) => true,
        });
        if let Choice::Pinned { .. } = choice {
            self.lock = taken;
        }
        choice
    }

    /// The CPU the next run is pinned to.
    pub(super) fn cpu(&self) -> Option<usize> {
        self.placement.cpu
    }

    /// Counts a finished run's CPU time as our own load in the current window.
    pub(super) fn account(&mut self, cpu: Option<Duration>) {
        self.own_cpu += cpu.unwrap_or_default();
    }

    /// Between measured runs: once a window has passed, moves off the pinned CPU when other
    /// processes used more than [`MOVE_WHEN_FOREIGN`] of it and another allowed CPU is
    /// clearly quieter (unpinned when every other one is busy).
    pub(super) fn recheck(&mut self, after_run: usize) {
        let (Some(current), true) = (self.placement.cpu, self.auto) else {
            return;
        };
        let Some((start_sample, start)) = &self.window else {
            return;
        };
        let elapsed = start.elapsed();
        if elapsed < RECHECK_WINDOW {
            return;
        }
        let Some(now) = sample() else { return };
        let busy = busy_shares(start_sample, &now);
        let own = self.own_cpu.as_secs_f64() / elapsed.as_secs_f64();
        let foreign = foreign_share(&busy, current, own);
        self.window = Some((now, Instant::now()));
        self.own_cpu = Duration::ZERO;
        if foreign <= MOVE_WHEN_FOREIGN {
            return;
        }
        let others: Vec<usize> = self
            .allowed
            .iter()
            .copied()
            .filter(|&c| c != current)
            .collect();
        let old_lock = self.lock.take();
        let to = match self.choose_among(&busy, &others) {
            Choice::Pinned { busy: quieter, cpu } if quieter + 0.1 < foreign => Some(cpu),
            Choice::Pinned { .. } => {
                // Not clearly quieter: stay, and keep our own lock.
                self.lock = old_lock;
                return;
            }
            Choice::Unpinned(_) if foreign > MAX_BUSY => None,
            Choice::Unpinned(_) => {
                self.lock = old_lock;
                return;
            }
        };
        drop(old_lock);
        self.placement.moves.push(Move {
            after_run,
            from: Some(current),
            to,
            foreign_busy_percent: (1000.0 * foreign).round() / 10.0,
        });
        self.placement.cpu = to;
        if to.is_none() {
            self.placement.note = Some(format!(
                "other processes took {:.0} % of CPU {current} and every other CPU was busy: ran unpinned from run {}",
                100.0 * foreign,
                after_run + 1
            ));
        }
    }

    /// What the report says about the CPU.
    pub(super) fn placement(&self) -> Placement {
        self.placement.clone()
    }
}

/// CPUs this process may run on.
#[cfg(target_os = "linux")]
pub(super) fn allowed_cpus() -> Option<Vec<usize>> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return None;
        }
        let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
        Some((0..max).filter(|&cpu| libc::CPU_ISSET(cpu, &set)).collect())
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn allowed_cpus() -> Option<Vec<usize>> {
    None
}

#[cfg(unix)]
fn flock_nonblocking(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: plain system call on a descriptor this function borrows.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: &str = "cpu  100 0 100 1000 0 0 0 0 0 0\n\
cpu0 50 0 50 500 0 0 0 0 0 0\n\
cpu1 50 0 50 500 0 0 0 0 0 0\n\
intr 12345\n";
    // CPU 1 spent the whole window busy (a hog), CPU 0 stayed idle but for 1 tick of I/O wait.
    const HOG_ON_1: &str = "cpu  200 0 100 1100 1 0 0 0 0 0\n\
cpu0 50 0 50 599 1 0 0 0 0 0\n\
cpu1 150 0 50 500 0 0 0 0 0 0\n";

    fn shares(before: &str, after: &str) -> BTreeMap<usize, f64> {
        busy_shares(&parse_proc_stat(before), &parse_proc_stat(after))
    }

    #[test]
    fn proc_stat_lines_parse_per_cpu_and_skip_the_rest() {
        let s = parse_proc_stat(QUIET);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[&0],
            CpuTicks {
                busy: 100,
                total: 600
            }
        );
        // Garbage never panics; a short line is skipped.
        let s = parse_proc_stat("cpu0 1 2\ncpux 1 2 3 4\ncpu7 1 1 1 1 x\n\u{0}");
        assert_eq!(s.len(), 1);
        assert_eq!(s[&7].total, 4);
        // guest fields are inside user time: not counted twice.
        let s = parse_proc_stat("cpu0 10 0 0 10 0 0 0 0 10 0\n");
        assert_eq!(s[&0].total, 20);
    }

    #[test]
    fn busy_shares_come_from_deltas_and_iowait_is_idle() {
        let b = shares(QUIET, HOG_ON_1);
        assert_eq!(b[&1], 1.0);
        assert_eq!(b[&0], 0.0);
        // Counters that went backwards or stood still give no share.
        assert!(shares(HOG_ON_1, QUIET).is_empty());
        assert!(shares(QUIET, QUIET).is_empty());
    }

    #[test]
    fn the_least_busy_cpu_is_chosen() {
        let busy = shares(QUIET, HOG_ON_1);
        assert_eq!(
            choose(&busy, &[0, 1], |_| true),
            Choice::Pinned { cpu: 0, busy: 0.0 }
        );
        // Not allowed to use CPU 0: CPU 1 is busy, so unpinned, and the reason says so.
        match choose(&busy, &[1], |_| true) {
            Choice::Unpinned(why) => assert!(why.contains("every allowed CPU was busy"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ties_go_to_the_highest_cpu() {
        let busy: BTreeMap<usize, f64> = [(0, 0.1), (1, 0.1), (2, 0.1)].into();
        assert_eq!(
            choose(&busy, &[0, 1, 2], |_| true),
            Choice::Pinned { cpu: 2, busy: 0.1 }
        );
    }

    #[test]
    fn a_cpu_locked_by_another_process_is_skipped() {
        let busy: BTreeMap<usize, f64> = [(0, 0.05), (1, 0.0)].into();
        assert_eq!(
            choose(&busy, &[0, 1], |cpu| cpu != 1),
            Choice::Pinned { cpu: 0, busy: 0.05 }
        );
        match choose(&busy, &[0, 1], |_| false) {
            Choice::Unpinned(why) => assert!(why.contains("taken by other fastpath"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn all_busy_runs_unpinned() {
        let busy: BTreeMap<usize, f64> = [(0, 0.9), (1, 0.8)].into();
        match choose(&busy, &[0, 1], |_| true) {
            Choice::Unpinned(why) => assert!(why.contains("CPU 1, at 80 %"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn our_own_runs_are_not_counted_as_foreign_load() {
        let busy: BTreeMap<usize, f64> = [(0, 0.95), (1, 0.02)].into();
        assert!((foreign_share(&busy, 0, 0.9) - 0.05).abs() < 1e-9);
        assert_eq!(foreign_share(&busy, 1, 0.5), 0.0);
    }

    #[test]
    fn two_processes_never_hold_the_same_cpu() {
        let dir = tempfile::tempdir().unwrap();
        let locks = CpuLocks::in_dir(dir.path().join("locks"));
        let first = locks.try_lock(3).unwrap();
        assert!(first.is_some());
        // A second open file description (as another process has) cannot take it.
        assert!(locks.try_lock(3).unwrap().is_none());
        assert!(locks.try_lock(2).unwrap().is_some());
        drop(first);
        assert!(locks.try_lock(3).unwrap().is_some());
    }
}
