//! Sorting statements: reads for SQLite, session commands, refused writes.

use std::sync::Arc;

use sqlparser::ast::{
    ContextModifier, Expr, ObjectName, Query, Reset, ResetStatement, Set, SetExpr, Statement,
    TransactionIsolationLevel, TransactionMode, Value, ValueWithSpan,
};

use super::cursor::{self, CopyOut, CursorDecl, FetchCount};
use super::translate;
use super::{ReadQuery, ident_name};
use crate::error::{PgError, PgResult};

/// What to do with one statement.
#[derive(Debug)]
pub enum Command {
    /// A read to run on SQLite.
    Read(Arc<ReadQuery>),
    /// `SET name = value` (session settings).
    Set { name: String, value: String },
    /// `RESET name` / `RESET ALL` (`None`).
    Reset { name: Option<String> },
    /// `SHOW name`.
    Show { name: String },
    /// `SET LOCAL name = value`: until the transaction ends.
    SetLocal { name: String, value: String },
    /// `BEGIN` / `START TRANSACTION`, with the isolation level asked for.
    Begin { isolation: Option<String> },
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK` / `ABORT`.
    Rollback,
    /// `SAVEPOINT name`.
    Savepoint { name: String },
    /// `RELEASE [SAVEPOINT] name`.
    Release { name: String },
    /// `ROLLBACK TO [SAVEPOINT] name`.
    RollbackTo { name: String },
    /// `DISCARD ALL` (and `DISCARD PLANS/TEMP/SEQUENCES`, `all: false`).
    Discard { all: bool },
    /// `DEALLOCATE [PREPARE] name` / `DEALLOCATE ALL` (`None`).
    Deallocate { name: Option<String> },
    /// `DECLARE name CURSOR FOR query`.
    Declare(CursorDecl),
    /// `FETCH count FROM name`.
    Fetch { name: String, count: FetchCount },
    /// `MOVE count FROM name`: FETCH without the rows.
    Move { name: String, count: FetchCount },
    /// `CLOSE name` / `CLOSE ALL` (`None`).
    CloseCursor { name: Option<String> },
    /// `COPY ... TO STDOUT`.
    CopyOut(CopyOut),
}

/// Classifies one parsed statement.
pub fn classify(statement: Statement) -> PgResult<Command> {
    match statement {
        Statement::Query(query) => read(query),
        Statement::Set(set) => set_command(set),
        Statement::Reset(ResetStatement { reset }) => Ok(Command::Reset {
            name: match reset {
                Reset::ALL | Reset::SessionAuthorization => None,
                Reset::ConfigurationParameter(name) => Some(setting_name(&name)),
            },
        }),
        Statement::ShowVariable { variable } => Ok(Command::Show {
            name: show_name(&variable),
        }),
        Statement::StartTransaction { modes, .. } => Ok(Command::Begin {
            isolation: isolation(&modes),
        }),
        Statement::Commit { .. } => Ok(Command::Commit),
        Statement::Rollback {
            savepoint: None, ..
        } => Ok(Command::Rollback),
        Statement::Rollback {
            savepoint: Some(name),
            ..
        } => Ok(Command::RollbackTo {
            name: ident_name(&name),
        }),
        Statement::Savepoint { name } => Ok(Command::Savepoint {
            name: ident_name(&name),
        }),
        Statement::ReleaseSavepoint { name } => Ok(Command::Release {
            name: ident_name(&name),
        }),
        Statement::Discard { object_type } => Ok(Command::Discard {
            all: matches!(object_type, sqlparser::ast::DiscardObject::ALL),
        }),
        Statement::Deallocate { name, .. } => Ok(Command::Deallocate {
            name: (name.quote_style.is_some() || !name.value.eq_ignore_ascii_case("all"))
                .then(|| ident_name(&name)),
        }),
        Statement::Declare { stmts, .. } => cursor::declare(stmts),
        Statement::Fetch {
            name, direction, ..
        } => cursor::fetch(&name, &direction),
        Statement::Close { cursor } => Ok(cursor::close(&cursor)),
        Statement::Copy {
            source,
            to,
            target,
            options,
            legacy_options,
            ..
        } => cursor::copy(source, to, &target, &options, &legacy_options),
        other => Err(refusal(&other)),
    }
}

fn read(query: Box<Query>) -> PgResult<Command> {
    if let Some(command) = data_modifying(&query) {
        return Err(PgError::read_only(command));
    }
    // Row locks are writes to a standby (SQLite would only see a syntax error).
    if let Some(lock) = query.locks.first() {
        let kind = match lock.lock_type {
            sqlparser::ast::LockType::Share => "SELECT FOR SHARE",
            sqlparser::ast::LockType::Update => "SELECT FOR UPDATE",
        };
        return Err(PgError::read_only(kind));
    }
    let (sqlite, param_count) = translate::to_sqlite(&query)?;
    Ok(Command::Read(Arc::new(ReadQuery {
        exact: super::exact::may_be_exact(&query),
        original: query,
        sqlite,
        param_count,
        typed: Default::default(),
    })))
}

/// A `WITH ... INSERT/UPDATE/DELETE` or a data-modifying CTE.
fn data_modifying(query: &Query) -> Option<&'static str> {
    let body_write = |body: &SetExpr| match body {
        SetExpr::Insert(_) => Some("INSERT"),
        SetExpr::Update(_) => Some("UPDATE"),
        SetExpr::Delete(_) => Some("DELETE"),
        SetExpr::Merge(_) => Some("MERGE"),
        _ => None,
    };
    body_write(&query.body).or_else(|| {
        query
            .with
            .iter()
            .flat_map(|with| &with.cte_tables)
            .find_map(|cte| data_modifying(&cte.query))
    })
}

/// `SHOW a.b` and `SHOW TRANSACTION ISOLATION LEVEL` both arrive as words.
fn show_name(words: &[sqlparser::ast::Ident]) -> String {
    let words: Vec<String> = words.iter().map(|w| w.value.to_lowercase()).collect();
    let multi_word = matches!(
        words.first().map(String::as_str),
        Some("transaction" | "time" | "session")
    );
    words.join(if multi_word { " " } else { "." })
}

/// The isolation level a `BEGIN` asks for, as `SHOW` spells it.
fn isolation(modes: &[TransactionMode]) -> Option<String> {
    modes.iter().find_map(|mode| match mode {
        TransactionMode::IsolationLevel(level) => Some(
            match level {
                TransactionIsolationLevel::ReadUncommitted => "read uncommitted",
                TransactionIsolationLevel::ReadCommitted => "read committed",
                TransactionIsolationLevel::RepeatableRead | TransactionIsolationLevel::Snapshot => {
                    "repeatable read"
                }
                TransactionIsolationLevel::Serializable => "serializable",
            }
            .to_owned(),
        ),
        TransactionMode::AccessMode(_) => None,
    })
}

fn set_command(set: Set) -> PgResult<Command> {
    match set {
        Set::SingleAssignment {
            scope: Some(ContextModifier::Local),
            variable,
            values,
            ..
        } => Ok(Command::SetLocal {
            name: setting_name(&variable),
            value: values
                .iter()
                .map(setting_value)
                .collect::<Vec<_>>()
                .join(", "),
        }),
        Set::SingleAssignment {
            variable, values, ..
        } => Ok(Command::Set {
            name: setting_name(&variable),
            value: values
                .iter()
                .map(setting_value)
                .collect::<Vec<_>>()
                .join(", "),
        }),
        Set::SetTimeZone { value, .. } => Ok(Command::Set {
            name: "timezone".into(),
            value: setting_value(&value),
        }),
        Set::SetNames { charset_name, .. } => Ok(Command::Set {
            name: "client_encoding".into(),
            value: charset_name.value,
        }),
        Set::SetTransaction { .. } | Set::SetSessionParam(_) => Ok(Command::Set {
            name: "transaction".into(),
            value: String::new(),
        }),
        other => Err(PgError::unsupported(format!("SET statement {other}"))),
    }
}

fn setting_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| part.to_string().trim_matches('"').to_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// The text of a setting value as `SHOW` would print it.
fn setting_value(expr: &Expr) -> String {
    match expr {
        Expr::Value(ValueWithSpan { value, .. }) => match value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            Value::Number(n, _) => n.to_string(),
            Value::Boolean(b) => if *b { "on" } else { "off" }.to_owned(),
            other => other.to_string(),
        },
        Expr::Identifier(ident) => ident.value.clone(),
        other => other.to_string(),
    }
}

/// The Postgres error for a statement a read replica does not run.
fn refusal(statement: &Statement) -> PgError {
    let write = match statement {
        Statement::Insert(_) => "INSERT",
        Statement::Update(_) => "UPDATE",
        Statement::Delete(_) => "DELETE",
        Statement::Merge(_) => "MERGE",
        Statement::Truncate(_) => "TRUNCATE TABLE",
        Statement::Copy { to: false, .. } => "COPY FROM",
        Statement::CreateTable(_) => "CREATE TABLE",
        Statement::CreateView(_) => "CREATE VIEW",
        Statement::CreateIndex(_) => "CREATE INDEX",
        Statement::CreateSchema { .. } => "CREATE SCHEMA",
        Statement::CreateDatabase { .. } => "CREATE DATABASE",
        Statement::CreateSequence { .. } => "CREATE SEQUENCE",
        Statement::CreateFunction(_) => "CREATE FUNCTION",
        Statement::CreateRole(_) => "CREATE ROLE",
        Statement::CreateExtension(_) => "CREATE EXTENSION",
        Statement::AlterTable(_) => "ALTER TABLE",
        Statement::AlterIndex { .. } => "ALTER INDEX",
        Statement::AlterView { .. } => "ALTER VIEW",
        Statement::AlterRole { .. } => "ALTER ROLE",
        Statement::Drop { .. } => "DROP",
        Statement::DropFunction(_) => "DROP FUNCTION",
        Statement::Grant(_) => "GRANT",
        Statement::Revoke(_) => "REVOKE",
        Statement::Comment { .. } => "COMMENT",
        Statement::Vacuum(_) => "VACUUM",
        Statement::Analyze(_) => "ANALYZE",
        _ => {
            let text = statement.to_string();
            let keyword: String = text
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            return PgError::unsupported(format!("the statement {keyword} on a read replica"));
        }
    };
    PgError::read_only(write)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::sqlstate;
    use crate::sql::plan;

    fn error_of(sql: &str) -> PgError {
        plan(sql).unwrap_err()
    }

    #[test]
    fn writes_are_refused_like_a_hot_standby() {
        for (sql, command) in [
            ("INSERT INTO t VALUES (1)", "INSERT"),
            ("update t set a = 1", "UPDATE"),
            ("DELETE FROM t", "DELETE"),
            ("CREATE TABLE x (a int)", "CREATE TABLE"),
            ("DROP TABLE t", "DROP"),
            ("ALTER TABLE t ADD COLUMN b int", "ALTER TABLE"),
            ("TRUNCATE t", "TRUNCATE TABLE"),
            ("COPY t FROM STDIN", "COPY FROM"),
            ("COPY t (a) FROM STDIN WITH (FORMAT csv)", "COPY FROM"),
            (
                "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
                "DELETE",
            ),
            (
                "SELECT * FROM t WHERE a = 1 FOR UPDATE",
                "SELECT FOR UPDATE",
            ),
            ("SELECT * FROM t FOR SHARE OF t NOWAIT", "SELECT FOR SHARE"),
        ] {
            let err = error_of(sql);
            assert_eq!(err.code, sqlstate::READ_ONLY_SQL_TRANSACTION, "{sql}");
            assert_eq!(
                err.message,
                format!("cannot execute {command} in a read-only transaction"),
                "{sql}"
            );
        }
    }

    #[test]
    fn session_commands() {
        let cmds = plan(
            "SET application_name = 'psql'; SHOW TimeZone; BEGIN; COMMIT; ROLLBACK; RESET ALL",
        )
        .unwrap();
        assert!(
            matches!(&cmds[0], Command::Set { name, value } if name == "application_name" && value == "psql")
        );
        assert!(matches!(&cmds[1], Command::Show { name } if name == "timezone"));
        assert!(matches!(cmds[2], Command::Begin { isolation: None }));
        assert!(matches!(cmds[3], Command::Commit));
        assert!(matches!(cmds[4], Command::Rollback));
        assert!(matches!(cmds[5], Command::Reset { name: None }));
        let cmds = plan("SHOW TRANSACTION ISOLATION LEVEL; SET extra_float_digits = 3").unwrap();
        assert!(
            matches!(&cmds[0], Command::Show { name } if name == "transaction isolation level")
        );
        assert!(matches!(&cmds[1], Command::Set { value, .. } if value == "3"));
        let cmds = plan("SHOW graftgres.object_store_requests").unwrap();
        assert!(
            matches!(&cmds[0], Command::Show { name } if name == "graftgres.object_store_requests")
        );
    }

    #[test]
    fn syntax_errors_are_42601() {
        assert_eq!(error_of("SELEC 1").code, sqlstate::SYNTAX_ERROR);
        assert_eq!(error_of("SELECT (1").code, sqlstate::SYNTAX_ERROR);
    }
}
