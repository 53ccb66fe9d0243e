//! Query handlers: simple query (several statements per message) and the
//! extended protocol (Parse/Bind/Describe/Execute), on one shared path.
//!
//! Each statement is planned by [`crate::sql`]; reads run through
//! [`crate::exec`] on a pooled connection, or on the connection an open
//! transaction pinned; session commands are answered from [`Session`].

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use futures::{SinkExt, Stream, StreamExt, stream};
use pgwire::api::PgWireConnectionState;
use pgwire::api::portal::{Format, Portal, PortalExecutionState};
use pgwire::api::query::{
    ExtendedQueryHandler, SimpleQueryHandler, send_execution_response, send_query_response,
    send_ready_for_query,
};
use pgwire::api::results::{
    DataRowEncoder, DescribePortalResponse, DescribeStatementResponse, FieldInfo, QueryResponse,
    Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::{MemPortalStore, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::DataRow;
use pgwire::messages::extendedquery::{Parse, ParseComplete, Sync as PgSync};
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery, TransactionStatus};
use pgwire::messages::simplequery::Query;
use rusqlite::types::Value;
use tokio::sync::mpsc;

use super::copy;
use super::cursor::{self, CursorEntry, SqlCursor};
use super::encode::{self, fields};
use super::error_info;
use super::session::{Session, aborted};
use crate::error::{PgError, PgResult, sqlstate};
use crate::exec::worker::TxConn;
use crate::exec::{self, Column, Conn, Description, RowStream};
use crate::replica::pool::PooledConnection;
use crate::sql::cursor::{CursorDecl, FetchCount};
use crate::sql::{self, Command, ReadQuery};

/// A statement after Parse: its plan (or the error to give on use) and,
/// once known, its description.
pub struct Prepared {
    command: PgResult<Option<Command>>,
    described: OnceLock<Description>,
}

impl Prepared {
    fn command(&self) -> PgResult<Option<&Command>> {
        self.command
            .as_ref()
            .map(Option::as_ref)
            .map_err(Clone::clone)
    }
}

pub struct Parser;

#[async_trait]
impl QueryParser for Parser {
    type Statement = Arc<Prepared>;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        _types: &[Option<Type>],
    ) -> PgWireResult<Option<Arc<Prepared>>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let command = match sql::plan_one(sql) {
            // Syntax errors are reported at Parse, like Postgres...
            Err(err) if err.code == sqlstate::SYNTAX_ERROR => {
                if let Ok(session) = session(_client) {
                    note_error(&session);
                }
                return Err(err.into());
            }
            // ...refusals (writes, unsupported statements) when executed.
            other => other,
        };
        Ok(Some(Arc::new(Prepared {
            command,
            described: OnceLock::new(),
        })))
    }

    fn get_parameter_types(&self, _stmt: &Arc<Prepared>) -> PgWireResult<Vec<Type>> {
        Ok(Vec::new())
    }

    fn get_result_schema(
        &self,
        _stmt: &Arc<Prepared>,
        _format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(Vec::new())
    }
}

pub struct QueryHandler {
    parser: Arc<Parser>,
}

impl QueryHandler {
    pub fn new() -> Self {
        Self {
            parser: Arc::new(Parser),
        }
    }
}

impl Default for QueryHandler {
    fn default() -> Self {
        Self::new()
    }
}

fn session<C: ClientInfo>(client: &C) -> PgResult<Arc<Session>> {
    client.session_extensions().get::<Session>().ok_or_else(|| {
        PgError::new(
            sqlstate::PROTOCOL_VIOLATION,
            "no session: startup did not finish",
        )
    })
}

/// A connection from the volume's pool.
async fn pooled(session: &Session) -> PgResult<PooledConnection> {
    session.volume.pool.get().await.map_err(|err| {
        tracing::error!(%err, "cannot get a SQLite connection");
        PgError::new(
            sqlstate::IO_ERROR,
            format!("cannot open the database: {err}"),
        )
    })
}

/// The connection a statement runs on: the transaction's, else a pooled one.
async fn connection(session: &Session) -> PgResult<Conn> {
    match session.transaction_conn() {
        Some(tx) => Ok(Conn::Transaction(tx)),
        None => Ok(Conn::Pooled(pooled(session).await?)),
    }
}

