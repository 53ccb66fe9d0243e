//! Postgres SQL in, SQLite SQL out.
//!
//! A query string is parsed once with sqlparser's Postgres dialect into
//! statements; each becomes a [`Command`]: a read to run on SQLite (after the
//! rewrite rules of [`translate`]), a session command the wire layer answers
//! itself, or an error a hot standby would give. Nothing here runs SQL or
//! touches the network; every function is testable on strings alone.

pub mod cache;
pub mod catalog;
pub mod classify;
pub mod cursor;
pub mod exact;
pub mod functions;
pub mod rules;
pub mod translate;
pub mod types;

use std::sync::Arc;

use sqlparser::ast::{Query, Statement};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::error::{PgError, PgResult};
pub use classify::Command;

/// A read statement ready for SQLite.
#[derive(Debug)]
pub struct ReadQuery {
    /// The statement as the client wrote it (parsed), for type inference.
    pub original: Box<Query>,
    /// The translated SQLite text.
    pub sqlite: String,
    /// Number of `$n` parameters (the highest n).
    pub param_count: usize,
    /// Whether it may compute exact numerics (`exact::may_be_exact`): then
    /// the SQLite text depends on the tables' types, and `exec` translates
    /// it again with them.
    pub exact: bool,
    /// That typed translation, for the table declarations it was made for.
    pub typed: parking_lot::Mutex<Option<TypedSqlite>>,
}

/// Each table a read reads, with its columns and their declared types.
pub type Declarations = Vec<(String, Vec<(String, Option<String>)>)>;

/// A translation made with the tables' declared types.
#[derive(Debug, Clone)]
pub struct TypedSqlite {
    pub tables: Declarations,
    pub sqlite: Arc<str>,
}

/// A name as Postgres reads it: unquoted names fold to lower case.
pub(crate) fn ident_name(ident: &sqlparser::ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// Parses a message that may hold several statements.
pub fn parse(sql: &str) -> PgResult<Vec<Statement>> {
    Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|err| {
        let message = err.to_string();
        let message = message
            .strip_prefix("sql parser error: ")
            .unwrap_or(&message);
        PgError::syntax(format!("syntax error: {message}"))
    })
}

/// Parses and plans every statement of a message.
pub fn plan(sql: &str) -> PgResult<Vec<Command>> {
    if let Some(command) = cursor::plan_move(sql) {
        return command.map(|command| vec![command]);
    }
    if let Some(read) = cache::get(sql) {
        return Ok(vec![Command::Read(read)]);
    }
    let commands = plan_uncached(sql)?;
    if let [Command::Read(read)] = commands.as_slice() {
        cache::insert(sql, read.clone());
    }
    Ok(commands)
}

/// Parses and plans without the translation cache.
pub fn plan_uncached(sql: &str) -> PgResult<Vec<Command>> {
    parse(sql)?
        .into_iter()
        .map(|statement| classify::classify(catalog::rewrite::rewrite(statement)?))
        .collect()
}

/// Plans a message that must hold exactly one statement (extended protocol).
pub fn plan_one(sql: &str) -> PgResult<Option<Command>> {
    let mut commands = plan(sql)?;
    match commands.len() {
        0 => Ok(None),
        1 => Ok(commands.pop()),
        _ => Err(PgError::syntax(
            "cannot insert multiple commands into a prepared statement",
        )),
    }
}

/// Shared form of a planned read, cheap to clone into blocking tasks.
pub type SharedRead = Arc<ReadQuery>;
