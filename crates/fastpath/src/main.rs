//! The `fastpath` binary: parses arguments, resolves settings, runs one command, prints, and
//! turns the outcome into an exit status. The work lives in the library crates.

mod cli;
mod commands;
mod measure;
mod printer;
mod project;
mod settings;

use std::process::ExitCode;

// glibc's allocator serialises the parser's many small allocations across threads; mimalloc
// keeps per-thread heaps (measured: malloc/free were a quarter of `graph --all` time).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::printer::Printer;

/// Exit statuses other tools rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing to report.
    Success,
    /// The command ran and found problems.
    Findings,
    /// The tool could not do its job.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Error => 2,
        })
    }
}

fn dispatch(cli: &Cli, command: &Command, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Check(args) => {
            if args.fix {
                // Fix first (its report goes to stderr), then check what is left.
                let status = commands::fix::run_for_check(cli, args, printer)?;
                if args.diff {
                    return Ok(status);
                }
            }
            commands::check::run(cli, args, printer)
        }
        Command::Explain(args) => commands::explain::run(args, printer),
        Command::Graph(args) => commands::graph::run(cli, args, printer),
        Command::Fix(args) => commands::fix::run(cli, args, printer),
        Command::Init(args) => commands::init::run(cli, args, printer),
        Command::Update(args) => commands::update::run(cli, args, printer),
        Command::Baseline(args) => commands::baseline::run(cli, args, printer),
        Command::Record(args) => commands::record::run(cli, args, printer),
        Command::History(args) => commands::history::run(cli, args, printer),
        Command::Blame(args) => commands::blame::run(cli, args, printer),
        Command::Profile(args) => commands::profile::run(cli, args, printer),
        Command::GenerateShellCompletion { shell } => commands::completion::run(*shell, printer),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The parser recurses as deep as a file nests; give the scanning threads room for it.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(256 << 20)
        .build_global();
    let printer = Printer::new(cli.quiet);
    let result = if cli.show_settings {
        // Before any command runs: resolving settings reads files and writes nothing.
        settings::show_settings(&cli, &printer)
    } else {
        match &cli.command {
            None => {
                let _ = Cli::command().print_help();
                return ExitStatus::Error.into();
            }
            Some(command) => dispatch(&cli, command, &printer),
        }
    };
    match result {
        Ok(status) => status.into(),
        Err(error) => {
            // A closed pipe (`fastpath graph x | head`) is the reader's choice, not a failure.
            if error.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitStatus::Success.into();
            }
            eprintln!("fastpath failed");
            for cause in error.chain() {
                eprintln!("  Cause: {cause}");
            }
            ExitStatus::Error.into()
        }
    }
}
