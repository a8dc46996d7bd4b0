//! Measuring never writes into the user's tree: the runs' `.pyc` files go to fastpath's cache
//! through `PYTHONPYCACHEPREFIX`, one directory per interpreter, and CPython (3.8+) then ignores
//! every `__pycache__`. The fixture `pycache/` is a project whose entry imports a package
//! installed in a `--python` virtualenv; both trees start with a stale `.pyc` file that a run
//! reading `__pycache__` would rewrite. Every file of both is compared before and after, on the
//! real binary and a real interpreter. No timing is asserted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::readonly::{copy_tree, differences, snapshot};
use crate::{fastpath, fixtures, require_python};

/// A copy of the fixture project, and a virtualenv (made from the tests' interpreter) with the
/// fixture's `venvpkg` in its site-packages; the tag of `.pyc` names (`cpython-311`).
struct Setup {
    dir: tempfile::TempDir,
    tag: String,
}

impl Setup {
    fn new(python: &Path, version: &str) -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_tree(
            &fixtures().join("pycache/project"),
            &dir.path().join("project"),
        );
        let venv = dir.path().join("venv");
        let made = Command::new(python)
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv)
            .status()
            .expect("run python -m venv");
        assert!(made.success(), "python -m venv failed");
        let out = Command::new(venv.join("bin/python"))
            .args([
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ])
            .output()
            .expect("ask the virtualenv for its site-packages");
        let site = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        assert!(site.is_dir(), "no site-packages at {}", site.display());
        copy_tree(&fixtures().join("pycache/site-packages"), &site);
        let mut parts = version.split('.');
        let tag = format!(
            "cpython-{}{}",
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default()
        );
        // Stale `.pyc` files beside the sources: a run that read `__pycache__` would find them
        // invalid and write new ones over them.
        for pyc in [
            dir.path()
                .join(format!("project/localpkg/__pycache__/mod.{tag}.pyc")),
            site.join(format!("venvpkg/__pycache__/sub.{tag}.pyc")),
        ] {
            std::fs::create_dir_all(pyc.parent().unwrap()).unwrap();
            std::fs::write(&pyc, b"stale").unwrap();
        }
        Setup { dir, tag }
    }

    fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    fn venv(&self) -> PathBuf {
        self.dir.path().join("venv")
    }

    /// `fastpath profile --python VENV --runs 3 ARGS` in the project, with no bytecode variable
    /// inherited; `env` is applied last.
    fn profile(&self, args: &[&str], env: &[(&str, Option<&Path>)]) -> Output {
        let mut command = fastpath(&self.project());
        command
            .arg("profile")
            .arg("--python")
            .arg(self.venv().join("bin/python"))
            .args(["--runs", "3"])
            .args(args)
            .env_remove("PYTHONPYCACHEPREFIX")
            .env_remove("PYTHONDONTWRITEBYTECODE");
        for (name, value) in env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let output = command.output().expect("run fastpath profile");
        assert!(
            output.status.success(),
            "fastpath profile failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

/// Every `.pyc` file under `dir` whose path ends with `suffix`.
fn pyc_files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    snapshot(dir)
        .into_keys()
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .map(|path| dir.join(path))
        .collect()
}

fn bytecode_of(output: &Output) -> Value {
    let json: Value = serde_json::from_slice(&output.stdout).expect("a JSON profile");
    json["bytecode"].clone()
}

/// A tree as `snapshot` records it.
type Tree = std::collections::BTreeMap<PathBuf, crate::readonly::Entry>;

impl Setup {
    /// The project and the virtualenv are byte for byte as `project` and `venv` recorded them.
    fn assert_unchanged(&self, project: &Tree, venv: &Tree) {
        assert_eq!(
            differences(project, &snapshot(&self.project())),
            Vec::<String>::new()
        );
        assert_eq!(
            differences(venv, &snapshot(&self.venv())),
            Vec::<String>::new()
        );
    }
}

#[test]
fn measuring_leaves_the_project_and_the_virtualenv_byte_identical() {
    let (python, _, version) = require_python!();
    let setup = Setup::new(python, version);
    let cache = tempfile::tempdir().expect("temp dir");
    let (project, venv) = (snapshot(&setup.project()), snapshot(&setup.venv()));

    let output = setup.profile(&[], &[("FASTPATH_CACHE_DIR", Some(cache.path()))]);
    setup.assert_unchanged(&project, &venv);
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("bytecode:"))
        .unwrap_or_else(|| panic!("no bytecode line in:\n{text}"));
    let expected = format!(
        "bytecode: cached (.pyc files written by the warm-up to fastpath's cache {}",
        cache.path().join("pycache").display()
    );
    assert!(line.trim_start().starts_with(&expected), "{line}");
    assert!(line.ends_with("none beside the sources)"), "{line}");

    // The warm-up compiled both packages into the cache, at their sources' absolute paths.
    let tag = &setup.tag;
    let compiled: Vec<PathBuf> = [
        format!("localpkg/mod.{tag}.pyc"),
        format!("venvpkg/sub.{tag}.pyc"),
    ]
    .iter()
    .map(|suffix| {
        let found = pyc_files(cache.path(), suffix);
        assert_eq!(found.len(), 1, "{suffix} in the cache: {found:?}");
        found[0].clone()
    })
    .collect();
    let bytes: Vec<Vec<u8>> = compiled.iter().map(|p| std::fs::read(p).unwrap()).collect();

    // Measuring again reads them: the same directory, nothing recompiled, the trees untouched.
    let output = setup.profile(
        &["--format", "json"],
        &[("FASTPATH_CACHE_DIR", Some(cache.path()))],
    );
    let bytecode = bytecode_of(&output);
    assert_eq!(bytecode["mode"], "cached");
    assert_eq!(bytecode["source"], "fastpath-cache");
    let dir = PathBuf::from(bytecode["cache"].as_str().expect("the cache directory"));
    assert!(compiled.iter().all(|p| p.starts_with(&dir)), "{dir:?}");
    let again: Vec<Vec<u8>> = compiled.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(again, bytes);
    setup.assert_unchanged(&project, &venv);
}

