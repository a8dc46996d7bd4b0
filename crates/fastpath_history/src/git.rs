//! What git knows: who wrote a line (`git blame --porcelain`), which commit and branch the
//! working tree is on, what changed in a file since a revision, and a revision checked out in a
//! temporary worktree.
//!
//! git is reached through the [`Git`] trait (one method: run git with arguments in a directory),
//! implemented by [`GitCommand`] with the `git` program: measured on a 3,000-commit repository,
//! `git blame` took 0.08 s against 0.10 s for gix and 0.25 s for git2, and it adds no build
//! time. Everything above the trait parses git's plumbing output, so a fake `Git` can test it.
//!
//! Outside a repository, without git, or in a shallow clone, the answers say what cannot be
//! told instead of failing: a shallow clone's oldest commit is a *boundary*, and a line blamed
//! on it may be older.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::clock::civil_from_days;

/// Why git could not answer.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The `git` program is missing.
    #[error("git is not installed (or not on PATH): {source}")]
    NotInstalled {
        /// The cause.
        source: std::io::Error,
    },
    /// The directory is not inside a git work tree.
    #[error("{} is not inside a git repository", path.display())]
    NotARepository {
        /// The directory asked about.
        path: PathBuf,
    },
    /// git ran and failed.
    #[error("`git {}` failed in {}: {}", args.join(" "), dir.display(), stderr.trim())]
    Failed {
        /// The arguments.
        args: Vec<String>,
        /// Where it ran.
        dir: PathBuf,
        /// What it said.
        stderr: String,
    },
    /// A revision that does not name a commit.
    #[error("`{rev}` is not a commit in the repository at {}: {}", repo.display(), stderr.trim())]
    UnknownRevision {
        /// What was asked for.
        rev: String,
        /// The repository.
        repo: PathBuf,
        /// What git said.
        stderr: String,
    },
    /// git's output was not what the porcelain format promises.
    #[error("unexpected output from `git {command}`: {message}")]
    Parse {
        /// The subcommand.
        command: String,
        /// What was wrong.
        message: String,
    },
}

/// Runs git. The one seam between fastpath and git.
pub trait Git {
    /// Runs `git ARGS` in `dir` and returns its stdout, or an error with its stderr.
    fn run(&self, dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError>;
}

/// The `git` program on PATH.
#[derive(Debug, Clone, Default)]
pub struct GitCommand;

impl Git for GitCommand {
    fn run(&self, dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let output = Command::new("git")
            .args(args)
            .current_dir(dir)
            // Porcelain formats are stable; localised messages and pagers are not wanted.
            .env("LC_ALL", "C")
            .env("GIT_PAGER", "cat")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .map_err(|source| GitError::NotInstalled { source })?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(GitError::Failed {
                args: args.iter().map(ToString::to_string).collect(),
                dir: dir.to_path_buf(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            })
        }
    }
}

/// Who last changed one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlameLine {
    /// Line number in the working-tree file (1-based).
    pub line: u32,
    /// Full commit id (all zeros when not committed yet).
    pub commit: String,
    pub author: String,
    pub email: String,
    /// The author's date, in the author's time zone (YYYY-MM-DD).
    pub date: String,
    /// First line of the commit message.
    pub summary: String,
    /// The commit is the oldest one available (a shallow clone's boundary): the line may be
    /// older.
    pub boundary: bool,
    /// The line is changed in the working tree and not committed.
    pub uncommitted: bool,
}

impl BlameLine {
    /// The short commit id.
    pub fn short(&self) -> &str {
        &self.commit[..self.commit.len().min(7)]
    }

    /// One sentence for a diagnostic note.
    pub fn sentence(&self) -> String {
        if self.uncommitted {
            "changed in the working tree, not committed yet".to_string()
        } else if self.boundary {
            format!(
                "at or before {} ({}, {}), the oldest commit of this shallow clone: the line may be older (`git fetch --unshallow` to know who added it)",
                self.short(),
                self.author,
                self.date
            )
        } else {
            format!(
                "added in {} by {} <{}> on {}: {}",
                self.short(),
                self.author,
                self.email,
                self.date,
                self.summary
            )
        }
    }
}

/// The commit and branch the working tree is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    pub commit: String,
    /// `None` for a detached HEAD.
    pub branch: Option<String>,
    /// The work tree has changes not committed.
    pub dirty: bool,
}

/// A git work tree, found from a directory inside it.
pub struct Repository<'g> {
    git: &'g dyn Git,
    /// The work tree's top-level directory.
    pub root: PathBuf,
    /// The clone is shallow: history before its boundary commits is missing.
    pub shallow: bool,
    /// A shallow clone's boundary commits (they look like root commits to git blame).
    boundary: Vec<String>,
}

