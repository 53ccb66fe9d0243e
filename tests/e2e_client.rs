//! End to end with a real Postgres driver (tokio-postgres): import a SQLite
//! file with the real binary, serve it, and check values, types, parameters,
//! errors and re-imports.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use common::*;
use rust_decimal::Decimal;
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::types::Type;

/// The typed fixture imported as volume `app`, served with `--no-demo`.
fn typed_server(dir: &TestDir) -> Server {
    let file = dir.join("t.sqlite");
    typed_fixture(&file);
    import(&dir.data(), &file, "app");
    Server::start(&dir.data())
}

const ALL_COLUMNS: &str = "SELECT id, name, price, data, active, born, at, amount, code FROM t";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn timestamp(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    date(y, mo, d).and_hms_opt(h, mi, s).unwrap()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn column_types_follow_the_declared_sqlite_types() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    let stmt = client
        .prepare(&format!("{ALL_COLUMNS} ORDER BY id"))
        .await
        .unwrap();
    let got: Vec<(String, Type)> = stmt
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), c.type_().clone()))
        .collect();
    let expected = [
        ("id", Type::INT8),        // INTEGER
        ("name", Type::TEXT),      // TEXT
        ("price", Type::FLOAT8),   // REAL
        ("data", Type::BYTEA),     // BLOB
        ("active", Type::BOOL),    // BOOLEAN
        ("born", Type::DATE),      // DATE
        ("at", Type::TIMESTAMP),   // TIMESTAMP
        ("amount", Type::NUMERIC), // NUMERIC
        ("code", Type::VARCHAR),   // VARCHAR(10)
    ]
    .map(|(n, t)| (n.to_owned(), t));
    assert_eq!(got, expected, "RowDescription of {ALL_COLUMNS}");
    for (column, oid) in stmt
        .columns()
        .iter()
        .zip([20, 25, 701, 17, 16, 1082, 1114, 1700, 1043])
    {
        assert_eq!(column.type_().oid(), oid, "OID of column {}", column.name());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_results_decode_to_the_stored_values() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    // tokio-postgres asks for every result column in binary format.
    let rows = client
        .query(&format!("{ALL_COLUMNS} ORDER BY id"), &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 4, "rows of t");

    type Values = (
        i64,
        Option<String>,
        Option<f64>,
        Option<Vec<u8>>,
        Option<bool>,
        Option<NaiveDate>,
        Option<NaiveDateTime>,
        Option<Decimal>,
        Option<String>,
    );
    let got: Vec<Values> = rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
                r.get(8),
            )
        })
        .collect();
    let expected: Vec<Values> = vec![
        (
            1,
            Some("one".into()),
            Some(1.5),
            Some(vec![1, 2]),
            Some(true),
            Some(date(2024, 1, 2)),
            Some(timestamp(2024, 1, 2, 3, 4, 5)),
            Some(dec("12.5")),
            Some("A1".into()),
        ),
        (
            2,
            Some("two".into()),
            Some(-2.25),
            Some(vec![0xff, 0]),
            Some(false),
            Some(date(1999, 12, 31)),
            Some(timestamp(1999, 12, 31, 23, 59, 59)),
            Some(dec("7")),
            Some("B2".into()),
        ),
        (3, None, None, None, None, None, None, None, None),
        (
            4,
            Some("naïve ✓".into()),
            Some(0.0),
            Some(vec![]),
            Some(true),
            Some(date(2000, 1, 1)),
            Some(date(2000, 1, 1).and_hms_milli_opt(0, 0, 0, 250).unwrap()),
            Some(dec("19.99")),
            Some("Z".into()),
        ),
    ];
    for (got, expected) in got.iter().zip(&expected) {
        assert_eq!(got, expected, "binary values of row id={}", expected.0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn text_results_use_postgres_output_formats() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    // The simple-query protocol always answers in text.
    let messages = client
        .simple_query(&format!("{ALL_COLUMNS} ORDER BY id"))
        .await
        .unwrap();
    let got = simple_rows(&messages);
    let row = |values: [Option<&str>; 9]| -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_owned)).collect()
    };
    let expected = vec![
        row([
            Some("1"),
            Some("one"),
            Some("1.5"),
            Some("\\x0102"),
            Some("t"),
            Some("2024-01-02"),
            Some("2024-01-02 03:04:05"),
            Some("12.5"),
            Some("A1"),
        ]),
        row([
            Some("2"),
            Some("two"),
            Some("-2.25"),
            Some("\\xff00"),
            Some("f"),
            Some("1999-12-31"),
            Some("1999-12-31 23:59:59"),
            Some("7"),
            Some("B2"),
        ]),
        row([Some("3"), None, None, None, None, None, None, None, None]),
        row([
            Some("4"),
            Some("naïve ✓"),
            Some("0"),
            Some("\\x"),
            Some("t"),
            Some("2000-01-01"),
            Some("2000-01-01 00:00:00.25"),
            Some("19.99"),
            Some("Z"),
        ]),
    ];
    assert_eq!(got, expected, "text values of {ALL_COLUMNS}");
}

