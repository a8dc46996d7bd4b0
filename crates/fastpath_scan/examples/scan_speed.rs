//! Single-thread throughput of the fast scanner against the reference (full-parse) scanner.
//!
//! `cargo run --release -p fastpath_scan --example scan_speed [DIR...]` (default: the CPython
//! 3.11 standard library, without site-packages). Files are read and decoded first, so only
//! scanning is timed. The scanners run in interleaved passes and each keeps its best pass, so
//! both see the same machine; on Linux the figure is the thread's on-CPU time
//! (`/proc/thread-self/schedstat`), which a busy shared machine disturbs far less than wall
//! time (printed too).
//!
//! `--fast-only` times the fast scanner alone (for a profiler); `--once` makes one pass (for
//! instruction counting under cachegrind).

use std::path::{Path, PathBuf};
use std::time::Instant;

use fastpath_scan::{decode_source, fast, scan_source, scan_source_reference, Target};

// The allocator the `fastpath` binary uses, so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn python_files(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() && path.file_name().is_some_and(|n| n != "site-packages") => {
                python_files(&path, out)
            }
            Ok(kind) if kind.is_file() && path.extension().is_some_and(|e| e == "py") => {
                out.push(path)
            }
            _ => {}
        }
    }
}

/// Nanoseconds this thread has spent on a CPU, when the kernel says.
fn cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

#[derive(Clone, Copy)]
struct Best {
    wall: f64,
    cpu: Option<f64>,
}

impl Best {
    fn new() -> Self {
        Best {
            wall: f64::INFINITY,
            cpu: None,
        }
    }

    fn time(&mut self, run: impl FnOnce()) {
        let (cpu_start, start) = (cpu_nanos(), Instant::now());
        run();
        let wall = start.elapsed().as_secs_f64();
        let cpu = cpu_nanos()
            .zip(cpu_start)
            .map(|(end, start)| (end - start) as f64 / 1e9);
        self.wall = self.wall.min(wall);
        self.cpu = match (self.cpu, cpu) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    fn seconds(&self) -> f64 {
        self.cpu.unwrap_or(self.wall)
    }

    fn describe(&self, mb: f64) -> String {
        match self.cpu {
            Some(cpu) => format!(
                "{:7.1} MB/s on-CPU ({:.1} MB/s wall)",
                mb / cpu,
                mb / self.wall
            ),
            None => format!("{:7.1} MB/s wall", mb / self.wall),
        }
    }
}

fn main() {
    let flag = |name: &str| std::env::args().any(|a| a == name);
    let (fast_only, once) = (flag("--fast-only"), flag("--once"));
    let mut roots: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if roots.is_empty() {
        roots.push(PathBuf::from("/root/.pyenv/versions/3.11.7/lib/python3.11"));
    }
    let mut files = Vec::new();
    for root in &roots {
        python_files(root, &mut files);
    }
    let sources: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| decode_source(&b).text.into_owned())
        .collect();
    let mb = sources.iter().map(String::len).sum::<usize>() as f64 / 1e6;
    let target = Target::new(3, 11, "linux");
    let passes = if once { 1 } else { 7 };

    let (mut fast, mut mixed, mut reference) = (Best::new(), Best::new(), Best::new());
    let mut unsure = 0;
    for _ in 0..passes {
        fast.time(|| {
            unsure = sources
                .iter()
                .filter(|s| fast::try_scan(s, Some(&target)).is_err())
                .count();
        });
        if fast_only {
            continue;
        }
        mixed.time(|| {
            for s in &sources {
                std::hint::black_box(scan_source(s, Some(&target)));
            }
        });
        reference.time(|| {
            for s in &sources {
                std::hint::black_box(scan_source_reference(s, Some(&target)));
            }
        });
    }
    println!(
        "{} files, {mb:.1} MB, one thread, best of {passes} interleaved passes",
        sources.len()
    );
    println!(
        "fast (try_scan):        {}  ({unsure} files unsure)",
        fast.describe(mb)
    );
    if fast_only {
        return;
    }
    println!("fast with fallbacks:    {}", mixed.describe(mb));
    println!("reference (full parse): {}", reference.describe(mb));
    println!(
        "speed-up:               {:7.1}x",
        reference.seconds() / mixed.seconds()
    );
}
