//! `pg_database`: the database this connection reads (its volume). Other
//! volumes in the bucket are opened on demand by name and are not listed.

use rusqlite::Connection;

use super::insert;
use super::schema::{OWNER, Schema};

/// The database's OID (Postgres gives `postgres` OID 5).
pub const DATABASE_OID: i64 = 5;
/// `pg_default`.
const DEFAULT_TABLESPACE: i64 = 1663;
/// Encoding 6 is UTF8.
pub const UTF8: i64 = 6;

pub(super) fn fill(db: &Connection, schema: &Schema) -> rusqlite::Result<()> {
    insert(
        db,
        "pg_database",
        &[
            "oid",
            "datname",
            "datdba",
            "encoding",
            "datlocprovider",
            "datallowconn",
            "datconnlimit",
            "dattablespace",
            "datcollate",
            "datctype",
        ],
        &[
            &DATABASE_OID,
            &schema.database,
            &OWNER,
            &UTF8,
            &"c",
            &true,
            &-1,
            &DEFAULT_TABLESPACE,
            &"C",
            &"C",
        ],
    )
}
