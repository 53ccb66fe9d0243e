//! Casts (`::` and `CAST`) to Postgres types, as SQLite expressions with
//! Postgres's results: integers round (not truncate), booleans parse
//! Postgres's spellings, dates/timestamps/intervals normalise their text,
//! floats print as Postgres prints them. Casts to `reg*`/`oid` types belong
//! to the catalog pass (which runs first); any left here become text, as
//! `format_type` and friends read them.

use pgwire::api::Type;
use sqlparser::ast::{CastKind, DataType, ExactNumberInfo, Expr, ObjectNamePart, Value};

use super::{call, number};
use crate::sql::types::from_data_type;

/// Whether the catalog pass owns this type (`regclass`, `oid`, ...).
fn catalog_type(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Regclass)
        || matches!(name_of(data_type).as_deref(), Some(n) if n.starts_with("reg") || n == "oid")
}

fn name_of(data_type: &DataType) -> Option<String> {
    match data_type {
        DataType::Custom(name, _) => match name.0.last() {
            Some(ObjectNamePart::Identifier(i)) => Some(i.value.to_lowercase()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether an (already translated) expression is a numeric-typed literal.
fn numeric_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Value(v) => matches!(v.value, Value::Number(..)),
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => numeric_literal(inner),
        Expr::Cast { data_type, .. } => matches!(data_type, DataType::Numeric(_)),
        Expr::Function(f) => super::function_name(f) == "pg_to_numeric",
        _ => false,
    }
}

pub fn to_sqlite(expr: &mut Expr) {
    let Expr::Cast {
        kind,
        expr: inner,
        data_type,
        ..
    } = expr
    else {
        return;
    };
    if catalog_type(data_type) {
        *kind = CastKind::Cast;
        *data_type = DataType::Text;
        return;
    }
    let target = from_data_type(data_type);
    let inner_expr = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
    let sqlite_cast = |ty: DataType, e: Expr| Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(e),
        data_type: ty,
        format: None,
    };
    *kind = CastKind::Cast;
    *expr = match target {
        Type::INT2 | Type::INT4 | Type::INT8 => {
            let half_even = i64::from(!numeric_literal(&inner_expr));
            call("pg_to_int", vec![inner_expr, number(half_even)])
        }
        Type::BOOL => call("pg_to_bool", vec![inner_expr]),
        Type::DATE => call("pg_to_date", vec![inner_expr]),
        Type::TIMESTAMP | Type::TIMESTAMPTZ => call("pg_to_timestamp", vec![inner_expr]),
        Type::INTERVAL => call("pg_interval", vec![inner_expr]),
        // Numbers convert as SQLite does; anything else (text) must spell one.
        Type::FLOAT4 | Type::FLOAT8 if numeric_literal(&inner_expr) => {
            sqlite_cast(DataType::Real, inner_expr)
        }
        Type::FLOAT4 | Type::FLOAT8 => call("pg_to_float", vec![inner_expr]),
        Type::NUMERIC if numeric_literal(&inner_expr) => {
            sqlite_cast(DataType::Numeric(ExactNumberInfo::None), inner_expr)
        }
        Type::NUMERIC => call("pg_to_numeric", vec![inner_expr]),
        Type::BYTEA => sqlite_cast(DataType::Blob(None), inner_expr),
        Type::JSON | Type::JSONB => inner_expr,
        _ => call("pg_to_text", vec![inner_expr]),
    };
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn casts_keep_postgres_semantics() {
        assert_eq!(
            translate("SELECT a::int8, b::text, c::float8, 1.5::int").unwrap(),
            "SELECT pg_to_int(a, 1), pg_to_text(b), pg_to_float(c), pg_to_int(1.5, 0)"
        );
        assert_eq!(
            translate("SELECT CAST(a AS numeric(10,2))").unwrap(),
            "SELECT pg_to_numeric(a)"
        );
        assert_eq!(
            translate("SELECT d::date, b::bool").unwrap(),
            "SELECT pg_to_date(d), pg_to_bool(b)"
        );
        assert_eq!(
            translate("SELECT '20'::pg_catalog.oid").unwrap(),
            "SELECT CAST('20' AS TEXT)"
        );
    }
}
