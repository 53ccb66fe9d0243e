//! Per-connection state: the volume a session reads, its settings, its open
//! transaction (the connection it pinned, savepoints, `SET LOCAL` values) and
//! its SQL cursors.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use super::cursor::CursorEntry;
use crate::error::{PgError, PgResult, sqlstate};
use crate::exec::interrupt::Interrupts;
use crate::exec::worker::TxConn;
use crate::exec::{Limits, RunOptions};
use crate::replica::OpenVolume;
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
    /// The open transaction, if any.
    transaction: Mutex<Option<Transaction>>,
    /// Whether the open transaction hit an error (Postgres's "aborted" state).
    failed: AtomicBool,
    /// Object-store traffic of the last read (`SHOW graftgres.last_query`).
    last_read: Mutex<Arc<QueryStats>>,
    /// The statements running now, for cancel requests and timeouts.
    pub interrupts: Arc<Interrupts>,
    /// Open SQL cursors (`DECLARE`), by name.
    pub cursors: Mutex<HashMap<String, CursorEntry>>,
    /// Names of the statements the client prepared (Parse), for
    /// `DEALLOCATE ALL` and `DISCARD ALL`.
    pub prepared: Mutex<BTreeSet<String>>,
}

/// An open transaction block.
pub struct Transaction {
    /// The connection (and so the snapshot) every statement of it runs on.
    pub conn: Arc<TxConn>,
    savepoints: Vec<String>,
    /// Settings to restore when it ends (`SET LOCAL`, the isolation level).
    restore: Vec<(String, Option<String>)>,
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
        ("default_table_access_method", "heap"),
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
            interrupts: Default::default(),
            cursors: Default::default(),
            prepared: Default::default(),
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

    /// Cancel handling and `statement_timeout` for the next statement.
    pub fn limits(&self) -> Limits {
        Limits {
            interrupts: self.interrupts.clone(),
            timeout: self
                .setting("statement_timeout")
                .and_then(|value| parse_duration_ms(&value))
                .filter(|timeout| !timeout.is_zero()),
        }
    }

    /// The open transaction's connection.
    pub fn transaction_conn(&self) -> Option<Arc<TxConn>> {
        self.transaction.lock().as_ref().map(|tx| tx.conn.clone())
    }

    pub fn in_transaction(&self) -> bool {
        self.transaction.lock().is_some()
    }

    /// Records a transaction begun on `conn`; `isolation` is shown until it
    /// ends. Returns `conn` back when one is already open (a `BEGIN` inside a
    /// transaction is only a warning in Postgres).
    pub fn start_transaction(
        &self,
        conn: Arc<TxConn>,
        isolation: Option<&str>,
    ) -> Result<(), Arc<TxConn>> {
        let mut transaction = self.transaction.lock();
        if transaction.is_some() {
            return Err(conn);
        }
        let mut restore = Vec::new();
        if let Some(level) = isolation {
            let mut settings = self.settings.lock();
            let old = settings.insert("transaction_isolation".into(), level.to_owned());
            restore.push(("transaction_isolation".to_owned(), old));
        }
        *transaction = Some(Transaction {
            conn,
            savepoints: Vec::new(),
            restore,
        });
        Ok(())
    }

    /// Ends the transaction block: restores `SET LOCAL` values and closes
    /// cursors that do not outlive it; returns its connection to end and the
    /// names of the cursors closed.
    pub fn finish_transaction(&self) -> Option<(Arc<TxConn>, Vec<String>)> {
        let transaction = self.transaction.lock().take()?;
        let mut settings = self.settings.lock();
        for (name, old) in transaction.restore.into_iter().rev() {
            match old {
                Some(value) => settings.insert(name, value),
                None => settings.remove(&name),
            };
        }
        drop(settings);
        let mut closed = Vec::new();
        self.cursors.lock().retain(|name, cursor| {
            if !cursor.hold {
                closed.push(name.clone());
            }
            cursor.hold
        });
        Some((transaction.conn, closed))
    }

    /// `SET LOCAL`: like `SET`, undone when the transaction ends; outside a
    /// transaction it has no effect, as in Postgres.
    pub fn set_local(&self, name: &str, value: &str) -> PgResult<()> {
        let name = canonical(name);
        if !self.in_transaction() {
            return Ok(());
        }
        let old = self.setting(&name);
        self.set(&name, value)?;
        if let Some(tx) = self.transaction.lock().as_mut() {
            tx.restore.push((name, old));
        }
        Ok(())
    }

    /// `SAVEPOINT name`.
    pub fn savepoint(&self, name: &str) -> PgResult<()> {
        match self.transaction.lock().as_mut() {
            Some(tx) => {
                tx.savepoints.push(name.to_owned());
                Ok(())
            }
            None => Err(no_transaction("SAVEPOINT")),
        }
    }

    /// `RELEASE name` (`rollback: false`) or `ROLLBACK TO name`: both find
    /// the newest savepoint of that name; RELEASE drops it and the ones after
    /// it, ROLLBACK TO keeps it and leaves the aborted state.
    pub fn to_savepoint(&self, name: &str, rollback: bool) -> PgResult<()> {
        let mut transaction = self.transaction.lock();
        let Some(tx) = transaction.as_mut() else {
            return Err(no_transaction(if rollback {
                "ROLLBACK TO SAVEPOINT"
            } else {
                "RELEASE SAVEPOINT"
            }));
        };
        let Some(at) = tx.savepoints.iter().rposition(|s| s == name) else {
            return Err(PgError::new(
                sqlstate::INVALID_SAVEPOINT_SPECIFICATION,
                format!("savepoint \"{name}\" does not exist"),
            ));
        };
        if rollback {
            tx.savepoints.truncate(at + 1);
            self.set_failed(false);
        } else if self.in_failed_transaction() {
            return Err(aborted());
        } else {
            tx.savepoints.truncate(at);
        }
        Ok(())
    }

    /// `SHOW ALL`: every setting with its value (name, setting, description).
    pub fn show_all(&self) -> Vec<(String, String)> {
        self.settings
            .lock()
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
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
            "graftgres.open" => return Ok(self.volume.opened.to_string()),
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
            "statement_timeout" if parse_duration_ms(value).is_none() => {
                return Err(PgError::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid value for parameter \"statement_timeout\": \"{value}\""),
                ));
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

/// The error a statement gets in an aborted transaction.
pub fn aborted() -> PgError {
    PgError::new(
        sqlstate::IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}

fn no_transaction(command: &str) -> PgError {
    PgError::new(
        sqlstate::NO_ACTIVE_SQL_TRANSACTION,
        format!("{command} can only be used in transaction blocks"),
    )
}

/// A `statement_timeout` value: milliseconds, or a number with a unit.
fn parse_duration_ms(value: &str) -> Option<Duration> {
    let value = value.trim().trim_matches('\'').to_lowercase();
    let digits = value
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(digits);
    let number: f64 = number.parse().ok()?;
    let ms = match unit.trim() {
        "" | "ms" => number,
        "us" => number / 1000.0,
        "s" => number * 1000.0,
        "min" => number * 60_000.0,
        "h" => number * 3_600_000.0,
        "d" => number * 86_400_000.0,
        _ => return None,
    };
    Some(Duration::from_micros((ms * 1000.0) as u64))
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
