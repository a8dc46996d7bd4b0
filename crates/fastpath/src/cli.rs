//! The command line: every flag, with the help text that teaches it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str =
    "Keeps the cold start of Python programs fast, and keeps it from quietly getting slower.";

const LONG_ABOUT: &str = "\
Keeps the cold start of Python programs fast, and keeps it from quietly getting slower.

fastpath reads your Python source (it never runs project code unless a command measures), \
replays what importing your entry module loads, and shows each module with the statement that \
pulls it in.

Configuration lives in `[tool.fastpath]` of the nearest pyproject.toml (or a fastpath.toml): \
entry, python, src, ... Flags override it.";

#[derive(Debug, Parser)]
#[command(name = "fastpath", version, about = ABOUT, long_about = LONG_ABOUT, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub interpreter: InterpreterArgs,

    /// Use this configuration file instead of searching for pyproject.toml / fastpath.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the resolved settings and where each came from, then exit: nothing runs and
    /// nothing is written (works with or without a command).
    #[arg(long, global = true)]
    pub show_settings: bool,

    /// Print only results: no warnings, no progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl Command {
    /// Where the command looks for the project: its PATH argument (none means the working
    /// directory) and its `--src` roots.
    pub fn project_start(&self) -> (Option<&std::path::Path>, &[PathBuf]) {
        match self {
            Command::Check(a) => (a.project.path.as_deref(), &[]),
            Command::Fix(a) => (a.project.path.as_deref(), &[]),
            Command::Update(a) => (a.project.path.as_deref(), &[]),
            Command::Baseline(a) => (a.project.path.as_deref(), &[]),
            Command::Record(a) => (a.project.path.as_deref(), &[]),
            Command::History(a) => (a.project.path.as_deref(), &[]),
            Command::Graph(a) => (None, &a.src),
            Command::Profile(a) => (None, &a.src),
            Command::Usage(a) => (a.project.path.as_deref(), &[]),
            Command::LambdaReport(a) => (a.project.path.as_deref(), &[]),
            Command::Review(a) => (a.project.path.as_deref(), &[]),
            Command::Init(_)
            | Command::Blame(_)
            | Command::Explain(_)
            | Command::GenerateShellCompletion { .. } => (None, &[]),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the project: the manifest, the cold path and (unless --static) its measured costs.
    #[command(long_about = CHECK_LONG_ABOUT)]
    #[command(display_order = 1)]
    Check(CheckArgs),
    /// Explain a rule: what it finds, why it matters, what to do instead.
    #[command(display_order = 4)]
    Explain(ExplainArgs),
    /// Show the cold path: every module importing ENTRY loads, and the statement that loads it.
    #[command(long_about = GRAPH_LONG_ABOUT)]
    #[command(display_order = 2)]
    Graph(GraphArgs),
    /// Measure the entries carefully and write the baseline file `check` compares with.
    #[command(long_about = BASELINE_LONG_ABOUT)]
    #[command(display_order = 8)]
    Baseline(BaselineArgs),
    /// Measure the entries and append the result, with commit, branch and date, to the history.
    #[command(display_order = 9)]
    Record(RecordArgs),
    /// Show the cold start over the recorded history, as a table and an SVG chart.
    #[command(display_order = 10)]
    History(HistoryArgs),
    /// Who put each cold-path module there: the chain of statements and who wrote each line.
    #[command(long_about = BLAME_LONG_ABOUT)]
    #[command(display_order = 11)]
    Blame(BlameArgs),
    /// Take the imports that `check` flags off the cold path: into functions, under
    /// `if TYPE_CHECKING:`, or PEP 810 `lazy import`.
    #[command(long_about = FIX_LONG_ABOUT)]
    #[command(display_order = 5)]
    Fix(FixArgs),
    /// Write a first `fast_path.py` for ENTRY from measurements, and point the entry at it.
    #[command(long_about = INIT_LONG_ABOUT)]
    #[command(display_order = 7)]
    Init(InitArgs),
    /// The monthly review: re-profile, rewrite the manifest's costs and dates, add a HISTORY line.
    #[command(long_about = UPDATE_LONG_ABOUT)]
    #[command(display_order = 6)]
    Update(UpdateArgs),
    /// Measure the cold start: what each import of ENTRY costs, over fresh interpreter runs.
    #[command(long_about = PROFILE_LONG_ABOUT)]
    #[command(display_order = 3)]
    Profile(ProfileArgs),
    /// Usage evidence for hot-path exceptions: replay events through the handler, or aggregate
    /// `fastpath.runtime.track_usage` log lines.
    #[command(long_about = USAGE_LONG_ABOUT)]
    #[command(display_order = 12)]
    Usage(UsageArgs),
    /// Production cold starts: Lambda `REPORT` lines (Init Duration) from exported logs, beside
    /// the local measurement.
    #[command(long_about = LAMBDA_REPORT_LONG_ABOUT)]
    #[command(display_order = 13)]
    LambdaReport(LambdaReportArgs),
    /// The seed's review checklist for a pull request, filled in: every import added to or
    /// removed from the manifest or the cold path since REV.
    #[command(long_about = REVIEW_LONG_ABOUT)]
    #[command(display_order = 14)]
    Review(ReviewArgs),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    #[command(display_order = 15)]
    GenerateShellCompletion { shell: clap_complete::Shell },
}

const USAGE_LONG_ABOUT: &str = "\
Usage evidence for hot-path exceptions: how often each manifest and cold-path module's code runs
when the program serves requests. FP008 and `update` use it.

--events DIR runs project code: one fresh interpreter imports the entry once, then calls the
handler with each `*.json` file of DIR (one event each, in sorted order). The handler is the
entry's function (`pkg.mod:function`) or --handler NAME; a handler taking two arguments gets a
stub Lambda context. Per event it records which tracked modules had code run (sys.monitoring on
Python 3.12+, sys.setprofile before) and which deferred modules got imported. An event that
raises is counted and reported; it does not stop the run.

--logs FILE reads the lines `fastpath.runtime.track_usage` writes in production (one JSON line
per invocation), from a plain or JSON log export.

The result is written to .fastpath/usage.json (`fastpath.usage/1`) unless --no-write.

Examples:
  fastpath usage --events tests/events --handler lambda_handler
  fastpath usage --logs exported.log";

const LAMBDA_REPORT_LONG_ABOUT: &str = "\
Production cold starts: reads the `REPORT RequestId: ... Init Duration: ... ms` lines AWS
Lambda writes after each invocation, from exported CloudWatch logs (plain text, JSON lines with a
`message` field, `aws logs filter-log-events` output, or Lambda's JSON log format), and prints
the invocation count, the cold-start rate, Init Duration p50/p90/p99/max and the memory sizes
seen, beside the locally measured cold start of the entry (from --profile FILE, else the latest
`fastpath record`, else none: it never runs project code).

Lambda allocates CPU in proportion to memory (1,769 MB is one vCPU), so a CPU-bound import is
slower at small memory sizes than on a developer machine.

`fastpath record --lambda-report FILE` stores the figures in the history with the commit.

Examples:
  aws logs filter-log-events --log-group-name /aws/lambda/orders --filter-pattern REPORT > report.json
  fastpath lambda-report report.json
  fastpath lambda-report exported.log --format json";

const REVIEW_LONG_ABOUT: &str = "\
The seed's review checklist for a pull request, filled in. Compares the manifest and the cold
path of REV (checked out in a temporary git worktree) with the working tree; for each import
added or removed it answers: the measured cost with its interval, whether the documented cost
matches, usage evidence when the import costs over `tier1-max-ms` (.fastpath/usage.json), the
commit message as the justification, the total against the budget, the alternative (what
`fastpath fix` would do), and who must approve (CODEOWNERS).

Measures both sides unless --static. Prints Markdown ready to post as a pull-request comment.

Examples:
  fastpath review --against origin/main
  fastpath review --against origin/main --format json";

#[derive(Debug, Args)]
pub struct UsageArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    /// Replay each `*.json` event file of DIR through the handler.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "logs",
        conflicts_with = "logs"
    )]
    pub events: Option<PathBuf>,

    /// Aggregate `fastpath.runtime.track_usage` lines from an exported log.
    #[arg(long, value_name = "FILE")]
    pub logs: Option<PathBuf>,

    /// The entry whose handler is called: a module (`lambda_function`) or `pkg.mod:function`.
    /// Default: `entry` from the configuration.
    #[arg(long, value_name = "ENTRY")]
    pub entry: Option<String>,

    /// The handler: an attribute of the entry module (`lambda_handler`, `App.handle`).
    #[arg(long, value_name = "NAME")]
    pub handler: Option<String>,

    /// Kill the replay after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = positive_seconds)]
    pub timeout: f64,

    /// Print only; do not write .fastpath/usage.json.
    #[arg(long)]
    pub no_write: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[derive(Debug, Args)]
