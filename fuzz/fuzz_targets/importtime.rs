//! libFuzzer entry for `checks::importtime` (see that module for the properties checked).
#![no_main]

#[path = "../checks/mod.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::importtime::check(data));
