//! How fast the machine is right now, measured by the interpreter's own start-up (`python -c
//! pass`), in CPU time.
//!
//! A baseline is compared with runs made at another moment. CPU time already ignores the time a
//! run waited for its CPU, but not a machine that is slower per instruction: another job on the
//! sibling hyperthread or thrashing the shared cache made the same process take 5-10 % more CPU
//! time here. Start-up does the same kind of work as importing (reading, unmarshalling and
//! running bytecode), so the ratio of the start-up CPU times then and now rescales the new runs,
//! and subtracting start-up leaves the imports' own CPU time, the quantity the minimum effect
//! is a share of. Paired runs need none of this: both sides share the moment.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::series::{children_cpu_us, median};

/// CPU time (microseconds) of one `python -c pass`, pinned like the measured runs (to the
/// highest-numbered CPU this process may use), or `None` where CPU times are unavailable.
pub fn startup_cpu_us(python: &Path) -> std::io::Result<Option<f64>> {
    let mut command = Command::new(python);
    command
        .args(["-c", "pass"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    pin(&mut command);
    let before = children_cpu_us();
    let status = command.status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "{} -c pass failed ({status})",
            python.display()
        )));
    }
    Ok(before.zip(children_cpu_us()).map(|(b, a)| a - b))
}

#[cfg(target_os = "linux")]
fn pin(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: cpu_set_t is plain data; the calls only read and write it.
    let cpu = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return;
        }
        let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
        (0..max).rev().find(|&c| libc::CPU_ISSET(c, &set))
    };
    let Some(cpu) = cpu else { return };
    // SAFETY: between fork and exec only async-signal-safe work: one system call on local data.
    unsafe {
        command.pre_exec(move || {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn pin(_command: &mut Command) {}

/// Rescales CPU times measured now (`cpu_now`, with start-up CPU times `startup_now`) to the
/// machine speed of a reference measured with start-up CPU times `startup_then`, start-up left
/// out: `(cpu - s_now) * s_then / s_now`. The reference's own runs become `cpu - s_then`.
/// `None` when a start-up median is not positive.
pub fn imports_cpu(cpu: &[f64], startup_now: &[f64], startup_then: &[f64]) -> Option<Vec<f64>> {
    let now = median(startup_now);
    let then = median(startup_then);
    if now <= 0.0 || then <= 0.0 {
        return None;
    }
    Some(cpu.iter().map(|c| (c - now) * then / now).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_machine_eight_percent_slower_is_rescaled() {
        // Then: start-up 20 ms, imports 40 ms. Now everything takes 8 % longer.
        let then = [20_000.0, 20_100.0, 19_900.0];
        let now: Vec<f64> = then.iter().map(|s| s * 1.08).collect();
        let cpu_now = [60_000.0 * 1.08, 60_500.0 * 1.08];
        let scaled = imports_cpu(&cpu_now, &now, &then).unwrap();
        assert!((scaled[0] - 40_000.0).abs() < 1.0, "{scaled:?}");
        assert!((scaled[1] - 40_500.0).abs() < 1.0, "{scaled:?}");
        let reference = imports_cpu(&[60_000.0], &then, &then).unwrap();
        assert_eq!(reference, [40_000.0]);
        assert!(imports_cpu(&[1.0], &[], &then).is_none());
    }

    #[test]
    fn the_interpreter_start_up_has_a_cpu_time() {
        let Ok(Some(cpu)) = startup_cpu_us(Path::new("python3")) else {
            eprintln!("skipped: no python3 or no CPU times");
            return;
        };
        assert!(cpu > 0.0);
    }
}
