//! Markdown for a pull-request comment: a heading with the revision, one section per added or
//! removed import with its checklist as a task list (ticked when fastpath could verify the
//! item, open when it failed or a person must answer), then the budget and the approvers.

use std::io::{self, Write};

use fastpath_history::review::{cost_text, Change, ChangeKind, Item, Place, Review, Status};

fn item(i: &Item, out: &mut dyn Write) -> io::Result<()> {
    let (tick, tag) = match i.status {
        Status::Pass => ("x", ""),
        Status::NotNeeded => ("x", " (not needed)"),
        Status::Fail => (" ", " **not met**"),
        Status::Manual => (" ", " (reviewer)"),
    };
    writeln!(out, "- [{tick}] **{}**{tag}: {}", i.item, i.detail)
}

fn change(c: &Change, out: &mut dyn Write) -> io::Result<()> {
    let verb = match (c.kind, c.place) {
        (ChangeKind::Added, Place::Manifest) => "added to the manifest",
        (ChangeKind::Removed, Place::Manifest) => "removed from the manifest",
        (ChangeKind::Added, Place::ColdPath) => "added to the cold path",
        (ChangeKind::Removed, Place::ColdPath) => "removed from the cold path",
    };
    write!(out, "### `{}` {verb}", c.module)?;
    if let Some(site) = &c.site {
        write!(out, " (`{}:{}`)", site.path.display(), site.line)?;
    }
    writeln!(out)?;
    writeln!(out)?;
    for i in &c.checklist {
        item(i, out)?;
    }
    if let Some(j) = &c.justification {
        if j.message.lines().count() > 1 {
            writeln!(out)?;
            writeln!(
                out,
                "<details><summary>Commit message of {}</summary>",
                &j.commit[..j.commit.len().min(7)]
            )?;
            writeln!(out)?;
            writeln!(out, "```text")?;
            writeln!(out, "{}", j.message)?;
            writeln!(out, "```")?;
            writeln!(out)?;
            writeln!(out, "</details>")?;
        }
    }
    writeln!(out)
}

/// Writes the review as Markdown.
pub fn render_markdown(review: &Review, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "## fastpath review against `{}` ({})",
        review.against,
        &review.against_commit[..review.against_commit.len().min(7)]
    )?;
    writeln!(out)?;
    let count = |kind, place| {
        review
            .changes
            .iter()
            .filter(|c| c.kind == kind && c.place == place)
            .count()
    };
    if review.changes.is_empty() {
        writeln!(
            out,
            "No import was added to or removed from the manifest or the cold path."
        )?;
    } else {
        writeln!(
            out,
            "Manifest: {} added, {} removed. Cold path: {} added, {} removed by project statements{}.",
            count(ChangeKind::Added, Place::Manifest),
            count(ChangeKind::Removed, Place::Manifest),
            count(ChangeKind::Added, Place::ColdPath),
            count(ChangeKind::Removed, Place::ColdPath),
            match (review.indirect_added, review.indirect_removed) {
                (0, 0) => String::new(),
                (a, r) => format!(" (and {a} modules in, {r} out, through them)"),
            }
        )?;
        writeln!(out)?;
        for c in &review.changes {
            change(c, out)?;
        }
    }
    writeln!(out, "### Budget and approval")?;
    writeln!(out)?;
    let t = &review.total;
    let budget = match (t.after, t.within_budget) {
        (Some(after), Some(within)) => Item {
            item: "Total under budget",
            status: if within { Status::Pass } else { Status::Fail },
            detail: format!(
                "{} against {:.0} ms{}; {} imports (max {}, was {})",
                cost_text(&after),
                t.budget_ms,
                t.before
                    .map(|b| format!(", was {}", cost_text(&b)))
                    .unwrap_or_default(),
                t.imports_after,
                t.max_imports,
                t.imports_before
            ),
        },
        _ => Item {
            item: "Total under budget",
            status: Status::Manual,
            detail: format!(
                "not measured (budget {:.0} ms); {} imports (max {}, was {})",
                t.budget_ms, t.imports_after, t.max_imports, t.imports_before
            ),
        },
    };
    item(&budget, out)?;
    let approval = Item {
        item: "Approval",
        status: Status::Manual,
        detail: match (&review.codeowners, review.approvers.is_empty()) {
            (Some(file), false) => format!(
                "{} (from `{}`)",
                review.approvers.join(", "),
                file.display()
            ),
            (Some(file), true) => format!("`{}` names no owner for these files", file.display()),
            (None, _) => "no CODEOWNERS file: a maintainer of the fast path".to_string(),
        },
    };
    item(&approval, out)?;
    if let Some(source) = &review.usage_source {
        writeln!(out)?;
        writeln!(out, "Usage evidence: `{source}`.")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "<sub>Generated by `fastpath review --against {}`.</sub>",
        review.against
    )
}
