//! A followed volume: its newest snapshot, kept current by polling the log.
//!
//! A volume opens at the snapshot of its snapshot pack, or else at the one
//! its commits make, listed once and read concurrently ([`read_log`]).
//! After that the follower asks for the next LSN every poll interval, so a
//! new commit is visible within one interval plus one round trip. Readers pin a
//! snapshot (see the VFS) and are never affected by a swap.

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt, stream};
use graft::core::LogId;
use graft::core::commit::Commit;
use graft::core::lsn::LSN;
use parking_lot::RwLock;

use super::fetch::PageStore;
use super::remote::{Remote, RemoteError};
use super::snapshot::Snapshot;

/// Commits read at once when a volume is opened.
const OPEN_CONCURRENCY: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("log {log} is inconsistent: {reason}")]
    Inconsistent { log: LogId, reason: String },
}

pub struct Volume {
    name: String,
    remote: Remote,
    pages: Arc<PageStore>,
    latest: RwLock<Arc<Snapshot>>,
}

/// The snapshot of `log`'s newest commit, read from the log itself: a LIST,
/// then the commits, at most [`OPEN_CONCURRENCY`] at once. Returns it with
/// the requests and rounds that took.
pub async fn read_log(remote: &Remote, log: &LogId) -> Result<(Snapshot, u64, u64), VolumeError> {
    let lsns = remote.list_commits(log).await?;
    let requests = 1 + lsns.len() as u64;
    let rounds = 1 + lsns.len().div_ceil(OPEN_CONCURRENCY) as u64;
    let commits: Vec<Option<Commit>> = stream::iter(lsns)
        .map(|lsn| async move { remote.get_commit(log, lsn).await })
        .buffered(OPEN_CONCURRENCY)
        .try_collect()
        .await?;
    let commits: Vec<Commit> = commits.into_iter().flatten().collect();
    let snapshot = Snapshot::empty(log.clone())
        .apply_all(&commits)
        .map_err(|reason| VolumeError::Inconsistent {
            log: log.clone(),
            reason,
        })?;
    Ok((snapshot, requests, rounds))
}

impl Volume {
    /// Opens volume `name` at `snapshot` (from a pack, or the snapshot the
    /// commits of [`read_log`] make).
    pub fn open(
        name: &str,
        snapshot: Snapshot,
        remote: Remote,
        pages: Arc<PageStore>,
    ) -> Arc<Self> {
        tracing::info!(
            volume = name,
            lsn = snapshot.lsn(),
            pages = snapshot.page_count(),
            frames = snapshot.frame_count(),
            "opened volume"
        );
        Arc::new(Self {
            name: name.to_owned(),
            remote,
            pages,
            latest: RwLock::new(Arc::new(snapshot)),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pages(&self) -> &PageStore {
        &self.pages
    }

    /// The newest snapshot this replica knows.
    pub fn latest(&self) -> Arc<Snapshot> {
        self.latest.read().clone()
    }

    /// Applies any commits newer than the latest snapshot; returns how many.
    pub async fn refresh(&self) -> Result<usize, VolumeError> {
        let mut snapshot = self.latest();
        let log = snapshot.log().clone();
        let mut applied = 0;
        while let Some(commit) = self
            .remote
            .get_commit(&log, LSN::new(snapshot.lsn() + 1))
            .await?
        {
            let next = snapshot
                .apply(&commit)
                .map_err(|reason| VolumeError::Inconsistent {
                    log: log.clone(),
                    reason,
                })?;
            snapshot = Arc::new(next);
            applied += 1;
        }
        if applied > 0 {
            tracing::info!(volume = %self.name, lsn = snapshot.lsn(), "new commits");
            *self.latest.write() = snapshot;
        }
        Ok(applied)
    }

    /// Polls the log until the volume is dropped by everyone else.
    pub fn follow(self: &Arc<Self>, every: Duration) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(volume) = weak.upgrade() else { break };
                if let Err(err) = volume.refresh().await {
                    tracing::warn!(volume = %volume.name, %err, "cannot follow volume");
                }
            }
        });
    }
}
