//! Per-connection state: the volume a session reads, its settings, and the
//! connection pinned by an open transaction.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use crate::error::{PgError, PgResult, sqlstate};
use crate::exec::RunOptions;
use crate::replica::OpenVolume;
use crate::replica::pool::PooledConnection;
use crate::replica::remote::STATS;
use crate::replica::stats::QueryStats;

/// The setting that turns prefetching on or off for a session.
pub const PREFETCH: &str = "graftgres.prefetch";

/// The Postgres version graftgres speaks as.
pub const SERVER_VERSION: &str = "15.0 (graftgres)";

pub struct Session {
    pub volume: Arc<OpenVolume>,
    pub user: String,
    settings: Mutex<BTreeMap<String, String>>,
    /// The connection (and so the snapshot) of an open transaction.
    pub transaction: Arc<tokio::sync::Mutex<Option<PooledConnection>>>,
    /// Whether the open transaction hit an error (Postgres's "aborted" state).
    failed: AtomicBool,
    /// Object-store traffic of the last read (`SHOW graftgres.last_query`).
    last_read: Mutex<Arc<QueryStats>>,
}

/// Settings every session starts with: what a Postgres 15 hot standby says.
pub fn default_settings() -> BTreeMap<String, String> {
    [
        ("server_version", SERVER_VERSION),
        ("server_version_num", "150000"),
        ("server_encoding", "UTF8"),
        ("client_encoding", "UTF8"),
        ("datestyle", "ISO, MDY"),
        ("intervalstyle", "postgres"),
        ("timezone", "UTC"),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
        ("default_transaction_read_only", "on"),
        ("transaction_read_only", "on"),
        ("in_hot_standby", "on"),
        ("is_superuser", "off"),
        ("transaction_isolation", "repeatable read"),
        ("default_transaction_isolation", "repeatable read"),
        ("application_name", ""),
        ("extra_float_digits", "1"),
        ("search_path", "\"$user\", public"),
        ("statement_timeout", "0"),
        ("lock_timeout", "0"),
        ("idle_in_transaction_session_timeout", "0"),
        ("max_identifier_length", "63"),
        ("bytea_output", "hex"),
        ("lc_collate", "C"),
        ("lc_ctype", "C"),
        ("lc_messages", "C"),
        ("lc_monetary", "C"),
        ("lc_numeric", "C"),
        ("lc_time", "C"),
        ("client_min_messages", "notice"),
        ("row_security", "on"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Settings a session on `volume` starts with.
fn defaults_for(volume: &OpenVolume) -> BTreeMap<String, String> {
    let mut settings = default_settings();
    let prefetch = if volume.prefetch { "on" } else { "off" };
    settings.insert(PREFETCH.into(), prefetch.into());
    settings
}

/// The startup ParameterStatus set, with Postgres's spelling of the names.
pub const REPORTED: [(&str, &str); 12] = [
    ("server_version", "server_version"),
    ("server_encoding", "server_encoding"),
    ("client_encoding", "client_encoding"),
    ("DateStyle", "datestyle"),
    ("IntervalStyle", "intervalstyle"),
    ("TimeZone", "timezone"),
    ("integer_datetimes", "integer_datetimes"),
    ("standard_conforming_strings", "standard_conforming_strings"),
    (
        "default_transaction_read_only",
        "default_transaction_read_only",
    ),
    ("in_hot_standby", "in_hot_standby"),
    ("is_superuser", "is_superuser"),
    ("application_name", "application_name"),
];

impl Session {
    pub fn new(volume: Arc<OpenVolume>, user: String, application_name: Option<&str>) -> Self {
        let mut settings = defaults_for(&volume);
        if let Some(name) = application_name {
            settings.insert("application_name".into(), name.to_owned());
        }
        Self {
            volume,
            user,
            settings: Mutex::new(settings),
            transaction: Default::default(),
            failed: AtomicBool::new(false),
            last_read: Mutex::new(QueryStats::new()),
        }
    }

    /// Options for the next read; its traffic becomes the last read's.
    pub fn run_options(&self) -> RunOptions {
        let stats = QueryStats::new();
        *self.last_read.lock() = stats.clone();
        RunOptions {
            prefetch: self.setting(PREFETCH).as_deref() == Some("on"),
            stats,
        }
    }

    pub fn setting(&self, name: &str) -> Option<String> {
        self.settings.lock().get(name).cloned()
    }

    /// `SHOW name`.
    pub fn show(&self, name: &str) -> PgResult<String> {
        let name = canonical(name);
        match name.as_str() {
            "graftgres.object_store_requests" => {
                return Ok(STATS.requests.load(Ordering::Relaxed).to_string());
            }
            "graftgres.object_store_bytes" => {
                return Ok(STATS.bytes.load(Ordering::Relaxed).to_string());
            }
            "graftgres.snapshot_lsn" => return Ok(self.volume.volume.latest().lsn().to_string()),
            "graftgres.last_query" => return Ok(self.last_read.lock().snapshot().to_string()),
            "graftgres.warmup" => {
                return Ok(match (*self.volume.warmup.borrow(), self.volume.prefetch) {
                    (Some(cost), _) => cost.to_string(),
                    (None, true) => "running".to_owned(),
                    (None, false) => "off".to_owned(),
                });
            }
            _ => {}
        }
        self.setting(&name).ok_or_else(|| unrecognized(&name))
    }

    /// `SET name = value`.
    pub fn set(&self, name: &str, value: &str) -> PgResult<()> {
        let name = canonical(name);
        let off = matches!(value.to_lowercase().as_str(), "off" | "false" | "0" | "no");
        match name.as_str() {
            "transaction_read_only" | "default_transaction_read_only" if off => {
                return Err(PgError::new(
                    sqlstate::READ_ONLY_SQL_TRANSACTION,
                    "cannot set transaction read-write mode during recovery",
                ));
            }
            // SET TRANSACTION ... / SET SESSION CHARACTERISTICS: snapshot
            // isolation is all a replica offers; accept and keep it.
            "transaction" => return Ok(()),
            PREFETCH => {
                let on = matches!(value.to_lowercase().as_str(), "on" | "true" | "1" | "yes");
                if !on && !off {
                    return Err(PgError::new(
                        sqlstate::INVALID_PARAMETER_VALUE,
                        format!("parameter \"{PREFETCH}\" requires a Boolean value"),
                    ));
                }
                let value = if on { "on" } else { "off" };
                self.settings.lock().insert(name, value.into());
                return Ok(());
            }
            _ => {}
        }
        let mut settings = self.settings.lock();
        if !settings.contains_key(&name) && !name.contains('.') {
            return Err(unrecognized(&name));
        }
        settings.insert(name, value.to_owned());
        Ok(())
    }

    /// `RESET name` / `RESET ALL`.
    pub fn reset(&self, name: Option<&str>) -> PgResult<()> {
        let defaults = defaults_for(&self.volume);
        let mut settings = self.settings.lock();
        match name.map(canonical) {
            None => {
                let app = settings.get("application_name").cloned();
                *settings = defaults;
                if let Some(app) = app {
                    settings.insert("application_name".into(), app);
                }
            }
            Some(name) => match defaults.get(&name) {
                Some(value) => {
                    settings.insert(name, value.clone());
                }
                None if name.contains('.') => {
                    settings.remove(&name);
                }
                None => return Err(unrecognized(&name)),
            },
        }
        Ok(())
    }

    pub fn in_failed_transaction(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    pub fn set_failed(&self, failed: bool) {
        self.failed.store(failed, Ordering::Relaxed);
    }
}

fn canonical(name: &str) -> String {
    match name.to_lowercase().as_str() {
        "transaction isolation level" => "transaction_isolation".into(),
        "time zone" => "timezone".into(),
        other => other.to_owned(),
    }
}

fn unrecognized(name: &str) -> PgError {
    PgError::new(
        sqlstate::UNDEFINED_PARAMETER,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}
