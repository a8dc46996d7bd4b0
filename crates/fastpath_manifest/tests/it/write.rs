//! Reading a fixture from disk and writing it back through `write_atomic`.

use std::fs;

use fastpath_manifest::{read_file, write_atomic, FileError, Manifest};

#[test]
fn every_fixture_round_trips_through_the_disk_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in crate::all_fixtures() {
        let path = dir.path().join(&name);
        fs::write(&path, &bytes).unwrap();
        let (read, stamp) = read_file(&path).unwrap();
        let (manifest, _) = Manifest::parse(&read);
        let out = manifest.edit().finish().unwrap();
        write_atomic(&path, &out, Some(&stamp)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), bytes, "{name}");
    }
    // No temporary file left behind.
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        crate::all_fixtures().len()
    );
}

#[test]
fn an_edit_based_on_a_stale_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fast_path.py");
    fs::write(&path, crate::fixture("seed.py")).unwrap();
    let (bytes, stamp) = read_file(&path).unwrap();
    let (manifest, _) = Manifest::parse(&bytes);
    let mut editor = manifest.edit();
    editor.set_cost("json", 1.0).unwrap();
    let out = editor.finish().unwrap();
    // Someone saves the file meanwhile.
    let theirs = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("0.4ms", "0.5ms");
    fs::write(&path, &theirs).unwrap();
    let error = write_atomic(&path, &out, Some(&stamp)).unwrap_err();
    assert!(matches!(&error, FileError::Changed { path: p } if *p == path));
    assert_eq!(fs::read_to_string(&path).unwrap(), theirs);
}
