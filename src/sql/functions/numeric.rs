//! Exact `numeric` arithmetic on SQLite values: the `pg_num_*` functions
//! and aggregates that `rules::numeric` calls for exact expressions, and
//! the `pg_numeric` collation that orders their results.
//!
//! Arguments may be SQLite numbers (an INTEGER is scale 0, a REAL its
//! shortest round-trip decimal) or decimal text from another `pg_num_*`
//! call; results are always Postgres's numeric text (`3.5000000000000000`),
//! so they keep their digits and display scale through SQLite. Errors use
//! Postgres's wording, which `exec::errors` maps to SQLSTATEs (`division by
//! zero` -> 22012, `... out of range`/overflow -> 22003, ...).

use rusqlite::functions::{Aggregate, Context, FunctionFlags, WindowAggregate};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Result};

use super::user_error;
use crate::decimal::{self, Decimal};

/// The collation of exact values (see `rules::numeric`).
pub const COLLATION: &str = "pg_numeric";

fn failed(err: decimal::Error) -> rusqlite::Error {
    user_error(err.to_string())
}

/// A SQLite value as a decimal; `None` for NULL.
pub fn to_decimal(value: ValueRef<'_>) -> Result<Option<Decimal>> {
    Ok(Some(match value {
        ValueRef::Null => return Ok(None),
        ValueRef::Integer(i) => Decimal::from_i64(i),
        ValueRef::Real(r) => Decimal::from_f64(r)
            .ok_or_else(|| user_error(format!("cannot convert {r} to numeric: out of range")))?,
        ValueRef::Text(t) => Decimal::parse(&String::from_utf8_lossy(t)).map_err(failed)?,
        ValueRef::Blob(_) => return Err(user_error("cannot cast type bytea to numeric")),
    }))
}

fn arg(ctx: &Context<'_>, i: usize) -> Result<Option<Decimal>> {
    to_decimal(ctx.get_raw(i))
}

fn text(value: Option<Decimal>) -> Value {
    value.map_or(Value::Null, |d| Value::Text(d.to_string()))
}

type Unary = fn(&Decimal) -> decimal::Result<Decimal>;
type Binary = fn(&Decimal, &Decimal) -> decimal::Result<Decimal>;

fn unary(conn: &Connection, name: &str, flags: FunctionFlags, f: Unary) -> Result<()> {
    conn.create_scalar_function(name, 1, flags, move |ctx| {
        Ok(text(
            arg(ctx, 0)?.map(|x| f(&x)).transpose().map_err(failed)?,
        ))
    })
}

fn binary(conn: &Connection, name: &str, flags: FunctionFlags, f: Binary) -> Result<()> {
    conn.create_scalar_function(name, 2, flags, move |ctx| {
        Ok(text(match (arg(ctx, 0)?, arg(ctx, 1)?) {
            (Some(a), Some(b)) => Some(f(&a, &b).map_err(failed)?),
            _ => None,
        }))
    })
}

/// `round`/`trunc` with an optional number of places (NULL places: NULL).
fn rounding(
    conn: &Connection,
    name: &str,
    flags: FunctionFlags,
    f: fn(&Decimal, i64) -> Decimal,
) -> Result<()> {
    for n_arg in [1, 2] {
        conn.create_scalar_function(name, n_arg, flags, move |ctx| {
            let places = if n_arg == 2 {
                super::int_arg(ctx, 1)
            } else {
                Some(0)
            };
            Ok(text(match (arg(ctx, 0)?, places) {
                (Some(x), Some(places)) => Some(f(&x, places)),
                _ => None,
            }))
        })?;
    }
    Ok(())
}

/// `greatest`/`least`: NULLs ignored, by value.
fn extreme(
    conn: &Connection,
    name: &str,
    flags: FunctionFlags,
    wanted: std::cmp::Ordering,
) -> Result<()> {
    conn.create_scalar_function(name, -1, flags, move |ctx| {
        let mut best: Option<Decimal> = None;
        for i in 0..ctx.len() {
            if let Some(x) = arg(ctx, i)? {
                best = match best {
                    Some(b) if x.cmp_value(&b) != wanted => Some(b),
                    _ => Some(x),
                };
            }
        }
        Ok(text(best))
    })
}

