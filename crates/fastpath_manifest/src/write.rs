//! Reading a file for an edit and writing it back atomically.
//!
//! A write goes to a temporary file in the same directory (so the rename cannot cross file
//! systems), is flushed to disk, takes the original's permissions, and is renamed over the
//! original: a reader sees the old file or the new one, never half of one. Just before the
//! rename the file is read again and compared with what the edit was based on; if someone
//! changed it in between (an editor save, a `git checkout`), the write is refused rather than
//! losing their change. A symlink is written through, so the link stays a link.

use std::fs::{self, File, OpenOptions};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Why reading or writing a file failed. Each variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{} changed since it was read; not overwriting it (run the command again)", path.display())]
    Changed { path: PathBuf },
    #[error("{} already exists; not overwriting it", path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// What a file held when it was read: its length and a hash of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    len: u64,
    hash: u64,
}

impl FileStamp {
    /// The stamp of these bytes.
    pub fn of(bytes: &[u8]) -> FileStamp {
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        FileStamp {
            len: bytes.len() as u64,
            hash: hasher.finish(),
        }
    }
}

/// Reads a file to edit: its bytes and the stamp to hand back to [`write_atomic`].
pub fn read_file(path: &Path) -> Result<(Vec<u8>, FileStamp), FileError> {
    let bytes = fs::read(path).map_err(|source| FileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let stamp = FileStamp::of(&bytes);
    Ok((bytes, stamp))
}

/// Replaces `path` with `contents` atomically.
///
/// `expected` is the stamp from [`read_file`]: the write is refused with
/// [`FileError::Changed`] when the file no longer holds what was read. `None` means the file
/// must not exist yet (`fastpath init`): the write is refused with [`FileError::Exists`] if it
/// does. Permissions of an existing file are kept; a new file gets the default ones.
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    expected: Option<&FileStamp>,
) -> Result<(), FileError> {
    let target = resolve_symlink(path);
    let write_error = |source| FileError::Write {
        path: path.to_owned(),
        source,
    };
    let permissions = match fs::metadata(&target) {
        Ok(metadata) => Some(metadata.permissions()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(FileError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let (temp_path, mut temp) = create_temp(&dir, &target).map_err(write_error)?;
    let result = (|| {
        temp.write_all(contents).map_err(write_error)?;
        temp.sync_all().map_err(write_error)?;
        if let Some(permissions) = permissions {
            fs::set_permissions(&temp_path, permissions).map_err(write_error)?;
        }
        drop(temp);
        check_unchanged(path, &target, expected)?;
        fs::rename(&temp_path, &target).map_err(write_error)?;
        // Make the rename itself durable; not all platforms can open a directory.
        if let Ok(dir) = File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp_path);
    }
    result
}

fn check_unchanged(
    path: &Path,
    target: &Path,
    expected: Option<&FileStamp>,
) -> Result<(), FileError> {
    match (fs::read(target), expected) {
        (Ok(_), None) => Err(FileError::Exists {
            path: path.to_owned(),
        }),
        (Ok(now), Some(stamp)) if FileStamp::of(&now) != *stamp => Err(FileError::Changed {
            path: path.to_owned(),
        }),
        (Ok(_), Some(_)) => Ok(()),
        (Err(error), None) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        (Err(error), Some(_)) if error.kind() == io::ErrorKind::NotFound => {
            Err(FileError::Changed {
                path: path.to_owned(),
            })
        }
        (Err(source), _) => Err(FileError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The file a symlink points at (following chains), or `path` itself.
fn resolve_symlink(path: &Path) -> PathBuf {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        if let Ok(real) = fs::canonicalize(path) {
            return real;
        }
    }
    path.to_owned()
}

fn create_temp(dir: &Path, target: &Path) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "manifest".to_owned());
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}.{n}.fastpath-tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fast_path.py");
        fs::write(&path, b"import json\n").unwrap();
        let (_, stamp) = read_file(&path).unwrap();
        write_atomic(&path, b"import time\n", Some(&stamp)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"import time\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_when_the_file_changed_since_the_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fast_path.py");
        fs::write(&path, b"import json\n").unwrap();
        let (_, stamp) = read_file(&path).unwrap();
        fs::write(&path, b"import json  # someone else\n").unwrap();
        let error = write_atomic(&path, b"import time\n", Some(&stamp)).unwrap_err();
        assert!(matches!(error, FileError::Changed { .. }));
        assert!(error.to_string().contains("fast_path.py"));
        assert_eq!(fs::read(&path).unwrap(), b"import json  # someone else\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_to_replace_a_file_that_should_be_new() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fast_path.py");
        write_atomic(&path, b"x = 1\n", None).unwrap();
        let error = write_atomic(&path, b"x = 2\n", None).unwrap_err();
        assert!(matches!(error, FileError::Exists { .. }));
        assert_eq!(fs::read(&path).unwrap(), b"x = 1\n");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_and_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.py");
        fs::write(&real, b"a\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("fast_path.py");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let (_, stamp) = read_file(&link).unwrap();
        write_atomic(&link, b"b\n", Some(&stamp)).unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"b\n");
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn missing_file_is_a_read_error_naming_it() {
        let error = read_file(Path::new("/nonexistent/fast_path.py")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/fast_path.py"));
    }
}
