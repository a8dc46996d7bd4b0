//! Verification by running: a transaction over the files a fix run changes.
//!
//! Static reasoning cannot see everything an import does (a submodule import that binds a
//! package attribute, a plugin registry filled as a side effect), so every candidate fix is
//! checked by running the program. The transaction writes the candidates' files atomically,
//! asks a [`Verifier`] to import the entry in a fresh interpreter (and run its function with
//! `args`), and keeps a candidate only when the entry still runs and the modules it should have
//! taken off the cold path no longer load. Candidates that aim at the same module are judged
//! together: a module that two statements load leaves only when both move. Then the user's
//! tests run once over everything kept; when they fail, the transaction bisects over the
//! kept groups to the ones responsible and rolls those back. Each candidate ends with a
//! [`Verdict`]: safe, no-win (the module still loads), or unsafe (it breaks, with the error's
//! last line or the test output's tail). The tree is only left changed by candidates that
//! passed; every write is atomic and refuses a file changed behind the transaction's back.
//!
//! The runner is injected ([`Verifier`]) so the logic is tested with a fake one; [`python`]
//! holds the real one, which runs the target interpreter.

pub mod python;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::FixError;

/// Why a run failed: the error's last line, and the tail of what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The last line of the error (`AttributeError: module 'xml' has no attribute 'dom'`), or
    /// what killed the run.
    pub summary: String,
    /// The last lines of its output.
    pub tail: String,
}

/// Runs the program under verification against the files as they are on disk now.
pub trait Verifier {
    /// Imports the entry in a fresh interpreter (and calls its function with `args`, when
    /// the entry names one): the modules loaded, or why it failed.
    fn run_entry(&mut self) -> Result<BTreeSet<String>, Failure>;
    /// Runs the user's test command; `None` when there is none.
    fn run_tests(&mut self) -> Option<Result<(), Failure>>;
}

/// One fix to verify: one statement's edit in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its index in the caller's list; [`Transaction`] renders files by these ids.
    pub id: usize,
    pub file: PathBuf,
    /// The modules the fix should take off the cold path.
    pub modules: Vec<String>,
}

/// What running said about a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The entry runs (and the tests pass) and the modules left the cold path.
    Safe,
    /// The entry runs, but these modules still load: rolled back.
    NoWin { still_loaded: Vec<String> },
    /// Importing or running the entry failed with it: rolled back.
    BreaksEntry(Failure),
    /// The test command failed with it (found by bisection): rolled back.
    BreaksTests(Failure),
}

impl Verdict {
    /// `safe`, `no-win` or `unsafe`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::NoWin { .. } => "no-win",
            Verdict::BreaksEntry(_) | Verdict::BreaksTests(_) => "unsafe",
        }
    }
}

/// Why verification could not run at all. Nothing is left changed when one happens.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the entry fails before any fix, so fixes cannot be verified: {}", .0.summary)]
    EntryFailsBefore(Failure),
    #[error("the test command fails before any fix, so fixes cannot be verified: {}", .0.summary)]
    TestsFailBefore(Failure),
    #[error("{path}: {error}")]
    Fix { path: PathBuf, error: FixError },
    #[error("{path}: could not write: {error}")]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path} changed while fastpath was verifying fixes; it was left as it was")]
    ChangedBehind { path: PathBuf },
}

/// What the transaction found.
#[derive(Debug, Clone)]
pub struct Report {
    /// One verdict per candidate id.
    pub verdicts: BTreeMap<usize, Verdict>,
    /// The modules the entry loaded before any fix.
    pub before: BTreeSet<String>,
    /// ... and with the kept fixes.
    pub after: BTreeSet<String>,
    /// The new bytes of every file a kept fix changed.
    pub files: BTreeMap<PathBuf, Vec<u8>>,
    /// How many times the entry and the tests ran.
    pub entry_runs: usize,
    pub test_runs: usize,
}

impl Report {
    /// The modules that left the cold path.
    pub fn gone(&self) -> Vec<&String> {
        self.before.difference(&self.after).collect()
    }
}

/// Renders a file's bytes with the candidates `ids` (all in that file) applied; the original
/// bytes for none.
pub type Render<'r> = dyn FnMut(&Path, &[usize]) -> Result<Vec<u8>, FixError> + 'r;

/// The transaction over the files (see the module documentation).
pub struct Transaction<'a> {
    candidates: &'a [Candidate],
    originals: &'a BTreeMap<PathBuf, Vec<u8>>,
    /// What is on disk now, for every file written.
    written: BTreeMap<PathBuf, Vec<u8>>,
    entry_runs: usize,
    test_runs: usize,
}