/// The running state of `sum` and `avg`: integers add up in an i128, the
/// rest as a decimal (whose scale is the largest seen, as Postgres's).
#[derive(Default)]
pub struct Total {
    integers: i128,
    decimals: Option<Decimal>,
    count: i64,
}

impl Total {
    fn change(&mut self, value: ValueRef<'_>, sign: i64) -> Result<()> {
        match value {
            ValueRef::Null => return Ok(()),
            ValueRef::Integer(i) => self.integers += i128::from(i) * i128::from(sign),
            other => {
                let Some(x) = to_decimal(other)? else {
                    return Ok(());
                };
                let x = if sign < 0 { x.neg() } else { x };
                self.decimals = Some(match self.decimals.take() {
                    Some(sum) => sum.add(&x),
                    None => x,
                });
            }
        }
        self.count += sign;
        Ok(())
    }

    fn sum(&self) -> Option<Decimal> {
        (self.count > 0).then(|| {
            let integers = Decimal::from_i128(self.integers);
            match &self.decimals {
                Some(d) => integers.add(d),
                None => integers,
            }
        })
    }

    fn avg(&self) -> Result<Option<Decimal>> {
        self.sum()
            .map(|sum| sum.div(&Decimal::from_i64(self.count)))
            .transpose()
            .map_err(failed)
    }
}

/// `sum` (`avg: false`) or `avg` of numerics, as an aggregate and a window function.
struct Accumulate {
    avg: bool,
}

impl Accumulate {
    fn result(&self, acc: Option<&Total>) -> Result<Value> {
        let Some(acc) = acc else {
            return Ok(Value::Null);
        };
        Ok(text(if self.avg { acc.avg()? } else { acc.sum() }))
    }
}

impl Aggregate<Total, Value> for Accumulate {
    fn init(&self, _: &mut Context<'_>) -> Result<Total> {
        Ok(Total::default())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Total) -> Result<()> {
        acc.change(ctx.get_raw(0), 1)
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Total>) -> Result<Value> {
        self.result(acc.as_ref())
    }
}

