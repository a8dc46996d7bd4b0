//! `fastpath generate-shell-completion SHELL`: the completion script for a shell, written by
//! `clap_complete` from the same command definition the parser uses, so a new flag or command
//! completes without anyone editing a script by hand.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::printer::Printer;
use crate::ExitStatus;

pub fn run(shell: Shell, printer: &Printer) -> Result<ExitStatus> {
    let mut out = printer.stdout();
    write_script(shell, &mut out)?;
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

fn write_script(shell: Shell, out: &mut dyn Write) -> Result<()> {
    let mut command = Cli::command();
    let name = command.get_name().to_string();
    clap_complete::generate(shell, &mut command, name, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    /// Every shell clap_complete knows gets a script, and each script offers every subcommand
    /// (a completion that forgot `check` would be worse than none).
    #[test]
    fn every_shell_gets_a_script_naming_every_subcommand() {
        let subcommands: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        assert!(subcommands.iter().any(|s| s == "check"));
        assert!(subcommands.iter().any(|s| s == "generate-shell-completion"));
        for shell in Shell::value_variants() {
            let mut script = Vec::new();
            write_script(*shell, &mut script).unwrap();
            let script = String::from_utf8(script).unwrap();
            for subcommand in &subcommands {
                assert!(
                    script.contains(subcommand.as_str()),
                    "{shell} script does not mention `{subcommand}`"
                );
            }
            // fish spells long flags `-l output-format`; the others `--output-format`.
            assert!(
                script.contains("output-format"),
                "{shell} misses check's flags"
            );
        }
    }
}
