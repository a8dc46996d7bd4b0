//! Blame, diffs and worktrees through the real `git` on temporary repositories with commits by
//! two authors. Skips (with a message) when git is not installed.

use std::path::Path;
use std::process::Command;

use fastpath_history::git::{GitCommand, GitError, Repository};

fn git_available() -> bool {
    Command::new("git").arg("--version").output().is_ok()
}

/// Runs git in `dir` as `author`, with fixed dates so commit ids are reproducible.
fn git(dir: &Path, author: (&str, &str), date: &str, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", author.0)
        .env("GIT_AUTHOR_EMAIL", author.1)
        .env("GIT_COMMITTER_NAME", author.0)
        .env("GIT_COMMITTER_EMAIL", author.1)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

const ALICE: (&str, &str) = ("Alice Example", "alice@example.com");
const BOB: (&str, &str) = ("Bob Example", "bob@example.com");

/// app.py: line 1 by Alice (2025-10-01), line 2 by Bob (2025-11-02), line 3 uncommitted.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(
        d,
        ALICE,
        "2025-10-01T10:00:00+02:00",
        &["init", "-q", "-b", "main"],
    );
    std::fs::write(d.join("app.py"), "import json\n").unwrap();
    std::fs::write(d.join("heavy.py"), "X = 1\n").unwrap();
    git(d, ALICE, "2025-10-01T10:00:00+02:00", &["add", "."]);
    git(
        d,
        ALICE,
        "2025-10-01T10:00:00+02:00",
        &["commit", "-q", "-m", "first handler"],
    );
    std::fs::write(d.join("app.py"), "import json\nimport heavy\n").unwrap();
    std::fs::write(
        d.join("heavy.py"),
        "X = 1\nTABLE = [i * i for i in range(10**6)]\n",
    )
    .unwrap();
    git(
        d,
        BOB,
        "2025-11-02T09:00:00-05:00",
        &["commit", "-q", "-am", "add the heavy table"],
    );
    std::fs::write(
        d.join("app.py"),
        "import json\nimport heavy\nimport gateway\n",
    )
    .unwrap();
    dir
}

#[test]
fn blame_names_each_lines_author_and_the_uncommitted_line() {
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = repository();
    let git = GitCommand;
    let repo = Repository::discover(&git, dir.path()).unwrap();
    assert!(!repo.shallow);
    let lines = repo.blame(&dir.path().join("app.py"), &[1, 2, 3]).unwrap();
    assert_eq!(lines[&1].author, "Alice Example");
    assert_eq!(lines[&1].date, "2025-10-01");
    assert_eq!(lines[&1].summary, "first handler");
    assert!(
        !lines[&1].boundary,
        "the root commit is a real commit, not a boundary"
    );
    assert_eq!(lines[&2].author, "Bob Example");
    assert_eq!(lines[&2].email, "bob@example.com");
    assert_eq!(lines[&2].date, "2025-11-02");
    assert!(lines[&2]
        .sentence()
        .contains("by Bob Example <bob@example.com> on 2025-11-02: add the heavy table"));
    assert!(lines[&3].uncommitted);
    assert_eq!(
        lines[&3].sentence(),
        "changed in the working tree, not committed yet"
    );
    // An untracked file has nothing to tell, and says so by an empty answer.
    std::fs::write(dir.path().join("new.py"), "import os\n").unwrap();
    assert!(repo
        .blame(&dir.path().join("new.py"), &[1])
        .unwrap()
        .is_empty());

    let head = repo.head().unwrap().unwrap();
    assert_eq!(head.branch.as_deref(), Some("main"));
    assert!(head.dirty);
}

#[test]
fn changed_lines_and_a_worktree_of_an_older_revision() {
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = repository();
    let git = GitCommand;
    let repo = Repository::discover(&git, dir.path()).unwrap();
    assert_eq!(
        repo.changed_lines("HEAD~1", &dir.path().join("heavy.py"))
            .unwrap(),
        [(2, 1)]
    );
    let path = {
        let tree = repo.worktree("HEAD~1").unwrap();
        assert_eq!(
            std::fs::read_to_string(tree.path.join("app.py")).unwrap(),
            "import json\n"
        );
        assert_eq!(tree.commit, repo.resolve("HEAD~1").unwrap());
        tree.path.clone()
    };
    assert!(!path.exists(), "the worktree is removed on drop");
    let list = Command::new("git")
        .args(["worktree", "list"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&list.stdout).lines().count(), 1);
    let error = repo.worktree("no-such-branch").unwrap_err();
    assert!(matches!(error, GitError::UnknownRevision { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("`no-such-branch` is not a commit"),
        "{error}"
    );
}

#[test]
fn a_shallow_clone_marks_its_boundary_and_a_plain_directory_is_not_a_repository() {
    if !git_available() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let dir = repository();
    git(
        dir.path(),
        ALICE,
        "2025-11-03T10:00:00+00:00",
        &["commit", "-q", "-am", "gateway"],
    );
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    git(
        clone.path(),
        ALICE,
        "2025-11-03T10:00:00+00:00",
        &["clone", "-q", "--depth", "1", &url, "c"],
    );
    let git_cmd = GitCommand;
    let repo = Repository::discover(&git_cmd, &clone.path().join("c")).unwrap();
    assert!(repo.shallow);
    let lines = repo.blame(&clone.path().join("c/app.py"), &[1]).unwrap();
    assert!(lines[&1].boundary, "{:?}", lines[&1]);
    assert!(lines[&1].sentence().contains("shallow clone"));

    let plain = tempfile::tempdir().unwrap();
    let error = Repository::discover(&git_cmd, plain.path()).unwrap_err();
    assert!(matches!(error, GitError::NotARepository { .. }), "{error}");
}
