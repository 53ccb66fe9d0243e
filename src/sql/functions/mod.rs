//! Postgres functions SQLite lacks, registered on every connection.
//!
//! Registered as SQLite functions (not spliced into SQL text), so translated
//! queries call them by their Postgres names, or by a `pg_` name where the
//! translation rules map an operator or a construct onto them. One module
//! per family.

pub mod aggregate;
pub mod array;
pub mod datetime;
pub mod format;
pub mod json;
pub mod math;
pub mod numeric;
pub mod pattern;
pub mod text;

use pgwire::api::Type;
use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::Value;

/// Argument `i` as an owned value (NULL when absent).
pub(crate) fn arg(ctx: &Context<'_>, i: usize) -> Value {
    ctx.get::<Value>(i).unwrap_or(Value::Null)
}

/// The text of a value (numbers printed), `None` for NULL.
pub(crate) fn text_of(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Text(t) => Some(t),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(crate::wire::encode::format_float(r)),
        Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
    }
}

/// An integer argument, `None` for NULL or a non-number.
pub(crate) fn int_arg(ctx: &Context<'_>, i: usize) -> Option<i64> {
    match arg(ctx, i) {
        Value::Integer(n) => Some(n),
        Value::Real(r) => Some(r as i64),
        Value::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// An error raised by a function; `exec::errors` gives it SQLSTATE 22023.
pub(crate) fn user_error(message: impl Into<String>) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(message.into().into())
}

/// The longest text a function builds: SQLite's own limit on a value
/// (`SQLITE_MAX_LENGTH`), a little under Postgres's 1 GB.
pub(crate) const MAX_TEXT_BYTES: u128 = 1_000_000_000;

/// Refuses to build a text of `bytes` bytes when over [`MAX_TEXT_BYTES`]:
/// `lpad('x', 9223372036854775807)` would abort the process (a failed
/// allocation is not a panic that SQLite's callback can catch).
pub(crate) fn check_length(bytes: u128) -> rusqlite::Result<()> {
    if bytes > MAX_TEXT_BYTES {
        Err(user_error("requested length too large"))
    } else {
        Ok(())
    }
}

/// A value out of range (SQLSTATE 22003 / 22008 / 22012 by wording).
pub(crate) fn range_error(message: impl Into<String>) -> rusqlite::Error {
    user_error(message)
}

/// Registers every function on `conn`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    text::register(conn, flags)?;
    pattern::register(conn, flags)?;
    math::register(conn, flags)?;
    numeric::register(conn, flags)?;
    datetime::register(conn, flags)?;
    format::register(conn, flags)?;
    json::register(conn, flags)?;
    aggregate::register(conn, flags)?;
    array::register(conn, flags)?;
    conn.create_scalar_function("format_type", 2, flags, |ctx| {
        let oid: Option<i64> = ctx
            .get::<Option<String>>(0)?
            .and_then(|s| s.trim().parse().ok());
        let typmod: Option<i64> = ctx.get::<Option<i64>>(1).unwrap_or(None);
        Ok(oid.map(|oid| format_type(oid, typmod.unwrap_or(-1))))
    })?;
    conn.create_scalar_function("version", 0, flags, |_| {
        Ok(format!(
            "PostgreSQL 15.0 (graftgres {}, SQLite {}) on a Graft volume",
            env!("CARGO_PKG_VERSION"),
            rusqlite::version()
        ))
    })?;
    Ok(())
}

/// Postgres's `format_type(oid, typmod)` for the types graftgres emits.
pub fn format_type(oid: i64, typmod: i64) -> String {
    let name = u32::try_from(oid)
        .ok()
        .and_then(Type::from_oid)
        .map(|ty| match ty {
            Type::BOOL => "boolean".to_owned(),
            Type::INT2 => "smallint".to_owned(),
            Type::INT4 => "integer".to_owned(),
            Type::INT8 => "bigint".to_owned(),
            Type::FLOAT4 => "real".to_owned(),
            Type::FLOAT8 => "double precision".to_owned(),
            Type::VARCHAR => "character varying".to_owned(),
            Type::BPCHAR => "character".to_owned(),
            Type::TIME => "time without time zone".to_owned(),
            Type::TIMESTAMP => "timestamp without time zone".to_owned(),
            Type::TIMESTAMPTZ => "timestamp with time zone".to_owned(),
            other => other.name().to_owned(),
        });
    match name {
        Some(name) if typmod >= 4 && matches!(oid, 1043 | 1042) => {
            format!("{name}({})", typmod - 4)
        }
        Some(name) => name,
        None => "???".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_match_postgres() {
        assert_eq!(format_type(20, -1), "bigint");
        assert_eq!(format_type(701, -1), "double precision");
        assert_eq!(format_type(1114, -1), "timestamp without time zone");
        assert_eq!(format_type(1043, 14), "character varying(10)");
        assert_eq!(format_type(1700, -1), "numeric");
        assert_eq!(format_type(123_456, -1), "???");
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let name: String = conn
            .query_row("SELECT format_type('25', -1)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "text");
    }

    /// A huge length is refused before anything is allocated: a failed
    /// allocation would abort the whole server.
    #[test]
    fn huge_texts_are_refused_not_allocated() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        for sql in [
            "SELECT lpad('x', 9223372036854775807)",
            "SELECT rpad('x', 2000000000, 'ü')",
            "SELECT repeat('ab', 9223372036854775807)",
        ] {
            let err = conn
                .query_row(sql, [], |r| r.get::<_, String>(0))
                .unwrap_err();
            let err = crate::exec::from_sqlite(&err);
            assert_eq!(err.code, "54000", "{sql}");
            assert_eq!(err.message, "requested length too large", "{sql}");
        }
        let small: String = conn
            .query_row("SELECT lpad('x', 3, 'ab') || repeat('c', 2)", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(small, "abxcc");
    }
}
