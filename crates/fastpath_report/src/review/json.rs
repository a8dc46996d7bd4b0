//! `--format json`: the [`Review`] as `fastpath.review/1`, pretty-printed.

use std::io::{self, Write};

use fastpath_history::review::Review;

/// Writes the review as JSON, one trailing newline.
pub fn render_json(review: &Review, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, review)?;
    writeln!(out)
}
