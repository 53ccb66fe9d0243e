//! Real client drivers against graftgres: psycopg 3, asyncpg and
//! node-postgres run their suites under `tests/clients/` on the demo volume,
//! and pgbench runs its select-only script on a pgbench-shaped volume (scale
//! 10) in simple and prepared mode.
//!
//! A missing driver fails the test when CI is set (`scripts/deps test`
//! installs them all) and skips it otherwise.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

fn demo_server(dir: &TestDir) -> Server {
    Server::start_with(ServeOptions {
        data_dir: Some(&dir.data()),
        demo: true,
        ..Default::default()
    })
}

/// Runs a suite script with the server's address in its environment.
fn run_suite(server: &Server, db: &str, program: &str, script: &str, cwd: &Path) -> Run {
    let mut cmd = Command::new(program);
    cmd.arg(script)
        .current_dir(cwd)
        .env("GG_HOST", "127.0.0.1")
        .env("GG_PORT", server.port.to_string())
        .env("GG_DB", db)
        .env(
            "GG_DSN",
            format!("host=127.0.0.1 port={} dbname={db} user=test", server.port),
        );
    let out = run(cmd, Duration::from_secs(300));
    assert!(
        out.success(),
        "{script} failed\n{out}\n--- server log ---\n{}",
        server.log()
    );
    out
}

#[test]
fn psycopg_suite() {
    if !available("psycopg", "python3", &["-c", "import psycopg"]) {
        return;
    }
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let out = run_suite(
        &server,
        "demo",
        "python3",
        "psycopg_suite.py",
        &clients_dir(),
    );
    assert!(out.stdout.contains("psycopg suite passed"), "{out}");
}

#[test]
fn asyncpg_suite() {
    if !available("asyncpg", "python3", &["-c", "import asyncpg"]) {
        return;
    }
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let out = run_suite(
        &server,
        "demo",
        "python3",
        "asyncpg_suite.py",
        &clients_dir(),
    );
    assert!(out.stdout.contains("asyncpg suite passed"), "{out}");
}

#[test]
fn node_postgres_suite() {
    let node = clients_dir().join("node");
    if !available(
        "node with the npm packages of tests/clients/node",
        "node",
        &[
            "-e",
            "require('./node/node_modules/pg'); require('./node/node_modules/pg-cursor')",
        ],
    ) {
        return;
    }
    let dir = TestDir::new();
    let server = demo_server(&dir);
    let out = run_suite(&server, "demo", "node", "suite.js", &node);
    assert!(out.stdout.contains("node-postgres suite passed"), "{out}");
}

/// A SQLite file shaped like `pgbench -i -s SCALE`: branches, tellers,
/// accounts (100 000 per scale unit) and an empty history.
fn pgbench_fixture(path: &Path, scale: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA page_size = 4096;
         PRAGMA journal_mode = DELETE;
         CREATE TABLE pgbench_branches (bid INTEGER NOT NULL PRIMARY KEY, bbalance INTEGER, filler CHAR(88));
         CREATE TABLE pgbench_tellers (tid INTEGER NOT NULL PRIMARY KEY, bid INTEGER, tbalance INTEGER, filler CHAR(84));
         CREATE TABLE pgbench_accounts (aid INTEGER NOT NULL PRIMARY KEY, bid INTEGER, abalance INTEGER, filler CHAR(84));
         CREATE TABLE pgbench_history (tid INTEGER, bid INTEGER, aid INTEGER, delta INTEGER, mtime TIMESTAMP, filler CHAR(22));
         BEGIN;
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {branches})
             INSERT INTO pgbench_branches SELECT i, 0, NULL FROM s;
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {tellers})
             INSERT INTO pgbench_tellers SELECT i, (i - 1) / 10 + 1, 0, NULL FROM s;
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {accounts})
             INSERT INTO pgbench_accounts SELECT i, (i - 1) / 100000 + 1, 0, '' FROM s;
         COMMIT;",
        branches = scale,
        tellers = scale * 10,
        accounts = scale * 100_000,
    ))
    .unwrap();
}

#[test]
fn pgbench_select_only() {
    if !available("pgbench", "pgbench", &["--version"]) {
        return;
    }
    let dir = TestDir::new();
    let file = dir.join("pgbench.sqlite");
    pgbench_fixture(&file, 10);
    let imported = import(&dir.data(), &file, "pgbench");
    assert!(imported.success(), "import failed\n{imported}");
    let server = Server::start(&dir.data());
    for mode in ["simple", "prepared"] {
        let mut cmd = Command::new("pgbench");
        cmd.args(["-h", "127.0.0.1", "-U", "test", "-n", "-S", "-M", mode])
            .args(["-t", "200", "-c", "2", "-p"])
            .arg(server.port.to_string())
            .arg("pgbench");
        let out = run(cmd, Duration::from_secs(300));
        assert!(
            out.success(),
            "pgbench -M {mode} failed\n{out}\n--- server log ---\n{}",
            server.log()
        );
        assert!(
            out.stdout
                .contains("number of transactions actually processed: 400/400")
                && out.stdout.contains("scaling factor: 10")
                && out.stdout.contains("number of failed transactions: 0"),
            "pgbench -M {mode}\n{out}"
        );
        let tps = out.stdout.lines().find(|l| l.starts_with("tps"));
        eprintln!("pgbench -M {mode}: {}", tps.unwrap_or("(no tps line)"));
    }
}
