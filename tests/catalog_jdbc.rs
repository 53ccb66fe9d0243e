//! pgjdbc (Debian `libpostgresql-jdbc-java`, /usr/share/java/postgresql.jar)
//! against graftgres and against a real PostgreSQL 15 with the same schema:
//! `tests/clients/CatalogMeta.java` is compiled with javac at test time and
//! runs every DatabaseMetaData call seven times with prepareThreshold 0, 1
//! and 5 (server-prepared, binary statements after the threshold); the
//! printed results must match Postgres's.
//!
//! Without java/javac/the jar (or the Postgres oracle) the test fails when
//! CI is set and is skipped otherwise.

mod common;
mod oracle;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use oracle::*;

fn meta(classes: &Path, port: u16, user: &str, mode: &str) -> Run {
    let url = format!("jdbc:postgresql://127.0.0.1:{port}/books");
    java(classes, "CatalogMeta", &[&url, user, mode])
}

/// `## name` sections of one prepareThreshold run, keyed by
/// "threshold/name".
fn sections(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut threshold = String::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# ") {
            threshold = t.to_owned();
        } else if let Some(name) = line.strip_prefix("## ") {
            let key = format!("{threshold}/{name}");
            out.insert(key.clone(), Vec::new());
            current = Some(key);
        } else if let Some(key) = &current {
            out.get_mut(key).unwrap().push(line.to_owned());
        }
    }
    out
}

#[test]
fn jdbc_metadata_matches_postgres() {
    if !java_available() || !require_oracle() {
        return;
    }
    let dir = TestDir::new();
    let (server, oracle) = books(&dir);
    let classes = javac(&dir, "CatalogMeta");

    let ours = meta(&classes, server.port, "test", "meta");
    assert!(
        ours.success(),
        "CatalogMeta against graftgres failed\n{ours}\n{}",
        server.log()
    );
    let theirs = meta(&classes, oracle.port, "postgres", "meta");
    assert!(
        theirs.success(),
        "CatalogMeta against postgres failed\n{theirs}"
    );
    let (ours, theirs) = (sections(&ours.stdout), sections(&theirs.stdout));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for threshold in [
        "prepareThreshold=0",
        "prepareThreshold=1",
        "prepareThreshold=5",
    ] {
        for name in [
            "getCatalogs",
            "getSchemas",
            "getTables",
            "getColumns",
            "getPrimaryKeys",
            "getImportedKeys",
            "getExportedKeys",
            "getIndexInfo",
            "ResultSetMetaData",
            "ResultSetArray",
        ] {
            let key = format!("{threshold}/{name}");
            assert_eq!(ours[&key], theirs[&key], "{key}");
        }
        // getTypeInfo: the same SQL type for every base type we share;
        // Postgres also lists its information_schema domains and the row
        // types of its own catalog tables, which a SQLite volume lacks.
        let key = format!("{threshold}/getTypeInfo");
        let base = |rows: &[String]| -> Vec<String> {
            let mut rows: Vec<String> = rows
                .iter()
                .filter(|r| {
                    !["|1111", "|2001", "|2002", "|2003"]
                        .iter()
                        .any(|s| r.ends_with(s))
                })
                .cloned()
                .collect();
            rows.sort();
            rows
        };
        assert_eq!(base(&ours[&key]), base(&theirs[&key]), "{key}");
        assert!(ours[&key].len() > 100, "{key}: {:?}", ours[&key]);
    }
}

/// `setFetchSize` with autocommit off: the driver reads a 10 000-row
/// result 100 rows at a time (Execute with max_rows, PortalSuspended); a
/// row that fails half-way is reported after the first rows arrived.
#[test]
fn jdbc_fetch_size_streams_a_big_table() {
    if !java_available() {
        return;
    }
    let dir = TestDir::new();
    let file = dir.join("big.sqlite");
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.execute_batch(
            "CREATE TABLE big (n BIGINT);
             WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10000)
             INSERT INTO big SELECT n FROM s;",
        )
        .unwrap();
    }
    import(&dir.data(), &file, "books");
    let server = Server::start(&dir.data());
    let classes = javac(&dir, "CatalogMeta");
    let out = meta(&classes, server.port, "test", "fetch");
    assert!(out.success(), "{out}\n{}", server.log());
    let sections = sections(&out.stdout);
    for threshold in [
        "prepareThreshold=0",
        "prepareThreshold=1",
        "prepareThreshold=5",
    ] {
        assert_eq!(
            sections[&format!("{threshold}/fetch")],
            ["10000 50005000"],
            "{out}"
        );
        assert_eq!(
            sections[&format!("{threshold}/stream")],
            ["failed after the first fetch: 22P02"],
            "{out}"
        );
    }
}
