//! The fast scanner against the reference scanner (ruff's full parse), on arbitrary bytes.
//!
//! Whenever the fast scanner answers (does not hand the file to the full parser), its answer
//! must be exactly the reference's, for no target and for CPython 3.11 on Linux (which drops
//! dead `sys.version_info` branches). Neither scanner, nor the decoding of the bytes, may
//! panic on any input.

use fastpath_scan::{decode_source, fast, scan_bytes, scan_source_reference, Target};

pub fn check(data: &[u8]) {
    let decoded = decode_source(data);
    let linux = Target::new(3, 11, "linux");
    for target in [None, Some(&linux)] {
        let reference = scan_source_reference(&decoded.text, target);
        if let Ok(scan) = fast::try_scan(&decoded.text, target) {
            assert_eq!(
                scan, reference,
                "the fast scanner disagrees with the reference (target {target:?})"
            );
        }
    }
    // The public entry point (decode, fast scan, fallback) on the raw bytes.
    let _ = scan_bytes(data, Some(&linux));
}
