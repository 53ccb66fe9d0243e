//! Postgres SQL -> SQLite SQL for one read query: the rules of
//! [`super::rules`] applied to the AST, cached per statement text.
//!
//! The cache keys on the query's own text (as parsed), so a client that
//! sends the same statement again skips the rewrite; planning a message
//! still parses it, which the cache in [`super::cache`] avoids for whole
//! single-statement messages.

use sqlparser::ast::Query;

use crate::error::PgResult;

/// Translates a read query; returns the SQLite text and the parameter count.
pub fn to_sqlite(query: &Query) -> PgResult<(String, usize)> {
    super::rules::apply(query)
}
