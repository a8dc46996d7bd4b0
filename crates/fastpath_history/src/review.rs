//! The seed's review checklist, filled in for a pull request: every import added to or removed
//! from the manifest or the cold path between a revision and the working tree, each with the
//! answers a reviewer asks for (`fastpath review --against REV`, `fastpath.review/1`).
//!
//! The seed's checklist: profiling data, the documented import time, usage data (when the import
//! costs over 10 ms), a justification, the total under budget, the alternative considered, and
//! approval. The caller measures both sides and builds a [`Snapshot`] of each (the project model
//! lives above this crate); this module compares them, reads the justification from git (the
//! commit that wrote the manifest line, or that removed it), the approvers from CODEOWNERS, and
//! decides each item. Renderers print the result; nothing here prints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fastpath_profile::usage::UsageReport;
use serde::Serialize;

use crate::git::{Git, GitError, Repository};

/// The JSON schema of a review.
pub const SCHEMA: &str = "fastpath.review/1";

/// Why the review could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Git(#[from] GitError),
}

/// A measured cost: the median and its confidence interval, milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cost {
    pub median_ms: f64,
    pub low_ms: f64,
    pub high_ms: f64,
}

/// An import of the manifest, as its annotation documents it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestImport {
    pub name: String,
    pub line: u32,
    pub documented_ms: Option<f64>,
    /// The annotation's usage words ("every request", "85% of requests").
    pub usage: Option<String>,
    /// 1 (cheap) or 2 (hot-path exception), from the section it sits in.
    pub tier: Option<u8>,
}

/// The statement that puts a module on the cold path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// Relative to the repository root.
    pub path: PathBuf,
    pub line: u32,
}

/// A module on the cold path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColdModule {
    pub site: Option<Site>,
    /// Brought in by a project statement (not from inside a dependency).
    pub direct: bool,
}

/// One side of the comparison: the revision, or the working tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// The manifest, relative to the repository root.
    pub manifest_path: Option<PathBuf>,
    pub manifest: Vec<ManifestImport>,
    pub cold_path: BTreeMap<String, ColdModule>,
    /// Measured cumulative costs by module.
    pub costs: BTreeMap<String, Cost>,
    /// The measured cost of importing the manifest (or the entry).
    pub total: Option<Cost>,
}

/// The thresholds the checklist applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub budget_ms: f64,
    pub tier1_max_ms: f64,
    /// Percent, 0-100.
    pub hot_path_min_usage: f64,
    pub max_imports: usize,
    /// Lambda SnapStart: eager imports are captured in the snapshot.
    pub snapstart: bool,
}

/// Added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
}

/// Where the change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Place {
    Manifest,
    ColdPath,
}

/// The answer to one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    /// Not required for this change (a cheap import needs no usage data).
    NotNeeded,
    /// A person must answer.
    Manual,
}

/// One checklist item for one change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub item: &'static str,
    pub status: Status,
    pub detail: String,
}

/// The commit that justifies a change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Justification {
    pub commit: String,
    pub author: String,
    pub date: String,
    pub message: String,
}

/// One added or removed import, with its checklist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub module: String,
    pub kind: ChangeKind,
    pub place: Place,
    /// The manifest line or the statement (in the working tree when added, in REV when removed).
    pub site: Option<Site>,
    pub measured: Option<Cost>,
    pub documented_ms: Option<f64>,
    pub justification: Option<Justification>,
    pub alternative: Option<String>,
    pub checklist: Vec<Item>,
}

/// The budget before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Total {
    pub before: Option<Cost>,
    pub after: Option<Cost>,
    pub budget_ms: f64,
    pub imports_before: usize,
    pub imports_after: usize,
    pub max_imports: usize,
    pub within_budget: Option<bool>,
}

/// `fastpath.review/1`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub schema: &'static str,
    pub against: String,
    pub against_commit: String,
    pub manifest: Option<PathBuf>,
    pub changes: Vec<Change>,
    /// Modules that join (or leave) the cold path through the changes above, not listed.
    pub indirect_added: usize,
    pub indirect_removed: usize,
    pub total: Total,
    pub approvers: Vec<String>,
    /// The CODEOWNERS file the approvers come from.
    pub codeowners: Option<PathBuf>,
    /// Where usage evidence came from (`.fastpath/usage.json`), when there was some.
    pub usage_source: Option<String>,
}

