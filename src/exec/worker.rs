//! The connection of an open transaction: one thread owns it and serves the
//! session's requests in order.
//!
//! A transaction reads one snapshot, so all its statements run on one SQLite
//! connection, and several may be open at once: a portal suspended by
//! Execute's row limit, SQL cursors, and the next query. rusqlite statements
//! borrow their connection, so the connection lives on the stack of one
//! thread with its open statements beside it; the async side sends requests
//! (describe, open, fetch, close, end) through a channel and awaits replies.
//! A statement that is not being fetched costs nothing but its place in the
//! map: nothing blocks the next request.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use pgwire::api::Type;
use rusqlite::types::Value;
use rusqlite::{CachedStatement, Connection, InterruptHandle};
use tokio::sync::{mpsc, oneshot};

use super::interrupt::Registration;
use super::{
    BATCH_ROWS, BATCHES_IN_FLIGHT, Column, Description, RowStream, RunOptions, describe_prepared,
    finished, from_sqlite, open_statement, row_values,
};
use crate::error::{PgError, PgResult};
use crate::replica::pool::PooledConnection;
use crate::sql::ReadQuery;

type Reply<T> = oneshot::Sender<PgResult<T>>;

enum Job {
    Describe {
        read: Arc<ReadQuery>,
        given: Vec<Option<Type>>,
        reply: Reply<Description>,
    },
    Open {
        read: Arc<ReadQuery>,
        params: Vec<Value>,
        known: Option<Vec<Column>>,
        options: RunOptions,
        reply: Reply<(u64, Vec<Column>)>,
    },
    Fetch {
        id: u64,
        max: usize,
        reply: Reply<Batch>,
    },
    Close {
        id: u64,
    },
    End {
        reply: Reply<()>,
    },
}

/// Rows from an open statement; `done` once it has no more.
struct Batch {
    rows: Vec<Vec<Value>>,
    done: bool,
}

/// A handle on the thread that owns a transaction's connection.
pub struct TxConn {
    jobs: std_mpsc::Sender<Job>,
    interrupt: Arc<InterruptHandle>,
}

fn ended() -> PgError {
    PgError::new(
        crate::error::sqlstate::IN_FAILED_SQL_TRANSACTION,
        "the transaction of this statement has ended",
    )
}

impl TxConn {
    /// Starts a transaction (`BEGIN`) on `conn` and a thread to serve it.
    pub async fn begin(conn: PooledConnection) -> PgResult<Arc<TxConn>> {
        let (jobs, queue) = std_mpsc::channel();
        let (ready_tx, ready) = oneshot::channel();
        std::thread::Builder::new()
            .name("graftgres-tx".into())
            .spawn(move || serve(conn, queue, ready_tx))
            .map_err(|err| {
                PgError::internal(format!("cannot start a transaction thread: {err}"))
            })?;
        let interrupt = ready.await.map_err(|_| ended())??;
        Ok(Arc::new(TxConn { jobs, interrupt }))
    }

    /// The handle that interrupts the statement this connection runs.
    pub fn interrupt_handle(&self) -> Arc<InterruptHandle> {
        self.interrupt.clone()
    }

    async fn ask<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> PgResult<T> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(job(reply)).map_err(|_| ended())?;
        answer.await.map_err(|_| ended())?
    }

    pub async fn describe(
        &self,
        read: Arc<ReadQuery>,
        given: Vec<Option<Type>>,
    ) -> PgResult<Description> {
        self.ask(|reply| Job::Describe { read, given, reply }).await
    }

    /// Opens a statement and streams its rows: a task fetches batches on
    /// demand (the channel bounds how far it runs ahead of the client).
    pub async fn run(
        self: &Arc<Self>,
        read: Arc<ReadQuery>,
        params: Vec<Value>,
        known: Option<Vec<Column>>,
        options: RunOptions,
        registration: Registration,
    ) -> PgResult<RowStream> {
        let (id, columns) = self
            .ask(|reply| Job::Open {
                read,
                params,
                known,
                options,
                reply,
            })
            .await
            .map_err(|err| registration.explain(err))?;
        let (rows_tx, batches) = mpsc::channel(BATCHES_IN_FLIGHT);
        let conn = self.clone();
        tokio::spawn(async move {
            loop {
                let batch = tokio::select! {
                    batch = conn.ask(|reply| Job::Fetch { id, max: BATCH_ROWS, reply }) => batch,
                    // The reader went away (portal closed, client gone).
                    _ = rows_tx.closed() => break,
                };
                match batch {
                    Ok(Batch { rows, done }) => {
                        if !rows.is_empty() && rows_tx.send(Ok(rows)).await.is_err() {
                            break;
                        }
                        if done {
                            break;
                        }
                    }
                    Err(err) => {
                        let _ = rows_tx.send(Err(registration.explain(err))).await;
                        break;
                    }
                }
            }
            let _ = conn.jobs.send(Job::Close { id });
            drop(registration);
        });
        Ok(RowStream {
            columns: Arc::new(columns),
            batches,
        })
    }

    /// Ends the transaction: closes its statements, rolls back (a read-only
    /// transaction has nothing to commit) and returns the connection to the
    /// pool with its snapshot released.
    pub async fn end(&self) -> PgResult<()> {
        self.ask(|reply| Job::End { reply }).await
    }
}

