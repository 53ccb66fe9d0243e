//! `pg_constraint`: primary keys, UNIQUE constraints and foreign keys from
//! SQLite's schema, and their `pg_get_constraintdef` text.

use rusqlite::Connection;

use super::pg_index::quote_ident;
use super::schema::{PUBLIC, Schema};
use super::{array_text, insert};

const COLUMNS: [&str; 15] = [
    "oid",
    "conname",
    "connamespace",
    "contype",
    "convalidated",
    "conrelid",
    "conindid",
    "confrelid",
    "confupdtype",
    "confdeltype",
    "confmatchtype",
    "conislocal",
    "connoinherit",
    "conkey",
    "confkey",
];

pub(super) fn fill(db: &Connection, schema: &Schema) -> rusqlite::Result<()> {
    for table in &schema.tables {
        for index in &table.indexes {
            let Some(oid) = index.constraint_oid else {
                continue;
            };
            let contype = if index.primary { "p" } else { "u" };
            let keys: Vec<i64> = index
                .columns
                .iter()
                .map(|c| c.as_deref().and_then(|c| table.attnum(c)).unwrap_or(0))
                .collect();
            let names: Vec<String> = index
                .columns
                .iter()
                .flatten()
                .map(|c| quote_ident(c))
                .collect();
            let def = format!(
                "{} ({})",
                if index.primary {
                    "PRIMARY KEY"
                } else {
                    "UNIQUE"
                },
                names.join(", ")
            );
            let none: Option<String> = None;
            insert(
                db,
                "pg_constraint",
                &COLUMNS,
                &[
                    &oid,
                    &index.name,
                    &PUBLIC,
                    &contype,
                    &true,
                    &table.oid,
                    &index.oid,
                    &0,
                    &" ",
                    &" ",
                    &" ",
                    &true,
                    &true,
                    &array_text(&keys),
                    &none,
                ],
            )?;
            insert(db, "graftgres_def", &["oid", "def"], &[&oid, &def])?;
        }
        for fk in &table.foreign_keys {
            let parent = schema.table(&fk.ref_table);
            let keys: Vec<i64> = fk
                .columns
                .iter()
                .map(|c| table.attnum(c).unwrap_or(0))
                .collect();
            let ref_keys: Vec<i64> = fk
                .ref_columns
                .iter()
                .map(|c| parent.and_then(|p| p.attnum(c)).unwrap_or(0))
                .collect();
            // The parent's index whose columns are the referenced ones.
            let ref_index = parent.and_then(|p| {
                p.indexes.iter().find(|i| {
                    i.unique
                        && i.columns.len() == fk.ref_columns.len()
                        && i.columns
                            .iter()
                            .zip(&fk.ref_columns)
                            .all(|(a, b)| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b)))
                })
            });
            let mut def = format!(
                "FOREIGN KEY ({}) REFERENCES {}({})",
                fk.columns
                    .iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                quote_ident(&fk.ref_table),
                fk.ref_columns
                    .iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            for (event, action) in [("UPDATE", &fk.on_update), ("DELETE", &fk.on_delete)] {
                if action != "NO ACTION" {
                    def.push_str(&format!(" ON {event} {action}"));
                }
            }
            insert(
                db,
                "pg_constraint",
                &COLUMNS,
                &[
                    &fk.oid,
                    &fk.name,
                    &PUBLIC,
                    &"f",
                    &true,
                    &table.oid,
                    &ref_index.map(|i| i.oid).unwrap_or(0),
                    &parent.map(|p| p.oid).unwrap_or(0),
                    &action_code(&fk.on_update),
                    &action_code(&fk.on_delete),
                    &"s",
                    &true,
                    &true,
                    &array_text(&keys),
                    &array_text(&ref_keys),
                ],
            )?;
            insert(db, "graftgres_def", &["oid", "def"], &[&fk.oid, &def])?;
        }
    }
    Ok(())
}

/// SQLite's action names as Postgres's one-letter codes.
fn action_code(action: &str) -> &'static str {
    match action {
        "CASCADE" => "c",
        "RESTRICT" => "r",
        "SET NULL" => "n",
        "SET DEFAULT" => "d",
        _ => "a",
    }
}
