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

/// `graph(entry)`, which must leave `module` off the cold path.
fn graph_without(entry: &str, module: &str) -> String {
    let output = graph(entry);
    assert!(!output.contains(module), "{output}");
    output
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
    insta::assert_snapshot!(graph_without("version_branch", "leaf_python2"));
}

#[test]
fn import_behind_an_argument_test_stays_off() {
    require_python!();
    insta::assert_snapshot!(graph_without("precision_guard", "leaf_guarded"));
}

#[test]
fn attribute_read_at_import_runs_the_module_getattr() {
    require_python!();
    insta::assert_snapshot!(graph_without("module_attribute_getattr", "lazy.fft"));
}
