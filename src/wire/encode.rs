//! Values on the wire: SQLite values encoded as the Postgres type of their
//! column (text or binary format), and bound parameters decoded from theirs.

use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use pgwire::api::Type;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;
use pgwire::types::format::FormatOptions;
use rusqlite::types::Value;

use crate::decimal::Decimal;
use crate::error::{PgError, PgResult, sqlstate};
use crate::exec::Column;

/// Row descriptions for columns sent in `format`.
pub fn fields(columns: &[Column], format: &Format) -> Vec<FieldInfo> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            FieldInfo::new(
                c.name.clone(),
                None,
                None,
                c.ty.clone(),
                format.format_for(i),
            )
            .with_type_size(type_size(&c.ty))
        })
        .collect()
}

fn type_size(ty: &Type) -> i16 {
    match *ty {
        Type::BOOL => 1,
        Type::INT2 => 2,
        Type::INT4 | Type::OID | Type::FLOAT4 | Type::DATE => 4,
        Type::INT8 | Type::FLOAT8 | Type::TIMESTAMP | Type::TIMESTAMPTZ | Type::TIME => 8,
        _ => -1,
    }
}

/// Encodes one row of SQLite values as a DataRow of `fields`.
pub fn encode_row(
    encoder: &mut DataRowEncoder,
    fields: &[FieldInfo],
    row: &[Value],
) -> PgWireResult<DataRow> {
    for (field, value) in fields.iter().zip(row) {
        encode_value(encoder, field, value)?;
    }
    Ok(encoder.take_row())
}

fn encode_value(
    encoder: &mut DataRowEncoder,
    field: &FieldInfo,
    value: &Value,
) -> PgWireResult<()> {
    let ty = field.datatype();
    let format = field.format();
    let opts = FormatOptions::default();
    macro_rules! put {
        ($v:expr) => {
            encoder.encode_field_with_type_and_format(&$v, ty, format, &opts)
        };
    }
    if matches!(value, Value::Null) {
        return put!(None::<i64>);
    }
    let mismatch = || -> pgwire::error::PgWireError {
        PgError::new(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            format!(
                "column \"{}\" holds {} which is not a valid {}",
                field.name(),
                describe(value),
                ty.name()
            ),
        )
        .into()
    };
    match *ty {
        Type::BOOL => put!(as_bool(value).ok_or_else(mismatch)?),
        Type::INT2 => {
            put!(i16::try_from(as_i64(value).ok_or_else(mismatch)?).map_err(|_| mismatch())?)
        }
        Type::INT4 => {
            put!(i32::try_from(as_i64(value).ok_or_else(mismatch)?).map_err(|_| mismatch())?)
        }
        Type::INT8 => put!(as_i64(value).ok_or_else(mismatch)?),
        Type::OID => {
            put!(u32::try_from(as_i64(value).ok_or_else(mismatch)?).map_err(|_| mismatch())?)
        }
        // Text floats as Postgres prints them (`3`, not `3.0`; `1e+20`).
        Type::FLOAT4 | Type::FLOAT8 if format == FieldFormat::Text => {
            put!(format_float(as_f64(value).ok_or_else(mismatch)?))
        }
        Type::FLOAT4 => put!(as_f64(value).ok_or_else(mismatch)? as f32),
        Type::FLOAT8 => put!(as_f64(value).ok_or_else(mismatch)?),
        // Exact numerics arrive as Postgres's own text; numbers of a
        // numeric column as SQLite holds them. Binary is numeric_send's.
        Type::NUMERIC => {
            let decimal = as_decimal(value).ok_or_else(mismatch)?;
            if format == FieldFormat::Text {
                put!(decimal.to_string())
            } else {
                put!(decimal.to_pg_binary())
            }
        }
        Type::BYTEA => put!(as_bytes(value)),
        Type::DATE => put!(parse_date(&as_text(value)).ok_or_else(mismatch)?),
        Type::TIME => {
            let time = NaiveTime::from_str(&as_text(value)).map_err(|_| mismatch())?;
            if format == FieldFormat::Text {
                put!(pg_time_text(time))
            } else {
                put!(time)
            }
        }
        Type::TIMESTAMP | Type::TIMESTAMPTZ => {
            let ts = parse_timestamp(&as_text(value)).ok_or_else(mismatch)?;
            match (format, ty == &Type::TIMESTAMPTZ) {
                // pgwire pads text timestamps to six fractional digits;
                // Postgres prints only the digits that are there.
                (FieldFormat::Text, false) => put!(pg_timestamp_text(ts)),
                (FieldFormat::Text, true) => put!(format!("{}+00", pg_timestamp_text(ts))),
                (_, false) => put!(ts),
                (_, true) => put!(ts.and_utc()),
            }
        }
        // Arrays (array_agg, ARRAY[...]) arrive as Postgres array literals.
        _ if super::array::is_array(ty) => {
            super::array::encode(encoder, ty, format, &as_text(value), mismatch)
        }
        // Other array types: in text format their bytes go out as they are.
        _ if format == FieldFormat::Text && ty.name().starts_with('_') => {
            encoder.encode_field_with_type_and_format(&as_text(value), &Type::TEXT, format, &opts)
        }
        _ if format == FieldFormat::Text || is_textual(ty) => put!(as_text(value)),
        _ => put!(as_text(value)),
    }
}

