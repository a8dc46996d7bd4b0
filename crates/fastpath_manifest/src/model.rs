//! The manifest as data: every element the seed's format has, each with the span it came from.
//!
//! Spans are byte ranges of the file as read (not of decoded text) plus the 1-based line and
//! character column of their start, so a diagnostic can point at the element and an edit can
//! replace exactly its bytes. Values are parsed (dates, milliseconds, percentages) but the
//! text they came from is kept wherever a rule or a message may want to quote it.

use serde::Serialize;

use crate::date::Date;

/// Where an element sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Byte offset of the first byte, in the file as read.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, in characters.
    pub column: u32,
}

/// The line break a file uses; new lines are written with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    Lf,
    CrLf,
    Cr,
}

impl LineEnding {
    /// The first line break decides; a file without one is LF.
    pub(crate) fn detect(text: &str) -> LineEnding {
        let bytes = text.as_bytes();
        match bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(at) if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') => LineEnding::CrLf,
            Some(at) if bytes[at] == b'\r' => LineEnding::Cr,
            _ => LineEnding::Lf,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "\n",
            LineEnding::CrLf => "\r\n",
            LineEnding::Cr => "\r",
        }
    }
}

/// How a threshold or a cost compares: `<10ms`, `>80%`, `~5ms`, or a plain value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Comparison {
    /// A plain value: `15ms`.
    Exact,
    /// `<1ms`, `under 2 seconds`.
    Less,
    /// `<=`, `≤`.
    LessOrEqual,
    /// `>80%`, `over 80%`.
    Greater,
    /// `>=`, `≥`.
    GreaterOrEqual,
    /// `~5ms`, `≈5ms`.
    About,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Exact => "",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::About => "~",
        }
    }
}

/// The unit of a threshold. Durations are normalised to milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    Milliseconds,
    Percent,
}

/// A bound such as `<10ms` or `>80%`, as written in the docstring's criteria or a tier heading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub comparison: Comparison,
    /// In milliseconds for durations (`<2 seconds` is 2000), in percent for `%`.
    pub value: f64,
    pub unit: Unit,
    pub span: Span,
}

/// The whole parsed manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// The module docstring and the keys read from it.
    pub docstring: Option<Docstring>,
    /// `# Tier N: ...` headings, in file order.
    pub sections: Vec<TierSection>,
    /// Module-level import statements, in file order (`from __future__` ones are left out: they
    /// are compiler directives, not modules on the cold path).
    pub imports: Vec<ManifestImport>,
    /// The literal `__all__`, when there is one that can be read.
    pub all: Option<DunderAll>,
    /// The `# HISTORY:` block.
    pub history: Option<History>,
    /// The encoding the file was read with: `utf-8`, or the name its coding cookie gives.
    pub encoding: String,
    pub line_ending: LineEnding,
    /// Whether the file ends with a line break.
    pub final_newline: bool,
    #[serde(skip)]
    pub(crate) source: crate::source::Source,
    /// Text offset of the first statement, where a missing docstring would go.
    #[serde(skip)]
    pub(crate) first_statement: Option<u32>,
    /// The line of an `__all__` assignment that is not a literal: edits cannot keep it in
    /// sync.
    #[serde(skip)]
    pub(crate) all_unreadable: Option<u32>,
    /// The line of the first syntax error: a file that does not parse is not edited.
    #[serde(skip)]
    pub(crate) syntax_error: Option<u32>,
}

/// The module docstring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Docstring {
    /// The whole string literal, quotes included.
    pub span: Span,
    /// The first non-blank line (`Fast Path: Minimum imports for cold start optimization.`).
    pub title: Option<String>,
    /// `Last profiled: 2025-11-08`.
    pub last_profiled: Option<DateKey>,
    /// `Last reviewed: 2025-11-08` (a variant of the same key; both may appear).
    pub last_reviewed: Option<DateKey>,
    /// `Target cold start: <2 seconds` or `Cold start target: <2s`.
    pub cold_start_target: Option<TargetKey>,
    /// Bullet lines with a threshold: `- Import time <10ms, OR`, `- Used on >80% of requests`.
    pub criteria: Vec<Criterion>,
}

/// A docstring key whose value is a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateKey {
    /// The key as written (`Last profiled`).
    pub key: String,
    pub date: Date,
    /// The whole `Key: value` line, without its indentation and line break.
    pub span: Span,
    /// The date itself: what an edit replaces.
    pub date_span: Span,
}