pub struct LambdaReportArgs {
    /// The exported log file.
    pub file: PathBuf,

    #[command(flatten)]
    pub project: LambdaProjectArgs,

    /// The local cold start from a saved `fastpath profile --format json`.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// Where the project is, for commands whose positional argument is something else.
#[derive(Debug, Args)]
pub struct LambdaProjectArgs {
    /// A directory inside the project (default: the working directory).
    #[arg(long = "project", value_name = "DIR")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    /// The revision to compare with (a commit, branch or tag), e.g. `origin/main`.
    #[arg(long, value_name = "REV")]
    pub against: String,

    /// Run no project code: costs are not measured (the checklist says so).
    #[arg(long = "static")]
    pub static_only: bool,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Markdown)]
    pub format: ReviewFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    /// For a pull-request comment.
    Markdown,
    /// `fastpath.review/1`.
    Json,
}

const FIX_LONG_ABOUT: &str = "\
Take the imports that `check` flags off the cold path (FP001, FP002, FP003, FP104).

For each finding, the statement that puts the module on the cold path gets the best safe edit:
- names used only in annotations that are never evaluated at run time: under
  `if TYPE_CHECKING:` (adding `from typing import TYPE_CHECKING` when needed);
- a Python 3.15+ target and no module-level use: PEP 810 `lazy import` (or the module added to
  a `__lazy_modules__` defined before it);