/// Postgres's text form of a time of day: `HH:MM:SS[.ffffff]`, trailing
/// zeros of the fraction removed.
fn pg_time_text(time: NaiveTime) -> String {
    let micros = time.nanosecond() / 1_000;
    let base = time.format("%H:%M:%S").to_string();
    if micros == 0 {
        base
    } else {
        let fraction = format!("{micros:06}");
        format!("{base}.{}", fraction.trim_end_matches('0'))
    }
}

/// Postgres's text form of a timestamp (DateStyle ISO).
fn pg_timestamp_text(ts: NaiveDateTime) -> String {
    format!("{} {}", ts.format("%Y-%m-%d"), pg_time_text(ts.time()))
}

fn is_textual(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

fn describe(value: &Value) -> String {
    match value {
        Value::Text(t) => format!("\"{}\"", t.chars().take(40).collect::<String>()),
        Value::Blob(b) => format!("a {}-byte blob", b.len()),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Null => "NULL".into(),
    }
}

fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(*i),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => Some(*r as i64),
        Value::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Real(r) => Some(*r),
        Value::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// A numeric value: an INTEGER, a REAL as its shortest round-trip
/// decimal, or decimal text (its digits and scale kept).
fn as_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Integer(i) => Some(Decimal::from_i64(*i)),
        Value::Real(r) => Decimal::from_f64(*r),
        Value::Text(t) => Decimal::parse(t).ok(),
        _ => None,
    }
}

pub(super) fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Integer(i) => Some(*i != 0),
        Value::Real(r) => Some(*r != 0.0),
        Value::Text(t) => match t.trim().to_lowercase().as_str() {
            "t" | "true" | "1" | "yes" | "y" | "on" => Some(true),
            "f" | "false" | "0" | "no" | "n" | "off" => Some(false),
            _ => None,
        },
        Value::Blob(_) | Value::Null => None,
    }
}

fn as_bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::Blob(b) => b.clone(),
        other => as_text(other).into_bytes(),
    }
}

/// The text form of any SQLite value.
fn as_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format_float(*r),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// Postgres's float8 output: shortest round-trip digits, `Infinity`, `NaN`.
pub fn format_float(r: f64) -> String {
    if r.is_nan() {
        "NaN".into()
    } else if r.is_infinite() {
        if r > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        // Shortest round-trip digits; exponent form outside 1e-4..1e15, as
        // Postgres's float8out (`1e+15`, `1.5e-07`).
        let exponent = if r == 0.0 {
            0
        } else {
            r.abs().log10().floor() as i32
        };
        if (-4..15).contains(&exponent) {
            r.to_string()
        } else {
            let text = format!("{r:e}");
            match text.split_once('e') {
                Some((mantissa, exp)) => {
                    let exp: i32 = exp.parse().unwrap_or(0);
                    let sign = if exp < 0 { '-' } else { '+' };
                    format!("{mantissa}e{sign}{:02}", exp.abs())
                }
                None => text,
            }
        }
    }
}

pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

pub(super) fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(ts) = NaiveDateTime::parse_from_str(text, format) {
            return Some(ts);
        }
    }
    if let Ok(ts) = DateTime::parse_from_rfc3339(text) {
        return Some(ts.naive_utc());
    }
    parse_date(text).and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// A numeric parameter (text or numeric_send's binary) as SQLite holds a
/// numeric: an INTEGER when whole, else the nearest REAL.
fn numeric_param<S: Clone>(portal: &Portal<S>, i: usize) -> Result<Option<Value>, String> {
    let Some(bytes) = portal.parameters.get(i).cloned().flatten() else {
        return Ok(None);
    };
    let decimal = match portal.parameter_format.format_for(i) {
        FieldFormat::Binary => Decimal::from_pg_binary(&bytes),
        FieldFormat::Text => Decimal::parse(&String::from_utf8_lossy(&bytes)),
    }
    .map_err(|e| e.to_string())?;
    Ok(Some(match decimal.to_int(64) {
        Ok(i) if decimal.is_integer() => Value::Integer(i),
        _ => Value::Real(decimal.to_f64()),
    }))
}

