//! The differential suite: every query under `tests/differential/*.sql` runs
//! against a real PostgreSQL 15 and against graftgres serving the same data,
//! through a real client (tokio-postgres); values (text format), column type
//! OIDs and row order (where the query's ORDER BY fixes it) must match.
//!
//! Query files hold one statement per entry, ended by `;` at the end of a
//! line. A `-- unsupported` comment line before an entry declares that
//! graftgres must refuse it with SQLSTATE 0A000 (Postgres must still run it).
//! A `-- error` line declares that Postgres refuses the entry (division by
//! zero, a bad cast): graftgres must refuse it with the same SQLSTATE. Any
//! other entry Postgres refuses is a mistake in the suite, and fails it.
//! A `-- mismatch: why` line declares a known gap: the entry is run, counted
//! and listed apart, and the suite fails if it starts to match (so the marker
//! is removed when the gap is fixed) or if any other entry differs.
//!
//! Postgres comes from `/usr/lib/postgresql/*/bin` (Debian's `postgresql`
//! package, installed by `scripts/deps test`): `initdb` in a temp folder, C
//! locale, UTF-8, TimeZone UTC, on a free port. Run as root, the server runs
//! as the `postgres` user (initdb refuses root).

#[path = "../common/mod.rs"]
mod common;
mod dataset;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use sqlparser::ast::Statement;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use tokio_postgres::{Client, SimpleQueryMessage};

/// At most this share of the queries may be declared unsupported.
const MAX_UNSUPPORTED_SHARE: f64 = 0.05;
const MIN_QUERIES: usize = 300;

/// One query of a `.sql` file.
struct Entry {
    file: String,
    line: usize,
    sql: String,
    unsupported: bool,
    /// Postgres answers an error, which graftgres must match (`-- error`).
    error: bool,
    /// Why graftgres is known to answer differently (`-- mismatch:`).
    known_gap: Option<String>,
}

fn entries() -> Vec<Entry> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read tests/differential")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let mut entries = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let (mut sql, mut start, mut unsupported, mut error) = (String::new(), 0, false, false);
        let mut known_gap = None;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if sql.is_empty() {
                if trimmed.is_empty() {
                    continue;
                }
                if let Some(comment) = trimmed.strip_prefix("--") {
                    unsupported |= comment.trim().starts_with("unsupported");
                    error |= comment.trim().starts_with("error");
                    if let Some(why) = comment.trim().strip_prefix("mismatch:") {
                        known_gap = Some(why.trim().to_owned());
                    }
                    continue;
                }
                start = i + 1;
            }
            sql.push_str(line);
            sql.push('\n');
            if trimmed.ends_with(';') {
                let text = sql.trim().trim_end_matches(';').to_owned();
                entries.push(Entry {
                    file: file.clone(),
                    line: start,
                    sql: text,
                    unsupported,
                    error,
                    known_gap: known_gap.take(),
                });
                sql.clear();
                unsupported = false;
                error = false;
            }
        }
        assert!(sql.trim().is_empty(), "{file}: last entry has no `;`");
    }
    entries
}

// ---------------------------------------------------------------------------
// A throwaway PostgreSQL
// ---------------------------------------------------------------------------

struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres_user: bool,
    _dir: tempfile::TempDir,
}

