//! Who wrote the lines a finding or a chain points at: `git blame` over many lines at once, one
//! call per file, with the reason in words when git cannot tell (no repository, an untracked
//! file). The repository is found through [`crate::git`]'s trait.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::git::{BlameLine, GitCommand, GitError, Repository};

/// git, reached through the [`crate::git::Git`] trait.
pub static GIT: GitCommand = GitCommand;

/// The repository around `dir`, or why there is none (said to the user as is).
pub fn repository(dir: &Path) -> Result<Repository<'static>, String> {
    Repository::discover(&GIT, dir).map_err(|e| match e {
        GitError::NotARepository { path } => {
            format!("{} is not inside a git repository", path.display())
        }
        other => other.to_string(),
    })
}

/// A line's blame, or why there is none.
#[derive(Debug, Clone)]
pub enum BlameLineOrReason {
    Line(BlameLine),
    Reason(String),
}

impl BlameLineOrReason {
    pub fn sentence(&self) -> String {
        match self {
            BlameLineOrReason::Line(line) => line.sentence(),
            BlameLineOrReason::Reason(reason) => format!("who wrote it is unknown: {reason}"),
        }
    }
}

/// Who wrote each line asked for, keyed by `(path, line)`; lines outside the repository are
/// left out, and without a repository every line gets the reason.
pub fn blame_lines(
    repo: &Result<Repository<'_>, String>,
    lines: impl IntoIterator<Item = (PathBuf, u32)>,
) -> BTreeMap<(PathBuf, u32), BlameLineOrReason> {
    let mut by_file: BTreeMap<PathBuf, Vec<u32>> = BTreeMap::new();
    for (path, line) in lines {
        by_file.entry(path).or_default().push(line);
    }
    let mut out = BTreeMap::new();
    for (path, lines) in by_file {
        let answer =
            |line: u32, found: Option<&BTreeMap<u32, BlameLine>>, error: Option<&str>| match (
                found.and_then(|f| f.get(&line)),
                error,
            ) {
                (Some(b), _) => BlameLineOrReason::Line(b.clone()),
                (None, Some(e)) => BlameLineOrReason::Reason(e.to_string()),
                (None, None) => BlameLineOrReason::Reason(
                    "git has no history for this line (an untracked file?)".to_string(),
                ),
            };
        match repo {
            Ok(repo) => {
                if repo.relative(&path).is_none() {
                    continue;
                }
                match repo.blame(&path, &lines) {
                    Ok(found) => {
                        for line in lines {
                            out.insert((path.clone(), line), answer(line, Some(&found), None));
                        }
                    }
                    Err(e) => {
                        let reason = format!("git blame failed: {e}");
                        for line in lines {
                            out.insert((path.clone(), line), answer(line, None, Some(&reason)));
                        }
                    }
                }
            }
            Err(reason) => {
                for line in lines {
                    out.insert((path.clone(), line), answer(line, None, Some(reason)));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_repository_every_line_gets_the_reason() {
        let repo: Result<Repository<'static>, String> = Err("not a repository".to_string());
        let out = blame_lines(&repo, [("a.py".into(), 3), ("a.py".into(), 1)]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[&(PathBuf::from("a.py"), 3)].sentence(),
            "who wrote it is unknown: not a repository"
        );
    }
}
