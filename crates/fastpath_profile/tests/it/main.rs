//! Integration tests of `fastpath_profile`: one binary, a module per feature.
//!
//! `fixtures` parses importtime output captured from real interpreters (no interpreter needed);
//! `interpreters` runs the real ones present on the machine and skips, saying so, the others.

mod fixtures;
mod interpreters;
