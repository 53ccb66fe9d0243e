//! Pooled SQLite connections to one volume (deadpool).
//!
//! A connection is opened on a blocking thread (opening reads the header
//! page, which may mean a fetch) and only ever used on blocking threads.

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use rusqlite::{Connection, OpenFlags};

use super::vfs::VFS_NAME;

pub type Pool = managed::Pool<ConnectionManager>;
pub type PooledConnection = managed::Object<ConnectionManager>;

pub struct ConnectionManager {
    /// The VFS key of the volume.
    key: String,
}

impl ConnectionManager {
    pub fn new(key: String) -> Self {
        Self { key }
    }
}

/// Opens a read-only connection to the volume registered under `key`.
pub fn open_connection(key: &str) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags_and_vfs(key, flags, VFS_NAME)?;
    conn.execute_batch(
        "PRAGMA query_only = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16384;",
    )?;
    crate::sql::functions::register(&conn)?;
    crate::sql::catalog::attach(&conn, key)?;
    Ok(conn)
}

impl managed::Manager for ConnectionManager {
    type Type = Connection;
    type Error = rusqlite::Error;

    async fn create(&self) -> Result<Connection, rusqlite::Error> {
        let key = self.key.clone();
        tokio::task::spawn_blocking(move || open_connection(&key))
            .await
            .map_err(|err| {
                rusqlite::Error::UserFunctionError(format!("connection task failed: {err}").into())
            })?
    }

    async fn recycle(&self, conn: &mut Connection, _: &Metrics) -> RecycleResult<rusqlite::Error> {
        // A connection returned mid-transaction (a client that vanished)
        // would keep its snapshot pinned: drop it instead.
        if conn.is_autocommit() {
            Ok(())
        } else {
            Err(RecycleError::message(
                "connection returned inside a transaction",
            ))
        }
    }
}
