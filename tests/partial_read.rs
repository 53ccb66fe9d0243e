//! A fresh replica answers point queries on a large volume by fetching a
//! small part of it from the object store, not the whole database.
//!
//! Measured with the server's own process-wide counters
//! (`SHOW graftgres.object_store_requests` / `graftgres.object_store_bytes`).
//! Run with `--nocapture` to see the numbers.

mod common;

use common::*;

fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                dir_size(&e.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn point_queries_on_a_cold_replica_fetch_a_small_part_of_the_volume() {
    let dir = TestDir::new();
    let fixture = dir.join("big.sqlite");
    large_fixture(&fixture);
    let file_size = std::fs::metadata(&fixture).unwrap().len();
    assert!(
        file_size > 40_000_000,
        "the large fixture should be ~50 MB, is {file_size} bytes"
    );

    import(&dir.data(), &fixture, "big");
    let store_size = dir_size(&dir.data().join("store"));
    // A fresh server with an empty cache.
    let _ = std::fs::remove_dir_all(dir.data().join("cache"));
    let server = Server::start(&dir.data());
    let client = server.client("big").await;

    // The interior B-tree pages come in the background first (prefetching);
    // what the point queries then fetch is measured on its own.
    let warm_up = wait_for_warm_up(&client).await;
    let before_requests = show_u64(&client, "graftgres.object_store_requests").await;
    let before_bytes = show_u64(&client, "graftgres.object_store_bytes").await;

    // By primary key.
    let id = 123_457i64;
    let row = client
        .query_one("SELECT k, payload FROM big WHERE id = $1", &[&id])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), large_k(id), "k of row {id}");
    assert_eq!(
        row.get::<_, &str>(1),
        large_payload(id),
        "payload of row {id}"
    );

    // Through the secondary index on k.
    let id2 = 4_242i64;
    let row = client
        .query_one("SELECT id, payload FROM big WHERE k = $1", &[&large_k(id2)])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), id2, "id of k = {}", large_k(id2));
    assert_eq!(
        row.get::<_, &str>(1),
        large_payload(id2),
        "payload of row {id2}"
    );

    let requests = show_u64(&client, "graftgres.object_store_requests").await - before_requests;
    let bytes = show_u64(&client, "graftgres.object_store_bytes").await - before_bytes;
    println!(
        "2 point queries: {requests} object-store GETs, {bytes} bytes \
         (open and warm-up before them: {before_requests} GETs, {before_bytes} bytes; {warm_up}); \
         file {file_size} bytes, store {store_size} bytes"
    );
    assert!(requests > 0, "the counter shows no object-store GET at all");
    assert!(bytes > 0, "the counter shows no bytes fetched at all");
    assert!(
        bytes * 10 < file_size,
        "two point queries fetched {bytes} bytes, not under 10% of the {file_size}-byte file"
    );
    assert!(
        before_bytes * 4 < file_size,
        "opening and warming up fetched {before_bytes} bytes, not under 25% of the {file_size}-byte file"
    );

    // The counters count what they claim: a full scan must fetch much more.
    let scan = client
        .simple_query("SELECT count(*), sum(length(payload)) FROM big")
        .await
        .unwrap();
    let expected = [
        Some(LARGE_ROWS.to_string()),
        Some((LARGE_ROWS * 200).to_string()),
    ];
    assert_eq!(simple_rows(&scan), [expected], "full scan");
    let scan_bytes = show_u64(&client, "graftgres.object_store_bytes").await;
    let scan_requests = show_u64(&client, "graftgres.object_store_requests").await;
    println!("after a full scan: {scan_requests} GETs, {scan_bytes} bytes");
    let scanned = scan_bytes - before_bytes - bytes;
    assert!(
        scanned > file_size / 4,
        "a full scan fetched only {scanned} more bytes of a {file_size}-byte file: \
         the counters do not measure object-store reads"
    );
}
