//! Byte-preserving edits to a read manifest, for `fastpath update`, `init` and `fix`.
//!
//! An [`Editor`] collects what should change (a cost, a `PROFILED` date, `Last profiled`, a
//! HISTORY line, an import added or removed) and [`Editor::finish`] turns that into a few
//! replacements of the original bytes. Nothing else is rewritten: no reformatting, no
//! re-rendering of `__all__`, no normalising of spacing. New lines use the file's line ending
//! and new text is encoded in the file's encoding; a file that lacked a final newline still
//! lacks one. Every edit is idempotent: applied to its own output it changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::date::Date;
use crate::docstring;
use crate::model::{Annotation, CriterionKind, Manifest, ManifestImport};
use crate::text::format_ms;

/// Why a set of edits could not be made. Nothing is written when an edit fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("no import of `{name}` in the manifest")]
    UnknownImport { name: String },
    #[error("`{name}` is not a valid dotted module name")]
    InvalidModule { name: String },
    #[error("cannot remove `{name}`: line {line} holds other statements too")]
    SharedLine { name: String, line: u32 },
    #[error(
        "cannot keep `__all__` (line {line}) in sync: it is not a literal list or tuple of strings"
    )]
    DunderAllNotLiteral { line: u32 },
    #[error("history text must be a single line: {text:?}")]
    MultilineText { text: String },
    #[error("`{text}` cannot be written in the file's encoding ({encoding})")]
    Unencodable {
        text: String,
        encoding: &'static str,
    },
    #[error("the file's bytes do not map back from its decoded text ({encoding}); it cannot be edited in place")]
    NotEditable { encoding: &'static str },
    #[error("two edits overlap at line {line}")]
    Overlap { line: u32 },
    #[error("cannot add `Last profiled:` to the one-line docstring at line {line}: make it triple-quoted")]
    DocstringOneLine { line: u32 },
    #[error("the manifest does not parse (syntax error at line {line}): fix it before editing")]
    Syntax { line: u32 },
}

const TRIPLE_QUOTES: [&str; 2] = ["\"\"\"", "'''"];

/// An import for [`Editor::add_import`]: `import module [as alias]` with its annotation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewImport {
    /// Dotted module name.
    pub module: String,
    pub alias: Option<String>,
    /// The tier section it goes under (created when missing).
    pub tier: u32,
    /// Measured cost, written as `0.8ms` / `15ms`.
    pub ms: Option<f64>,
    /// Usage as it should read: `every request`, `95% usage`.
    pub usage: Option<String>,
    /// Written as `- PROFILED YYYY-MM-DD`.
    pub profiled: Option<Date>,
}

impl NewImport {
    /// The name the statement binds: what goes in `__all__`.
    pub fn bound(&self) -> &str {
        self.alias
            .as_deref()
            .unwrap_or_else(|| self.module.split('.').next().unwrap_or(&self.module))
    }

    fn statement(&self) -> String {
        match &self.alias {
            Some(alias) => format!("import {} as {alias}", self.module),
            None => format!("import {}", self.module),
        }
    }
}

/// The annotation text the renderer and the editor write: `15ms, every request - PROFILED
/// 2025-11-08`.
pub(crate) fn annotation_text(
    ms: Option<f64>,
    usage: Option<&str>,
    profiled: Option<Date>,
) -> String {
    let mut text = [ms.map(format_ms), usage.map(str::to_owned)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(date) = profiled {
        if !text.is_empty() {
            text.push_str(" - ");
        }
        text.push_str(&format!("PROFILED {date}"));
    }
    text
}

/// Pending edits to one manifest. See the module documentation.
#[derive(Debug, Clone)]
pub struct Editor<'m> {
    manifest: &'m Manifest,
    costs: BTreeMap<usize, f64>,
    usages: BTreeMap<usize, String>,
    profiled: BTreeMap<usize, Date>,
    last_profiled: Option<Date>,
    history: Vec<(Date, String)>,
    adds: Vec<NewImport>,
    removes: Vec<String>,
}

/// One replacement of a text range (offsets into the decoded text).
#[derive(Debug)]
struct Replacement {
    start: u32,
    end: u32,
    text: String,
}

impl<'m> Editor<'m> {
    pub(crate) fn new(manifest: &'m Manifest) -> Self {
        Editor {
            manifest,
            costs: BTreeMap::new(),
            usages: BTreeMap::new(),
            profiled: BTreeMap::new(),
            last_profiled: None,
            history: Vec::new(),
            adds: Vec::new(),
            removes: Vec::new(),
        }
    }

    fn find(&self, name: &str) -> Result<usize, EditError> {
        self.manifest
            .imports
            .iter()
            .position(|import| import.names(name))
            .ok_or_else(|| EditError::UnknownImport {
                name: name.to_owned(),
            })
    }