impl std::fmt::Debug for Repository<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("root", &self.root)
            .field("shallow", &self.shallow)
            .finish()
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}

impl<'g> Repository<'g> {
    /// The repository around `dir`.
    pub fn discover(git: &'g dyn Git, dir: &Path) -> Result<Repository<'g>, GitError> {
        let root = match git.run(dir, &["rev-parse", "--show-toplevel"]) {
            Ok(out) => PathBuf::from(text(out)),
            Err(GitError::Failed { stderr, .. }) if stderr.contains("not a git repository") => {
                return Err(GitError::NotARepository {
                    path: dir.to_path_buf(),
                })
            }
            Err(e) => return Err(e),
        };
        let shallow = text(git.run(dir, &["rev-parse", "--is-shallow-repository"])?) == "true";
        let root = root.canonicalize().unwrap_or(root);
        let mut boundary = Vec::new();
        if shallow {
            let file = text(git.run(dir, &["rev-parse", "--git-path", "shallow"])?);
            let file = dir.join(file);
            boundary = std::fs::read_to_string(file)
                .unwrap_or_default()
                .lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
        }
        Ok(Repository {
            git,
            root,
            shallow,
            boundary,
        })
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        self.git.run(&self.root, args)
    }

    /// The full commit id `rev` names.
    pub fn resolve(&self, rev: &str) -> Result<String, GitError> {
        let spec = format!("{rev}^{{commit}}");
        match self.run(&["rev-parse", "--verify", "--quiet", &spec]) {
            Ok(out) => Ok(text(out)),
            Err(GitError::Failed { stderr, .. }) => Err(GitError::UnknownRevision {
                rev: rev.to_string(),
                repo: self.root.clone(),
                stderr: if stderr.trim().is_empty() {
                    "unknown revision".to_string()
                } else {
                    stderr
                },
            }),
            Err(e) => Err(e),
        }
    }

    /// HEAD's commit and branch; `None` in a repository without commits.
    pub fn head(&self) -> Result<Option<Head>, GitError> {
        let Ok(commit) = self.resolve("HEAD") else {
            return Ok(None);
        };
        let branch = self
            .run(&["symbolic-ref", "--quiet", "--short", "HEAD"])
            .ok()
            .map(text)
            .filter(|b| !b.is_empty());
        let dirty = !self
            .run(&["status", "--porcelain", "--untracked-files=no"])?
            .is_empty();
        Ok(Some(Head {
            commit,
            branch,
            dirty,
        }))
    }

    /// The paths among `paths` (relative to `dir`) that git ignores and does not track: not
    /// files of the repository (a `.venv` inside the tree, say).
    pub fn ignored(&self, dir: &Path, paths: &[PathBuf]) -> Result<BTreeSet<PathBuf>, GitError> {
        if paths.is_empty() {
            return Ok(BTreeSet::new());
        }
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let mut args = vec!["check-ignore", "--"];
        args.extend(names.iter().map(String::as_str));
        match self.git.run(dir, &args) {
            Ok(out) => Ok(String::from_utf8_lossy(&out)
                .lines()
                .map(PathBuf::from)
                .collect()),
            // Exit status 1 with nothing said: none of them is ignored.
            Err(GitError::Failed { stderr, .. }) if stderr.trim().is_empty() => Ok(BTreeSet::new()),
            Err(e) => Err(e),
        }
    }

    /// `path` relative to the work tree's root (paths outside it are `None`).
    pub fn relative(&self, path: &Path) -> Option<PathBuf> {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        path.strip_prefix(&self.root).ok().map(Path::to_path_buf)
    }

    /// Who last changed each of `lines` of `path` in the working tree (uncommitted changes
    /// included). Lines git does not track (an untracked file) are absent from the answer.
    pub fn blame(&self, path: &Path, lines: &[u32]) -> Result<BTreeMap<u32, BlameLine>, GitError> {
        let Some(relative) = self.relative(path) else {
            return Ok(BTreeMap::new());
        };
        let relative = relative.to_string_lossy().into_owned();
        let mut args: Vec<String> = vec!["blame".into(), "--porcelain".into(), "--root".into()];
        let mut wanted: Vec<u32> = lines.iter().copied().filter(|l| *l > 0).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(BTreeMap::new());
        }
        for line in &wanted {
            args.push("-L".into());
            args.push(format!("{line},{line}"));
        }
        args.push("--".into());
        args.push(relative);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        match self.run(&argv) {
            Ok(out) => {
                let mut lines = parse_porcelain(&String::from_utf8_lossy(&out))?;
                // `--root` keeps a real root commit from being called a boundary; a shallow
                // clone's cut-off commits look like roots, so they are marked from its list.
                for line in lines.values_mut() {
                    line.boundary |= self.boundary.contains(&line.commit);
                }
                Ok(lines)
            }
            // Untracked files and lines past the end have no history to tell.
            Err(GitError::Failed { stderr, .. })
                if stderr.contains("no such path")
                    || stderr.contains("has only")
                    || stderr.contains("no such ref") =>
            {
                Ok(BTreeMap::new())
            }
            Err(e) => Err(e),
        }
    }

