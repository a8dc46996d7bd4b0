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
    pub command: Command,

    /// Use this configuration file instead of searching for pyproject.toml / fastpath.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the resolved settings and where each came from, then exit.
    #[arg(long, global = true)]
    pub show_settings: bool,

    /// Print only results: no warnings, no progress.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the cold path: every module importing ENTRY loads, and the statement that loads it.
    #[command(long_about = GRAPH_LONG_ABOUT)]
    Graph(GraphArgs),
}

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

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Entry module (`lambda_function`, `mycli.__main__`) or path to a `.py` file. Default: `entry`
    /// from the configuration.
    pub entry: Option<String>,

    /// Instead of one cold path: every `.py` file under DIR with all its import sites, their
    /// contexts and resolved targets.
    #[arg(long, value_name = "DIR", conflicts_with = "entry")]
    pub all: Option<PathBuf>,

    /// The target interpreter. Default: `python` in the configuration, else $VIRTUAL_ENV's, else
    /// `python3` on PATH.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// Extra import root searched after the project root (repeatable), e.g. `--src src`.
    #[arg(long = "src", value_name = "DIR")]
    pub src: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub format: GraphFormat,

    /// Ask the interpreter afresh instead of using the cached answer.
    #[arg(long)]
    pub no_cache: bool,
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
