//! The one owner of stdout (results) and stderr (warnings, progress). Quiet mode lives here.

use std::io::{self, BufWriter, IsTerminal, Write};

pub struct Printer {
    quiet: bool,
}

impl Printer {
    pub fn new(quiet: bool) -> Self {
        Printer { quiet }
    }

    /// Results go here; buffered, since outputs can be large.
    pub fn stdout(&self) -> BufWriter<io::StdoutLock<'static>> {
        BufWriter::with_capacity(1 << 16, io::stdout().lock())
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    pub fn warn(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("warning: {message}");
        }
    }

    /// A progress note, shown only to a person at a terminal.
    pub fn progress(&self, message: impl std::fmt::Display) {
        if !self.quiet && io::stderr().is_terminal() {
            eprintln!("{message}");
        }
    }

    /// Whether a person watches stderr: progress bars are drawn only then.
    pub fn interactive(&self) -> bool {
        !self.quiet && io::stderr().is_terminal()
    }

    pub fn flush(mut out: impl Write) -> io::Result<()> {
        out.flush()
    }
}
