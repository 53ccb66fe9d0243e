//! `pg_namespace`: `pg_catalog`, `public` (SQLite's `main`) and
//! `information_schema`.

use rusqlite::Connection;

use super::insert;
use super::schema::{INFORMATION_SCHEMA, OWNER, PG_CATALOG, PUBLIC};

pub(super) fn fill(db: &Connection) -> rusqlite::Result<()> {
    for (oid, name) in [
        (PG_CATALOG, "pg_catalog"),
        (PUBLIC, "public"),
        (INFORMATION_SCHEMA, "information_schema"),
    ] {
        insert(
            db,
            "pg_namespace",
            &["oid", "nspname", "nspowner"],
            &[&oid, &name, &OWNER],
        )?;
    }
    Ok(())
}
