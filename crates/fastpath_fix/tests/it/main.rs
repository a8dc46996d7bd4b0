//! Integration tests of the fix engine: the fixture harness (ruff's idea: apply fixes until
//! nothing changes, then prove the result compiles and behaves the same).

mod harness;