/// `Target cold start: <2 seconds`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetKey {
    pub key: String,
    /// The value as written (`<2 seconds`).
    pub text: String,
    pub threshold: Threshold,
    pub span: Span,
}

/// What a docstring criterion bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CriterionKind {
    /// A duration: `Import time <10ms`.
    ImportTime,
    /// A share of requests: `Used on >80% of requests`.
    Usage,
}

/// One criterion line of the docstring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub kind: CriterionKind,
    /// The line as written, without the bullet (`Import time <10ms, OR`).
    pub text: String,
    pub threshold: Threshold,
    pub span: Span,
}

/// A `# Tier N: Title (criteria)` heading; the imports after it, up to the next heading,
/// belong to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierSection {
    pub tier: u32,
    /// `Lightweight`, `Hot path exceptions`.
    pub title: String,
    /// The text inside the trailing parentheses, when there is one (`<10ms`,
    /// `>10ms but >80% usage`).
    pub criteria: Option<String>,
    /// Thresholds found in `criteria`.
    pub thresholds: Vec<Threshold>,
    /// The comment, `#` to end of line.
    pub span: Span,
}

/// The syntactic form of a manifest import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "form")]
pub enum ImportForm {
    /// `import a`, `import a.b as c`, `import a, b`.
    Import,
    /// `from x import y`, `from . import z`: `module` without its leading dots.
    From { module: String, level: u32 },
}

/// One name an import statement brings in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedItem {
    /// The module this item loads, dotted, as the statement spells it: `a.b` for
    /// `import a.b as c`, `x.y` for `from x import y`, `.z` for `from . import z` (`y` may be a
    /// name rather than a submodule; only the resolver can tell).
    pub module: String,
    /// The name as written after `import` (`a.b`, `y`).
    pub name: String,
    pub asname: Option<String>,
    /// The name bound in the manifest's namespace: what `__all__` should list (`a` for
    /// `import a.b`, `c` for `import a.b as c`, `y` for `from x import y`).
    pub bound: String,
    /// The alias as written (`a.b as c`).
    pub span: Span,
}

/// One module-level import statement and its trailing annotation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestImport {
    #[serde(flatten)]
    pub form: ImportForm,
    pub items: Vec<ImportedItem>,
    /// PEP 810 `lazy import`.
    pub lazy: bool,
    /// Index into [`Manifest::sections`] of the heading this import sits under.
    pub section: Option<usize>,
    /// The statement, without its comment.
    pub span: Span,
    pub annotation: Option<Annotation>,
}

impl ManifestImport {
    /// The tier of the section this import sits under.
    pub fn tier(&self, manifest: &Manifest) -> Option<u32> {
        self.section.map(|at| manifest.sections[at].tier)
    }

    /// The cost its annotation documents, in milliseconds (`# 15ms ...`).
    pub fn documented_ms(&self) -> Option<f64> {
        self.annotation.as_ref()?.cost.as_ref().map(|c| c.ms)
    }

    /// Whether `name` is one of this statement's modules or bound names.
    pub fn names(&self, name: &str) -> bool {
        self.items
            .iter()
            .any(|item| item.module == name || item.bound == name)
    }
}

/// The comment after an import: `# 15ms but 95% usage - PROFILED 2025-11-08`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotation {
    /// The annotation as written, without `#` and surrounding blanks.
    pub text: String,
    pub cost: Option<Cost>,
    pub usage: Option<Usage>,
    /// `PROFILED 2025-11-08`.
    pub profiled: Option<Profiled>,
    /// `HOT PATH EXCEPTION`.
    pub hot_path_exception: Option<Span>,
    /// `(TIER1)`, `(TIER2)`.
    pub tier_marker: Option<TierMarker>,
    /// Other comma- or dash-separated parts, kept as written.
    pub notes: Vec<Note>,
    /// From `#` to the end of the annotation (a pragma after it, such as `# noqa`, is not part
    /// of it).
    pub span: Span,
    /// Where text goes that should follow the last part (before a trailing tier marker).
    #[serde(skip)]
    pub(crate) append_at: u32,
    /// Where the first part starts (after `# `).
    #[serde(skip)]
    pub(crate) body_start: u32,
    /// Text range of a cost that did not read (`abcms`): setting a cost replaces it.
    #[serde(skip)]
    pub(crate) bad_cost: Option<(u32, u32)>,
    /// Whether the first part is a flag (`PROFILED`, `HOT PATH EXCEPTION`) rather than a cost
    /// or usage, so an inserted cost is followed by ` - ` instead of `, `.
    #[serde(skip)]
    pub(crate) starts_with_flag: bool,
}

