//! Measured cold start of a Python entry: fresh interpreter runs under `-X importtime`, the
//! parsed import trees, robust statistics over runs, and what deferring each import would save.
//!
//! The CLI owns argument parsing and rendering; this crate owns measuring and the numbers.
//! Data flows one way: [`runner`] produces raw runs, [`importtime`] parses each run's report,
//! [`profile`] summarises runs with [`stats`] into a serialisable [`Profile`], [`savings`] prices
//! deferrable import sites on a cold-path graph, and [`observed`] records what loaded but was not
//! predicted; [`costed`] joins a profile with the static cold path (`fastpath_graph`): which
//! statement pulled each module in, and the graph [`savings`] prices; [`saved`] reads a profile
//! written earlier. Nothing here prints: progress goes through a callback.

pub mod costed;
pub mod importtime;
pub mod observed;
pub mod profile;
pub mod runner;
pub mod saved;
pub mod savings;
pub mod stats;
pub mod usage;

pub use profile::{folded, ModuleStats, Profile};
