//! Running translated reads on SQLite and streaming their rows.
//!
//! Every SQLite call happens on a blocking thread (`spawn_blocking`): a page
//! miss inside SQLite blocks on the object store. Rows flow back to the async
//! side through a bounded channel in batches, so a large result never sits
//! in memory whole, and a client that goes away stops the scan.

mod errors;
pub mod interrupt;
mod typed;
pub mod worker;

use std::sync::Arc;

use pgwire::api::Type;
use rusqlite::types::Value;
use rusqlite::{Connection, Statement};
use tokio::sync::mpsc;

use crate::decimal::Decimal;
use crate::error::{PgError, PgResult};
use crate::prefetch;
use crate::replica::pool::PooledConnection;
use crate::replica::stats::QueryStats;
use crate::sql::ReadQuery;
use crate::sql::types::{
    from_declared, parameter_types, projection_names, projection_scales, projection_types,
};
pub use errors::from_sqlite;
use interrupt::{Interrupts, Registration};
use typed::scope_of;
pub(crate) use typed::sqlite_text;
use worker::TxConn;

/// Rows sent per channel message, and messages buffered.
const BATCH_ROWS: usize = 256;
const BATCHES_IN_FLIGHT: usize = 4;

/// A result column: its name and Postgres type.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: Type,
}

/// What a read needs and returns, known before it runs.
#[derive(Debug, Clone)]
pub struct Description {
    pub params: Vec<Type>,
    pub columns: Vec<Column>,
}

/// A running read: its columns, then its rows in batches.
pub struct RowStream {
    pub columns: Arc<Vec<Column>>,
    pub batches: mpsc::Receiver<PgResult<Vec<Vec<Value>>>>,
}

/// A connection to run on: from the pool, or the session's transaction.
pub enum Conn {
    Pooled(PooledConnection),
    Transaction(Arc<TxConn>),
}

/// How a statement may be stopped: the session's interrupts (cancel
/// requests) and its `statement_timeout`.
#[derive(Clone)]
pub struct Limits {
    pub interrupts: Arc<Interrupts>,
    pub timeout: Option<std::time::Duration>,
}

/// Runs `f` on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> PgResult<T> + Send + 'static,
) -> PgResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|err| PgError::internal(format!("query task failed: {err}")))?
}

/// Describes a read without running it: parameter and column types.
pub async fn describe(
    conn: Conn,
    read: Arc<ReadQuery>,
    given: Vec<Option<Type>>,
) -> PgResult<Description> {
    match conn {
        Conn::Transaction(tx) => tx.describe(read, given).await,
        Conn::Pooled(conn) => {
            blocking(move || {
                crate::sql::catalog::refresh(&conn, &read.sqlite)?;
                let sqlite = sqlite_text(&conn, &read)?;
                let stmt = conn.prepare_cached(&sqlite).map_err(|e| from_sqlite(&e))?;
                describe_prepared(&conn, &stmt, &read, &given)
            })
            .await
        }
    }
}

pub(crate) fn describe_prepared(
    conn: &Connection,
    stmt: &Statement<'_>,
    read: &ReadQuery,
    given: &[Option<Type>],
) -> PgResult<Description> {
    let scope = scope_of(conn, read)?;
    let inferred = projection_types(&read.original, &scope);
    let names = stmt.column_names();
    let aligned = inferred.filter(|types| types.len() == names.len());
    let pg_names = projection_names(&read.original).filter(|n| n.len() == names.len());
    let columns = stmt
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let ty = column
                .decl_type()
                .map(from_declared)
                .or_else(|| aligned.as_ref().and_then(|types| types[i].clone()))
                .unwrap_or(Type::TEXT);
            let name = pg_names
                .as_ref()
                .and_then(|n| n[i].clone())
                .unwrap_or_else(|| column.name().to_owned());
            Column { name, ty }
        })
        .collect();
    let count = read.param_count.max(stmt.parameter_count());
    let params = parameter_types(&read.original, &scope, count)
        .into_iter()
        .enumerate()
        .map(|(i, inferred)| match given.get(i).cloned().flatten() {
            Some(ty) if ty != Type::UNKNOWN => ty,
            _ => inferred,
        })
        .collect();
    Ok(Description { params, columns })
}

/// How a read runs: whether its pages are prefetched, and the stats its
/// object-store traffic is counted in.
#[derive(Clone)]
pub struct RunOptions {
    pub prefetch: bool,
    pub stats: Arc<QueryStats>,
}

/// Starts a read and returns once its columns are known; rows follow.
/// `known` is the read's description from an earlier Describe, reused
/// when it still fits the statement (a schema change makes it describe
/// again).
pub async fn run(
    conn: Conn,
    read: Arc<ReadQuery>,
    params: Vec<Value>,
    known: Option<Vec<Column>>,
    options: RunOptions,
    limits: &Limits,
) -> PgResult<RowStream> {
    let conn = match conn {
        Conn::Transaction(tx) => {
            let registration = limits
                .interrupts
                .register(tx.interrupt_handle(), limits.timeout);
            return tx.run(read, params, known, options, registration).await;
        }
        Conn::Pooled(conn) => conn,
    };
    let registration = limits
        .interrupts
        .register(Arc::new(conn.get_interrupt_handle()), limits.timeout);
    let (header_tx, header_rx) = tokio::sync::oneshot::channel();
    let (rows_tx, batches) = mpsc::channel(BATCHES_IN_FLIGHT);
    // Not awaited: the task streams rows while the caller sends them.
    tokio::task::spawn_blocking(move || {
        // Every page SQLite reads from here on counts for this query.
        let _counting = options.stats.enter();
        match open_statement(&conn, &read, &params, known, &options) {
            Ok(Opened {
                stmt,
                columns,
                scales,
            }) => {
                let width = columns.len();
                if header_tx.send(Ok(Arc::new(columns))).is_ok() {
                    stream_rows(stmt, width, &scales, &rows_tx, &registration);
                }
                finished(&read, &options);
            }
            Err(err) => {
                let _ = header_tx.send(Err(registration.explain(err)));
            }
        }
    });
    match header_rx.await {
        Ok(Ok(columns)) => Ok(RowStream { columns, batches }),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(PgError::internal(
            "query ended before describing its result",
        )),
    }
}

