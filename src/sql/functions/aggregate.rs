//! Aggregates with Postgres semantics: `avg` as Postgres computes it for
//! floats, and for integers of a column whose type is unknown (`pg_avg`;
//! typed numeric averages are `numeric::pg_num_avg`), `stddev`/`variance`
//! families with Postgres's float algorithm, `percentile_cont`/
//! `percentile_disc`, `array_agg` printing a Postgres array literal, and
//! `string_agg(DISTINCT ...)`, which SQLite's DISTINCT (one argument only)
//! cannot express.

use rusqlite::Connection;
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::Value;

use super::arg;
use crate::decimal::Decimal;

#[derive(Default)]
pub struct AvgState {
    int_sum: i128,
    float_sum: f64,
    count: i128,
    all_int: bool,
}

struct Avg;

impl Aggregate<AvgState, Value> for Avg {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<AvgState> {
        Ok(AvgState {
            all_int: true,
            ..Default::default()
        })
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut AvgState) -> rusqlite::Result<()> {
        match arg(ctx, 0) {
            Value::Null => return Ok(()),
            Value::Integer(i) => {
                acc.int_sum += i128::from(i);
                acc.float_sum += i as f64;
            }
            other => {
                acc.all_int = false;
                acc.float_sum += super::text_of(other)
                    .and_then(|t| t.parse::<f64>().ok())
                    .unwrap_or(0.0);
            }
        }
        acc.count += 1;
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<AvgState>) -> rusqlite::Result<Value> {
        Ok(match acc {
            // Integers of a column of unknown type: numeric, as Postgres's
            // avg(bigint). Typed numeric avgs are `pg_num_avg`.
            Some(acc) if acc.count > 0 && acc.all_int => {
                let quotient = Decimal::from_i128(acc.int_sum).div(&Decimal::from_i128(acc.count));
                Value::Text(
                    quotient
                        .map_err(|e| super::user_error(e.to_string()))?
                        .to_string(),
                )
            }
            Some(acc) if acc.count > 0 => Value::Real(acc.float_sum / acc.count as f64),
            _ => Value::Null,
        })
    }
}

/// Youngs-Cramer accumulation, as Postgres's float8_accum.
#[derive(Default)]
pub struct Moments {
    n: f64,
    sx: f64,
    sxx: f64,
}

#[derive(Clone, Copy)]
enum Moment {
    VarSamp,
    VarPop,
    StddevSamp,
    StddevPop,
}

impl Aggregate<Moments, Option<f64>> for Moment {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Moments> {
        Ok(Moments::default())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Moments) -> rusqlite::Result<()> {
        let x = match arg(ctx, 0) {
            Value::Integer(i) => i as f64,
            Value::Real(r) => r,
            _ => return Ok(()),
        };
        acc.n += 1.0;
        acc.sx += x;
        if acc.n > 1.0 {
            let tmp = x * acc.n - acc.sx;
            acc.sxx += tmp * tmp / (acc.n * (acc.n - 1.0));
        }
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Moments>) -> rusqlite::Result<Option<f64>> {
        let Some(m) = acc else { return Ok(None) };
        Ok(match self {
            Moment::VarSamp if m.n > 1.0 => Some(m.sxx / (m.n - 1.0)),
            Moment::StddevSamp if m.n > 1.0 => Some((m.sxx / (m.n - 1.0)).sqrt()),
            Moment::VarPop if m.n > 0.0 => Some(m.sxx / m.n),
            Moment::StddevPop if m.n > 0.0 => Some((m.sxx / m.n).sqrt()),
            _ => None,
        })
    }
}

/// percentile_cont / percentile_disc: (value, fraction, descending).
struct Percentile {
    continuous: bool,
}

#[derive(Default)]
pub struct Collected {
    values: Vec<Value>,
    fraction: Option<f64>,
    descending: bool,
}

fn order(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => {
            let f = |v: &Value| match v {
                Value::Integer(i) => *i as f64,
                Value::Real(r) => *r,
                _ => f64::NAN,
            };
            f(a).partial_cmp(&f(b)).unwrap_or(std::cmp::Ordering::Equal)
        }
    }
}