/// What the review needs besides the two snapshots.
pub struct ReviewInput<'a> {
    pub rev: &'a str,
    pub base: &'a Snapshot,
    pub head: &'a Snapshot,
    pub usage: Option<&'a UsageReport>,
    /// What `fix` would do, by module (absent: the generic advice).
    pub alternatives: &'a BTreeMap<String, String>,
    pub policy: &'a Policy,
}

/// Compares the snapshots and fills in the checklist. `repo` answers blame, log and CODEOWNERS.
pub fn review(
    git: &dyn Git,
    repo: &Repository<'_>,
    input: &ReviewInput<'_>,
) -> Result<Review, ReviewError> {
    let against_commit = repo.resolve(input.rev)?;
    let mut changes = Vec::new();

    let base_manifest: BTreeMap<&str, &ManifestImport> = input
        .base
        .manifest
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    let head_manifest: BTreeMap<&str, &ManifestImport> = input
        .head
        .manifest
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    // Each direction: what the `to` side has that the `from` side lacks.
    let directions = [
        (
            ChangeKind::Added,
            input.head,
            input.base,
            &head_manifest,
            &base_manifest,
        ),
        (
            ChangeKind::Removed,
            input.base,
            input.head,
            &base_manifest,
            &head_manifest,
        ),
    ];
    for (kind, to, _, to_manifest, from_manifest) in directions {
        for (name, m) in to_manifest {
            if from_manifest.contains_key(name) {
                continue;
            }
            let site = to.manifest_path.as_ref().map(|p| Site {
                path: p.clone(),
                line: m.line,
            });
            changes.push(change(
                git,
                repo,
                input,
                name,
                kind,
                Place::Manifest,
                site,
                Some(m),
            )?);
        }
    }
    let in_manifest =
        |name: &str| head_manifest.contains_key(name) || base_manifest.contains_key(name);
    let (mut indirect_added, mut indirect_removed) = (0, 0);
    for (kind, to, from, _, _) in directions {
        for (name, m) in &to.cold_path {
            if from.cold_path.contains_key(name) || in_manifest(name) {
                continue;
            }
            if m.direct {
                let site = m.site.clone();
                changes.push(change(
                    git,
                    repo,
                    input,
                    name,
                    kind,
                    Place::ColdPath,
                    site,
                    None,
                )?);
            } else if kind == ChangeKind::Added {
                indirect_added += 1;
            } else {
                indirect_removed += 1;
            }
        }
    }
    changes.sort_by(|a, b| (a.place, a.kind, &a.module).cmp(&(b.place, b.kind, &b.module)));

    let policy = input.policy;
    let total = Total {
        before: input.base.total,
        after: input.head.total,
        budget_ms: policy.budget_ms,
        imports_before: input.base.manifest.len(),
        imports_after: input.head.manifest.len(),
        max_imports: policy.max_imports,
        within_budget: input.head.total.map(|t| t.median_ms < policy.budget_ms),
    };
    let mut touched: BTreeSet<PathBuf> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Added)
        .filter_map(|c| c.site.as_ref().map(|s| s.path.clone()))
        .collect();
    touched.extend(input.head.manifest_path.clone());
    let (codeowners, approvers) = match Codeowners::find(&repo.root) {
        Some((path, owners)) => {
            let mut approvers = BTreeSet::new();
            for file in &touched {
                approvers.extend(owners.owners_of(file).iter().cloned());
            }
            (Some(path), approvers.into_iter().collect())
        }
        None => (None, Vec::new()),
    };
    Ok(Review {
        schema: SCHEMA,
        against: input.rev.to_string(),
        against_commit,
        manifest: input
            .head
            .manifest_path
            .clone()
            .or(input.base.manifest_path.clone()),
        changes,
        indirect_added,
        indirect_removed,
        total,
        approvers,
        codeowners,
        usage_source: input.usage.map(|u| u.input.clone()),
    })
}

