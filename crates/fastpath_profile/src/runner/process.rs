//! Child processes: scratch files, the cleaned environment, CPU pinning, spawning with a
//! timeout and killing the whole process group.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{Bytecode, RunError};

/// Variables removed from the child's environment in every mode.
const ALWAYS_REMOVED: [&str; 4] = [
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONSTARTUP",
    "PYTHONINSPECT",
    "PYTHONVERBOSE",
];

/// How much of the program's captured output is kept for error messages.
pub(super) const OUTPUT_TAIL_BYTES: u64 = 16 * 1024;

/// Scratch files shared by the runs of one measurement.
pub(super) struct Scratch {
    pub(super) dir: tempfile::TempDir,
    pub(super) nonce: String,
}

impl Scratch {
    pub(super) fn new() -> Result<Scratch, RunError> {
        let dir = tempfile::Builder::new()
            .prefix("fastpath-profile-")
            .tempdir()
            .map_err(|source| RunError::Scratch {
                path: std::env::temp_dir(),
                source,
            })?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let nonce = format!("{:x}-{:x}", std::process::id(), nanos);
        Ok(Scratch { dir, nonce })
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(super) fn create(&self, name: &str) -> Result<File, RunError> {
        let path = self.path(name);
        File::create(&path).map_err(|source| RunError::Scratch { path, source })
    }

    pub(super) fn read(&self, name: &str) -> Result<Vec<u8>, RunError> {
        let path = self.path(name);
        fs::read(&path).map_err(|source| RunError::Scratch { path, source })
    }
}

/// The last `OUTPUT_TAIL_BYTES` of a capture file, lossily decoded.
pub(super) fn tail(path: &Path) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let start = len.saturating_sub(OUTPUT_TAIL_BYTES);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if start > 0 {
        format!("[... {start} earlier bytes of output omitted ...]\n{text}")
    } else {
        text
    }
}

/// How a child ended.
pub(super) struct Finished {
    pub(super) status: ExitStatus,
    pub(super) wall: Duration,
    /// The child's user + system CPU time, where the system reports it.
    pub(super) cpu: Option<Duration>,
    pub(super) timed_out: bool,
}

/// Pins the calling process (the child, between fork and exec) to `cpu`.
#[cfg(target_os = "linux")]
pub(super) fn pin_self(cpu: usize) -> io::Result<()> {
    // SAFETY: only async-signal-safe work between fork and exec: bit operations on a local
    // cpu_set_t and one system call.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn pin_self(_cpu: usize) -> io::Result<()> {
    Ok(())
}

/// Kills every process in the group led by `pid` (ignores a group that is already gone).
pub(super) fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: plain system call; a negative pid addresses the process group.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Spawns `cmd` with stdout/stderr to scratch files, waits at most the timeout.
pub(super) fn run_child(
    mut cmd: Command,
    scratch: &Scratch,
    pinned: Option<usize>,
    timeout: Duration,
    python: &Path,
) -> Result<Finished, RunError> {
    cmd.stdout(scratch.create("stdout")?);
    cmd.stderr(scratch.create("stderr")?);
    cmd.process_group(0);
    if let Some(cpu) = pinned {
        // SAFETY: pin_self only makes one system call on local data.
        unsafe {
            cmd.pre_exec(move || pin_self(cpu));
        }
    }
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
        python: python.to_path_buf(),
        source,
    })?;
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    // A blocking wait in a helper thread gives an exact end time; the main thread only
    // enforces the timeout.
    let waiter = std::thread::spawn(move || {
        let (status, cpu) = wait_with_usage(&mut child);
        let _ = sender.send(((status, cpu), Instant::now()));
    });
    let (result, timed_out) = match receiver.recv_timeout(timeout) {
        Ok(done) => (done, false),
        Err(_) => {
            kill_group(pid);
            match receiver.recv() {
                Ok(done) => (done, true),
                Err(_) => (
                    (
                        (Err(io::Error::other("waiter thread ended")), None),
                        Instant::now(),
                    ),
                    true,
                ),
            }
        }
    };
    let _ = waiter.join();
    // Stragglers the entry started in the background must not outlive the run.
    kill_group(pid);
    let ((status, cpu), end) = result;
    let status = status.map_err(|source| RunError::Spawn {
        python: python.to_path_buf(),
        source,
    })?;
    Ok(Finished {
        status,
        wall: end.duration_since(start),
        cpu,
        timed_out,
    })
}

/// Waits for `child` and returns its status with the user + system CPU time it used, from
/// `wait4` (std's `wait` reaps without the resource usage).
#[cfg(target_os = "linux")]
fn wait_with_usage(child: &mut std::process::Child) -> (io::Result<ExitStatus>, Option<Duration>) {
    use std::os::unix::process::ExitStatusExt;
    let Ok(pid) = libc::pid_t::try_from(child.id()) else {
        return (child.wait(), None);
    };
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain data that wait4 fills; the pid is our own child's.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            let time = |t: libc::timeval| {
                Duration::from_secs(t.tv_sec.max(0) as u64)
                    + Duration::from_micros(t.tv_usec.max(0) as u64)
            };
            let cpu = time(usage.ru_utime) + time(usage.ru_stime);
            return (Ok(ExitStatus::from_raw(status)), Some(cpu));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return (Err(err), None);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn wait_with_usage(child: &mut std::process::Child) -> (io::Result<ExitStatus>, Option<Duration>) {
    (child.wait(), None)
}

/// Environment variables the child never inherits in `mode` (see the module documentation).
pub(super) fn removed_variables(mode: Bytecode) -> Vec<&'static str> {
    let mut removals = ALWAYS_REMOVED.to_vec();
    if mode == Bytecode::Cached {
        // The warm-up must write `.pyc` files (into the private cache), as a deployed package
        // has them.
        removals.push("PYTHONDONTWRITEBYTECODE");
    }
    removals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inherited_variables_that_corrupt_a_measurement_are_removed() {
        let cached = removed_variables(Bytecode::Cached);
        for name in [
            "PYTHONPROFILEIMPORTTIME",
            "PYTHONSTARTUP",
            "PYTHONINSPECT",
            "PYTHONVERBOSE",
            "PYTHONDONTWRITEBYTECODE",
        ] {
            assert!(cached.contains(&name), "{name}");
        }
        // Fresh mode passes -B itself; the variable is harmless there.
        assert!(!removed_variables(Bytecode::Fresh).contains(&"PYTHONDONTWRITEBYTECODE"));
    }
}