#[tokio::test(flavor = "multi_thread")]
async fn literals_aggregates_and_comparisons_have_postgres_types() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    let stmt = client
        .prepare("SELECT 1 AS one, count(*), count(*) > 2 AS many FROM t")
        .await
        .unwrap();
    let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        [Type::INT4, Type::INT8, Type::BOOL],
        "types of 1, count(*), count(*) > 2"
    );
    let names: Vec<&str> = stmt.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["one", "count", "many"], "column names");
    let row = client.query_one(&stmt, &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 1);
    assert_eq!(row.get::<_, i64>(1), 4);
    assert!(row.get::<_, bool>(2));

    let stmt = client
        .prepare("SELECT id = 1 AS is_one FROM t ORDER BY id")
        .await
        .unwrap();
    assert_eq!(stmt.columns()[0].type_(), &Type::BOOL, "type of id = 1");
    let flags: Vec<bool> = client
        .query(&stmt, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(flags, [true, false, false, false]);
}

#[tokio::test(flavor = "multi_thread")]
async fn simple_query_runs_several_statements_in_one_message() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    let messages = client
        .simple_query(
            "SELECT 1; SELECT name FROM t WHERE id = 2; SELECT id, code FROM t WHERE id IN (1, 4) ORDER BY id",
        )
        .await
        .unwrap();
    let rows = simple_rows(&messages);
    let expected: Vec<Vec<Option<String>>> = vec![
        vec![Some("1".into())],
        vec![Some("two".into())],
        vec![Some("1".into()), Some("A1".into())],
        vec![Some("4".into()), Some("Z".into())],
    ];
    assert_eq!(rows, expected, "rows of the three statements, in order");
    let completes: Vec<u64> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(completes, [1, 1, 2], "one CommandComplete per statement");

    // A later statement's error still reports the error, and the session goes on.
    let err = client
        .simple_query("SELECT 1; SELECT nope FROM t")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42703", "{err:?}");
    assert_eq!(count(&client, "t").await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn extended_query_binds_parameters() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    // An integer parameter, typed from its column.
    let stmt = client
        .prepare("SELECT name FROM t WHERE id = $1")
        .await
        .unwrap();
    assert_eq!(stmt.params(), [Type::INT8], "parameter type of id = $1");
    let row = client.query_one(&stmt, &[&2i64]).await.unwrap();
    assert_eq!(row.get::<_, &str>(0), "two");
    // The same statement again with another value.
    let row = client.query_one(&stmt, &[&4i64]).await.unwrap();
    assert_eq!(row.get::<_, &str>(0), "naïve ✓");
    // NULL matches nothing.
    assert!(
        client
            .query(&stmt, &[&None::<i64>])
            .await
            .unwrap()
            .is_empty()
    );

    // A text parameter.
    let stmt = client
        .prepare("SELECT id, price FROM t WHERE name = $1")
        .await
        .unwrap();
    assert_eq!(stmt.params(), [Type::TEXT], "parameter type of name = $1");
    let row = client.query_one(&stmt, &[&"one"]).await.unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, f64>(1)), (1, 1.5));
    assert!(client.query(&stmt, &[&"nobody"]).await.unwrap().is_empty());

    // Several parameters of different types.
    let stmt = client
        .prepare("SELECT id FROM t WHERE id >= $1 AND name <> $2 ORDER BY id")
        .await
        .unwrap();
    let ids =
        |rows: Vec<tokio_postgres::Row>| -> Vec<i64> { rows.iter().map(|r| r.get(0)).collect() };
    assert_eq!(
        ids(client.query(&stmt, &[&1i64, &"two"]).await.unwrap()),
        [1, 4]
    );
    assert_eq!(ids(client.query(&stmt, &[&3i64, &"x"]).await.unwrap()), [4]);

    // Parameter types given by the client (Parse with explicit OIDs).
    let rows = client
        .query_typed("SELECT name FROM t WHERE id = $1", &[(&1i32, Type::INT4)])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "int4 parameter against an int8 column");
    assert_eq!(rows[0].get::<_, &str>(0), "one");
    let rows = client
        .query_typed("SELECT $1::text AS echoed", &[(&"hello", Type::TEXT)])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, &str>(0), "hello");
}