#[allow(clippy::too_many_arguments)]
fn change(
    git: &dyn Git,
    repo: &Repository<'_>,
    input: &ReviewInput<'_>,
    name: &str,
    kind: ChangeKind,
    place: Place,
    site: Option<Site>,
    manifest: Option<&ManifestImport>,
) -> Result<Change, ReviewError> {
    let policy = input.policy;
    let side = match kind {
        ChangeKind::Added => input.head,
        ChangeKind::Removed => input.base,
    };
    let measured = side.costs.get(name).copied();
    let documented_ms = manifest.and_then(|m| m.documented_ms);
    let justification = justification(git, repo, input.rev, kind, site.as_ref(), name);
    let alternative = (kind == ChangeKind::Added).then(|| {
        input.alternatives.get(name).cloned().unwrap_or_else(|| {
            if policy.snapstart {
                format!("keep `import {name}` in init: with SnapStart it is captured in the snapshot and restored, not re-imported")
            } else {
                format!("defer it: import `{name}` inside the functions that use it (`fastpath fix` makes the edit)")
            }
        })
    });

    let mut checklist = Vec::new();
    // Profiling data.
    checklist.push(match measured {
        Some(c) => Item {
            item: "Profiling data",
            status: Status::Pass,
            detail: format!("{} measured", cost_text(&c)),
        },
        None => Item {
            item: "Profiling data",
            status: Status::Fail,
            detail: "not measured: run `fastpath review` without `--static`".to_string(),
        },
    });
    if kind == ChangeKind::Added {
        // Documented import time.
        if place == Place::Manifest {
            checklist.push(match (documented_ms, measured) {
                (None, _) => Item {
                    item: "Documented import time",
                    status: Status::Fail,
                    detail: "the manifest line documents no cost".to_string(),
                },
                (Some(d), None) => Item {
                    item: "Documented import time",
                    status: Status::Manual,
                    detail: format!("documented {}, not measured", ms(d)),
                },
                (Some(d), Some(c)) => {
                    // The rule FP105 applies: within the interval, or within 50 % and 1 ms.
                    let agrees = (c.low_ms <= d && d <= c.high_ms)
                        || (d - c.median_ms).abs() <= (0.5 * c.median_ms).max(1.0);
                    Item {
                        item: "Documented import time",
                        status: if agrees { Status::Pass } else { Status::Fail },
                        detail: if agrees {
                            format!("documented {}, measured {}", ms(d), ms(c.median_ms))
                        } else {
                            format!(
                                "documented {} but measured {}: `fastpath update` rewrites it",
                                ms(d),
                                ms(c.median_ms)
                            )
                        },
                    }
                }
            });
        }
        // Usage data, when the import costs over the Tier 1 limit.
        let costly = measured.map(|c| c.median_ms > policy.tier1_max_ms);
        let evidence = input.usage.and_then(|u| u.module(name).map(|m| (u, m)));
        checklist.push(match (costly, evidence) {
            (Some(false), _) => Item {
                item: "Usage data (if >10ms)",
                status: Status::NotNeeded,
                detail: format!("costs under {}", ms(policy.tier1_max_ms)),
            },
            (_, Some((u, m))) => {
                let enough = m.percent > policy.hot_path_min_usage;
                Item {
                    item: "Usage data (if >10ms)",
                    status: if enough { Status::Pass } else { Status::Fail },
                    detail: format!(
                        "used on {:.0} % of requests ({} of {} {}){}",
                        m.percent,
                        m.count,
                        u.invocations,
                        if u.source == "logs" {
                            "logged invocations"
                        } else {
                            "replayed events"
                        },
                        if enough {
                            String::new()
                        } else {
                            format!(", below hot-path-min-usage {:.0} %", policy.hot_path_min_usage)
                        }
                    ),
                }
            }
            (_, None) => Item {
                item: "Usage data (if >10ms)",
                status: Status::Fail,
                detail: match manifest.and_then(|m| m.usage.as_deref()) {
                    Some(words) => format!(
                        "the manifest claims \"{words}\" with no evidence: run `fastpath usage --events DIR` or `--logs FILE`"
                    ),
                    None => "no evidence: run `fastpath usage --events DIR` or `--logs FILE`"
                        .to_string(),
                },
            },
        });
    }
    checklist.push(match &justification {
        Some(j) => Item {
            item: "Justification",
            status: Status::Pass,
            detail: format!(
                "{} ({}, {}): {}",
                &j.commit[..j.commit.len().min(7)],
                j.author,
                j.date,
                j.message.lines().next().unwrap_or_default()
            ),
        },
        None => Item {
            item: "Justification",
            status: Status::Fail,
            detail: "not committed yet: the commit message is the justification".to_string(),
        },
    });
    if let Some(alternative) = &alternative {
        checklist.push(Item {
            item: "Alternative considered",
            status: Status::Manual,
            detail: alternative.clone(),
        });
    }
    Ok(Change {
        module: name.to_string(),
        kind,
        place,
        site,
        measured,
        documented_ms,
        justification,
        alternative,
        checklist,
    })
}

