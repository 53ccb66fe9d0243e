//! `pg_attribute`: the columns of every table and view, and the key columns
//! of every index, typed with the Postgres type of their declared type.

use rusqlite::Connection;

use super::insert;
use super::schema::Schema;

const COLUMNS: [&str; 8] = [
    "attrelid",
    "attname",
    "atttypid",
    "attnum",
    "atttypmod",
    "attnotnull",
    "atthasdef",
    "attislocal",
];

pub(super) fn fill(db: &Connection, schema: &Schema) -> rusqlite::Result<()> {
    for table in &schema.tables {
        for (i, column) in table.columns.iter().enumerate() {
            insert(
                db,
                "pg_attribute",
                &COLUMNS,
                &[
                    &table.oid,
                    &column.name,
                    &column.ty.oid(),
                    &(i as i64 + 1),
                    &column.typmod,
                    &column.not_null,
                    &column.default.is_some(),
                    &true,
                ],
            )?;
        }
        for index in &table.indexes {
            for (i, key) in index.columns.iter().enumerate() {
                let column = key.as_deref().and_then(|k| {
                    table
                        .columns
                        .iter()
                        .find(|c| c.name.eq_ignore_ascii_case(k))
                });
                let name = key.clone().unwrap_or_else(|| "expr".to_owned());
                let (ty, typmod) = column.map(|c| (c.ty.oid(), c.typmod)).unwrap_or((25, -1));
                insert(
                    db,
                    "pg_attribute",
                    &COLUMNS,
                    &[
                        &index.oid,
                        &name,
                        &ty,
                        &(i as i64 + 1),
                        &typmod,
                        &false,
                        &false,
                        &true,
                    ],
                )?;
            }
        }
    }
    // Storage facts come from the type, as in Postgres.
    db.execute_batch(
        "UPDATE pg_attribute SET
             attlen = coalesce((SELECT typlen FROM pg_type WHERE pg_type.oid = atttypid), -1),
             attbyval = coalesce((SELECT typbyval FROM pg_type WHERE pg_type.oid = atttypid), 0),
             attalign = (SELECT typalign FROM pg_type WHERE pg_type.oid = atttypid),
             attstorage = (SELECT typstorage FROM pg_type WHERE pg_type.oid = atttypid),
             attcollation = coalesce((SELECT typcollation FROM pg_type WHERE pg_type.oid = atttypid), 0),
             attstattarget = -1, attcacheoff = -1, attidentity = '', attgenerated = '',
             attcompression = '';",
    )
}