impl Aggregate<Collected, Value> for Percentile {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Collected> {
        Ok(Collected::default())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Collected) -> rusqlite::Result<()> {
        if acc.fraction.is_none() {
            let fraction: f64 = ctx.get(1)?;
            if !(0.0..=1.0).contains(&fraction) {
                return Err(super::range_error(format!(
                    "percentile value {fraction} is not between 0 and 1"
                )));
            }
            acc.fraction = Some(fraction);
            acc.descending = super::int_arg(ctx, 2) == Some(1);
        }
        let value = arg(ctx, 0);
        if !matches!(value, Value::Null) {
            acc.values.push(value);
        }
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Collected>) -> rusqlite::Result<Value> {
        let Some(mut acc) = acc else {
            return Ok(Value::Null);
        };
        if acc.values.is_empty() {
            return Ok(Value::Null);
        }
        acc.values.sort_by(order);
        if acc.descending {
            acc.values.reverse();
        }
        let fraction = acc.fraction.unwrap_or(0.5);
        let n = acc.values.len();
        if self.continuous {
            let f = |v: &Value| match v {
                Value::Integer(i) => *i as f64,
                Value::Real(r) => *r,
                _ => f64::NAN,
            };
            let position = fraction * (n - 1) as f64;
            let (lo, hi) = (position.floor() as usize, position.ceil() as usize);
            let (a, b) = (f(&acc.values[lo]), f(&acc.values[hi]));
            Ok(Value::Real(a + (b - a) * (position - lo as f64)))
        } else {
            let index = ((fraction * n as f64).ceil() as usize).max(1) - 1;
            Ok(acc.values[index.min(n - 1)].clone())
        }
    }
}

/// An element of a Postgres array literal, quoted when it must be.
pub fn array_element(value: &Value) -> String {
    let text = match value {
        Value::Null => return "NULL".into(),
        Value::Integer(i) => return i.to_string(),
        Value::Real(r) => return crate::wire::encode::format_float(*r),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => format!("\\\\x{}", hex::encode(b)),
    };
    let needs_quotes = text.is_empty()
        || text.eq_ignore_ascii_case("null")
        || text
            .chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
    if needs_quotes {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text
    }
}

struct ArrayAgg;

impl Aggregate<Vec<String>, Option<String>> for ArrayAgg {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Vec<String>> {
        Ok(Vec::new())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Vec<String>) -> rusqlite::Result<()> {
        acc.push(array_element(&arg(ctx, 0)));
        Ok(())
    }
    fn finalize(
        &self,
        _: &mut Context<'_>,
        acc: Option<Vec<String>>,
    ) -> rusqlite::Result<Option<String>> {
        Ok(acc
            .filter(|items| !items.is_empty())
            .map(|items| format!("{{{}}}", items.join(","))))
    }
}

/// `string_agg(DISTINCT value, delimiter)`: each (value, delimiter) pair
/// once, in the order SQLite feeds the rows (the call's ORDER BY). As in
/// Postgres, NULL values are skipped and each value but the first is
/// preceded by its own row's delimiter (a NULL one adds nothing).
struct StringAggDistinct;

#[derive(Default)]
pub struct DistinctText {
    seen: std::collections::HashSet<(Option<String>, Option<String>)>,
    text: Option<String>,
}

impl Aggregate<DistinctText, Option<String>> for StringAggDistinct {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<DistinctText> {
        Ok(DistinctText::default())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut DistinctText) -> rusqlite::Result<()> {
        let value = super::text_of(arg(ctx, 0));
        let delimiter = super::text_of(arg(ctx, 1));
        if !acc.seen.insert((value.clone(), delimiter.clone())) {
            return Ok(());
        }
        let Some(value) = value else {
            return Ok(());
        };
        match &mut acc.text {
            None => acc.text = Some(value),
            Some(text) => {
                text.push_str(delimiter.as_deref().unwrap_or(""));
                text.push_str(&value);
            }
        }
        Ok(())
    }
    fn finalize(
        &self,
        _: &mut Context<'_>,
        acc: Option<DistinctText>,
    ) -> rusqlite::Result<Option<String>> {
        Ok(acc.and_then(|acc| acc.text))
    }
}

