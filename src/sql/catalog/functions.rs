//! Catalog functions clients call, registered on every pooled connection
//! next to `sql::functions` (`format_type` and `version` live there).
//!
//! Functions that look something up (`pg_get_indexdef`, `obj_description`,
//! ...) query the attached catalog through the calling connection, so they
//! see the same snapshot as the query that calls them.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension};

use super::pg_database::UTF8;

use super::pg_index::quote_ident;
use super::pg_roles::OWNER_NAME;
use super::pg_settings::startup_values;
use super::schema::{OWNER, PG_CATALOG, PUBLIC};

/// The functions that query the attached catalog: a statement calling one
/// needs the catalog built even if it names no catalog relation.
pub const LOOKUPS: [&str; 10] = [
    "pg_get_indexdef",
    "pg_get_constraintdef",
    "pg_get_viewdef",
    "pg_table_is_visible",
    "obj_description",
    "col_description",
    "pg_get_function_result",
    "pg_get_function_arguments",
    "regclassin",
    "to_regclass",
];

/// Registers every catalog function on `conn`, which reads `database`.
pub fn register(conn: &Connection, database: &str) -> rusqlite::Result<()> {
    let pure = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    // Lookups read the catalog: not deterministic across snapshots.
    let lookup = FunctionFlags::SQLITE_UTF8;
    let database = database.to_owned();
    conn.create_scalar_function("current_database", 0, pure, move |_| Ok(database.clone()))?;
    super::regclass::register(conn)?;
    // `sql::functions` registers format_type for text OIDs; catalog columns
    // hold OIDs as integers, so this takes both (same names, same output).
    conn.create_scalar_function("format_type", 2, pure, |ctx| {
        let typmod: i64 = oid_arg(ctx, 1).unwrap_or(-1);
        Ok(oid_arg(ctx, 0).map(|oid| match oid {
            // numeric(p,s): typmod is (p << 16 | s) + 4.
            1700 if typmod >= 4 => {
                let t = typmod - 4;
                format!("numeric({},{})", t >> 16, t & 0xffff)
            }
            _ => crate::sql::functions::format_type(oid, typmod),
        }))
    })?;
    conn.create_scalar_function("current_schema", 0, pure, |_| Ok("public"))?;
    conn.create_scalar_function("current_schemas", 1, pure, |ctx| {
        let implicit: bool = ctx.get::<Option<bool>>(0)?.unwrap_or(false);
        Ok(if implicit {
            "{pg_catalog,public}"
        } else {
            "{public}"
        })
    })?;
    for name in ["current_user", "session_user", "user", "current_role"] {
        conn.create_scalar_function(name, 0, pure, |_| Ok(OWNER_NAME))?;
    }
    conn.create_scalar_function("pg_get_userbyid", 1, pure, |ctx| {
        let oid: Option<i64> = oid_arg(ctx, 0);
        Ok(oid.map(|oid| {
            if oid == OWNER {
                OWNER_NAME.to_owned()
            } else {
                format!("unknown (OID={oid})")
            }
        }))
    })?;
    conn.create_scalar_function("pg_encoding_to_char", 1, pure, |ctx| {
        Ok(match oid_arg(ctx, 0) {
            Some(0) => "SQL_ASCII",
            Some(UTF8) => "UTF8",
            _ => "",
        })
    })?;
    conn.create_scalar_function("quote_ident", 1, pure, |ctx| {
        Ok(ctx.get::<Option<String>>(0)?.map(|s| quote_ident(&s)))
    })?;
    // The one role owns every object: every privilege is held.
    for name in [
        "has_table_privilege",
        "has_schema_privilege",
        "has_database_privilege",
        "has_column_privilege",
        "has_function_privilege",
        "has_sequence_privilege",
        "has_any_column_privilege",
        "has_type_privilege",
    ] {
        for args in 2..=4 {
            conn.create_scalar_function(name, args, pure, |_| Ok(true))?;
        }
    }
    for n in 1..=3 {
        conn.create_scalar_function("pg_get_indexdef", n, lookup, |ctx| {
            let Some(oid) = oid_arg(ctx, 0) else {
                return Ok(None);
            };
            let column: i64 = if ctx.len() > 1 { ctx.get::<Option<i64>>(1)?.unwrap_or(0) } else { 0 };
            if column > 0 {
                return query(
                    ctx,
                    "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = ?1 AND attnum = ?2",
                    &[Value::Integer(oid), Value::Integer(column)],
                );
            }
            definition(ctx, oid)
        })?;
    }
    for name in ["pg_get_constraintdef", "pg_get_viewdef"] {
        for n in 1..=2 {
            conn.create_scalar_function(name, n, lookup, |ctx| match oid_arg(ctx, 0) {
                Some(oid) => definition(ctx, oid),
                None => Ok(None),
            })?;
        }
    }
    // adbin holds the expression's text already.
    for n in 2..=3 {
        conn.create_scalar_function("pg_get_expr", n, pure, |ctx| ctx.get::<Option<String>>(0))?;
    }
    conn.create_scalar_function("pg_table_is_visible", 1, lookup, |ctx| {
        let Some(oid) = oid_arg(ctx, 0) else {
            return Ok(None);
        };
        let namespace = query(
            ctx,
            "SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = ?1",
            &[Value::Integer(oid)],
        )?;
        Ok(Some(
            namespace.is_some_and(|n: i64| n == PUBLIC || n == PG_CATALOG),
        ))
    })?;
    // Types, functions, collations... all live in pg_catalog, which is
    // always searched.
    for name in [
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_collation_is_visible",
        "pg_operator_is_visible",
        "pg_opclass_is_visible",
        "pg_conversion_is_visible",
    ] {
        conn.create_scalar_function(name, 1, pure, |ctx| Ok(oid_arg(ctx, 0).map(|_| true)))?;
    }
    for n in 1..=2 {
        conn.create_scalar_function("obj_description", n, lookup, |ctx| {
            let Some(oid) = oid_arg(ctx, 0) else {
                return Ok(None);
            };
            query::<String>(
                ctx,
                "SELECT description FROM pg_catalog.pg_description WHERE objoid = ?1 AND objsubid = 0",
                &[Value::Integer(oid)],
            )
        })?;
    }
    conn.create_scalar_function("shobj_description", 2, pure, |_| Ok(None::<String>))?;
    conn.create_scalar_function("col_description", 2, lookup, |ctx| {
        let (Some(oid), Some(column)) = (oid_arg(ctx, 0), oid_arg(ctx, 1)) else {
            return Ok(None);
        };
        query::<String>(
            ctx,
            "SELECT description FROM pg_catalog.pg_description WHERE objoid = ?1 AND objsubid = ?2",
            &[Value::Integer(oid), Value::Integer(column)],
        )
    })?;
    conn.create_scalar_function("pg_get_function_result", 1, lookup, |ctx| {
        let Some(oid) = oid_arg(ctx, 0) else {
            return Ok(None);
        };
        query::<String>(
            ctx,
            "SELECT format_type(prorettype, NULL) FROM pg_catalog.pg_proc WHERE oid = ?1",
            &[Value::Integer(oid)],
        )
    })?;
    conn.create_scalar_function("pg_get_function_arguments", 1, lookup, |ctx| {
        let Some(oid) = oid_arg(ctx, 0) else {
            return Ok(None);
        };
        let types: Option<String> = query(
            ctx,
            "SELECT proargtypes FROM pg_catalog.pg_proc WHERE oid = ?1",
            &[Value::Integer(oid)],
        )?;
        Ok(types.map(|types| {
            types
                .split_whitespace()
                .filter_map(|t| t.parse().ok())
                .map(|t| crate::sql::functions::format_type(t, -1))
                .collect::<Vec<_>>()
                .join(", ")
        }))
    })?;
    // A SQLite table is never partitioned nor published: a relation is its
    // own only partition ancestor.
    conn.create_scalar_function("pg_partition_ancestors", 1, pure, |ctx| Ok(oid_arg(ctx, 0)))?;
    conn.create_scalar_function("pg_relation_is_publishable", 1, pure, |ctx| {
        Ok(oid_arg(ctx, 0).map(|_| false))
    })?;
    // Statistics objects, triggers and sequences never exist in a SQLite volume's
    // catalog (their relations are empty), so no OID names one: NULL, as
    // Postgres answers for an OID it does not know.
    for (name, args) in [
        ("pg_get_statisticsobjdef_columns", 1),
        ("pg_get_triggerdef", 1),
        ("pg_get_triggerdef", 2),
        ("pg_get_ruledef", 1),
        ("pg_get_ruledef", 2),
        // No column owns a sequence (`pg_sequence` is empty).
        ("pg_get_serial_sequence", 2),
    ] {
        conn.create_scalar_function(name, args, pure, |_| Ok(None::<String>))?;
    }
    // The value a session starts with (`pg_settings`): SQL runs on pooled
    // connections that do not see a session's own `SET`.
    for n in 1..=2 {
        conn.create_scalar_function("current_setting", n, pure, |ctx| {
            let Some(name) = ctx.get::<Option<String>>(0)? else {
                return Ok(None);
            };
            let missing_ok = ctx.len() > 1 && ctx.get::<Option<bool>>(1)?.unwrap_or(false);
            match startup_values().remove(&name.to_lowercase()) {
                None if !missing_ok => Err(rusqlite::Error::UserFunctionError(
                    format!("unrecognized configuration parameter \"{name}\"").into(),
                )),
                value => Ok(value),
            }
        })?;
    }
    // `set_config` would change the session's setting, which this
    // connection cannot reach: it answers only when nothing changes.
    conn.create_scalar_function("set_config", 3, pure, |ctx| {
        let (Some(name), value) = (ctx.get::<Option<String>>(0)?, ctx.get::<Option<String>>(1)?)
        else {
            return Ok(None);
        };
        if value.is_some() && startup_values().get(&name.to_lowercase()) == value.as_ref() {
            return Ok(value);
        }
        Err(rusqlite::Error::UserFunctionError(
            format!("set_config() of \"{name}\" is not supported: use SET").into(),
        ))
    })?;
    conn.create_scalar_function("pg_backend_pid", 0, pure, |_| {
        Ok(i64::from(std::process::id()))
    })?;
    Ok(())
}

