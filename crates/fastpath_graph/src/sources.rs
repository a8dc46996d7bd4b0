//! Scanned source files, each read and scanned once per run however many modules reach it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fastpath_scan::{scan_bytes, FileScan, Problem, ProblemKind, Target};

#[derive(Default)]
pub struct Sources {
    scans: Mutex<HashMap<PathBuf, Arc<FileScan>>>,
    /// Contents that stand in for files on disk (by canonical path): a preview computes the cold
    /// path its edits would give without writing a byte of the user's files.
    overlay: HashMap<PathBuf, Vec<u8>>,
}

impl Sources {
    /// Sources where each file of `overlay` reads as the bytes given instead of what is on disk.
    pub fn with_overlay(overlay: impl IntoIterator<Item = (PathBuf, Vec<u8>)>) -> Self {
        Sources {
            scans: Mutex::default(),
            overlay: overlay
                .into_iter()
                .map(|(path, bytes)| (path.canonicalize().unwrap_or(path), bytes))
                .collect(),
        }
    }

    /// The scan of `path`; an unreadable file scans as empty with a problem saying why.
    pub fn scan(&self, path: &Path, target: Option<&Target>) -> Arc<FileScan> {
        if let Some(scan) = self.scans.lock().expect("scan cache").get(path) {
            return scan.clone();
        }
        let overlaid = (!self.overlay.is_empty())
            .then(|| path.canonicalize().ok())
            .flatten()
            .and_then(|canonical| self.overlay.get(&canonical));
        let scan = Arc::new(match overlaid {
            Some(bytes) => scan_bytes(bytes, target),
            None => scan_file(path, target),
        });
        self.scans
            .lock()
            .expect("scan cache")
            .insert(path.to_path_buf(), scan.clone());
        scan
    }
}

pub fn scan_file(path: &Path, target: Option<&Target>) -> FileScan {
    thread_local! {
        // One read buffer per thread, reused: fresh buffers for thousands of files cost more in
        // page faults than the scan itself (measured on `graph --all`).
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let read = BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        std::fs::File::open(path)
            .and_then(|mut file| std::io::Read::read_to_end(&mut file, &mut buffer))
            .map(|_| scan_bytes(&buffer, target))
    });
    match read {
        Ok(scan) => scan,
        Err(error) => FileScan {
            problems: vec![Problem {
                kind: ProblemKind::Unreadable,
                message: format!("cannot read: {error}"),
                line: 1,
                column: 1,
            }],
            ..FileScan::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlay_stands_in_for_the_file_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.py");
        std::fs::write(&file, "import json\n").unwrap();
        let sources = Sources::with_overlay([(file.clone(), b"import csv\n".to_vec())]);
        let scan = sources.scan(&file, None);
        let names: Vec<&str> = scan.sites.iter().map(|s| s.module.as_str()).collect();
        assert_eq!(names, ["csv"]);
        assert_eq!(std::fs::read(&file).unwrap(), b"import json\n");
        let plain = Sources::default().scan(&file, None);
        assert_eq!(plain.sites[0].module, "json");
    }
}