#[tokio::test(flavor = "multi_thread")]
async fn exact_numerics_keep_their_digits_in_binary_with_parameters_and_errors() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    // Binary results (tokio-postgres asks for them) carry Postgres's digits
    // and display scale.
    let row = client
        .query_one(
            "SELECT 1 / 3.0, 7.0 / 2, avg(amount), round(avg(amount), 1), CAST(7 AS numeric) / 2 FROM t",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<String> = (0..5)
        .map(|i| row.get::<_, Decimal>(i).to_string())
        .collect();
    assert_eq!(
        got,
        [
            "0.33333333333333333333",
            "3.5000000000000000",
            "13.1633333333333333",
            "13.2",
            "3.5000000000000000"
        ]
    );
    // The same values in text format.
    let texts = simple_rows(
        &client
            .simple_query("SELECT 1 / 3.0, 7.0 / 2, avg(amount), round(avg(amount), 1), CAST(7 AS numeric) / 2 FROM t")
            .await
            .unwrap(),
    );
    assert_eq!(texts[0].iter().flatten().cloned().collect::<Vec<_>>(), got);

    // Numeric parameters, binary (rust_decimal) against exact expressions.
    let stmt = client
        .prepare("SELECT id FROM t WHERE amount / 2 > $1 ORDER BY id")
        .await
        .unwrap();
    assert_eq!(
        stmt.params(),
        [Type::NUMERIC],
        "parameter type of amount / 2 > $1"
    );
    let ids: Vec<i64> = client
        .query(&stmt, &[&dec("6.2")])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, [1, 4], "12.5 / 2 and 19.99 / 2 exceed 6.2");
    let row = client
        .query_one("SELECT $1::numeric / 3", &[&dec("1")])
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Decimal>(0).to_string(),
        "0.33333333333333333333"
    );

    // What Postgres refuses, refused with its SQLSTATE.
    for (sql, expected) in [
        ("SELECT 1 / 0.0", "22012"),
        ("SELECT amount / (id - id) FROM t", "22012"),
        ("SELECT avg(amount) % 0 FROM t", "22012"),
        ("SELECT ln(0.0)", "2201E"),
        ("SELECT log(-1.0)", "2201E"),
        ("SELECT sqrt(-2.0)", "2201F"),
        ("SELECT power(0.0, -1)", "2201F"),
        ("SELECT (-8.0) ^ 0.5", "2201F"),
        ("SELECT (amount * 100)::numeric(4, 2) FROM t", "22003"),
        ("SELECT exp(100000.0)", "22003"),
        ("SELECT (1 / 3.0)::int2 * 0 + (70000 / 2.0)::int2", "22003"),
        ("SELECT 'abc'::numeric / 2", "22P02"),
    ] {
        let err = client.simple_query(sql).await.unwrap_err();
        assert_eq!(sqlstate(&err), expected, "{sql}: {err:?}");
        assert_eq!(
            count(&client, "t").await,
            4,
            "the session goes on after {sql}"
        );
    }
}