    /// Sets the cost in the annotation of the import that loads or binds `name` (replacing the
    /// written cost, adding one, or adding the whole comment). One annotation covers every
    /// name of `import a, b`.
    pub fn set_cost(&mut self, name: &str, ms: f64) -> Result<&mut Self, EditError> {
        let at = self.find(name)?;
        self.costs.insert(at, ms);
        Ok(self)
    }

    /// Sets the usage words of the import that loads or binds `name` (`30% of requests`, from
    /// usage evidence): replaces the written usage, or adds it after the cost.
    pub fn set_usage(&mut self, name: &str, usage: &str) -> Result<&mut Self, EditError> {
        if usage.contains(['\n', '\r', '#']) || usage.trim().is_empty() {
            return Err(EditError::MultilineText {
                text: usage.to_owned(),
            });
        }
        let at = self.find(name)?;
        self.usages.insert(at, usage.trim().to_owned());
        Ok(self)
    }

    /// Sets the `PROFILED` date of the import that loads or binds `name`, adding
    /// ` - PROFILED YYYY-MM-DD` when the annotation has none.
    pub fn set_profiled(&mut self, name: &str, date: Date) -> Result<&mut Self, EditError> {
        let at = self.find(name)?;
        self.profiled.insert(at, date);
        Ok(self)
    }

    /// Sets the docstring's review date: `Last profiled:` and `Last reviewed:` wherever they
    /// are written (a run of `fastpath update` is the review), or adds a `Last profiled:` line.
    pub fn set_last_profiled(&mut self, date: Date) -> &mut Self {
        self.last_profiled = Some(date);
        self
    }

    /// Appends `# YYYY-MM-DD: text` to the HISTORY block (creating the block at the end of the
    /// file when there is none). Nothing happens when that exact line is already there.
    pub fn append_history(&mut self, date: Date, text: &str) -> Result<&mut Self, EditError> {
        let text = text.trim();
        if text.contains(['\n', '\r']) {
            return Err(EditError::MultilineText {
                text: text.to_owned(),
            });
        }
        let exists = self.manifest.history.as_ref().is_some_and(|history| {
            history
                .entries
                .iter()
                .any(|entry| entry.date == date && entry.text == text)
        });
        if !exists && !self.history.iter().any(|(d, t)| *d == date && t == text) {
            self.history.push((date, text.to_owned()));
        }
        Ok(self)
    }

    /// Adds `import module` with its annotation at the end of its tier section (creating the
    /// section when missing) and adds its bound name to `__all__`. Nothing happens when the
    /// manifest already imports that module under that name.
    pub fn add_import(&mut self, import: NewImport) -> Result<&mut Self, EditError> {
        let valid = |name: &str| {
            !name.is_empty()
                && name.split('.').all(|part| {
                    part.starts_with(|c: char| c.is_alphabetic() || c == '_')
                        && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                })
        };
        if !valid(&import.module)
            || import
                .alias
                .as_deref()
                .is_some_and(|a| !valid(a) || a.contains('.'))
        {
            return Err(EditError::InvalidModule {
                name: import.module.clone(),
            });
        }
        let present = self.manifest.imports.iter().any(|existing| {
            matches!(existing.form, crate::model::ImportForm::Import)
                && existing
                    .items
                    .iter()
                    .any(|item| item.module == import.module && item.asname == import.alias)
        }) || self
            .adds
            .iter()
            .any(|add| add.module == import.module && add.alias == import.alias);
        if !present {
            self.adds.push(import);
        }
        Ok(self)
    }

    /// Removes the import of `name` (a module or a bound name): its whole line when the
    /// statement imports only it, else just that name from the statement; and drops the name
    /// from `__all__`. Nothing happens when there is no such import.
    pub fn remove_import(&mut self, name: &str) -> &mut Self {
        if !self.removes.iter().any(|n| n == name) {
            self.removes.push(name.to_owned());
        }
        self
    }

    /// The new bytes of the file, with every pending edit applied.
    pub fn finish(&self) -> Result<Vec<u8>, EditError> {
        self.check_docstring_takes_a_line()?;
        let mut replacements = Vec::new();
        self.annotation_edits(&mut replacements);
        self.last_profiled_edits(&mut replacements);
        let removed_bound = self.removal_edits(&mut replacements)?;
        self.add_edits(&mut replacements);
        self.all_edits(&removed_bound, &mut replacements)?;
        self.history_edits(&mut replacements);
        self.apply(replacements)
    }