fn justification(
    git: &dyn Git,
    repo: &Repository<'_>,
    rev: &str,
    kind: ChangeKind,
    site: Option<&Site>,
    name: &str,
) -> Option<Justification> {
    let site = site?;
    let commit = match kind {
        ChangeKind::Added => {
            let blame = repo.blame(&repo.root.join(&site.path), &[site.line]).ok()?;
            let line = blame.get(&site.line)?;
            if line.uncommitted {
                return None;
            }
            line.commit.clone()
        }
        ChangeKind::Removed => {
            // The newest commit since REV whose diff adds or removes a line importing `name`.
            let pattern = format!(r"^\s*(import|from)\s+{}\b", regex_escape(name));
            let range = format!("{rev}..HEAD");
            let path = site.path.to_string_lossy();
            let out = git
                .run(
                    &repo.root,
                    &[
                        "log",
                        "-1",
                        "--format=%H",
                        "-G",
                        &pattern,
                        &range,
                        "--",
                        &path,
                    ],
                )
                .ok()?;
            let commit = String::from_utf8_lossy(&out).trim().to_string();
            if commit.is_empty() {
                return None;
            }
            commit
        }
    };
    let out = git
        .run(
            &repo.root,
            &[
                "show",
                "-s",
                "--format=%an%x00%ad%x00%B",
                "--date=short",
                &commit,
            ],
        )
        .ok()?;
    let text = String::from_utf8_lossy(&out);
    let mut parts = text.splitn(3, '\0');
    Some(Justification {
        author: parts.next()?.to_string(),
        date: parts.next()?.to_string(),
        message: parts.next()?.trim().to_string(),
        commit,
    })
}

fn regex_escape(name: &str) -> String {
    name.replace('.', r"\.")
}

fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.1} ms")
    }
}

/// `12.3 ms (11.9-12.8)`.
pub fn cost_text(c: &Cost) -> String {
    format!("{} ({:.1}-{:.1})", ms(c.median_ms), c.low_ms, c.high_ms)
}

/// A CODEOWNERS file: patterns (gitignore-like) and their owners; the last matching line wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codeowners {
    rules: Vec<(String, Vec<String>)>,
}

impl Codeowners {
    /// The first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` (GitHub's order).
    pub fn find(root: &Path) -> Option<(PathBuf, Codeowners)> {
        for rel in [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] {
            if let Ok(text) = std::fs::read_to_string(root.join(rel)) {
                return Some((PathBuf::from(rel), Codeowners::parse(&text)));
            }
        }
        None
    }

    pub fn parse(text: &str) -> Codeowners {
        let rules = text
            .lines()
            .map(|l| l.split(" #").next().unwrap_or_default().trim())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let pattern = words.next()?.to_string();
                Some((pattern, words.map(str::to_string).collect()))
            })
            .collect();
        Codeowners { rules }
    }

    /// The owners of a path relative to the repository root (empty: no owner).
    pub fn owners_of(&self, path: &Path) -> &[String] {
        let path = path.to_string_lossy().replace('\\', "/");
        self.rules
            .iter()
            .rev()
            .find(|(pattern, _)| pattern_matches(pattern, &path))
            .map(|(_, owners)| owners.as_slice())
            .unwrap_or(&[])
    }
}

/// gitignore-style matching as CODEOWNERS uses it: a leading `/` anchors at the root, a
/// pattern without a `/` (other than a trailing one) matches at any depth, a trailing `/` or a
/// directory match covers everything below, `*` stays within a segment and `**` crosses them.
fn pattern_matches(pattern: &str, path: &str) -> bool {
    let dir_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.contains('/');
    let trimmed = trimmed.trim_start_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    // Every prefix of the path (a directory match covers its contents), at every depth when
    // not anchored.
    let starts: Vec<usize> = if anchored {
        vec![0]
    } else {
        (0..segments.len()).collect()
    };
    for start in starts {
        for end in start + 1..=segments.len() {
            if dir_only && end == segments.len() {
                continue;
            }
            if glob(trimmed, &segments[start..end].join("/")) {
                return true;
            }
        }
    }
    false
}

