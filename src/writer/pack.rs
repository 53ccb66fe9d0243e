//! Writes a volume's snapshot pack (see [`crate::replica::pack`]) after an
//! import: the log's commits, and the file's schema and interior pages.
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
use crate::replica::snapshot::PAGE_SIZE;

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
        .map(|(pack, _)| pack)
        .filter(|p| &p.log == log);
    if previous.as_ref().is_some_and(|p| p.lsn >= lsn) {
        return Ok(Written::UpToDate);
    }
    // The previous pack's commits are the log's first ones: read only the rest.
    let (mut commits, from) = match previous {
        Some(p) => (p.commits, p.lsn + 1),
        None => (Vec::new(), 1),
    };
    let newer: Vec<_> = stream::iter(from..=lsn)
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
    commits.extend(newer);

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
        log: log.clone(),
        lsn,
        commits,
        pages,
        data: data.into(),
    };
    pack::put(remote, name, &pack).await?;
    Ok(Written::Pages(pack.pages.len()))
}
