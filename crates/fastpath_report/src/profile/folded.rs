//! `--format folded`: one `root;child;grandchild weight` line per module, weighted by median
//! self time in microseconds, for `flamegraph.pl` and speedscope (import the file as "folded
//! stacks"). The stacks follow the importtime nesting, not the static graph.

use std::io::{self, Write};

use super::ProfileView;

pub fn render_folded(view: &ProfileView<'_>, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(fastpath_profile::folded(view.profile).as_bytes())
}
