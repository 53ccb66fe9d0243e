//! `pg_class`: one row per table, view and index of the volume (a rowid
//! primary key gets the `<table>_pkey` index Postgres would have).

use rusqlite::Connection;

use super::insert;
use super::schema::{BTREE_AM, HEAP_AM, OWNER, PUBLIC, Schema};

const COLUMNS: [&str; 15] = [
    "relhastriggers",
    "oid",
    "relname",
    "relnamespace",
    "relowner",
    "relam",
    "relfilenode",
    "reltuples",
    "relhasindex",
    "relpersistence",
    "relkind",
    "relnatts",
    "relhasrules",
    "relispopulated",
    "relreplident",
];

pub(super) fn fill(db: &Connection, schema: &Schema) -> rusqlite::Result<()> {
    for table in &schema.tables {
        let (kind, am, replident) = if table.is_view {
            ("v", 0, "n")
        } else {
            ("r", HEAP_AM, "d")
        };
        let natts = table.columns.len() as i64;
        let filenode = if table.is_view { 0 } else { table.oid };
        // Postgres enforces a foreign key with triggers on both tables, and
        // psql shows foreign keys only for tables that have triggers.
        let has_triggers = !table.foreign_keys.is_empty()
            || schema.tables.iter().any(|other| {
                other
                    .foreign_keys
                    .iter()
                    .any(|fk| fk.ref_table.eq_ignore_ascii_case(&table.name))
            });
        insert(
            db,
            "pg_class",
            &COLUMNS,
            &[
                &has_triggers,
                &table.oid,
                &table.name,
                &PUBLIC,
                &OWNER,
                &am,
                &filenode,
                &-1.0,
                &!table.indexes.is_empty(),
                &"p",
                &kind,
                &natts,
                &table.is_view,
                &true,
                &replident,
            ],
        )?;
        if let Some(sql) = &table.sql {
            insert(
                db,
                "graftgres_def",
                &["oid", "def"],
                &[&table.oid, &view_query(sql)],
            )?;
        }
        for index in &table.indexes {
            let natts = index.columns.len() as i64;
            insert(
                db,
                "pg_class",
                &COLUMNS,
                &[
                    &false,
                    &index.oid,
                    &index.name,
                    &PUBLIC,
                    &OWNER,
                    &BTREE_AM,
                    &index.oid,
                    &-1.0,
                    &false,
                    &"p",
                    &"i",
                    &natts,
                    &false,
                    &true,
                    &"n",
                ],
            )?;
        }
    }
    Ok(())
}

/// The query of a `CREATE VIEW name [(cols)] AS query` statement, as
/// `pg_get_viewdef` prints it (leading space, trailing semicolon).
fn view_query(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    let query = upper
        .find(" AS ")
        .map(|at| sql[at + 4..].trim())
        .unwrap_or(sql);
    format!(" {};", query.trim_end_matches(';'))
}
