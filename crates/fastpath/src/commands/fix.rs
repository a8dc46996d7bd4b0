//! `fastpath fix` and `check --fix`: runs the rules whose findings say an import should leave
//! the cold path (FP001, FP002, FP003, FP104), turns each finding into a request on the project
//! statement that puts the module there, and lets `fastpath_fix` apply the best safe edit or
//! say why not. Files are written atomically and only if unchanged since they were read.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use fastpath_check::{check, Context, Diagnostic, FixTarget, Measurements};
use fastpath_fix::{unified_diff, FixOptions, FixSession, Outcome, ReExport, Request, SourceFile};
use fastpath_graph::{ColdPath, InterpreterInfo, Origin, Sources};
use fastpath_history::clock;
use fastpath_manifest::{read_file, write_atomic};

use crate::cli::{CheckArgs, Cli, FixArgs, MeasureArgs};
use crate::measure;
use crate::printer::Printer;
use crate::project::{start_dir, Project};
use crate::ExitStatus;

/// Rules whose findings a fix can act on: "this import should leave the cold path".
const FIXABLE: &[&str] = &["FP001", "FP002", "FP003", "FP104"];

/// What a fix run was asked to do, from `fastpath fix` or `fastpath check --fix`.
struct Job<'a> {
    path: Option<&'a Path>,
    static_only: bool,
    measure: &'a MeasureArgs,
    diff: bool,
    unsafe_fixes: bool,
    /// Print the report on stderr (stdout belongs to `check`'s output).
    report_to_stderr: bool,
}

pub fn run(cli: &Cli, args: &FixArgs, printer: &Printer) -> Result<ExitStatus> {
    let job = Job {
        path: args.project.path.as_deref(),
        static_only: args.static_only,
        measure: &args.measure,
        diff: args.diff,
        unsafe_fixes: args.unsafe_fixes,
        report_to_stderr: args.diff,
    };
    fix(cli, &job, printer)
}

/// `check --fix`: the same, reporting on stderr.
pub fn run_for_check(cli: &Cli, args: &CheckArgs, printer: &Printer) -> Result<ExitStatus> {
    let job = Job {
        path: args.project.path.as_deref(),
        static_only: args.static_only,
        measure: &args.measure,
        diff: args.diff,
        unsafe_fixes: args.unsafe_fixes,
        report_to_stderr: true,
    };
    fix(cli, &job, printer)
}

/// One entry's cold path with what the fix needs around it.
struct EntryView {
    path: ColdPath,
    entry_file: Option<PathBuf>,
}

/// One statement to fix, and the findings that point at it.
#[derive(Debug)]
struct Target {
    request: Request,
    /// The codes of the findings that point at it.
    codes: Vec<&'static str>,
}