    /// The line ranges `(first, count)` of the working-tree `path` that differ from `rev`.
    pub fn changed_lines(&self, rev: &str, path: &Path) -> Result<Vec<(u32, u32)>, GitError> {
        let Some(relative) = self.relative(path) else {
            return Ok(Vec::new());
        };
        let relative = relative.to_string_lossy().into_owned();
        let out = self.run(&[
            "diff",
            "--no-color",
            "--no-ext-diff",
            "-U0",
            rev,
            "--",
            &relative,
        ])?;
        Ok(parse_hunks(&String::from_utf8_lossy(&out)))
    }

    /// Checks `rev` out, detached, into a new temporary worktree (removed on drop).
    pub fn worktree(&self, rev: &str) -> Result<Worktree<'g>, GitError> {
        let commit = self.resolve(rev)?;
        let parent = tempfile::Builder::new()
            .prefix("fastpath-against-")
            .tempdir()
            .map_err(|source| GitError::Failed {
                args: vec!["worktree".into(), "add".into()],
                dir: std::env::temp_dir(),
                stderr: format!("cannot create a temporary directory: {source}"),
            })?;
        let path = parent.path().join("rev");
        // Entries of worktrees whose directories vanished (a killed run) would block nothing,
        // but they accumulate: prune them first.
        let _ = self.run(&["worktree", "prune"]);
        let path_text = path.to_string_lossy().into_owned();
        self.run(&[
            "worktree", "add", "--detach", "--quiet", &path_text, &commit,
        ])?;
        Ok(Worktree {
            git: self.git,
            repo: self.root.clone(),
            path,
            commit,
            _parent: parent,
        })
    }
}

/// A revision checked out in a temporary directory; removed (and unregistered) on drop.
pub struct Worktree<'g> {
    git: &'g dyn Git,
    repo: PathBuf,
    /// Its top-level directory (the counterpart of the repository's root).
    pub path: PathBuf,
    /// The commit checked out.
    pub commit: String,
    _parent: tempfile::TempDir,
}

impl std::fmt::Debug for Worktree<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worktree")
            .field("path", &self.path)
            .field("commit", &self.commit)
            .finish()
    }
}

impl Drop for Worktree<'_> {
    fn drop(&mut self) {
        let path = self.path.to_string_lossy().into_owned();
        let _ = self
            .git
            .run(&self.repo, &["worktree", "remove", "--force", &path]);
        let _ = self.git.run(&self.repo, &["worktree", "prune"]);
    }
}

/// Parses `git blame --porcelain` output: a header line `COMMIT ORIG FINAL [COUNT]`, the
/// commit's fields the first time it appears, then the line's content after a tab.
pub fn parse_porcelain(text: &str) -> Result<BTreeMap<u32, BlameLine>, GitError> {
    let bad = |message: String| GitError::Parse {
        command: "blame --porcelain".to_string(),
        message,
    };
    #[derive(Default, Clone)]
    struct Fields {
        author: String,
        email: String,
        time: i64,
        tz: String,
        summary: String,
        boundary: bool,
    }
    let mut commits: BTreeMap<String, Fields> = BTreeMap::new();
    let mut result = BTreeMap::new();
    let mut current: Option<(String, u32)> = None;
    for line in text.lines() {
        if let Some(_content) = line.strip_prefix('\t') {
            let (commit, final_line) = current
                .take()
                .ok_or_else(|| bad("a content line without a header".to_string()))?;
            let fields = commits.get(&commit).cloned().unwrap_or_default();
            let uncommitted = commit.bytes().all(|b| b == b'0');
            result.insert(
                final_line,
                BlameLine {
                    line: final_line,
                    date: author_date(fields.time, &fields.tz),
                    commit,
                    author: fields.author,
                    email: fields.email,
                    summary: fields.summary,
                    boundary: fields.boundary,
                    uncommitted,
                },
            );
            continue;
        }
        if current.is_none() {
            let mut parts = line.split(' ');
            let commit = parts.next().unwrap_or_default();
            if commit.len() < 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!("expected a header line, got `{line}`")));
            }
            let final_line: u32 = parts
                .nth(1)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| bad(format!("no final line number in `{line}`")))?;
            commits.entry(commit.to_string()).or_default();
            current = Some((commit.to_string(), final_line));
            continue;
        }
        let commit = &current.as_ref().expect("header seen").0;
        let fields = commits.get_mut(commit).expect("inserted with the header");
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "author" => fields.author = value.to_string(),
            "author-mail" => {
                fields.email = value
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            }
            "author-time" => fields.time = value.parse().unwrap_or(0),
            "author-tz" => fields.tz = value.to_string(),
            "summary" => fields.summary = value.to_string(),
            "boundary" => fields.boundary = true,
            _ => {}
        }
    }
    Ok(result)
}

