//! Relation names to OIDs, as Postgres reads text as a `regclass`: a name,
//! optionally schema-qualified and quoted (`books`, `public."Books"`,
//! `pg_catalog.pg_class`), or an OID in digits, looked up on the search
//! path (`pg_catalog`, then `public`). `regclassin(text)` is what a cast
//! of text or of a parameter runs (an unknown name is an error), and
//! `to_regclass(text)` is Postgres's function of that name (NULL instead).
//!
//! The volume's relations are in `pg_class`. Postgres's own catalogs are
//! not, but queries name them (`classoid = 'pg_catalog.pg_constraint'::regclass`
//! against `pg_description`), so they resolve to their real OIDs, exported
//! from PostgreSQL 15 (`data/pg_catalog_relations.tsv`).

use std::collections::HashMap;
use std::sync::LazyLock;

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::{Connection, OptionalExtension};

use super::schema::PUBLIC;

/// Postgres's catalog tables and views: name -> OID.
static SYSTEM: LazyLock<HashMap<&'static str, i64>> = LazyLock::new(|| {
    include_str!("data/pg_catalog_relations.tsv")
        .lines()
        .filter_map(|line| {
            let (oid, name) = line.split_once('\t')?;
            Some((name, oid.parse().ok()?))
        })
        .collect()
});

pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    // Lookups read the catalog: not deterministic across snapshots.
    let flags = FunctionFlags::SQLITE_UTF8;
    conn.create_scalar_function("regclassin", 1, flags, |ctx| {
        let Some(text) = ctx.get::<Option<String>>(0)? else {
            return Ok(None);
        };
        match resolve(ctx, &text)? {
            Some(oid) => Ok(Some(oid)),
            None => Err(rusqlite::Error::UserFunctionError(
                format!("relation \"{}\" does not exist", text.trim()).into(),
            )),
        }
    })?;
    conn.create_scalar_function("to_regclass", 1, flags, |ctx| {
        match ctx.get::<Option<String>>(0)? {
            Some(text) => resolve(ctx, &text),
            None => Ok(None),
        }
    })
}

/// The OID `text` names, if any.
fn resolve(ctx: &Context<'_>, text: &str) -> rusqlite::Result<Option<i64>> {
    if let Ok(oid) = text.trim().parse::<i64>() {
        return Ok(Some(oid));
    }
    let Some(parts) = name_parts(text) else {
        return Ok(None);
    };
    let (schema, name) = match parts.as_slice() {
        [name] => (None, name.as_str()),
        [schema, name] => (Some(schema.as_str()), name.as_str()),
        // `database.schema.name`: only this database exists.
        [_, schema, name] => (Some(schema.as_str()), name.as_str()),
        _ => return Ok(None),
    };
    if matches!(schema, None | Some("pg_catalog"))
        && let Some(oid) = SYSTEM.get(name)
    {
        return Ok(Some(*oid));
    }
    if !matches!(schema, None | Some("public")) {
        return Ok(None);
    }
    // SAFETY: the connection outlives the call; SQLite allows statements
    // to run from inside a function on the same connection.
    let conn = unsafe { ctx.get_connection()? };
    conn.prepare_cached(
        "SELECT oid FROM pg_catalog.pg_class WHERE relname = ?1 AND relnamespace = ?2",
    )?
    .query_row(rusqlite::params![name, PUBLIC], |r| r.get(0))
    .optional()
}

/// `a."B c".d` -> `["a", "B c", "d"]`: unquoted parts fold to lower case,
/// quoted ones keep theirs (`""` is a quote). `None` if malformed.
fn name_parts(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
            part = part.trim().to_owned();
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_and_fold_like_postgres() {
        assert_eq!(name_parts("Books"), Some(vec!["books".to_owned()]));
        assert_eq!(
            name_parts(r#"public."My ""T""""#),
            Some(vec!["public".to_owned(), r#"My "T""#.to_owned()])
        );
        assert_eq!(name_parts("a..b"), None);
        assert_eq!(SYSTEM.get("pg_constraint"), Some(&2606));
    }

    #[test]
    fn casts_resolve_volume_and_system_relations() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE books (id INTEGER PRIMARY KEY)")
            .unwrap();
        super::super::attach(&conn, "graftgres-1-shop").unwrap();
        super::super::refresh(&conn, "SELECT 1 FROM pg_catalog.pg_class").unwrap();
        let row: (i64, i64, i64, Option<i64>) = conn
            .query_row(
                "SELECT regclassin('pg_catalog.pg_class'), regclassin('public.BOOKS'),
                        (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'books') - regclassin('books'),
                        to_regclass('nope')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!((row.0, row.2, row.3), (1259, 0, None));
        assert!(row.1 >= 16384);
        let err = conn
            .query_row("SELECT regclassin('nope')", [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert!(err.to_string().contains("relation \"nope\" does not exist"));
    }
}
