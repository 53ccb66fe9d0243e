//! SQL cursors (`DECLARE` / `FETCH` / `CLOSE`): a running read kept open
//! between statements, handing out as many rows as each `FETCH` asks for.
//!
//! A cursor owns the row stream of its read: inside a transaction it runs on
//! the transaction's connection (its snapshot), a `WITH HOLD` cursor on a
//! pooled connection of its own so it can outlive the transaction. Rows are
//! pulled from SQLite only as `FETCH` needs them, so memory stays bounded
//! whatever the result's size.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::{Stream, stream};
use pgwire::api::results::{DataRowEncoder, FieldInfo};
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;
use rusqlite::types::Value;
use tokio::sync::{OwnedMutexGuard, mpsc};

use super::encode;
use crate::error::PgResult;
use crate::exec::{Column, RowStream};
use crate::sql::cursor::FetchCount;

/// A session's entry for one cursor.
pub struct CursorEntry {
    /// Declared `WITH HOLD`: survives the end of its transaction.
    pub hold: bool,
    pub cursor: Arc<tokio::sync::Mutex<SqlCursor>>,
}

/// An open cursor: its columns and the rows not fetched yet.
pub struct SqlCursor {
    pub columns: Arc<Vec<Column>>,
    /// Declared `BINARY`: rows go out in binary format.
    pub binary: bool,
    batches: mpsc::Receiver<PgResult<Vec<Vec<Value>>>>,
    buffer: VecDeque<Vec<Value>>,
}

impl SqlCursor {
    pub fn new(rows: RowStream, binary: bool) -> Self {
        Self {
            columns: rows.columns,
            binary,
            batches: rows.batches,
            buffer: VecDeque::new(),
        }
    }

    /// The next row, or `None` once the read has ended.
    pub async fn next_row(&mut self) -> PgResult<Option<Vec<Value>>> {
        loop {
            if let Some(row) = self.buffer.pop_front() {
                return Ok(Some(row));
            }
            match self.batches.recv().await {
                Some(batch) => self.buffer.extend(batch?),
                None => return Ok(None),
            }
        }
    }
}

/// The rows of one `FETCH`, encoded as `fields`, pulled from the cursor as
/// they are sent; the cursor stays locked until the last one.
pub fn fetch_rows(
    cursor: OwnedMutexGuard<SqlCursor>,
    count: FetchCount,
    fields: Arc<Vec<FieldInfo>>,
) -> impl Stream<Item = PgWireResult<DataRow>> + Send {
    let remaining = match count {
        FetchCount::Rows(n) => n,
        FetchCount::All => u64::MAX,
    };
    let encoder = DataRowEncoder::new(fields.clone());
    stream::unfold(
        Some((cursor, remaining, encoder, fields)),
        |state| async move {
            let (mut cursor, remaining, mut encoder, fields) = state?;
            if remaining == 0 {
                return None;
            }
            match cursor.next_row().await {
                Ok(Some(row)) => {
                    let encoded = encode::encode_row(&mut encoder, &fields, &row);
                    Some((encoded, Some((cursor, remaining - 1, encoder, fields))))
                }
                Ok(None) => None,
                Err(err) => Some((Err(err.into()), None)),
            }
        },
    )
}
