//! psql's describe commands (`\dt`, `\d TABLE`, `\di`, `\dv`, `\dn`, `\l`,
//! `\df`, `\x`, `\conninfo`) and `\copy ... to FILE` against graftgres,
//! compared with what a real PostgreSQL 15 prints (and writes) for the same
//! schema.
//!
//! The oracle is started from the Debian `postgresql` package
//! (`/usr/lib/postgresql/15/bin`): initdb + pg_ctl in a temp folder on a free
//! port (as user `postgres` when the tests run as root). Without it the
//! test fails when CI is set and is skipped otherwise.

mod common;
mod oracle;

use common::*;
use oracle::*;

#[test]
fn psql_describe_matches_postgres() {
    if !require_oracle() {
        return;
    }
    let dir = TestDir::new();
    let (server, oracle) = books(&dir);

    let ours = |command: &str| {
        let out = psql(server.port, "test", "books", &["-c", command]);
        assert!(
            out.success() && out.stderr.is_empty(),
            "graftgres: {command}\n{out}\n{}",
            server.log()
        );
        out.stdout
    };
    let theirs = |command: &str| {
        let out = psql(oracle.port, "postgres", "books", &["-c", command]);
        assert!(out.success(), "postgres: {command}\n{out}");
        out.stdout
    };

    // Same text, byte for byte: names, types, nullability, defaults,
    // indexes, foreign keys in both directions, owners.
    for command in [
        "\\dt",
        "\\di",
        "\\dv",
        "\\d authors",
        "\\d books",
        "\\d tags",
        "\\d cheap_books",
    ] {
        let (ours, theirs) = (ours(command), theirs(command));
        assert_eq!(ours, theirs, "{command}");
    }

    // `\dn`: the same schemas (Postgres 15 makes `pg_database_owner` own
    // `public`; our one role owns everything).
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains('|') && !l.contains("Name"))
            .map(|l| l.split('|').next().unwrap().trim().to_owned())
            .collect()
    };
    assert_eq!(names(&ours("\\dn")), names(&theirs("\\dn")));
    // `\df`: no user functions on either side.
    assert_eq!(ours("\\df"), theirs("\\df"));
    // `\l`: our database is listed, as itself.
    assert!(
        names(&ours("\\l")).contains(&"books".to_owned()),
        "{}",
        ours("\\l")
    );

    // `\x` then a query: expanded rows.
    let out = psql(
        server.port,
        "test",
        "books",
        &["-c", "\\x", "-c", "SELECT id, name FROM authors"],
    );
    assert!(out.success(), "{out}");
    assert!(out.stdout.contains("Expanded display is on."), "{out}");
    assert!(out.stdout.contains("-[ RECORD 1 ]"), "{out}");
    assert!(out.stdout.contains("name | Ann"), "{out}");
    // `\copy (select ...) to FILE` (COPY ... TO STDOUT, written by psql):
    // the same bytes in every format, and the same `COPY n`.
    for (i, (source, options)) in [
        (
            "(select id, title, price, rating, published, added, copies from books order by id)",
            "",
        ),
        (
            "(select id, name, email, active, null::text as nothing, 'a,\"b' as quoted from authors)",
            "with (format csv, header)",
        ),
        (
            "(select n, n::text as t from big where n <= 3 order by n)",
            "with (format binary)",
        ),
        ("(select n from big where n < 0)", "with (format binary)"),
        ("(select n from big where n < 0)", "with (format csv, header)"),
        ("tags", ""),
    ]
    .into_iter()
    .enumerate()
    {
        let copy = |port: u16, user: &str, side: &str| {
            let file = dir.join(&format!("copy-{i}-{side}"));
            let command = format!("\\copy {source} to '{}' {options}", file.display());
            let out = psql(port, user, "books", &["-c", &command]);
            assert!(out.success(), "{side}: {command}\n{out}");
            (out.stdout, std::fs::read(&file).unwrap())
        };
        let ours = copy(server.port, "test", "ours");
        let theirs = copy(oracle.port, "postgres", "theirs");
        assert_eq!(ours, theirs, "\\copy {source} {options}");
    }

    // `\conninfo` is answered by psql from the connection.
    let out = psql(server.port, "test", "books", &["-c", "\\conninfo"]);
    assert!(
        out.stdout
            .contains("You are connected to database \"books\" as user \"test\""),
        "{out}"
    );
}

#[test]
fn catalog_follows_a_schema_change() {
    let dir = TestDir::new();
    let file = dir.join("v.sqlite");
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.execute_batch("CREATE TABLE first (id INTEGER PRIMARY KEY)")
            .unwrap();
    }
    import(&dir.data(), &file, "v");
    let server = Server::start(&dir.data());
    let tables = || {
        let out = server.psql("v", &["-c", "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1"]);
        assert!(out.success(), "{out}\n{}", server.log());
        out.stdout
    };
    assert_eq!(tables().trim(), "first");
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.execute_batch("CREATE TABLE second (id INTEGER PRIMARY KEY)")
            .unwrap();
    }
    import(&dir.data(), &file, "v");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let now = tables();
        if now.trim() == "first\nsecond" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "catalog never showed the new table: {now}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