- names used at run time only inside functions: the import moves into each function that uses
  them, right after its docstring.
A name used at import time (decorator, base class, default argument, module-level call or
statement, class body, `__all__`, `global`), an import kept for its side effects, or a function
that itself runs at import is refused, with the reason. Fixes that could change what some code
observes are unsafe and need --unsafe-fixes.

Files are written atomically (temporary file, then rename) and never if they changed since they
were read; encoding, line endings and every untouched byte are kept.

Exit status: 0 every finding fixed (or none), 1 some remain (or, with --diff, changes to make),
2 the tool failed.

Examples:
  fastpath fix --diff          # preview
  fastpath fix --static        # static findings only; runs no project code
  fastpath check --fix         # fix, then check what is left";

const INIT_LONG_ABOUT: &str = "\
Write a first `fast_path.py` for ENTRY (default: `entry` from the configuration).

Measures ENTRY's module-level imports in fresh interpreters, classifies each by the policy:
Tier 1 when it costs less than `tier1-max-ms`; heavier ones move to function level (with
`fastpath fix`'s code-mods) unless `--hot` marks them as used on most requests (Tier 2). Writes
the manifest in the seed's format (docstring with the criteria, `Last profiled`, target; tier
sections; annotated imports; `__all__`; a first HISTORY line) and replaces the entry's
module-level imports with `from fast_path import *`.

Examples:
  fastpath init lambda_function --diff
  fastpath init app --hot gateway=95";

const UPDATE_LONG_ABOUT: &str = "\
The monthly review in one command: re-profile the entries, rewrite each import's ms annotation
and `PROFILED` date and the docstring's `Last profiled` date, and append one HISTORY line (date,
what changed, count, total).

A cost is rewritten only when the measurement moved by more than 0.5 ms and 10 % from what the
file says, so noise does not churn the file; every byte it does not need to change stays as it
was, and a second run on the same day changes nothing.

