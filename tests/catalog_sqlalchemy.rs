//! SQLAlchemy 2 `inspect()` (tables, columns, primary keys, foreign keys,
//! indexes, unique constraints) and a Core select over psycopg 3, against
//! graftgres and a real PostgreSQL 15 with the same schema
//! (`tests/clients/sqlalchemy_inspect.py`): the printed results must be the
//! same.
//!
//! SQLAlchemy's reflection queries are what this exercises: `unnest(indkey)`
//! and `generate_subscripts` as set-returning functions in a select list
//! (zipped), `array_agg(... ORDER BY ...)` arriving as a Python list,
//! `bool_and`, `CAST($1 AS REGCLASS)` of a parameter naming a system
//! catalog, `json_build_object` and `current_setting`.

mod common;
mod oracle;

use std::path::Path;
use std::process::Command;

use common::*;
use oracle::*;

fn python_available() -> bool {
    Command::new("python3")
        .args(["-c", "import sqlalchemy, psycopg"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn inspect(url: &str) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/sqlalchemy_inspect.py");
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(url);
    run(cmd, COMMAND_TIMEOUT)
}

#[test]
fn sqlalchemy_inspect_matches_postgres() {
    if !python_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "sqlalchemy/psycopg missing in CI; scripts/deps installs them"
        );
        return;
    }
    if !require_oracle() {
        return;
    }
    let dir = TestDir::new();
    let (server, oracle) = books(&dir);
    let ours = inspect(&format!(
        "postgresql+psycopg://test@127.0.0.1:{}/books",
        server.port
    ));
    let theirs = inspect(&format!(
        "postgresql+psycopg://postgres@127.0.0.1:{}/books",
        oracle.port
    ));
    assert!(theirs.success(), "{theirs}");
    assert!(ours.success(), "{ours}\n{}", server.log());
    assert_eq!(ours.stdout, theirs.stdout);
}
