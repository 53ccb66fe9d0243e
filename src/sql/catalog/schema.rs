//! The volume's schema as the catalog sees it: tables, views, columns,
//! indexes and foreign keys read from one SQLite connection (its own
//! snapshot), with the OIDs every catalog relation shares.
//!
//! OIDs are handed out in `sqlite_schema` order from 16384 (Postgres's first
//! user OID), so they are stable for a given schema and identical in every
//! relation: `pg_class.oid = pg_attribute.attrelid = pg_index.indrelid`.

use std::collections::HashMap;

use pgwire::api::Type;
use rusqlite::Connection;

use crate::sql::types::from_declared;

/// Postgres's first OID for user objects.
pub const FIRST_USER_OID: i64 = 16384;
/// `pg_catalog`, `public` and `information_schema` namespaces.
pub const PG_CATALOG: i64 = 11;
pub const PUBLIC: i64 = 2200;
pub const INFORMATION_SCHEMA: i64 = 13207;
/// The bootstrap superuser, owner of everything.
pub const OWNER: i64 = 10;
/// The `heap` and `btree` access methods.
pub const HEAP_AM: i64 = 2;
pub const BTREE_AM: i64 = 403;

/// Everything the catalog is built from.
#[derive(Debug, Default)]
pub struct Schema {
    /// The Postgres database name (the volume).
    pub database: String,
    pub tables: Vec<Table>,
}

/// A table or a view.
#[derive(Debug)]
pub struct Table {
    pub oid: i64,
    pub name: String,
    pub is_view: bool,
    /// The `CREATE VIEW` text of a view.
    pub sql: Option<String>,
    pub columns: Vec<Column>,
    /// Primary key column names in key order (empty: none).
    pub primary_key: Vec<String>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
}

#[derive(Debug)]
pub struct Column {
    pub name: String,
    /// The SQLite declared type, as written.
    pub declared: Option<String>,
    pub ty: Type,
    pub typmod: i64,
    pub not_null: bool,
    /// The default's SQL text, shown as Postgres would.
    pub default: Option<String>,
}

#[derive(Debug)]
pub struct Index {
    pub oid: i64,
    pub name: String,
    /// Key columns (`None` for an expression).
    pub columns: Vec<Option<String>>,
    pub descending: Vec<bool>,
    pub unique: bool,
    pub primary: bool,
    /// The constraint this index backs (primary key or UNIQUE).
    pub constraint_oid: Option<i64>,
    /// `WHERE` of a partial index, as SQLite keeps it.
    pub predicate: Option<String>,
}

#[derive(Debug)]
pub struct ForeignKey {
    pub oid: i64,
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_update: String,
    pub on_delete: String,
}

