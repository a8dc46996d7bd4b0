//! What an `if` test means for the imports under it.
//!
//! Four tests matter to a cold path: `TYPE_CHECKING` (the body never runs), `__name__ ==
//! "__main__"` (the body runs only as a script), and tests on the interpreter that are decided
//! before the program starts: `sys.version_info`, `sys.platform`, `os.name`, `platform.system()`
//! and the `PY2`/`PY3` flags of `six` and friends. A test that cannot be decided (no target, or
//! any other expression) is `Unknown`, and both branches count. Shared by both scanners so they
//! cannot disagree.

use ruff_python_ast::{BoolOp, CmpOp, Expr, Number, UnaryOp};

use crate::Target;

/// What an `if` test says about its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// `TYPE_CHECKING`, `typing.TYPE_CHECKING`, `a.b.TYPE_CHECKING`: the body never runs
    /// (see [`classify`] for `TYPE_CHECKING or <test>`).
    TypeChecking,
    /// `__name__ == "__main__"`, either way round: the body runs only as a script.
    MainGuard,
    /// Decided for the target: the body runs (`true`) or never does.
    Decided(bool),
    /// Not known before the program runs: both branches count.
    Unknown,
}

/// What the test of an `if` (or `elif`) means for the imports under it, on `target` (without
/// one, only `TYPE_CHECKING` and main guards are decided).
pub fn classify(test: &Expr, target: Option<&Target>) -> Test {
    if is_type_checking(test) {
        return Test::TypeChecking;
    }
    if is_main_guard(test) {
        return Test::MainGuard;
    }
    // `if TYPE_CHECKING or <runtime test>:` is the lazy-loading idiom (anyio): the body is the
    // type checker's view, and at run time a fallback for when the lazy loader cannot be
    // installed. Unless the runtime test is known to be true, the body counts as type-checking.
    if let Expr::BoolOp(bool_op) = test {
        if bool_op.op == BoolOp::Or && bool_op.values.iter().any(is_type_checking) {
            let rest = bool_op
                .values
                .iter()
                .filter(|v| !is_type_checking(v))
                .map(|v| evaluate(v, target));
            return match kleene(rest, true) {
                Some(true) => Test::Decided(true),
                _ => Test::TypeChecking,
            };
        }
    }
    match evaluate(test, target) {
        Some(value) => Test::Decided(value),
        None => Test::Unknown,
    }
}

/// `TYPE_CHECKING` as a name or as the last attribute of any dotted or other expression
/// (`typing.TYPE_CHECKING`, `a.b.TYPE_CHECKING`).
pub fn is_type_checking(test: &Expr) -> bool {
    match test {
        Expr::Name(name) => name.id.as_str() == "TYPE_CHECKING",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "TYPE_CHECKING",
        _ => false,
    }
}

/// `__name__ == "__main__"` or `"__main__" == __name__`.
pub fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(compare) = test else {
        return false;
    };
    if compare.ops.len() != 1 || compare.ops[0] != CmpOp::Eq {
        return false;
    }
    let (left, right) = (&*compare.left, &compare.comparators[0]);
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| matches!(e, Expr::StringLiteral(s) if s.value.to_str() == "__main__");
    (is_name(left) && is_main(right)) || (is_main(left) && is_name(right))
}

/// Three-valued evaluation: `None` when the value is not known before the program runs.
fn evaluate(test: &Expr, target: Option<&Target>) -> Option<bool> {
    match test {
        Expr::BooleanLiteral(literal) => Some(literal.value),
        Expr::NumberLiteral(number) => match &number.value {
            Number::Int(int) => int.as_u64().map(|v| v != 0),
            _ => None,
        },
        Expr::UnaryOp(unary) if unary.op == UnaryOp::Not => {
            evaluate(&unary.operand, target).map(|v| !v)
        }
        Expr::BoolOp(bool_op) => {
            let values = bool_op.values.iter().map(|v| evaluate(v, target));
            match bool_op.op {
                // Kleene logic: one known `False` decides an `and`, one known `True` an `or`.
                BoolOp::And => kleene(values, false),
                BoolOp::Or => kleene(values, true),
            }
        }
        Expr::Name(_) | Expr::Attribute(_) => python_flag(test, target?),
        Expr::Compare(compare) if compare.ops.len() == 1 => compare_interpreter(
            &compare.left,
            compare.ops[0],
            &compare.comparators[0],
            target?,
        ),
        Expr::Call(call) => {
            // sys.platform.startswith("linux") / ("win32", "cygwin")
            let Expr::Attribute(method) = &*call.func else {
                return None;
            };
            if method.attr.as_str() != "startswith"
                || !is_dotted(&method.value, &["sys", "platform"])
            {
                return None;
            }
            let target = target?;
            let [argument] = &*call.arguments.args else {
                return None;
            };
            let prefixes = string_or_strings(argument)?;
            Some(
                prefixes
                    .iter()
                    .any(|p| target.platform.starts_with(p.as_str())),
            )
        }
        _ => None,
    }
}