/// The elements of a Postgres array literal (`{1,2,"a b",NULL}`), as text.
pub fn parse_array(text: &str) -> Option<Vec<Option<String>>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    let mut chars = inner.chars().peekable();
    while chars.peek().is_some() {
        let mut item = String::new();
        let mut quoted = false;
        if chars.peek() == Some(&'"') {
            quoted = true;
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => item.extend(chars.next()),
                    '"' => break,
                    c => item.push(c),
                }
            }
        }
        for c in chars.by_ref() {
            if c == ',' {
                break;
            }
            item.push(c);
        }
        let item = if quoted { item } else { item.trim().to_owned() };
        items.push(if !quoted && item.eq_ignore_ascii_case("null") {
            None
        } else {
            Some(item)
        });
    }
    Some(items)
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> rusqlite::Result<()> {
    // pg_array_contains('{1,2,3}', x): `x = ANY(array value)`.
    conn.create_scalar_function("pg_array_contains", 2, flags, |ctx| {
        let Some(array) = super::text_of(arg(ctx, 0)) else {
            return Ok(None);
        };
        let Some(needle) = super::text_of(arg(ctx, 1)) else {
            return Ok(None);
        };
        let items = parse_array(&array)
            .ok_or_else(|| super::user_error(format!("malformed array literal: \"{array}\"")))?;
        let numeric = needle.parse::<f64>().ok();
        let found = items.iter().flatten().any(|item| match numeric {
            Some(n) => item.parse::<f64>().ok() == Some(n),
            None => *item == needle,
        });
        Ok(if found {
            Some(true)
        } else if items.iter().any(Option::is_none) {
            None
        } else {
            Some(false)
        })
    })?;
    conn.create_aggregate_function("pg_avg", 1, flags, Avg)?;
    for (name, moment) in [
        ("pg_var_samp", Moment::VarSamp),
        ("pg_var_pop", Moment::VarPop),
        ("pg_stddev_samp", Moment::StddevSamp),
        ("pg_stddev_pop", Moment::StddevPop),
    ] {
        conn.create_aggregate_function(name, 1, flags, moment)?;
    }
    conn.create_aggregate_function(
        "pg_percentile_cont",
        3,
        flags,
        Percentile { continuous: true },
    )?;
    conn.create_aggregate_function(
        "pg_percentile_disc",
        3,
        flags,
        Percentile { continuous: false },
    )?;
    conn.create_aggregate_function("pg_array_agg", 1, flags, ArrayAgg)?;
    conn.create_aggregate_function("pg_string_agg_distinct", 2, flags, StringAggDistinct)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_elements_quote_as_postgres() {
        assert_eq!(array_element(&Value::Text("a b".into())), "\"a b\"");
        assert_eq!(array_element(&Value::Null), "NULL");
    }

    #[test]
    fn string_agg_distinct_keeps_each_pair_once() {
        let conn = Connection::open_in_memory().unwrap();
        super::super::register(&conn).unwrap();
        let agg = |sql: &str| -> Option<String> { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            agg(
                "SELECT pg_string_agg_distinct(column1, ',' ORDER BY column1) \
                 FROM (VALUES ('b'), ('a'), (NULL), ('b'), ('c'))"
            ),
            Some("a,b,c".into())
        );
        assert_eq!(
            agg(
                "SELECT pg_string_agg_distinct(column1, column2 ORDER BY column1, column2) \
                 FROM (VALUES ('a', '-'), ('a', '+'), ('a', '+'), ('b', NULL))"
            ),
            Some("a-ab".into())
        );
        assert_eq!(
            agg("SELECT pg_string_agg_distinct(v, ',') FROM (SELECT NULL AS v)"),
            None
        );
    }
}