impl Schema {
    /// Reads the schema of `conn`'s main database.
    pub fn read(conn: &Connection, database: &str) -> rusqlite::Result<Schema> {
        let mut next = FIRST_USER_OID;
        let mut oid = || {
            next += 1;
            next - 1
        };
        let mut stmt = conn.prepare(
            "SELECT type, name, sql FROM main.sqlite_schema \
             WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             ORDER BY rowid",
        )?;
        let entries: Vec<(String, String, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut tables = Vec::with_capacity(entries.len());
        for (kind, name, sql) in entries {
            let is_view = kind == "view";
            let table_oid = oid();
            let (columns, primary_key) = read_columns(conn, &name)?;
            let mut table = Table {
                oid: table_oid,
                name,
                is_view,
                sql: if is_view { sql } else { None },
                columns,
                primary_key,
                indexes: Vec::new(),
                foreign_keys: Vec::new(),
            };
            if !is_view {
                table.indexes = read_indexes(conn, &table, &mut oid)?;
                table.foreign_keys = read_foreign_keys(conn, &table.name, &mut oid)?;
            }
            tables.push(table);
        }
        resolve_implicit_references(&mut tables);
        Ok(Schema {
            database: database.to_owned(),
            tables,
        })
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

impl Table {
    /// 1-based attribute number of `column`.
    pub fn attnum(&self, column: &str) -> Option<i64> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(column))
            .map(|i| i as i64 + 1)
    }
}

fn read_columns(conn: &Connection, table: &str) -> rusqlite::Result<(Vec<Column>, Vec<String>)> {
    let mut stmt = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?1, 'main') \
         WHERE hidden IN (0, 2, 3) ORDER BY cid",
    )?;
    let mut pk: Vec<(i64, String)> = Vec::new();
    let columns = stmt
        .query_map([table], |r| {
            let name: String = r.get(0)?;
            let declared: Option<String> = r.get::<_, Option<String>>(1)?.filter(|d| !d.is_empty());
            let pk_pos: i64 = r.get(4)?;
            Ok((
                name,
                declared,
                r.get::<_, bool>(2)?,
                r.get::<_, Option<String>>(3)?,
                pk_pos,
            ))
        })?
        .map(|row| {
            row.map(|(name, declared, not_null, default, pk_pos)| {
                if pk_pos > 0 {
                    pk.push((pk_pos, name.clone()));
                }
                let ty = declared.as_deref().map(from_declared).unwrap_or(Type::TEXT);
                let typmod = declared.as_deref().map(typmod_of).unwrap_or(-1);
                let default = default.map(|d| postgres_default(&d, &ty));
                Column {
                    name,
                    declared,
                    ty,
                    typmod,
                    // A primary key is NOT NULL in Postgres, whatever SQLite allows.
                    not_null: not_null || pk_pos > 0,
                    default,
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    pk.sort();
    Ok((columns, pk.into_iter().map(|(_, name)| name).collect()))
}

/// Postgres's `atttypmod` for a declared type: `varchar(n)` is n + 4,
/// `numeric(p, s)` is `(p << 16 | s) + 4`.
fn typmod_of(declared: &str) -> i64 {
    let Some((_, args)) = declared.split_once('(') else {
        return -1;
    };
    let args: Vec<i64> = args
        .trim_end_matches(')')
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    match (from_declared(declared), args.as_slice()) {
        (Type::VARCHAR, [n]) => n + 4,
        (Type::NUMERIC, [p]) => (p << 16) + 4,
        (Type::NUMERIC, [p, s]) => ((p << 16) | s) + 4,
        _ => -1,
    }
}

/// SQLite keeps a default as SQL text; booleans read better as Postgres
/// writes them.
fn postgres_default(default: &str, ty: &Type) -> String {
    match (ty, default.trim()) {
        (&Type::BOOL, "0") | (&Type::BOOL, "FALSE") | (&Type::BOOL, "false") => "false".into(),
        (&Type::BOOL, "1") | (&Type::BOOL, "TRUE") | (&Type::BOOL, "true") => "true".into(),
        (_, "CURRENT_TIMESTAMP") => "CURRENT_TIMESTAMP".into(),
        (_, other) => other.to_owned(),
    }
}

fn read_indexes(
    conn: &Connection,
    table: &Table,
    oid: &mut impl FnMut() -> i64,
) -> rusqlite::Result<Vec<Index>> {
    let mut list = conn.prepare(
        "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, 'main') ORDER BY seq DESC",
    )?;
    let listed: Vec<(String, bool, String, bool)> = list
        .query_map([&table.name], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut indexes = Vec::new();
    // An INTEGER PRIMARY KEY is the rowid: SQLite has no index for it,
    // Postgres has `<table>_pkey`.
    if !table.primary_key.is_empty() && !listed.iter().any(|(_, _, origin, _)| origin == "pk") {
        indexes.push(Index {
            oid: oid(),
            name: format!("{}_pkey", table.name),
            columns: table.primary_key.iter().cloned().map(Some).collect(),
            descending: vec![false; table.primary_key.len()],
            unique: true,
            primary: true,
            constraint_oid: Some(oid()),
            predicate: None,
        });
    }
    let mut info = conn.prepare(
        "SELECT name, \"desc\" FROM pragma_index_xinfo(?1, 'main') WHERE key ORDER BY seqno",
    )?;
    let mut sql =
        conn.prepare("SELECT sql FROM main.sqlite_schema WHERE type = 'index' AND name = ?1")?;
    for (name, unique, origin, partial) in listed {
        let keys: Vec<(Option<String>, bool)> = info
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let columns: Vec<Option<String>> = keys.iter().map(|(c, _)| c.clone()).collect();
        let descending = keys.iter().map(|(_, d)| *d).collect();
        let pg_name = match origin.as_str() {
            "pk" => format!("{}_pkey", table.name),
            "u" => {
                let cols: Vec<&str> = columns.iter().flatten().map(String::as_str).collect();
                format!("{}_{}_key", table.name, cols.join("_"))
            }
            _ => name.clone(),
        };
        let predicate = if partial {
            let text: Option<String> = sql.query_row([&name], |r| r.get(0)).ok().flatten();
            text.and_then(|t| {
                let upper = t.to_ascii_uppercase();
                upper
                    .rfind(" WHERE ")
                    .map(|at| t[at + 7..].trim().to_owned())
            })
        } else {
            None
        };
        indexes.push(Index {
            oid: oid(),
            name: pg_name,
            columns,
            descending,
            unique,
            primary: origin == "pk",
            constraint_oid: (origin != "c").then(&mut *oid),
            predicate,
        });
    }
    Ok(indexes)
}

fn read_foreign_keys(
    conn: &Connection,
    table: &str,
    oid: &mut impl FnMut() -> i64,
) -> rusqlite::Result<Vec<ForeignKey>> {
    let mut stmt = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq",
    )?;
    let rows: Vec<(i64, String, String, Option<String>, String, String)> = stmt
        .query_map([table], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut by_id: Vec<(i64, ForeignKey)> = Vec::new();
    for (id, ref_table, from, to, on_update, on_delete) in rows {
        if by_id.last().map(|(last, _)| *last) != Some(id) {
            by_id.push((
                id,
                ForeignKey {
                    oid: 0,
                    name: String::new(),
                    columns: Vec::new(),
                    ref_table,
                    ref_columns: Vec::new(),
                    on_update,
                    on_delete,
                },
            ));
        }
        let fk = &mut by_id.last_mut().expect("pushed above").1;
        fk.columns.push(from);
        // An empty `to` means "the parent's primary key", resolved later.
        fk.ref_columns.extend(to);
    }
    // SQLite lists foreign keys last-declared first; Postgres names them
    // `<table>_<columns>_fkey`.
    by_id.reverse();
    let mut names: HashMap<String, usize> = HashMap::new();
    Ok(by_id
        .into_iter()
        .map(|(_, mut fk)| {
            let base = format!("{table}_{}_fkey", fk.columns.join("_"));
            let seen = names.entry(base.clone()).or_default();
            *seen += 1;
            fk.name = if *seen == 1 {
                base
            } else {
                format!("{base}{}", *seen - 1)
            };
            fk.oid = oid();
            fk
        })
        .collect())
}

/// `REFERENCES parent` without columns means the parent's primary key.
fn resolve_implicit_references(tables: &mut [Table]) {
    let keys: HashMap<String, Vec<String>> = tables
        .iter()
        .map(|t| (t.name.to_lowercase(), t.primary_key.clone()))
        .collect();
    for table in tables {
        for fk in &mut table.foreign_keys {
            if fk.ref_columns.is_empty()
                && let Some(pk) = keys.get(&fk.ref_table.to_lowercase())
            {
                fk.ref_columns = pk.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keys_indexes_and_references() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE a (id INTEGER PRIMARY KEY, email TEXT UNIQUE, n VARCHAR(10) NOT NULL DEFAULT 'x');
             CREATE TABLE b (a_id INTEGER REFERENCES a, k TEXT, price NUMERIC(10, 2),
                             PRIMARY KEY (a_id, k)) WITHOUT ROWID;
             CREATE INDEX b_k ON b (k DESC) WHERE k > 'a';
             CREATE VIEW v AS SELECT id FROM a;",
        )
        .unwrap();
        let schema = Schema::read(&conn, "demo").unwrap();
        let a = schema.table("a").unwrap();
        assert_eq!(a.oid, FIRST_USER_OID);
        assert_eq!(a.primary_key, ["id"]);
        let names: Vec<&str> = a.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a_pkey", "a_email_key"]);
        assert_eq!(a.columns[2].typmod, 14);
        assert_eq!(a.columns[2].default.as_deref(), Some("'x'"));
        let b = schema.table("b").unwrap();
        assert_eq!(b.columns[2].typmod, (10 << 16 | 2) + 4);
        assert_eq!(b.foreign_keys[0].name, "b_a_id_fkey");
        assert_eq!(b.foreign_keys[0].ref_columns, ["id"]);
        let partial = b.indexes.iter().find(|i| i.name == "b_k").unwrap();
        assert_eq!(partial.predicate.as_deref(), Some("k > 'a'"));
        assert_eq!(partial.descending, [true]);
        assert!(schema.table("v").unwrap().is_view);
        let mut oids: Vec<i64> = schema
            .tables
            .iter()
            .flat_map(|t| {
                std::iter::once(t.oid)
                    .chain(
                        t.indexes
                            .iter()
                            .flat_map(|i| std::iter::once(i.oid).chain(i.constraint_oid)),
                    )
                    .chain(t.foreign_keys.iter().map(|f| f.oid))
            })
            .collect();
        let count = oids.len();
        oids.dedup();
        assert_eq!(oids.len(), count, "OIDs are unique");
    }
}
