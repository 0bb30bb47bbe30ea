//! [`JsonFileStore`]: one JSON document on disk, rewritten atomically on every write.

use super::data::{DATA_VERSION, StoreData, impl_store_over_data};
use super::files::{exists, split, sync_dir};
use super::lock::StoreLock;
use super::records::EngineEvent;
use super::{StoreError, StoreResult};
use std::fs::{self, OpenOptions};
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
/// A file that is not a valid store (empty, truncated, edited by hand, `{}`, `[]`, a document
/// missing one of the store's tables, another format) is reported as [`StoreError::Corrupt`] by
/// [`JsonFileStore::open`] and never overwritten. An open store holds the file's lock (see the
/// [module docs](super)): one store per file, so no two can overwrite each other's writes.
#[derive(Debug)]
pub struct JsonFileStore {
    path: PathBuf,
    data: Mutex<StoreData>,
    _lock: StoreLock,
}

impl JsonFileStore {
    /// Opens the existing store at `path`; a missing file is [`StoreError::NotFound`] (nothing
    /// is created), another open store on it [`StoreError::Locked`].
    pub fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref();
        if !exists(path)? {
            return Err(StoreError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let lock = StoreLock::acquire(path)?;
        Self::open_locked(path, lock)
    }

    /// Creates a new, empty store at `path` (written atomically, so it appears whole or not
    /// at all); an existing file is [`StoreError::AlreadyExists`] and left untouched.
    pub fn create(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref();
        let lock = StoreLock::acquire(path)?;
        Self::create_locked(path, lock)
    }

    /// Opens the store at `path`, creating it only when there is no file there at all.
    pub fn open_or_create(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref();
        let lock = StoreLock::acquire(path)?;
        if exists(path)? {
            Self::open_locked(path, lock)
        } else {
            Self::create_locked(path, lock)
        }
    }

    fn open_locked(path: &Path, lock: StoreLock) -> StoreResult<Self> {
        let bytes = fs::read(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound {
                path: path.to_path_buf(),
            },
            _ => StoreError::Io {
                path: path.to_path_buf(),
                source,
            },
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            data: Mutex::new(parse(path, &bytes)?),
            _lock: lock,
        })
    }

    fn create_locked(path: &Path, lock: StoreLock) -> StoreResult<Self> {
        if exists(path)? {
            return Err(StoreError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        let data = StoreData::new();
        write_atomic(path, &data)?;
        Ok(Self {
            path: path.to_path_buf(),
            data: Mutex::new(data),
            _lock: lock,
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

/// Reads a store document strictly: a JSON object with a version and every table (an empty
/// table is `{}` or `[]`, a missing one means the document is not a whole store).
fn parse(path: &Path, bytes: &[u8]) -> StoreResult<StoreData> {
    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(corrupt("the file is empty, not a store".into())),
        Some(b'{') => {}
        Some(_) => return Err(corrupt("not a store document: not a JSON object".into())),
    }
    let not_valid = |e: serde_json::Error| {
        corrupt(format!(
            "not a valid store document (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    };
    // The version first: a newer crate's document may have other tables.
    #[derive(serde::Deserialize)]
    struct Version {
        version: i64,
    }
    let version = serde_json::from_slice::<Version>(bytes)
        .map_err(not_valid)?
        .version;
    if version > DATA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found: version,
            supported: DATA_VERSION,
        });
    }
    if version < 1 {
        return Err(corrupt(format!(
            "not a store document: version {version} (this crate writes 1 to {DATA_VERSION})"
        )));
    }
    let mut data: StoreData = serde_json::from_slice(bytes).map_err(not_valid)?;
    data.reindex();
    Ok(data)
}

fn write_atomic(path: &Path, data: &StoreData) -> StoreResult<()> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = serde_json::to_vec_pretty(data).map_err(|e| super::encoding("store", e))?;
    let (dir, name) = split(path);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
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
    sync_dir(dir);
    Ok(())
}
