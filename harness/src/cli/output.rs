//! Writing a report to the file `--output` names, so that a failure leaves nothing behind:
//! checked before a run starts (where it can be told: a missing directory, a directory, a
//! read-only file system), then written to a temporary file beside it and renamed over it, so
//! a full disk leaves neither a cut-short report nor a temporary file, and an older report at
//! that path stays whole.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file beside `path` for this process to write first.
fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.seccomp-harness-{what}-{}",
        std::process::id()
    ))
}

/// Whether `path` is a regular file, or not there yet (else it is a device, a pipe or the
/// like, written in place: `/dev/stdout`, a FIFO).
fn regular_or_new(path: &Path) -> io::Result<bool> {
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(io::Error::other("it is a directory")),
        Ok(m) => Ok(m.is_file()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Whether a report could be written at `path` now, leaving nothing behind: its directory
/// takes a new file (created and removed again), or a non-regular file opens for writing.
pub(crate) fn check_writable(path: &Path) -> io::Result<()> {
    if !regular_or_new(path)? {
        return OpenOptions::new().write(true).open(path).map(drop);
    }
    let probe = sibling(path, "check");
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map(drop)?;
    fs::remove_file(&probe)
}

/// Writes `bytes` at `path`: through a temporary file and a rename for a regular file (or a
/// new one), in place otherwise. On failure nothing new is left.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if !regular_or_new(path)? {
        return OpenOptions::new().write(true).open(path)?.write_all(bytes);
    }
    let tmp = sibling(path, "tmp");
    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// A full disk or an exhausted quota (ENOSPC, EDQUOT): the environment's fault, not the path's.
pub(crate) fn is_full(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28 | 122))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_replaces_the_file_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("m.json");
        fs::write(&p, "old").unwrap();
        check_writable(&p).unwrap();
        write(&p, b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_directories_and_directories_are_refused_up_front() {
        let d = tempfile::tempdir().unwrap();
        assert!(check_writable(&d.path().join("no/such/dir/m.json")).is_err());
        assert!(check_writable(d.path()).is_err());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_full_device_is_named_as_full() {
        // /dev/full answers every write with ENOSPC, and is written in place.
        check_writable(Path::new("/dev/full")).unwrap();
        let e = write(Path::new("/dev/full"), b"x").unwrap_err();
        assert!(is_full(&e), "{e}");
    }
}
