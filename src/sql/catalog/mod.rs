//! `pg_catalog` and `information_schema` for a SQLite volume.
//!
//! Clients ask the server about itself (`\d`, JDBC's `DatabaseMetaData`, ORM
//! reflection). We answer from the volume's own schema, read through the
//! pooled connection that runs the query, so the catalog matches the
//! snapshot being read.
//!
//! How it is stored, and why: every pooled connection ATTACHes two empty
//! in-memory databases named `pg_catalog` and `information_schema`. When a
//! query names either schema, [`refresh`] compares a fingerprint of the
//! connection's `sqlite_schema` with the one its catalog was built from; on a
//! change it builds the catalog on a private in-memory SQLite connection
//! (real tables with Postgres's column lists, plus indexes for the joins
//! clients do) and `sqlite3_deserialize`s the images into the attached
//! schemas. So:
//! - nothing is ever written to the user's database (the pooled connection
//!   stays read-only; the images are filled elsewhere);
//! - catalog queries are plain SQLite queries, with joins, subqueries and
//!   indexes, instead of virtual tables that SQLite could only scan;
//! - images are cached per fingerprint, shared by all connections, so a
//!   schema is turned into a catalog once, and a new snapshot with the same
//!   schema costs one fingerprint (a scan of `sqlite_schema`).
//!
//! Static contents (`pg_type`, `pg_am`, `pg_proc`, keywords) are exported
//! from a real PostgreSQL 15 (`data/*.tsv`) with their real OIDs; the table
//! definitions (`data/*.sql`) are the real column lists. One module per
//! relation derives its rows from [`schema::Schema`].

pub mod functions;
pub mod rewrite;
pub mod schema;

mod information_schema;
mod pg_attrdef;
mod pg_attribute;
mod pg_class;
mod pg_constraint;
mod pg_database;
mod pg_index;
mod pg_namespace;
mod pg_roles;
mod pg_settings;
mod regclass;
mod static_data;
mod system_views;

use std::collections::HashMap;
use std::ffi::{CStr, c_void};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;
use rusqlite::{Connection, MAIN_DB, ToSql, ffi};

use crate::error::{PgError, PgResult};
use schema::Schema;

/// The attached schemas, in the order SQLite searches them.
pub const SCHEMAS: [&str; 2] = ["pg_catalog", "information_schema"];

/// Images kept for reuse across connections; a handful of schemas at most.
const CACHED_IMAGES: usize = 16;

/// Serialized catalog databases for one schema fingerprint.
struct Images {
    pg_catalog: Vec<u8>,
    information_schema: Vec<u8>,
}

static IMAGES: LazyLock<Mutex<HashMap<u64, Arc<Images>>>> = LazyLock::new(Default::default);

/// Key of the fingerprint a connection's catalog was built from
/// (SQLite client data, freed with the connection).
const LOADED: &CStr = c"graftgres.catalog";

/// Prepares a fresh pooled connection: attaches the (empty) catalog
/// schemas and registers the catalog functions. `key` is the VFS key the
/// connection opened, `graftgres-<replica>-<database>`.
pub fn attach(conn: &Connection, key: &str) -> rusqlite::Result<()> {
    for schema in SCHEMAS {
        conn.execute(&format!("ATTACH DATABASE ':memory:' AS {schema}"), [])?;
    }
    functions::register(conn, database_name(key))
}

/// The Postgres database name inside a VFS key (`graftgres-1-demo`).
fn database_name(key: &str) -> &str {
    key.splitn(3, '-').nth(2).unwrap_or(key)
}

/// Whether SQLite text reads the catalog: names a catalog relation (after
/// [`rewrite`], always schema-qualified) or calls a function that looks
/// something up in it.
pub fn reads_catalog(sqlite: &str) -> bool {
    let lower = sqlite.to_ascii_lowercase();
    SCHEMAS
        .iter()
        .chain(functions::LOOKUPS.iter())
        .any(|s| lower.contains(s))
}

/// Makes the attached catalog match the connection's current schema, if
/// `sqlite` (a translated query) reads it.
pub fn refresh(conn: &Connection, sqlite: &str) -> PgResult<()> {
    if !reads_catalog(sqlite) {
        return Ok(());
    }
    refresh_now(conn).map_err(|err| PgError::internal(format!("cannot build the catalog: {err}")))
}

