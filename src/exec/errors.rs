//! SQLite errors as Postgres errors: the nearest SQLSTATE and Postgres's
//! wording, so clients that match on codes behave as they would on Postgres.

use rusqlite::ffi::ErrorCode;

use crate::error::{PgError, sqlstate};

/// Maps a SQLite error to what Postgres would have said.
pub fn from_sqlite(err: &rusqlite::Error) -> PgError {
    let message = match err {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let message = message.clone().unwrap_or_else(|| failure.to_string());
            match failure.code {
                ErrorCode::OperationInterrupted => {
                    return PgError::new(
                        sqlstate::QUERY_CANCELED,
                        "canceling statement due to user request",
                    );
                }
                ErrorCode::SystemIoFailure => {
                    return PgError::new(
                        sqlstate::IO_ERROR,
                        "could not read data from the object store",
                    );
                }
                ErrorCode::ReadOnly => {
                    return PgError::read_only("a write");
                }
                ErrorCode::OutOfMemory => {
                    return PgError::new(sqlstate::PROGRAM_LIMIT_EXCEEDED, "out of memory");
                }
                _ => message,
            }
        }
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        // Raised by our registered functions (`sql::functions`) in
        // Postgres's own wording.
        rusqlite::Error::UserFunctionError(err) => return from_function(&err.to_string()),
        other => return PgError::internal(other.to_string()),
    };
    from_message(&message)
}

fn from_function(message: &str) -> PgError {
    let code = function_code(message).unwrap_or(sqlstate::INVALID_PARAMETER_VALUE);
    PgError::new(code, message.to_owned())
}

/// The SQLSTATE of an error our functions raise, by its (Postgres)
/// wording. SQLite reports such an error at step time as a plain failure
/// with the function's message, so both paths ask here.
fn function_code(message: &str) -> Option<&'static str> {
    Some(if message.contains("division by zero") {
        sqlstate::DIVISION_BY_ZERO
    } else if message.contains("out of range") || message.contains("overflow") {
        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE
    } else if message.contains("logarithm") {
        sqlstate::INVALID_ARGUMENT_FOR_LOGARITHM
    } else if message.contains("square root") || message.contains("raised to") {
        sqlstate::INVALID_ARGUMENT_FOR_POWER_FUNCTION
    } else if message.contains("invalid input syntax")
        || (message.contains("malformed") && !message.contains("database disk image"))
    {
        sqlstate::INVALID_TEXT_REPRESENTATION
    } else if message.contains("requested length too large") {
        sqlstate::PROGRAM_LIMIT_EXCEEDED
    } else if message.contains("operator does not exist") {
        sqlstate::UNDEFINED_FUNCTION
    } else if message.starts_with("relation \"") && message.ends_with("does not exist") {
        sqlstate::UNDEFINED_TABLE
    } else if message.starts_with("unrecognized configuration parameter") {
        sqlstate::UNDEFINED_PARAMETER
    } else if message.contains("is not supported") {
        sqlstate::FEATURE_NOT_SUPPORTED
    } else {
        return None;
    })
}

fn from_message(message: &str) -> PgError {
    if let Some(table) = message.strip_prefix("no such table: ") {
        let table = table.strip_prefix("main.").unwrap_or(table);
        return PgError::new(
            sqlstate::UNDEFINED_TABLE,
            format!("relation \"{table}\" does not exist"),
        );
    }
    if let Some(column) = message.strip_prefix("no such column: ") {
        // The rowid a LATERAL rewrite finds rows by (sql::rules::lateral).
        if column.ends_with(&format!(".{}", crate::sql::rules::lateral::ROWID)) {
            return PgError::unsupported(
                "LATERAL over a view, a CTE or a WITHOUT ROWID table (its rows have no rowid)",
            );
        }
        return PgError::new(
            sqlstate::UNDEFINED_COLUMN,
            format!("column \"{column}\" does not exist"),
        );
    }
    if let Some(function) = message.strip_prefix("no such function: ") {
        return PgError::new(
            sqlstate::UNDEFINED_FUNCTION,
            format!("function {} does not exist", function.to_lowercase()),
        );
    }
    if let Some(column) = message.strip_prefix("ambiguous column name: ") {
        return PgError::new(
            sqlstate::AMBIGUOUS_COLUMN,
            format!("column reference \"{column}\" is ambiguous"),
        );
    }
    if message.contains("DISTINCT aggregates must have exactly one argument") {
        return PgError::unsupported(
            "DISTINCT in an aggregate with more than one argument (e.g. string_agg(DISTINCT x, ','))",
        );
    }
    if message.contains("syntax error") || message.contains("incomplete input") {
        return PgError::syntax(message.to_owned());
    }
    if message.contains("wrong number of arguments") {
        return PgError::new(sqlstate::UNDEFINED_FUNCTION, message.to_owned());
    }
    if message.contains("integer overflow") {
        return PgError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "bigint out of range");
    }
    if let Some(code) = function_code(message) {
        return PgError::new(code, message.to_owned());
    }
    if message.contains("readonly") || message.contains("read-only") {
        return PgError::read_only("a write");
    }
    if let Some(code) = function_code(message) {
        return PgError::new(code, message.to_owned());
    }
    PgError::internal(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_map_to_postgres_wording() {
        let e = from_message("no such table: orders");
        assert_eq!(
            (e.code, e.message.as_str()),
            ("42P01", "relation \"orders\" does not exist")
        );
        let e = from_message("no such column: nope");
        assert_eq!(
            (e.code, e.message.as_str()),
            ("42703", "column \"nope\" does not exist")
        );
        assert_eq!(from_message("no such function: FOO").code, "42883");
        // A LATERAL rewrite's rowid on a relation without one.
        assert_eq!(
            from_message("no such column: __lateral1._rowid_").code,
            "0A000"
        );
        assert_eq!(from_message("near \"x\": syntax error").code, "42601");
        assert_eq!(from_message("something else").code, "XX000");
        for (message, code) in [
            ("division by zero", "22012"),
            ("numeric field overflow", "22003"),
            ("value overflows numeric format", "22003"),
            ("cannot take logarithm of zero", "2201E"),
            ("cannot take square root of a negative number", "2201F"),
            ("zero raised to a negative power is undefined", "2201F"),
            ("invalid input syntax for type numeric: \"x\"", "22P02"),
        ] {
            assert_eq!(from_function(message).code, code, "{message}");
            // Raised inside a statement, the wording comes back as SQLite's message.
            assert_eq!(from_message(message).code, code, "{message}");
        }
        // Our functions' errors come back from a step as plain failures.
        let e = from_message("invalid input syntax for type integer: \"x\"");
        assert_eq!(e.code, "22P02");
        assert_eq!(
            from_message("relation \"nope\" does not exist").code,
            "42P01"
        );
    }
}
