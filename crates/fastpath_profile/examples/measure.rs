//! Measures an entry with the library's defaults and prints a summary, then the profile JSON.
//!
//! `cargo run -p fastpath_profile --example measure -- PYTHON PROJECT_ROOT ENTRY [--fresh] [--runs N] [--unpinned]`
//!
//! A development aid for checking the figures by hand; the real front end is `fastpath profile`.

use std::time::Instant;

use fastpath_profile::runner::{measure, Bytecode, Pinning, RunnerConfig};
use fastpath_profile::stats::StoppingRule;
use fastpath_profile::Profile;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: measure PYTHON PROJECT_ROOT ENTRY [--fresh] [--runs N] [--unpinned]");
        std::process::exit(2);
    }
    let mut config = RunnerConfig::new(&args[0], &args[1], &args[2]);
    let mut rest = args[3..].iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--fresh" => config.bytecode = Bytecode::Fresh,
            "--unpinned" => config.pinning = Pinning::Off,
            "--runs" => {
                let n = rest.next().and_then(|n| n.parse().ok()).unwrap_or(10);
                config.stopping = StoppingRule::fixed(n);
            }
            other => {
                eprintln!("unknown flag {other}");
                std::process::exit(2);
            }
        }
    }
    let start = Instant::now();
    let measurement = match measure(&config, &mut |_| {}) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let elapsed = start.elapsed();
    let profile = Profile::from_measurement(&measurement);
    eprintln!(
        "{} on {} {}: {} runs ({}), pinned {:?}",
        profile.entry,
        profile.interpreter.implementation,
        profile.interpreter.version,
        profile.runs,
        if profile.stability.converged {
            "converged"
        } else {
            "hit the maximum"
        },
        profile.pinned
    );
    eprintln!(
        "imports median {:.1} ms [{:.1}, {:.1}] (robust CV {:.1} %, CI half-width {:.1} %)",
        profile.total_us.median / 1e3,
        profile.stability.ci_low_us / 1e3,
        profile.stability.ci_high_us / 1e3,
        100.0 * profile.stability.robust_cv,
        100.0 * profile.stability.relative_half_width
    );
    eprintln!(
        "process wall median {:.1} ms; start-up (-c pass) median {:.1} ms; modules {}; tool wall {:.2} s",
        profile.process_wall_us.median / 1e3,
        profile.startup_us.map_or(0.0, |s| s.median) / 1e3,
        profile.modules.len(),
        elapsed.as_secs_f64()
    );
    println!("{}", serde_json::to_string_pretty(&profile).unwrap());
}