fn kleene(values: impl Iterator<Item = Option<bool>>, deciding: bool) -> Option<bool> {
    let mut unknown = false;
    for value in values {
        match value {
            Some(v) if v == deciding => return Some(deciding),
            Some(_) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(!deciding)
}

/// `PY2`, `PY3`, `six.PY3`, ...: flags whose meaning every library agrees on.
fn python_flag(expr: &Expr, target: &Target) -> Option<bool> {
    let name = match expr {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        _ => return None,
    };
    match name {
        "PY2" | "IS_PY2" | "is_py2" => Some(target.version.0 == 2),
        "PY3" | "PY3K" | "IS_PY3" | "is_py3" => Some(target.version.0 == 3),
        _ => None,
    }
}

fn is_dotted(expr: &Expr, parts: &[&str]) -> bool {
    match (expr, parts) {
        (Expr::Name(name), [only]) => name.id.as_str() == *only,
        (Expr::Attribute(attribute), [rest @ .., last]) => {
            attribute.attr.as_str() == *last && is_dotted(&attribute.value, rest)
        }
        _ => false,
    }
}

fn string_or_strings(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::StringLiteral(s) => Some(vec![s.value.to_str().to_string()]),
        Expr::Tuple(tuple) => tuple
            .elts
            .iter()
            .map(|e| match e {
                Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                _ => None,
            })
            .collect(),
        Expr::List(list) => list
            .elts
            .iter()
            .map(|e| match e {
                Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn int_literal(expr: &Expr) -> Option<u64> {
    match expr {
        Expr::NumberLiteral(number) => match &number.value {
            Number::Int(int) => int.as_u64(),
            _ => None,
        },
        _ => None,
    }
}

/// A value known from the target, on one side of a comparison.
enum Known {
    /// `sys.version_info` or a slice of it: a prefix of (major, minor, micro...) where only
    /// `major` and `minor` are known.
    Version(Vec<u64>, bool),
    Int(u64),
    Str(String),
}

fn known_value(expr: &Expr, target: &Target) -> Option<Known> {
    let (major, minor) = (target.version.0 as u64, target.version.1 as u64);
    if is_dotted(expr, &["sys", "version_info"]) {
        // Only major and minor are known; anything finer is unknown.
        return Some(Known::Version(vec![major, minor], true));
    }
    if is_dotted(expr, &["sys", "platform"]) {
        return Some(Known::Str(target.platform.clone()));
    }
    if is_dotted(expr, &["os", "name"]) {
        return Some(Known::Str(target.os_name().to_string()));
    }
    match expr {
        Expr::Attribute(attribute) if is_dotted(&attribute.value, &["sys", "version_info"]) => {
            match attribute.attr.as_str() {
                "major" => Some(Known::Int(major)),
                "minor" => Some(Known::Int(minor)),
                _ => None,
            }
        }
        Expr::Subscript(subscript) if is_dotted(&subscript.value, &["sys", "version_info"]) => {
            match &*subscript.slice {
                Expr::Slice(slice) if slice.lower.is_none() && slice.step.is_none() => {
                    let upper = int_literal(slice.upper.as_deref()?)? as usize;
                    let known = [major, minor];
                    Some(Known::Version(known[..upper.min(2)].to_vec(), upper > 2))
                }
                index => match int_literal(index)? {
                    0 => Some(Known::Int(major)),
                    1 => Some(Known::Int(minor)),
                    _ => None,
                },
            }
        }
        Expr::Call(call)
            if call.arguments.is_empty() && is_dotted(&call.func, &["platform", "system"]) =>
        {
            let system = match target.platform.as_str() {
                "win32" | "cygwin" => "Windows",
                "darwin" => "Darwin",
                p if p.starts_with("linux") => "Linux",
                p if p.starts_with("freebsd") => "FreeBSD",
                _ => return None,
            };
            Some(Known::Str(system.to_string()))
        }
        _ => None,
    }
}

fn literal(expr: &Expr) -> Option<Known> {
    match expr {
        Expr::StringLiteral(s) => Some(Known::Str(s.value.to_str().to_string())),
        Expr::Tuple(tuple) => {
            let items: Option<Vec<u64>> = tuple.elts.iter().map(int_literal).collect();
            Some(Known::Version(items?, false))
        }
        other => int_literal(other).map(Known::Int),
    }
}

fn compare_interpreter(left: &Expr, op: CmpOp, right: &Expr, target: &Target) -> Option<bool> {
    use std::cmp::Ordering;
    let (known, op, literal_side) = match (known_value(left, target), known_value(right, target)) {
        (Some(known), None) => (known, op, right),
        (None, Some(known)) => (known, flip(op)?, left),
        _ => return None,
    };
    if matches!(op, CmpOp::In | CmpOp::NotIn) {
        let Known::Str(value) = known else {
            return None;
        };
        let options = string_or_strings(literal_side)?;
        let found = options.contains(&value);
        return Some(if op == CmpOp::In { found } else { !found });
    }
    let ordering = match (known, literal(literal_side)?) {
        (Known::Int(a), Known::Int(b)) => a.cmp(&b),
        (Known::Str(a), Known::Str(b)) => {
            return match op {
                CmpOp::Eq => Some(a == b),
                CmpOp::NotEq => Some(a != b),
                _ => None,
            }
        }
        (Known::Version(known, has_more), Known::Version(wanted, _)) => {
            let common = known.len().min(wanted.len());
            match known[..common].cmp(&wanted[..common]) {
                Ordering::Equal if wanted.len() > known.len() => return None,
                // Equal prefix and the interpreter's tuple is longer: it compares greater.
                Ordering::Equal if known.len() > wanted.len() || has_more => Ordering::Greater,
                ordering => ordering,
            }
        }
        _ => return None,
    };
    Some(match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::NotEq => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::LtE => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::GtE => ordering != Ordering::Less,
        _ => return None,
    })
}

fn flip(op: CmpOp) -> Option<CmpOp> {
    Some(match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtE => CmpOp::GtE,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtE => CmpOp::LtE,
        CmpOp::Eq | CmpOp::NotEq => op,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_expression;

    fn test(source: &str, target: Option<&Target>) -> Test {
        let parsed = parse_expression(source).unwrap();
        classify(parsed.expr(), target)
    }

    #[test]
    fn version_tests_are_decided_against_the_target() {
        let py311 = Target::new(3, 11, "linux");
        let cases = [
            ("sys.version_info >= (3, 8)", Test::Decided(true)),
            ("sys.version_info < (3, 8)", Test::Decided(false)),
            ("sys.version_info >= (3, 11)", Test::Decided(true)),
            ("sys.version_info > (3, 11)", Test::Decided(true)),
            ("sys.version_info == (3, 11)", Test::Decided(false)),
            ("sys.version_info >= (3, 11, 4)", Test::Unknown),
            ("sys.version_info >= (3, 12, 0)", Test::Decided(false)),
            ("sys.version_info[0] == 2", Test::Decided(false)),
            ("sys.version_info[:2] >= (3, 9)", Test::Decided(true)),
            ("sys.version_info[:2] == (3, 11)", Test::Decided(true)),
            ("sys.version_info.major < 3", Test::Decided(false)),
            ("(3, 12) <= sys.version_info", Test::Decided(false)),
            ("not PY2", Test::Decided(true)),
            (
                "six.PY3 and sys.version_info >= (3, 10)",
                Test::Decided(true),
            ),
            ("sys.version_info >= (3, 10) or foo", Test::Decided(true)),
            ("sys.version_info < (3, 10) or foo", Test::Unknown),
            ("foo()", Test::Unknown),
        ];
        for (source, expected) in cases {
            assert_eq!(test(source, Some(&py311)), expected, "{source}");
        }
    }

    #[test]
    fn platform_tests_are_decided_against_the_target() {
        let linux = Target::new(3, 11, "linux");
        let cases = [
            ("sys.platform == 'win32'", Test::Decided(false)),
            ("sys.platform != 'win32'", Test::Decided(true)),
            ("sys.platform.startswith('linux')", Test::Decided(true)),
            (
                "sys.platform.startswith(('win', 'cygwin'))",
                Test::Decided(false),
            ),
            ("sys.platform in ('win32', 'cygwin')", Test::Decided(false)),
            ("os.name == 'nt'", Test::Decided(false)),
            ("platform.system() == 'Linux'", Test::Decided(true)),
        ];
        for (source, expected) in cases {
            assert_eq!(test(source, Some(&linux)), expected, "{source}");
        }
    }

    #[test]
    fn without_a_target_interpreter_tests_stay_unknown() {
        assert_eq!(test("sys.version_info >= (3, 8)", None), Test::Unknown);
        assert_eq!(test("False", None), Test::Decided(false));
    }

    #[test]
    fn type_checking_and_main_guard() {
        assert_eq!(test("TYPE_CHECKING", None), Test::TypeChecking);
        assert_eq!(test("typing.TYPE_CHECKING", None), Test::TypeChecking);
        // The fix engine's copy once missed this one: it reads `condition` now.
        assert_eq!(test("a.b.TYPE_CHECKING", None), Test::TypeChecking);
        assert_eq!(test("'__main__' == __name__", None), Test::MainGuard);
        assert_eq!(test("__name__ == '__main__'", None), Test::MainGuard);
        assert_eq!(test("'__main__' == __name__", None), Test::MainGuard);
        assert_eq!(
            test("TYPE_CHECKING or not install_lazy_importer()", None),
            Test::TypeChecking
        );
        let py311 = Target::new(3, 11, "linux");
        assert_eq!(
            test("TYPE_CHECKING or sys.version_info < (3, 12)", Some(&py311)),
            Test::Decided(true)
        );
    }
}
