//! The fast scanner on the constructs a line-level scanner gets wrong most easily. Each case
//! checks three things: the fast path was taken (no fallback), the sites are the expected ones,
//! and the whole scan equals the reference scanner's.

use crate::{scan_source_reference, Target};

/// One line per site: `line:column module context [optional(try N)] [fallback(N)] [in f]`.
fn render(source: &str, target: Option<&Target>) -> String {
    let scan = match super::try_scan(source, target) {
        Ok(scan) => scan,
        Err(unsure) => panic!("fell back: {unsure:?}\n{source}"),
    };
    assert_eq!(
        scan,
        scan_source_reference(source, target),
        "differs from the reference scanner:\n{source}"
    );
    let mut out = String::new();
    for s in &scan.sites {
        out.push_str(&format!(
            "{}:{} {}{} {}",
            s.line,
            s.column,
            ".".repeat(s.level as usize),
            s.module,
            s.context.as_str()
        ));
        if let Some(alias) = &s.alias {
            out.push_str(&format!(" as {alias}"));
        }
        for name in &s.names {
            out.push_str(&format!(" {}", name.name));
            if let Some(asname) = &name.asname {
                out.push_str(&format!("={asname}"));
            }
        }
        if s.optional {
            out.push_str(&format!(" optional(try {})", s.try_id.unwrap()));
        }
        if let Some(id) = s.fallback_for {
            out.push_str(&format!(" fallback({id})"));
        }
        if let Some(f) = &s.function {
            out.push_str(&format!(" in {f}"));
        }
        if s.conditional {
            out.push_str(" conditional");
        }
        out.push('\n');
    }
    out
}

fn falls_back(source: &str) -> bool {
    super::try_scan(source, None).is_err()
}