fn refresh_now(conn: &Connection) -> rusqlite::Result<()> {
    let database = functions::current_database(conn)?;
    let fingerprint = fingerprint(conn, &database)?;
    if loaded(conn) == Some(fingerprint) {
        return Ok(());
    }
    // Inside a transaction that already read the catalog, the catalog is
    // that transaction's and cannot be swapped (nor can the schema change).
    for schema in [c"pg_catalog", c"information_schema"] {
        // SAFETY: a valid handle and a NUL-terminated schema name.
        if unsafe { ffi::sqlite3_txn_state(conn.handle(), schema.as_ptr()) } != ffi::SQLITE_TXN_NONE
        {
            return Ok(());
        }
    }
    let cached = IMAGES.lock().get(&fingerprint).cloned();
    let images = match cached {
        Some(images) => images,
        None => {
            let images = Arc::new(build(&Schema::read(conn, &database)?)?);
            let mut cache = IMAGES.lock();
            if cache.len() >= CACHED_IMAGES {
                cache.clear();
            }
            cache.insert(fingerprint, images.clone());
            images
        }
    };
    deserialize(conn, "pg_catalog", &images.pg_catalog)?;
    deserialize(conn, "information_schema", &images.information_schema)?;
    set_loaded(conn, fingerprint);
    Ok(())
}

/// A hash of the database name and every `sqlite_schema` row.
fn fingerprint(conn: &Connection, database: &str) -> rusqlite::Result<u64> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    database.hash(&mut hasher);
    let mut stmt =
        conn.prepare_cached("SELECT type, name, tbl_name, sql FROM main.sqlite_schema")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        for i in 0..4 {
            row.get::<_, Option<String>>(i)?.hash(&mut hasher);
        }
    }
    Ok(hasher.finish())
}

fn loaded(conn: &Connection) -> Option<u64> {
    // SAFETY: the pointer was stored by `set_loaded` as a `Box<u64>` and
    // lives until the connection closes or it is replaced.
    unsafe {
        let ptr = ffi::sqlite3_get_clientdata(conn.handle(), LOADED.as_ptr()) as *const u64;
        ptr.as_ref().copied()
    }
}

fn set_loaded(conn: &Connection, fingerprint: u64) {
    unsafe extern "C" fn free(ptr: *mut c_void) {
        // SAFETY: created by Box::into_raw below.
        drop(unsafe { Box::from_raw(ptr as *mut u64) });
    }
    let ptr = Box::into_raw(Box::new(fingerprint));
    // SAFETY: SQLite owns the box from here and frees it with `free` (also
    // when it is replaced).
    unsafe {
        ffi::sqlite3_set_clientdata(conn.handle(), LOADED.as_ptr(), ptr.cast(), Some(free));
    }
}

/// Loads `image` as the content of attached schema `schema` (read-only).
fn deserialize(conn: &Connection, schema: &str, image: &[u8]) -> rusqlite::Result<()> {
    let name = std::ffi::CString::new(schema).expect("schema names have no NUL");
    let size = image.len();
    // SAFETY: SQLite takes ownership of a buffer from sqlite3_malloc64
    // (FREEONCLOSE); we copy the image into it.
    unsafe {
        let buffer = ffi::sqlite3_malloc64(size as u64) as *mut u8;
        if buffer.is_null() {
            return Err(rusqlite::Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_NOMEM),
                None,
            ));
        }
        std::ptr::copy_nonoverlapping(image.as_ptr(), buffer, size);
        let rc = ffi::sqlite3_deserialize(
            conn.handle(),
            name.as_ptr(),
            buffer,
            size as i64,
            size as i64,
            ffi::SQLITE_DESERIALIZE_FREEONCLOSE | ffi::SQLITE_DESERIALIZE_READONLY,
        );
        if rc != ffi::SQLITE_OK {
            return Err(rusqlite::Error::SqliteFailure(
                ffi::Error::new(rc),
                Some(format!("cannot load the {schema} image")),
            ));
        }
    }
    Ok(())
}

