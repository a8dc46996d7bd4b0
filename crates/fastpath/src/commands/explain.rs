//! `fastpath explain`: a rule's explanation, or the list of rules.

use std::io::Write;

use anyhow::{bail, Result};
use fastpath_check::{rule_by_code, RuleKind, RULES};

use crate::cli::ExplainArgs;
use crate::printer::Printer;
use crate::ExitStatus;

pub fn run(args: &ExplainArgs, printer: &Printer) -> Result<ExitStatus> {
    let mut out = printer.stdout();
    match &args.code {
        Some(code) => {
            let Some(rule) = rule_by_code(code) else {
                bail!("no rule `{code}`; `fastpath explain` lists them");
            };
            let kind = match rule.kind {
                RuleKind::Static => "static: reads source only",
                RuleKind::Measured => "measured: needs the entry's costs (not run with --static)",
                RuleKind::Regression => {
                    "regression: compares with `fastpath-baseline.json` or `check --against REV`"
                }
            };
            writeln!(
                out,
                "# {} ({})\n\n{}.\n\n{kind}.\n\n{}",
                rule.code, rule.name, rule.summary, rule.explanation
            )?;
        }
        None => {
            for rule in RULES {
                writeln!(out, "{}  {:<38} {}", rule.code, rule.name, rule.summary)?;
            }
        }
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}
