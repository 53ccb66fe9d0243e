//! Object-store access for replicas: the one place that talks to S3 or the
//! local store folder on the read path.
//!
//! graftgres reads Graft's remote layout itself (`logs/{log}/commits/{lsn}`,
//! `segments/{sid}`) instead of going through Graft's runtime, so that it can
//! count every request, fetch frames concurrently and keep its own page index.
//! The layout is Graft's; [`tests`] checks it against what Graft writes.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bilrost::OwnedMessage;
use bytes::Bytes;
use futures::TryStreamExt;
use graft::core::commit::Commit;
use graft::core::{LogId, SegmentId, cbe::CBE64, lsn::LSN};
use graft::remote::RemoteConfig;
use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};

use crate::config::{LatencyConfig, StoreConfig};

/// Process-wide object-store counters (shown by `SHOW graftgres.*`).
#[derive(Debug, Default)]
pub struct StoreStats {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
}

pub static STATS: StoreStats = StoreStats {
    requests: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
};

impl StoreStats {
    fn record(&self, bytes: usize) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("corrupt object {path}: {reason}")]
    Corrupt { path: String, reason: String },
}

pub type Result<T> = std::result::Result<T, RemoteError>;

/// A handle on the bucket (or folder) that holds Graft volumes.
#[derive(Debug, Clone)]
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    delay: Option<Delay>,
}

/// Simulated latency (see [`Remote::with_latency`]).
#[derive(Debug, Clone, Copy)]
struct Delay {
    per_request: Duration,
    per_byte: Duration,
}

impl Remote {
    /// Adds `latency` to every request (see [`LatencyConfig`]): the delay
    /// lives in this fetch path, so it works the same for every store.
    pub fn with_latency(self, latency: &LatencyConfig) -> Self {
        let per_byte = match latency.mib_per_second {
            0 => Duration::ZERO,
            mib => Duration::from_secs(1) / u32::try_from(mib << 20).unwrap_or(u32::MAX),
        };
        Self {
            delay: Some(Delay {
                per_request: Duration::from_millis(latency.per_request_ms),
                per_byte,
            }),
            ..self
        }
    }

    /// Waits out the simulated latency of a request that moved `bytes`.
    async fn simulate(&self, bytes: usize) {
        if let Some(delay) = self.delay {
            let transfer = delay.per_byte * u32::try_from(bytes).unwrap_or(u32::MAX);
            tokio::time::sleep(delay.per_request + transfer).await;
        }
    }

    pub fn open(config: &StoreConfig) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match config {
            StoreConfig::Local { path } => {
                std::fs::create_dir_all(path)?;
                Arc::new(LocalFileSystem::new_with_prefix(path)?)
            }
            StoreConfig::S3 {
                bucket,
                prefix,
                endpoint,
                region,
            } => {
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_conditional_put(S3ConditionalPut::ETagMatch);
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"))
                        .with_virtual_hosted_style_request(false);
                }
                if let Some(region) = region {
                    builder = builder.with_region(region);
                }
                let store = builder.build()?;
                match prefix {
                    Some(prefix) => Arc::new(PrefixStore::new(store, Path::parse(prefix)?)),
                    None => Arc::new(store),
                }
            }
        };
        Ok(Self { store, delay: None })
    }

    /// The same store as Graft's writer runtime sees it. For S3, Graft reads
    /// the endpoint and region from the environment: see
    /// [`export_s3_environment`].
    pub fn graft_config(config: &StoreConfig) -> RemoteConfig {
        match config {
            StoreConfig::Local { path } => RemoteConfig::Fs { root: path.clone() },
            StoreConfig::S3 { bucket, prefix, .. } => RemoteConfig::S3Compatible {
                bucket: bucket.clone(),
                prefix: prefix.clone(),
            },
        }
    }

    /// Reads a whole small object; `None` if it does not exist.
    pub async fn get_optional(&self, path: &Path) -> Result<Option<Bytes>> {
        match self.store.get(path).await {
            Ok(result) => {
                let bytes = result.bytes().await?;
                STATS.record(bytes.len());
                self.simulate(bytes.len()).await;
                Ok(Some(bytes))
            }
            Err(object_store::Error::NotFound { .. }) => {
                STATS.record(0);
                self.simulate(0).await;
                Ok(None)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Creates an object unless it exists; returns false if it did.
    pub async fn put_if_absent(&self, path: &Path, bytes: Bytes) -> Result<bool> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .put_opts(path, PutPayload::from(bytes), opts)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// Creates or replaces an object.
    pub async fn put(&self, path: &Path, bytes: Bytes) -> Result<()> {
        self.store.put(path, PutPayload::from(bytes)).await?;
        Ok(())
    }

    /// Lists the LSNs of every commit in a log, in ascending order.
    pub async fn list_commits(&self, log: &LogId) -> Result<Vec<LSN>> {
        let prefix = Path::from_iter(["logs", &log.serialize(), "commits"]);
        let objects: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        STATS.record(0);
        self.simulate(0).await;
        let mut lsns = Vec::with_capacity(objects.len());
        for object in objects {
            let name = object.location.filename().unwrap_or_default();
            let lsn = u64::from_str_radix(name, 16)
                .ok()
                .map(|complement| !complement)
                .filter(|&lsn| lsn > 0)
                .ok_or_else(|| RemoteError::Corrupt {
                    path: object.location.to_string(),
                    reason: "not a commit name".into(),
                })?;
            lsns.push(LSN::new(lsn));
        }
        lsns.sort();
        Ok(lsns)
    }

    /// Reads one commit; `None` if the log has no commit at `lsn` (yet).
    pub async fn get_commit(&self, log: &LogId, lsn: LSN) -> Result<Option<Commit>> {
        let path = commit_path(log, lsn);
        let Some(bytes) = self.get_optional(&path).await? else {
            return Ok(None);
        };
        let commit = Commit::decode(bytes).map_err(|err| RemoteError::Corrupt {
            path: path.to_string(),
            reason: err.to_string(),
        })?;
        Ok(Some(commit))
    }

    /// Reads a byte range of a segment (one or more whole frames).
    pub async fn get_segment_range(&self, sid: &SegmentId, range: Range<usize>) -> Result<Bytes> {
        let path = Path::from_iter(["segments", &sid.serialize()]);
        let bytes = self
            .store
            .get_range(&path, range.start as u64..range.end as u64)
            .await?;
        STATS.record(bytes.len());
        self.simulate(bytes.len()).await;
        Ok(bytes)
    }
}

fn commit_path(log: &LogId, lsn: LSN) -> Path {
    Path::from_iter([
        "logs",
        &log.serialize(),
        "commits",
        &CBE64::from(lsn).to_string(),
    ])
}

/// Graft's writer builds its S3 client from the environment; copy the
/// endpoint and region of our config there. Call before any thread starts.
pub fn export_s3_environment(config: &StoreConfig) {
    if let StoreConfig::S3 {
        endpoint, region, ..
    } = config
    {
        // SAFETY: called from `main` before the Tokio runtime or any other
        // thread exists, so nothing reads the environment concurrently.
        unsafe {
            if let Some(endpoint) = endpoint {
                std::env::set_var("AWS_ENDPOINT", endpoint);
                if endpoint.starts_with("http://") {
                    std::env::set_var("AWS_ALLOW_HTTP", "true");
                }
                std::env::set_var("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false");
            }
            if let Some(region) = region {
                std::env::set_var("AWS_REGION", region);
            }
        }
    }
}
