//! Small file-system helpers shared by the file stores.

use super::{StoreError, StoreResult};
use std::path::Path;

/// Whether anything (a file, a directory, a dangling link) is at `path`.
pub(crate) fn exists(path: &Path) -> StoreResult<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The directory and file name of a store path (`.` for a bare name).
pub(crate) fn split(path: &Path) -> (&Path, String) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "store".to_owned(), |n| n.to_string_lossy().into_owned());
    (dir, name)
}

/// Persists a rename in `dir`; not every platform can open a directory, so a failure to open
/// it is not an error (the data is in place either way).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
