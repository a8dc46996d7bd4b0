//! The Python source scanner: turns the bytes of one `.py` file into its import sites.
//!
//! An import site is one statement (or one literal `importlib.import_module` / `__import__`
//! call) that can load a module, with its position and the context that decides *when* it runs:
//! at import (`eager`), only when a function is called (`deferred`), never at run time
//! (`type-checking`), on first use (`lazy`), or only when the file runs as a script
//! (`main-guard`). Nothing here resolves module names or touches other files: that is the
//! graph crate's job. Nothing here runs Python.
//!
//! Bad input is data, not an error: a file that does not decode or does not parse still yields
//! every site that can be recovered, plus [`Problem`]s that name the line.

mod ast;
pub mod condition;
mod decode;
pub mod fast;
mod line_index;
pub mod scope;
mod target;

use std::collections::BTreeMap;

use serde::Serialize;

pub use crate::decode::{
    coding_cookie, cookie_line, decode_source, encoding_for_python_label, Decoded,
};
pub use crate::line_index::LineIndex;
pub use crate::target::{Platform, Target};

/// When an import site runs, relative to the import of the file that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    /// Runs when the module is imported: module body, class bodies, module-level blocks.
    Eager,
    /// Inside a function or lambda body: runs only when that function is called.
    Deferred,
    /// Under `if TYPE_CHECKING:`: never runs.
    TypeChecking,
    /// PEP 810 `lazy import`, or named in `__lazy_modules__` on a target that honours it.
    Lazy,
    /// Under `if __name__ == "__main__":`: runs only when the file is executed as a script.
    MainGuard,
    /// An edge that `fastpath profile` saw at run time but no source shows: an import made by
    /// a compiled extension as it initialises, or through a computed name. The scanner never
    /// produces it; the graph adds it from `.fastpath/observed.json`.
    Observed,
}

impl Context {
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Eager => "eager",
            Context::Deferred => "deferred",
            Context::TypeChecking => "type-checking",
            Context::Lazy => "lazy",
            Context::MainGuard => "main-guard",
            Context::Observed => "observed",
        }
    }
}

/// The syntactic form of an import site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteKind {
    /// `import a.b.c [as x]` (one site per alias).
    Import,
    /// `from [.]a import b [as c], ...`.
    From,
    /// `importlib.import_module("literal")` (or `import_module("literal")`).
    ImportModule,
    /// `__import__("literal")`.
    DunderImport,
}

/// A name imported by a `from` statement: `from x import name as asname`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedName {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asname: Option<String>,
}

/// One import site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSite {
    pub kind: SiteKind,
    /// The dotted module as written, without leading dots (empty for `from . import x`).
    pub module: String,
    /// Number of leading dots of a relative import (0 for absolute).
    pub level: u32,
    /// For `from` imports, the names imported (`*` for a star import). Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<ImportedName>,
    /// `import a.b as c` binds `c`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    pub context: Context,
    /// Inside the body of a `try` whose handler catches `ImportError` (or broader): a failure
    /// is expected and handled.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// For optional sites: the `try` statement they belong to. Every `try` statement of the
    /// file is numbered in source order from 0, whether or not it catches `ImportError`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub try_id: Option<u32>,
    /// Inside an `except` handler of the `try` with this id: runs only when that `try` body
    /// raised. The one failure a static view can predict is an import that cannot be found,
    /// so a handler counts only when it catches `ImportError` and an import of its body fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_for: Option<u32>,
    /// For sites inside a function or lambda: the `__qualname__` of the innermost one
    /// (`handler`, `Model.method`, `outer.<locals>.inner`, `<lambda>`), so a call made at import
    /// time can promote exactly the imports of the function it calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Inside a block of its function (or of the module) that may not run: an `if` branch whose
    /// test is not decided for the target, a loop body, an `except` handler, a `case`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub conditional: bool,
    /// 1-based line of the statement (or call).
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl FileScan {
    /// Each call made at import time (`eager_calls`) with the line of its first occurrence.
    pub fn eager_call_sites(&self) -> impl Iterator<Item = (&str, u32)> {
        self.eager_calls
            .iter()
            .zip(&self.eager_call_lines)
            .map(|(callee, &line)| (callee.as_str(), line))
    }

    /// The functions (by `__qualname__`) that code run at import time calls, directly or
    /// through other functions of this module: their imports run at import time too.
    pub fn functions_run_at_import(&self) -> std::collections::BTreeSet<&str> {
        let mut run = std::collections::BTreeSet::new();
        let mut work: Vec<&str> = self.eager_calls.iter().map(String::as_str).collect();
        while let Some(mut name) = work.pop() {
            // Follow `a = b` bindings, at most a few steps (they could form a cycle).
            for _ in 0..8 {
                match self.aliases.get(name) {
                    Some(target) => name = target,
                    None => break,
                }
            }
            if run.insert(name) {
                if let Some(callees) = self.calls.get(name) {
                    work.extend(callees.iter().map(String::as_str));
                }
            }
        }
        run
    }
}

