//! Configuration: the TOML file a replica or importer starts from.
//!
//! Every key is optional; with no file at all graftgres keeps everything under
//! one data folder (`./graftgres-data`): the object store in `store/`, the page
//! cache in `cache/`, the importer's Graft state in `writer/`. Unknown keys are
//! errors, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

/// The default listen address: the Postgres port plus 1000, like PgBouncer's.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:6432";
/// The default data folder, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./graftgres-data";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the Postgres listener binds.
    pub listen: Option<SocketAddr>,
    /// Folder for everything local (default store, cache, importer state).
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub store: Option<StoreConfig>,
    #[serde(default)]
    pub cache: CacheConfig,
    #[serde(default)]
    pub replica: ReplicaConfig,
    /// Address to serve Prometheus metrics on (`/metrics`); none by default.
    pub metrics_listen: Option<SocketAddr>,
    /// Delay added to every object-store request the replica makes, to
    /// measure prefetching as if the store were remote. For benchmarks.
    pub simulated_latency: Option<LatencyConfig>,
}

/// An artificial delay per object-store request (and per byte).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyConfig {
    /// Added to every request, in milliseconds.
    pub per_request_ms: u64,
    /// Bandwidth of one request in MiB/s; 0 for unlimited.
    #[serde(default)]
    pub mib_per_second: u64,
}

/// Where the Graft volumes live.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StoreConfig {
    /// A folder on the local file system.
    Local { path: PathBuf },
    /// An S3-compatible bucket (AWS S3, MinIO, Tigris, ...). Credentials come
    /// from the usual AWS environment variables.
    S3 {
        bucket: String,
        prefix: Option<String>,
        /// e.g. `http://127.0.0.1:9000`; default: AWS for `region`.
        endpoint: Option<String>,
        region: Option<String>,
    },
}

/// The replica's bounded local page cache.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Folder for cached segment frames (default: DATA_DIR/cache).
    pub dir: Option<PathBuf>,
    /// Decoded pages kept in memory, in MiB.
    pub memory_mib: u64,
    /// Compressed frames kept on disk, in MiB (0 turns the disk tier off).
    pub disk_mib: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            dir: None,
            memory_mib: 256,
            disk_mib: 1024,
        }
    }
}

/// How a replica follows its volumes.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicaConfig {
    /// How often to look for new commits, in milliseconds.
    pub poll_interval_ms: u64,
    /// SQLite connections kept per volume.
    pub pool_size: usize,
    /// Index-aware prefetching, and fetching B-tree interior pages when a
    /// volume opens (`SET graftgres.prefetch = off` turns it off for a
    /// session).
    pub prefetch: bool,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        Self {
            poll_interval_ms: 500,
            pool_size: 8,
            prefetch: true,
        }
    }
}

impl ReplicaConfig {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Config = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.replica.poll_interval_ms == 0 {
            bail!("replica.poll_interval_ms must be at least 1");
        }
        if self.replica.pool_size == 0 {
            bail!("replica.pool_size must be at least 1");
        }
        if self.cache.memory_mib == 0 {
            bail!("cache.memory_mib must be at least 1");
        }
        if let Some(StoreConfig::S3 { bucket, .. }) = &self.store
            && bucket.len() < 3
        {
            bail!("store.bucket {bucket:?} is not a valid bucket name");
        }
        Ok(())
    }

    /// Applies command-line overrides on top of the file.
    pub fn with_overrides(mut self, listen: Option<SocketAddr>, data_dir: Option<PathBuf>) -> Self {
        if listen.is_some() {
            self.listen = listen;
        }
        if data_dir.is_some() {
            self.data_dir = data_dir;
        }
        self
    }

    pub fn listen(&self) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default address"))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    pub fn store(&self) -> StoreConfig {
        self.store.clone().unwrap_or_else(|| StoreConfig::Local {
            path: self.data_dir().join("store"),
        })
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.cache
            .dir
            .clone()
            .unwrap_or_else(|| self.data_dir().join("cache"))
    }

    /// The importer's own Graft state (local logs and staged segments).
    pub fn writer_dir(&self) -> PathBuf {
        self.data_dir().join("writer")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_all_defaults() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.listen().to_string(), DEFAULT_LISTEN);
        assert!(matches!(config.store(), StoreConfig::Local { .. }));
        assert_eq!(config.cache.memory_mib, 256);
    }

    #[test]
    fn s3_store_parses() {
        let config = Config::parse(
            r#"
            [store]
            type = "s3"
            bucket = "graft"
            endpoint = "http://127.0.0.1:9000"
            "#,
        )
        .unwrap();
        assert!(matches!(config.store(), StoreConfig::S3 { bucket, .. } if bucket == "graft"));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = Config::parse("lisen = \"127.0.0.1:1\"").unwrap_err();
        assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
        let err = Config::parse("[cache]\nmemory = 3").unwrap_err();
        assert!(format!("{err:#}").contains("unknown field"), "{err:#}");
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(Config::parse("listen = \"nowhere\"").is_err());
        assert!(Config::parse("[replica]\npoll_interval_ms = 0").is_err());
        assert!(Config::parse("[store]\ntype = \"ftp\"").is_err());
    }
}