/// Decodes the bound parameters of a portal as SQLite values.
pub fn decode_params<S: Clone>(portal: &Portal<S>, types: &[Type]) -> PgResult<Vec<Value>> {
    (0..portal.parameter_len())
        .map(|i| {
            let ty = types.get(i).cloned().unwrap_or(Type::TEXT);
            decode_param(portal, i, &ty)
        })
        .collect()
}

fn decode_param<S: Clone>(portal: &Portal<S>, i: usize, ty: &Type) -> PgResult<Value> {
    let bad = |err: pgwire::error::PgWireError| {
        PgError::new(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            format!(
                "invalid input for parameter ${} of type {}: {err}",
                i + 1,
                ty.name()
            ),
        )
    };
    let value = match *ty {
        Type::BOOL => portal
            .parameter::<bool>(i, ty)
            .map_err(bad)?
            .map(|b| Value::Integer(b.into())),
        Type::INT2 => portal
            .parameter::<i16>(i, ty)
            .map_err(bad)?
            .map(|v| Value::Integer(v.into())),
        Type::INT4 => portal
            .parameter::<i32>(i, ty)
            .map_err(bad)?
            .map(|v| Value::Integer(v.into())),
        Type::INT8 => portal
            .parameter::<i64>(i, ty)
            .map_err(bad)?
            .map(Value::Integer),
        Type::OID => portal
            .parameter::<u32>(i, ty)
            .map_err(bad)?
            .map(|v| Value::Integer(v.into())),
        Type::FLOAT4 => portal
            .parameter::<f32>(i, ty)
            .map_err(bad)?
            .map(|v| Value::Real(v.into())),
        Type::FLOAT8 => portal
            .parameter::<f64>(i, ty)
            .map_err(bad)?
            .map(Value::Real),
        Type::NUMERIC => numeric_param(portal, i).map_err(|e| {
            PgError::new(
                sqlstate::INVALID_TEXT_REPRESENTATION,
                format!(
                    "invalid input for parameter ${} of type numeric: {e}",
                    i + 1
                ),
            )
        })?,
        Type::BYTEA => portal
            .parameter::<Vec<u8>>(i, ty)
            .map_err(bad)?
            .map(Value::Blob),
        Type::DATE => portal
            .parameter::<NaiveDate>(i, ty)
            .map_err(bad)?
            .map(|d| Value::Text(d.format("%Y-%m-%d").to_string())),
        Type::TIMESTAMP => portal
            .parameter::<NaiveDateTime>(i, ty)
            .map_err(bad)?
            .map(|t| Value::Text(t.format("%Y-%m-%d %H:%M:%S%.f").to_string())),
        Type::TIMESTAMPTZ => portal
            .parameter::<DateTime<FixedOffset>>(i, ty)
            .map_err(bad)?
            .map(|t| Value::Text(t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string())),
        _ if super::array::is_array(ty) && portal.parameter_format.is_binary(i) => {
            super::array::decode_binary(portal, i, ty).map_err(bad)?
        }
        _ => match portal.parameters.get(i).cloned().flatten() {
            // Text, and types we read as text: the bytes as the client sent them.
            Some(bytes) => Some(Value::Text(String::from_utf8(bytes.to_vec()).map_err(
                |_| {
                    PgError::new(
                        sqlstate::INVALID_TEXT_REPRESENTATION,
                        format!("parameter ${} is not valid UTF-8", i + 1),
                    )
                },
            )?)),
            None => None,
        },
    };
    Ok(value.unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(as_i64(&Value::Text(" 42 ".into())), Some(42));
        assert_eq!(as_i64(&Value::Real(3.0)), Some(3));
        assert_eq!(as_i64(&Value::Real(3.5)), None);
        assert_eq!(as_bool(&Value::Integer(0)), Some(false));
        assert_eq!(as_bool(&Value::Text("t".into())), Some(true));
        assert_eq!(
            as_decimal(&Value::Text("12.50".into())).map(|d| d.to_string()),
            Some("12.50".to_owned())
        );
        assert_eq!(
            as_decimal(&Value::Real(123.45)).map(|d| d.to_string()),
            Some("123.45".to_owned())
        );
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert!(parse_timestamp("2024-02-29 12:30:00.5").is_some());
        assert!(parse_timestamp("2024-02-29T12:30:00Z").is_some());
        assert_eq!(format_float(f64::INFINITY), "Infinity");
        assert_eq!(format_float(1.5), "1.5");
        let ts = parse_timestamp("2000-01-01 00:00:00.250").unwrap();
        assert_eq!(pg_timestamp_text(ts), "2000-01-01 00:00:00.25");
        let ts = parse_timestamp("2024-01-02 03:04:05").unwrap();
        assert_eq!(pg_timestamp_text(ts), "2024-01-02 03:04:05");
        let time = NaiveTime::from_hms_micro_opt(1, 2, 3, 120).unwrap();
        assert_eq!(pg_time_text(time), "01:02:03.00012");
    }
}