impl WindowAggregate<Total, Value> for Accumulate {
    fn value(&self, acc: Option<&mut Total>) -> Result<Value> {
        self.result(acc.map(|a| &*a))
    }
    fn inverse(&self, ctx: &mut Context<'_>, acc: &mut Total) -> Result<()> {
        acc.change(ctx.get_raw(0), -1)
    }
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> Result<()> {
    conn.create_collation(COLLATION, decimal::compare_text)?;
    // pg_numeric(x[, scale]): a SQLite value as numeric text, at `scale`
    // decimals when the query says (a NUMERIC(10,2) column's REAL).
    conn.create_scalar_function("pg_numeric", 1, flags, |ctx| Ok(text(arg(ctx, 0)?)))?;
    conn.create_scalar_function("pg_numeric", 2, flags, |ctx| {
        let scale = super::int_arg(ctx, 1).unwrap_or(0);
        Ok(text(arg(ctx, 0)?.map(|x| x.round(scale))))
    })?;
    let binaries: [(&str, Binary); 7] = [
        ("pg_num_add", |a, b| Ok(a.add(b))),
        ("pg_num_sub", |a, b| Ok(a.sub(b))),
        ("pg_num_mul", |a, b| Ok(a.mul(b))),
        ("pg_num_div", Decimal::div),
        ("pg_num_mod", Decimal::rem),
        ("pg_num_power", decimal::power),
        ("pg_num_log", decimal::log),
    ];
    for (name, f) in binaries {
        binary(conn, name, flags, f)?;
    }
    let unaries: [(&str, Unary); 8] = [
        ("pg_num_neg", |x| Ok(x.neg())),
        ("pg_num_abs", |x| Ok(x.abs())),
        ("pg_num_sign", |x| Ok(x.signum())),
        ("pg_num_ceil", |x| Ok(x.ceil())),
        ("pg_num_floor", |x| Ok(x.floor())),
        ("pg_num_sqrt", decimal::sqrt),
        ("pg_num_exp", decimal::exp),
        ("pg_num_ln", decimal::ln),
    ];
    for (name, f) in unaries {
        unary(conn, name, flags, f)?;
    }
    // log(x) is log(10, x).
    unary(conn, "pg_num_log", flags, |x| {
        decimal::log(&Decimal::from_i64(10), x)
    })?;
    rounding(conn, "pg_num_round", flags, Decimal::round)?;
    rounding(conn, "pg_num_trunc", flags, Decimal::trunc)?;
    extreme(conn, "pg_num_greatest", flags, std::cmp::Ordering::Greater)?;
    extreme(conn, "pg_num_least", flags, std::cmp::Ordering::Less)?;
    // pg_num_typmod(x, precision, scale): CAST(x AS numeric(p, s)).
    conn.create_scalar_function("pg_num_typmod", 3, flags, |ctx| {
        let precision = super::int_arg(ctx, 1).unwrap_or(1000).clamp(1, 1000) as u32;
        let scale = super::int_arg(ctx, 2).unwrap_or(0).clamp(0, 1000) as u32;
        Ok(text(
            arg(ctx, 0)?
                .map(|x| x.with_typmod(precision, scale))
                .transpose()
                .map_err(failed)?,
        ))
    })?;
    // pg_num_to_int(x, bits): CAST(x AS int2/int4/int8), half away from zero.
    conn.create_scalar_function("pg_num_to_int", 2, flags, |ctx| {
        let bits = super::int_arg(ctx, 1).unwrap_or(64) as u32;
        arg(ctx, 0)?
            .map(|x| x.to_int(bits))
            .transpose()
            .map_err(failed)
    })?;
    for (name, avg) in [("pg_num_sum", false), ("pg_num_avg", true)] {
        conn.create_window_function(name, 1, flags, Accumulate { avg })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        super::super::register(&conn).unwrap();
        conn
    }

    fn one(conn: &Connection, sql: &str) -> Value {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn functions_compute_in_decimal() {
        let conn = conn();
        let t = |s: &str| Value::Text(s.into());
        assert_eq!(
            one(&conn, "SELECT pg_num_div(1, '3.0')"),
            t("0.33333333333333333333")
        );
        assert_eq!(
            one(&conn, "SELECT pg_num_div(7, 2)"),
            t("3.5000000000000000")
        );
        assert_eq!(one(&conn, "SELECT pg_numeric(100.1, 2)"), t("100.10"));
        assert_eq!(
            one(&conn, "SELECT pg_num_mul(pg_num_div(1, 3), 3)"),
            t("0.99999999999999999999")
        );
        assert_eq!(one(&conn, "SELECT pg_num_round('-2.5')"), t("-3"));
        assert_eq!(
            one(&conn, "SELECT pg_num_to_int('2.5', 32)"),
            Value::Integer(3)
        );
        assert_eq!(one(&conn, "SELECT pg_num_div(NULL, 2)"), Value::Null);
        assert_eq!(
            one(&conn, "SELECT pg_num_greatest('10', NULL, '9.5')"),
            t("10")
        );
        let err = conn.query_row("SELECT pg_num_div(1, 0)", [], |r| r.get::<_, Value>(0));
        assert!(err.unwrap_err().to_string().contains("division by zero"));
    }

    #[test]
    fn aggregates_and_collation_work_on_decimal_text() {
        let conn = conn();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER, v); \
             INSERT INTO t VALUES (1, 10), (2, '9.5'), (3, 2.25), (4, NULL), (5, '-1');",
        )
        .unwrap();
        let t = |s: &str| Value::Text(s.into());
        assert_eq!(one(&conn, "SELECT pg_num_sum(v) FROM t"), t("20.75"));
        assert_eq!(
            one(&conn, "SELECT pg_num_avg(v) FROM t"),
            t("5.1875000000000000")
        );
        assert_eq!(
            one(&conn, "SELECT pg_num_avg(v) FROM t WHERE false"),
            Value::Null
        );
        let sorted: Vec<i64> = conn
            .prepare(
                "SELECT id FROM t WHERE v IS NOT NULL ORDER BY pg_numeric(v) COLLATE pg_numeric",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(sorted, [5, 3, 2, 1]);
        let windowed: Vec<String> = conn
            .prepare("SELECT pg_num_avg(v) OVER (ORDER BY id ROWS 1 PRECEDING) FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(
            windowed,
            [
                "10.0000000000000000",
                "9.7500000000000000",
                "5.8750000000000000",
                "2.2500000000000000",
                "-1.00000000000000000000"
            ]
        );
    }
}
