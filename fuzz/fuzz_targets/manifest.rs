//! libFuzzer entry for `checks::manifest` (see that module for the properties checked).
#![no_main]

#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::manifest::check(data));