fn postgres_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Postgres {
    fn start() -> Postgres {
        let bin = postgres_bin().expect(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: \
             run scripts/deps test (it installs Debian's postgresql package)",
        );
        let dir = tempfile::Builder::new()
            .prefix("graftgres-pg")
            .tempdir()
            .unwrap();
        // SAFETY-free check: geteuid via `id -u` keeps the test free of libc.
        let uid = Command::new("id").arg("-u").output().unwrap();
        let as_postgres_user = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        if as_postgres_user {
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown the Postgres temp dir");
        }
        let pg = Postgres {
            bin,
            data: dir.path().join("data"),
            port: free_port(),
            as_postgres_user,
            _dir: dir,
        };
        let data = pg.data.to_string_lossy().into_owned();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--locale=C",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
             -c timezone=UTC -c fsync=off -c full_page_writes=off",
            pg.port
        );
        let log = pg.data.with_file_name("log").to_string_lossy().into_owned();
        pg.run(
            "pg_ctl",
            &[
                "-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start",
            ],
        );
        pg
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut cmd = if self.as_postgres_user {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        cmd.args(args);
        let out = run(cmd, Duration::from_secs(120));
        assert!(out.success(), "{tool} failed\n{out}");
    }

    async fn client(&self) -> Client {
        let (client, connection) = tokio_postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect to the test PostgreSQL");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().into_owned();
        let program = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres_user {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        cmd.args(["-D", &data, "-m", "immediate", "stop"]);
        let _ = run(cmd, Duration::from_secs(60));
    }
}

// ---------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------

/// What a server answered: column type OIDs and text rows, or a SQLSTATE.
#[derive(Debug, PartialEq)]
enum Answer {
    Rows {
        types: Vec<u32>,
        rows: Vec<Vec<Option<String>>>,
    },
    Error {
        code: String,
        message: String,
    },
}

async fn answer(client: &Client, sql: &str) -> Answer {
    let error = |err: tokio_postgres::Error| Answer::Error {
        code: sqlstate(&err),
        message: err
            .as_db_error()
            .map(|e| e.message().to_owned())
            .unwrap_or_else(|| err.to_string()),
    };
    let statement = match client.prepare(sql).await {
        Ok(statement) => statement,
        Err(err) => return error(err),
    };
    let types = statement
        .columns()
        .iter()
        .map(|c| c.type_().oid())
        .collect();
    match client.simple_query(sql).await {
        Ok(messages) => Answer::Rows {
            types,
            rows: rows(&messages),
        },
        Err(err) => error(err),
    }
}

fn rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    simple_rows(messages)
}

/// Whether the statement's own ORDER BY fixes the order of its rows.
fn ordered(sql: &str) -> bool {
    match Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .ok()
        .and_then(|mut s| s.pop())
    {
        Some(Statement::Query(query)) => query.order_by.is_some(),
        _ => false,
    }
}

fn show(answer: &Answer) -> String {
    match answer {
        Answer::Error { code, message } => format!("ERROR {code}: {message}"),
        Answer::Rows { types, rows } => {
            let mut text = format!("types {types:?}, {} rows", rows.len());
            for row in rows.iter().take(12) {
                let cells: Vec<String> = row
                    .iter()
                    .map(|c| c.clone().unwrap_or_else(|| "NULL".into()))
                    .collect();
                text.push_str(&format!("\n      | {}", cells.join(" | ")));
            }
            if rows.len() > 12 {
                text.push_str("\n      | ...");
            }
            text
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn graftgres_answers_as_postgres_does() {
    let entries = entries();

    let pg = Postgres::start();
    let reference = pg.client().await;
    reference
        .batch_execute(&dataset::postgres_script())
        .await
        .expect("load the dataset into PostgreSQL");

    let dir = TestDir::new();
    let file = dir.join("diff.sqlite");
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch(&dataset::sqlite_script())
        .expect("write the SQLite dataset");
    import(&dir.data(), &file, "diff");
    let server = Server::start(&dir.data());
    let graftgres = server.client("diff").await;

    let (mut matched, mut unsupported, mut mismatched) = (0, 0, Vec::new());
    let (mut known, mut fixed) = (Vec::new(), Vec::new());
    for entry in &entries {
        let expected = answer(&reference, &entry.sql).await;
        let got = answer(&graftgres, &entry.sql).await;
        let place = format!("{}:{}", entry.file, entry.line);
        if matches!(expected, Answer::Error { .. }) != entry.error {
            let why = if entry.error {
                "declared `-- error`, but PostgreSQL runs the query"
            } else {
                "PostgreSQL itself rejects the query"
            };
            mismatched.push(format!(
                "{place}: {why}\n    {}\n    {}",
                entry.sql,
                show(&expected)
            ));
            continue;
        }
        if entry.unsupported {
            match &got {
                Answer::Error { code, .. } if code == "0A000" => unsupported += 1,
                _ => mismatched.push(format!(
                    "{place}: declared unsupported, expected SQLSTATE 0A000\n    {}\n    graftgres: {}",
                    entry.sql,
                    show(&got)
                )),
            }
            continue;
        }
        let same = match (&expected, &got) {
            (
                Answer::Rows { types, rows },
                Answer::Rows {
                    types: got_types,
                    rows: got_rows,
                },
            ) if types == got_types => {
                if ordered(&entry.sql) {
                    rows == got_rows
                } else {
                    let (mut a, mut b) = (rows.clone(), got_rows.clone());
                    a.sort();
                    b.sort();
                    a == b
                }
            }
            (Answer::Error { code, .. }, Answer::Error { code: got_code, .. }) => code == got_code,
            _ => false,
        };
        if let Some(why) = &entry.known_gap {
            if same {
                fixed.push(format!("{place}: {}", entry.sql));
            } else {
                known.push(format!(
                    "{place} ({why}):\n    {}\n    postgres:  {}\n    graftgres: {}",
                    entry.sql,
                    show(&expected),
                    show(&got)
                ));
            }
        } else if same {
            matched += 1;
        } else {
            mismatched.push(format!(
                "{place}:\n    {}\n    postgres:  {}\n    graftgres: {}",
                entry.sql,
                show(&expected),
                show(&got)
            ));
        }
    }
    for m in &known {
        eprintln!("KNOWN GAP {m}\n");
    }
    for m in &mismatched {
        eprintln!("MISMATCH {m}\n");
    }
    println!(
        "differential: {matched} matched, {unsupported} unsupported, {} mismatched \
         (+ {} known gaps declared with `-- mismatch:`)",
        mismatched.len(),
        known.len()
    );
    assert!(
        fixed.is_empty(),
        "queries declared `-- mismatch:` now match PostgreSQL; remove their markers:\n{}",
        fixed.join("\n")
    );
    assert!(
        mismatched.is_empty(),
        "{} of {} queries differ from PostgreSQL (details above)",
        mismatched.len(),
        entries.len()
    );
    assert!(
        entries.len() >= MIN_QUERIES,
        "only {} queries; the suite needs at least {MIN_QUERIES}",
        entries.len()
    );
    let share = unsupported as f64 / entries.len() as f64;
    assert!(
        share <= MAX_UNSUPPORTED_SHARE,
        "{unsupported} of {} queries are declared unsupported (more than 5%)",
        entries.len()
    );
}
