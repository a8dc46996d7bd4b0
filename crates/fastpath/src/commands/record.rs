//! `fastpath record`: measures each entry and appends the result, with the commit, branch,
//! date and environment, to the history database (`.fastpath/history.db`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use fastpath_history::clock;
use fastpath_history::environment::Environment;
use fastpath_history::store::{ModuleCost, Record, Store};
use fastpath_profile::runner::measure;
use fastpath_profile::stats::StoppingRule;
use fastpath_profile::Profile;

use crate::cli::{Cli, RecordArgs};
use crate::commands::baseline::now;
use crate::commands::regression::{repository, runner};
use crate::commands::shared::project_settings;
use crate::commands::shared::{entry_module, interpreter};
use crate::printer::Printer;
use crate::ExitStatus;

/// Where the history lives, under the project root.
pub(crate) fn history_path(root: &Path) -> PathBuf {
    root.join(".fastpath").join("history.db")
}

pub fn run(cli: &Cli, args: &RecordArgs, printer: &Printer) -> Result<ExitStatus> {
    // A saved profile names its entry; measuring needs the configured ones.
    let settings = project_settings(
        cli,
        args.path.as_deref(),
        args.measure.python.clone(),
        args.profile.is_none(),
    )?;
    if cli.show_settings {
        settings.show(&mut printer.stdout())?;
        return Ok(ExitStatus::Success);
    }
    let (commit, branch, dirty) = match repository(&settings.root) {
        Ok(repo) => match repo.head()? {
            Some(head) => (Some(head.commit), head.branch, head.dirty),
            None => (None, None, false),
        },
        Err(reason) => {
            printer.warn(format!("recording without a commit: {reason}"));
            (None, None, false)
        }
    };
    let recorded_at = clock::utc_timestamp(now()?);
    let mut records = Vec::new();
    if let Some(file) = &args.profile {
        records.push(read_saved(file)?);
    } else {
        let Some(info) = interpreter(&settings, printer, args.measure.no_cache)? else {
            bail!("recording needs an interpreter to measure with: pass --python PATH");
        };
        for entry in &settings.entries.value {
            let (module, _) = entry_module(entry, &settings, &settings.root)?;
            let mut config = runner(&info, &settings.root, &module, args.measure.timeout);
            if let Some(n) = args.measure.runs.or(settings.runs) {
                config.stopping = StoppingRule::fixed(n.max(1) as usize);
            }
            printer.progress(format!("measuring `{module}` ..."));
            let measurement = measure(&config, &mut |_| {})
                .with_context(|| format!("measuring `{module}` failed"))?;
            let environment = Environment::current(
                &info.version,
                &info.implementation,
                &info.executable.display().to_string(),
            );
            records.push(record(
                module,
                environment,
                &Profile::from_measurement(&measurement),
            ));
        }
    }
    let path = history_path(&settings.root);
    let mut store = Store::open(&path)?;
    let mut out = printer.stdout();
    for mut r in records {
        r.commit.clone_from(&commit);
        r.branch.clone_from(&branch);
        r.dirty = dirty;
        r.recorded_at.clone_from(&recorded_at);
        let id = store.append(&r)?;
        let at = match (&r.commit, &r.branch) {
            (Some(c), Some(b)) => format!(" at {} ({b})", &c[..7.min(c.len())]),
            (Some(c), None) => format!(" at {}", &c[..7.min(c.len())]),
            _ => String::new(),
        };
        writeln!(
            out,
            "recorded #{id}: `{}` imports in {:.1} ms, cold start {:.1} ms{at}{} -> {}",
            r.entry,
            r.imports_us / 1000.0,
            r.cold_start_us / 1000.0,
            if r.dirty {
                " with uncommitted changes"
            } else {
                ""
            },
            path.strip_prefix(&settings.root).unwrap_or(&path).display()
        )?;
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// A record of a profile's medians (commit, branch and date are filled in later).
fn record(entry: String, environment: Environment, profile: &Profile) -> Record {
    Record {
        id: 0,
        commit: None,
        branch: None,
        dirty: false,
        recorded_at: String::new(),
        entry,
        environment,
        runs: profile.runs,
        imports_us: profile.total_us.median,
        cold_start_us: profile.process_wall_us.median,
        modules: profile
            .modules
            .iter()
            .map(|m| ModuleCost {
                module: m.name.clone(),
                self_us: m.self_us.median,
                cumulative_us: m.cumulative_us.median,
            })
            .collect(),
    }
}

/// A saved `fastpath.profile/1` document, as the medians a record keeps.
fn read_saved(path: &Path) -> Result<Record> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("--profile {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--profile {} is not JSON", path.display()))?;
    if json["schema"] != "fastpath.profile/1" {
        bail!(
            "--profile {}: not a `fastpath.profile/1` document (from `fastpath profile --format json`)",
            path.display()
        );
    }
    let median = |v: &serde_json::Value| v["median"].as_f64().unwrap_or(0.0);
    let text_of = |v: &serde_json::Value, default: &str| v.as_str().unwrap_or(default).to_string();
    let interpreter = &json["interpreter"];
    let entry = text_of(&json["entry"], "");
    if entry.is_empty() {
        bail!("--profile {}: no `entry`", path.display());
    }
    let modules = json["modules"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| {
                    Some(ModuleCost {
                        module: m["name"].as_str()?.to_string(),
                        self_us: median(&m["self_us"]),
                        cumulative_us: median(&m["cumulative_us"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Record {
        id: 0,
        commit: None,
        branch: None,
        dirty: false,
        recorded_at: String::new(),
        entry,
        environment: Environment::current(
            &text_of(&interpreter["version"], "unknown"),
            &text_of(&interpreter["implementation"], "cpython"),
            &text_of(&interpreter["executable"], ""),
        ),
        runs: json["runs"].as_u64().unwrap_or(0) as usize,
        imports_us: median(&json["total_us"]),
        cold_start_us: median(&json["process_wall_us"]),
        modules,
    })
}