/// The database name `attach` gave this connection.
pub fn current_database(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("SELECT current_database()", [], |r| r.get(0))
}

/// An OID argument, given as a number or as text (`'16385'`).
fn oid_arg(ctx: &Context<'_>, i: usize) -> Option<i64> {
    match ctx.get_raw(i) {
        ValueRef::Integer(n) => Some(n),
        ValueRef::Real(f) => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn definition(ctx: &Context<'_>, oid: i64) -> rusqlite::Result<Option<String>> {
    query(
        ctx,
        "SELECT def FROM pg_catalog.graftgres_def WHERE oid = ?1",
        &[Value::Integer(oid)],
    )
}

/// Runs a one-value lookup on the calling connection.
fn query<T: rusqlite::types::FromSql>(
    ctx: &Context<'_>,
    sql: &str,
    params: &[Value],
) -> rusqlite::Result<Option<T>> {
    // SAFETY: the connection outlives the call; SQLite allows statements
    // to run from inside a function on the same connection.
    let conn = unsafe { ctx.get_connection()? };
    conn.prepare_cached(sql)?
        .query_row(rusqlite::params_from_iter(params), |r| r.get(0))
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_ident_quotes_like_postgres() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn, "demo").unwrap();
        let name: String = conn
            .query_row("SELECT quote_ident('Order')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "\"Order\"");
    }
}