impl<'a> Transaction<'a> {
    /// `originals` holds the bytes each candidate's file had when it was read.
    pub fn new(
        candidates: &'a [Candidate],
        originals: &'a BTreeMap<PathBuf, Vec<u8>>,
    ) -> Transaction<'a> {
        Transaction {
            candidates,
            originals,
            written: BTreeMap::new(),
            entry_runs: 0,
            test_runs: 0,
        }
    }

    /// Verifies every candidate; with `keep`, the tree is left with the kept fixes, else as it
    /// was (a preview). On an error the files are restored before returning it.
    pub fn run(
        mut self,
        render: &mut Render<'_>,
        verifier: &mut dyn Verifier,
        keep: bool,
    ) -> Result<Report, VerifyError> {
        let result = self.verify(render, verifier);
        let restore = match &result {
            Ok(_) => !keep,
            Err(_) => true,
        };
        if restore {
            let files: Vec<PathBuf> = self.written.keys().cloned().collect();
            for path in files {
                let original = self.originals.get(&path).cloned().unwrap_or_default();
                self.write(&path, &original)?;
            }
        }
        result
    }

    fn verify(
        &mut self,
        render: &mut Render<'_>,
        verifier: &mut dyn Verifier,
    ) -> Result<Report, VerifyError> {
        self.entry_runs += 1;
        let before = verifier
            .run_entry()
            .map_err(VerifyError::EntryFailsBefore)?;
        self.test_runs += 1;
        let tests = verifier.run_tests();
        if let Some(Err(failure)) = tests {
            return Err(VerifyError::TestsFailBefore(failure));
        }
        let has_tests = tests.is_some();
        let mut verdicts: BTreeMap<usize, Verdict> = BTreeMap::new();
        let mut kept: Vec<Vec<usize>> = Vec::new();
        for group in groups(self.candidates) {
            let modules: BTreeSet<&str> = group
                .iter()
                .flat_map(|&id| self.candidate(id).modules.iter().map(String::as_str))
                .collect();
            let mut members = group.clone();
            loop {
                match self.try_entry(&kept, &members, render, verifier)? {
                    Ok(loaded) => {
                        let still: Vec<String> = modules
                            .iter()
                            .filter(|m| loaded.contains(**m))
                            .map(|m| (*m).to_owned())
                            .collect();
                        if still.is_empty() {
                            kept.push(members.clone());
                            for &id in &members {
                                verdicts.insert(id, Verdict::Safe);
                            }
                        } else {
                            for &id in &members {
                                verdicts.insert(
                                    id,
                                    Verdict::NoWin {
                                        still_loaded: still.clone(),
                                    },
                                );
                            }
                        }
                        break;
                    }
                    Err(failure) if members.len() == 1 => {
                        verdicts.insert(members[0], Verdict::BreaksEntry(failure));
                        break;
                    }
                    Err(failure) => {
                        // Find the members that break the entry on their own; judge the rest
                        // together again.
                        let mut rest = Vec::new();
                        for &id in &members {
                            match self.try_entry(&kept, &[id], render, verifier)? {
                                Ok(_) => rest.push(id),
                                Err(alone) => {
                                    verdicts.insert(id, Verdict::BreaksEntry(alone));
                                }
                            }
                        }
                        if rest.len() == members.len() {
                            // Only together do they break it.
                            for &id in &members {
                                verdicts.insert(id, Verdict::BreaksEntry(failure.clone()));
                            }
                            break;
                        }
                        if rest.is_empty() {
                            break;
                        }
                        members = rest;
                    }
                }
            }
            // Back to what is kept (a no-op when the group was kept).
            self.apply(&kept, &[], render)?;
        }

        if has_tests && !kept.is_empty() {
            // A test that fails once and passes when run again (a shared temporary directory,
            // a timing) must not blame an edit: a culprit is confirmed by a second failing run,
            // and a few unconfirmed failures end the search.
            let mut unconfirmed = 0;
            loop {
                self.apply(&kept, &[], render)?;
                self.test_runs += 1;
                let Some(Err(failure)) = verifier.run_tests() else {
                    break;
                };
                // The shortest prefix of the kept groups that fails holds a culprit at its end.
                let (mut passing, mut failing) = (0usize, kept.len());
                while failing - passing > 1 {
                    let middle = (passing + failing) / 2;
                    self.apply(&kept[..middle], &[], render)?;
                    self.test_runs += 1;
                    match verifier.run_tests() {
                        Some(Err(_)) => failing = middle,
                        _ => passing = middle,
                    }
                }
                self.apply(&kept[..failing], &[], render)?;
                self.test_runs += 1;
                if !matches!(verifier.run_tests(), Some(Err(_))) {
                    unconfirmed += 1;
                    if unconfirmed > 2 {
                        self.apply(&kept, &[], render)?;
                        break;
                    }
                    continue;
                }
                let culprit = kept.remove(failing - 1);
                for id in culprit {
                    verdicts.insert(id, Verdict::BreaksTests(failure.clone()));
                }
                if kept.is_empty() {
                    self.apply(&kept, &[], render)?;
                    break;
                }
            }
        }

        self.apply(&kept, &[], render)?;
        self.entry_runs += 1;
        let after = if kept.is_empty() {
            before.clone()
        } else {
            verifier.run_entry().unwrap_or_else(|_| before.clone())
        };
        let files = self
            .written
            .iter()
            .filter(|(path, bytes)| self.originals.get(*path) != Some(*bytes))
            .map(|(path, bytes)| (path.clone(), bytes.clone()))
            .collect();
        Ok(Report {
            verdicts,
            before,
            after,
            files,
            entry_runs: self.entry_runs,
            test_runs: self.test_runs,
        })
    }

    fn candidate(&self, id: usize) -> &'a Candidate {
        let candidates: &'a [Candidate] = self.candidates;
        candidates
            .iter()
            .find(|c| c.id == id)
            .expect("ids come from the candidates")
    }

    /// Writes the kept groups plus `trial`, then runs the entry.
    fn try_entry(
        &mut self,
        kept: &[Vec<usize>],
        trial: &[usize],
        render: &mut Render<'_>,
        verifier: &mut dyn Verifier,
    ) -> Result<Result<BTreeSet<String>, Failure>, VerifyError> {
        self.apply(kept, trial, render)?;
        self.entry_runs += 1;
        Ok(verifier.run_entry())
    }

    /// Puts every candidate file in the state of `kept` plus `trial`.
    fn apply(
        &mut self,
        kept: &[Vec<usize>],
        trial: &[usize],
        render: &mut Render<'_>,
    ) -> Result<(), VerifyError> {
        let applied: BTreeSet<usize> = kept.iter().flatten().chain(trial).copied().collect();
        let files: BTreeSet<&PathBuf> = self.candidates.iter().map(|c| &c.file).collect();
        for file in files {
            let ids: Vec<usize> = self
                .candidates
                .iter()
                .filter(|c| &c.file == file && applied.contains(&c.id))
                .map(|c| c.id)
                .collect();
            let bytes = if ids.is_empty() {
                self.originals.get(file).cloned().unwrap_or_default()
            } else {
                render(file, &ids).map_err(|error| VerifyError::Fix {
                    path: file.clone(),
                    error,
                })?
            };
            let current = self.written.get(file).or_else(|| self.originals.get(file));
            if current != Some(&bytes) {
                self.write(&file.clone(), &bytes)?;
            }
        }
        Ok(())
    }

    /// Writes atomically, after checking the file still holds what the transaction last saw.
    fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<(), VerifyError> {
        let expected = self.written.get(path).or_else(|| self.originals.get(path));
        let on_disk = std::fs::read(path).ok();
        if on_disk.as_ref() != expected {
            return Err(VerifyError::ChangedBehind {
                path: path.to_path_buf(),
            });
        }
        write_atomic(path, bytes).map_err(|error| VerifyError::Write {
            path: path.to_path_buf(),
            error,
        })?;
        self.written.insert(path.to_path_buf(), bytes.to_vec());
        Ok(())
    }
}

/// Candidates that aim at a common module, in order of their first id: a module several
/// statements load leaves the cold path only when all of them move.
fn groups(candidates: &[Candidate]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(BTreeSet<String>, Vec<usize>)> = Vec::new();
    for candidate in candidates {
        let modules: BTreeSet<String> = candidate.modules.iter().cloned().collect();
        let joined: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(_, (m, _))| !m.is_disjoint(&modules) || modules.is_empty() && m.is_empty())
            .map(|(i, _)| i)
            .collect();
        let mut merged = (modules, vec![candidate.id]);
        for i in joined.into_iter().rev() {
            let (m, ids) = groups.remove(i);
            merged.0.extend(m);
            merged.1.extend(ids);
        }
        merged.1.sort_unstable();
        groups.push(merged);
    }
    groups.sort_by_key(|(_, ids)| ids[0]);
    groups.into_iter().map(|(_, ids)| ids).collect()
}

/// Replaces a file's bytes through a temporary file in the same directory and a rename, so a
/// reader sees the old bytes or the new ones, never a mix. Keeps the file's permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or_else(|| Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{name}.fastpath-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests;
