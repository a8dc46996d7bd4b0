//! `fastpath review --against REV`: the seed's review checklist for a pull request. REV is
//! checked out in a temporary worktree; each side's manifest and cold path are read (and,
//! unless `--static`, measured); `fastpath_history::review` compares them and fills the
//! checklist in; the renderer prints Markdown (or `fastpath.review/1`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use fastpath_graph::{ColdPath, Origin};
use fastpath_history::blame::repository;
use fastpath_history::git::GitCommand;
use fastpath_history::review::{
    review, ColdModule, Cost, ManifestImport, Policy, ReviewInput, Site, Snapshot,
};
use fastpath_manifest::Manifest;
use fastpath_profile::runner::measure;
use fastpath_profile::stats::{Summary, MAD_TO_SIGMA};
use fastpath_profile::usage::{usage_path, UsageReport};
use fastpath_profile::Profile;
use fastpath_report::review::{render_json, render_markdown};

use crate::cli::{Cli, ReviewArgs, ReviewFormat};
use crate::measure::runner_config;
use crate::printer::Printer;
use crate::project::{map_roots, start_dir, Entry, Project};
use crate::ExitStatus;

pub fn run(cli: &Cli, args: &ReviewArgs, printer: &Printer) -> Result<ExitStatus> {
    let start = start_dir(args.project.path.as_deref())?;
    let project = Project::open(cli, &start, &[], printer)?;
    let root = project.root().to_path_buf();
    let repo = repository(&root).map_err(|e| anyhow::anyhow!("review needs git: {e}"))?;
    let entries = project.entries("review")?;
    printer.progress(format!(
        "checking out `{}` in a temporary worktree ...",
        args.against
    ));
    let worktree = repo
        .worktree(&args.against)
        .with_context(|| format!("--against {}", args.against))?;
    // The project may sit in a subdirectory of the repository.
    let in_repo = root.strip_prefix(&repo.root).unwrap_or(Path::new(""));
    let other_root = worktree.path.join(in_repo);

    let manifest_rel = project
        .manifest
        .path
        .strip_prefix(&root)
        .unwrap_or(&project.manifest.path)
        .to_path_buf();
    let mut head = side(&project, &root, &root, in_repo, &manifest_rel, &entries)?;
    let mut base = side(
        &project,
        &other_root,
        &root,
        in_repo,
        &manifest_rel,
        &entries,
    )?;
    if !args.static_only {
        if let Some(info) = &project.info {
            for entry in &entries {
                let other = Entry {
                    roots: map_roots(&entry.roots, &root, &other_root),
                    ..entry.clone()
                };
                // The revision's worktree is temporary: its `.pyc` files go to a cache that
                // goes with the measurement (the warm-up fills it), not to fastpath's.
                for (snapshot, entry, label, kept) in [
                    (&mut head, entry, "the working tree", true),
                    (&mut base, &other, args.against.as_str(), false),
                ] {
                    printer.progress(format!("measuring `{}` in {label} ...", entry.module));
                    let mut config = runner_config(&project, &info.executable, entry, &args.run);
                    if !kept {
                        config.bytecode_cache = None;
                    }
                    let measurement = measure(&config, &mut |_| {})
                        .with_context(|| format!("measuring `{}` in {label}", entry.module))?;
                    add_costs(
                        snapshot,
                        &Profile::from_measurement(&measurement),
                        &project.manifest.module,
                    );
                }
            }
        } else {
            printer.warn("no interpreter: the review shows no measured cost");
        }
    }
    let usage_file = usage_path(&root);
    let usage = if usage_file.is_file() {
        Some(UsageReport::read(&usage_file)?)
    } else {
        None
    };
    let policy = &project.settings.policy;
    let policy = Policy {
        budget_ms: policy.budget_ms,
        tier1_max_ms: policy.tier1_max_ms,
        hot_path_min_usage: policy.hot_path_min_usage * 100.0,
        max_imports: policy.max_imports as usize,
        snapstart: project.settings.policy.snapstart,
    };
    // What `fix` would do with a statement that puts a module on the cold path: defer it.
    // (With SnapStart the library's advice, keeping it in init, stands.)
    let mut alternatives = BTreeMap::new();
    if !policy.snapstart {
        for entry in &entries {
            let (path, _) = project.cold_path(entry)?;
            for m in &path.modules {
                let Some(via) = &m.via else { continue };
                let shown = via.path.strip_prefix(&root).unwrap_or(&via.path);
                alternatives.entry(m.name.clone()).or_insert_with(|| {
                    format!(
                        "defer it: move `{}` ({}:{}) into the functions that use it; `fastpath fix` makes the edit and checks the entry still imports",
                        via.statement,
                        shown.display(),
                        via.line
                    )
                });
            }
        }
        // A manifest import: out of the manifest, into the functions that use it.
        for import in &head.manifest {
            alternatives.insert(
                import.name.clone(),
                format!(
                    "leave it out of the manifest and import `{}` inside the functions that use it (`fastpath fix` moves such imports)",
                    import.name
                ),
            );
        }
    }
    let result = review(
        &GitCommand,
        &repo,
        &ReviewInput {
            rev: &args.against,
            base: &base,
            head: &head,
            usage: usage.as_ref(),
            alternatives: &alternatives,
            policy: &policy,
        },
    )?;
    let mut out = printer.stdout();
    match args.format {
        ReviewFormat::Markdown => render_markdown(&result, &mut out)?,
        ReviewFormat::Json => render_json(&result, &mut out)?,
    }
    Printer::flush(out)?;
    Ok(ExitStatus::Success)
}

