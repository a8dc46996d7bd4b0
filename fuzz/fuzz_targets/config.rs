//! The configuration reader (`crates/fastpath/src/settings.rs`) on arbitrary files.
//!
//! `settings.rs` lives in the binary crate, which a fuzz target cannot depend on, so it is
//! compiled in here as a module (it needs only library crates). The first byte picks the file
//! (`fastpath.toml`, or `pyproject.toml` whose `[tool.fastpath]` table is read); the rest is
//! its content. Properties: resolving never panics; a file that does not read gives an error
//! that names the file; one that does prints its settings (`--show-settings`) without failing.
//! `crates/fastpath/tests/it/fuzz_corpus.rs` replays the corpus through the real binary.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

#[allow(dead_code)]
#[path = "../../crates/fastpath/src/settings.rs"]
mod settings;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir()
            .join(format!("fastpath-fuzz-config-{}", std::process::id()))
            .join("project");
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, content)) = data.split_first() else {
        return;
    };
    let dir = dir();
    let name = if which % 2 == 0 {
        "fastpath.toml"
    } else {
        "pyproject.toml"
    };
    let _ = std::fs::remove_file(dir.join("fastpath.toml"));
    let _ = std::fs::remove_file(dir.join("pyproject.toml"));
    std::fs::write(dir.join(name), content).expect("write config");
    let overrides = settings::Overrides::default();
    match settings::Settings::resolve(dir, &overrides) {
        Ok(resolved) => {
            let mut out = Vec::new();
            resolved.show(&mut out).expect("settings print");
        }
        Err(error) => {
            let chain = format!("{error:#}");
            assert!(
                chain.contains(name),
                "an error that does not name the file: {chain}"
            );
        }
    }
});
