//! End to end with tokio-postgres: session commands, transactions and
//! savepoints, cancel requests and statement_timeout, portals suspended by
//! Execute's row limit, SQL cursors, and COPY TO STDOUT; on the demo volume.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures::{StreamExt, pin_mut};
use tokio_postgres::NoTls;

fn demo_server(dir: &TestDir) -> Server {
    Server::start_with(ServeOptions {
        data_dir: Some(&dir.data()),
        demo: true,
        ..Default::default()
    })
}

/// A query that runs until it is interrupted (a few seconds at least).
const ENDLESS: &str = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) \
                       SELECT count(*) FROM r";

async fn simple(client: &tokio_postgres::Client, sql: &str) -> Vec<Vec<Option<String>>> {
    match client.simple_query(sql).await {
        Ok(messages) => simple_rows(&messages),
        Err(err) => panic!("{sql}: {err:?}"),
    }
}

async fn simple_err(client: &tokio_postgres::Client, sql: &str) -> (String, String) {
    match client.simple_query(sql).await {
        Ok(_) => panic!("{sql} should fail"),
        Err(err) => (
            sqlstate(&err),
            err.as_db_error()
                .map(|e| e.message().to_owned())
                .unwrap_or_default(),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_commands_answer_like_a_server() {
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let client = server.client("demo").await;

    let all = simple(&client, "SHOW ALL").await;
    assert!(all.len() > 20, "SHOW ALL: {all:?}");
    assert!(
        all.iter()
            .any(|row| row[0].as_deref() == Some("application_name")
                && row[1].as_deref() == Some("graftgres-tests")),
        "{all:?}"
    );
    let rows = client
        .query("SHOW TRANSACTION ISOLATION LEVEL", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].columns()[0].name(), "transaction_isolation");
    assert_eq!(rows[0].get::<_, String>(0), "repeatable read");

    simple(&client, "SET SESSION extra_float_digits = 3").await;
    assert_eq!(
        simple(&client, "SHOW extra_float_digits").await,
        [[Some("3".into())]]
    );
    simple(&client, "SET search_path TO public, \"$user\"").await;
    let path = simple(&client, "SHOW search_path").await;
    assert!(
        path[0][0].as_deref().unwrap().starts_with("public, "),
        "{path:?}"
    );
    simple(
        &client,
        "SET application_name = 'other'; SET TimeZone = 'UTC'",
    )
    .await;
    assert_eq!(
        simple(&client, "SHOW application_name").await,
        [[Some("other".into())]]
    );

    // SET LOCAL lasts until the transaction ends; BEGIN's isolation level too.
    simple(&client, "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY").await;
    simple(&client, "SET LOCAL statement_timeout = '5s'").await;
    assert_eq!(
        simple(&client, "SHOW statement_timeout").await,
        [[Some("5s".into())]]
    );
    assert_eq!(
        simple(&client, "SHOW transaction_isolation").await,
        [[Some("serializable".into())]]
    );
    simple(&client, "COMMIT").await;
    assert_eq!(
        simple(&client, "SHOW statement_timeout").await,
        [[Some("0".into())]]
    );
    assert_eq!(
        simple(&client, "SHOW transaction_isolation").await,
        [[Some("repeatable read".into())]]
    );

    // A read-write transaction may start; its writes are still refused.
    simple(&client, "START TRANSACTION READ WRITE").await;
    let (code, message) = simple_err(&client, "INSERT INTO customers (id) VALUES (0)").await;
    assert_eq!(code, "25006");
    assert_eq!(message, "cannot execute INSERT in a read-only transaction");
    simple(&client, "ROLLBACK").await;

    assert_eq!(
        simple_err(&client, "SET statement_timeout = 'soon'")
            .await
            .0,
        "22023"
    );
    assert_eq!(
        simple_err(&client, "SET no_such_setting = 1").await.0,
        "42704"
    );
    simple(&client, "RESET ALL").await;
    assert_eq!(
        simple(&client, "SHOW extra_float_digits").await,
        [[Some("1".into())]]
    );

    // DEALLOCATE and DISCARD ALL drop prepared statements.
    let statement = client.prepare("SELECT 1").await.unwrap();
    simple(&client, "DEALLOCATE ALL").await;
    let err = client.query(&statement, &[]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "26000", "{err:?}");
    assert_eq!(simple_err(&client, "DEALLOCATE nope").await.0, "26000");
    let statement = client.prepare("SELECT 2").await.unwrap();
    simple(&client, "SET extra_float_digits = 2").await;
    simple(&client, "DISCARD ALL").await;
    assert!(client.query(&statement, &[]).await.is_err());
    assert_eq!(
        simple(&client, "SHOW extra_float_digits").await,
        [[Some("1".into())]]
    );
    simple(&client, "BEGIN").await;
    assert_eq!(simple_err(&client, "DISCARD ALL").await.0, "25001");
    simple(&client, "ROLLBACK").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn savepoints_recover_an_aborted_transaction() {
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let client = server.client("demo").await;

    assert_eq!(simple_err(&client, "SAVEPOINT a").await.0, "25P01");
    simple(&client, "BEGIN; SAVEPOINT a; SAVEPOINT b").await;
    assert_eq!(
        simple_err(&client, "SELECT nope FROM customers").await.0,
        "42703"
    );
    assert_eq!(simple_err(&client, "SELECT 1").await.0, "25P02");
    simple(&client, "ROLLBACK TO SAVEPOINT b").await;
    assert_eq!(simple(&client, "SELECT 1").await, [[Some("1".into())]]);
    simple(&client, "RELEASE SAVEPOINT a").await;
    assert_eq!(simple_err(&client, "ROLLBACK TO a").await.0, "3B001");
    // The failed ROLLBACK TO aborted the transaction; COMMIT rolls back.
    let messages = client.simple_query("COMMIT").await.unwrap();
    assert!(matches!(
        &messages[0],
        tokio_postgres::SimpleQueryMessage::CommandComplete(_)
    ));
    assert_eq!(simple(&client, "SELECT 2").await, [[Some("2".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_request_and_statement_timeout_interrupt_a_query() {
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let client = server.client("demo").await;

    let token = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await
    });
    let started = Instant::now();
    let err = client.simple_query(ENDLESS).await.unwrap_err();
    canceller.await.unwrap().unwrap();
    assert_eq!(sqlstate(&err), "57014", "{err:?}");
    assert_eq!(
        err.as_db_error().unwrap().message(),
        "canceling statement due to user request"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // The session goes on, and so does the pooled connection.
    for _ in 0..4 {
        assert_eq!(simple(&client, "SELECT 1").await, [[Some("1".into())]]);
    }

    // Inside a transaction: cancel aborts it; ROLLBACK recovers.
    simple(&client, "BEGIN").await;
    let token = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await
    });
    let err = client.query(ENDLESS, &[]).await.unwrap_err();
    canceller.await.unwrap().unwrap();
    assert_eq!(sqlstate(&err), "57014", "{err:?}");
    assert_eq!(simple_err(&client, "SELECT 1").await.0, "25P02");
    simple(&client, "ROLLBACK").await;
    assert_eq!(simple(&client, "SELECT 3").await, [[Some("3".into())]]);

    simple(&client, "SET statement_timeout = 200").await;
    let started = Instant::now();
    let (code, message) = simple_err(&client, ENDLESS).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("57014", "canceling statement due to statement timeout")
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // Fast statements are not touched by the timeout.
    assert_eq!(
        simple(&client, "SELECT count(*) FROM customers")
            .await
            .len(),
        1
    );
    simple(&client, "SET statement_timeout = 0").await;
    assert_eq!(simple(&client, "SELECT 4").await, [[Some("4".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_portals_do_not_block_the_transaction() {
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let mut client = server.client("demo").await;

    let total: i64 = client
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .unwrap()
        .get(0);
    let tx = client.transaction().await.unwrap();
    let statement = tx
        .prepare("SELECT id FROM orders ORDER BY id")
        .await
        .unwrap();
    let first = tx.bind(&statement, &[]).await.unwrap();
    let second = tx.bind(&statement, &[]).await.unwrap();
    let mut seen = (0i64, 0i64);
    let mut next = (1i64, 1i64);
    loop {
        // Two portals open at once, and a query between their fetches.
        let a = tx.query_portal(&first, 1000).await.unwrap();
        let b = tx.query_portal(&second, 700).await.unwrap();
        let count: i64 = tx
            .query_one("SELECT count(*) FROM customers", &[])
            .await
            .unwrap()
            .get(0);
        assert!(count > 0);
        for row in &a {
            assert_eq!(row.get::<_, i64>(0), next.0);
            next.0 += 1;
        }
        for row in &b {
            assert_eq!(row.get::<_, i64>(0), next.1);
            next.1 += 1;
        }
        seen.0 += a.len() as i64;
        seen.1 += b.len() as i64;
        assert!(a.len() <= 1000 && b.len() <= 700);
        if a.is_empty() && b.is_empty() {
            break;
        }
    }
    assert_eq!(seen, (total, total));
    tx.commit().await.unwrap();

    // Streaming a big result row by row.
    let rows = client
        .query_raw("SELECT * FROM orders", std::iter::empty::<i64>())
        .await
        .unwrap();
    pin_mut!(rows);
    let mut streamed = 0i64;
    while let Some(row) = rows.next().await {
        row.unwrap();
        streamed += 1;
    }
    assert_eq!(streamed, total);
    assert_eq!(simple(&client, "SELECT 5").await, [[Some("5".into())]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_cursors_fetch_in_pieces() {
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let client = server.client("demo").await;

    assert_eq!(
        simple_err(&client, "DECLARE c CURSOR FOR SELECT 1").await.0,
        "25P01"
    );
    simple(&client, "BEGIN").await;
    simple(
        &client,
        "DECLARE c CURSOR FOR SELECT id, name FROM customers ORDER BY id",
    )
    .await;
    assert_eq!(
        simple_err(&client, "DECLARE c CURSOR FOR SELECT 1").await.0,
        "42P03"
    );
    simple(&client, "ROLLBACK").await;
    simple(&client, "BEGIN").await;
    simple(
        &client,
        "DECLARE c CURSOR FOR SELECT id, name FROM customers ORDER BY id",
    )
    .await;
    let rows = simple(&client, "FETCH 3 FROM c").await;
    assert_eq!(
        rows,
        [
            [Some("1".into()), Some("Customer 1".into())],
            [Some("2".into()), Some("Customer 2".into())],
            [Some("3".into()), Some("Customer 3".into())],
        ]
    );
    // Other statements run between fetches, on the same snapshot.
    simple(&client, "SELECT count(*) FROM orders").await;
    assert_eq!(
        simple(&client, "FETCH NEXT FROM c").await[0][0],
        Some("4".into())
    );
    let messages = client.simple_query("MOVE 2 IN c").await.unwrap();
    assert!(
        messages
            .iter()
            .any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::CommandComplete(2)))
    );
    assert_eq!(simple(&client, "FETCH c").await[0][0], Some("7".into()));
    // FETCH through the extended protocol, with its tag and columns.
    let rows = client.query("FETCH FORWARD 2 FROM c", &[]).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<_, i64>("id"), 8);
    let messages = client.simple_query("FETCH 0 FROM c").await.unwrap();
    assert!(
        messages
            .iter()
            .any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::CommandComplete(0)))
    );
    let rest = simple(&client, "FETCH ALL FROM c").await;
    let customers = simple(&client, "SELECT count(*) FROM customers").await[0][0]
        .clone()
        .unwrap();
    assert_eq!(rest.len() + 9, customers.parse::<usize>().unwrap());
    assert!(simple(&client, "FETCH 10 FROM c").await.is_empty());
    simple(&client, "CLOSE c").await;
    assert_eq!(simple_err(&client, "FETCH 1 FROM c").await.0, "34000");
    simple(&client, "ROLLBACK").await;

    // WITH HOLD outlives its transaction; others close at COMMIT.
    simple(
        &client,
        "BEGIN; DECLARE h CURSOR WITH HOLD FOR SELECT id FROM orders ORDER BY id; \
         DECLARE t CURSOR FOR SELECT 1; COMMIT",
    )
    .await;
    assert_eq!(simple(&client, "FETCH 2 FROM h").await.len(), 2);
    assert_eq!(simple_err(&client, "FETCH 1 FROM t").await.0, "34000");
    simple(&client, "CLOSE ALL").await;
    assert_eq!(simple_err(&client, "FETCH 1 FROM h").await.0, "34000");
    assert_eq!(
        simple_err(&client, "BEGIN; DECLARE s SCROLL CURSOR FOR SELECT 1")
            .await
            .0,
        "0A000"
    );
    simple(&client, "ROLLBACK").await;
}

async fn copy_text(client: &tokio_postgres::Client, sql: &str) -> Vec<u8> {
    let stream = client.copy_out(sql).await.unwrap();
    pin_mut!(stream);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_stdout_in_every_format() {
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let client = server.client("demo").await;

    let text = copy_text(
        &client,
        "COPY (SELECT id, name, NULL AS nil, 'a' || char(9) || 'b' AS tab FROM customers \
         WHERE id <= 2 ORDER BY id) TO STDOUT",
    )
    .await;
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "1\tCustomer 1\t\\N\ta\\tb\n2\tCustomer 2\t\\N\ta\\tb\n"
    );
    let csv = copy_text(
        &client,
        "COPY (SELECT id, name || ',x' AS name, '' AS empty, NULL AS nil FROM customers \
         WHERE id <= 2 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER, NULL 'NULL')",
    )
    .await;
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "id,name,empty,nil\n1,\"Customer 1,x\",,NULL\n2,\"Customer 2,x\",,NULL\n"
    );
    let delimited = copy_text(
        &client,
        "COPY (SELECT 1 AS a, 'x' AS b) TO STDOUT WITH (DELIMITER '|')",
    )
    .await;
    assert_eq!(String::from_utf8(delimited).unwrap(), "1|x\n");

    // A whole table: every row, as COPY table does.
    let all = copy_text(&client, "COPY customers TO STDOUT").await;
    let customers: i64 = client
        .query_one("SELECT count(*) FROM customers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        all.iter().filter(|&&b| b == b'\n').count() as i64,
        customers
    );

    let binary = copy_text(
        &client,
        "COPY (SELECT id, name FROM customers WHERE id = 1) TO STDOUT (FORMAT binary)",
    )
    .await;
    let mut expected = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
    expected.extend_from_slice(&[0, 2, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]);
    expected.extend_from_slice(&[0, 0, 0, 10]);
    expected.extend_from_slice(b"Customer 1");
    expected.extend_from_slice(&[0xff, 0xff]);
    assert_eq!(binary, expected);

    let Err(err) = client
        .copy_in::<_, bytes::Bytes>("COPY customers FROM STDIN")
        .await
    else {
        panic!("COPY FROM should fail");
    };
    assert_eq!(sqlstate(&err), "25006");
    assert_eq!(
        simple_err(&client, "COPY customers TO '/tmp/x'").await.0,
        "42501"
    );
    // The session is fine after COPY.
    assert_eq!(simple(&client, "SELECT 6").await, [[Some("6".into())]]);
}
