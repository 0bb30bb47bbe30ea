//! One opener per store: an exclusive lock on a file beside the store (`<store>.lock`), held
//! for as long as the store is open and released by the operating system when the process
//! ends, however it ends (a SIGKILL included).
//!
//! Two stores on one file would each keep their own view and overwrite the other's writes (the
//! JSON store rewrites the whole document), and two executors on one store could act twice on
//! one signal. The lock turns that into an error at open: [`StoreError::Locked`], naming the
//! holder (process id, host, since when) from what the holder wrote into the lock file.
//!
//! The lock is `flock`-style (std's [`File::try_lock`]): it is taken per open file, so a second
//! opener in the same process is refused too. Network file systems may not honour it; keep
//! stores on local disk.

use super::{StoreError, StoreResult};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How long a lock must stay held before an opener reports [`StoreError::Locked`].
const LOCK_SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// The lock of one store; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct StoreLock {
    _file: File,
}

/// The lock file of the store at `store`.
pub(crate) fn lock_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl StoreLock {
    /// Takes the lock of the store at `store`, or says who holds it.
    pub(crate) fn acquire(store: &Path) -> StoreResult<Self> {
        let path = lock_path(store);
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // A lock can look held for a moment after its holder let it go: a child process
        // forked by another thread shares the lock's open file until it execs (the descriptor
        // is close-on-exec). So "held" is only believed after it persists for a short while;
        // a real holder keeps it, and the error comes LOCK_SETTLE later.
        let started = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_SETTLE => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StoreError::Locked {
                        path: store.to_path_buf(),
                        holder: holder(&mut file),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        // Who holds it, for the error a second opener gets. Best effort: the lock itself is
        // what protects the store.
        let me = format!(
            "pid {} on {} since {}",
            std::process::id(),
            hostname(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(me.as_bytes()))
            .and_then(|()| file.flush());
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "could not record the store lock's holder");
        }
        Ok(Self { _file: file })
    }
}

/// What the holder wrote into the lock file, or a placeholder.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    // At most a line's worth: the file is ours, but it is read as untrusted.
    let read = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(256).read_to_string(&mut text));
    let text = text.trim();
    match read {
        Ok(_) if !text.is_empty() => format!("another store ({text})"),
        _ => "another store (holder not recorded yet)".to_owned(),
    }
}

/// This machine's name, for the lock's holder line.
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this host".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_in_the_same_process_is_refused_with_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.db");
        let first = StoreLock::acquire(&store).unwrap();
        let e = StoreLock::acquire(&store).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, StoreError::Locked { .. }), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())) && msg.contains("since"),
            "{msg}"
        );
        drop(first);
        StoreLock::acquire(&store).unwrap();
    }

    #[test]
    fn a_lock_let_go_within_the_settle_time_is_taken_not_reported() {
        // As when a child forked by another thread still shares the holder's lock file for a
        // moment after the holder dropped it.
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.db");
        let first = StoreLock::acquire(&store).unwrap();
        let letting_go = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(40));
            drop(first);
        });
        StoreLock::acquire(&store).expect("taken once the holder let go");
        letting_go.join().unwrap();
    }
}
