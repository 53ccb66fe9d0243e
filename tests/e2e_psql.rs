//! End to end with the real `psql` binary (PostgreSQL 15 client).

mod common;

use common::*;

/// The typed fixture imported as volume `app`, served with `--no-demo`.
fn typed_server(dir: &TestDir) -> Server {
    let file = dir.join("t.sqlite");
    typed_fixture(&file);
    import(&dir.data(), &file, "app");
    Server::start(&dir.data())
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.is_empty()).collect()
}

#[test]
fn psql_prints_query_values() {
    let dir = TestDir::new();
    let server = typed_server(&dir);

    let out = server.psql(
        "app",
        &[
            "-c",
            "SELECT id, name, price, data, active, born, at, amount, code FROM t ORDER BY id",
        ],
    );
    assert!(out.success(), "psql failed\n{out}");
    assert_eq!(
        lines(&out.stdout),
        [
            "1|one|1.5|\\x0102|t|2024-01-02|2024-01-02 03:04:05|12.5|A1",
            "2|two|-2.25|\\xff00|f|1999-12-31|1999-12-31 23:59:59|7|B2",
            "3||||||||",
            "4|naïve ✓|0|\\x|t|2000-01-01|2000-01-01 00:00:00.25|19.99|Z",
        ],
        "psql output\n{out}"
    );
    assert!(out.stderr.is_empty(), "unexpected stderr\n{out}");

    // Aggregates and a WHERE on text.
    let out = server.psql(
        "app",
        &[
            "-c",
            "SELECT count(*), sum(price), max(code) FROM t WHERE name IS NOT NULL",
        ],
    );
    assert!(out.success(), "psql failed\n{out}");
    assert_eq!(lines(&out.stdout), ["3|-0.75|Z"], "psql output\n{out}");
}

#[test]
fn psql_gdesc_shows_postgres_type_names() {
    let dir = TestDir::new();
    let server = typed_server(&dir);

    let script = dir.join("gdesc.sql");
    std::fs::write(
        &script,
        "SELECT id, name, price, data, active, born, at, amount, code FROM t \\gdesc\n\
         SELECT 1 AS one, count(*) AS n, id = 1 AS is_one FROM t GROUP BY id \\gdesc\n",
    )
    .unwrap();
    let out = server.psql("app", &["-f", script.to_str().unwrap()]);
    assert!(out.success(), "psql \\gdesc failed\n{out}");
    assert_eq!(
        lines(&out.stdout),
        [
            "id|bigint",
            "name|text",
            "price|double precision",
            "data|bytea",
            "active|boolean",
            "born|date",
            "at|timestamp without time zone",
            "amount|numeric",
            "code|character varying",
            "one|integer",
            "n|bigint",
            "is_one|boolean",
        ],
        "\\gdesc output\n{out}"
    );
}

#[test]
fn psql_shows_the_read_only_error_and_the_session_goes_on() {
    let dir = TestDir::new();
    let server = typed_server(&dir);

    // Several -c in one psql session: the INSERT fails, the next ones run.
    let out = server.psql(
        "app",
        &[
            "-c",
            "INSERT INTO t (id, name) VALUES (9, 'nine')",
            "-c",
            "SELECT count(*) FROM t",
            "-c",
            "SHOW default_transaction_read_only",
        ],
    );
    assert!(
        out.stderr
            .contains("ERROR:  cannot execute INSERT in a read-only transaction"),
        "psql should print the 25006 error\n{out}"
    );
    assert_eq!(
        lines(&out.stdout),
        ["4", "on"],
        "commands after the error\n{out}"
    );

    // A script that goes on after errors, with a syntax error and a missing
    // table too; show SQLSTATEs with VERBOSITY verbose.
    let script = dir.join("errors.sql");
    std::fs::write(
        &script,
        "\\set ON_ERROR_STOP 0\n\
         \\set VERBOSITY verbose\n\
         UPDATE t SET name = 'x' WHERE id = 1;\n\
         SELECT name FROM t WHERE id = 1;\n\
         SELEC 1;\n\
         SELECT * FROM missing;\n\
         SELECT code FROM t WHERE id = 2;\n",
    )
    .unwrap();
    let out = server.psql("app", &["-f", script.to_str().unwrap()]);
    assert_eq!(
        lines(&out.stdout),
        ["one", "B2"],
        "statements after errors\n{out}"
    );
    for expected in [
        "ERROR:  25006: cannot execute UPDATE in a read-only transaction",
        "ERROR:  42601:",
        "ERROR:  42P01:",
    ] {
        assert!(
            out.stderr.contains(expected),
            "missing {expected:?} on stderr\n{out}"
        );
    }
}

#[test]
fn psql_reports_an_unknown_database_and_the_server_version() {
    let dir = TestDir::new();
    let server = typed_server(&dir);

    let out = server.psql("nope", &["-c", "SELECT 1"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "psql exits 2 when it cannot connect\n{out}"
    );
    assert!(
        out.stderr.contains("database \"nope\" does not exist"),
        "psql should show the server's error\n{out}"
    );

    // psql keeps the startup parameters in variables.
    let out = server.psql(
        "app",
        &[
            "-c",
            "\\echo :SERVER_VERSION_NAME :ENCODING",
            "-c",
            "SHOW server_version",
        ],
    );
    assert!(out.success(), "{out}");
    let got = lines(&out.stdout);
    assert_eq!(got.len(), 2, "{out}");
    assert!(
        got[0].starts_with("15"),
        "SERVER_VERSION_NAME should start with 15\n{out}"
    );
    assert!(
        got[0].ends_with(" UTF8"),
        "client encoding should be UTF8\n{out}"
    );
    assert!(got[1].starts_with("15"), "SHOW server_version\n{out}");
}

/// The only test that builds the demo database (it is heavy).
#[test]
fn demo_database_is_built_and_served_without_no_demo() {
    let dir = TestDir::new();
    let server = Server::start_with(ServeOptions {
        data_dir: Some(&dir.data()),
        demo: true,
        ..Default::default()
    });
    let out = server.psql(
        "demo",
        &[
            "-c",
            "SELECT count(*) FROM orders",
            "-c",
            "SELECT count(*) FROM customers",
            "-c",
            "SELECT count(*) FROM products",
            "-c",
            "SELECT count(*) FROM order_items",
        ],
    );
    assert!(out.success(), "psql against demo failed\n{out}");
    let counts: Vec<i64> = lines(&out.stdout)
        .iter()
        .map(|l| {
            l.trim()
                .parse()
                .unwrap_or_else(|e| panic!("{l:?}: {e}\n{out}"))
        })
        .collect();
    assert_eq!(counts.len(), 4, "{out}");
    assert!(
        counts[0] >= 100_000,
        "orders has {} rows, expected >= 100000",
        counts[0]
    );
    for (table, n) in ["customers", "products", "order_items"]
        .iter()
        .zip(&counts[1..])
    {
        assert!(*n > 0, "demo table {table} is empty");
    }
}