Examples:
  fastpath update --diff
  fastpath update --profile profile.json   # use a saved `fastpath profile --format json`";

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    /// Show the changes as a unified diff; write nothing (the preview is not verified by running).
    #[arg(long)]
    pub diff: bool,

    /// Also apply fixes that declare themselves unsafe.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Fix static findings only and do not verify the fixes: run no project code.
    #[arg(long = "static", conflicts_with = "profile")]
    pub static_only: bool,

    /// After the fixes, run this test command (`sh -c CMD` in the project root, killed after ten
    /// times `--timeout`); fixes it fails with are found by bisection and rolled back.
    #[arg(long, value_name = "CMD", conflicts_with = "static_only")]
    pub test: Option<String>,

    #[command(flatten)]
    pub measure: MeasureArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Entry module (`lambda_function`) or path to a `.py` file. Default: `entry` from the
    /// configuration.
    pub entry: Option<String>,

    /// Show the new manifest and the entry's change as a diff; write nothing.
    #[arg(long)]
    pub diff: bool,

    /// A module used on most requests: keep it on the cold path as a Tier 2 hot-path exception
    /// even when it is heavy (`MODULE` or `MODULE=PERCENT`, repeatable).
    #[arg(long, value_name = "MODULE[=PERCENT]")]
    pub hot: Vec<String>,

    #[command(flatten)]
    pub measure: MeasureArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    /// Show the change as a unified diff; write nothing.
    #[arg(long)]
    pub diff: bool,

    #[command(flatten)]
    pub measure: MeasureArgs,
}

const BASELINE_LONG_ABOUT: &str = "\
Measure the entries carefully and write the baseline file `check` compares with.

Each entry is imported in fresh interpreters (30 to 60 runs, until the median is known to 1 %), \
and `fastpath-baseline.json` (the `baseline` key moves it) gets every run's times, per-module \
statistics, the static cold path and the environment (interpreter, platform, CPU). Commit it: \
`fastpath check` then reports FP201 (the cold start regressed), FP202 (a module's cost \
regressed) and FP203 (a module is new on the cold path).

A baseline recorded once is hostage to the moment it was recorded; on pull requests prefer \
`fastpath check --against origin/main`, which measures both sides interleaved.";

const BLAME_LONG_ABOUT: &str = "\
Who put each cold-path module there: the chain of statements from the entry and, for each \
statement line, the commit, author, date and summary that introduced it (git blame).

Without MODULE, the top costs: the most expensive modules imported by project code (measured; \
--static lists them in load order instead). Outside a git repository, or in a shallow clone, \
it says what it cannot tell and still shows the chains.";

const GRAPH_LONG_ABOUT: &str = "\
Show the cold path: every module importing ENTRY loads, and the statement that loads it.

Static: no project code runs. Module-level imports, imports in class bodies and module-level \
blocks count (eager); imports inside functions (deferred), under `if TYPE_CHECKING:`, PEP 810 \
`lazy import`, and under `if __name__ == \"__main__\":` do not. `sys.version_info` and \
`sys.platform` tests are decided for the target interpreter; an `except ImportError:` branch \
counts only when its `try` import cannot be found; a module-level call to a function of the \
same module counts that function's imports.

Modules are resolved as the target interpreter would (its sys.path, built-in and frozen \
modules, extension suffixes, editable installs), asked once and cached.

Examples:
  fastpath graph lambda_function
  fastpath graph src/mycli/__main__.py --format json
  fastpath graph app --python .venv/bin/python --format dot | dot -Tsvg > cold.svg
  fastpath graph --all .venv/lib/python3.11/site-packages --format json";

const CHECK_LONG_ABOUT: &str = "\
Check the project: the manifest, the cold path and (unless --static) its measured costs.

The main job, for CI and pre-commit. Static rules (FP0xx) read source only: the entry imports \
only the manifest; no undeclared third-party or banned module reaches the cold path through a \
project module's import (the finding shows the whole chain); the manifest documents every cost, \
its `__all__` matches, its dates are fresh. Measured rules (FP1xx) import the entry in fresh \
interpreters (`fastpath profile`) and compare with the budgets.

Exit status: 0 clean, 1 findings, 2 the check could not run.

