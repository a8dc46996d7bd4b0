//! The check renderers (full, concise, JSON, SARIF, GitHub) and the graph renderers (text, JSON,
//! DOT, Mermaid, and the `--all` tree) on arbitrary module names, file names (not always UTF-8,
//! as Linux allows), messages and positions.
//!
//! Properties: no renderer fails or panics; JSON and SARIF are valid JSON that carry every
//! name and message exactly as given; GitHub annotations stay one line per finding.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fastpath_check::{Diagnostic, Label, Location, RULES};
use fastpath_graph::cold_path::{
    Call, CallChain, ColdPath, Edge, FileProblem, Module, Unresolved, Via,
};
use fastpath_graph::tree::{Tree, TreeFile, TreeSite, TreeTarget};
use fastpath_graph::{ModuleKind, Origin};
use fastpath_report::check::RepositoryFiles;
use fastpath_report::graph::GraphView;
use fastpath_scan::{Context, ImportSite, Problem, ProblemKind, SiteKind};
use serde_json::Value;

use super::input::Input;

const PIECES: &[&str] = &[
    "a",
    "pkg.mod",
    "é",
    "中文",
    "\"",
    "\\",
    "\n",
    "\r\n",
    "%",
    ":",
    ",",
    "::",
    "<",
    ">",
    "&",
    "]",
    "[",
    "}",
    "{",
    "-->",
    "#quot;",
    "\u{1b}[31m",
    "\t",
    " ",
    "\u{0}",
    "..",
    "/",
    "\u{202e}",
];
const ORIGINS: &[Origin] = &[
    Origin::Project,
    Origin::Stdlib,
    Origin::ThirdParty,
    Origin::Builtin,
    Origin::Extension,
    Origin::Namespace,
];
const KINDS: &[ModuleKind] = &[
    ModuleKind::Source,
    ModuleKind::Package,
    ModuleKind::Namespace,
    ModuleKind::Extension,
    ModuleKind::Builtin,
    ModuleKind::Bytecode,
];
const CONTEXTS: &[Context] = &[
    Context::Eager,
    Context::Deferred,
    Context::TypeChecking,
    Context::Lazy,
    Context::MainGuard,
    Context::Observed,
];

/// A name made of tricky pieces and raw fuzzer text.
fn name(u: &mut Input<'_>) -> String {
    let mut out = String::new();
    for _ in 0..u.range(0, 4) {
        if u.bool() {
            let piece = *u.choose(PIECES);
            out.push_str(piece);
        } else {
            out.push_str(&u.text(12));
        }
    }
    out
}

/// A path, sometimes with bytes that are not UTF-8, sometimes the source file that exists.
fn path(u: &mut Input<'_>) -> PathBuf {
    match u.byte() % 4 {
        0 => PathBuf::from("src.py"),
        1 => {
            let mut bytes = name(u).into_bytes();
            bytes.push(0xff);
            bytes.extend_from_slice(b".py");
            PathBuf::from(OsStr::from_bytes(&bytes))
        }
        _ => PathBuf::from(name(u)),
    }
}

fn number(u: &mut Input<'_>) -> u32 {
    match u.byte() % 4 {
        0 => 0,
        1 => u32::MAX,
        _ => u.range(1, 40) as u32,
    }
}

fn location(u: &mut Input<'_>) -> Location {
    let mut l = Location::new(path(u), number(u), number(u));
    if u.bool() {
        l.end_column = Some(number(u));
    }
    l
}

fn diagnostic(u: &mut Input<'_>) -> Diagnostic {
    let rule = *u.choose(RULES);
    let loc = u.bool().then(|| location(u));
    let mut d = Diagnostic::new(rule, name(u), loc);
    for _ in 0..u.range(0, 3) {
        d.chain.push(Label {
            location: location(u),
            message: name(u),
        });
    }
    for _ in 0..u.range(0, 2) {
        d.notes.push(name(u));
    }
    if u.bool() {
        d.help = Some(name(u));
    }
    d
}

