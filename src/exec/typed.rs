//! What a read needs from the tables it reads before it runs: their
//! declared column types (pragma_table_info), the type scope built from
//! them (`sql::types`), and the SQLite text that depends on them.
//!
//! Most reads translate the same whatever the schema, at plan time. A read
//! that may compute exact numerics (`ReadQuery::exact`) is translated again
//! here with the scope, since whether `a / b` divides integers or decimals
//! depends on the declared types of `a` and `b`; the result is kept on the
//! read for the declarations it was made for, so a statement run again on
//! the same schema is not translated again, and a schema change (or
//! another volume with other types behind the same text) is.

use std::sync::Arc;

use rusqlite::Connection;

use super::from_sqlite;
use crate::error::PgResult;
use crate::sql::types::{Scope, all_tables_read, build_scope};
use crate::sql::{Declarations, ReadQuery, TypedSqlite};

fn declarations(conn: &Connection, read: &ReadQuery) -> PgResult<Declarations> {
    let mut info = conn
        .prepare_cached("SELECT name, type FROM pragma_table_info(?1)")
        .map_err(|e| from_sqlite(&e))?;
    let mut tables: Declarations = Vec::new();
    for (_, table) in all_tables_read(&read.original) {
        if tables.iter().any(|(t, _)| *t == table) {
            continue;
        }
        let columns = info
            .query_map([&table], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .unwrap_or_default();
        tables.push((table, columns));
    }
    Ok(tables)
}

fn scope_from(read: &ReadQuery, tables: &Declarations) -> Scope {
    build_scope(&read.original, |table| {
        tables
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, columns)| columns.clone())
            .unwrap_or_default()
    })
}

/// Declared column types of the tables the query reads (and the types of
/// its CTEs and derived tables, inferred from them).
pub(crate) fn scope_of(conn: &Connection, read: &ReadQuery) -> PgResult<Scope> {
    Ok(scope_from(read, &declarations(conn, read)?))
}

/// The SQLite text `read` runs as on `conn`.
pub(crate) fn sqlite_text(conn: &Connection, read: &ReadQuery) -> PgResult<Arc<str>> {
    if !read.exact {
        return Ok(Arc::from(read.sqlite.as_str()));
    }
    let tables = declarations(conn, read)?;
    if let Some(typed) = read.typed.lock().as_ref()
        && typed.tables == tables
    {
        return Ok(typed.sqlite.clone());
    }
    let scope = scope_from(read, &tables);
    let (sqlite, _) = crate::sql::rules::apply_typed(&read.original, &scope)?;
    let sqlite: Arc<str> = Arc::from(sqlite);
    *read.typed.lock() = Some(TypedSqlite {
        tables,
        sqlite: sqlite.clone(),
    });
    Ok(sqlite)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Command;

    fn planned(sql: &str) -> Arc<ReadQuery> {
        match crate::sql::plan_uncached(sql).unwrap().pop() {
            Some(Command::Read(read)) => read,
            other => panic!("not a read: {other:?}"),
        }
    }

    fn db(schema: &str) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema).unwrap();
        conn
    }

    #[test]
    fn the_declared_types_choose_the_translation() {
        let read = planned("SELECT a / 2 FROM t");
        assert!(read.exact);
        let integers = db("CREATE TABLE t(a INTEGER)");
        let numerics = db("CREATE TABLE t(a NUMERIC(10,2))");
        assert_eq!(
            &*sqlite_text(&integers, &read).unwrap(),
            "SELECT a / 2 FROM t"
        );
        let exact =
            "SELECT pg_num_div(pg_numeric(a, 2), 2) COLLATE pg_numeric AS \"?column?\" FROM t";
        assert_eq!(&*sqlite_text(&numerics, &read).unwrap(), exact);
        // Kept for the declarations it was made for, made again for others.
        assert_eq!(&*sqlite_text(&numerics, &read).unwrap(), exact);
        assert_eq!(
            &*sqlite_text(&integers, &read).unwrap(),
            "SELECT a / 2 FROM t"
        );
        // A read with nothing exact keeps its plan-time text.
        let plain = planned("SELECT a * 2 FROM t");
        assert!(!plain.exact);
        assert_eq!(&*sqlite_text(&numerics, &plain).unwrap(), plain.sqlite);
    }
}
