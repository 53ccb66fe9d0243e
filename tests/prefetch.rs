//! Index-aware prefetching, end to end: on a cold replica of the ~50 MB
//! fixture, queries cost the object-store rounds the plan promises, and the
//! same queries with `SET graftgres.prefetch = off` cost one round per page
//! miss. Rounds and requests are counted by graftgres itself
//! (`SHOW graftgres.last_query`), so they do not depend on the machine.

mod common;

use common::*;

/// Counters of the session's last read.
#[derive(Debug)]
struct Cost {
    requests: u64,
    rounds: u64,
    frames: u64,
    precision: f64,
}

async fn last_query(client: &tokio_postgres::Client) -> Cost {
    let line: String = client
        .query_one("SHOW graftgres.last_query", &[])
        .await
        .unwrap()
        .get(0);
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {line:?}"))
            .parse()
            .unwrap()
    };
    Cost {
        requests: field("requests") as u64,
        rounds: field("rounds") as u64,
        frames: field("frames") as u64,
        precision: field("precision"),
    }
}

/// Rows of the fixture with `k` in `lo..=hi`: (count, sum of ids).
fn expected_range(lo: i64, hi: i64) -> (i64, i64) {
    let ids: Vec<i64> = (1..=LARGE_ROWS)
        .filter(|&id| (lo..=hi).contains(&large_k(id)))
        .collect();
    (ids.len() as i64, ids.iter().sum())
}

#[tokio::test(flavor = "multi_thread")]
async fn cold_queries_cost_the_rounds_the_plan_promises() {
    let dir = TestDir::new();
    let fixture = dir.join("big.sqlite");
    large_fixture(&fixture);
    import(&dir.data(), &fixture, "big");
    let server = Server::start(&dir.data());
    let client = server.client("big").await;

    // The volume opened from its snapshot pack in one round, and the pack
    // held every interior page: the warm-up found nothing left to fetch.
    let opened: String = client
        .query_one("SHOW graftgres.open", &[])
        .await
        .unwrap()
        .get(0);
    println!("open: {opened}");
    assert!(opened.starts_with("requests=2 rounds=1 "), "{opened}");
    assert!(opened.contains(" pack_lsn=1 "), "{opened}");
    let warm_up = wait_for_warm_up(&client).await;
    println!("warm-up: {warm_up}");
    assert!(warm_up.starts_with("requests=0 rounds=0 "), "{warm_up}");

    // A rowid lookup: the interior pages are in, so one round for the leaf
    // (none if the warm-up's frames happened to hold it).
    let id = 123_457i64;
    let row = client
        .query_one("SELECT k, payload FROM big WHERE id = $1", &[&id])
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(1), large_payload(id));
    let cost = last_query(&client).await;
    println!("rowid point lookup: {cost:?}");
    assert!(cost.rounds <= 1 && cost.requests <= 1, "{cost:?}");

    // A secondary-index lookup: the index leaf, then the table leaf.
    let id = 4_242i64;
    let row = client
        .query_one("SELECT id, payload FROM big WHERE k = $1", &[&large_k(id)])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), id);
    let cost = last_query(&client).await;
    println!("index point lookup: {cost:?}");
    assert!(cost.rounds <= 2, "{cost:?}");

    // 200 rows scattered over the whole table through the index: the index
    // leaves in one round, every table leaf in the next.
    let range =
        "SELECT count(*), sum(id)::bigint, max(length(payload)) FROM big WHERE k BETWEEN $1 AND $2";
    let (lo, hi) = (50_000i64, 50_199i64);
    let row = client.query_one(range, &[&lo, &hi]).await.unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        expected_range(lo, hi)
    );
    let on = last_query(&client).await;
    println!("scattered range, prefetch on: {on:?}");
    assert!(on.rounds <= 3, "{on:?}");
    assert!(on.frames >= 20, "the rows live in many frames: {on:?}");
    assert!(on.precision >= 0.9, "{on:?}");

    // The same query on a fresh replica with an empty cache, prefetching
    // off: SQLite misses one page at a time.
    drop(client);
    drop(server);
    std::fs::remove_dir_all(dir.data().join("cache")).unwrap();
    let server = Server::start(&dir.data());
    let client = server.client("big").await;
    wait_for_warm_up(&client).await;
    client
        .batch_execute("SET graftgres.prefetch = off")
        .await
        .unwrap();
    let row = client.query_one(range, &[&lo, &hi]).await.unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        expected_range(lo, hi)
    );
    let off = last_query(&client).await;
    println!("scattered range, prefetch off: {off:?}");
    assert_eq!(off.rounds, off.requests, "one round per miss: {off:?}");
    assert!(
        off.rounds >= 10 * on.rounds.max(1),
        "off {off:?} vs on {on:?}"
    );

    // The setting is validated and can be reset.
    let err = client
        .batch_execute("SET graftgres.prefetch = sometimes")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22023");
    client
        .batch_execute("RESET graftgres.prefetch")
        .await
        .unwrap();
    let value: String = client
        .query_one("SHOW graftgres.prefetch", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(value, "on");
}

#[tokio::test(flavor = "multi_thread")]
async fn prefetched_joins_and_scans_return_what_sqlite_returns() {
    let dir = TestDir::new();
    let fixture = dir.join("shop.sqlite");
    graftgres::demo::build(&fixture).unwrap();
    import(&dir.data(), &fixture, "shop");
    let conn = rusqlite::Connection::open(&fixture).unwrap();
    let server = Server::start(&dir.data());
    let client = server.client("shop").await;
    wait_for_warm_up(&client).await;

    // Each query's answer with prefetching on equals SQLite's own on the
    // file; every shape the planner has: joins (inner keys derived from
    // outer rows), IN lists, ranges, WITHOUT ROWID primary keys, scans.
    let queries = [
        "SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id IN (5, 77, 1234, 99999) ORDER BY o.id",
        "SELECT count(*), sum(i.quantity) FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.customer_id = 4321",
        "SELECT count(*) FROM order_items WHERE order_id BETWEEN 1000 AND 1100",
        "SELECT count(*), min(id), max(id) FROM orders WHERE customer_id BETWEEN 10 AND 40",
        "SELECT count(*) FROM customers",
        "SELECT p.name, count(*) FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id < 50 GROUP BY p.name ORDER BY 2 DESC, 1 LIMIT 5",
    ];
    for sql in queries {
        let rows = client.simple_query(sql).await.unwrap();
        let got = simple_rows(&rows);
        let mut stmt = conn.prepare(sql).unwrap();
        let width = stmt.column_count();
        let want: Vec<Vec<Option<String>>> = stmt
            .query_map([], |r| {
                Ok((0..width)
                    .map(|i| match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Null => None,
                        rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                        rusqlite::types::ValueRef::Text(t) => {
                            Some(String::from_utf8_lossy(t).into_owned())
                        }
                        rusqlite::types::ValueRef::Blob(_) => Some("blob".into()),
                    })
                    .collect())
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, want, "{sql}");
        let cost = last_query(&client).await;
        println!("{cost:?} {sql}");
    }
}