Examples:
  fastpath check                        # the project around the working directory
  fastpath check --static               # no project code runs: safe for pre-commit
  fastpath check --output-format github # annotations on the pull request
  fastpath explain FP002";

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    /// Run no project code: static rules only.
    #[arg(long = "static", conflicts_with = "profile")]
    pub static_only: bool,

    #[command(flatten)]
    pub measure: MeasureArgs,

    /// How findings are printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Full)]
    pub output_format: OutputFormat,

    /// Compare with REV (a commit, branch or tag): REV is checked out in a temporary git
    /// worktree and both are measured interleaved (FP201-FP203). For CI on pull requests:
    /// `--against origin/main`.
    #[arg(long, value_name = "REV", conflicts_with = "profile")]
    pub against: Option<String>,

    /// Compare with a baseline measured with another interpreter version or platform anyway.
    #[arg(long)]
    pub force: bool,
    /// First take flagged imports off the cold path (see `fastpath fix`), then check.
    #[arg(long)]
    pub fix: bool,

    /// With --fix: also apply fixes that declare themselves unsafe.
    #[arg(long, requires = "fix")]
    pub unsafe_fixes: bool,

    /// With --fix: show the fixes as a unified diff, write nothing, and skip the check.
    #[arg(long, requires = "fix")]
    pub diff: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Source snippets with the import chain (like rustc and ruff).
    Full,
    /// One line per finding.
    Concise,
    /// `fastpath.check/1`.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions annotations.
    Github,
    /// One self-contained page, the findings with their chains.
    Html,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (`FP002`) or name (`undeclared-third-party-import`). Without it, lists every rule.
    pub code: Option<String>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Entry module (`lambda_function`, `mycli.__main__`) or path to a `.py` file. Default: `entry`
    /// from the configuration.
    pub entry: Option<String>,

    /// Instead of one cold path: every `.py` file under DIR with all its import sites, their
    /// contexts and resolved targets.
    #[arg(long, value_name = "DIR", conflicts_with = "entry")]
    pub all: Option<PathBuf>,

    /// Extra import root searched after the project root (repeatable), e.g. `--src lib`; a `src`
    /// folder that is not a package is one by default.
    #[arg(long = "src", value_name = "DIR")]
    pub src: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub format: GraphFormat,
}

const PROFILE_LONG_ABOUT: &str = "\
Measure the cold start: what each import of ENTRY costs, over fresh interpreter runs.

Runs project code: each run is a fresh `python -X importtime` process that imports ENTRY with \
the project root first on sys.path, in your environment (PYTHONSTARTUP, PYTHONINSPECT, \
PYTHONVERBOSE and an inherited PYTHONPROFILEIMPORTTIME are removed). A warm-up run comes first \
(it compiles .pyc files into fastpath's cache through PYTHONPYCACHEPREFIX, one per interpreter, \
never beside your sources; on Python 3.7, which has no such prefix, runs use -B and write \
nothing); then measured runs until the median import total is known within \
±2.5 % (10 to 40 runs), or exactly --runs N. `python -c pass` runs measure interpreter start-up, \
so the report can say: cold start = interpreter start-up + imports. The interpreter is pinned \
to the least-busy CPU (one no other fastpath process holds, checked again between runs) for \
steadier figures unless --no-pin; runs slowed by other processes are dropped and redone, and a \
measurement that stays contended says so instead of claiming a precision.

The report ranks the costliest modules, and what deferring each import statement would really \
save: the modules that would no longer load at all (a dependency shared with another import is \
not counted), priced with their measured self times.

Every profile also compares what loaded with the static graph (`fastpath graph`). Modules that \
loaded but were not predicted (imported by a compiled extension, or through a computed name) \
are recorded with their importer in .fastpath/observed.json under the project root, per \
interpreter; `fastpath graph` includes them from then on, as `observed` imports.

Exit status: 0 measured; 2 when the entry raises (its traceback is shown), hangs (killed after \
--timeout), or the interpreter cannot be profiled.

Examples:
  fastpath profile lambda_function
  fastpath profile app --python .venv/bin/python --runs 20
  fastpath profile app --format json > profile.json
  fastpath profile app --format folded | flamegraph.pl > cold.svg
  fastpath profile app --format html -o report.html
  fastpath profile app --defer app.py:3 --defer app.py:4   # what the two save together";

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Entry module (`lambda_function`, `mycli.__main__`) or path to a `.py` file. Default: `entry`
    /// from the configuration.
    pub entry: Option<String>,

    /// Extra import root, put on the measured interpreter's path after the project root
    /// (repeatable), e.g. `--src lib`; a `src` folder that is not a package is one by default.
    #[arg(long = "src", value_name = "DIR")]
    pub src: Vec<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Discarded runs before measuring (they fill fastpath's bytecode cache).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: usize,

    /// Measure without .pyc files, as a package shipped without them is imported (every module
    /// compiles from source, standard library included; nothing is written).
    #[arg(long)]
    pub fresh_bytecode: bool,

    /// Do not pin the measured interpreter to one CPU.
    #[arg(long)]
    pub no_pin: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ProfileFormat::Text)]
    pub format: ProfileFormat,

    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Price deferring these import statements together (repeatable): the report adds what
    /// they save as a set and every module that would no longer load.
    #[arg(long, value_name = "FILE:LINE")]
    pub defer: Vec<String>,
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(seconds),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileFormat {
    /// A readable report: costs, savings, the import tree.
    Text,
    /// `fastpath.profile/1`.
    Json,
    /// Folded stacks for flamegraph.pl and speedscope.
    Folded,
    /// One self-contained interactive page (use with -o report.html).
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A readable tree.
    Text,
    /// `fastpath.graph/1` (with --all: `fastpath.graph-all/1`).
    Json,
    /// Graphviz.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// The interpreter every command that reads or runs the project targets (global: it may come
/// before or after the command).
#[derive(Debug, Args)]
pub struct InterpreterArgs {
    /// The target interpreter. Default: `python` in the configuration, else $VIRTUAL_ENV's, else
    /// `python3` on PATH.
    #[arg(long, global = true, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// Ask the interpreter about its import system afresh instead of using the cached answer.
    #[arg(long, global = true)]
    pub no_cache: bool,
}

/// Where the project is.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// A directory (or file) inside the project; its configuration is found from there.
    /// Default: the working directory.
    pub path: Option<PathBuf>,
}