fn fix(cli: &Cli, job: &Job<'_>, printer: &Printer) -> Result<ExitStatus> {
    let start = start_dir(job.path)?;
    let project = Project::open(cli, &start, &[], printer)?;
    let entries = project.entries("fix")?;
    let info = project.info.as_ref();
    let saved = measure::saved(job.measure)?;
    let manifest = project.manifest.read()?;
    let today = clock::today()?;
    let root = project.root();

    let mut views = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut measured: Option<Measurements> = None;
    for entry in &entries {
        let (path, sources) = project.cold_path(entry)?;
        let target = info.map(InterpreterInfo::target);
        let entry_file = path.modules.first().and_then(|m| m.path.clone());
        let entry_scan = entry_file
            .as_deref()
            .map(|p| sources.scan(p, target.as_ref()));
        let measurements = measure::figures(
            &project,
            entry,
            saved.as_ref(),
            &job.measure.run,
            job.static_only,
            "measured findings (FP104) are not fixed",
            printer,
        )?
        .figures()
        .as_ref()
        .map(Measurements::from);
        let context = Context {
            root,
            policy: &project.settings.policy,
            entry: &entry.module,
            entry_path: entry_file.as_deref(),
            entry_scan: entry_scan.as_deref(),
            manifest_module: &project.manifest.module,
            manifest_path: &project.manifest.path,
            manifest: manifest.as_ref(),
            cold_path: &path,
            measurements: measurements.as_ref(),
            // Regressions are not fixable: no baseline comparison here.
            regression: None,
            today,
        };
        diagnostics.extend(
            check(&context)
                .into_iter()
                .filter(|d| FIXABLE.contains(&d.rule.code)),
        );
        if measured.is_none() {
            measured = measurements;
        }
        views.push(EntryView { path, entry_file });
    }

    let project_files = project_files(&views);
    let manifest_file = canonical(&project.manifest.path);
    let entry_files: HashSet<PathBuf> = views
        .iter()
        .filter_map(|v| v.entry_file.as_deref().map(canonical))
        .collect();
    let mut targets: BTreeMap<PathBuf, Vec<Target>> = BTreeMap::new();
    let mut report: Vec<String> = Vec::new();
    for diagnostic in &diagnostics {
        // A finding without a fix target (the entry not importing the manifest) is not an
        // import to move.
        let Some(fix) = &diagnostic.fix else {
            continue;
        };
        let Some((file, line, column)) = statement_of(fix, root, &project_files, &manifest_file)
        else {
            let shown = diagnostic.location.as_ref().map_or_else(String::new, |l| {
                format!("{}:{}:{}: ", l.path.display(), l.line, l.column)
            });
            report.push(format!(
                "{shown}{} not fixed: the import is in the manifest or outside the project; edit it by hand",
                diagnostic.rule.code
            ));
            continue;
        };
        let list = targets.entry(file).or_default();
        match list
            .iter_mut()
            .find(|t| t.request.line == line && t.request.column == column)
        {
            Some(existing) => {
                for m in &fix.modules {
                    if !existing.request.modules.contains(m) {
                        existing.request.modules.push(m.clone());
                    }
                }
                existing.codes.push(diagnostic.rule.code);
            }
            None => list.push(Target {
                request: Request {
                    line,
                    column,
                    modules: fix.modules.clone(),
                },
                codes: vec![diagnostic.rule.code],
            }),
        }
    }

    let target_version = info.map(InterpreterInfo::target);
    let mut fixed = 0usize;
    let mut remaining = 0usize;
    let mut changed_files = 0usize;
    let mut diffs = String::new();
    for (file, mut list) in targets {
        list.sort_by_key(|t| (t.request.line, t.request.column));
        let shown = display(&file, root);
        let (bytes, stamp) = read_file(&file)?;
        let mut session = match FixSession::new(&bytes) {
            Ok(session) => session,
            Err(error) => {
                remaining += list.len();
                report.push(format!("{shown}: not fixed: {error}"));
                continue;
            }
        };
        let options = FixOptions {
            target: target_version.clone(),
            lazy_style: Default::default(),
            allow_new_imports: !entry_files.contains(&file),
            reexports: reexports(&file, &views, target_version.as_ref()),
            unsafe_fixes: job.unsafe_fixes,
        };
        for target in &list {
            let at = format!("{shown}:{}:{}", target.request.line, target.request.column);
            let codes = codes(&target.codes);
            let findings = target.codes.len();
            let outcome = session
                .take_off_cold_path(&target.request, &options)
                .with_context(|| format!("fixing {at}"))?;
            match outcome {
                Outcome::Fixed(fix) => {
                    fixed += findings;
                    report.push(format!(
                        "{at}: {codes} fixed ({}): {}",
                        fix.safety.as_str(),
                        fix.description
                    ));
                }
                Outcome::UnsafeSkipped(fix) => {
                    remaining += findings;
                    report.push(format!(
                        "{at}: {codes} not fixed: an unsafe fix is available with --unsafe-fixes: {} ({})",
                        fix.description,
                        fix.unsafe_reason.unwrap_or_default()
                    ));
                }
                Outcome::Refused(refusal) => {
                    remaining += findings;
                    report.push(format!(
                        "{at}: {codes} not fixed: `{}`: {}",
                        refusal.statement, refusal.reason
                    ));
                }
                Outcome::NothingToDo { why, .. } => {
                    remaining += findings;
                    report.push(format!("{at}: {codes} not fixed: {why}"));
                }
            }
        }
        if !session.changed() {
            continue;
        }
        changed_files += 1;
        let new_bytes = session.finish()?;
        if job.diff {
            let new_text = SourceFile::new(&new_bytes).text().to_owned();
            diffs.push_str(&unified_diff(
                Some(session.original_text()),
                &new_text,
                &shown,
            ));
        } else {
            write_atomic(&file, &new_bytes, Some(&stamp))?;
        }
    }

    // Output: the diff on stdout; the report on stdout for `fix`, stderr for `check --fix`.
    {
        let mut out = printer.stdout();
        use std::io::Write as _;
        out.write_all(diffs.as_bytes())?;
        crate::printer::Printer::flush(out)?;
    }
    let total = fixed + remaining;
    let verb = if job.diff { "Would fix" } else { "Fixed" };
    let mut summary = match total {
        0 => "No finding to fix.".to_owned(),
        _ => format!(
            "{verb} {fixed} of {total} finding{} in {changed_files} file{}.",
            plural(total),
            plural(changed_files)
        ),
    };
    if fixed > 0 && !job.diff {
        if let Some(gone) = left_cold_path(&project, &views, measured.as_ref())? {
            summary.push(' ');
            summary.push_str(&gone);
        }
    }
    report.push(summary);
    if job.report_to_stderr {
        if !printer.is_quiet() {
            for line in &report {
                eprintln!("{line}");
            }
        }
    } else {
        let mut out = printer.stdout();
        use std::io::Write as _;
        for line in &report {
            writeln!(out, "{line}")?;
        }
        crate::printer::Printer::flush(out)?;
    }
    Ok(if remaining > 0 || (job.diff && fixed > 0) {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn codes(codes: &[&'static str]) -> String {
    let codes: BTreeSet<&str> = codes.iter().copied().collect();
    codes.into_iter().collect::<Vec<_>>().join(", ")
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn display(path: &Path, root: &Path) -> String {
    let root = canonical(root);
    path.strip_prefix(&root)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

/// The project's source files on any entry's cold path.
fn project_files(views: &[EntryView]) -> HashSet<PathBuf> {
    views
        .iter()
        .flat_map(|v| v.path.modules.iter())
        .filter(|m| m.origin == Origin::Project)
        .filter_map(|m| m.path.as_deref().map(canonical))
        .collect()
}

/// The project statement a fix target names, unless it is the manifest (which declares its
/// imports on purpose: a finding that leads through it is fixed further down the chain, or by
/// editing the manifest) or not a project file on the cold path.
fn statement_of(
    fix: &FixTarget,
    root: &Path,
    project: &HashSet<PathBuf>,
    manifest: &Path,
) -> Option<(PathBuf, u32, u32)> {
    let location = fix.location.as_ref()?;
    let file = canonical(&root.join(&location.path));
    (file != manifest && project.contains(&file)).then_some((file, location.line, location.column))
}

/// The names other project modules on the cold path import from `file`'s module.
fn reexports(
    file: &Path,
    views: &[EntryView],
    target: Option<&fastpath_scan::Target>,
) -> Vec<ReExport> {
    let modules: Vec<&fastpath_graph::Module> = views
        .iter()
        .flat_map(|v| v.path.modules.iter())
        .filter(|m| m.origin == Origin::Project)
        .collect();
    let Some(this) = modules
        .iter()
        .find(|m| m.path.as_deref().map(canonical).as_deref() == Some(file))
    else {
        return Vec::new();
    };
    let sources = Sources::default();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for other in &modules {
        let Some(path) = other.path.as_deref() else {
            continue;
        };
        if canonical(path) == file || !seen.insert(canonical(path)) {
            continue;
        }
        let is_package = path.file_name().is_some_and(|n| n == "__init__.py");
        let package = if is_package {
            other.name.as_str()
        } else {
            other.name.rsplit_once('.').map_or("", |(p, _)| p)
        };
        let scan = sources.scan(path, target);
        for site in &scan.sites {
            if site.kind != fastpath_scan::SiteKind::From {
                continue;
            }
            if fastpath_graph::cold_path::absolute_module(site, package).as_deref()
                != Some(this.name.as_str())
            {
                continue;
            }
            let by = format!(
                "{}:{}",
                path.file_name().unwrap_or_default().to_string_lossy(),
                site.line
            );
            for name in &site.names {
                out.push(ReExport {
                    name: (name.name != "*").then(|| name.name.clone()),
                    by: by.clone(),
                });
            }
        }
    }
    out
}

/// After a fix: which modules left the cold path, and what they cost when measured.
fn left_cold_path(
    project: &Project,
    views: &[EntryView],
    measured: Option<&Measurements>,
) -> Result<Option<String>> {
    let before: BTreeSet<String> = views
        .iter()
        .flat_map(|v| v.path.modules.iter().map(|m| m.name.clone()))
        .collect();
    let mut after: BTreeSet<String> = BTreeSet::new();
    for entry in project.entries("fix")? {
        let (path, _) = project.cold_path(&entry)?;
        after.extend(path.modules.into_iter().map(|m| m.name));
    }
    let gone: Vec<&String> = before.difference(&after).collect();
    if gone.is_empty() {
        return Ok(None);
    }
    let mut text = format!(
        "{} module{} left the cold path",
        gone.len(),
        plural(gone.len())
    );
    if let Some(measured) = measured {
        let us: f64 = gone
            .iter()
            .filter_map(|m| measured.modules.get(m.as_str()))
            .map(|c| c.self_us)
            .sum();
        text.push_str(&format!(
            "; they took {:.1} ms of import time when measured before the fix",
            us / 1000.0
        ));
    }
    text.push('.');
    Ok(Some(text))
}
