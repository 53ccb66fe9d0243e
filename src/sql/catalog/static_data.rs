//! Built-in catalog rows exported from a real PostgreSQL 15 (`data/*.tsv`,
//! `COPY ... TO STDOUT` text format): `pg_type` (base types), `pg_am`,
//! `pg_proc` and the keyword list of `pg_get_keywords()`, with their real
//! OIDs. Nothing here is typed in by hand.

use rusqlite::Connection;
use rusqlite::types::Value;

/// (table, columns in file order (`None`: every column), file).
const FILES: [(&str, Option<&str>, &str); 4] = [
    ("pg_type", None, include_str!("data/pg_type.tsv")),
    ("pg_am", None, include_str!("data/pg_am.tsv")),
    (
        "pg_proc",
        Some(
            "oid, proname, pronamespace, proowner, prolang, procost, prorows, provariadic, \
             prosupport, prokind, prosecdef, proleakproof, proisstrict, proretset, provolatile, \
             proparallel, pronargs, pronargdefaults, prorettype, proargtypes",
        ),
        include_str!("data/pg_proc.tsv"),
    ),
    (
        "graftgres_keywords",
        Some("word, catcode, barelabel, catdesc, baredesc"),
        include_str!("data/pg_keywords.tsv"),
    ),
];

pub(super) fn fill(db: &Connection) -> rusqlite::Result<()> {
    for (table, columns, text) in FILES {
        let declared = declared_types(db, table)?;
        let names: Vec<String> = match columns {
            Some(list) => list.split(',').map(|c| c.trim().to_owned()).collect(),
            None => declared.iter().map(|(name, _)| name.clone()).collect(),
        };
        let booleans: Vec<bool> = names
            .iter()
            .map(|n| declared.iter().any(|(d, ty)| d == n && ty == "BOOLEAN"))
            .collect();
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let mut insert = db.prepare(&format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", "),
            placeholders.join(", ")
        ))?;
        for line in text.lines().filter(|l| !l.is_empty()) {
            let values: Vec<Value> = line
                .split('\t')
                .zip(&booleans)
                .map(|(field, &boolean)| copy_value(field, boolean))
                .collect();
            insert.execute(rusqlite::params_from_iter(values))?;
        }
    }
    Ok(())
}

fn declared_types(db: &Connection, table: &str) -> rusqlite::Result<Vec<(String, String)>> {
    db.prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// One field of `COPY` text format.
fn copy_value(field: &str, boolean: bool) -> Value {
    match field {
        "\\N" => Value::Null,
        "t" if boolean => Value::Integer(1),
        "f" if boolean => Value::Integer(0),
        other => Value::Text(unescape(other)),
    }
}

fn unescape(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_owned();
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}
