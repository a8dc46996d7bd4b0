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
