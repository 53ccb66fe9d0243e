//! Numeric functions: `ceil`, `floor`, `trunc`, `round(x, n)`, `power`,
//! `sqrt`, `exp`, `ln`, `log`, `mod`, `div`, `sign`, `greatest`, `least`
//! (NULLs ignored, as in Postgres), the `/` and `%` operators (`pg_div`,
//! `mod`: division by zero is an error, not SQLite's NULL), and the
//! integer/boolean casts (`pg_to_int` rounds as Postgres does instead of
//! truncating).

use std::cmp::Ordering;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};

use super::{arg, range_error, user_error};

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Real(r) => Some(*r),
        Value::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// A number as SQLite's arithmetic reads it: integers stay integers, text
/// that spells a number becomes one.
fn operand(value: Value) -> Option<Value> {
    match value {
        Value::Integer(_) | Value::Real(_) => Some(value),
        Value::Text(t) => match t.trim().parse::<i64>() {
            Ok(i) => Some(Value::Integer(i)),
            Err(_) => t.trim().parse::<f64>().ok().map(Value::Real),
        },
        _ => None,
    }
}

/// A cast to a number type (`type_name`, for the error): numbers pass, text
/// must spell one (SQLite's CAST would make `'abc'` 0 and `'1.5x'` 1.5).
fn to_number(value: Value, type_name: &str) -> rusqlite::Result<Value> {
    match value {
        Value::Blob(_) => Err(user_error(format!("cannot cast type bytea to {type_name}"))),
        Value::Text(t) => operand(Value::Text(t.clone())).ok_or_else(|| {
            user_error(format!(
                "invalid input syntax for type {type_name}: \"{t}\""
            ))
        }),
        other => Ok(other),
    }
}

/// `a / b` as Postgres computes it: integers divide truncating toward zero,
/// a zero divisor raises 22012 (SQLite answers NULL) and
/// `-9223372036854775808 / -1` overflows (22003).
fn divide(a: Value, b: Value) -> rusqlite::Result<Value> {
    by_divisor(a, b, i64::checked_div, |x, y| x / y)
}

/// `a % b` and `mod(a, b)`: the remainder with the dividend's sign; a zero
/// divisor raises 22012.
fn remainder(a: Value, b: Value) -> rusqlite::Result<Value> {
    by_divisor(a, b, |x, y| Some(x.wrapping_rem(y)), |x, y| x % y)
}

/// An operation by a divisor: `int` on two integers (`None`: out of
/// range), `float` otherwise; a zero divisor is an error, a NULL or
/// non-number operand makes NULL.
fn by_divisor(
    a: Value,
    b: Value,
    int: fn(i64, i64) -> Option<i64>,
    float: fn(f64, f64) -> f64,
) -> rusqlite::Result<Value> {
    let zero = || Err(range_error("division by zero"));
    Ok(match (operand(a), operand(b)) {
        (Some(Value::Integer(_)), Some(Value::Integer(0))) => return zero(),
        (Some(Value::Integer(x)), Some(Value::Integer(y))) => {
            Value::Integer(int(x, y).ok_or_else(|| range_error("bigint out of range"))?)
        }
        (Some(x), Some(y)) => match (number(&x), number(&y)) {
            (_, Some(0.0)) => return zero(),
            (Some(x), Some(y)) => Value::Real(float(x, y)),
            _ => Value::Null,
        },
        _ => Value::Null,
    })
}

/// Applies `f` to a float argument; integers stay integers when `f` keeps them whole.
fn unary(value: Value, f: impl Fn(f64) -> f64) -> Value {
    match value {
        Value::Integer(i) => Value::Integer(i),
        other => match number(&other) {
            Some(x) => Value::Real(f(x)),
            None => Value::Null,
        },
    }
}

/// Rounds `x` to `places` decimals (negative: tens, hundreds...), half away from zero.
pub fn round_to(x: f64, places: i64, strategy: RoundingStrategy) -> f64 {
    if places >= 0 {
        let Some(d) = Decimal::from_f64(x) else {
            return x;
        };
        d.round_dp_with_strategy(places.min(28) as u32, strategy)
            .to_f64()
            .unwrap_or(x)
    } else {
        let factor = 10f64.powi((-places).min(300) as i32);
        let scaled = round_to(x / factor, 0, strategy);
        scaled * factor
    }
}

