//! Array values on the wire. SQLite holds an array as the text of its
//! literal (`{1,2}`, see `sql::functions::array`): a column of an array type
//! goes out as that text (booleans spelled `t`/`f`, as Postgres prints
//! them) or in Postgres's binary array format, and a binary array parameter
//! (psycopg and asyncpg send lists so) comes in as the literal's text.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use pgwire::api::Type;
use pgwire::api::portal::Portal;
use pgwire::api::results::{DataRowEncoder, FieldFormat};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::types::format::FormatOptions;
use rusqlite::types::Value;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::encode::{as_bool, parse_date, parse_timestamp};
use crate::sql::functions::aggregate::array_element;
use crate::sql::functions::array::Array;
use crate::sql::types::element_of;

/// Whether `ty` is an array type this module encodes.
pub fn is_array(ty: &Type) -> bool {
    element_of(ty).is_some()
}

/// Each item parsed by `parse`; `None` if one does not parse.
fn typed<T>(items: &[Option<String>], parse: impl Fn(&str) -> Option<T>) -> Option<Vec<Option<T>>> {
    items
        .iter()
        .map(|item| match item {
            None => Some(None),
            Some(text) => parse(text).map(Some),
        })
        .collect()
}

fn bool_of(text: &str) -> Option<bool> {
    as_bool(&Value::Text(text.to_owned()))
}

/// Encodes the literal `text` as a value of array type `ty`; `mismatch`
/// is the error for an item that is not of the element type.
pub fn encode(
    encoder: &mut DataRowEncoder,
    ty: &Type,
    format: FieldFormat,
    text: &str,
    mismatch: impl Fn() -> PgWireError,
) -> PgWireResult<()> {
    let opts = FormatOptions::default();
    let element = element_of(ty).ok_or_else(&mismatch)?;
    if format == FieldFormat::Text && element != Type::BOOL {
        return encoder.encode_field_with_type_and_format(&text, &Type::TEXT, format, &opts);
    }
    let items = Array::parse(text).items;
    macro_rules! put {
        ($parse:expr) => {
            encoder.encode_field_with_type_and_format(
                &typed(&items, $parse).ok_or_else(&mismatch)?,
                ty,
                format,
                &opts,
            )
        };
    }
    match element {
        Type::BOOL => put!(bool_of),
        Type::INT2 => put!(|t: &str| t.parse::<i16>().ok()),
        Type::INT4 => put!(|t: &str| t.parse::<i32>().ok()),
        Type::INT8 => put!(|t: &str| t.parse::<i64>().ok()),
        Type::OID => put!(|t: &str| t.parse::<u32>().ok()),
        Type::FLOAT4 => put!(|t: &str| t.parse::<f32>().ok()),
        Type::FLOAT8 => put!(|t: &str| t.parse::<f64>().ok()),
        Type::NUMERIC => put!(|t: &str| Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .ok()),
        Type::DATE => put!(parse_date),
        Type::TIMESTAMP => put!(parse_timestamp),
        Type::TIMESTAMPTZ => put!(|t: &str| parse_timestamp(t).map(|ts| ts.and_utc())),
        _ => put!(|t: &str| Some(t.to_owned())),
    }
}

/// Binary array parameter `i` of type `ty` as the literal's text.
pub fn decode_binary<S: Clone>(
    portal: &Portal<S>,
    i: usize,
    ty: &Type,
) -> PgWireResult<Option<Value>> {
    fn literal<T>(items: Option<Vec<Option<T>>>, value: impl Fn(T) -> Value) -> Option<Value> {
        items.map(|items| {
            let items: Vec<String> = items
                .into_iter()
                .map(|item| array_element(&item.map_or(Value::Null, &value)))
                .collect();
            Value::Text(format!("{{{}}}", items.join(",")))
        })
    }
    let text = |s: String| Value::Text(s);
    Ok(match element_of(ty) {
        Some(Type::BOOL) => literal(portal.parameter::<Vec<Option<bool>>>(i, ty)?, |b| {
            Value::Integer(b.into())
        }),
        Some(Type::INT2) => literal(portal.parameter::<Vec<Option<i16>>>(i, ty)?, |n| {
            Value::Integer(n.into())
        }),
        Some(Type::INT4) => literal(portal.parameter::<Vec<Option<i32>>>(i, ty)?, |n| {
            Value::Integer(n.into())
        }),
        Some(Type::INT8) => literal(portal.parameter::<Vec<Option<i64>>>(i, ty)?, Value::Integer),
        Some(Type::OID) => literal(portal.parameter::<Vec<Option<u32>>>(i, ty)?, |n| {
            Value::Integer(n.into())
        }),
        Some(Type::FLOAT4) => literal(portal.parameter::<Vec<Option<f32>>>(i, ty)?, |f| {
            Value::Real(f.into())
        }),
        Some(Type::FLOAT8) => literal(portal.parameter::<Vec<Option<f64>>>(i, ty)?, Value::Real),
        Some(Type::NUMERIC) => literal(
            portal.parameter::<Vec<Option<Decimal>>>(i, ty)?,
            |d| match d.to_i64().filter(|_| d.fract().is_zero()) {
                Some(n) => Value::Integer(n),
                None => Value::Text(d.to_string()),
            },
        ),
        Some(Type::DATE) => literal(portal.parameter::<Vec<Option<NaiveDate>>>(i, ty)?, |d| {
            text(d.format("%Y-%m-%d").to_string())
        }),
        Some(Type::TIMESTAMP) => literal(
            portal.parameter::<Vec<Option<NaiveDateTime>>>(i, ty)?,
            |t| text(t.format("%Y-%m-%d %H:%M:%S%.f").to_string()),
        ),
        Some(Type::TIMESTAMPTZ) => literal(
            portal.parameter::<Vec<Option<DateTime<FixedOffset>>>>(i, ty)?,
            |t| text(t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string()),
        ),
        _ => literal(portal.parameter::<Vec<Option<String>>>(i, ty)?, text),
    })
}