/// What a read is executed with: bound parameters and, once described,
/// its result columns.
#[derive(Default)]
struct Bound {
    params: Vec<Value>,
    columns: Option<Vec<Column>>,
}

/// How a read's rows are handed to pgwire.
#[derive(Clone, Copy, PartialEq)]
enum Delivery {
    /// Streamed while SQLite produces them (the last statement of a message).
    Stream,
    /// Collected first, so the next statement of the message can run.
    Collect,
}

/// The statements and portals of a connection (pgwire's store), for the
/// commands that name them: `DEALLOCATE`, `DISCARD ALL`, and cursors, which
/// are portals too (clients describe them by name).
type Store = MemPortalStore<Arc<Prepared>>;

fn store_of(any: &dyn std::any::Any) -> Option<&Store> {
    any.downcast_ref::<Store>()
}

fn text_columns(names: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|name| Column {
            name: (*name).to_owned(),
            ty: Type::TEXT,
        })
        .collect()
}

fn text_rows(columns: Vec<Column>, rows: Vec<Vec<Value>>, format: &Format) -> Response {
    let fields = Arc::new(fields(&columns, format));
    let rows = in_memory_rows(rows, fields.clone());
    Response::Query(QueryResponse::new(fields, rows))
}

async fn execute(
    session: &Arc<Session>,
    command: &Command,
    bound: Bound,
    format: &Format,
    delivery: Delivery,
    store: Option<&Store>,
) -> PgResult<Response> {
    if session.in_failed_transaction()
        && !matches!(
            command,
            Command::Commit | Command::Rollback | Command::RollbackTo { .. }
        )
    {
        return Err(aborted());
    }
    match command {
        Command::Read(read) => {
            let conn = connection(session).await?;
            let rows = exec::run(
                conn,
                read.clone(),
                bound.params,
                bound.columns,
                session.run_options(),
                &session.limits(),
            )
            .await?;
            read_response(session, rows, format, delivery).await
        }
        Command::Show { name } if name == "all" => {
            let rows = session
                .show_all()
                .into_iter()
                .map(|(name, value)| {
                    vec![
                        Value::Text(name),
                        Value::Text(value),
                        Value::Text(String::new()),
                    ]
                })
                .collect();
            Ok(text_rows(
                text_columns(&["name", "setting", "description"]),
                rows,
                format,
            ))
        }
        Command::Show { name } => {
            let value = session.show(name)?;
            Ok(text_rows(
                text_columns(&[&show_column(name)]),
                vec![vec![Value::Text(value)]],
                format,
            ))
        }
        Command::Set { name, value } => {
            session.set(name, value)?;
            Ok(Response::Execution(Tag::new("SET")))
        }
        Command::SetLocal { name, value } => {
            session.set_local(name, value)?;
            Ok(Response::Execution(Tag::new("SET")))
        }
        Command::Reset { name } => {
            session.reset(name.as_deref())?;
            Ok(Response::Execution(Tag::new("RESET")))
        }
        Command::Begin { isolation } => {
            if !session.in_transaction() {
                let tx = TxConn::begin(pooled(session).await?).await?;
                if let Err(tx) = session.start_transaction(tx, isolation.as_deref()) {
                    tx.end().await?;
                }
            }
            Ok(Response::TransactionStart(Tag::new("BEGIN")))
        }
        Command::Commit | Command::Rollback => {
            let failed = session.in_failed_transaction();
            session.set_failed(false);
            if let Some((tx, closed)) = session.finish_transaction() {
                if let Some(store) = store {
                    for name in &closed {
                        store.rm_portal(name);
                    }
                }
                // A read-only transaction commits by ending; the connection
                // goes back to the pool with its snapshot released.
                tx.end().await?;
            }
            let tag = if matches!(command, Command::Commit) && !failed {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            Ok(Response::TransactionEnd(Tag::new(tag)))
        }
        Command::Savepoint { name } => {
            session.savepoint(name)?;
            Ok(Response::Execution(Tag::new("SAVEPOINT")))
        }
        Command::Release { name } => {
            session.to_savepoint(name, false)?;
            Ok(Response::Execution(Tag::new("RELEASE")))
        }
        Command::RollbackTo { name } => {
            session.to_savepoint(name, true)?;
            Ok(Response::TransactionStart(Tag::new("ROLLBACK")))
        }
        Command::Discard { all } => {
            if !all {
                // Plans, temporary tables and sequences: a replica has none.
                return Ok(Response::Execution(Tag::new("DISCARD")));
            }
            if session.in_transaction() {
                return Err(PgError::new(
                    sqlstate::ACTIVE_SQL_TRANSACTION,
                    "DISCARD ALL cannot run inside a transaction block",
                ));
            }
            session.reset(None)?;
            let closed: Vec<String> = session
                .cursors
                .lock()
                .drain()
                .map(|(name, _)| name)
                .collect();
            if let Some(store) = store {
                for name in closed {
                    store.rm_portal(&name);
                }
                for name in std::mem::take(&mut *session.prepared.lock()) {
                    store.rm_statement(&name);
                }
            }
            Ok(Response::Execution(Tag::new("DISCARD ALL")))
        }
        Command::Deallocate { name } => {
            let Some(store) = store else {
                return Err(PgError::internal("no statement store"));
            };
            match name {
                None => {
                    for name in std::mem::take(&mut *session.prepared.lock()) {
                        store.rm_statement(&name);
                    }
                    Ok(Response::Execution(Tag::new("DEALLOCATE ALL")))
                }
                Some(name) => {
                    if store.get_statement(name).is_none() {
                        return Err(PgError::new(
                            sqlstate::INVALID_SQL_STATEMENT_NAME,
                            format!("prepared statement \"{name}\" does not exist"),
                        ));
                    }
                    store.rm_statement(name);
                    session.prepared.lock().remove(name);
                    Ok(Response::Execution(Tag::new("DEALLOCATE")))
                }
            }
        }
        Command::Declare(decl) => {
            declare(session, decl, store).await?;
            Ok(Response::Execution(Tag::new("DECLARE CURSOR")))
        }
        Command::Move { name, count } => {
            let cursor = session
                .cursors
                .lock()
                .get(name)
                .map(|entry| entry.cursor.clone());
            let moved = match cursor {
                Some(cursor) => {
                    let mut cursor = cursor.lock().await;
                    let mut moved = 0;
                    while count_allows(*count, moved) && cursor.next_row().await?.is_some() {
                        moved += 1;
                    }
                    moved
                }
                None => {
                    let mut rows = portal_fetch(session, store, name, *count).await?;
                    let mut moved = 0;
                    while let Some(row) = rows.data_rows().next().await {
                        row.map_err(|err| PgError::internal(err.to_string()))?;
                        moved += 1;
                    }
                    moved
                }
            };
            Ok(Response::Execution(Tag::new("MOVE").with_rows(moved)))
        }
        Command::Fetch { name, count } => {
            let cursor = session
                .cursors
                .lock()
                .get(name)
                .map(|entry| entry.cursor.clone());
            let Some(cursor) = cursor else {
                // A portal bound through the protocol is a cursor too.
                let mut response = portal_fetch(session, store, name, *count).await?;
                response.set_command_tag("FETCH");
                return Ok(Response::Query(response));
            };
            let cursor = cursor.lock_owned().await;
            let format = if cursor.binary && matches!(format, Format::UnifiedText) {
                &Format::UnifiedBinary
            } else {
                format
            };
            let fields = Arc::new(fields(&cursor.columns, format));
            let rows =
                failing_transaction(session, cursor::fetch_rows(cursor, *count, fields.clone()));
            let mut response = match delivery {
                Delivery::Stream => QueryResponse::new(fields, rows),
                Delivery::Collect => {
                    let rows: Vec<_> = rows.collect().await;
                    QueryResponse::new(fields, stream::iter(rows))
                }
            };
            response.set_command_tag("FETCH");
            Ok(Response::Query(response))
        }
        Command::CloseCursor { name } => {
            let closed: Vec<String> = match name {
                None => session
                    .cursors
                    .lock()
                    .drain()
                    .map(|(name, _)| name)
                    .collect(),
                Some(name) => {
                    session
                        .cursors
                        .lock()
                        .remove(name)
                        .ok_or_else(|| no_cursor(name))?;
                    vec![name.clone()]
                }
            };
            if let Some(store) = store {
                for name in closed {
                    store.rm_portal(&name);
                }
            }
            Ok(Response::Execution(Tag::new("CLOSE CURSOR")))
        }
        Command::CopyOut(copy) => {
            let conn = connection(session).await?;
            let rows = exec::run(
                conn,
                copy.read.clone(),
                Vec::new(),
                None,
                session.run_options(),
                &session.limits(),
            )
            .await?;
            Ok(Response::CopyOut(copy::response(rows, copy.format.clone())))
        }
    }
}

/// The column `SHOW` answers in: the setting's own name.
fn show_column(name: &str) -> String {
    match name {
        "transaction isolation level" => "transaction_isolation".into(),
        "time zone" => "timezone".into(),
        other => other.to_owned(),
    }
}

fn no_cursor(name: &str) -> PgError {
    PgError::new(
        sqlstate::INVALID_CURSOR_NAME,
        format!("cursor \"{name}\" does not exist"),
    )
}

fn count_allows(count: FetchCount, done: usize) -> bool {
    match count {
        FetchCount::All => true,
        FetchCount::Rows(n) => (done as u64) < n,
    }
}

/// `FETCH`/`MOVE` on a portal bound through the extended protocol (asyncpg's
/// cursors MOVE that way): starts it if no Execute has yet, then takes up to
/// `count` rows from it.
async fn portal_fetch(
    session: &Arc<Session>,
    store: Option<&Store>,
    name: &str,
    count: FetchCount,
) -> PgResult<QueryResponse> {
    let portal = store
        .and_then(|store| store.get_portal(name))
        .and_then(|entry| entry.value().cloned())
        .ok_or_else(|| no_cursor(name))?;
    let initial = matches!(*portal.state().lock().await, PortalExecutionState::Initial);
    if initial {
        let prepared = &portal.statement.statement;
        let Some(Command::Read(read)) = prepared.command()? else {
            return Err(PgError::unsupported(format!(
                "FETCH from portal \"{name}\", which is not a query"
            )));
        };
        let d = description(session, prepared, read, &portal.statement.parameter_types).await?;
        let params = encode::decode_params(&portal, &d.params)?;
        let rows = exec::run(
            connection(session).await?,
            read.clone(),
            params,
            Some(d.columns),
            session.run_options(),
            &session.limits(),
        )
        .await?;
        let fields = Arc::new(fields(&rows.columns, &portal.result_column_format));
        let stream = failing_transaction(session, row_stream(rows.batches, fields.clone()));
        portal.start(QueryResponse::new(fields, stream)).await;
    }
    let max = match count {
        FetchCount::All => 0,
        FetchCount::Rows(0) => {
            return Ok(QueryResponse::new(Arc::new(Vec::new()), stream::empty()));
        }
        FetchCount::Rows(n) => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let fetched = portal
        .fetch(max)
        .await
        .map_err(|err| PgError::internal(err.to_string()))?;
    Ok(fetched.response)
}

/// `DECLARE`: starts the cursor's read and keeps its rows for `FETCH`.
async fn declare(session: &Arc<Session>, decl: &CursorDecl, store: Option<&Store>) -> PgResult<()> {
    if !decl.hold && !session.in_transaction() {
        return Err(PgError::new(
            sqlstate::NO_ACTIVE_SQL_TRANSACTION,
            "DECLARE CURSOR can only be used in transaction blocks",
        ));
    }
    if session.cursors.lock().contains_key(&decl.name) {
        return Err(PgError::new(
            sqlstate::DUPLICATE_CURSOR,
            format!("cursor \"{}\" already exists", decl.name),
        ));
    }
    // A WITH HOLD cursor outlives the transaction: it reads on a pooled
    // connection of its own (its snapshot is taken when it is declared).
    let conn = if decl.hold {
        Conn::Pooled(pooled(session).await?)
    } else {
        connection(session).await?
    };
    let rows = exec::run(
        conn,
        decl.read.clone(),
        Vec::new(),
        None,
        session.run_options(),
        &session.limits(),
    )
    .await?;
    let columns = rows.columns.clone();
    let entry = CursorEntry {
        hold: decl.hold,
        cursor: Arc::new(tokio::sync::Mutex::new(SqlCursor::new(rows, decl.binary))),
    };
    session.cursors.lock().insert(decl.name.clone(), entry);
    if let Some(store) = store {
        // Clients (libpq's PQdescribePortal) describe a cursor by name.
        let prepared = Arc::new(Prepared {
            command: Ok(Some(Command::Read(decl.read.clone()))),
            described: OnceLock::from(Description {
                params: Vec::new(),
                columns: columns.as_ref().clone(),
            }),
        });
        let statement = Arc::new(StoredStatement::new(
            decl.name.clone(),
            prepared,
            Vec::new(),
        ));
        store.put_portal(Arc::new(Portal::new_cursor(decl.name.clone(), statement)));
    }
    Ok(())
}

/// The transaction status a ReadyForQuery reports, from the session.
fn transaction_status<C: ClientInfo>(client: &C) -> TransactionStatus {
    match session(client) {
        Ok(session) if session.in_failed_transaction() => TransactionStatus::Error,
        Ok(session) if session.in_transaction() => TransactionStatus::Transaction,
        Ok(_) => TransactionStatus::Idle,
        Err(_) => client.transaction_status(),
    }
}

/// Marks an open transaction failed after an error, as Postgres does.
fn note_error(session: &Session) {
    if session.in_transaction() {
        session.set_failed(true);
    }
}

/// An error met while rows stream fails the transaction too.
fn failing_transaction<S>(
    session: &Arc<Session>,
    rows: S,
) -> impl Stream<Item = PgWireResult<DataRow>> + Send + use<S>
where
    S: Stream<Item = PgWireResult<DataRow>> + Send,
{
    let session = session.clone();
    rows.inspect(move |row| {
        if row.is_err() {
            note_error(&session);
        }
    })
}

async fn read_response(
    session: &Arc<Session>,
    rows: RowStream,
    format: &Format,
    delivery: Delivery,
) -> PgResult<Response> {
    let fields = Arc::new(fields(&rows.columns, format));
    let stream = match delivery {
        Delivery::Stream => {
            failing_transaction(session, row_stream(rows.batches, fields.clone())).boxed()
        }
        Delivery::Collect => {
            let mut batches = rows.batches;
            let mut all = Vec::new();
            while let Some(batch) = batches.recv().await {
                all.extend(batch?);
            }
            in_memory_rows(all, fields.clone()).boxed()
        }
    };
    Ok(Response::Query(QueryResponse::new(fields, stream)))
}

fn in_memory_rows(
    rows: Vec<Vec<Value>>,
    fields: Arc<Vec<FieldInfo>>,
) -> impl Stream<Item = PgWireResult<DataRow>> {
    let mut encoder = DataRowEncoder::new(fields.clone());
    let encoded: Vec<_> = rows
        .iter()
        .map(|row| encode::encode_row(&mut encoder, &fields, row))
        .collect();
    stream::iter(encoded)
}

fn row_stream(
    batches: mpsc::Receiver<PgResult<Vec<Vec<Value>>>>,
    fields: Arc<Vec<FieldInfo>>,
) -> impl Stream<Item = PgWireResult<DataRow>> {
    let encoder = DataRowEncoder::new(fields.clone());
    stream::unfold(
        (batches, encoder, fields),
        |(mut batches, mut encoder, fields)| async move {
            let rows: Vec<PgWireResult<DataRow>> = match batches.recv().await? {
                Ok(rows) => rows
                    .iter()
                    .map(|row| encode::encode_row(&mut encoder, &fields, row))
                    .collect(),
                Err(err) => vec![Err(err.into())],
            };
            Some((stream::iter(rows), (batches, encoder, fields)))
        },
    )
    .flatten()
}

#[async_trait]
impl SimpleQueryHandler for QueryHandler {
    /// pgwire's simple-query cycle, except that the transaction status in
    /// ReadyForQuery comes from the session: pgwire derives it from the
    /// responses and cannot express `ROLLBACK TO SAVEPOINT` leaving an
    /// aborted transaction.
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo
            + ClientPortalStore
            + futures::Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: pgwire::api::store::PortalStore,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as futures::Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        if query.query.chars().all(|c| c == ';' || c.is_whitespace()) {
            client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
        } else {
            for response in SimpleQueryHandler::do_query(self, client, &query.query).await? {
                match response {
                    Response::EmptyQuery => {
                        client
                            .feed(PgWireBackendMessage::EmptyQueryResponse(
                                EmptyQueryResponse::new(),
                            ))
                            .await?;
                    }
                    Response::Query(results) => send_query_response(client, results, true).await?,
                    Response::Execution(tag)
                    | Response::TransactionStart(tag)
                    | Response::TransactionEnd(tag) => send_execution_response(client, tag).await?,
                    Response::Error(err) => {
                        client
                            .feed(PgWireBackendMessage::ErrorResponse((*err).into()))
                            .await?;
                    }
                    Response::CopyOut(copy) => {
                        // An error mid-stream ends this COPY, not the session.
                        if let Err(err) = copy::send(client, copy).await {
                            let info = match err {
                                PgWireError::UserError(info) => *info,
                                other => error_info(&PgError::internal(other.to_string())),
                            };
                            client
                                .feed(PgWireBackendMessage::ErrorResponse(info.into()))
                                .await?;
                            if let Ok(session) = session(client) {
                                note_error(&session);
                            }
                        }
                    }
                    Response::CopyIn(_) | Response::CopyBoth(_) => {
                        return Err(PgError::read_only("COPY FROM").into());
                    }
                }
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        let status = transaction_status(client);
        client.set_transaction_status(status);
        send_ready_for_query(client, status).await
    }

    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo
            + ClientPortalStore
            + futures::Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: pgwire::api::store::PortalStore,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as futures::Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session(client)?;
        let commands = match sql::plan(query) {
            Ok(commands) => commands,
            Err(err) => {
                note_error(&session);
                return Ok(vec![Response::Error(Box::new(error_info(&err)))]);
            }
        };
        let store = store_of(client.portal_store().as_any());
        let mut responses = Vec::with_capacity(commands.len());
        let last = commands.len().saturating_sub(1);
        for (i, command) in commands.iter().enumerate() {
            let delivery = if i == last {
                Delivery::Stream
            } else {
                Delivery::Collect
            };
            match execute(
                &session,
                command,
                Bound::default(),
                &Format::UnifiedText,
                delivery,
                store,
            )
            .await
            {
                Ok(response) => responses.push(response),
                Err(err) => {
                    note_error(&session);
                    responses.push(Response::Error(Box::new(error_info(&err))));
                    break;
                }
            }
        }
        Ok(responses)
    }
}

/// A prepared read's parameter and column types, described once.
async fn description(
    session: &Session,
    prepared: &Prepared,
    read: &Arc<ReadQuery>,
    given: &[Option<Type>],
) -> PgResult<Description> {
    if let Some(described) = prepared.described.get() {
        return Ok(described.clone());
    }
    let description =
        exec::describe(connection(session).await?, read.clone(), given.to_vec()).await?;
    Ok(prepared.described.get_or_init(|| description).clone())
}

impl QueryHandler {
    async fn description(
        &self,
        session: &Session,
        prepared: &Prepared,
        read: &Arc<ReadQuery>,
        given: &[Option<Type>],
    ) -> PgResult<Description> {
        description(session, prepared, read, given).await
    }

    async fn describe_fields(
        &self,
        session: &Session,
        statement: &StoredStatement<Arc<Prepared>>,
        format: &Format,
    ) -> PgResult<(Vec<Type>, Vec<FieldInfo>)> {
        let prepared = &statement.statement;
        match prepared.command()? {
            Some(Command::Read(read)) => {
                let d = self
                    .description(session, prepared, read, &statement.parameter_types)
                    .await?;
                Ok((d.params, fields(&d.columns, format)))
            }
            Some(Command::Show { name }) if name == "all" => Ok((
                Vec::new(),
                fields(&text_columns(&["name", "setting", "description"]), format),
            )),
            Some(Command::Show { name }) => Ok((
                Vec::new(),
                fields(&text_columns(&[&show_column(name)]), format),
            )),
            Some(Command::Fetch { name, .. }) => {
                let cursor = session
                    .cursors
                    .lock()
                    .get(name)
                    .map(|entry| entry.cursor.clone())
                    .ok_or_else(|| no_cursor(name))?;
                let columns = cursor.lock().await.columns.clone();
                Ok((Vec::new(), fields(&columns, format)))
            }
            _ => Ok((Vec::new(), Vec::new())),
        }
    }
}

#[async_trait]
impl ExtendedQueryHandler for QueryHandler {
    type Statement = Arc<Prepared>;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        self.parser.clone()
    }

    /// pgwire's Sync, with the transaction status taken from the session
    /// (see `on_query`).
    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo
            + ClientPortalStore
            + futures::Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: pgwire::api::store::PortalStore<Statement = Self::Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as futures::Sink<PgWireBackendMessage>>::Error>,
    {
        client.portal_store().rm_portal(DEFAULT_NAME);
        let status = transaction_status(client);
        client.set_transaction_status(status);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status,
            )))
            .await?;
        client.flush().await?;
        Ok(())
    }

    /// pgwire's Parse, plus noting the statement's name for `DEALLOCATE ALL`.
    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo
            + ClientPortalStore
            + futures::Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: pgwire::api::store::PortalStore<Statement = Self::Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as futures::Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message
            .name
            .clone()
            .unwrap_or_else(|| DEFAULT_NAME.to_owned());
        match StoredStatement::parse(client, &message, self.query_parser()).await? {
            Some(statement) => client.portal_store().put_statement(Arc::new(statement)),
            None => client.portal_store().put_empty_statement(&name),
        }
        if name != DEFAULT_NAME
            && let Ok(session) = session(client)
        {
            session.prepared.lock().insert(name);
        }
        client
            .send(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Arc<Prepared>>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo
            + ClientPortalStore
            + futures::Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: pgwire::api::store::PortalStore<Statement = Self::Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as futures::Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session(client)?;
        let result = async {
            let prepared = &portal.statement.statement;
            let Some(command) = prepared.command()? else {
                return Ok(Response::EmptyQuery);
            };
            let bound = match command {
                Command::Read(read) => {
                    let d = self
                        .description(&session, prepared, read, &portal.statement.parameter_types)
                        .await?;
                    Bound {
                        params: encode::decode_params(portal, &d.params)?,
                        columns: Some(d.columns),
                    }
                }
                _ => Bound::default(),
            };
            execute(
                &session,
                command,
                bound,
                &portal.result_column_format,
                Delivery::Stream,
                store_of(client.portal_store().as_any()),
            )
            .await
        }
        .await;
        if result.is_err() {
            note_error(&session);
        }
        Ok(result?)
    }

    async fn do_describe_statement<C>(
        &self,
        client: &mut C,
        statement: &StoredStatement<Arc<Prepared>>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo
            + ClientPortalStore
            + futures::Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: pgwire::api::store::PortalStore<Statement = Self::Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as futures::Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session(client)?;
        // Before Bind, result formats are not known yet: describe as text.
        let described = self
            .describe_fields(&session, statement, &Format::UnifiedText)
            .await;
        if described.is_err() {
            note_error(&session);
        }
        let (params, fields) = described?;
        Ok(DescribeStatementResponse::new(params, fields))
    }

    async fn do_describe_portal<C>(
        &self,
        client: &mut C,
        portal: &Portal<Arc<Prepared>>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo
            + ClientPortalStore
            + futures::Sink<PgWireBackendMessage>
            + Unpin
            + Send
            + Sync,
        C::PortalStore: pgwire::api::store::PortalStore<Statement = Self::Statement>,
        C::Error: std::fmt::Debug,
        PgWireError: From<<C as futures::Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session(client)?;
        let described = self
            .describe_fields(&session, &portal.statement, &portal.result_column_format)
            .await;
        if described.is_err() {
            note_error(&session);
        }
        let (_, fields) = described?;
        Ok(DescribePortalResponse::new(fields))
    }
}