/// How measured runs go, for every command that runs the entries.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Exactly N measured runs per entry. Default: `runs` in the configuration, else adaptive
    /// (until the median is known within ±2.5 %).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: Option<u32>,

    /// Call a function entry (`pkg.mod:main`) with these arguments, split at spaces
    /// (`--args=--version`), after importing it: its `sys.argv` is `[name, *args]`. Overrides
    /// `args` in the configuration. Without either, only the import is measured.
    #[arg(long, value_name = "ARGS", allow_hyphen_values = true)]
    pub args: Option<String>,

    /// Kill a run that takes longer than this many seconds, and fail.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = positive_seconds)]
    pub timeout: f64,
}

/// The measuring flags: how runs go, or a saved profile instead of runs.
#[derive(Debug, Args)]
pub struct MeasureArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Use the measurements of a saved `fastpath profile --format json` instead of measuring.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    /// Store the production cold starts of a Lambda log export (see `fastpath lambda-report`)
    /// instead of measuring.
    #[arg(long, value_name = "FILE", conflicts_with = "profile")]
    pub lambda_report: Option<PathBuf>,

    #[command(flatten)]
    pub measure: MeasureArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub project: ProjectArgs,

    /// Only this entry.
    #[arg(long, value_name = "ENTRY")]
    pub entry: Option<String>,

    /// Show this module's cost (repeatable). Default: the three costliest modules of the latest
    /// record.
    #[arg(long = "module", value_name = "MODULE")]
    pub modules: Vec<String>,

    /// Also draw the trend (cold start, imports, modules) as an SVG chart into FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    /// Only the last N records.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[derive(Debug, Args)]
pub struct BlameArgs {
    /// Modules to explain (default: the top costs).
    pub modules: Vec<String>,

    /// The entry whose cold path is read (default: every configured entry).
    #[arg(long, value_name = "ENTRY")]
    pub entry: Option<String>,

    /// How many modules to show without MODULE.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top: usize,

    /// Run no project code: choose modules in load order instead of by measured cost.
    #[arg(long = "static", conflicts_with = "profile")]
    pub static_only: bool,

    #[command(flatten)]
    pub measure: MeasureArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    /// For people.
    Text,
    /// For programs (`fastpath.<command>/1`).
    Json,
}