fn via(u: &mut Input<'_>, modules: &[String]) -> Via {
    Via {
        module: if modules.is_empty() || u.one_in(5) {
            name(u)
        } else {
            u.choose(modules).clone()
        },
        path: path(u),
        line: number(u),
        column: number(u),
        context: *u.choose(CONTEXTS),
        statement: name(u),
        call: u.bool().then(|| CallChain {
            calls: (0..u.range(0, 2))
                .map(|_| Call {
                    callee: name(u),
                    module: name(u),
                    function: name(u),
                })
                .collect(),
            module: name(u),
            path: path(u),
            line: number(u),
            statement: name(u),
        }),
    }
}

fn cold_path(u: &mut Input<'_>) -> ColdPath {
    let mut names: Vec<String> = Vec::new();
    let mut modules = Vec::new();
    for i in 0..u.range(1, 8) {
        let n = name(u);
        modules.push(Module {
            name: n.clone(),
            path: u.bool().then(|| path(u)),
            origin: *u.choose(ORIGINS),
            kind: *u.choose(KINDS),
            via: (i > 0).then(|| via(u, &names)),
        });
        names.push(n);
    }
    let count = modules.len() as u64;
    let edges = (0..u.range(0, 6))
        .map(|_| Edge {
            from: u.range(0, count - 1) as usize,
            to: u.range(0, count - 1) as usize,
            line: number(u),
            column: number(u),
            context: *u.choose(CONTEXTS),
        })
        .collect();
    ColdPath {
        entry: names[0].clone(),
        modules,
        unresolved: (0..u.range(0, 3))
            .map(|_| Unresolved {
                name: name(u),
                via: via(u, &names),
                optional: u.bool(),
            })
            .collect(),
        preloaded: (0..u.range(0, 2)).map(|_| name(u)).collect(),
        edges,
        problems: (0..u.range(0, 2))
            .map(|_| FileProblem {
                path: path(u),
                problem: problem(u),
            })
            .collect(),
    }
}

fn problem(u: &mut Input<'_>) -> Problem {
    Problem {
        kind: *u.choose(&[
            ProblemKind::Syntax,
            ProblemKind::Encoding,
            ProblemKind::Unreadable,
        ]),
        message: name(u),
        line: number(u),
        column: number(u),
    }
}

fn tree(u: &mut Input<'_>) -> Tree {
    let files = (0..u.range(0, 4))
        .map(|_| TreeFile {
            path: path(u),
            module: u.bool().then(|| name(u)),
            sites: (0..u.range(0, 3))
                .map(|_| TreeSite {
                    site: ImportSite::new(
                        SiteKind::Import,
                        name(u),
                        u.range(0, 3) as u32,
                        *u.choose(CONTEXTS),
                        number(u),
                        number(u),
                    ),
                    targets: (0..u.range(0, 2))
                        .map(|_| TreeTarget {
                            name: name(u),
                            path: u.bool().then(|| path(u)),
                            origin: *u.choose(ORIGINS),
                        })
                        .collect(),
                    unresolved: (0..u.range(0, 2)).map(|_| name(u)).collect(),
                })
                .collect(),
            problems: (0..u.range(0, 2)).map(|_| problem(u)).collect(),
        })
        .collect();
    Tree {
        files,
        bytes: u.u64(),
    }
}

/// A directory holding `src.py`, for the full renderer's snippets (written once per process;
/// its content is one of a few shapes, chosen per input).
fn root(u: &mut Input<'_>) -> &'static Path {
    static ROOTS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    let roots = ROOTS.get_or_init(|| {
        let base =
            std::env::temp_dir().join(format!("fastpath-fuzz-render-{}", std::process::id()));
        let sources: [&[u8]; 4] = [
            b"import json\nimport os  # 3ms\n",
            b"\xff\xfe bad \r\n\tx = '\xe9'\n",
            b"",
            "é中\u{1b}[0m\n\n\nimport a.b as c\n".as_bytes(),
        ];
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let dir = base.join(i.to_string());
                std::fs::create_dir_all(&dir).expect("temp dir");
                std::fs::write(dir.join("src.py"), s).expect("temp file");
                dir
            })
            .collect()
    });
    u.choose(roots).as_path()
}

fn lossy(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn json(bytes: &[u8], what: &str) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{what} is not JSON: {e}"))
}