/// Postgres's ordering of two non-NULL values for greatest/least.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (number(a), number(b), a, b) {
        (_, _, Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Some(x), Some(y), _, _) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => Ordering::Equal,
    }
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> rusqlite::Result<()> {
    for name in ["ceil", "ceiling"] {
        conn.create_scalar_function(name, 1, flags, |ctx| Ok(unary(arg(ctx, 0), f64::ceil)))?;
    }
    conn.create_scalar_function("floor", 1, flags, |ctx| Ok(unary(arg(ctx, 0), f64::floor)))?;
    conn.create_scalar_function("trunc", 1, flags, |ctx| Ok(unary(arg(ctx, 0), f64::trunc)))?;
    conn.create_scalar_function("trunc", 2, flags, |ctx| {
        let places = super::int_arg(ctx, 1).unwrap_or(0);
        Ok(unary(arg(ctx, 0), |x| {
            round_to(x, places, RoundingStrategy::ToZero)
        }))
    })?;
    conn.create_scalar_function("round", 1, flags, |ctx| {
        Ok(unary(arg(ctx, 0), |x| {
            round_to(x, 0, RoundingStrategy::MidpointAwayFromZero)
        }))
    })?;
    conn.create_scalar_function("round", 2, flags, |ctx| {
        let Some(places) = super::int_arg(ctx, 1) else {
            return Ok(Value::Null);
        };
        Ok(match arg(ctx, 0) {
            Value::Integer(i) if places >= 0 => Value::Integer(i),
            other => match number(&other) {
                Some(x) => Value::Real(round_to(x, places, RoundingStrategy::MidpointAwayFromZero)),
                None => Value::Null,
            },
        })
    })?;
    for name in ["power", "pow"] {
        conn.create_scalar_function(name, 2, flags, |ctx| {
            Ok(match (number(&arg(ctx, 0)), number(&arg(ctx, 1))) {
                (Some(x), Some(y)) => Some(x.powf(y)),
                _ => None,
            })
        })?;
    }
    conn.create_scalar_function("sqrt", 1, flags, |ctx| match number(&arg(ctx, 0)) {
        Some(x) if x < 0.0 => Err(user_error("cannot take square root of a negative number")),
        Some(x) => Ok(Some(x.sqrt())),
        None => Ok(None),
    })?;
    // Postgres's random() is a float8 in [0, 1); SQLite's is a 64-bit integer.
    conn.create_scalar_function("random", 0, FunctionFlags::SQLITE_UTF8, |_| {
        Ok(rand::random::<f64>())
    })?;
    conn.create_scalar_function(
        "exp",
        1,
        flags,
        |ctx| Ok(number(&arg(ctx, 0)).map(f64::exp)),
    )?;
    conn.create_scalar_function("ln", 1, flags, |ctx| Ok(number(&arg(ctx, 0)).map(f64::ln)))?;
    conn.create_scalar_function("log", 1, flags, |ctx| {
        Ok(number(&arg(ctx, 0)).map(f64::log10))
    })?;
    conn.create_scalar_function("mod", 2, flags, |ctx| remainder(arg(ctx, 0), arg(ctx, 1)))?;
    conn.create_scalar_function("pg_div", 2, flags, |ctx| divide(arg(ctx, 0), arg(ctx, 1)))?;
    conn.create_scalar_function("div", 2, flags, |ctx| {
        Ok(match (number(&arg(ctx, 0)), number(&arg(ctx, 1))) {
            (Some(_), Some(0.0)) => return Err(range_error("division by zero")),
            (Some(x), Some(y)) => Value::Integer((x / y).trunc() as i64),
            _ => Value::Null,
        })
    })?;
    conn.create_scalar_function("sign", 1, flags, |ctx| {
        Ok(match arg(ctx, 0) {
            Value::Integer(i) => Value::Integer(i.signum()),
            other => match number(&other) {
                Some(0.0) => Value::Integer(0),
                Some(x) => Value::Integer(x.signum() as i64),
                None => Value::Null,
            },
        })
    })?;
    for (name, wanted) in [("greatest", Ordering::Greater), ("least", Ordering::Less)] {
        conn.create_scalar_function(name, -1, flags, move |ctx| {
            let mut best: Option<Value> = None;
            for i in 0..ctx.len() {
                let value = arg(ctx, i);
                if matches!(value, Value::Null) {
                    continue;
                }
                best = match best {
                    Some(b) if compare(&value, &b) != wanted => Some(b),
                    _ => Some(value),
                };
            }
            Ok(best.unwrap_or(Value::Null))
        })?;
    }
    // pg_to_int(x, float_rounding): numeric rounds half away from zero,
    // float8 half to even (rint); text must hold an integer.
    conn.create_scalar_function("pg_to_int", 2, flags, |ctx| {
        let half_even = super::int_arg(ctx, 1) == Some(1);
        Ok(match arg(ctx, 0) {
            Value::Null => Value::Null,
            Value::Integer(i) => Value::Integer(i),
            Value::Real(r) => {
                let strategy = if half_even {
                    RoundingStrategy::MidpointNearestEven
                } else {
                    RoundingStrategy::MidpointAwayFromZero
                };
                let rounded = round_to(r, 0, strategy);
                if rounded.abs() >= 9.2e18 {
                    return Err(range_error("integer out of range"));
                }
                Value::Integer(rounded as i64)
            }
            Value::Text(t) => Value::Integer(t.trim().parse().map_err(|_| {
                user_error(format!("invalid input syntax for type integer: \"{t}\""))
            })?),
            Value::Blob(_) => return Err(user_error("cannot cast bytea to integer")),
        })
    })?;
    conn.create_scalar_function("pg_to_float", 1, flags, |ctx| {
        to_number(arg(ctx, 0), "double precision").map(|v| match v {
            Value::Integer(i) => Value::Real(i as f64),
            other => other,
        })
    })?;
    conn.create_scalar_function("pg_to_numeric", 1, flags, |ctx| {
        to_number(arg(ctx, 0), "numeric")
    })?;
    conn.create_scalar_function("pg_to_bool", 1, flags, |ctx| {
        Ok(match arg(ctx, 0) {
            Value::Null => None,
            Value::Integer(i) => Some(i != 0),
            Value::Real(r) => Some(r != 0.0),
            Value::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
                "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
                _ => {
                    return Err(user_error(format!(
                        "invalid input syntax for type boolean: \"{t}\""
                    )));
                }
            },
            Value::Blob(_) => return Err(user_error("cannot cast bytea to boolean")),
        })
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_follows_postgres() {
        let away = RoundingStrategy::MidpointAwayFromZero;
        assert_eq!(round_to(2.5, 0, away), 3.0);
        assert_eq!(round_to(-2.5, 0, away), -3.0);
        assert_eq!(round_to(12.34567, 2, away), 12.35);
        assert_eq!(round_to(1234.5678, -2, away), 1200.0);
        assert_eq!(round_to(2.5, 0, RoundingStrategy::MidpointNearestEven), 2.0);
        assert_eq!(
            compare(&Value::Text("a".into()), &Value::Text("B".into())),
            Ordering::Greater
        );
    }

    #[test]
    fn division_raises_as_postgres_does() {
        let int = Value::Integer;
        assert_eq!(divide(int(-7), int(2)).unwrap(), int(-3));
        assert_eq!(remainder(int(-7), int(3)).unwrap(), int(-1));
        assert_eq!(divide(Value::Real(1.0), int(4)).unwrap(), Value::Real(0.25));
        assert_eq!(divide(Value::Text("9".into()), int(2)).unwrap(), int(4));
        assert_eq!(divide(Value::Null, int(0)).unwrap(), Value::Null);
        for err in [
            divide(int(7), int(0)),
            divide(Value::Real(7.5), Value::Real(0.0)),
            remainder(int(7), int(0)),
        ] {
            assert_eq!(err.unwrap_err().to_string(), "division by zero");
        }
        assert_eq!(
            to_number(Value::Text(" 2 ".into()), "numeric").unwrap(),
            int(2)
        );
        assert_eq!(
            to_number(Value::Text("1.5x".into()), "numeric")
                .unwrap_err()
                .to_string(),
            "invalid input syntax for type numeric: \"1.5x\""
        );
        assert_eq!(
            divide(int(i64::MIN), int(-1)).unwrap_err().to_string(),
            "bigint out of range"
        );
    }
}