/// A measured import cost: `0.8ms`, `<1ms`, `350ms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    pub ms: f64,
    pub comparison: Comparison,
    /// The cost as written (what an edit replaces).
    pub span: Span,
}

/// How often an import is used, as the annotation says.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum UsageKind {
    /// `every request`, `all requests`, `always`.
    EveryRequest,
    /// `95% usage`, `>80%`, `used on 90% of requests`.
    Percent {
        comparison: Comparison,
        percent: f64,
    },
    /// Words without a number: `logging everywhere`, `timing operations`.
    Text,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    #[serde(flatten)]
    pub kind: UsageKind,
    /// As written.
    pub text: String,
    pub span: Span,
}

impl Usage {
    /// The share of requests as a fraction (`every request` is 1.0), when the text gives one.
    pub fn fraction(&self) -> Option<f64> {
        match self.kind {
            UsageKind::EveryRequest => Some(1.0),
            UsageKind::Percent { percent, .. } => Some(percent / 100.0),
            UsageKind::Text => None,
        }
    }
}

/// `PROFILED 2025-11-08`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profiled {
    pub date: Date,
    /// From `PROFILED` to the end of the date.
    pub span: Span,
    /// The date alone (what an edit replaces).
    pub date_span: Span,
}

/// `(TIER1)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierMarker {
    pub tier: u32,
    pub span: Span,
}

/// A free-text part of an annotation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub text: String,
    pub span: Span,
}

/// `__all__ = [...]` (or a tuple), read literally.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DunderAll {
    pub names: Vec<AllName>,
    /// The whole assignment statement.
    pub span: Span,
    /// The list or tuple.
    pub value_span: Span,
    #[serde(skip)]
    pub(crate) value_text: (u32, u32),
    /// Text offset just after the opening bracket (or the value start for a bare tuple).
    #[serde(skip)]
    pub(crate) open_end: u32,
    /// Text ranges of the names.
    #[serde(skip)]
    pub(crate) name_text: Vec<(u32, u32)>,
    /// A tuple needs a trailing comma when it has one element.
    #[serde(skip)]
    pub(crate) is_tuple: bool,
}

impl DunderAll {
    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.name == name)
    }
}

/// One string of `__all__`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllName {
    pub name: String,
    /// The string literal, quotes included.
    pub span: Span,
}

/// The `# HISTORY:` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    /// The `# HISTORY:` heading.
    pub span: Span,
    pub entries: Vec<HistoryEntry>,
    /// Text offset of the end of the block's last line (before its line break).
    #[serde(skip)]
    pub(crate) end: u32,
}

/// `# 2025-10-01: Initial file, 5 imports, 55ms total`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub date: Date,
    /// What changed, as written (continuation lines joined with a space).
    pub text: String,
    /// `5 imports`, when the text says.
    pub imports: Option<u32>,
    /// `55ms total`, when the text says.
    pub total_ms: Option<f64>,
    /// From `#` to the end of the entry's last line.
    pub span: Span,
}

/// Something in the manifest that could not be read as the format says. The rest still reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestDiagnostic {
    pub kind: DiagnosticKind,
    pub message: String,
    pub span: Span,
}

/// Which part of the format a [`ManifestDiagnostic`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosticKind {
    /// Bytes that do not decode, or an unknown coding cookie.
    Encoding,
    /// The file is not valid Python; statements around the error still read.
    Syntax,
    /// A date that is not a real `YYYY-MM-DD`.
    Date,
    /// A cost that does not read as milliseconds (`abcms`).
    Cost,
    /// A usage percentage that does not read or exceeds 100.
    Usage,
    /// A docstring key whose value does not read (`Target cold start: soon`).
    DocstringKey,
    /// A `# Tier ...:` heading without a tier number.
    TierHeading,
    /// `__all__` that is not a literal list or tuple of strings.
    DunderAll,
    /// A `# HISTORY:` line without a date.
    History,
    /// An import inside a block: it is not read as a manifest entry.
    NestedImport,
}
