//! `fastpath fix` and `check --fix`: runs the rules whose findings say an import should leave
//! the cold path (FP001, FP002, FP003, FP104), turns each finding into a request on the project
//! statement that puts the module there, and lets `fastpath_fix` apply the best safe edit or
//! say why not. Files are written atomically and only if unchanged since they were read.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use fastpath_check::{check, Context, Diagnostic, FixTarget, Measurements};
use fastpath_fix::verify::python::PythonVerifier;
use fastpath_fix::verify::{Candidate, Failure, Transaction, Verdict, Verifier};
use fastpath_fix::{
    absolute_module, render_fixes, unified_diff, FixOptions, FixSession, Outcome, ReExport,
    Request, SourceFile,
};
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
    /// The user's test command (`--test`).
    test: Option<String>,
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
        test: args.test.clone(),
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
        test: None,
        report_to_stderr: true,
    };
    fix(cli, &job, printer)
}

/// One entry's cold path with what the fix needs around it.
struct EntryView {
    path: ColdPath,
    entry_file: Option<PathBuf>,
    manifest_file: PathBuf,
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
    let today = clock::today()?;
    let root = project.root();

    let mut views = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut measured: Option<Measurements> = None;
    for entry in &entries {
        let (path, sources) = project.cold_path(entry)?;
        let target = info.map(InterpreterInfo::target);
        let entry_file = entry.file.clone();
        let manifest_location = project.manifest_of(entry);
        let manifest = manifest_location.read()?;
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
            manifest_module: &manifest_location.module,
            manifest_path: &manifest_location.path,
            manifest: manifest.as_ref(),
            cold_path: &path,
            measurements: measurements.as_ref(),
            // Regressions are not fixable: no baseline comparison here.
            regression: None,
            usage: None,
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
        views.push(EntryView {
            path,
            entry_file,
            manifest_file: canonical(&manifest_location.path),
        });
    }

    let project_files = project_files(&views);
    let manifest_files: HashSet<PathBuf> = views.iter().map(|v| v.manifest_file.clone()).collect();
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
        let Some((file, line, column)) = statement_of(fix, root, &project_files, &manifest_files)
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
    let loaded: BTreeSet<String> = views
        .iter()
        .flat_map(|v| v.path.modules.iter().map(|m| m.name.clone()))
        .collect();
    let packages = packages_of(&views);

    // Convergence: a module leaves the cold path only when every project statement that loads
    // it moves, so each one gets a request (or a reason why the module stays).
    let flagged: BTreeSet<String> = targets
        .iter()
        .flat_map(|(file, list)| {
            let package = packages.get(file).cloned().unwrap_or_default();
            list.iter()
                .flat_map(|t| t.request.modules.clone())
                .map(move |m| absolute_module(&m, &package))
                .collect::<Vec<_>>()
        })
        .collect();
    for file in &project_files {
        if manifest_files.contains(file) {
            continue;
        }
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        let Ok(session) = FixSession::new(&bytes) else {
            continue;
        };
        let package = packages.get(file).cloned().unwrap_or_default();
        for module in &flagged {
            for request in session.statements_loading(module, &package) {
                let list = targets.entry(file.clone()).or_default();
                match list
                    .iter_mut()
                    .find(|t| t.request.line == request.line && t.request.column == request.column)
                {
                    Some(existing) => {
                        if !existing.request.modules.contains(module) {
                            existing.request.modules.push(module.clone());
                        }
                    }
                    None => list.push(Target {
                        request,
                        codes: Vec::new(),
                    }),
                }
            }
        }
    }

    // Plan and apply every request on its file's text.
    let mut done: Vec<Done> = Vec::new();
    let mut originals: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    let mut stamps = BTreeMap::new();
    let mut new_files: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    let mut file_options: BTreeMap<PathBuf, FixOptions> = BTreeMap::new();
    for (file, mut list) in targets {
        list.sort_by_key(|t| (t.request.line, t.request.column));
        let shown = display(&file, root);
        let (bytes, stamp) = read_file(&file)?;
        let package = packages.get(&file).cloned().unwrap_or_default();
        let mut session = match FixSession::new(&bytes) {
            Ok(session) => session,
            Err(error) => {
                for target in list {
                    done.push(
                        Done::new(&file, &shown, target, &package).not_fixed(error.to_string()),
                    );
                }
                continue;
            }
        };
        let options = FixOptions {
            target: target_version.clone(),
            lazy_style: Default::default(),
            allow_new_imports: !entry_files.contains(&file),
            reexports: reexports(&file, &views, target_version.as_ref()),
            unsafe_fixes: job.unsafe_fixes,
            loaded_modules: Some(loaded.clone()),
        };
        for target in list {
            let at = format!("{shown}:{}:{}", target.request.line, target.request.column);
            let outcome = session
                .take_off_cold_path(&target.request, &options)
                .with_context(|| format!("fixing {at}"))?;
            let entry = Done::new(&file, &shown, target, &package);
            done.push(match outcome {
                Outcome::Fixed(fix) => entry.fixed(fix),
                Outcome::UnsafeSkipped(fix) => entry.not_fixed(format!(
                    "an unsafe fix is available with --unsafe-fixes: {} ({})",
                    fix.description,
                    fix.unsafe_reason.unwrap_or_default()
                )),
                Outcome::Refused(refusal) => {
                    entry.not_fixed(format!("`{}`: {}", refusal.statement, refusal.reason))
                }
                Outcome::NothingToDo { why, .. } => entry.not_fixed(why.to_owned()),
            });
        }
        if session.changed() {
            new_files.insert(file.clone(), session.finish()?);
            originals.insert(file.clone(), bytes);
            stamps.insert(file.clone(), stamp);
            file_options.insert(file, options);
        }
    }