/// Builds both catalog databases for `schema`.
fn build(schema: &Schema) -> rusqlite::Result<Images> {
    let db = Connection::open_in_memory()?;
    db.execute_batch("ATTACH DATABASE ':memory:' AS information_schema")?;
    db.execute_batch(include_str!("data/pg_catalog.sql"))?;
    db.execute_batch(&format!(
        "{}\nCREATE TABLE graftgres_def (oid INTEGER PRIMARY KEY, def TEXT NOT NULL);
         CREATE TABLE graftgres_keywords (word TEXT, catcode TEXT, barelabel BOOLEAN, catdesc TEXT, baredesc TEXT);",
        ""
    ))?;
    let information_schema: String = include_str!("data/information_schema.sql")
        .replace("CREATE TABLE ", "CREATE TABLE information_schema.");
    db.execute_batch(&information_schema)?;
    let tx = db.unchecked_transaction()?;
    static_data::fill(&tx)?;
    pg_namespace::fill(&tx)?;
    pg_class::fill(&tx, schema)?;
    pg_attribute::fill(&tx, schema)?;
    pg_index::fill(&tx, schema)?;
    pg_constraint::fill(&tx, schema)?;
    pg_attrdef::fill(&tx, schema)?;
    pg_database::fill(&tx, schema)?;
    pg_roles::fill(&tx)?;
    pg_settings::fill(&tx)?;
    system_views::fill(&tx)?;
    information_schema::fill(&tx, schema)?;
    tx.execute_batch(
        "CREATE UNIQUE INDEX pg_class_oid ON pg_class (oid);
         CREATE INDEX pg_class_relname ON pg_class (relname);
         CREATE INDEX pg_attribute_relid ON pg_attribute (attrelid, attnum);
         CREATE UNIQUE INDEX pg_type_oid ON pg_type (oid);
         CREATE INDEX pg_type_typname ON pg_type (typname);
         CREATE UNIQUE INDEX pg_proc_oid ON pg_proc (oid);
         CREATE INDEX pg_index_indrelid ON pg_index (indrelid);
         CREATE INDEX pg_index_indexrelid ON pg_index (indexrelid);
         CREATE INDEX pg_constraint_conrelid ON pg_constraint (conrelid);
         CREATE UNIQUE INDEX pg_namespace_oid ON pg_namespace (oid);",
    )?;
    tx.commit()?;
    Ok(Images {
        pg_catalog: db.serialize(MAIN_DB)?.to_vec(),
        information_schema: db.serialize(c"information_schema")?.to_vec(),
    })
}

/// Inserts one row naming its columns; the rest keep their defaults.
pub(crate) fn insert(
    db: &Connection,
    table: &str,
    columns: &[&str],
    values: &[&dyn ToSql],
) -> rusqlite::Result<()> {
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        placeholders.join(", ")
    );
    db.prepare_cached(&sql)?.execute(values)?;
    Ok(())
}

/// Postgres array text (`{a,b}`) of `items`.
pub(crate) fn array_text<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    format!("{{{}}}", items.join(","))
}

/// Postgres `int2vector`/`oidvector` text (`1 2`).
pub(crate) fn vector_text<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    items.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
                                     vip BOOLEAN NOT NULL DEFAULT 0);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id));
             CREATE INDEX orders_customer ON orders (customer_id);",
        )
        .unwrap();
        attach(&conn, "graftgres-1-shop").unwrap();
        conn
    }

    #[test]
    fn catalog_is_built_and_swapped_with_the_schema() {
        let conn = volume();
        refresh(&conn, "SELECT 1 FROM pg_catalog.pg_class").unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT relname FROM pg_catalog.pg_class WHERE relnamespace = 2200 AND relkind = 'r' ORDER BY 1")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(tables, ["customers", "orders"]);
        let fk: String = conn
            .query_row(
                "SELECT pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint WHERE contype = 'f'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(fk, "FOREIGN KEY (customer_id) REFERENCES customers(id)");
        let same: bool = conn
            .query_row(
                "SELECT (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'orders')
                      = (SELECT conrelid FROM pg_catalog.pg_constraint WHERE contype = 'f')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(same);
        let db: String = conn
            .query_row("SELECT datname FROM pg_catalog.pg_database", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(db, "shop");
        let columns: i64 = conn
            .query_row(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(columns, 3);
        // A second refresh with the same schema keeps the catalog.
        refresh(&conn, "SELECT 1 FROM pg_catalog.pg_class").unwrap();
        // Writes to the catalog are refused.
        assert!(conn.execute("DELETE FROM pg_catalog.pg_class", []).is_err());
    }
}