impl ImportSite {
    /// A site of `kind` importing `module` (`level` leading dots) at `line`:`column`; the
    /// enclosing blocks' facts (`optional`, `try_id`, `fallback_for`, `function`,
    /// `conditional`) start empty for the scanner to fill in.
    pub fn new(
        kind: SiteKind,
        module: String,
        level: u32,
        context: Context,
        line: u32,
        column: u32,
    ) -> Self {
        ImportSite {
            kind,
            module,
            level,
            names: Vec::new(),
            alias: None,
            context,
            optional: false,
            try_id: None,
            fallback_for: None,
            function: None,
            conditional: false,
            line,
            column,
        }
    }

    /// Whether this site runs when its file is imported (before any call-following).
    pub fn is_eager(&self) -> bool {
        self.context == Context::Eager
    }
}

/// Something wrong with a file that did not stop the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The file does not parse; sites were recovered around the error.
    Syntax,
    /// The bytes are not valid in the declared (or default UTF-8) encoding; invalid sequences
    /// were replaced before scanning.
    Encoding,
    /// The file could not be read at all.
    Unreadable,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Syntax => "syntax error",
            ProblemKind::Encoding => "encoding error",
            ProblemKind::Unreadable => "unreadable",
        }
    }
}

/// Everything the scanner learns from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileScan {
    /// Every import site, in source order.
    pub sites: Vec<ImportSite>,
    /// Dotted names of functions called by code that runs at import time, in source order,
    /// deduplicated: the callee of an expression statement that is a call, of the value of an
    /// assignment (plain or annotated) that is a call, and every decorator (the callee of a
    /// decorator call, or the decorator itself), all in eager context only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eager_calls: Vec<String>,
    /// The 1-based line of each `eager_calls` entry's first occurrence, index for index:
    /// the graph names the call site when it follows a call into another module.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eager_call_lines: Vec<u32>,
    /// Attribute chains on a name (`np.random.Generator`, `futures.ThreadPoolExecutor`) that
    /// code running at import time evaluates, each with the 1-based line of its first
    /// occurrence: the whole chain, read or written, anywhere in an eager expression (not in
    /// annotations, lambdas, `del` or `with` targets). An attribute a module does not define
    /// calls its `__getattr__` (PEP 562), which may import a submodule.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub eager_attributes: BTreeMap<String, u32>,
    /// The callees (dotted names) of the calls that certainly run in each function's own body
    /// (not in a conditional block, not in functions nested in it), keyed by the function's
    /// `__qualname__`: with `eager_calls` and
    /// `aliases`, the graph follows calls made at import time down to the imports they run.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub calls: BTreeMap<String, Vec<String>>,
    /// Module-level `name = other` bindings of one name to another (`__get_hash =
    /// __get_openssl_constructor`), so a call through the alias is followed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub aliases: BTreeMap<String, String>,
    /// The literal `__all__` list or tuple, when the module defines one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<String>>,
    /// The literal `__lazy_modules__`, when the module defines one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lazy_modules: Option<Vec<String>>,
    /// Module names this module puts into `sys.modules` itself (`sys.modules["a.b"] = obj`) in
    /// code that runs at import, in source order: importing them afterwards loads nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registers: Vec<String>,
    /// Whether the module defines a module-level `__getattr__` (PEP 562).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub has_getattr: bool,
    /// Problems found on the way; the scan still carries every recoverable site.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// Scans Python source bytes (any encoding PEP 263 allows) for import sites.
///
/// `target` decides `sys.version_info` / `sys.platform` tests and `__lazy_modules__`; without
/// it both branches of such tests count.
pub fn scan_bytes(bytes: &[u8], target: Option<&Target>) -> FileScan {
    let decoded = decode_source(bytes);
    let mut scan = scan_source(&decoded.text, target);
    if let Some(problem) = decoded.problem {
        scan.problems.insert(0, problem);
    }
    scan
}

/// Scans already-decoded Python source with the fast scanner ([`fast`]): the same result as
/// [`scan_source_reference`] (proven by `tests/differential.rs` over whole standard libraries
/// and site-packages) about three times faster, falling back to the full parse for any file it
/// cannot be sure about (syntax errors among them).
pub fn scan_source(source: &str, target: Option<&Target>) -> FileScan {
    match fast::try_scan(source, target) {
        Ok(scan) => scan,
        Err(_) => scan_source_reference(source, target),
    }
}

/// The reference scanner: a full parse with ruff's parser. The definition of a scan.
pub fn scan_source_reference(source: &str, target: Option<&Target>) -> FileScan {
    ast::scan(source, target)
}