/// A read ready to step: its statement (parameters bound), its columns,
/// and the display scale of its numeric columns.
pub(crate) struct Opened<'conn> {
    pub stmt: rusqlite::CachedStatement<'conn>,
    pub columns: Vec<Column>,
    pub scales: Vec<Option<u32>>,
}

/// Everything before a read's first row, on the connection's thread, with
/// the read's stats entered: the catalog brought up to the snapshot, the
/// pages prefetched, the statement prepared, described (unless `known`
/// still fits) and bound.
pub(crate) fn open_statement<'conn>(
    conn: &'conn Connection,
    read: &ReadQuery,
    params: &[Value],
    known: Option<Vec<Column>>,
    options: &RunOptions,
) -> PgResult<Opened<'conn>> {
    crate::sql::catalog::refresh(conn, &read.sqlite)?;
    let sqlite = sqlite_text(conn, read)?;
    if options.prefetch {
        prefetch::before_statement(conn, &sqlite, params, &options.stats);
    }
    let mut stmt = conn.prepare_cached(&sqlite).map_err(|e| from_sqlite(&e))?;
    let columns = match known {
        Some(columns) if columns.len() == stmt.column_count() => columns,
        _ => describe_prepared(conn, &stmt, read, &[])?.columns,
    };
    bind(&mut stmt, params)?;
    let scales = numeric_scales(conn, read, &columns)?;
    Ok(Opened {
        stmt,
        columns,
        scales,
    })
}

/// Logs and counts a finished read's object-store traffic.
pub(crate) fn finished(read: &ReadQuery, options: &RunOptions) {
    let stats = options.stats.snapshot();
    if stats.requests > 0 {
        tracing::debug!(%stats, sql = %read.sqlite, "object-store traffic of a read");
    }
    crate::telemetry::record_read(&stats);
}

/// One result row, numeric columns at their display scale.
pub(crate) fn row_values(
    row: &rusqlite::Row<'_>,
    width: usize,
    scales: &[Option<u32>],
) -> Vec<Value> {
    (0..width)
        .map(|i| {
            let value = row.get::<_, Value>(i).unwrap_or(Value::Null);
            match scales.get(i) {
                Some(Some(scale)) => with_scale(value, *scale),
                _ => value,
            }
        })
        .collect()
}

pub(crate) fn bind(stmt: &mut Statement<'_>, params: &[Value]) -> PgResult<()> {
    let wanted = stmt.parameter_count();
    if params.len() < wanted {
        return Err(PgError::new(
            crate::error::sqlstate::PROTOCOL_VIOLATION,
            format!(
                "bind message supplies {} parameters, but prepared statement requires {wanted}",
                params.len()
            ),
        ));
    }
    for (i, value) in params.iter().take(wanted).enumerate() {
        stmt.raw_bind_parameter(i + 1, value)
            .map_err(|e| from_sqlite(&e))?;
    }
    Ok(())
}

/// The display scale of each numeric result column, where the query fixes
/// it (Postgres prints `numeric(10,2)` values and sums of them with two
/// decimals; SQLite keeps them as floats).
fn numeric_scales(
    conn: &Connection,
    read: &ReadQuery,
    columns: &[Column],
) -> PgResult<Vec<Option<u32>>> {
    if !columns.iter().any(|c| c.ty == Type::NUMERIC) {
        return Ok(Vec::new());
    }
    let scope = scope_of(conn, read)?;
    let scales = projection_scales(&read.original, &scope)
        .filter(|s| s.len() == columns.len())
        .unwrap_or_default();
    Ok(columns
        .iter()
        .zip(scales.into_iter().chain(std::iter::repeat(None)))
        .map(|(c, s)| s.filter(|_| c.ty == Type::NUMERIC))
        .collect())
}

/// A number printed with exactly `scale` decimals (rounded half away from
/// zero), as text the encoder reads back as a numeric of that scale. A REAL
/// stands for its shortest round-trip decimal (what a NUMERIC column
/// stored); exact values (text) already have their scale.
fn with_scale(value: Value, scale: u32) -> Value {
    let decimal = match &value {
        Value::Integer(i) => Decimal::from_i64(*i),
        Value::Real(r) => match Decimal::from_f64(*r) {
            Some(d) => d,
            None => return value,
        },
        _ => return value,
    };
    Value::Text(decimal.round(i64::from(scale)).to_string())
}

fn stream_rows(
    mut stmt: rusqlite::CachedStatement<'_>,
    width: usize,
    scales: &[Option<u32>],
    tx: &mpsc::Sender<PgResult<Vec<Vec<Value>>>>,
    registration: &Registration,
) {
    let mut rows = stmt.raw_query();
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                batch.push(row_values(row, width, scales));
                if batch.len() == BATCH_ROWS
                    && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err()
                {
                    return; // the client went away
                }
            }
            Ok(None) => break,
            Err(err) => {
                let _ = tx.blocking_send(Ok(std::mem::take(&mut batch)));
                let _ = tx.blocking_send(Err(registration.explain(from_sqlite(&err))));
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Ok(batch));
    }
}