fn glob(pattern: &str, text: &str) -> bool {
    fn rec(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = p[2..].strip_prefix(b"/").unwrap_or(&p[2..]);
                (0..=t.len()).any(|i| rec(rest, &t[i..]))
            }
            Some(b'*') => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| rec(&p[1..], &t[i..])),
            Some(b'?') => !t.is_empty() && t[0] != b'/' && rec(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && rec(&p[1..], &t[1..]),
        }
    }
    rec(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codeowners_last_match_wins_and_patterns_follow_gitignore() {
        let owners = Codeowners::parse(
            "# comment\n*       @org/everyone\n*.py    @py-team\n/fast_path.py @perf-lead @org/perf # inline\ndocs/   @writers\n",
        );
        let of = |p: &str| owners.owners_of(Path::new(p)).to_vec();
        assert_eq!(of("fast_path.py"), ["@perf-lead", "@org/perf"]);
        assert_eq!(of("pkg/fast_path.py"), ["@py-team"]);
        assert_eq!(of("docs/a/b.md"), ["@writers"]);
        assert_eq!(of("README.md"), ["@org/everyone"]);
        assert!(Codeowners::parse("").owners_of(Path::new("x")).is_empty());
        assert!(glob("src/**/x.py", "src/a/b/x.py"));
        assert!(glob("src/**/x.py", "src/x.py"));
        assert!(!glob("src/*.py", "src/a/x.py"));
    }

    fn git(dir: &Path, args: &[&str]) {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "Ada Dev")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_AUTHOR_DATE", "2026-11-20T10:00:00Z")
            .env("GIT_COMMITTER_NAME", "Ada Dev")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_DATE", "2026-11-20T10:00:00Z")
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    const MANIFEST_1: &str = "# Tier 1: Lightweight (<10ms)\nimport json           # 0.8ms, every request\n\n__all__ = ['json']\n";
    const MANIFEST_2: &str = "# Tier 1: Lightweight (<10ms)\nimport json           # 0.8ms, every request\n\n# Tier 2: Hot path exceptions (>10ms but >80% usage)\nimport heavy_client   # 30ms, every request - PROFILED 2026-11-20\n\n__all__ = ['json', 'heavy_client']\n";

    fn snapshot(manifest: &[(&str, u32, f64, &str, u8)], costs: &[(&str, f64)]) -> Snapshot {
        let cost = |m: f64| Cost {
            median_ms: m,
            low_ms: m * 0.95,
            high_ms: m * 1.05,
        };
        Snapshot {
            manifest_path: Some(PathBuf::from("fast_path.py")),
            manifest: manifest
                .iter()
                .map(|&(name, line, ms, usage, tier)| ManifestImport {
                    name: name.into(),
                    line,
                    documented_ms: Some(ms),
                    usage: Some(usage.into()),
                    tier: Some(tier),
                })
                .collect(),
            cold_path: costs
                .iter()
                .map(|&(n, _)| {
                    (
                        n.to_string(),
                        ColdModule {
                            site: None,
                            direct: false,
                        },
                    )
                })
                .collect(),
            costs: costs
                .iter()
                .map(|&(n, m)| (n.to_string(), cost(m)))
                .collect(),
            total: Some(cost(costs.iter().map(|c| c.1).sum())),
        }
    }

    #[test]
    fn a_commit_adding_a_30_ms_import_to_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        std::fs::write(root.join("fast_path.py"), MANIFEST_1).unwrap();
        std::fs::write(
            root.join("CODEOWNERS"),
            "*.py @team\n/fast_path.py @perf-lead\n",
        )
        .unwrap();
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "Initial fast path"]);
        std::fs::write(root.join("fast_path.py"), MANIFEST_2).unwrap();
        git(root, &["commit", "-q", "-am", "Add heavy_client to the fast path\n\nEvery request signs with it; deferring it moved 30 ms into the first request."]);

        let base = snapshot(&[("json", 2, 0.8, "every request", 1)], &[("json", 0.9)]);
        let head = snapshot(
            &[
                ("json", 2, 0.8, "every request", 1),
                ("heavy_client", 5, 30.0, "every request", 2),
            ],
            &[
                ("json", 0.9),
                ("heavy_client", 31.0),
                ("heavy_client.sign", 12.0),
            ],
        );
        let policy = Policy {
            budget_ms: 200.0,
            tier1_max_ms: 10.0,
            hot_path_min_usage: 80.0,
            max_imports: 20,
            snapstart: false,
        };
        let command = crate::git::GitCommand;
        let repo = Repository::discover(&command, root).unwrap();
        let review = review(
            &command,
            &repo,
            &ReviewInput {
                rev: "HEAD~1",
                base: &base,
                head: &head,
                usage: None,
                alternatives: &BTreeMap::new(),
                policy: &policy,
            },
        )
        .unwrap();
        assert_eq!(review.changes.len(), 1);
        assert_eq!(review.indirect_added, 1);
        assert_eq!(review.approvers, ["@perf-lead"]);
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"[0-9a-f]{40}", "[COMMIT]");
        settings.add_filter(r"\b[0-9a-f]{7}\b", "[SHORT]");
        settings.bind(|| insta::assert_json_snapshot!(review));
    }
}
