//! Statements that hand a read's rows out piece by piece or as a file:
//! `DECLARE ... CURSOR`, `FETCH`, `CLOSE` and `COPY ... TO STDOUT`.
//!
//! Each becomes a plain description of what to do (the read to run, how many
//! rows, which COPY format); the wire layer does it.

use std::sync::Arc;

use sqlparser::ast::{
    CloseCursor, CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget,
    Declare, DeclareType, FetchDirection, Statement, Value, ValueWithSpan,
};

use super::{Command, ReadQuery, classify};
use crate::error::{PgError, PgResult, sqlstate};

/// `DECLARE name [BINARY] CURSOR [WITH HOLD] FOR query`.
#[derive(Debug)]
pub struct CursorDecl {
    pub name: String,
    pub read: Arc<ReadQuery>,
    /// Rows in binary format (`BINARY`).
    pub binary: bool,
    /// Outlives the transaction (`WITH HOLD`).
    pub hold: bool,
}

/// How many rows a `FETCH` asks for: a count, or all that remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchCount {
    Rows(u64),
    All,
}

/// `COPY (query) TO STDOUT` / `COPY table [(columns)] TO STDOUT`.
#[derive(Debug)]
pub struct CopyOut {
    pub read: Arc<ReadQuery>,
    pub format: CopyFormat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyFormat {
    Text {
        delimiter: char,
        null: String,
    },
    Csv {
        delimiter: char,
        null: String,
        quote: char,
        escape: char,
        header: bool,
    },
    Binary,
}

fn cursor_name(name: &sqlparser::ast::Ident) -> String {
    // Postgres folds unquoted names to lower case.
    if name.quote_style.is_some() {
        name.value.clone()
    } else {
        name.value.to_lowercase()
    }
}

/// `DECLARE`: one cursor over one read.
pub fn declare(mut stmts: Vec<Declare>) -> PgResult<Command> {
    let (Some(decl), true) = (stmts.pop(), stmts.is_empty()) else {
        return Err(PgError::syntax("DECLARE declares one cursor"));
    };
    let (Some(DeclareType::Cursor), Some(query), [name]) =
        (&decl.declare_type, decl.for_query, decl.names.as_slice())
    else {
        return Err(PgError::unsupported(
            "DECLARE other than DECLARE ... CURSOR FOR",
        ));
    };
    if decl.scroll == Some(true) {
        return Err(PgError::unsupported("SCROLL cursors"));
    }
    let Command::Read(read) = classify::classify(Statement::Query(query))? else {
        return Err(PgError::internal("a cursor's query is not a read"));
    };
    Ok(Command::Declare(CursorDecl {
        name: cursor_name(name),
        read,
        binary: decl.binary == Some(true),
        hold: decl.hold == Some(true),
    }))
}

fn count_of(limit: &ValueWithSpan) -> PgResult<i64> {
    match &limit.value {
        Value::Number(n, _) => n
            .parse()
            .map_err(|_| PgError::syntax(format!("invalid FETCH count {n}"))),
        other => Err(PgError::syntax(format!("invalid FETCH count {other}"))),
    }
}

/// `FETCH [direction] [FROM | IN] name`: forward only.
pub fn fetch(name: &sqlparser::ast::Ident, direction: &FetchDirection) -> PgResult<Command> {
    let count = match direction {
        FetchDirection::Next => FetchCount::Rows(1),
        FetchDirection::Forward { limit: None } => FetchCount::Rows(1),
        FetchDirection::All | FetchDirection::ForwardAll => FetchCount::All,
        FetchDirection::Count { limit } | FetchDirection::Forward { limit: Some(limit) } => {
            match count_of(limit)? {
                n if n >= 0 => FetchCount::Rows(n as u64),
                _ => {
                    return Err(PgError::unsupported(
                        "FETCH backward (cursors are NO SCROLL)",
                    ));
                }
            }
        }
        other => {
            return Err(PgError::new(
                sqlstate::FEATURE_NOT_SUPPORTED,
                format!("cursor can only scan forward: FETCH {other} is not supported"),
            ));
        }
    };
    Ok(Command::Fetch {
        name: cursor_name(name),
        count,
    })
}

/// `MOVE [direction] [FROM | IN] name`, which sqlparser does not know, and
/// `FETCH`/`MOVE` without `FROM`/`IN` (Postgres allows leaving it out;
/// asyncpg does): a message holding one such statement is planned here.
/// `None` when `sql` is neither.
pub fn plan_move(sql: &str) -> Option<PgResult<Command>> {
    let sql = sql.trim().trim_end_matches(';');
    let mut words: Vec<&str> = sql.split_whitespace().collect();
    let keyword = words.first()?.to_ascii_lowercase();
    let moving = keyword == "move";
    let has_from = words
        .iter()
        .any(|w| w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("in"));
    if !(moving || keyword == "fetch" && !has_from) || sql.contains(';') || words.len() < 2 {
        return None;
    }
    words[0] = "FETCH";
    if !has_from {
        words.insert(words.len() - 1, "FROM");
    }
    if words.len() == 3 {
        // `FETCH FROM name`: sqlparser wants the direction spelt out.
        words.insert(1, "NEXT");
    }
    let planned = super::parse(&words.join(" ")).and_then(|mut statements| {
        match (statements.pop(), statements.is_empty()) {
            (
                Some(Statement::Fetch {
                    name, direction, ..
                }),
                true,
            ) => match fetch(&name, &direction)? {
                Command::Fetch { name, count } if moving => Ok(Command::Move { name, count }),
                fetched => Ok(fetched),
            },
            _ => Err(PgError::syntax(format!(
                "syntax error at or near \"{}\"",
                keyword.to_uppercase()
            ))),
        }
    });
    Some(planned)
}

/// `CLOSE name` / `CLOSE ALL` (`None`).
pub fn close(cursor: &CloseCursor) -> Command {
    Command::CloseCursor {
        name: match cursor {
            CloseCursor::All => None,
            CloseCursor::Specific { name } => Some(cursor_name(name)),
        },
    }
}

/// `COPY ... TO STDOUT`; COPY FROM is a write (25006), files and programs
/// are the server's, which a replica does not expose.
pub fn copy(
    source: CopySource,
    to: bool,
    target: &CopyTarget,
    options: &[CopyOption],
    legacy: &[CopyLegacyOption],
) -> PgResult<Command> {
    if !to {
        return Err(PgError::read_only("COPY FROM"));
    }
    if *target != CopyTarget::Stdout {
        return Err(PgError::new(
            sqlstate::INSUFFICIENT_PRIVILEGE,
            "must be superuser to COPY to a file or a program (use COPY TO STDOUT)",
        ));
    }
    let query = match source {
        CopySource::Query(query) => query,
        CopySource::Table {
            table_name,
            columns,
        } => {
            let list = if columns.is_empty() {
                "*".to_owned()
            } else {
                columns
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let sql = format!("SELECT {list} FROM {table_name}");
            match super::parse(&sql)?.pop() {
                Some(Statement::Query(query)) => query,
                _ => return Err(PgError::internal("COPY table did not plan as a query")),
            }
        }
    };
    let Command::Read(read) = classify::classify(Statement::Query(query))? else {
        return Err(PgError::internal("COPY's query is not a read"));
    };
    Ok(Command::CopyOut(CopyOut {
        read,
        format: copy_format(options, legacy)?,
    }))
}

fn copy_format(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> PgResult<CopyFormat> {
    let mut kind = "text".to_owned();
    let mut delimiter = None;
    let mut null = None;
    let mut header = false;
    let mut quote = '"';
    let mut escape = None;
    for option in options {
        match option {
            CopyOption::Format(name) => kind = name.value.to_lowercase(),
            CopyOption::Delimiter(c) => delimiter = Some(*c),
            CopyOption::Null(s) => null = Some(s.clone()),
            CopyOption::Header(h) => header = *h,
            CopyOption::Quote(c) => quote = *c,
            CopyOption::Escape(c) => escape = Some(*c),
            CopyOption::Encoding(e) if e.eq_ignore_ascii_case("utf8") => {}
            CopyOption::Encoding(e) if e.eq_ignore_ascii_case("utf-8") => {}
            other => return Err(PgError::unsupported(format!("the COPY option {other}"))),
        }
    }
    for option in legacy {
        match option {
            CopyLegacyOption::Binary => kind = "binary".into(),
            CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
            CopyLegacyOption::Null(s) => null = Some(s.clone()),
            CopyLegacyOption::Csv(csv) => {
                kind = "csv".into();
                for option in csv {
                    match option {
                        CopyLegacyCsvOption::Header => header = true,
                        CopyLegacyCsvOption::Quote(c) => quote = *c,
                        CopyLegacyCsvOption::Escape(c) => escape = Some(*c),
                        other => {
                            return Err(PgError::unsupported(format!("the COPY option {other}")));
                        }
                    }
                }
            }
            other => return Err(PgError::unsupported(format!("the COPY option {other}"))),
        }
    }
    match kind.as_str() {
        "text" => {
            if header {
                return Err(PgError::unsupported("COPY HEADER in text format"));
            }
            Ok(CopyFormat::Text {
                delimiter: delimiter.unwrap_or('\t'),
                null: null.unwrap_or_else(|| "\\N".into()),
            })
        }
        "csv" => Ok(CopyFormat::Csv {
            delimiter: delimiter.unwrap_or(','),
            null: null.unwrap_or_default(),
            quote,
            escape: escape.unwrap_or(quote),
            header,
        }),
        "binary" => Ok(CopyFormat::Binary),
        other => Err(PgError::new(
            sqlstate::INVALID_PARAMETER_VALUE,
            format!("COPY format \"{other}\" not recognized"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::plan;

    #[test]
    fn cursors_plan() {
        let cmds = plan(
            "DECLARE \"C1\" BINARY CURSOR WITH HOLD FOR SELECT 1; DECLARE c2 NO SCROLL CURSOR WITHOUT HOLD FOR SELECT 2; \
             FETCH FORWARD 10 FROM \"C1\"; FETCH ALL IN c2; FETCH NEXT FROM c2; FETCH FORWARD ALL FROM c2; CLOSE c2; CLOSE ALL",
        )
        .unwrap();
        assert!(matches!(&cmds[0], Command::Declare(d) if d.name == "C1" && d.binary && d.hold));
        assert!(matches!(&cmds[1], Command::Declare(d) if d.name == "c2" && !d.binary && !d.hold));
        assert!(
            matches!(&cmds[2], Command::Fetch { name, count } if name == "C1" && *count == FetchCount::Rows(10))
        );
        assert!(matches!(&cmds[3], Command::Fetch { count, .. } if *count == FetchCount::All));
        assert!(matches!(&cmds[4], Command::Fetch { count, .. } if *count == FetchCount::Rows(1)));
        assert!(matches!(&cmds[5], Command::Fetch { count, .. } if *count == FetchCount::All));
        assert!(matches!(&cmds[6], Command::CloseCursor { name: Some(n) } if n == "c2"));
        assert!(matches!(&cmds[7], Command::CloseCursor { name: None }));
        assert_eq!(
            plan("DECLARE s SCROLL CURSOR FOR SELECT 1")
                .unwrap_err()
                .code,
            sqlstate::FEATURE_NOT_SUPPORTED
        );
        assert_eq!(
            plan("FETCH PRIOR FROM c").unwrap_err().code,
            sqlstate::FEATURE_NOT_SUPPORTED
        );
    }

    #[test]
    fn move_plans_as_fetch() {
        let cmds = plan("MOVE FORWARD 10 __asyncpg_portal_1__").unwrap();
        assert!(
            matches!(&cmds[0], Command::Move { name, count } if name == "__asyncpg_portal_1__" && *count == FetchCount::Rows(10))
        );
        assert!(matches!(
            &plan("move all in c").unwrap()[0],
            Command::Move {
                count: FetchCount::All,
                ..
            }
        ));
        assert!(plan("MOVED").is_err());
        assert!(
            matches!(&plan("FETCH 5 c").unwrap()[0], Command::Fetch { name, count } if name == "c" && *count == FetchCount::Rows(5))
        );
        assert!(
            matches!(&plan("FETCH c").unwrap()[0], Command::Fetch { count, .. } if *count == FetchCount::Rows(1))
        );
        assert!(
            matches!(&plan("MOVE IN c").unwrap()[0], Command::Move { count, .. } if *count == FetchCount::Rows(1))
        );
    }

    #[test]
    fn copy_plans() {
        let cmds = plan(
            "COPY t TO STDOUT; COPY (SELECT 1) TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ';', NULL 'x'); \
             COPY t (a, b) TO STDOUT (FORMAT binary); COPY t TO STDOUT CSV HEADER",
        )
        .unwrap();
        assert!(
            matches!(&cmds[0], Command::CopyOut(c) if c.format == CopyFormat::Text { delimiter: '\t', null: "\\N".into() })
        );
        assert!(
            matches!(&cmds[1], Command::CopyOut(c) if c.format == CopyFormat::Csv { delimiter: ';', null: "x".into(), quote: '"', escape: '"', header: true })
        );
        assert!(
            matches!(&cmds[2], Command::CopyOut(c) if c.format == CopyFormat::Binary && c.read.sqlite.contains("a, b"))
        );
        assert!(
            matches!(&cmds[3], Command::CopyOut(c) if matches!(c.format, CopyFormat::Csv { header: true, .. }))
        );
        assert_eq!(
            plan("COPY t FROM STDIN").unwrap_err().code,
            sqlstate::READ_ONLY_SQL_TRANSACTION
        );
        assert_eq!(
            plan("COPY t TO '/tmp/x'").unwrap_err().code,
            sqlstate::INSUFFICIENT_PRIVILEGE
        );
    }
}
