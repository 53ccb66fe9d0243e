//! Query handlers: simple query (several statements per message) and the
//! extended protocol (Parse/Bind/Describe/Execute), on one shared path.
//!
//! Each statement is planned by [`crate::sql`]; reads run through
//! [`crate::exec`] on a pooled connection, or on the connection an open
//! transaction pinned; session commands are answered from [`Session`].

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use futures::{Stream, StreamExt, stream};
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{
    DataRowEncoder, DescribePortalResponse, DescribeStatementResponse, FieldInfo, QueryResponse,
    Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::{ClientInfo, ClientPortalStore, Type};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::DataRow;
use rusqlite::types::Value;
use tokio::sync::mpsc;

use super::encode::{self, fields};
use super::error_info;
use super::session::Session;
use crate::error::{PgError, PgResult, sqlstate};
use crate::exec::{self, Column, Conn, Description, RowStream};
use crate::replica::pool::PooledConnection;
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
            Err(err) if err.code == sqlstate::SYNTAX_ERROR => return Err(err.into()),
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
    let guard = session.transaction.clone().lock_owned().await;
    if guard.is_some() {
        return Ok(Conn::Transaction(guard));
    }
    drop(guard);
    Ok(Conn::Pooled(pooled(session).await?))
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

async fn execute(
    session: &Arc<Session>,
    command: &Command,
    bound: Bound,
    format: &Format,
    delivery: Delivery,
) -> PgResult<Response> {
    if session.in_failed_transaction() && !matches!(command, Command::Commit | Command::Rollback) {
        return Err(PgError::new(
            sqlstate::IN_FAILED_SQL_TRANSACTION,
            "current transaction is aborted, commands ignored until end of transaction block",
        ));
    }
    match command {
        Command::Read(read) => {
            let conn = connection(session).await?;
            let options = session.run_options();
            let rows = exec::run(conn, read.clone(), bound.params, bound.columns, options).await?;
            read_response(rows, format, delivery).await
        }
        Command::Show { name } => {
            let value = session.show(name)?;
            let column = Column {
                name: name.clone(),
                ty: Type::TEXT,
            };
            let fields = Arc::new(fields(&[column], format));
            let rows = in_memory_rows(vec![vec![Value::Text(value)]], fields.clone());
            Ok(Response::Query(QueryResponse::new(fields, rows)))
        }
        Command::Set { name, value } => {
            session.set(name, value)?;
            Ok(Response::Execution(Tag::new("SET")))
        }
        Command::Reset { name } => {
            session.reset(name.as_deref())?;
            Ok(Response::Execution(Tag::new("RESET")))
        }
        Command::Begin => {
            let mut transaction = session.transaction.lock().await;
            if transaction.is_none() {
                let conn = exec::execute_batch(pooled(session).await?, "BEGIN").await?;
                *transaction = Some(conn);
            }
            Ok(Response::TransactionStart(Tag::new("BEGIN")))
        }
        Command::Commit | Command::Rollback => {
            let conn = session.transaction.lock().await.take();
            if let Some(conn) = conn {
                // A read-only transaction commits by ending; the connection
                // goes back to the pool with its snapshot released.
                drop(exec::execute_batch(conn, "ROLLBACK").await?);
            }
            let failed = session.in_failed_transaction();
            session.set_failed(false);
            let tag = if matches!(command, Command::Commit) && !failed {
                "COMMIT"
            } else {
                "ROLLBACK"
            };
            Ok(Response::TransactionEnd(Tag::new(tag)))
        }
    }
}

/// Marks an open transaction failed after an error, as Postgres does.
async fn note_error(session: &Session) {
    if session.transaction.lock().await.is_some() {
        session.set_failed(true);
    }
}

async fn read_response(rows: RowStream, format: &Format, delivery: Delivery) -> PgResult<Response> {
    let fields = Arc::new(fields(&rows.columns, format));
    let stream = match delivery {
        Delivery::Stream => row_stream(rows.batches, fields.clone()).boxed(),
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
                note_error(&session).await;
                return Ok(vec![Response::Error(Box::new(error_info(&err)))]);
            }
        };
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
            )
            .await
            {
                Ok(response) => responses.push(response),
                Err(err) => {
                    note_error(&session).await;
                    responses.push(Response::Error(Box::new(error_info(&err))));
                    break;
                }
            }
        }
        Ok(responses)
    }
}

impl QueryHandler {
    async fn description(
        &self,
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
            Some(Command::Show { name }) => Ok((
                Vec::new(),
                fields(
                    &[Column {
                        name: name.clone(),
                        ty: Type::TEXT,
                    }],
                    format,
                ),
            )),
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
            )
            .await
        }
        .await;
        if result.is_err() {
            note_error(&session).await;
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
        let (params, fields) = self
            .describe_fields(&session, statement, &Format::UnifiedText)
            .await?;
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
        let (_, fields) = self
            .describe_fields(&session, &portal.statement, &portal.result_column_format)
            .await?;
        Ok(DescribePortalResponse::new(fields))
    }
}
