//! Tells `sync` when a live SQLite file has commits it has not pushed.
//!
//! A file's modification time and size are not enough: in WAL mode a commit
//! only appends to `FILE-wal`, and an UPDATE in rollback-journal mode keeps
//! the size, so two commits within one tick of a coarse file-system clock
//! look alike and the second would never be pushed. SQLite's own
//! `PRAGMA data_version` changes on every commit another connection makes, in
//! either mode, so the watch keeps one read-only connection open and asks it
//! (no lock is held between looks). The file's identity, time and size are
//! checked too: they notice a file replaced, deleted, or overwritten by
//! something other than SQLite.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

use super::import::LOCK_WAIT;

/// What the file looked like at one look.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Look {
    file: Stat,
    wal: Option<Stat>,
    /// `None` when SQLite cannot read the file (the import says why).
    data_version: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    dev: u64,
    ino: u64,
    mtime_ns: i128,
    len: u64,
}

impl Stat {
    fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            dev: meta.dev(),
            ino: meta.ino(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            len: meta.len(),
        })
    }
}

/// Watches one file; see the module doc.
pub struct Watch {
    file: PathBuf,
    wal: PathBuf,
    /// The connection asked for `data_version`, and the (device, inode) of
    /// the file it has open.
    conn: Option<(Connection, (u64, u64))>,
    current: Option<Look>,
    pushed: Option<Look>,
}

impl Watch {
    pub fn new(file: &Path) -> Self {
        let mut wal = OsString::from(file.as_os_str());
        wal.push("-wal");
        Self {
            file: file.to_path_buf(),
            wal: PathBuf::from(wal),
            conn: None,
            current: None,
            pushed: None,
        }
    }

    /// Looks at the file: whether it differs from the last look marked
    /// [`Watch::seen`]. An error if the file is gone; a SQLite busy error
    /// (worth another look later) if its writer holds it locked.
    pub fn changed(&mut self) -> anyhow::Result<bool> {
        let file = Stat::of(&self.file)
            .with_context(|| format!("{} is gone: cannot read it any more", self.file.display()))?;
        let identity = (file.dev, file.ino);
        if self.conn.as_ref().is_none_or(|(_, open)| *open != identity) {
            // A new file at that path (or the first look): a connection to it.
            self.conn = Connection::open_with_flags(&self.file, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .and_then(|conn| conn.busy_timeout(LOCK_WAIT).map(|()| conn))
                .ok()
                .map(|conn| (conn, identity));
        }
        let data_version = match &self.conn {
            Some((conn, _)) => match conn.query_row("PRAGMA data_version", [], |r| r.get(0)) {
                Ok(version) => Some(version),
                Err(err) if busy(&err) => return Err(err.into()),
                Err(_) => None,
            },
            None => None,
        };
        let look = Look {
            file,
            wal: Stat::of(&self.wal).ok(),
            data_version,
        };
        let changed = self.pushed.as_ref() != Some(&look);
        self.current = Some(look);
        Ok(changed)
    }

    /// Marks the last look as pushed.
    pub fn seen(&mut self) {
        self.pushed = self.current.clone();
    }
}

fn busy(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_every_commit_in_either_mode_and_nothing_else() {
        for mode in ["DELETE", "WAL"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("app.sqlite");
            let app = Connection::open(&path).unwrap();
            app.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |_| Ok(()))
                .unwrap();
            app.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
                .unwrap();
            let mut watch = Watch::new(&path);
            assert!(watch.changed().unwrap(), "{mode}: first look");
            watch.seen();
            assert!(!watch.changed().unwrap(), "{mode}: nothing new");
            for i in 0..5 {
                // Same size, back to back: time and size alone could miss these.
                app.execute("UPDATE t SET x = ?1", [i]).unwrap();
                assert!(watch.changed().unwrap(), "{mode}: commit {i}");
                watch.seen();
            }
            assert!(!watch.changed().unwrap(), "{mode}: nothing new");
            drop(app);
            std::fs::remove_file(&path).unwrap();
            let gone = watch.changed().unwrap_err().to_string();
            assert!(gone.contains("is gone"), "{mode}: {gone}");
        }
    }
}