/// New-side ranges of `git diff -U0` hunks (`@@ -a,b +c,d @@`); a pure deletion (`d = 0`) is
/// reported as the line after which it happened, count 0.
pub fn parse_hunks(diff: &str) -> Vec<(u32, u32)> {
    let mut ranges = Vec::new();
    for line in diff.lines() {
        let Some(rest) = line.strip_prefix("@@ ") else {
            continue;
        };
        let Some(new) = rest.split(' ').find(|p| p.starts_with('+')) else {
            continue;
        };
        let new = &new[1..];
        let (start, count) = match new.split_once(',') {
            Some((s, c)) => (s.parse().unwrap_or(0), c.parse().unwrap_or(0)),
            None => (new.parse().unwrap_or(0), 1),
        };
        ranges.push((start, count));
    }
    ranges
}

/// A Unix time in a `+HHMM` zone as the local calendar date.
fn author_date(time: i64, tz: &str) -> String {
    let sign = if tz.starts_with('-') { -1 } else { 1 };
    let digits: String = tz.chars().filter(char::is_ascii_digit).collect();
    let offset = match digits.len() {
        4 => {
            let hours: i64 = digits[..2].parse().unwrap_or(0);
            let minutes: i64 = digits[2..].parse().unwrap_or(0);
            sign * (hours * 3600 + minutes * 60)
        }
        _ => 0,
    };
    let (y, m, d) = civil_from_days((time + offset).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_with_repeated_commits_and_uncommitted_lines() {
        let text = "\
1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d 3 3 1
author Alice Example
author-mail <alice@example.com>
author-time 1762041600
author-tz +0100
committer Alice Example
committer-mail <alice@example.com>
committer-time 1762041600
committer-tz +0100
summary add the heavy module
filename app.py
\timport heavy
1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d 5 7 1
\timport json
0000000000000000000000000000000000000000 9 9 1
author Not Committed Yet
author-mail <not.committed.yet>
author-time 1762100000
author-tz +0000
summary Version of app.py from app.py
filename app.py
\timport gateway
";
        let lines = parse_porcelain(text).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[&3].author, "Alice Example");
        assert_eq!(lines[&3].date, "2025-11-02");
        assert_eq!(lines[&7].summary, "add the heavy module");
        assert!(lines[&9].uncommitted);
        assert!(lines[&3]
            .sentence()
            .starts_with("added in 1a2b3c4 by Alice Example <alice@example.com> on 2025-11-02"));
        assert!(parse_porcelain("garbage\n").is_err());
    }

    #[test]
    fn hunk_headers_give_new_side_ranges() {
        let diff = "diff --git a/h.py b/h.py\n@@ -3,0 +4,3 @@ def f\n+a\n+b\n+c\n@@ -10 +13 @@\n-x\n+y\n@@ -20,2 +22,0 @@\n";
        assert_eq!(parse_hunks(diff), [(4, 3), (13, 1), (22, 0)]);
    }

    #[test]
    fn dates_follow_the_authors_time_zone() {
        // 2025-11-01 23:30 UTC is already 2025-11-02 in +0100 and still 2025-11-01 in -0500.
        let t = 1_762_039_800;
        assert_eq!(author_date(t, "+0100"), "2025-11-02");
        assert_eq!(author_date(t, "-0500"), "2025-11-01");
    }

    /// A fake git that answers from a table: the trait is the seam.
    struct Fake(BTreeMap<String, Result<String, String>>);

    impl Git for Fake {
        fn run(&self, dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
            match self.0.get(&args.join(" ")) {
                Some(Ok(out)) => Ok(out.clone().into_bytes()),
                Some(Err(stderr)) => Err(GitError::Failed {
                    args: args.iter().map(ToString::to_string).collect(),
                    dir: dir.to_path_buf(),
                    stderr: stderr.clone(),
                }),
                None => panic!("unexpected git {args:?}"),
            }
        }
    }

    #[test]
    fn outside_a_repository_is_its_own_error() {
        let fake = Fake(
            [(
                "rev-parse --show-toplevel".to_string(),
                Err("fatal: not a git repository (or any of the parent directories): .git".into()),
            )]
            .into_iter()
            .collect(),
        );
        let error = Repository::discover(&fake, Path::new("/tmp/x")).unwrap_err();
        assert!(matches!(error, GitError::NotARepository { .. }), "{error}");
        assert_eq!(error.to_string(), "/tmp/x is not inside a git repository");
    }
}