/// One side's manifest and cold path (`side_root` is the project root in that tree; paths are
/// reported relative to the repository root, as in the working tree).
fn side(
    project: &Project,
    side_root: &Path,
    root: &Path,
    in_repo: &Path,
    manifest_rel: &Path,
    entries: &[Entry],
) -> Result<Snapshot> {
    let mut snapshot = Snapshot::default();
    let manifest_path = side_root.join(manifest_rel);
    if let Ok(bytes) = std::fs::read(&manifest_path) {
        let (manifest, _) = Manifest::parse(&bytes);
        snapshot.manifest_path = Some(in_repo.join(manifest_rel));
        for import in &manifest.imports {
            let tier = import.tier(&manifest);
            let annotation = import.annotation.as_ref();
            for item in &import.items {
                snapshot.manifest.push(ManifestImport {
                    name: item.module.clone(),
                    line: import.span.line,
                    documented_ms: import.documented_ms(),
                    usage: annotation
                        .and_then(|a| a.usage.as_ref())
                        .map(|u| u.text.clone()),
                    tier: tier.map(|t| t as u8),
                });
            }
        }
    }
    for entry in entries {
        let path: ColdPath = if side_root == root {
            project.cold_path(entry)?.0
        } else {
            project.cold_path_at(entry, side_root)?
        };
        for m in &path.modules {
            let Some(via) = &m.via else { continue };
            let importer_is_project = path
                .modules
                .iter()
                .any(|i| i.name == via.module && i.origin == Origin::Project);
            let site = via.path.strip_prefix(side_root).ok().map(|p| Site {
                path: in_repo.join(p),
                line: via.line,
            });
            snapshot
                .cold_path
                .entry(m.name.clone())
                .or_insert(ColdModule {
                    direct: importer_is_project && site.is_some(),
                    site,
                });
        }
    }
    Ok(snapshot)
}

/// A median and its approximate 95 % interval: ± 1.96 standard errors of the median, taken as
/// 1.2533 σ/√n with σ estimated by 1.4826 MAD (the normal approximation; the order-statistic
/// interval needs the samples, which a profile keeps only for the total).
fn cost(summary: &Summary, runs: usize) -> Cost {
    let half = 1.96 * 1.2533 * MAD_TO_SIGMA * summary.mad / (runs.max(1) as f64).sqrt();
    Cost {
        median_ms: round(summary.median / 1000.0),
        low_ms: round((summary.median - half).max(summary.min) / 1000.0),
        high_ms: round((summary.median + half).min(summary.max) / 1000.0),
    }
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

fn add_costs(snapshot: &mut Snapshot, profile: &Profile, manifest_module: &str) {
    for m in &profile.modules {
        snapshot
            .costs
            .entry(m.name.clone())
            .or_insert_with(|| cost(&m.cumulative_us, profile.runs));
    }
    // The fast path's total is the manifest's import; without one, the entry's.
    let total = match profile.modules.iter().find(|m| m.name == manifest_module) {
        Some(m) => cost(&m.cumulative_us, profile.runs),
        None => Cost {
            median_ms: round(profile.total_us.median / 1000.0),
            low_ms: round(profile.stability.ci_low_us / 1000.0),
            high_ms: round(profile.stability.ci_high_us / 1000.0),
        },
    };
    snapshot.total.get_or_insert(total);
}