    // Verify by running, unless --static: the kept fixes are what is left on disk. A preview
    // (--diff) never writes the user's files, not even for a moment, so it is not verified.
    let verify = !job.static_only && !job.diff && !new_files.is_empty();
    let mut verdicts: BTreeMap<usize, Verdict> = BTreeMap::new();
    if verify {
        let Some(info) = info else {
            bail!("fixes are verified by running the entry, and no interpreter was found: pass --python, or --static to fix without verifying");
        };
        let candidates: Vec<Candidate> = done
            .iter()
            .enumerate()
            .filter(|(_, d)| d.fix.is_some())
            .map(|(id, d)| Candidate {
                id,
                file: d.file.clone(),
                modules: d.modules.clone(),
            })
            .collect();
        let mut verifiers = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let mut verifier = PythonVerifier::new(
                info.executable.clone(),
                root.to_path_buf(),
                entry.module.clone(),
            )?;
            verifier.roots = entry.roots.clone();
            // A command entry with `args` is run, not only imported, as when measuring.
            verifier.function = entry.command_function().map(str::to_string);
            verifier.args = verifier
                .function
                .as_ref()
                .and_then(|_| measure::command_args(&project, &job.measure.run));
            verifier.timeout = Duration::from_secs_f64(job.measure.run.timeout);
            // A test suite runs longer than one import: ten times the run's limit.
            verifier.test_timeout = Duration::from_secs_f64(job.measure.run.timeout * 10.0);
            if i == 0 {
                verifier.test = job.test.clone();
            }
            verifiers.push(verifier);
        }
        let mut verifier = AllEntries(verifiers);
        let requests: Vec<&Request> = done.iter().map(|d| &d.request).collect();
        let mut render = |file: &Path, ids: &[usize]| {
            let chosen: Vec<&Request> = ids.iter().map(|&i| requests[i]).collect();
            render_fixes(&originals[file], &chosen, &file_options[file])
        };
        let verified = Transaction::new(&candidates, &originals)
            .run(&mut render, &mut verifier, !job.diff)
            .map_err(|e| anyhow::anyhow!(e))?;
        verdicts = verified.verdicts;
        new_files = verified.files;
    } else if !job.diff {
        for (file, bytes) in &new_files {
            write_atomic(file, bytes, stamps.get(file))?;
        }
    }

    // A finding counts as fixed only when the re-computed cold path no longer holds its module.
    let mut after = after_fixes(&project, &new_files, job.diff)?;
    // Without running anything, an edit whose module stays on the re-computed cold path is the
    // static no-win: take it back, so a second run has nothing left to do.
    let mut static_no_win: BTreeSet<usize> = BTreeSet::new();
    let first_after = after.clone();
    if !verify {
        if let Some(modules) = &after {
            static_no_win = done
                .iter()
                .enumerate()
                .filter(|(_, d)| d.fix.is_some())
                .filter(|(_, d)| modules.iter().any(|m| d.modules.contains(&m.name)))
                .map(|(id, _)| id)
                .collect();
        }
        if !static_no_win.is_empty() {
            let files: Vec<PathBuf> = new_files.keys().cloned().collect();
            for file in files {
                let kept: Vec<&Request> = done
                    .iter()
                    .enumerate()
                    .filter(|(id, d)| {
                        d.file == file && d.fix.is_some() && !static_no_win.contains(id)
                    })
                    .map(|(_, d)| &d.request)
                    .collect();
                let bytes = render_fixes(&originals[&file], &kept, &file_options[&file])?;
                if !job.diff {
                    fastpath_fix::verify::write_atomic(&file, &bytes)?;
                }
                if bytes == originals[&file] {
                    new_files.remove(&file);
                } else {
                    new_files.insert(file, bytes);
                }
            }
            after = after_fixes(&project, &new_files, job.diff)?;
        }
    }

    let mut fixed = 0usize;
    let mut remaining = 0usize;
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (id, d) in done.iter().enumerate() {
        let codes = if d.codes.is_empty() {
            format!("also loads {}", quoted(&d.modules))
        } else {
            codes(&d.codes)
        };
        let findings = d.codes.len();
        let at = &d.at;
        let Some(fix) = &d.fix else {
            remaining += findings;
            let why = d.why.as_deref().unwrap_or_default();
            if d.codes.is_empty() {
                // Another statement that loads a flagged module: worth a line only when the
                // module is still there.
                let stays = after
                    .as_ref()
                    .is_none_or(|after| after.iter().any(|m| d.modules.contains(&m.name)));
                if stays {
                    report.push(format!("{at}: {codes}, which stays: {why}"));
                }
            } else {
                report.push(format!("{at}: {codes} not fixed: {why}"));
            }
            continue;
        };
        if static_no_win.contains(&id) {
            remaining += findings;
            let stays: Vec<String> = first_after
                .iter()
                .flatten()
                .filter(|m| d.modules.contains(&m.name))
                .map(|m| match &m.via {
                    Some(via) => format!(
                        "`{}` stays, loaded by {}:{}: {}",
                        m.name,
                        display(&via.path, root),
                        via.line,
                        via.statement
                    ),
                    None => format!("`{}` stays", m.name),
                })
                .collect();
            report.push(format!(
                "{at}: {codes} not applied (no-win: {}): {}",
                if stays.is_empty() {
                    "the module stays on the cold path".to_owned()
                } else {
                    stays.join("; ")
                },
                fix.description
            ));
            continue;
        }
        let verdict = verdicts.get(&id);
        if let Some(verdict) = verdict {
            *counts.entry(verdict.as_str()).or_default() += 1;
        }
        match verdict {
            None | Some(Verdict::Safe) => {}
            Some(Verdict::NoWin { still_loaded }) => {
                remaining += findings;
                report.push(format!(
                    "{at}: {codes} rolled back (no-win: {} still loads): {}",
                    quoted(still_loaded),
                    fix.description
                ));
                continue;
            }
            Some(Verdict::BreaksEntry(failure)) => {
                remaining += findings;
                report.push(format!(
                    "{at}: {codes} rolled back (unsafe: the entry fails with it: {}): {}",
                    failure.summary, fix.description
                ));
                continue;
            }
            Some(Verdict::BreaksTests(failure)) => {
                remaining += findings;
                report.push(format!(
                    "{at}: {codes} rolled back (unsafe: {}): {}",
                    failure.summary, fix.description
                ));
                for line in failure.tail.lines() {
                    report.push(format!("    | {line}"));
                }
                continue;
            }
        }
        let checked = if verify { "verified" } else { "not verified" };
        report.push(format!(
            "{at}: {codes} fixed ({}, {checked}): {}",
            fix.safety.as_str(),
            fix.description
        ));
        let still: Vec<&fastpath_graph::Module> = after
            .as_ref()
            .map(|after| {
                after
                    .iter()
                    .filter(|m| d.modules.contains(&m.name))
                    .collect()
            })
            .unwrap_or_default();
        if still.is_empty() {
            fixed += findings;
        } else {
            remaining += findings;
            for module in still {
                let by = module.via.as_ref().map_or_else(String::new, |via| {
                    format!(
                        ", loaded by {}:{}: {}",
                        display(&via.path, root),
                        via.line,
                        via.statement
                    )
                });
                report.push(format!(
                    "{at}: {codes} not fixed: `{}` is still on the cold path{by}",
                    module.name
                ));
            }
        }
    }

    // Output: the diff on stdout; the report on stdout for `fix`, stderr for `check --fix`.
    let mut diffs = String::new();
    for (file, bytes) in &new_files {
        if job.diff {
            let old = SourceFile::new(&originals[file]).text().to_owned();
            let new_text = SourceFile::new(bytes).text().to_owned();
            diffs.push_str(&unified_diff(Some(&old), &new_text, &display(file, root)));
        }
    }
    {
        let mut out = printer.stdout();
        use std::io::Write as _;
        out.write_all(diffs.as_bytes())?;
        crate::printer::Printer::flush(out)?;
    }
    let changed_files = new_files.len();
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
    if verify {
        let count = |k: &str| counts.get(k).copied().unwrap_or(0);
        summary.push_str(&format!(
            " Verified by running the entry{}: {} safe, {} no-win, {} unsafe (rolled back).",
            if job.test.is_some() {
                " and the tests"
            } else {
                ""
            },
            count("safe"),
            count("no-win"),
            count("unsafe")
        ));
    } else if job.static_only && done.iter().any(|d| d.fix.is_some()) {
        summary.push_str(" Not verified (--static): no project code ran.");
    } else if job.diff && done.iter().any(|d| d.fix.is_some()) {
        summary.push_str(
            " Not verified (a preview writes nothing): `fastpath fix` runs the entry before keeping each edit.",
        );
    }
    if let Some(after) = &after {
        if let Some(gone) = left_cold_path(&loaded, after, measured.as_ref(), job.diff) {
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

/// One request and what became of it.
struct Done {
    file: PathBuf,
    at: String,
    request: Request,
    codes: Vec<&'static str>,
    /// The modules it is about, absolute.
    modules: Vec<String>,
    fix: Option<fastpath_fix::Fix>,
    why: Option<String>,
}

impl Done {
    fn new(file: &Path, shown: &str, target: Target, package: &str) -> Done {
        Done {
            file: file.to_path_buf(),
            at: format!("{shown}:{}:{}", target.request.line, target.request.column),
            modules: target
                .request
                .modules
                .iter()
                .map(|m| absolute_module(m, package))
                .collect(),
            request: target.request,
            codes: target.codes,
            fix: None,
            why: None,
        }
    }

    fn fixed(mut self, fix: fastpath_fix::Fix) -> Done {
        self.fix = Some(fix);
        self
    }

    fn not_fixed(mut self, why: String) -> Done {
        self.why = Some(why);
        self
    }
}

/// Every entry, one after the other: the modules any of them loads; the tests once.
struct AllEntries(Vec<PythonVerifier>);

impl Verifier for AllEntries {
    fn run_entry(&mut self) -> std::result::Result<BTreeSet<String>, Failure> {
        let mut loaded = BTreeSet::new();
        for verifier in &mut self.0 {
            let mut modules = verifier.run_entry().map_err(|failure| Failure {
                summary: format!("`{}`: {}", verifier.module, failure.summary),
                tail: failure.tail,
            })?;
            loaded.append(&mut modules);
        }
        Ok(loaded)
    }

    fn run_tests(&mut self) -> Option<std::result::Result<(), Failure>> {
        self.0.first_mut()?.run_tests()
    }
}

/// The package each project file's relative imports start from.
fn packages_of(views: &[EntryView]) -> BTreeMap<PathBuf, String> {
    views
        .iter()
        .flat_map(|v| v.path.modules.iter())
        .filter(|m| m.origin == Origin::Project)
        .filter_map(|m| {
            let path = m.path.as_deref()?;
            let is_package = path.file_name().is_some_and(|n| n == "__init__.py");
            let package = fastpath_graph::package_of(&m.name, is_package).to_owned();
            Some((canonical(path), package))
        })
        .collect()
}

/// The cold path with the new files: on disk already, or (a preview) read from memory in place
/// of the files on disk, which stay untouched.
fn after_fixes(
    project: &Project,
    new_files: &BTreeMap<PathBuf, Vec<u8>>,
    preview: bool,
) -> Result<Option<Vec<fastpath_graph::Module>>> {
    if new_files.is_empty() {
        return Ok(None);
    }
    let overlay = if preview {
        new_files.clone()
    } else {
        BTreeMap::new()
    };
    cold_paths(project, &overlay).map(Some)
}

/// Every entry's cold path, as it is on disk now with the `overlay` files' contents replaced.
fn cold_paths(
    project: &Project,
    overlay: &BTreeMap<PathBuf, Vec<u8>>,
) -> Result<Vec<fastpath_graph::Module>> {
    let mut modules: Vec<fastpath_graph::Module> = Vec::new();
    for entry in project.entries("fix")? {
        let sources = fastpath_graph::Sources::with_overlay(overlay.clone());
        let (path, _) = project.cold_path_with(&entry, sources)?;
        for module in path.modules {
            if !modules.iter().any(|m| m.name == module.name) {
                modules.push(module);
            }
        }
    }
    Ok(modules)
}

fn quoted(modules: &[String]) -> String {
    modules
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(", ")
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
    manifests: &HashSet<PathBuf>,
) -> Option<(PathBuf, u32, u32)> {
    let location = fix.location.as_ref()?;
    let file = canonical(&root.join(&location.path));
    (!manifests.contains(&file) && project.contains(&file)).then_some((
        file,
        location.line,
        location.column,
    ))
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
    before: &BTreeSet<String>,
    after: &[fastpath_graph::Module],
    measured: Option<&Measurements>,
    preview: bool,
) -> Option<String> {
    let after: BTreeSet<&String> = after.iter().map(|m| &m.name).collect();
    let gone: Vec<&String> = before.iter().filter(|m| !after.contains(m)).collect();
    if gone.is_empty() {
        return None;
    }
    let mut text = format!(
        "{} module{} {} the cold path",
        gone.len(),
        plural(gone.len()),
        if preview { "would leave" } else { "left" }
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
    Some(text)
}
