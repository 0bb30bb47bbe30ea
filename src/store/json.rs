//! [`JsonFileStore`]: one JSON document on disk, rewritten atomically on every write.

use super::data::{DATA_VERSION, StoreData, impl_store_over_data};
use super::records::EngineEvent;
use super::{StoreError, StoreResult};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// An [`ExecutionStore`](super::ExecutionStore) kept in one JSON file.
///
/// Every write serialises the whole document to a temporary file beside the target, fsyncs it,
/// renames it over the target and fsyncs the directory: a crash leaves either the old or the new
/// document, never a torn one. The cost grows with the document, so this suits small deployments;
/// use [`SqliteStore`](super::SqliteStore) for more. Journal events are not kept here.
///
/// A file that is not a valid store (truncated, edited by hand, another format) is reported as
/// [`StoreError::Corrupt`] by [`JsonFileStore::open`] and never overwritten.
#[derive(Debug)]
pub struct JsonFileStore {
    path: PathBuf,
    data: Mutex<StoreData>,
}

impl JsonFileStore {
    /// Opens the store at `path`, creating an empty one if the file does not exist.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        let data = match fs::read(&path) {
            Ok(bytes) => parse(&path, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StoreData::new(),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        Ok(Self {
            path,
            data: Mutex::new(data),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, StoreData> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read<R>(&self, f: impl FnOnce(&StoreData) -> R) -> StoreResult<R> {
        Ok(f(&self.lock()))
    }

    /// Applies `f` to a copy and makes it current only once the file is written, so a failed
    /// write leaves memory and disk agreeing on the old state.
    fn write<R>(&self, f: impl FnOnce(&mut StoreData) -> R) -> StoreResult<R> {
        let mut guard = self.lock();
        let mut next = guard.clone();
        let r = f(&mut next);
        write_atomic(&self.path, &next)?;
        *guard = next;
        Ok(r)
    }

    fn keeps_events(&self) -> bool {
        false
    }

    fn record_event_inner(&self, _e: &EngineEvent) -> StoreResult<()> {
        Ok(())
    }
}

impl_store_over_data!(JsonFileStore);

fn parse(path: &Path, bytes: &[u8]) -> StoreResult<StoreData> {
    let mut data: StoreData = serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail: format!(
            "not a valid store document (line {}, column {}): {e}",
            e.line(),
            e.column()
        ),
    })?;
    if data.version > DATA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found: data.version,
            supported: DATA_VERSION,
        });
    }
    data.reindex();
    Ok(data)
}

fn write_atomic(path: &Path, data: &StoreData) -> StoreResult<()> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = serde_json::to_vec_pretty(data).map_err(|e| super::encoding("store", e))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.as_deref().unwrap_or("store.json"),
        std::process::id()
    ));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io)?;
    f.write_all(&bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    fs::rename(&tmp, path).map_err(io)?;
    // Persist the rename itself; not every platform can open a directory, so failure to open
    // is not an error (the data is already in place).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
