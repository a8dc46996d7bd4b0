//! Scanned source files, each read and scanned once per run however many modules reach it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fastpath_scan::{scan_bytes, FileScan, Problem, ProblemKind, Target};

#[derive(Default)]
pub struct Sources {
    scans: Mutex<HashMap<PathBuf, Arc<FileScan>>>,
}

impl Sources {
    /// The scan of `path`; an unreadable file scans as empty with a problem saying why.
    pub fn scan(&self, path: &Path, target: Option<&Target>) -> Arc<FileScan> {
        if let Some(scan) = self.scans.lock().expect("scan cache").get(path) {
            return scan.clone();
        }
        let scan = Arc::new(scan_file(path, target));
        self.scans
            .lock()
            .expect("scan cache")
            .insert(path.to_path_buf(), scan.clone());
        scan
    }
}

pub fn scan_file(path: &Path, target: Option<&Target>) -> FileScan {
    match std::fs::read(path) {
        Ok(bytes) => scan_bytes(&bytes, target),
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
