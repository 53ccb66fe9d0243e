//! `pg_index`: one row per index (including the implicit `<table>_pkey` of
//! a rowid primary key); `indkey` numbers the table's columns, 0 for an
//! expression. Also records each index's `CREATE INDEX` text for
//! `pg_get_indexdef`.

use rusqlite::Connection;

use super::schema::{Index, Schema, Table};
use super::{insert, vector_text};

pub(super) fn fill(db: &Connection, schema: &Schema) -> rusqlite::Result<()> {
    for table in &schema.tables {
        for index in &table.indexes {
            let keys: Vec<i64> = index
                .columns
                .iter()
                .map(|c| c.as_deref().and_then(|c| table.attnum(c)).unwrap_or(0))
                .collect();
            // indoption bit 0 is DESC.
            let options: Vec<i64> = index.descending.iter().map(|d| i64::from(*d)).collect();
            let natts = keys.len() as i64;
            insert(
                db,
                "pg_index",
                &[
                    "indexrelid",
                    "indrelid",
                    "indnatts",
                    "indnkeyatts",
                    "indisunique",
                    "indisprimary",
                    "indimmediate",
                    "indisvalid",
                    "indisready",
                    "indislive",
                    "indkey",
                    "indcollation",
                    "indclass",
                    "indoption",
                    "indpred",
                ],
                &[
                    &index.oid,
                    &table.oid,
                    &natts,
                    &natts,
                    &index.unique,
                    &index.primary,
                    &true,
                    &true,
                    &true,
                    &true,
                    &vector_text(&keys),
                    &vector_text(keys.iter().map(|_| 0)),
                    &vector_text(keys.iter().map(|_| 0)),
                    &vector_text(&options),
                    &index.predicate,
                ],
            )?;
            insert(
                db,
                "graftgres_def",
                &["oid", "def"],
                &[&index.oid, &index_def(table, index)],
            )?;
        }
    }
    Ok(())
}

/// `pg_get_indexdef`'s text: `CREATE [UNIQUE] INDEX name ON public.t USING btree (a, b DESC)`.
pub(super) fn index_def(table: &Table, index: &Index) -> String {
    let keys: Vec<String> = index
        .columns
        .iter()
        .zip(&index.descending)
        .map(|(c, desc)| {
            let name = c
                .as_deref()
                .map(quote_ident)
                .unwrap_or_else(|| "expr".into());
            if *desc { format!("{name} DESC") } else { name }
        })
        .collect();
    let mut def = format!(
        "CREATE {}INDEX {} ON public.{} USING btree ({})",
        if index.unique { "UNIQUE " } else { "" },
        quote_ident(&index.name),
        quote_ident(&table.name),
        keys.join(", ")
    );
    if let Some(predicate) = &index.predicate {
        def.push_str(&format!(" WHERE ({predicate})"));
    }
    def
}

/// Postgres's `quote_ident`: quotes unless the name is a plain lower-case
/// identifier.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}
