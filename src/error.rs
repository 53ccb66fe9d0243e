//! Errors as a Postgres client sees them: a SQLSTATE and a message.
//!
//! Every layer turns its failures into a [`PgError`] with the nearest
//! SQLSTATE; the wire layer sends it as an ErrorResponse and the session goes
//! on. Internal details (SQLite's wording, object-store paths) stay in the
//! server log.

use std::fmt;

/// SQLSTATE codes graftgres answers with.
pub mod sqlstate {
    pub const SYNTAX_ERROR: &str = "42601";
    pub const UNDEFINED_TABLE: &str = "42P01";
    pub const UNDEFINED_COLUMN: &str = "42703";
    pub const UNDEFINED_FUNCTION: &str = "42883";
    pub const UNDEFINED_OBJECT: &str = "42704";
    pub const AMBIGUOUS_COLUMN: &str = "42702";
    pub const INVALID_COLUMN_REFERENCE: &str = "42P10";
    pub const DATATYPE_MISMATCH: &str = "42804";
    pub const READ_ONLY_SQL_TRANSACTION: &str = "25006";
    pub const INVALID_CATALOG_NAME: &str = "3D000";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const INVALID_TEXT_REPRESENTATION: &str = "22P02";
    pub const DIVISION_BY_ZERO: &str = "22012";
    pub const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";
    pub const INVALID_ARGUMENT_FOR_LOGARITHM: &str = "2201E";
    pub const INVALID_ARGUMENT_FOR_POWER_FUNCTION: &str = "2201F";
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const QUERY_CANCELED: &str = "57014";
    pub const PROGRAM_LIMIT_EXCEEDED: &str = "54000";
    pub const INTERNAL_ERROR: &str = "XX000";
    pub const IO_ERROR: &str = "58030";
    pub const CANNOT_CONNECT_NOW: &str = "57P03";
    pub const INVALID_PARAMETER_VALUE: &str = "22023";
    pub const UNDEFINED_PARAMETER: &str = "42704";
    pub const ACTIVE_SQL_TRANSACTION: &str = "25001";
    pub const NO_ACTIVE_SQL_TRANSACTION: &str = "25P01";
    pub const IN_FAILED_SQL_TRANSACTION: &str = "25P02";
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    pub const INVALID_SAVEPOINT_SPECIFICATION: &str = "3B001";
    pub const INVALID_CURSOR_NAME: &str = "34000";
    pub const DUPLICATE_CURSOR: &str = "42P03";
    pub const INVALID_SQL_STATEMENT_NAME: &str = "26000";
    pub const INVALID_AUTHORIZATION_SPECIFICATION: &str = "28000";
    pub const INVALID_PASSWORD: &str = "28P01";
}

/// An error for the client: SQLSTATE plus a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    pub code: &'static str,
    pub message: String,
}

impl PgError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn syntax(message: impl Into<String>) -> Self {
        Self::new(sqlstate::SYNTAX_ERROR, message)
    }

    pub fn unsupported(what: impl fmt::Display) -> Self {
        Self::new(
            sqlstate::FEATURE_NOT_SUPPORTED,
            format!("graftgres does not support {what}"),
        )
    }

    /// What a hot standby answers to a write.
    pub fn read_only(command: &str) -> Self {
        Self::new(
            sqlstate::READ_ONLY_SQL_TRANSACTION,
            format!("cannot execute {command} in a read-only transaction"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(sqlstate::INTERNAL_ERROR, message)
    }
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for PgError {}

pub type PgResult<T> = Result<T, PgError>;