    /// A `Last profiled:` line cannot go into a one-line `"..."` docstring: a line break
    /// would end the file's Python (found by the `manifest` fuzz target).
    fn check_docstring_takes_a_line(&self) -> Result<(), EditError> {
        let Some(doc) = &self.manifest.docstring else {
            return Ok(());
        };
        if self.last_profiled.is_none()
            || doc.last_profiled.is_some()
            || doc.last_reviewed.is_some()
        {
            return Ok(());
        }
        let (start, end) = (self.to_text(doc.span.start), self.to_text(doc.span.end));
        let literal = self
            .text()
            .get(start as usize..end as usize)
            .unwrap_or_default();
        if one_triple_quoted_string(literal) {
            Ok(())
        } else {
            Err(EditError::DocstringOneLine {
                line: doc.span.line,
            })
        }
    }

    fn text(&self) -> &str {
        &self.manifest.source.text
    }

    fn eol(&self) -> &'static str {
        self.manifest.line_ending.as_str()
    }

    fn to_text(&self, byte: u32) -> u32 {
        self.manifest.source.text_offset(byte)
    }

    /// 1-based character column where annotations start in this file (the most common one),
    /// or the seed's column 23.
    fn annotation_column(&self) -> usize {
        let mut counts = BTreeMap::<u32, usize>::new();
        for import in &self.manifest.imports {
            if let Some(annotation) = &import.annotation {
                *counts.entry(annotation.span.column).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|&(column, count)| (count, std::cmp::Reverse(column)))
            .map_or(23, |(column, _)| column as usize)
    }

    /// Blanks between a statement ending at character column `end_column` (0-based) and its
    /// comment.
    fn padding(&self, end_column: usize) -> String {
        let column = self.annotation_column().saturating_sub(1);
        " ".repeat(column.saturating_sub(end_column).max(2))
    }

    fn column_of(&self, offset: u32) -> usize {
        let text = self.text();
        let start = self.manifest.source.line_start(offset);
        text[start as usize..offset as usize].chars().count()
    }

    fn annotation_edits(&self, out: &mut Vec<Replacement>) {
        let indices: BTreeSet<usize> = self
            .costs
            .keys()
            .chain(self.profiled.keys())
            .chain(self.usages.keys())
            .copied()
            .collect();
        for at in indices {
            let import = &self.manifest.imports[at];
            let cost = self.costs.get(&at).copied();
            let usage = self.usages.get(&at).map(String::as_str);
            let profiled = self.profiled.get(&at).copied();
            match &import.annotation {
                Some(annotation) => self.edit_annotation(annotation, cost, usage, profiled, out),
                None => {
                    let end = self.to_text(import.span.end);
                    let text = annotation_text(cost, usage, profiled);
                    out.push(Replacement {
                        start: end,
                        end,
                        text: format!("{}# {text}", self.padding(self.column_of(end))),
                    });
                }
            }
        }
    }

    fn edit_annotation(
        &self,
        annotation: &Annotation,
        cost: Option<f64>,
        usage: Option<&str>,
        profiled: Option<Date>,
        out: &mut Vec<Replacement>,
    ) {
        let has_flags = annotation.profiled.is_some() || annotation.hot_path_exception.is_some();
        let only_marker = annotation.cost.is_none()
            && annotation.bad_cost.is_none()
            && annotation.usage.is_none()
            && annotation.notes.is_empty()
            && !has_flags;
        if only_marker {
            // `# (TIER1)`: the new parts go before the marker, or before text the reader did
            // not recognise (`# - PROFILED <not a date>`), a space apart from it: glued to it,
            // they would read differently next time (found by the `manifest` fuzz target).
            let text = annotation_text(cost, usage, profiled);
            let at = annotation.body_start;
            let rest = &self.text()[at as usize..self.manifest.source.line_end(at) as usize];
            let apart = !rest.trim().is_empty() && !rest.starts_with([' ', '\t']);
            out.push(Replacement {
                start: at,
                end: at,
                text: if annotation.tier_marker.is_some() || apart {
                    format!("{text} ")
                } else {
                    text
                },
            });
            return;
        }
        let existing_cost = annotation
            .cost
            .as_ref()
            .map(|c| (self.to_text(c.span.start), self.to_text(c.span.end)))
            .or(annotation.bad_cost);
        let separator = if annotation.starts_with_flag {
            " - "
        } else {
            ", "
        };
        // Usage to add where none is written: after the cost, or (with no cost) first.
        let mut new_usage = usage.filter(|_| annotation.usage.is_none());
        if let Some(ms) = cost {
            match existing_cost {
                Some((start, end)) => out.push(Replacement {
                    start,
                    end,
                    text: format_ms(ms),
                }),
                None => {
                    let text = match new_usage.take() {
                        Some(u) => format!("{}, {u}{separator}", format_ms(ms)),
                        None => format!("{}{separator}", format_ms(ms)),
                    };
                    out.push(Replacement {
                        start: annotation.body_start,
                        end: annotation.body_start,
                        text,
                    });
                }
            }
        }
        if let (Some(text), Some(existing)) = (usage, &annotation.usage) {
            let (start, end) = (
                self.to_text(existing.span.start),
                self.to_text(existing.span.end),
            );
            if self.text()[start as usize..end as usize] != *text {
                out.push(Replacement {
                    start,
                    end,
                    text: text.to_owned(),
                });
            }
        } else if let Some(text) = new_usage {
            match existing_cost {
                Some((_, end)) => out.push(Replacement {
                    start: end,
                    end,
                    text: format!(", {text}"),
                }),
                None => out.push(Replacement {
                    start: annotation.body_start,
                    end: annotation.body_start,
                    text: format!("{text}{separator}"),
                }),
            }
        }
        if let Some(date) = profiled {
            match &annotation.profiled {
                Some(existing) => out.push(Replacement {
                    start: self.to_text(existing.date_span.start),
                    end: self.to_text(existing.date_span.end),
                    text: date.to_string(),
                }),
                None => out.push(Replacement {
                    start: annotation.append_at,
                    end: annotation.append_at,
                    text: format!(" - PROFILED {date}"),
                }),
            }
        }
    }

    fn last_profiled_edits(&self, out: &mut Vec<Replacement>) {
        let Some(date) = self.last_profiled else {
            return;
        };
        let eol = self.eol();
        let Some(doc) = &self.manifest.docstring else {
            // Before the first statement and before the first import this edit adds (tier
            // headings above the first statement receive imports: a docstring below them would
            // not be the docstring), else at the end; never above a shebang or an encoding
            // declaration, which must stay on the first lines (all found by the `manifest`
            // fuzz target).
            let source = &self.manifest.source;
            let mut adds = Vec::new();
            self.add_edits(&mut adds);
            let end = self.text().len() as u32;
            // Above the HISTORY block too: lines appended to it later must stay in it.
            let history = self
                .manifest
                .history
                .as_ref()
                .map(|history| self.to_text(history.span.start));
            let at = adds
                .iter()
                .map(|add| add.start)
                .chain(self.manifest.first_statement)
                .chain(history)
                .map(|offset| source.line_start(offset))
                .min()
                .unwrap_or(end)
                .max(self.header_end());
            let mut text = format!("\"\"\"{eol}Last profiled: {date}{eol}\"\"\"{eol}");
            if at == end {
                if !self.text().is_empty() && !self.text().ends_with(['\n', '\r']) {
                    // A file of comments without a final newline: the docstring must not join
                    // the last comment.
                    text.insert_str(0, eol);
                }
            } else {
                text.push_str(eol);
            }
            out.push(Replacement {
                start: at,
                end: at,
                text,
            });
            return;
        };
        let keys = [&doc.last_profiled, &doc.last_reviewed];
        if keys.iter().any(|k| k.is_some()) {
            for key in keys.into_iter().flatten() {
                out.push(Replacement {
                    start: self.to_text(key.date_span.start),
                    end: self.to_text(key.date_span.end),
                    text: date.to_string(),
                });
            }
            return;
        }
        let (start, end) = (self.to_text(doc.span.start), self.to_text(doc.span.end));
        match docstring::closing_line_start(&self.manifest.source, start, end) {
            Some(at) => out.push(Replacement {
                start: at,
                end: at,
                text: format!("Last profiled: {date}{eol}"),
            }),
            None => {
                let literal = &self.text()[start as usize..end as usize];
                let quote = if literal.ends_with("\"\"\"") || literal.ends_with("'''") {
                    3
                } else {
                    1
                };
                let at = end - quote;
                out.push(Replacement {
                    start: at,
                    end: at,
                    text: format!("{eol}{eol}Last profiled: {date}{eol}"),
                });
            }
        }
    }

    /// Where the lines read before the code end: a shebang on line 1 and the encoding
    /// declaration on line 1 or 2, as the reader found it (PEP 263, lines ended by `\n`).
    /// Nothing may be inserted above them.
    fn header_end(&self) -> u32 {
        let text = self.text();
        let bytes = &self.manifest.source.bytes;
        let cookie = if fastpath_scan::coding_cookie(bytes).is_some() {
            fastpath_scan::cookie_line(bytes)
        } else {
            0
        };
        let lines = cookie.max(u32::from(text.starts_with("#!")));
        let mut end = 0;
        for _ in 0..lines {
            match text[end..].find('\n') {
                Some(at) => end += at + 1,
                None => return text.len() as u32,
            }
        }
        end as u32
    }

    /// Deletes removed imports; returns the bound names that no longer have an import.
    fn removal_edits(&self, out: &mut Vec<Replacement>) -> Result<BTreeSet<String>, EditError> {
        let mut removed = BTreeSet::new();
        for import in &self.manifest.imports {
            let gone: Vec<usize> = (0..import.items.len())
                .filter(|&i| {
                    let item = &import.items[i];
                    self.removes
                        .iter()
                        .any(|n| *n == item.module || *n == item.bound)
                })
                .collect();
            if gone.is_empty() {
                continue;
            }
            removed.extend(gone.iter().map(|&i| import.items[i].bound.clone()));
            if gone.len() == import.items.len() {
                out.push(self.delete_statement(import)?);
            } else {
                self.delete_items(import, &gone, out);
            }
        }
        let kept: BTreeSet<String> = self
            .manifest
            .imports
            .iter()
            .flat_map(|import| &import.items)
            .filter(|item| {
                !self
                    .removes
                    .iter()
                    .any(|n| *n == item.module || *n == item.bound)
            })
            .map(|item| item.bound.clone())
            .chain(self.adds.iter().map(|add| add.bound().to_owned()))
            .collect();
        removed.retain(|name| !kept.contains(name));
        Ok(removed)
    }

    /// The statement's whole lines, with their line break; the preceding break instead when
    /// the statement ends a file that has no final newline.
    fn delete_statement(&self, import: &ManifestImport) -> Result<Replacement, EditError> {
        let source = &self.manifest.source;
        let text = self.text();
        let (start, end) = (
            self.to_text(import.span.start),
            self.to_text(import.span.end),
        );
        let line_start = source.line_start(start);
        let line_end = source.line_end(end);
        let after = text[end as usize..line_end as usize].trim_start();
        if !text[line_start as usize..start as usize].trim().is_empty()
            || !(after.is_empty() || after.starts_with('#'))
        {
            return Err(EditError::SharedLine {
                name: import.items[0].bound.clone(),
                line: import.span.line,
            });
        }
        let break_len = line_break_len(&text[line_end as usize..]);
        if break_len > 0 || line_start == 0 {
            return Ok(Replacement {
                start: line_start,
                end: line_end + break_len as u32,
                text: String::new(),
            });
        }
        let before = &text[..line_start as usize];
        let prev_break = if before.ends_with("\r\n") { 2 } else { 1 };
        Ok(Replacement {
            start: line_start - prev_break,
            end: line_end,
            text: String::new(),
        })
    }

    /// Deletes some names of a statement that imports several: each run of removed names goes
    /// with the comma before it, or after it when the run starts the statement.
    fn delete_items(&self, import: &ManifestImport, gone: &[usize], out: &mut Vec<Replacement>) {
        let range = |i: usize| {
            let span = import.items[i].span;
            (self.to_text(span.start), self.to_text(span.end))
        };
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &i in gone {
            match runs.last_mut() {
                Some(run) if run.1 + 1 == i => run.1 = i,
                _ => runs.push((i, i)),
            }
        }
        for (first, last) in runs {
            let (start, end) = match first.checked_sub(1) {
                Some(previous) => (range(previous).1, range(last).1),
                None => (range(first).0, range(last + 1).0),
            };
            out.push(Replacement {
                start,
                end,
                text: String::new(),
            });
        }
    }

    /// Whether every name of the statement is being removed (so nothing can be placed after
    /// it).
    fn removes_all_of(&self, import: &ManifestImport) -> bool {
        import.items.iter().all(|item| {
            self.removes
                .iter()
                .any(|n| *n == item.module || *n == item.bound)
        })
    }

    fn tier_title(&self, tier: u32) -> String {
        let criterion = |kind| {
            self.manifest
                .docstring
                .as_ref()
                .and_then(|doc| doc.criteria.iter().find(|c| c.kind == kind))
                .map(|c| c.threshold.value)
        };
        let max_ms = criterion(CriterionKind::ImportTime).unwrap_or(10.0);
        let usage = criterion(CriterionKind::Usage).unwrap_or(80.0);
        crate::render::tier_heading(tier, max_ms, usage)
    }

    fn import_line(&self, import: &NewImport) -> String {
        let statement = import.statement();
        let annotation = annotation_text(import.ms, import.usage.as_deref(), import.profiled);
        if annotation.is_empty() {
            statement
        } else {
            let pad = self.padding(statement.chars().count());
            format!("{statement}{pad}# {annotation}")
        }
    }

    /// The added imports' insertions, none above the docstring's end: an import above it
    /// would make it an ordinary string (a tier heading above the docstring receiving an
    /// import; found by the `manifest` fuzz target).
    fn add_edits(&self, out: &mut Vec<Replacement>) {
        let mut adds = Vec::new();
        self.placed_adds(&mut adds);
        let floor = self
            .manifest
            .docstring
            .as_ref()
            .map(|doc| self.manifest.source.line_end(self.to_text(doc.span.end)));
        let eol = self.eol();
        for mut add in adds {
            if let Some(floor) = floor.filter(|&floor| add.start < floor) {
                let body = add.text.trim_matches(['\n', '\r']);
                add.text = format!("{eol}{eol}{body}");
                add.start = floor;
                add.end = floor;
            }
            out.push(add);
        }
    }

    /// Where each added import goes: its tier's section, a new section, or (without
    /// sections) after the last import.
    fn placed_adds(&self, out: &mut Vec<Replacement>) {
        let source = &self.manifest.source;
        let eol = self.eol();
        let sections = &self.manifest.sections;
        let end_of_line = |byte: u32| source.line_end(self.to_text(byte));
        // Where an existing section's content ends: its last import, else its heading.
        let section_end = |s: usize| {
            self.manifest
                .imports
                .iter()
                .rfind(|import| import.section == Some(s) && !self.removes_all_of(import))
                .map_or(end_of_line(sections[s].span.end), |import| {
                    end_of_line(import.span.end)
                })
        };
        let mut new_sections: BTreeMap<u32, Vec<&NewImport>> = BTreeMap::new();
        for add in &self.adds {
            if let Some(s) = sections.iter().position(|section| section.tier == add.tier) {
                let at = section_end(s);
                out.push(Replacement {
                    start: at,
                    end: at,
                    text: format!("{eol}{}", self.import_line(add)),
                });
            } else if sections.is_empty() {
                let (at, text) = self.unsectioned_place(&self.import_line(add));
                out.push(Replacement {
                    start: at,
                    end: at,
                    text,
                });
            } else {
                new_sections.entry(add.tier).or_default().push(add);
            }
        }
        for (tier, adds) in new_sections {
            let lines: Vec<String> = adds.iter().map(|add| self.import_line(add)).collect();
            let block = format!(
                "# Tier {tier}: {}{eol}{}",
                self.tier_title(tier),
                lines.join(eol)
            );
            let lower = (0..sections.len()).rfind(|&s| sections[s].tier < tier);
            match lower {
                Some(s) => {
                    let at = section_end(s);
                    out.push(Replacement {
                        start: at,
                        end: at,
                        text: format!("{eol}{eol}{block}"),
                    });
                }
                None => {
                    let at = source.line_start(self.to_text(sections[0].span.start));
                    out.push(Replacement {
                        start: at,
                        end: at,
                        text: format!("{block}{eol}{eol}"),
                    });
                }
            }
        }
    }

    /// Where an import goes in a manifest without tier sections.
    fn unsectioned_place(&self, line: &str) -> (u32, String) {
        let source = &self.manifest.source;
        let eol = self.eol();
        let kept = self
            .manifest
            .imports
            .iter()
            .rfind(|import| !self.removes_all_of(import));
        if let Some(last) = kept {
            return (
                source.line_end(self.to_text(last.span.end)),
                format!("{eol}{line}"),
            );
        }
        if let Some(all) = &self.manifest.all {
            return (
                source.line_start(self.to_text(all.span.start)),
                format!("{line}{eol}{eol}"),
            );
        }
        if let Some(doc) = &self.manifest.docstring {
            return (
                source.line_end(self.to_text(doc.span.end)),
                format!("{eol}{eol}{line}"),
            );
        }
        if let Some(history) = &self.manifest.history {
            // Above the HISTORY block, never inside or after it: a HISTORY line appended
            // later would land below the import and stop reading as history (found by the
            // `manifest` fuzz target).
            return (
                source.line_start(self.to_text(history.span.start)),
                format!("{line}{eol}{eol}"),
            );
        }
        let text = self.text();
        let end = text.len() as u32;
        if text.is_empty() || text.ends_with(['\n', '\r']) {
            (end, format!("{line}{eol}"))
        } else {
            (end, format!("{eol}{line}"))
        }
    }

    fn all_edits(
        &self,
        removed: &BTreeSet<String>,
        out: &mut Vec<Replacement>,
    ) -> Result<(), EditError> {
        let mut added: Vec<&str> = Vec::new();
        for add in &self.adds {
            let bound = add.bound();
            let listed = self
                .manifest
                .all
                .as_ref()
                .is_some_and(|all| all.contains(bound));
            if !listed && !added.contains(&bound) {
                added.push(bound);
            }
        }
        let all = match &self.manifest.all {
            _ if added.is_empty() && removed.is_empty() => return Ok(()),
            _ if self.manifest.all_unreadable.is_some() => {
                let line = self.manifest.all_unreadable.unwrap_or_default();
                return Err(EditError::DunderAllNotLiteral { line });
            }
            None => return Ok(()),
            Some(all) => all,
        };
        let text = self.text();
        let source = &self.manifest.source;
        let n = all.names.len();
        let gone: Vec<bool> = all
            .names
            .iter()
            .map(|name| removed.contains(&name.name))
            .collect();
        let line_of = |offset: u32| source.span(offset, offset).line;
        let range = |i: usize| all.name_text[i];

        // Deletions, one per run of consecutive removed names.
        let mut deletion_starts = BTreeSet::new();
        let mut i = 0;
        while i < n {
            if !gone[i] {
                i += 1;
                continue;
            }
            let first = i;
            while i + 1 < n && gone[i + 1] {
                i += 1;
            }
            let last = i;
            i += 1;
            let (a_start, _) = range(first);
            let (_, b_end) = range(last);
            let line_start = source.line_start(a_start);
            let line_end = source.line_end(b_end);
            let after = text[b_end as usize..line_end as usize].trim_start();
            let after = after.strip_prefix(',').unwrap_or(after).trim_start();
            let whole_lines = text[line_start as usize..a_start as usize]
                .trim()
                .is_empty()
                && (after.is_empty() || after.starts_with('#'))
                && (first == 0 || line_of(range(first - 1).1) != line_of(a_start))
                && (last + 1 == n || line_of(range(last + 1).0) != line_of(b_end));
            let next = (last + 1 < n).then(|| last + 1);
            let previous = first.checked_sub(1);
            let deletion = if whole_lines {
                let break_len = line_break_len(&text[line_end as usize..]) as u32;
                (line_start, line_end + break_len)
            } else if let Some(q) = next.filter(|&q| line_of(range(q).0) == line_of(b_end)) {
                (a_start, range(q).0)
            } else if let Some(p) = previous {
                (range(p).1, b_end)
            } else {
                // The only names left: take a trailing comma with them.
                let rest = &text[b_end as usize..all.value_text.1 as usize];
                let comma = rest
                    .trim_start()
                    .starts_with(',')
                    .then(|| rest.len() - rest.trim_start().len() + 1);
                (a_start, b_end + comma.unwrap_or(0) as u32)
            };
            deletion_starts.insert(deletion.0);
            out.push(Replacement {
                start: deletion.0,
                end: deletion.1,
                text: String::new(),
            });
        }

        if added.is_empty() {
            return Ok(());
        }
        let last_kept = (0..n).rev().find(|&i| !gone[i]);
        let quote = last_kept
            .map(|i| {
                let (s, e) = range(i);
                let literal = &text[s as usize..e as usize];
                if literal
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .starts_with('"')
                {
                    '"'
                } else {
                    '\''
                }
            })
            .unwrap_or('\'');
        let quoted: Vec<String> = added
            .iter()
            .map(|name| format!("{quote}{name}{quote}"))
            .collect();
        let eol = self.eol();
        match last_kept {
            Some(k) => {
                let (k_start, k_end) = range(k);
                let rest = &text[k_end as usize..all.value_text.1 as usize];
                let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
                let trailing_comma =
                    !deletion_starts.contains(&k_end) && rest[blanks..].starts_with(',');
                // One name per line (black's style) when no two names share a line and the
                // last one does not sit on the `__all__ = [` line.
                let own_line = text[source.line_start(k_start) as usize..k_start as usize]
                    .trim()
                    .is_empty()
                    && (1..n).all(|i| line_of(range(i - 1).1) != line_of(range(i).0));
                let indent = &text[source.line_start(k_start) as usize..k_start as usize];
                let (at, insert) = match (own_line, trailing_comma) {
                    (true, true) => (
                        k_end + blanks as u32 + 1,
                        quoted
                            .iter()
                            .map(|q| format!("{eol}{indent}{q},"))
                            .collect::<String>(),
                    ),
                    (true, false) => (
                        k_end,
                        quoted
                            .iter()
                            .map(|q| format!(",{eol}{indent}{q}"))
                            .collect::<String>(),
                    ),
                    (false, true) => (
                        k_end + blanks as u32 + 1,
                        quoted.iter().map(|q| format!(" {q},")).collect::<String>(),
                    ),
                    (false, false) => (
                        k_end,
                        quoted.iter().map(|q| format!(", {q}")).collect::<String>(),
                    ),
                };
                out.push(Replacement {
                    start: at,
                    end: at,
                    text: insert,
                });
            }
            None => {
                let mut insert = quoted.join(", ");
                if all.is_tuple && quoted.len() == 1 {
                    insert.push(',');
                }
                out.push(Replacement {
                    start: all.open_end,
                    end: all.open_end,
                    text: insert,
                });
            }
        }
        Ok(())
    }

    fn history_edits(&self, out: &mut Vec<Replacement>) {
        if self.history.is_empty() {
            return;
        }
        let eol = self.eol();
        let lines: Vec<String> = self
            .history
            .iter()
            .map(|(date, text)| format!("# {date}: {text}"))
            .collect();
        if let Some(history) = &self.manifest.history {
            out.push(Replacement {
                start: history.end,
                end: history.end,
                text: lines.iter().map(|line| format!("{eol}{line}")).collect(),
            });
            return;
        }
        let text = self.text();
        let end = text.len() as u32;
        let block = format!("# HISTORY:{eol}{}", lines.join(eol));
        let insert = if text.is_empty() {
            format!("{block}{eol}")
        } else if text.ends_with(['\n', '\r']) {
            let trimmed = text.trim_end_matches(['\n', '\r']);
            let blank_line_before = trimmed.is_empty()
                || text[trimmed.len()..].matches('\n').count() >= 2
                || (self.manifest.line_ending == crate::model::LineEnding::Cr
                    && text[trimmed.len()..].len() >= 2);
            if blank_line_before {
                format!("{block}{eol}")
            } else {
                format!("{eol}{block}{eol}")
            }
        } else {
            format!("{eol}{eol}{block}")
        };
        out.push(Replacement {
            start: end,
            end,
            text: insert,
        });
    }

    fn apply(&self, mut replacements: Vec<Replacement>) -> Result<Vec<u8>, EditError> {
        let source = &self.manifest.source;
        // Stable: insertions at one point keep the order they were made in.
        replacements.sort_by_key(|r| (r.start, r.end));
        let mut out = Vec::with_capacity(source.bytes.len() + 256);
        let mut copied_to = 0u32; // a text offset
        let mut copied_bytes = 0usize;
        // `get`: in a file whose bytes did not decode, a range can fall inside a replacement
        // character (found by the `manifest` fuzz target); that is a change, refused below.
        let changes = replacements
            .iter()
            .any(|r| source.text.get(r.start as usize..r.end as usize) != Some(r.text.as_str()));
        if !changes {
            return Ok(source.bytes.clone());
        }
        // Where the file stops being Python, statement spans come from error recovery: a
        // comment added after one can swallow the rest of its line, a line added after an
        // unterminated string becomes part of it (both found by the `manifest` fuzz target).
        if let Some(line) = self.manifest.syntax_error {
            return Err(EditError::Syntax { line });
        }
        if !source.editable {
            return Err(EditError::NotEditable {
                encoding: source.encoding.name(),
            });
        }
        for replacement in &replacements {
            if replacement.start < copied_to {
                return Err(EditError::Overlap {
                    line: source.span(replacement.start, replacement.start).line,
                });
            }
            let start_byte = source.byte_offset(replacement.start) as usize;
            out.extend_from_slice(&source.bytes[copied_bytes..start_byte]);
            out.extend_from_slice(&self.encode(&replacement.text)?);
            copied_to = replacement.end;
            copied_bytes = source.byte_offset(replacement.end) as usize;
        }
        out.extend_from_slice(&source.bytes[copied_bytes..]);
        Ok(out)
    }

    fn encode(&self, text: &str) -> Result<Vec<u8>, EditError> {
        let encoding = self.manifest.source.encoding;
        if encoding == encoding_rs::UTF_8 {
            return Ok(text.as_bytes().to_vec());
        }
        let (bytes, _, unmappable) = encoding.encode(text);
        if unmappable {
            return Err(EditError::Unencodable {
                text: text.trim().to_owned(),
                encoding: encoding.name(),
            });
        }
        Ok(bytes.into_owned())
    }
}

