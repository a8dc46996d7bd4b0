//! `fastpath graph` follows calls made at import time into other modules' functions: one
//! entry of the `calls` fixture per shape (imported function, `m.f()`, decorator, class
//! body, base class `__init_subclass__`, metaclass, literal loop, a callee's version branch,
//! an attribute read at import time through a module `__getattr__`),
//! and the precision guard (an import behind an argument test stays off the cold path). Each
//! entry's modules were checked against `sys.modules` after a real import.

use crate::{fastpath, fixtures, require_python, run};

fn graph(entry: &str) -> String {
    let dir = fixtures().join("calls");
    run(fastpath(&dir).args(["graph", entry, "--python", "python3"]))
}

#[test]
fn imported_function_and_what_it_calls() {
    require_python!();
    insta::assert_snapshot!(graph("imported_function"));
}

#[test]
fn imported_function_json_names_the_call_chain() {
    require_python!();
    let dir = fixtures().join("calls");
    insta::assert_snapshot!(run(fastpath(&dir).args([
        "graph",
        "imported_function",
        "--python",
        "python3",
        "--format",
        "json"
    ])));
}

#[test]
fn function_of_an_imported_module() {
    require_python!();
    insta::assert_snapshot!(graph("module_attribute"));
}

#[test]
fn decorator() {
    require_python!();
    insta::assert_snapshot!(graph("decorator"));
}

#[test]
fn call_in_a_class_body() {
    require_python!();
    insta::assert_snapshot!(graph("class_body"));
}

#[test]
fn base_class_init_subclass() {
    require_python!();
    insta::assert_snapshot!(graph("base_class"));
}

#[test]
fn metaclass_new_and_init() {
    require_python!();
    insta::assert_snapshot!(graph("metaclass"));
}

#[test]
fn loop_over_a_literal_tuple() {
    require_python!();
    insta::assert_snapshot!(graph("literal_loop"));
}

#[test]
fn callee_branch_the_target_rules_out() {
    require_python!();
    let output = graph("version_branch");
    assert!(!output.contains("leaf_python2"), "{output}");
    insta::assert_snapshot!(output);
}

#[test]
fn import_behind_an_argument_test_stays_off() {
    require_python!();
    let output = graph("precision_guard");
    assert!(!output.contains("leaf_guarded"), "{output}");
    insta::assert_snapshot!(output);
}

#[test]
fn attribute_read_at_import_runs_the_module_getattr() {
    require_python!();
    let output = graph("module_attribute_getattr");
    assert!(!output.contains("lazy.fft"), "{output}");
    insta::assert_snapshot!(output);
}