fn check_diagnostics(u: &mut Input<'_>) {
    let diagnostics: Vec<Diagnostic> = (0..u.range(0, 4)).map(|_| diagnostic(u)).collect();
    let root = root(u);
    // Which named files belong to the repository, and where the project sits in it.
    let prefix = if u.bool() {
        PathBuf::new()
    } else {
        PathBuf::from(name(u))
    };
    let repository = RepositoryFiles::new(
        prefix,
        if u.bool() {
            RepositoryFiles::named_by(&diagnostics)
        } else {
            Default::default()
        },
    );

    let mut out = Vec::new();
    fastpath_report::check::render_full(&diagnostics, root, u.bool(), &mut out)
        .expect("full renders");
    out.clear();
    fastpath_report::check::render_concise(&diagnostics, &mut out).expect("concise renders");

    out.clear();
    fastpath_report::check::render_github(&diagnostics, &repository, &mut out)
        .expect("github renders");
    let text = String::from_utf8(out.clone()).expect("github output is UTF-8");
    assert_eq!(
        text.lines().count(),
        diagnostics.len(),
        "a GitHub annotation spans more than one line:\n{text}"
    );

    out.clear();
    fastpath_report::check::render_json(&diagnostics, u.bool(), &mut out).expect("json renders");
    let value = json(&out, "check JSON");
    let rendered = value["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(rendered.len(), diagnostics.len());
    for (d, r) in diagnostics.iter().zip(rendered) {
        assert_eq!(r["message"].as_str(), Some(d.message.as_str()));
        assert_eq!(r["code"].as_str(), Some(d.rule.code));
        if let Some(l) = &d.location {
            assert_eq!(r["file"].as_str(), Some(lossy(&l.path).as_str()));
            assert_eq!(r["line"].as_u64(), Some(u64::from(l.line)));
        }
    }

    out.clear();
    fastpath_report::check::render_sarif(&diagnostics, &repository, &mut out)
        .expect("sarif renders");
    let value = json(&out, "SARIF");
    let results = value["runs"][0]["results"]
        .as_array()
        .expect("results array");
    assert_eq!(results.len(), diagnostics.len());
    for (d, r) in diagnostics.iter().zip(results) {
        assert_eq!(r["ruleId"].as_str(), Some(d.rule.code));
        let message = r["message"]["text"].as_str().expect("message text");
        assert!(
            message.contains(d.message.as_str()),
            "SARIF message {message:?} lost {:?}",
            d.message
        );
    }
}

fn check_graph(u: &mut Input<'_>) {
    let path = cold_path(u);
    let root = PathBuf::from(name(u));
    let view = GraphView {
        cold_path: &path,
        python: None,
        root: &root,
    };
    let mut out = Vec::new();
    fastpath_report::graph::render_text(&view, &mut out).expect("text renders");
    out.clear();
    fastpath_report::graph::render_dot(&view, &mut out).expect("dot renders");
    out.clear();
    fastpath_report::graph::render_mermaid(&view, &mut out).expect("mermaid renders");
    out.clear();
    fastpath_report::graph::render_json(&view, &mut out).expect("graph json renders");
    let value = json(&out, "graph JSON");
    assert_eq!(value["entry"].as_str(), Some(path.entry.as_str()));
    let modules = value["modules"].as_array().expect("modules array");
    assert_eq!(modules.len(), path.modules.len());
    for (m, r) in path.modules.iter().zip(modules) {
        assert_eq!(r["name"].as_str(), Some(m.name.as_str()));
    }

    let tree = tree(u);
    out.clear();
    fastpath_report::graph::render_tree_text(&tree, &mut out).expect("tree text renders");
    out.clear();
    fastpath_report::graph::render_tree_json(&tree, &root, None, &mut out)
        .expect("tree json renders");
    let value = json(&out, "tree JSON");
    let files = value["tree"].as_array().expect("tree array");
    assert_eq!(files.len(), tree.files.len());
    for (f, r) in tree.files.iter().zip(files) {
        assert_eq!(r["path"].as_str(), Some(lossy(&f.path).as_str()));
    }
}

pub fn check(data: &[u8]) {
    let mut u = Input::new(data);
    if u.bool() {
        check_diagnostics(&mut u);
    } else {
        check_graph(&mut u);
    }
}