/// Postgres's message for a write on a hot standby.
fn assert_read_only(err: &tokio_postgres::Error, sql: &str) {
    assert_eq!(sqlstate(err), "25006", "{sql}: {err:?}");
    let message = err.as_db_error().unwrap().message();
    assert!(
        message.starts_with("cannot execute ") && message.ends_with(" in a read-only transaction"),
        "{sql}: unexpected message {message:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_are_refused_and_the_session_goes_on() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    let err = client
        .simple_query("INSERT INTO t (id) VALUES (9)")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "25006", "{err:?}");
    assert_eq!(
        err.as_db_error().unwrap().message(),
        "cannot execute INSERT in a read-only transaction"
    );

    for sql in [
        "INSERT INTO t (id, name) VALUES (9, 'nine')",
        "UPDATE t SET name = 'x'",
        "DELETE FROM t",
        "CREATE TABLE u (a int)",
        "CREATE INDEX t_name ON t (name)",
        "DROP TABLE t",
        "ALTER TABLE t ADD COLUMN extra int",
        "TRUNCATE t",
        "COPY t FROM STDIN",
    ] {
        let err = client.simple_query(sql).await.unwrap_err();
        assert_read_only(&err, sql);
        // Nothing changed, and the same connection still answers.
        assert_eq!(count(&client, "t").await, 4, "after {sql}");
    }

    // The extended protocol refuses writes too.
    let err = client
        .execute(
            "INSERT INTO t (id, name) VALUES ($1, $2)",
            &[&10i64, &"ten"],
        )
        .await
        .unwrap_err();
    assert_read_only(&err, "INSERT with parameters");
    let err = client.execute("DELETE FROM t", &[]).await.unwrap_err();
    assert_read_only(&err, "DELETE (extended)");
    assert_eq!(count(&client, "t").await, 4, "after extended writes");

    // So does a write inside a transaction; the transaction is then failed
    // until it ends, as in Postgres.
    client.batch_execute("BEGIN").await.unwrap();
    let err = client
        .simple_query("UPDATE t SET name = 'x' WHERE id = 1")
        .await
        .unwrap_err();
    assert_read_only(&err, "UPDATE in a transaction");
    let err = client.simple_query("SELECT 1").await.unwrap_err();
    assert_eq!(
        sqlstate(&err),
        "25P02",
        "statement in a failed transaction: {err:?}"
    );
    client.batch_execute("ROLLBACK").await.unwrap();
    let row = client
        .query_one("SELECT name FROM t WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "one");

    let messages = client
        .simple_query("SHOW transaction_read_only")
        .await
        .unwrap();
    assert_eq!(simple_rows(&messages), [[Some("on".to_owned())]]);
}

#[tokio::test(flavor = "multi_thread")]
async fn query_errors_have_postgres_sqlstates() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let client = server.client("app").await;

    for (sql, expected) in [
        ("SELEC 1", "42601"),
        ("SELECT FROM WHERE", "42601"),
        ("SELECT id FROM t WHERE", "42601"),
        ("SELECT * FROM missing", "42P01"),
        ("SELECT t.id FROM t JOIN missing m ON m.id = t.id", "42P01"),
        ("SELECT missing FROM t", "42703"),
        ("SELECT id FROM t WHERE missing = 1", "42703"),
    ] {
        // Simple protocol.
        let err = client.simple_query(sql).await.unwrap_err();
        assert_eq!(sqlstate(&err), expected, "{sql} (simple): {err:?}");
        assert_eq!(count(&client, "t").await, 4, "after {sql} (simple)");
        // Extended protocol: the error comes at Parse/Describe.
        let err = client.prepare(sql).await.unwrap_err();
        assert_eq!(sqlstate(&err), expected, "{sql} (extended): {err:?}");
        assert_eq!(count(&client, "t").await, 4, "after {sql} (extended)");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_transaction_refuses_work_until_rollback() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let mut client = server.client("app").await;

    client.batch_execute("BEGIN").await.unwrap();
    assert_eq!(count(&client, "t").await, 4);
    let err = client
        .simple_query("SELECT missing FROM t")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42703");
    let err = client.simple_query("SELECT 1").await.unwrap_err();
    assert_eq!(sqlstate(&err), "25P02", "{err:?}");
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(&client, "t").await, 4);

    // The driver's own transaction API (BEGIN ... COMMIT).
    let tx = client.transaction().await.unwrap();
    let row = tx
        .query_one("SELECT code FROM t WHERE id = $1", &[&2i64])
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "B2");
    tx.commit().await.unwrap();
    assert_eq!(count(&client, "t").await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_database_is_refused_at_connect() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    match server.try_client("nope").await {
        Ok(_) => panic!("connecting to an unknown database must fail"),
        Err(err) => {
            assert_eq!(sqlstate(&err), "3D000", "{err:?}");
            let message = err.as_db_error().unwrap().message();
            assert!(
                message.contains("nope"),
                "message should name the database: {message:?}"
            );
        }
    }
    // The server is still fine.
    let client = server.client("app").await;
    assert_eq!(count(&client, "t").await, 4);
}

