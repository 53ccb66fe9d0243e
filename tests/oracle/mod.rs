//! A throwaway PostgreSQL 15 server to compare graftgres with, and the
//! schema both are given (shared by the client suites).
//!
//! Started from the Debian `postgresql` package (`/usr/lib/postgresql/15/bin`):
//! initdb + pg_ctl in a temp folder on a free port, as user `postgres` when
//! the tests run as root.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A schema both SQLite and Postgres read the same way (types chosen so
/// graftgres's mapping gives Postgres's own names).
pub const SCHEMA: &str = "
CREATE TABLE authors (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    email VARCHAR(120) UNIQUE,
    active BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE books (
    id BIGINT PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    price NUMERIC(10,2),
    rating DOUBLE PRECISION,
    published DATE,
    added TIMESTAMP NOT NULL,
    copies BIGINT DEFAULT 0
);
CREATE TABLE tags (
    book_id BIGINT NOT NULL REFERENCES books(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (book_id, tag)
);
CREATE INDEX books_title ON books (title);
CREATE INDEX books_added_desc ON books (added DESC, title);
CREATE TABLE big (n BIGINT);
CREATE VIEW cheap_books AS SELECT id, title, price FROM books WHERE price < 10;
";

/// A throwaway PostgreSQL 15 server, stopped on drop.
pub struct Oracle {
    data: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl Oracle {
    pub fn start(dir: &Path) -> Oracle {
        let root = dir.join("pg");
        std::fs::create_dir_all(&root).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown postgres {dir:?}");
        }
        let data = root.join("data");
        let port = free_port();
        let oracle = Oracle {
            data: data.clone(),
            port,
            as_postgres,
        };
        let out = run(
            oracle.pg_command("initdb", |c| {
                c.arg("-D")
                    .arg(&data)
                    .args(["-U", "postgres", "-A", "trust"]);
            }),
            COMMAND_TIMEOUT,
        );
        assert!(out.success(), "initdb failed\n{out}");
        let log = root.join("log");
        let out = run(
            oracle.pg_command("pg_ctl", |c| {
                c.arg("-D")
                    .arg(&data)
                    .arg("-o")
                    .arg(format!(
                        "-p {port} -c listen_addresses=127.0.0.1 -k {}",
                        root.display()
                    ))
                    .arg("-l")
                    .arg(&log)
                    .args(["-w", "start"]);
            }),
            COMMAND_TIMEOUT,
        );
        assert!(out.success(), "pg_ctl start failed\n{out}");
        oracle
    }

    fn pg_command(&self, tool: &str, args: impl FnOnce(&mut Command)) -> Command {
        let path = format!("{PG_BIN}/{tool}");
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--", &path]);
            cmd
        } else {
            Command::new(path)
        };
        args(&mut cmd);
        cmd
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let data = self.data.clone();
        let _ = run(
            self.pg_command("pg_ctl", |c| {
                c.arg("-D").arg(&data).args(["-m", "immediate", "stop"]);
            }),
            COMMAND_TIMEOUT,
        );
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// psql in its default (aligned) format, so titles and footers show.
pub fn psql(port: u16, user: &str, db: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-h", "127.0.0.1", "-U", user, "-d", db])
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .env("PGCONNECT_TIMEOUT", "30")
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE")
        .env_remove("PGOPTIONS");
    run(cmd, COMMAND_TIMEOUT)
}

pub fn oracle_available() -> bool {
    Path::new(PG_BIN).join("initdb").exists()
}

/// Whether the oracle can run; without it a suite fails in CI (where
/// scripts/deps installs it) and is skipped elsewhere.
pub fn require_oracle() -> bool {
    if oracle_available() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "PostgreSQL 15 server binaries missing in CI ({PG_BIN}); scripts/deps installs them"
    );
    eprintln!("skipping: no PostgreSQL 15 server at {PG_BIN}");
    false
}

/// A SQLite file with [`SCHEMA`] and [`DATA`], imported as volume `books`,
/// and the same loaded into database `books` of a started oracle.
pub fn books(dir: &TestDir) -> (Server, Oracle) {
    let file = dir.join("books.sqlite");
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(DATA).unwrap();
        conn.execute_batch(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10000)
             INSERT INTO big SELECT n FROM s",
        )
        .unwrap();
    }
    import(&dir.data(), &file, "books");
    let server = Server::start(&dir.data());
    let oracle = Oracle::start(dir.path());
    let out = psql(
        oracle.port,
        "postgres",
        "postgres",
        &["-c", "CREATE DATABASE books"],
    );
    assert!(out.success(), "{out}");
    for sql in [
        SCHEMA,
        DATA,
        "INSERT INTO big SELECT generate_series(1, 10000)",
    ] {
        let out = psql(
            oracle.port,
            "postgres",
            "books",
            &["-v", "ON_ERROR_STOP=1", "-c", sql],
        );
        assert!(out.success(), "{out}");
    }
    (server, oracle)
}

/// Rows both sides hold (booleans written so both read them).
pub const DATA: &str = "
INSERT INTO authors VALUES (1, 'Ann', 'ann@example.com', true);
INSERT INTO books VALUES (1, 1, 'Dune', 9.5, 4.5, '1965-08-01', '2024-01-01 10:00:00', 3);
";
