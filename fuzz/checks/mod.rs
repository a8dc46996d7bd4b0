//! What each fuzz target checks, shared by the libFuzzer targets (`fuzz/fuzz_targets/`, nightly)
//! and the stable replay of the committed corpus (`crates/fastpath/tests/it/fuzz_corpus.rs`), so
//! `cargo test` runs every committed input through exactly the checks that found it.
//!
//! Each `check(data)` panics when a property fails; any other panic inside the code under test
//! is a finding too. Only workspace dependencies are used here (the replay test includes these
//! files with `#[path]`), so structured inputs are drawn with the small [`input::Input`] reader
//! instead of the `arbitrary` crate.

#![allow(dead_code)]

pub mod importtime;
pub mod input;
pub mod manifest;
pub mod render;
pub mod scan;