/// Reads one backend message: (type, body).
fn read_message(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).expect("read message header");
    let len = i32::from_be_bytes(header[1..5].try_into().unwrap());
    assert!((4..1 << 20).contains(&len), "bad message length {len}");
    let mut body = vec![0u8; len as usize - 4];
    stream.read_exact(&mut body).expect("read message body");
    (header[0], body)
}

#[test]
fn startup_reports_hot_standby_parameters() {
    let dir = TestDir::new();
    let server = typed_server(&dir);

    // A raw protocol 3.0 startup, to see every ParameterStatus message.
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(&startup_message("test", "app")).unwrap();

    let mut parameters = std::collections::HashMap::new();
    let mut saw_auth_ok = false;
    loop {
        let (kind, body) = read_message(&mut stream);
        match kind {
            b'R' => {
                let code = i32::from_be_bytes(body[0..4].try_into().unwrap());
                assert_eq!(
                    code, 0,
                    "expected AuthenticationOk (trust), got auth request {code}"
                );
                saw_auth_ok = true;
            }
            b'S' => {
                let mut parts = body.split(|b| *b == 0);
                let name = String::from_utf8(parts.next().unwrap().to_vec()).unwrap();
                let value = String::from_utf8(parts.next().unwrap().to_vec()).unwrap();
                parameters.insert(name, value);
            }
            b'K' => {}
            b'Z' => break,
            b'E' => panic!("startup failed: {}", String::from_utf8_lossy(&body)),
            other => panic!("unexpected message {:?} during startup", other as char),
        }
    }
    assert!(saw_auth_ok, "no AuthenticationOk");
    let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);

    let get = |name: &str| -> &str {
        parameters
            .get(name)
            .unwrap_or_else(|| panic!("no ParameterStatus {name}; got {parameters:?}"))
    };
    assert!(
        get("server_version").starts_with("15"),
        "server_version {:?}",
        get("server_version")
    );
    for (name, value) in [
        ("server_encoding", "UTF8"),
        ("client_encoding", "UTF8"),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
        ("default_transaction_read_only", "on"),
        ("in_hot_standby", "on"),
    ] {
        assert_eq!(get(name), value, "ParameterStatus {name}");
    }
    assert!(
        get("DateStyle").starts_with("ISO"),
        "DateStyle {:?}",
        get("DateStyle")
    );
    assert!(!get("TimeZone").is_empty(), "TimeZone is empty");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_name_selects_the_volume() {
    let dir = TestDir::new();
    let app = dir.join("t.sqlite");
    typed_fixture(&app);
    let other = dir.join("other.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE o(x TEXT); INSERT INTO o VALUES ('from other');")
        .unwrap();
    import(&dir.data(), &app, "app");
    import(&dir.data(), &other, "other");
    let server = Server::start(&dir.data());

    let app = server.client("app").await;
    let other = server.client("other").await;
    assert_eq!(count(&app, "t").await, 4);
    let row = other.query_one("SELECT x FROM o", &[]).await.unwrap();
    assert_eq!(row.get::<_, &str>(0), "from other");
    let err = app.simple_query("SELECT x FROM o").await.unwrap_err();
    assert_eq!(
        sqlstate(&err),
        "42P01",
        "table o is not in volume app: {err:?}"
    );
    let err = other.simple_query("SELECT id FROM t").await.unwrap_err();
    assert_eq!(
        sqlstate(&err),
        "42P01",
        "table t is not in volume other: {err:?}"
    );
}

/// Changes the typed fixture: row 1 renamed, row 2 deleted, row 5 added.
fn change_fixture(file: &std::path::Path) {
    rusqlite::Connection::open(file)
        .unwrap()
        .execute_batch(
            "UPDATE t SET name = 'uno' WHERE id = 1;
             DELETE FROM t WHERE id = 2;
             INSERT INTO t (id, name, price) VALUES (5, 'five', 5.5);",
        )
        .unwrap();
}

