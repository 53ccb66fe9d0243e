//! Configuration: the TOML file a replica or importer starts from.
//!
//! Every key is optional; with no file at all graftgres keeps everything under
//! one data folder (`./graftgres-data`): the object store in `store/`, the page
//! cache in `cache/`, the importer's Graft state in `writer/`. Unknown keys are
//! errors, so a typo never silently falls back to a default.

use std::collections::BTreeMap;
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
    /// TLS for Postgres clients; without it SSLRequest is answered 'N'.
    pub tls: Option<TlsConfig>,
    /// How clients authenticate (trust by default).
    #[serde(default)]
    pub auth: AuthConfig,
}

/// The server's certificate and whether plaintext clients are refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file: the server certificate, then any intermediates.
    pub cert: PathBuf,
    /// PEM file: the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Refuse clients that do not ask for TLS, like a Postgres whose
    /// pg_hba.conf has only `hostssl` lines.
    #[serde(default)]
    pub require: bool,
}

/// Client authentication: the method and the users it knows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub method: AuthMethod,
    /// User name → credentials.
    pub users: BTreeMap<String, UserConfig>,
}

/// pg_hba.conf's method names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// Every user is let in without a password.
    #[default]
    Trust,
    /// SCRAM-SHA-256 (and SCRAM-SHA-256-PLUS over TLS).
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    /// The password in clear text (only sensible over TLS).
    Password,
}

/// One user's password: in the file or in an environment variable. Either
/// holds a plaintext password or a Postgres SCRAM verifier
/// (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, what
/// `pg_authid.rolpassword` holds), as `CREATE ROLE ... PASSWORD` takes either.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub password: Option<String>,
    /// Name of the environment variable holding the password.
    pub password_env: Option<String>,
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
        self.auth.validate()
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

impl AuthConfig {
    fn validate(&self) -> anyhow::Result<()> {
        match self.method {
            AuthMethod::Trust if !self.users.is_empty() => bail!(
                "auth.users is set but auth.method is \"trust\", which asks no password: \
                 set method = \"scram-sha-256\" to use them"
            ),
            AuthMethod::ScramSha256 | AuthMethod::Password if self.users.is_empty() => {
                bail!("auth.method needs at least one user in auth.users")
            }
            _ => {}
        }
        for (name, user) in &self.users {
            match (&user.password, &user.password_env) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => bail!("auth.users.{name}: set exactly one of password and password_env"),
            }
        }
        Ok(())
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

    #[test]
    fn tls_and_auth_parse() {
        let config = Config::parse(
            r#"
            [tls]
            cert = "server.crt"
            key = "server.key"
            require = true

            [auth]
            method = "scram-sha-256"
            users.alice = { password = "secret" }
            users.app = { password_env = "APP_PASSWORD" }
            "#,
        )
        .unwrap();
        let tls = config.tls.unwrap();
        assert!(tls.require);
        assert_eq!(config.auth.method, AuthMethod::ScramSha256);
        assert_eq!(config.auth.users.len(), 2);
        let defaults = Config::parse("").unwrap();
        assert!(defaults.tls.is_none());
        assert_eq!(defaults.auth.method, AuthMethod::Trust);
    }

    #[test]
    fn bad_auth_is_an_error() {
        let err = |text: &str| format!("{:#}", Config::parse(text).unwrap_err());
        assert!(err("[auth]\nmethod = \"md5\"").contains("unknown variant"));
        assert!(err("[auth]\nmethod = \"scram-sha-256\"").contains("at least one user"));
        assert!(err("[auth]\nusers.a = { password = \"x\" }").contains("trust"));
        assert!(err("[auth]\nmethod = \"password\"\nusers.a = {}").contains("exactly one of"));
        assert!(err("[tls]\ncert = \"c\"").contains("missing field `key`"));
    }
}