/// Whether `literal` is one triple-quoted string (prefix letters allowed), not a one-line
/// string or a concatenation that merely ends in `"""` (`"a" ""` reads as `"a"""`; found by
/// the `manifest` fuzz target). A line can be added before its closing quotes.
fn one_triple_quoted_string(literal: &str) -> bool {
    let body = literal.trim_start_matches(['r', 'R', 'u', 'U', 'b', 'B', 'f', 'F']);
    let Some(quote) = TRIPLE_QUOTES.iter().find(|q| body.starts_with(**q)) else {
        return false;
    };
    let inner = &body.as_bytes()[3..];
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'\\' {
            i += 2;
            continue;
        }
        if inner[i..].starts_with(quote.as_bytes()) {
            return i + 3 == inner.len();
        }
        i += 1;
    }
    false
}

fn line_break_len(rest: &str) -> usize {
    if rest.starts_with("\r\n") {
        2
    } else if rest.starts_with(['\n', '\r']) {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::one_triple_quoted_string;

    #[test]
    fn only_one_whole_triple_quoted_string_takes_a_line() {
        assert!(one_triple_quoted_string("\"\"\"Fast path.\"\"\""));
        assert!(one_triple_quoted_string("r'''a \\''' b'''"));
        assert!(one_triple_quoted_string("\"\"\"\"\"\""));
        assert!(
            !one_triple_quoted_string("\"a\"\"\""),
            "`\"a\"` then `\"\"`"
        );
        assert!(!one_triple_quoted_string("\"\"\"a\"\"\" \"\"\"b\"\"\""));
        assert!(!one_triple_quoted_string("\"Fast path.\""));
        assert!(!one_triple_quoted_string("\"\"\"unterminated"));
    }
}
