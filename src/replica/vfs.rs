//! The read-only SQLite VFS over Graft volumes.
//!
//! SQLite opens a database named by a key of [`register_volume`]; every read
//! goes through [`PageStore`](super::fetch::PageStore), so pages arrive on
//! demand and nothing is downloaded whole.
//!
//! Snapshot isolation comes from SQLite's own locking: a read transaction
//! takes a SHARED lock before its first read and drops it at its end. The
//! file pins the volume's newest snapshot when the SHARED lock is taken and
//! unpins it on unlock, so every statement (or explicit transaction) reads one
//! consistent version while the follower moves on.
//!
//! SQLite keeps its own page cache across transactions and trusts it while
//! the "file change counter" in the header is unchanged. Imports do not
//! always bump it (a `VACUUM INTO` copy starts again from a low number), so
//! page 1 is served with the counter set to the snapshot's LSN: a new commit
//! always invalidates SQLite's cache, and an old one never does by mistake.
//!
//! Why our own VFS rather than graft-sqlite: a replica needs no writes, no
//! journal and no Graft runtime state on disk; it needs snapshot pinning per
//! transaction, O(1) page lookup, a bounded cache and control over fetching
//! (counting, and later batch prefetch), none of which graft-sqlite 0.2.1
//! offers.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::CString;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, LazyLock, OnceLock};

use parking_lot::RwLock;
use sqlite_plugin::flags::{AccessFlags, LockLevel, OpenKind, OpenOpts};
use sqlite_plugin::vars;
use sqlite_plugin::vfs::{RegisterOpts, Vfs, VfsHandle, VfsResult, register_static};

use super::snapshot::{PAGE_SIZE, Snapshot};
use super::volume::Volume;

/// The name SQLite knows this VFS by.
pub const VFS_NAME: &str = "graftgres";

/// Byte offsets of the header fields that tell SQLite whether its cache is
/// still valid: the file change counter and "version-valid-for".
const CHANGE_COUNTER: std::ops::Range<usize> = 24..28;
const VERSION_VALID_FOR: std::ops::Range<usize> = 92..96;

static VOLUMES: LazyLock<RwLock<HashMap<String, Arc<Volume>>>> = LazyLock::new(Default::default);

/// Makes `volume` openable by SQLite under the file name `key`.
pub fn register_volume(key: &str, volume: Arc<Volume>) {
    ensure_registered();
    VOLUMES.write().insert(key.to_owned(), volume);
}

/// The volume SQLite knows under the file name `key` (a connection's path).
pub fn volume(key: &str) -> Option<Arc<Volume>> {
    VOLUMES.read().get(key).cloned()
}

/// Registers the VFS with SQLite once per process.
fn ensure_registered() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        let name = CString::new(VFS_NAME).expect("no NUL in name");
        register_static(
            name,
            VolumeVfs,
            RegisterOpts {
                make_default: false,
            },
        )
        .map(|_logger| ())
        .unwrap_or_else(|code| panic!("cannot register the SQLite VFS: code {code}"));
    });
}

struct VolumeVfs;

/// An open database file: a volume and, while locked, its pinned snapshot.
pub struct VolumeFile {
    volume: Arc<Volume>,
    pinned: Option<Arc<Snapshot>>,
}

impl VolumeFile {
    fn snapshot(&self) -> Arc<Snapshot> {
        self.pinned.clone().unwrap_or_else(|| self.volume.latest())
    }

    fn read_at(&self, offset: usize, data: &mut [u8]) -> VfsResult<usize> {
        let snapshot = self.snapshot();
        let size = snapshot.file_size() as usize;
        if offset >= size {
            return Ok(0);
        }
        let end = size.min(offset + data.len());
        // Only partial pages and page 1 (whose header is stamped) need a
        // scratch page; SQLite's usual whole-page reads go straight into
        // its buffer.
        let mut scratch: Option<Vec<u8>> = None;
        let mut pos = offset;
        while pos < end {
            let page = (pos / PAGE_SIZE) as u32 + 1;
            let in_page = pos % PAGE_SIZE;
            let n = (PAGE_SIZE - in_page).min(end - pos);
            let at = pos - offset;
            if n == PAGE_SIZE && page != 1 {
                self.read_page(&snapshot, page, &mut data[at..at + n])?;
            } else {
                let buf = scratch.get_or_insert_with(|| vec![0u8; PAGE_SIZE]);
                self.read_page(&snapshot, page, buf)?;
                if page == 1 {
                    stamp_header(buf, snapshot.lsn());
                }
                data[at..at + n].copy_from_slice(&buf[in_page..in_page + n]);
            }
            pos += n;
        }
        Ok(end - offset)
    }
}

