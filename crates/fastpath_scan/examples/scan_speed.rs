//! Single-thread throughput of the fast scanner against the reference (full-parse) scanner.
//!
//! `cargo run --release -p fastpath_scan --example scan_speed [DIR...]` (default: the CPython
//! 3.11 standard library). Files are read and decoded first, so only scanning is timed; each
//! scanner runs several passes and the best pass counts, which keeps a shared machine's noise
//! out of the figure.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fastpath_scan::{decode_source, fast, scan_source, Target};

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

fn main() {
    // `--fast-only` times the fast scanner alone (for a profiler).
    let fast_only = std::env::args().any(|a| a == "--fast-only");
    // `--once`: a single pass (for instruction counting under cachegrind).
    let once = std::env::args().any(|a| a == "--once");
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
    let bytes: usize = sources.iter().map(String::len).sum();
    let target = Target::new(3, 11, "linux");
    let passes = if once { 1 } else { 7 };

    let time = |scan: &dyn Fn(&str) -> usize| {
        let mut best = f64::INFINITY;
        let mut count = 0;
        for _ in 0..passes {
            let start = Instant::now();
            count = sources.iter().map(|s| scan(s)).sum::<usize>();
            best = best.min(start.elapsed().as_secs_f64());
        }
        (best, count)
    };
    let (fast_secs, fast_fallbacks) =
        time(&|s| usize::from(fast::try_scan(s, Some(&target)).is_err()));
    if fast_only {
        println!("fast: {:.1} MB/s", bytes as f64 / 1e6 / fast_secs);
        return;
    }
    let (ast_secs, _) = time(&|s| scan_source(s, Some(&target)).sites.len());
    let (mixed_secs, _) = time(&|s| {
        fastpath_scan::scan_source_fast(s, Some(&target))
            .sites
            .len()
    });
    let mb = bytes as f64 / 1e6;
    println!(
        "{} files, {mb:.1} MB, one thread, best of {passes} passes",
        sources.len()
    );
    println!(
        "fast (try_scan):        {:7.1} MB/s  ({fast_fallbacks} files unsure)",
        mb / fast_secs
    );
    println!("fast with fallbacks:    {:7.1} MB/s", mb / mixed_secs);
    println!("reference (full parse): {:7.1} MB/s", mb / ast_secs);
    println!("speed-up:               {:7.1}x", ast_secs / mixed_secs);
}
