//! Writes a volume's snapshot pack (see [`crate::replica::pack`]) after an
//! import: the snapshot at the import's LSN (the previous pack's, moved on
//! by the commits since), and the file's schema and interior pages.
//!
//! The importer is the one place that has every page of the snapshot at
//! hand, so it can pick the interior pages exactly and for free. The pages
//! are those of the file just imported, which is the volume as of `lsn`:
//! either the importer's own push made commit `lsn` from it, or nothing
//! differed from the volume at `lsn`.

use futures::{StreamExt, TryStreamExt, stream};
use graft::core::LogId;
use graft::core::lsn::LSN;

use crate::prefetch::walk::FilePages;
use crate::prefetch::warmup::interior_pages;
use crate::replica::pack::{self, Pack};
use crate::replica::remote::{Remote, RemoteError};
use crate::replica::snapshot::{PAGE_SIZE, Snapshot};

/// Most pages a pack holds (16 MiB before compression): enough for every
/// interior page of a ~1.5 GB database; a bigger one loses its lowest
/// interior levels, which prefetching then reads on demand.
pub const MAX_PACK_PAGES: usize = 4096;

/// Commits read at once.
const CONCURRENCY: usize = 16;

/// What a pack write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A pack for `lsn` with this many pages.
    Pages(usize),
    /// The bucket already has a pack this new or newer.
    UpToDate,
}

/// Writes the pack of volume `name` (log `log`) as of `lsn`, whose file is
/// `file`.
pub async fn write(
    remote: &Remote,
    name: &str,
    log: &LogId,
    lsn: u64,
    file: &[u8],
) -> Result<Written, RemoteError> {
    let previous = pack::get(remote, name)
        .await?
        .map(|(pack, _)| pack.snapshot)
        .filter(|s| s.log() == log);
    if previous.as_ref().is_some_and(|s| s.lsn() >= lsn) {
        return Ok(Written::UpToDate);
    }
    // The previous pack's snapshot covers the log's first commits: read
    // only the rest.
    let previous = previous.unwrap_or_else(|| Snapshot::empty(log.clone()));
    let newer: Vec<_> = stream::iter(previous.lsn() + 1..=lsn)
        .map(|l| async move {
            remote
                .get_commit(log, LSN::new(l))
                .await?
                .ok_or_else(|| RemoteError::Corrupt {
                    path: format!("logs/{log}/commits/{l}"),
                    reason: "missing from the log".into(),
                })
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    let snapshot = previous
        .apply_all(&newer)
        .map_err(|reason| RemoteError::Corrupt {
            path: format!("logs/{log}"),
            reason,
        })?;

    let file = FilePages(file);
    let pages =
        interior_pages(&file, MAX_PACK_PAGES).expect("a file in memory has nothing to fetch");
    let mut data = Vec::with_capacity(pages.len() * PAGE_SIZE);
    for &p in &pages {
        data.extend_from_slice(
            file.page(p)
                .expect("interior_pages picks pages of the file"),
        );
    }
    let pack = Pack {
        snapshot,
        pages,
        data: data.into(),
    };
    pack::put(remote, name, &pack).await?;
    Ok(Written::Pages(pack.pages.len()))
}
