//! Why a measurement failed: one error type whose messages name the entry, interpreter or file.

/// Why a measurement failed. Messages name the entry, interpreter or file involved.
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use super::Phase;

/// Why a measurement failed. Messages name the entry, interpreter or file involved.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The entry is not a dotted module name.
    #[error(
        "`{entry}` is not a module name (expected dotted identifiers, e.g. `app` or `pkg.handler`)"
    )]
    InvalidEntry {
        /// What was given.
        entry: String,
    },
    /// The project root is unusable.
    #[error("project root {}: {source}", path.display())]
    ProjectRoot {
        /// The root given.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The interpreter could not be started.
    #[error("could not start the interpreter {}: {source}", python.display())]
    Spawn {
        /// The interpreter given.
        python: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Scratch files could not be created or read.
    #[error("scratch file {}: {source}", path.display())]
    Scratch {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// CPU pinning was asked for a CPU this process may not use.
    #[error("cannot pin to CPU {cpu}: {reason}")]
    Pin {
        /// The CPU asked for.
        cpu: usize,
        /// Why not.
        reason: String,
    },
    /// The interpreter cannot report import times.
    #[error("{} ({}) cannot be profiled: {reason}", python.display(), version.as_deref().unwrap_or("unknown version"))]
    Unsupported {
        /// The interpreter given.
        python: PathBuf,
        /// Its version, when it could tell.
        version: Option<String>,
        /// Why.
        reason: String,
    },
    /// Importing the entry raised.
    #[error(
        "importing `{entry}` raised {} ({phase} run {run})",
        last_line(traceback)
    )]
    EntryRaised {
        /// The entry.
        entry: String,
        /// Which kind of run.
        phase: Phase,
        /// 1-based run number within the phase.
        run: usize,
        /// The Python traceback.
        traceback: String,
        /// The tail of the program's own output.
        output: String,
    },
    /// A run did not finish in time and was killed.
    #[error("`{entry}` hung: the {phase} run {run} was killed after {:.1} s{}", timeout.as_secs_f64(), if *imported { " (the import had finished; the process did not exit)" } else { " while importing" })]
    Hung {
        /// The entry.
        entry: String,
        /// Which kind of run.
        phase: Phase,
        /// 1-based run number within the phase.
        run: usize,
        /// The timeout that expired.
        timeout: Duration,
        /// Whether the end marker was seen before the kill.
        imported: bool,
        /// The tail of the program's own output.
        output: String,
    },
    /// The interpreter ended without reporting (crash, signal, or a failure before the entry).
    #[error("the interpreter {} ended abnormally ({}) during the {phase} run {run} of `{entry}`{}", python.display(), describe_status(status), tail_note(stderr))]
    Crashed {
        /// The interpreter given.
        python: PathBuf,
        /// The entry.
        entry: String,
        /// Which kind of run.
        phase: Phase,
        /// 1-based run number within the phase.
        run: usize,
        /// Exit status.
        status: ExitStatus,
        /// The tail of fd 2.
        stderr: String,
        /// The tail of the program's own output.
        output: String,
    },
    /// The bootstrap's report could not be understood.
    #[error("unreadable run report {}: {message}", path.display())]
    Protocol {
        /// The report file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

fn tail_note(stderr: &str) -> String {
    let trimmed = stderr.trim();
    if trimmed.is_empty() {
        String::new()
    } else {
        format!(":\n{trimmed}")
    }
}

pub(super) fn describe_status(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "unknown status".to_string(),
    }
}

/// The exception's own line (`ValueError: boom`): the last non-empty line of a traceback.
pub fn last_line(traceback: &str) -> &str {
    traceback
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or("an exception", str::trim)
}