#[test]
fn a_users_prefix_is_kept_and_xdg_cache_home_is_honoured() {
    let (python, _, version) = require_python!();
    let setup = Setup::new(python, version);
    let (project, venv) = (snapshot(&setup.project()), snapshot(&setup.venv()));
    let elsewhere = tempfile::tempdir().expect("temp dir");

    // The user's own PYTHONPYCACHEPREFIX is theirs: used as it is, and named.
    let mine = elsewhere.path().join("mine");
    let output = setup.profile(
        &["--format", "json"],
        &[
            (
                "FASTPATH_CACHE_DIR",
                Some(&elsewhere.path().join("fastpath")),
            ),
            ("PYTHONPYCACHEPREFIX", Some(&mine)),
        ],
    );
    let bytecode = bytecode_of(&output);
    assert_eq!(bytecode["source"], "user-cache");
    assert_eq!(bytecode["cache"].as_str(), Some(&*mine.to_string_lossy()));
    let suffix = format!("localpkg/mod.{}.pyc", setup.tag);
    assert_eq!(
        pyc_files(&mine, &suffix).len(),
        1,
        "{suffix} under {mine:?}"
    );

    // Without FASTPATH_CACHE_DIR, fastpath's cache is under XDG_CACHE_HOME.
    let xdg = elsewhere.path().join("xdg");
    let output = setup.profile(
        &["--format", "json"],
        &[("FASTPATH_CACHE_DIR", None), ("XDG_CACHE_HOME", Some(&xdg))],
    );
    let bytecode = bytecode_of(&output);
    assert_eq!(bytecode["source"], "fastpath-cache");
    let dir = PathBuf::from(bytecode["cache"].as_str().expect("the cache directory"));
    assert!(dir.starts_with(xdg.join("fastpath/pycache")), "{dir:?}");
    assert_eq!(pyc_files(&dir, &suffix).len(), 1, "{suffix} under {dir:?}");

    setup.assert_unchanged(&project, &venv);
}
