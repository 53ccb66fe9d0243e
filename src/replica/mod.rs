//! The partial replica: Graft volumes read lazily from the object store.
//!
//! [`Replica`] owns the object-store handle, the page cache shared by all
//! volumes, and the volumes this process has opened (by Postgres database
//! name). Opening a volume resolves its name ([`manifest`]) and reads its
//! snapshot pack ([`pack`]) in one round, takes the pack's
//! [`snapshot::Snapshot`] (or builds one from the log), pins the
//! pack's interior pages, registers the volume with the SQLite VFS and
//! starts following it. Only this module talks to the object store.

pub mod cache;
pub mod fetch;
pub mod manifest;
pub mod pack;
pub mod pool;
pub mod remote;
pub mod snapshot;
pub mod stats;
pub mod vfs;
pub mod volume;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

use crate::config::{Config, ReplicaConfig};
use cache::{DiskCache, MemoryCache};
use fetch::PageStore;
use pool::{ConnectionManager, Pool};
use remote::Remote;
use stats::{QueryStats, StatsSnapshot};
use volume::Volume;

/// A volume this replica serves, with its connection pool.
pub struct OpenVolume {
    pub volume: Arc<Volume>,
    pub pool: Pool,
    /// Whether sessions prefetch by default (`replica.prefetch`).
    pub prefetch: bool,
    /// What opening the volume cost.
    pub opened: Opened,
    /// What fetching the interior pages cost: `None` while it runs in the
    /// background (or when prefetching is off).
    pub warmup: tokio::sync::watch::Receiver<Option<StatsSnapshot>>,
}

/// What opening a volume cost, and what its snapshot pack gave.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opened {
    /// Requests and sequential rounds, and the pack's bytes.
    pub cost: StatsSnapshot,
    /// LSN of the pack the volume opened from; `None` if it had none.
    pub pack_lsn: Option<u64>,
    /// The pack's pages pinned in memory (none when prefetching is off).
    pub pinned_pages: usize,
}

impl std::fmt::Display for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.cost;
        write!(
            f,
            "requests={} rounds={} bytes={}",
            c.requests, c.rounds, c.bytes
        )?;
        match self.pack_lsn {
            Some(lsn) => write!(f, " pack_lsn={lsn} pinned_pages={}", self.pinned_pages),
            None => write!(f, " pack=none"),
        }
    }
}

pub struct Replica {
    /// Distinguishes this replica's VFS keys from another's in one process.
    id: u64,
    remote: Remote,
    pages: Arc<PageStore>,
    config: ReplicaConfig,
    volumes: tokio::sync::Mutex<HashMap<String, Arc<OpenVolume>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    #[error(transparent)]
    Volume(#[from] volume::VolumeError),
    #[error("cannot open SQLite on the volume: {0}")]
    Pool(String),
}

impl Replica {
    /// Builds a replica from the config. Must run inside the Tokio runtime.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let mut remote = Remote::open(&config.store()).context("cannot open the object store")?;
        if let Some(latency) = &config.simulated_latency {
            tracing::warn!(
                ?latency,
                "adding simulated latency to every object-store request"
            );
            remote = remote.with_latency(latency);
        }
        let memory = MemoryCache::new(config.cache.memory_mib << 20);
        let disk =
            match config.cache.disk_mib {
                0 => None,
                mib => {
                    let dir = config.cache_dir();
                    Some(DiskCache::open(&dir, mib << 20).with_context(|| {
                        format!("cannot open the cache folder {}", dir.display())
                    })?)
                }
            };
        let pages = PageStore::new(
            remote.clone(),
            memory,
            disk,
            tokio::runtime::Handle::current(),
        );
        Ok(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            remote,
            pages: Arc::new(pages),
            config: config.replica.clone(),
            volumes: Default::default(),
        })
    }

    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// The volume named `name`, opened on first use; `None` if no such
    /// volume exists in the bucket.
    pub async fn open(&self, name: &str) -> Result<Option<Arc<OpenVolume>>, OpenError> {
        let mut volumes = self.volumes.lock().await;
        if let Some(open) = volumes.get(name) {
            return Ok(Some(open.clone()));
        }
        if manifest::validate_name(name).is_err() {
            return Ok(None);
        }
        // The name and the pack in one round; the log only without a pack.
        let (log, pack) = tokio::join!(
            manifest::resolve(&self.remote, name),
            pack::get(&self.remote, name)
        );
        let Some(log) = log? else {
            return Ok(None);
        };
        let pack = match pack {
            Ok(pack) => pack.filter(|(pack, _)| pack.log() == &log),
            Err(err) => {
                tracing::warn!(volume = name, %err, "cannot read the snapshot pack");
                None
            }
        };
        let mut opened = Opened {
            cost: StatsSnapshot {
                requests: 2,
                rounds: 1,
                bytes: pack.as_ref().map_or(0, |(_, bytes)| *bytes as u64),
                ..Default::default()
            },
            pack_lsn: pack.as_ref().map(|(pack, _)| pack.lsn()),
            pinned_pages: 0,
        };
        let snapshot = match &pack {
            Some((pack, _)) => pack.snapshot.clone(),
            None => {
                let (snapshot, requests, rounds) = volume::read_log(&self.remote, &log).await?;
                opened.cost.requests += requests;
                opened.cost.rounds += rounds;
                snapshot
            }
        };
        let volume = Volume::open(name, snapshot, self.remote.clone(), self.pages.clone());
        if let Some((pack, _)) = &pack
            && self.config.prefetch
        {
            opened.pinned_pages = self.pages.pin(pack);
        }
        tracing::info!(volume = name, %opened, "volume ready");
        volume.follow(self.config.poll_interval());
        // The interior pages the pack did not bring come in the background:
        // the first query need not wait for them (its own prefetch walks
        // what it needs).
        let (warmed, warmup) = tokio::sync::watch::channel(None);
        if self.config.prefetch {
            let volume = volume.clone();
            tokio::spawn(async move {
                let _ = warmed.send(Some(warm_up(&volume).await));
            });
        }
        let key = format!("graftgres-{}-{}", self.id, name);
        vfs::register_volume(&key, volume.clone());
        let pool = Pool::builder(ConnectionManager::new(key))
            .max_size(self.config.pool_size)
            .build()
            .map_err(|err| OpenError::Pool(err.to_string()))?;
        let open = Arc::new(OpenVolume {
            volume,
            pool,
            prefetch: self.config.prefetch,
            opened,
            warmup,
        });
        volumes.insert(name.to_owned(), open.clone());
        Ok(Some(open))
    }
}

/// Fetches a newly opened volume's schema and B-tree interior pages (see
/// [`crate::prefetch::warmup`]). A failure only costs speed: it is logged.
async fn warm_up(volume: &Arc<Volume>) -> StatsSnapshot {
    let stats = QueryStats::new();
    let task = {
        let (volume, stats) = (volume.clone(), stats.clone());
        tokio::task::spawn_blocking(move || crate::prefetch::warm_up(&volume, &stats))
    };
    match task.await {
        Ok(Ok(warmed)) => {
            let cost = stats.snapshot();
            tracing::info!(
                volume = volume.name(),
                trees = warmed.trees,
                pages = warmed.pages,
                share_of_pages = warmed.pages as f64 / f64::from(volume.latest().page_count().max(1)),
                %cost,
                "fetched interior pages"
            );
            crate::telemetry::record_warmup(&cost);
        }
        Ok(Err(err)) => tracing::warn!(volume = volume.name(), %err, "cannot fetch interior pages"),
        Err(err) => tracing::warn!(volume = volume.name(), %err, "warm-up task failed"),
    }
    stats.snapshot()
}
