//! Accountability for fastpath: whether the cold start got slower, by how much, and who did it.
//!
//! [`series`] keeps measured runs sample by sample; [`decision`] is the rank-based test with a
//! minimum effect; [`gate`] runs it sequentially and attributes growth along the import tree;
//! [`baseline`] is the committed `fastpath-baseline.json`; [`store`] the SQLite history of
//! `fastpath record`, drawn by [`chart`]; [`git`] answers who wrote a line and checks a revision
//! out for `check --against`, and [`blame`] asks it about many lines at once; [`reference`] is
//! the gate `check` runs against a baseline or a revision, with its runs injected;
//! [`environment`] says whether two measurements are comparable. Nothing here prints or parses
//! arguments; the clock is read only by [`clock`] (`FASTPATH_TODAY` fixes it).

pub mod baseline;
pub mod blame;
pub mod calibration;
pub mod chart;
pub mod clock;
pub mod decision;
pub mod environment;
pub mod gate;
pub mod git;
mod jsonfmt;
pub mod reference;
pub mod series;
pub mod store;
