//! Files in and out: every input is read through a size cap and only if it
//! is a regular file, and every output is written whole or not at all.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

/// Caps on what evidence-pack reads from disk. A file over its cap is
/// refused, never truncated.
pub mod cap {
    /// `controls.yaml`: the bundled one is about 80 KB.
    pub const CATALOG: u64 = 4 << 20;
    /// `attestations.yaml` and `exceptions.yaml`.
    pub const INPUT_YAML: u64 = 1 << 20;
    /// A snapshot: a large Organization's estate fits well within it.
    pub const SNAPSHOT: u64 = 1 << 30;
    /// One attestation evidence file.
    pub const EVIDENCE_FILE: u64 = 25 << 20;
    /// All attestation evidence files together.
    pub const EVIDENCE_TOTAL: u64 = 100 << 20;
}

#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("cannot read {path}: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("refusing to read {path}: it is {what}, not a regular file")]
    NotRegular { path: String, what: &'static str },
    #[error("refusing to read {path}: it is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("refusing to write {path}: it is {what}, and only a regular file is replaced")]
    NotReplaceable { path: String, what: &'static str },
    #[error("cannot write {path}: {cause}")]
    Write { path: String, cause: std::io::Error },
    #[error("refusing path '{path}': {why}")]
    Unconfined { path: String, why: String },
}

fn file_type_name(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "a device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// How [`read_regular`] treats a symbolic link as the last component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    Follow,
    Refuse,
}

/// Read a regular file of at most `limit` bytes. A FIFO, a device or a
/// directory is refused without blocking on it: the file is opened
/// non-blocking and checked through the open handle, so it cannot be
/// swapped between the check and the read.
pub fn read_regular(path: &Path, limit: u64, links: Links) -> Result<Vec<u8>, FsError> {
    let shown = path.display().to_string();
    let read_err = |cause| FsError::Read { path: shown.clone(), cause };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK;
        if links == Links::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        // O_NOFOLLOW on a link fails with ELOOP: say what it is.
        Err(_)
            if links == Links::Refuse && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) =>
        {
            return Err(FsError::NotRegular { path: shown, what: "a symbolic link" });
        }
        Err(e) => return Err(read_err(e)),
    };
    let meta = file.metadata().map_err(read_err)?;
    if !meta.file_type().is_file() {
        return Err(FsError::NotRegular { path: shown, what: file_type_name(meta.file_type()) });
    }
    if meta.len() > limit {
        return Err(FsError::TooLarge { path: shown, size: meta.len(), limit });
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    // The size can change after the check; the read is bounded too.
    (&mut file).take(limit + 1).read_to_end(&mut buf).map_err(read_err)?;
    if buf.len() as u64 > limit {
        return Err(FsError::TooLarge { path: shown, size: buf.len() as u64, limit });
    }
    Ok(buf)
}

/// [`read_regular`] for text: the same checks, and UTF-8.
pub fn read_text(path: &Path, limit: u64) -> Result<String, FsError> {
    let bytes = read_regular(path, limit, Links::Follow)?;
    String::from_utf8(bytes).map_err(|e| FsError::Read {
        path: path.display().to_string(),
        cause: std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text ({e})")),
    })
}

/// Resolve `relative` inside `base`: no absolute path, no `..`, and no
/// symbolic link anywhere on the way, so a file named in an input can only
/// be one that lives under the input's own folder.
pub fn confined(base: &Path, relative: &str) -> Result<PathBuf, FsError> {
    let refuse = |why: &str| FsError::Unconfined { path: relative.to_string(), why: why.to_string() };
    if relative.is_empty() {
        return Err(refuse("it is empty"));
    }
    if relative.contains('\0') {
        return Err(refuse("it contains a NUL character"));
    }
    let rel = Path::new(relative);
    let mut path = base.to_path_buf();
    for part in rel.components() {
        match part {
            Component::Normal(p) => path.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(refuse(
                    "it leaves its folder with `..`; name a file inside the folder of the file that lists it",
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse("it is absolute; name it relative to the folder of the file that lists it"));
            }
        }
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(refuse("it goes through a symbolic link; copy the file into the folder instead"));
        }
    }
    let canon_base = base.canonicalize().map_err(|cause| FsError::Read { path: base.display().to_string(), cause })?;
    let canon = path.canonicalize().map_err(|cause| FsError::Read { path: path.display().to_string(), cause })?;
    if !canon.starts_with(&canon_base) {
        return Err(refuse("it resolves outside its folder"));
    }
    Ok(path)
}

/// Write through a temporary file in the same directory and rename it into
/// place, so a reader never sees half a file. Only a regular file is
/// replaced (never a device, a FIFO, a directory or a link's target), and
/// it keeps its permissions; a new file gets 0644, as a pack is meant to be
/// shared.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// [`write_atomic`] for output made while it is written (a snapshot
/// streamed from its parts), so it need not be held whole in memory first.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), FsError> {
    let shown = path.display().to_string();
    let err = |cause| FsError::Write { path: shown.clone(), cause };
    let existing = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Some(m.permissions()),
        Ok(m) => return Err(FsError::NotReplaceable { path: shown, what: file_type_name(m.file_type()) }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(err(e)),
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        write(&mut out).map_err(err)?;
        out.flush().map_err(err)?;
    }
    let permissions = match existing {
        Some(p) => p,
        #[cfg(unix)]
        None => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        }
        #[cfg(not(unix))]
        None => tmp.as_file().metadata().map_err(err)?.permissions(),
    };
    tmp.as_file().set_permissions(permissions).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ok.txt"), "x").unwrap();
        assert!(confined(dir.path(), "ok.txt").is_ok());
        assert!(confined(dir.path(), "./ok.txt").is_ok());
        for bad in ["/etc/passwd", "../x", "a/../../x", ""] {
            assert!(matches!(confined(dir.path(), bad), Err(FsError::Unconfined { .. })), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).unwrap();
            assert!(matches!(confined(dir.path(), "link"), Err(FsError::Unconfined { .. })));
        }
    }

    #[test]
    fn read_regular_refuses_what_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read_regular(dir.path(), 10, Links::Follow), Err(FsError::NotRegular { .. })));
        #[cfg(unix)]
        {
            assert!(matches!(read_regular(Path::new("/dev/zero"), 10, Links::Follow), Err(FsError::NotRegular { .. })));
            let fifo = dir.path().join("fifo");
            assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
            assert!(matches!(read_regular(&fifo, 10, Links::Follow), Err(FsError::NotRegular { what: "a FIFO", .. })));
        }
        let big = dir.path().join("big");
        std::fs::write(&big, vec![0u8; 11]).unwrap();
        assert!(matches!(read_regular(&big, 10, Links::Follow), Err(FsError::TooLarge { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn write_atomic_keeps_permissions_and_refuses_devices() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out");
        write_atomic(&p, b"a").unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o644);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&p, b"b").unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(matches!(write_atomic(Path::new("/dev/null"), b"x"), Err(FsError::NotReplaceable { .. })));
        assert!(matches!(write_atomic(dir.path(), b"x"), Err(FsError::NotReplaceable { .. })));
    }
}