async fn names(client: &tokio_postgres::Client) -> Vec<(i64, Option<String>)> {
    client
        .query("SELECT id, name FROM t ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn changed_names() -> Vec<(i64, Option<String>)> {
    vec![
        (1, Some("uno".into())),
        (3, None),
        (4, Some("naïve ✓".into())),
        (5, Some("five".into())),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn reimport_makes_a_new_commit_that_a_new_server_sees() {
    let dir = TestDir::new();
    let file = dir.join("t.sqlite");
    typed_fixture(&file);
    import(&dir.data(), &file, "app");
    {
        let server = Server::start(&dir.data());
        let client = server.client("app").await;
        assert_eq!(names(&client).await.len(), 4);
        assert_eq!(count(&client, "t").await, 4);
    }

    change_fixture(&file);
    import(&dir.data(), &file, "app");

    // A new server on the same data dir (its cache holds the old version's pages).
    let server = Server::start(&dir.data());
    let client = server.client("app").await;
    assert_eq!(names(&client).await, changed_names(), "after re-import");
    drop(client);
    drop(server);

    // And one with an empty cache.
    std::fs::remove_dir_all(dir.data().join("cache")).ok();
    let server = Server::start(&dir.data());
    let client = server.client("app").await;
    assert_eq!(
        names(&client).await,
        changed_names(),
        "after re-import, cold cache"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_server_follows_new_commits_and_transactions_keep_their_snapshot() {
    let dir = TestDir::new();
    let file = dir.join("t.sqlite");
    typed_fixture(&file);
    import(&dir.data(), &file, "app");
    let server = Server::start(&dir.data());
    let reader = server.client("app").await;
    let pinned = server.client("app").await;
    assert_eq!(count(&reader, "t").await, 4);

    // A transaction opened before the new commit reads the old snapshot.
    pinned.batch_execute("BEGIN").await.unwrap();
    assert_eq!(count(&pinned, "t").await, 4);

    change_fixture(&file);
    import(&dir.data(), &file, "app");

    // The server polls the volume's log (every 500 ms by default). The
    // deadline only bounds a hang; it is not a performance requirement.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = names(&reader).await;
    while seen != changed_names() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        seen = names(&reader).await;
    }
    assert_eq!(
        seen,
        changed_names(),
        "the running server never saw the new commit"
    );

    // The old transaction still sees its snapshot, then the new one after COMMIT.
    assert_eq!(
        count(&pinned, "t").await,
        4,
        "snapshot changed inside a transaction"
    );
    let row = pinned
        .query_one("SELECT name FROM t WHERE id = 1", &[])
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, &str>(0),
        "one",
        "snapshot changed inside a transaction"
    );
    pinned.batch_execute("COMMIT").await.unwrap();
    assert_eq!(names(&pinned).await, changed_names(), "after COMMIT");
}

#[test]
fn import_rejects_a_missing_file_and_a_file_that_is_not_sqlite() {
    let dir = TestDir::new();
    let missing = dir.join("missing.sqlite");
    let out = import_cmd(&dir.data(), None, &missing, "x", &[]);
    assert!(!out.success(), "import of a missing file must fail\n{out}");
    assert!(
        out.stderr.contains("missing.sqlite"),
        "the error should name the file\n{out}"
    );
    assert!(!out.stderr.contains("panicked"), "import panicked\n{out}");

    let junk = dir.join("junk.sqlite");
    std::fs::write(
        &junk,
        "definitely not a SQLite database, just some text\n".repeat(200),
    )
    .unwrap();
    let out = import_cmd(&dir.data(), None, &junk, "x", &[]);
    assert!(
        !out.success(),
        "import of a non-SQLite file must fail\n{out}"
    );
    assert!(
        out.stderr.contains("junk.sqlite"),
        "the error should name the file\n{out}"
    );
    assert!(
        out.stderr.to_lowercase().contains("sqlite"),
        "the error should say it is not SQLite\n{out}"
    );
    assert!(!out.stderr.contains("panicked"), "import panicked\n{out}");

    // Neither failed import created a volume.
    let file = dir.join("t.sqlite");
    typed_fixture(&file);
    import(&dir.data(), &file, "app");
    let server = Server::start(&dir.data());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let Err(err) = server.try_client("x").await else {
            panic!("volume x must not exist");
        };
        assert_eq!(sqlstate(&err), "3D000", "{err:?}");
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_file_chooses_store_cache_and_data_dir() {
    let dir = TestDir::new();
    let file = dir.join("t.sqlite");
    typed_fixture(&file);
    let objects = dir.join("objects");
    let page_cache = dir.join("page-cache");
    let data = dir.join("configured-data");
    let config = dir.join("local.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:1\"\n\
             data_dir = {data:?}\n\
             [store]\ntype = \"local\"\npath = {objects:?}\n\
             [cache]\ndir = {page_cache:?}\nmemory_mib = 16\ndisk_mib = 64\n\
             [replica]\npoll_interval_ms = 200\n"
        ),
    )
    .unwrap();

    let out = graftgres([
        "import".as_ref(),
        file.as_os_str(),
        "--volume".as_ref(),
        "app".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
    ]);
    assert!(out.success(), "import --config failed\n{out}");
    let stored = std::fs::read_dir(&objects).map(|d| d.count()).unwrap_or(0);
    assert!(
        stored > 0,
        "nothing was written to the configured store {objects:?}"
    );
    assert!(
        !data.join("store").exists(),
        "the default store was used instead of store.path"
    );

    // --listen overrides the file's listen address.
    let server = Server::start_with(ServeOptions {
        config: Some(&config),
        ..Default::default()
    });
    let client = server.client("app").await;
    assert_eq!(count(&client, "t").await, 4);
    let row = client
        .query_one("SELECT code FROM t WHERE id = 4", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "Z");
    assert!(page_cache.is_dir(), "cache.dir {page_cache:?} was not used");
    assert!(
        !data.join("cache").exists(),
        "the default cache dir was used instead of cache.dir"
    );
}

#[test]
fn a_config_file_with_an_unknown_key_is_an_error() {
    let dir = TestDir::new();
    let config = dir.join("bad.toml");
    std::fs::write(&config, "[cache]\nmemroy_mib = 3\n").unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .arg("--config")
        .arg(&config)
        .args(["--listen", "127.0.0.1:0", "--no-demo", "--data-dir"])
        .arg(dir.data());
    let out = run(cmd, Duration::from_secs(120));
    assert!(
        !out.success(),
        "serve with an unknown config key must fail\n{out}"
    );
    assert!(
        out.stderr.contains("memroy_mib"),
        "the error should name the key\n{out}"
    );
    assert!(!out.stdout.contains("graftgres listening on"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_example_local_config_works() {
    // config/local.toml with relative paths, from a fresh working directory.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config/local.toml");
    let dir = TestDir::new();
    let file = dir.join("t.sqlite");
    typed_fixture(&file);
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir.path())
        .arg("import")
        .arg(&file)
        .args(["--volume", "app", "--config", example]);
    let out = run(cmd, COMMAND_TIMEOUT);
    assert!(out.success(), "import --config {example} failed\n{out}");

    let server = Server::start_with(ServeOptions {
        config: Some(example.as_ref()),
        cwd: Some(dir.path()),
        ..Default::default()
    });
    let client = server.client("app").await;
    assert_eq!(count(&client, "t").await, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sessions_get_their_own_answers() {
    let dir = TestDir::new();
    let server = typed_server(&dir);
    let mut tasks = Vec::new();
    for session in 0..12i64 {
        let client = server.client("app").await;
        tasks.push(tokio::spawn(async move {
            let stmt = client
                .prepare("SELECT id, code FROM t WHERE id = $1")
                .await
                .unwrap();
            for round in 0..25i64 {
                let id = 1 + (session + round) % 4;
                let rows = client.query(&stmt, &[&id]).await.unwrap();
                assert_eq!(rows.len(), 1, "session {session} round {round}");
                assert_eq!(rows[0].get::<_, i64>(0), id);
                let code: Option<&str> = rows[0].get(1);
                let expected = [Some("A1"), Some("B2"), None, Some("Z")][(id - 1) as usize];
                assert_eq!(code, expected, "session {session} round {round} id {id}");
                if round % 5 == 0 {
                    // An error now and then must not disturb the others.
                    let err = client.simple_query("SELECT nope FROM t").await.unwrap_err();
                    assert_eq!(sqlstate(&err), "42703");
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}
