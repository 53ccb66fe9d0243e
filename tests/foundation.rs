//! End to end: import a SQLite file, serve it, query it with real clients.

mod harness;

use harness::*;
use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::types::Type;

#[tokio::test(flavor = "multi_thread")]
async fn values_and_types_through_tokio_postgres() {
    let dir = temp();
    typed_fixture(&path(&dir, "t.sqlite"));
    import(&path(&dir, "data"), None, &path(&dir, "t.sqlite"), "app");
    let server = Server::start(&path(&dir, "data"), None, false);
    let client = server.client("app").await;

    let stmt = client
        .prepare("SELECT id, name, price, data, active, born, at, amount, code FROM t ORDER BY id")
        .await
        .unwrap();
    let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(
        types,
        [
            Type::INT8,
            Type::TEXT,
            Type::FLOAT8,
            Type::BYTEA,
            Type::BOOL,
            Type::DATE,
            Type::TIMESTAMP,
            Type::NUMERIC,
            Type::VARCHAR
        ]
    );
    // Binary results (tokio-postgres asks for binary).
    let rows = client.query(&stmt, &[]).await.unwrap();
    assert_eq!(rows.len(), 3);
    let first = &rows[0];
    assert_eq!(first.get::<_, i64>(0), 1);
    assert_eq!(first.get::<_, &str>(1), "one");
    assert_eq!(first.get::<_, f64>(2), 1.5);
    assert_eq!(first.get::<_, Vec<u8>>(3), vec![1, 2]);
    assert!(first.get::<_, bool>(4));
    assert!(!rows[1].get::<_, bool>(4));
    assert_eq!(rows[2].get::<_, Option<&str>>(1), None);

    // Parameters, typed from context.
    let row = client
        .query_one("SELECT name FROM t WHERE id = $1", &[&2i64])
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "two");
    let row = client
        .query_one("SELECT count(*) FROM t WHERE name = $1", &[&"one"])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);

    // Literal and expression types follow Postgres.
    let stmt = client
        .prepare("SELECT 1, count(*), id = 1, name || 'x' FROM t")
        .await
        .unwrap();
    let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
    assert_eq!(types, [Type::INT4, Type::INT8, Type::BOOL, Type::TEXT]);
    assert_eq!(stmt.columns()[1].name(), "count");

    // Several statements in one simple-query message.
    let messages = client
        .simple_query("SELECT 1; SELECT name FROM t WHERE id = 2")
        .await
        .unwrap();
    let values: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(values, ["1", "two"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_have_postgres_sqlstates_and_the_session_survives() {
    let dir = temp();
    typed_fixture(&path(&dir, "t.sqlite"));
    import(&path(&dir, "data"), None, &path(&dir, "t.sqlite"), "app");
    let server = Server::start(&path(&dir, "data"), None, false);
    let client = server.client("app").await;

    for (sql, expected) in [
        ("INSERT INTO t (id) VALUES (9)", "25006"),
        ("UPDATE t SET name = 'x'", "25006"),
        ("DELETE FROM t", "25006"),
        ("CREATE TABLE u (a int)", "25006"),
        ("DROP TABLE t", "25006"),
        ("SELEC 1", "42601"),
        ("SELECT * FROM missing", "42P01"),
        ("SELECT missing FROM t", "42703"),
    ] {
        let err = client.simple_query(sql).await.unwrap_err();
        assert_eq!(code(&err), expected, "{sql}: {err}");
        // The same session still answers.
        let row = client
            .query_one("SELECT count(*) FROM t", &[])
            .await
            .unwrap();
        assert_eq!(row.get::<_, i64>(0), 3, "after {sql}");
    }
    let err = client
        .simple_query("INSERT INTO t (id) VALUES (9)")
        .await
        .unwrap_err();
    assert_eq!(
        err.as_db_error().unwrap().message(),
        "cannot execute INSERT in a read-only transaction"
    );

    // A transaction that failed refuses work until it ends.
    client.batch_execute("BEGIN").await.unwrap();
    assert!(client.simple_query("SELECT missing FROM t").await.is_err());
    let err = client.simple_query("SELECT 1").await.unwrap_err();
    assert_eq!(code(&err), "25P02");
    client.batch_execute("ROLLBACK").await.unwrap();
    client.simple_query("SELECT 1").await.unwrap();

    let Err(err) = server.try_client("nope").await else {
        panic!("unknown database must fail");
    };
    assert_eq!(code(&err), "3D000");
}

#[tokio::test(flavor = "multi_thread")]
async fn psql_sees_values_types_and_read_only_errors() {
    let dir = temp();
    typed_fixture(&path(&dir, "t.sqlite"));
    import(&path(&dir, "data"), None, &path(&dir, "t.sqlite"), "app");
    let server = Server::start(&path(&dir, "data"), None, false);

    let (out, err, ok) = server.psql(
        "app",
        &[
            "-A",
            "-t",
            "-c",
            "SELECT id, name, price FROM t WHERE id <= 2 ORDER BY id",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "1|one|1.5\n2|two|2.25");

    let script = path(&dir, "gdesc.sql");
    std::fs::write(
        &script,
        "SELECT id, name, price, data, active, born, at, amount, code FROM t \\gdesc\n",
    )
    .unwrap();
    let (out, err, ok) = server.psql("app", &["-A", "-f", script.to_str().unwrap()]);
    assert!(ok, "{err}");
    for expected in [
        "id|bigint",
        "name|text",
        "price|double precision",
        "data|bytea",
        "active|boolean",
        "born|date",
        "at|timestamp without time zone",
        "amount|numeric",
        "code|character varying",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }

    let (out, err, _) = server.psql(
        "app",
        &[
            "-A",
            "-t",
            "-c",
            "INSERT INTO t (id) VALUES (5)",
            "-c",
            "SELECT count(*) FROM t",
            "-c",
            "SHOW default_transaction_read_only",
        ],
    );
    assert!(
        err.contains("cannot execute INSERT in a read-only transaction"),
        "{err}"
    );
    assert_eq!(out.trim(), "3\non");
}

#[tokio::test(flavor = "multi_thread")]
async fn reimport_makes_a_new_commit_that_replicas_see() {
    let dir = temp();
    let file = path(&dir, "t.sqlite");
    typed_fixture(&file);
    let data = path(&dir, "data");
    import(&data, None, &file, "app");
    let server = Server::start(&data, None, false);
    let client = server.client("app").await;
    assert_eq!(
        client
            .query_one("SELECT count(*) FROM t", &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        3
    );

    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("INSERT INTO t (id, name) VALUES (4, 'four')")
        .unwrap();
    let out = import(&data, None, &file, "app");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("changed"),
        "{out:?}"
    );

    // The running replica follows the log (polls every 500 ms).
    let mut seen = 0;
    for _ in 0..100 {
        seen = client
            .query_one("SELECT count(*) FROM t", &[])
            .await
            .unwrap()
            .get::<_, i64>(0);
        if seen == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 4, "the new commit never became visible");
    let row = client
        .query_one("SELECT name FROM t WHERE id = 4", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "four");

    // A fresh replica (new cache) sees it too.
    drop(server);
    std::fs::remove_dir_all(data.join("cache")).unwrap();
    let server = Server::start(&data, None, false);
    let client = server.client("app").await;
    assert_eq!(
        client
            .query_one("SELECT count(*) FROM t", &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        4
    );

    // Bad input files are clear errors.
    let out = std::process::Command::new(BIN)
        .args([
            "import",
            "/nonexistent.sqlite",
            "--volume",
            "x",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    std::fs::write(path(&dir, "junk.sqlite"), b"definitely not sqlite").unwrap();
    let out = std::process::Command::new(BIN)
        .arg("import")
        .arg(path(&dir, "junk.sqlite"))
        .args(["--volume", "x", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a SQLite database"));
}

fn show(messages: &[SimpleQueryMessage]) -> u64 {
    messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0).map(|v| v.parse().unwrap()),
            _ => None,
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_point_query_on_a_fresh_replica_reads_a_small_part_of_the_volume() {
    let dir = temp();
    let file = path(&dir, "big.sqlite");
    large_fixture(&file);
    let file_size = std::fs::metadata(&file).unwrap().len();
    let data = path(&dir, "data");
    import(&data, None, &file, "big");
    let store_size: u64 = walk_size(&data.join("store").join("segments"));
    let server = Server::start(&data, None, false);
    let client = server.client("big").await;

    let row = client
        .query_one("SELECT k FROM big WHERE id = 123456", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), (123_456 * 7919) % 200_000);
    let row = client
        .query_one(
            "SELECT id FROM big WHERE k = $1",
            &[&((4242i64 * 7919) % 200_000)],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 4242);

    let requests = show(
        &client
            .simple_query("SHOW graftgres.object_store_requests")
            .await
            .unwrap(),
    );
    let bytes = show(
        &client
            .simple_query("SHOW graftgres.object_store_bytes")
            .await
            .unwrap(),
    );
    println!(
        "cold point queries: {requests} object-store requests, {bytes} bytes of {store_size} stored ({file_size} byte file)"
    );
    assert!(
        bytes * 10 < store_size,
        "fetched {bytes} of {store_size} bytes"
    );
    assert!(requests < 40, "{requests} requests");
}

fn walk_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_volume_is_built_and_served_by_default() {
    let dir = temp();
    let server = Server::start(&path(&dir, "data"), None, true);
    let (out, err, ok) = server.psql("demo", &["-A", "-t", "-c", "SELECT count(*) FROM orders", "-c",
        "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.id = 42"]);
    assert!(ok, "{err}");
    let counts: Vec<i64> = out.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert!(counts[0] >= 100_000, "{out}");
    assert!(counts[1] > 0, "{out}");
}