/// An open statement of the transaction.
struct Open<'conn> {
    stmt: CachedStatement<'conn>,
    width: usize,
    scales: Vec<Option<u32>>,
    read: Arc<ReadQuery>,
    /// Its object-store traffic is counted while it steps.
    options: RunOptions,
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        // A statement left mid-way by `step` is still running; rusqlite's
        // statement cache does not reset what it takes back, and a running
        // statement keeps its read transaction (and interrupts) alive.
        // Dropping a `Rows` resets it.
        drop(self.stmt.raw_query());
    }
}

/// The transaction thread: BEGIN, then requests until End or until every
/// handle is dropped (a session that went away), then ROLLBACK.
fn serve(
    conn: PooledConnection,
    queue: std_mpsc::Receiver<Job>,
    ready: oneshot::Sender<PgResult<Arc<InterruptHandle>>>,
) {
    if let Err(err) = conn.execute_batch("BEGIN") {
        let _ = ready.send(Err(from_sqlite(&err)));
        return;
    }
    if ready
        .send(Ok(Arc::new(conn.get_interrupt_handle())))
        .is_err()
    {
        let _ = conn.execute_batch("ROLLBACK");
        return;
    }
    let db: &Connection = &conn;
    let mut open: HashMap<u64, Open<'_>> = HashMap::new();
    let mut next_id = 0u64;
    let mut end_reply = None;
    while let Ok(job) = queue.recv() {
        match job {
            Job::Describe { read, given, reply } => {
                let described = crate::sql::catalog::refresh(db, &read.sqlite)
                    .and_then(|()| super::sqlite_text(db, &read))
                    .and_then(|sqlite| db.prepare_cached(&sqlite).map_err(|e| from_sqlite(&e)))
                    .and_then(|stmt| describe_prepared(db, &stmt, &read, &given));
                let _ = reply.send(described);
            }
            Job::Open {
                read,
                params,
                known,
                options,
                reply,
            } => {
                let counting = options.stats.enter();
                let opened = open_statement(db, &read, &params, known, &options);
                drop(counting);
                let _ = reply.send(opened.map(|opened| {
                    let id = next_id;
                    next_id += 1;
                    let columns = opened.columns.clone();
                    let statement = Open {
                        stmt: opened.stmt,
                        width: opened.columns.len(),
                        scales: opened.scales,
                        read,
                        options,
                    };
                    open.insert(id, statement);
                    (id, columns)
                }));
            }
            Job::Fetch { id, max, reply } => {
                let batch = match open.get_mut(&id) {
                    Some(statement) => {
                        let _counting = statement.options.stats.enter();
                        step(statement, max).map_err(|e| from_sqlite(&e))
                    }
                    None => Ok(Batch {
                        rows: Vec::new(),
                        done: true,
                    }),
                };
                if !matches!(batch, Ok(Batch { done: false, .. }))
                    && let Some(statement) = open.remove(&id)
                {
                    finished(&statement.read, &statement.options);
                }
                let _ = reply.send(batch);
            }
            Job::Close { id } => {
                open.remove(&id);
            }
            Job::End { reply } => {
                end_reply = Some(reply);
                break;
            }
        }
    }
    open.clear();
    let ended = conn
        .execute_batch("ROLLBACK")
        .map_err(|err| from_sqlite(&err));
    if let Some(reply) = end_reply {
        let _ = reply.send(ended);
    }
}

/// Steps an open statement up to `max` rows, leaving it positioned on the
/// next one.
///
/// rusqlite resets a statement when the `Rows` that steps it is dropped, and
/// a `Rows` borrows its statement, so it cannot be kept beside it. Each fetch
/// therefore steps through a fresh `Rows` and forgets it instead of dropping
/// it: `Rows` holds only borrows, so nothing leaks, and the statement stays
/// where it was. A statement that ended or failed was already reset by
/// rusqlite.
fn step(statement: &mut Open<'_>, max: usize) -> rusqlite::Result<Batch> {
    let (width, scales) = (statement.width, &statement.scales);
    let mut rows = statement.stmt.raw_query();
    let mut batch = Batch {
        rows: Vec::with_capacity(max.min(BATCH_ROWS)),
        done: false,
    };
    while batch.rows.len() < max {
        match rows.next()? {
            Some(row) => batch.rows.push(row_values(row, width, scales)),
            None => {
                batch.done = true;
                break;
            }
        }
    }
    std::mem::forget(rows);
    Ok(batch)
}
