//! The context rules: how the blocks around an import decide when it runs.
//!
//! Both scanners (the full parse in `ast` and the fast one in `fast`) carry a [`Context`] down
//! the blocks of a file, and the fix engine asks the same questions of its own tree. The rules
//! live here once, because three copies drifted before (one missed `a.b.TYPE_CHECKING`):
//! - a function or lambda body is `deferred`: it runs only when called (a type-checking
//!   block stays type-checking: nothing under it ever runs);
//! - an `if` block whose test is `TYPE_CHECKING` or a main guard (see [`crate::condition`])
//!   takes that context, except that type-checking wins over everything and a main guard
//!   inside a function stays `deferred`;
//! - a PEP 810 `lazy import` (or one named in `__lazy_modules__`) is `lazy` where it would
//!   otherwise run at import or as a script.

use crate::Context;

/// The context of a function or lambda body defined in `outer`.
pub fn function_body(outer: Context) -> Context {
    if outer == Context::TypeChecking {
        Context::TypeChecking
    } else {
        Context::Deferred
    }
}

/// The context of a block that `block` (`TypeChecking` or `MainGuard`, from an `if` test)
/// opens inside `outer`.
pub fn guarded_block(outer: Context, block: Context) -> Context {
    match (outer, block) {
        (Context::TypeChecking, _) | (Context::Deferred, Context::MainGuard) => outer,
        _ => block,
    }
}

/// The context of an import statement in a block of context `block`: `lazy` when the
/// statement is lazy (`lazy import x`, or named in `__lazy_modules__` on a target that
/// honours it) and would otherwise run at import or as a script.
pub fn import_statement(block: Context, lazy: bool) -> Context {
    if lazy && matches!(block, Context::Eager | Context::MainGuard) {
        Context::Lazy
    } else {
        block
    }
}

/// Whether code in a block of this context runs when its module is imported.
pub fn runs_at_import(context: Context) -> bool {
    context == Context::Eager
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_checking_wins_and_main_guards_in_functions_stay_deferred() {
        use Context::*;
        assert_eq!(function_body(Eager), Deferred);
        assert_eq!(function_body(MainGuard), Deferred);
        assert_eq!(function_body(TypeChecking), TypeChecking);
        assert_eq!(guarded_block(Eager, TypeChecking), TypeChecking);
        assert_eq!(guarded_block(Eager, MainGuard), MainGuard);
        assert_eq!(guarded_block(TypeChecking, MainGuard), TypeChecking);
        assert_eq!(guarded_block(Deferred, MainGuard), Deferred);
        assert_eq!(guarded_block(Deferred, TypeChecking), TypeChecking);
        assert_eq!(guarded_block(MainGuard, TypeChecking), TypeChecking);
        assert_eq!(import_statement(Eager, true), Lazy);
        assert_eq!(import_statement(MainGuard, true), Lazy);
        assert_eq!(import_statement(Deferred, true), Deferred);
        assert_eq!(import_statement(TypeChecking, true), TypeChecking);
        assert_eq!(import_statement(Eager, false), Eager);
        assert!(runs_at_import(Eager) && !runs_at_import(MainGuard));
    }
}