#[test]
fn imports_inside_strings_docstrings_and_comments_are_not_sites() {
    let source = r#""""Docstring: import not_a_site
from nowhere import nothing
"""
import real  # import commented
# import commented_out
s = 'import in_string'
b = b"import in_bytes"
t = '''
import in_triple
'''
r = r"import \" in_raw"
"#;
    assert_eq!(render(source, None), "4:1 real eager\n");
}

#[test]
fn fstrings_with_nested_quotes_and_braces_end_where_python_ends_them() {
    let source = r#"x = f"{d["import"]!r:>{width}} {'{'} {{not a field}} {y = }"
y = f'{f"{inner}"}' + rf"\{raw}" + t"{template}"
z = f"""
{value
 + 1}
import not_a_site
"""
import after
"#;
    assert_eq!(render(source, None), "8:1 after eager\n");
    // A dynamic import inside a replacement field is rare enough to hand over.
    assert!(falls_back("x = f\"{__import__('os')}\"\n"));
}

#[test]
fn line_continuations_and_multi_line_parentheses_keep_statement_positions() {
    let source = "import \\\n    continued\nfrom concurrent.futures import (\n    ThreadPoolExecutor,\n    ProcessPoolExecutor as Pool,\n)\nx = (1,\n     2); import after_semicolon\n";
    assert_eq!(
        render(source, None),
        "1:1 continued eager\n\
         3:1 concurrent.futures eager ThreadPoolExecutor ProcessPoolExecutor=Pool\n\
         8:10 after_semicolon eager\n"
    );
}

#[test]
fn every_alias_of_an_import_is_a_site() {
    let source =
        "import a, b as c, d.e.f as g, h . i\nfrom .. import x as y, z\nfrom ...pkg.sub import *\n";
    assert_eq!(
        render(source, None),
        "1:1 a eager\n1:1 b eager as c\n1:1 d.e.f eager as g\n1:1 h.i eager\n\
         2:1 .. eager x=y z\n3:1 ...pkg.sub eager *\n"
    );
}

#[test]
fn lazy_imports_are_a_soft_keyword() {
    let source = "lazy import heavy\nlazy from pkg import name\nlazy = 1\nimport lazy\ndef f():\n    lazy import inside\n";
    assert_eq!(
        render(source, None),
        "1:1 heavy lazy\n2:1 pkg lazy name\n4:1 lazy eager\n6:5 inside deferred in f\n"
    );
}

#[test]
fn type_checking_blocks_and_their_else_branch() {
    let source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from a import A\n    if other:\n        import nested\nelse:\n    A = None\n    import runtime\nif typing.TYPE_CHECKING: import inline\n";
    assert_eq!(
        render(source, None),
        "1:1 typing eager TYPE_CHECKING\n3:5 a type-checking A\n5:9 nested type-checking conditional\n\
         8:5 runtime eager\n9:26 inline type-checking\n"
    );
}

#[test]
fn one_line_try_except_guards_the_import() {
    let source = "try: import ujson\nexcept ImportError: import json as ujson\ntry: import a\nexcept ValueError: pass\n";
    assert_eq!(
        render(source, None),
        "1:6 ujson eager optional(try 0)\n2:21 json eager as ujson fallback(0) conditional\n3:6 a eager\n"
    );
}

#[test]
fn try_ids_count_every_live_try_and_skip_dead_branches() {
    let source = "import sys\nif sys.platform == 'win32':\n    try:\n        import winreg\n    except ImportError:\n        pass\ntry:\n    import a\n    try:\n        import b\n    except KeyError:\n        pass\nexcept (ImportError, OSError):\n    import c\nelse:\n    import d\nfinally:\n    import e\n";
    let linux = Target::new(3, 11, "linux");
    assert_eq!(
        render(source, Some(&linux)),
        "1:1 sys eager\n8:5 a eager optional(try 0)\n10:9 b eager optional(try 0)\n\
         14:5 c eager fallback(0) conditional\n16:5 d eager\n18:5 e eager\n"
    );
    assert_eq!(
        render(source, None),
        "1:1 sys eager\n4:9 winreg eager optional(try 0) conditional\n8:5 a eager optional(try 1)\n\
         10:9 b eager optional(try 1)\n14:5 c eager fallback(1) conditional\n16:5 d eager\n18:5 e eager\n"
    );
}

#[test]
fn decorators_are_eager_calls_and_their_arguments_are_walked() {
    let source = "@register\n@app.route('/', methods=__import__('m'))\ndef view():\n    import inside\n@dataclass\nclass C:\n    pass\n";
    let scan = super::try_scan(source, None).unwrap();
    let calls: Vec<(&str, u32)> = scan.eager_call_sites().collect();
    assert_eq!(calls, [("register", 1), ("app.route", 2), ("dataclass", 5)]);
    assert_eq!(
        render(source, None),
        "2:25 m eager\n4:5 inside deferred in view\n"
    );
}

#[test]
fn class_bodies_run_at_import_and_methods_are_named_with_their_class() {
    let source = "class Model(Base):\n    import in_class\n    class Inner:\n        def method(self):\n            from x import y\n    def run(self):\n        import z\n";
    assert_eq!(
        render(source, None),
        "2:5 in_class eager\n5:13 x deferred y in Model.Inner.method\n7:9 z deferred in Model.run\n"
    );
}

#[test]
fn nested_functions_and_lambdas_are_deferred() {
    let source = "def outer():\n    def inner():\n        import deep\n    return inner\nf = lambda: __import__('in_lambda')\ng = importlib.import_module('eager_dynamic')\nasync def coro():\n    async with lock:\n        import in_async\n";
    assert_eq!(
        render(source, None),
        "3:9 deep deferred in outer.<locals>.inner\n5:13 in_lambda deferred in <lambda>\n\
         6:5 eager_dynamic eager\n9:9 in_async deferred in coro\n"
    );
}

#[test]
fn match_is_a_statement_only_where_it_heads_a_block() {
    let source = "match = 3\nmatch(x)\nmatch.attr = 1\nprint(match[0])\nmatch command:\n    case 'go':\n        import going\n    case Point(x=0) | [1, *rest] | {'k': v, **kw} if guard:\n        import complex_case\n    case _: import inline_case\ncase = 5\n";
    assert_eq!(
        render(source, None),
        "7:9 going eager conditional\n9:9 complex_case eager conditional\n10:13 inline_case eager conditional\n"
    );
}

#[test]
fn interpreter_tests_follow_the_target() {
    let source = "import sys\nif sys.version_info >= (3, 11):\n    import tomllib\nelif sys.version_info >= (3, 8):\n    import tomli\nelse:\n    import toml\nif __name__ == '__main__':\n    import cli\n";
    let py311 = Target::new(3, 11, "linux");
    assert_eq!(
        render(source, Some(&py311)),
        "1:1 sys eager\n3:5 tomllib eager\n9:5 cli main-guard\n"
    );
    let py39 = Target::new(3, 9, "linux");
    assert_eq!(
        render(source, Some(&py39)),
        "1:1 sys eager\n5:5 tomli eager\n9:5 cli main-guard\n"
    );
    assert_eq!(
        render(source, None),
        "1:1 sys eager\n3:5 tomllib eager conditional\n5:5 tomli eager conditional\n\
         7:5 toml eager conditional\n9:5 cli main-guard\n"
    );
}

#[test]
fn module_facts_are_read_from_literals() {
    let source = "__all__ = ['a', \"b\"]\n__all__ += ('c',)\n__all__.extend(['d'])\n__lazy_modules__ = 'json', 'yaml'\ndef __getattr__(name):\n    pass\nsetup()\nvalue = make.thing()\nx: T = build.it()\ny = (wrapped)()\n";
    let scan = super::try_scan(source, None).unwrap();
    assert_eq!(scan, scan_source_reference(source, None));
    assert_eq!(scan.all, Some(vec!["a".into(), "b".into(), "c".into()]));
    assert_eq!(scan.lazy_modules, Some(vec!["json".into(), "yaml".into()]));
    assert!(scan.has_getattr);
    assert_eq!(
        scan.eager_calls,
        [
            "__all__.extend",
            "setup",
            "make.thing",
            "build.it",
            "wrapped"
        ]
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let source = "é = 1; import after_accent\ns = 'ü'; import after_string\n";
    assert_eq!(
        render(source, None),
        "1:8 after_accent eager\n2:10 after_string eager\n"
    );
}

#[test]
fn anything_unsure_falls_back() {
    for source in [
        "print 'python 2'\n",
        "exec code in ns\n",
        "raise E, 'message'\n",
        "x = 0777\n",
        "def f((a, b)): pass\n",
        "if x:\nimport y\n",
        "if x:\n    a\n  b\n",
        "try:\n    import a\nimport b\n",
        "else:\n    pass\n",
        "@decorator\nx = 1\n",
        "f() = 1\n",
        "a + not b\n",
        "x = 'unterminated\n",
        "x = (1,\n",
        "import a.b as c.d\n",
        "from x import a,\n",
        "def f(a=1, b): pass\n",
        "f(a=1, b)\n",
        "x = b'bytes' 'str'\n",
        "ｗｉｄｔｈ = 1\n",
        "x = 1\ry = 2\n",
    ] {
        assert!(falls_back(source), "should fall back: {source:?}");
        assert!(
            !scan_source_reference(source, None).problems.is_empty()
                || source.contains('\r')
                || source.contains('ｗ'),
            "the reference should see an error in {source:?}"
        );
    }
}

#[test]
fn calls_in_function_bodies_are_listed_in_the_reference_visitor_order() {
    // Comprehensions walk their generators first, conditionals their test first, calls their
    // positional arguments before keywords; f-string fields are walked like any expression.
    let source = "def f(x):\n    a()\n    [b(y) for y in c() if d(y)]\n    e() if g() else h()\n    k(key=m(), *n())\n    s = f\"{p(x)!r:{q()}}\"\n    if x:\n        not_certain()\n    for i in x:\n        in_loop()\n    a()\n";
    let scan = super::try_scan(source, None).unwrap();
    assert_eq!(scan, scan_source_reference(source, None));
    assert_eq!(
        scan.calls["f"],
        ["a", "c", "d", "b", "g", "e", "h", "k", "n", "m", "p", "q"]
    );
}

#[test]
fn aliases_registers_and_literal_loops() {
    let source = "import sys\nget = other.get\nsys.modules['fake.name'] = sys.modules[__name__]\nfor name in ('json', 'csv'):\n    __import__(name)\nfor (module) in ['a.b']:\n    importlib.import_module(module)\nfor other in names:\n    __import__(other)\n";
    let scan = super::try_scan(source, None).unwrap();
    assert_eq!(scan, scan_source_reference(source, None));
    assert_eq!(scan.aliases["get"], "other.get");
    assert_eq!(scan.registers, ["fake.name"]);
    assert_eq!(
        render(source, None),
        "1:1 sys eager\n5:5 json eager\n5:5 csv eager\n7:5 a.b eager\n"
    );
}

#[test]
fn escapes_in_literals_decode_as_python_decodes_them() {
    let source =
        "__all__ = ['\\x61\\u00e9', 'tab\\t', '\\N{LATIN SMALL LETTER A}', 'keep\\d', '\\101']\n";
    let scan = super::try_scan(source, None).unwrap();
    assert_eq!(scan, scan_source_reference(source, None));
    assert_eq!(
        scan.all,
        Some(vec![
            "a\u{e9}".into(),
            "tab\t".into(),
            "a".into(),
            "keep\\d".into(),
            "A".into()
        ])
    );
}

#[test]
fn lazy_modules_make_only_the_later_imports_lazy_on_targets_that_honour_them() {
    let source = "import json\n__lazy_modules__ = ['json', 'csv']\nimport json\nfrom csv import reader\ndef f():\n    import json\n";
    let py315 = Target::new(3, 15, "linux");
    assert_eq!(
        render(source, Some(&py315)),
        "1:1 json eager\n3:1 json lazy\n4:1 csv lazy reader\n6:5 json deferred in f\n"
    );
    let py311 = Target::new(3, 11, "linux");
    assert_eq!(
        render(source, Some(&py311)),
        "1:1 json eager\n3:1 json eager\n4:1 csv eager reader\n6:5 json deferred in f\n"
    );
}

#[test]
fn class_bases_and_metaclass_are_eager_calls_of_their_hooks() {
    let source = "class A(Base, mod.Mixin, Generic[T], *more, metaclass=abc.ABCMeta, x=1):\n    pass\nclass B(a . b):\n    pass\ndef f():\n    class C(Hidden):\n        pass\n";
    let scan = super::try_scan(source, None).unwrap();
    assert_eq!(scan, scan_source_reference(source, None));
    let calls: Vec<(&str, u32)> = scan.eager_call_sites().collect();
    assert_eq!(
        calls,
        [
            ("Base.__init_subclass__", 1),
            ("mod.Mixin.__init_subclass__", 1),
            ("abc.ABCMeta.__new__", 1),
            ("abc.ABCMeta.__init__", 1),
            ("a.b.__init_subclass__", 3),
        ]
    );
}

#[test]
fn attribute_chains_evaluated_at_import_are_kept_with_their_first_line() {
    let source = "import numpy as np\n\
                  Kind = int | np.random.Generator\n\
                  class C(base.K):\n    cls = futures.Pool\n    def m(self, d=np.dtypes.X) -> ann.T:\n        return np.fft.f\n\
                  f = lambda: np.ma.x\nv: anno.T = np.random.Generator\nc.attr: int = 1\n\
                  if TYPE_CHECKING:\n    t = np.typing.X\n";
    let fast = super::try_scan(source, None).unwrap();
    let reference = crate::scan_source_reference(source, None);
    let chains: Vec<(&str, u32)> = fast
        .eager_attributes
        .iter()
        .map(|(chain, &line)| (chain.as_str(), line))
        .collect();
    // Not kept: a method's body, a lambda, annotations, an annotated assignment's target, a
    // `TYPE_CHECKING` block.
    assert_eq!(
        chains,
        [
            ("base.K", 3),
            ("futures.Pool", 4),
            ("np.dtypes.X", 5),
            ("np.random.Generator", 2)
        ]
    );
    assert_eq!(fast.eager_attributes, reference.eager_attributes);
}

#[test]
fn a_loop_over_a_name_bound_to_literal_strings_just_before_imports_them() {
    let source = "_deps = (\"numpy\", \"dateutil\")\n\nfor _dep in _deps:\n    __import__(_dep)\n\
                  other = ('a',)\nx = 1\nfor o in other:\n    __import__(o)\n\
                  y = 1; late = ('b',)\nfor l in late:\n    __import__(l)\n";
    assert_eq!(
        render(source, None),
        "4:5 numpy eager\n4:5 dateutil eager\n"
    );
    let fast = super::try_scan(source, None).unwrap();
    assert_eq!(fast, crate::scan_source_reference(source, None));
}