impl VolumeFile {
    fn read_page(&self, snapshot: &Snapshot, page: u32, out: &mut [u8]) -> VfsResult<()> {
        self.volume
            .pages()
            .read_page(snapshot, page, out)
            .map_err(|err| {
                tracing::error!(volume = self.volume.name(), page, %err, "page read failed");
                vars::SQLITE_IOERR_READ
            })
    }
}

/// Sets the header's change counter to the snapshot's LSN (see module doc).
fn stamp_header(page1: &mut [u8], lsn: u64) {
    let version = (lsn as u32).to_be_bytes();
    page1[CHANGE_COUNTER].copy_from_slice(&version);
    page1[VERSION_VALID_FOR].copy_from_slice(&version);
}

impl VfsHandle for VolumeFile {
    fn readonly(&self) -> bool {
        true
    }

    fn in_memory(&self) -> bool {
        false
    }
}

impl Vfs for VolumeVfs {
    type Handle = VolumeFile;

    fn canonical_path<'a>(&self, path: Cow<'a, str>) -> VfsResult<Cow<'a, str>> {
        Ok(path)
    }

    fn open(&self, path: Option<&str>, opts: OpenOpts) -> VfsResult<Self::Handle> {
        if opts.kind() != OpenKind::MainDb {
            // Journals and temp files are never needed: connections are
            // read-only and use temp_store=MEMORY.
            return Err(vars::SQLITE_CANTOPEN);
        }
        let volume = path
            .and_then(|path| VOLUMES.read().get(path).cloned())
            .ok_or(vars::SQLITE_CANTOPEN)?;
        Ok(VolumeFile {
            volume,
            pinned: None,
        })
    }

    fn delete(&self, _path: &str) -> VfsResult<()> {
        Err(vars::SQLITE_READONLY)
    }

    fn access(&self, path: &str, _flags: AccessFlags) -> VfsResult<bool> {
        Ok(VOLUMES.read().contains_key(path))
    }

    fn file_size(&self, handle: &mut Self::Handle) -> VfsResult<usize> {
        Ok(handle.snapshot().file_size() as usize)
    }

    fn truncate(&self, _handle: &mut Self::Handle, _size: usize) -> VfsResult<()> {
        Err(vars::SQLITE_READONLY)
    }

    fn write(&self, _handle: &mut Self::Handle, _offset: usize, _data: &[u8]) -> VfsResult<usize> {
        Err(vars::SQLITE_READONLY)
    }

    fn read(&self, handle: &mut Self::Handle, offset: usize, data: &mut [u8]) -> VfsResult<usize> {
        // A panic must not unwind into SQLite's C frames.
        catch_unwind(AssertUnwindSafe(|| handle.read_at(offset, data))).unwrap_or_else(|_| {
            tracing::error!("panic while reading a page");
            Err(vars::SQLITE_IOERR_READ)
        })
    }

    fn lock(&self, handle: &mut Self::Handle, level: LockLevel) -> VfsResult<()> {
        match level {
            LockLevel::Unlocked => {}
            LockLevel::Shared => {
                if handle.pinned.is_none() {
                    handle.pinned = Some(handle.volume.latest());
                }
            }
            _ => return Err(vars::SQLITE_READONLY),
        }
        Ok(())
    }

    fn unlock(&self, handle: &mut Self::Handle, level: LockLevel) -> VfsResult<()> {
        if level == LockLevel::Unlocked {
            handle.pinned = None;
        }
        Ok(())
    }

    fn check_reserved_lock(&self, _handle: &mut Self::Handle) -> VfsResult<bool> {
        Ok(false)
    }

    fn close(&self, _handle: Self::Handle) -> VfsResult<()> {
        Ok(())
    }
}
