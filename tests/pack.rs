//! Snapshot packs, end to end: a replica opens a volume from its pack in one
//! round, and a pack that is missing, behind the log, or corrupt changes
//! how a volume opens, never what a query answers.

mod common;

use std::path::Path;

use common::*;

const PACK: &str = "store/graftgres/packs/app";

/// ~2 MB: a table and an index with a few levels of interior pages.
fn version_1(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, body TEXT NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
         INSERT INTO t SELECT i, (i * 7919) % 30000, printf('%.*c', 20 + i % 40, 'a') FROM n;
         CREATE INDEX t_k ON t(k);",
    )
    .unwrap();
}

/// Rewrites most of the file: rows deleted, keys moved, rows added, so the
/// interior pages of both trees change.
fn version_2(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DELETE FROM t WHERE id % 3 = 0;
         UPDATE t SET k = k + 100000 WHERE id % 5 = 0;
         WITH RECURSIVE n(i) AS (SELECT 30001 UNION ALL SELECT i + 1 FROM n WHERE i < 45000)
         INSERT INTO t SELECT i, i * 3, printf('%.*c', 10 + i % 70, 'b') FROM n;",
    )
    .unwrap();
}

const QUERIES: &[&str] = &[
    "SELECT count(*), sum(k), sum(length(body)) FROM t",
    "SELECT id, k, length(body) FROM t WHERE id IN (1, 3, 10, 29999, 30001, 44999)",
    "SELECT id FROM t WHERE k = 100035",
    "SELECT count(*), min(id), max(id) FROM t WHERE k BETWEEN 5000 AND 9000",
    "SELECT count(*) FROM t WHERE k > 100000",
];

/// What SQLite itself answers on `file`, as text.
fn expected(file: &Path) -> Vec<Vec<Vec<Option<String>>>> {
    let conn = rusqlite::Connection::open(file).unwrap();
    QUERIES
        .iter()
        .map(|sql| {
            let mut stmt = conn.prepare(sql).unwrap();
            let width = stmt.column_count();
            stmt.query_map([], |r| {
                Ok((0..width)
                    .map(|i| r.get::<_, Option<i64>>(i).unwrap().map(|v| v.to_string()))
                    .collect())
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        })
        .collect()
}

async fn show(client: &tokio_postgres::Client, name: &str) -> String {
    client
        .query_one(&format!("SHOW {name}"), &[])
        .await
        .unwrap()
        .get(0)
}

/// Starts a server with an empty cache, waits until it has caught up with
/// LSN 2, and checks every query's answer.
async fn answers_as_sqlite(dir: &TestDir, file: &Path, opened_like: &str) {
    std::fs::remove_dir_all(dir.data().join("cache")).ok();
    let server = Server::start(&dir.data());
    let client = server.client("app").await;
    let opened = show(&client, "graftgres.open").await;
    assert!(opened.contains(opened_like), "{opened} ({opened_like})");
    for _ in 0..100 {
        if show(&client, "graftgres.snapshot_lsn").await == "2" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(show(&client, "graftgres.snapshot_lsn").await, "2");
    wait_for_warm_up(&client).await;
    let want = expected(file);
    for (sql, want) in QUERIES.iter().zip(want) {
        let got = simple_rows(&client.simple_query(sql).await.unwrap());
        assert_eq!(got, want, "{sql} ({opened})");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_stale_or_corrupt_pack_never_changes_answers() {
    let dir = TestDir::new();
    let file = dir.join("app.sqlite");
    version_1(&file);
    import(&dir.data(), &file, "app");
    let pack_1 = std::fs::read(dir.data().join(PACK)).expect("the import writes a pack");
    version_2(&file);
    import(&dir.data(), &file, "app");

    // The pack of LSN 2: one round, its pages pinned.
    answers_as_sqlite(&dir, &file, "requests=2 rounds=1 ").await;
    answers_as_sqlite(&dir, &file, "pack_lsn=2 pinned_pages=").await;

    // Importing the same file again commits nothing and keeps the pack.
    let again = import(&dir.data(), &file, "app");
    assert!(again.stdout.contains("already up to date"), "{again}");

    // A pack behind the log: the replica opens at LSN 1 with LSN 1's
    // interior pages pinned, then follows the log to LSN 2, where most of
    // those pages were rewritten.
    let pack_2 = std::fs::read(dir.data().join(PACK)).unwrap();
    std::fs::write(dir.data().join(PACK), &pack_1).unwrap();
    answers_as_sqlite(&dir, &file, "pack_lsn=1 ").await;

    // No pack: the log is listed and read.
    std::fs::remove_file(dir.data().join(PACK)).unwrap();
    answers_as_sqlite(&dir, &file, "rounds=3 bytes=0 pack=none").await;

    // A corrupt pack is ignored.
    let mut corrupt = pack_2.clone();
    corrupt.truncate(pack_2.len() / 2);
    std::fs::write(dir.data().join(PACK), &corrupt).unwrap();
    answers_as_sqlite(&dir, &file, "pack=none").await;

    // The next import replaces it.
    import(&dir.data(), &file, "app");
    assert_eq!(std::fs::read(dir.data().join(PACK)).unwrap(), pack_2);
}
