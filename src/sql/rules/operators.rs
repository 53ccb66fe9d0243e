//! Operators SQLite lacks or reads differently: LIKE/ILIKE (case-sensitive,
//! Unicode), regex matches (`~`, `~*`, `!~`, `!~*`), SIMILAR TO, `^`, `|/`,
//! `@`, JSON `->`/`->>`/`#>`/`#>>`/`@>`, `+`/`-` on dates, timestamps
//! and intervals (`pg_add`/`pg_sub`, which also do integer arithmetic with
//! Postgres's overflow error), and `/`/`%` by anything but a non-zero
//! literal (`pg_div`/`mod`, which raise Postgres's division by zero).

use sqlparser::ast::{BinaryOperator, Expr, UnaryOperator, Value};

use super::{call, negate_if, number};
use crate::error::PgResult;

/// Whether an expression is plainly numeric, so `+`/`-` can stay SQLite's.
fn plainly_numeric(expr: &Expr) -> bool {
    match expr {
        Expr::Value(v) => matches!(v.value, Value::Number(..)),
        Expr::Nested(inner) => plainly_numeric(inner),
        Expr::UnaryOp { expr, .. } => plainly_numeric(expr),
        Expr::BinaryOp { left, op, right } => {
            matches!(
                op,
                BinaryOperator::Multiply | BinaryOperator::Divide | BinaryOperator::Modulo
            ) || (plainly_numeric(left) && plainly_numeric(right))
        }
        Expr::Function(f) => matches!(
            super::function_name(f).as_str(),
            "count"
                | "length"
                | "pg_to_int"
                | "pg_div"
                | "pg_to_float"
                | "pg_to_numeric"
                | "mod"
                | "sum"
                | "row_number"
                | "rank"
                | "dense_rank"
        ),
        Expr::Cast { .. } => true,
        _ => false,
    }
}

/// Whether an expression is a number literal other than zero: dividing by
/// one cannot fail, so SQLite's own `/` and `%` serve.
fn nonzero_number(expr: &Expr) -> bool {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<f64>().is_ok_and(|x| x != 0.0),
            _ => false,
        },
        Expr::Nested(inner) => nonzero_number(inner),
        _ => false,
    }
}

pub fn rewrite(expr: &mut Expr) -> PgResult<()> {
    let taken = std::mem::replace(expr, Expr::value(Value::Null));
    *expr = match taken {
        Expr::Like {
            negated,
            expr: e,
            pattern,
            escape_char,
            any: false,
        } => negate_if(negated, like(*e, *pattern, escape_char, 0)),
        Expr::ILike {
            negated,
            expr: e,
            pattern,
            escape_char,
            any: false,
        } => negate_if(negated, like(*e, *pattern, escape_char, 1)),
        Expr::SimilarTo {
            negated,
            expr: e,
            pattern,
            ..
        } => negate_if(negated, call("pg_similar", vec![*e, *pattern])),
        Expr::BinaryOp { left, op, right } => binary(*left, op, *right),
        Expr::UnaryOp {
            op: UnaryOperator::PGSquareRoot,
            expr: e,
        } => call("sqrt", vec![*e]),
        Expr::UnaryOp {
            op: UnaryOperator::PGAbs,
            expr: e,
        } => call("abs", vec![*e]),
        other => other,
    };
    Ok(())
}

fn like(e: Expr, pattern: Expr, escape: Option<Box<Expr>>, insensitive: i64) -> Expr {
    let mut args = vec![e, pattern, number(insensitive)];
    if let Some(escape) = escape {
        args.push(*escape);
    }
    call("pg_like", args)
}

fn binary(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    use BinaryOperator as B;
    let regex = |negated: bool, insensitive: i64, l: Expr, r: Expr| {
        negate_if(negated, call("pg_regex", vec![l, r, number(insensitive)]))
    };
    match op {
        B::PGRegexMatch => regex(false, 0, left, right),
        B::PGRegexIMatch => regex(false, 1, left, right),
        B::PGRegexNotMatch => regex(true, 0, left, right),
        B::PGRegexNotIMatch => regex(true, 1, left, right),
        B::PGExp => call("power", vec![left, right]),
        B::Arrow => call("pg_json_get", vec![left, right, number(0)]),
        B::LongArrow => call("pg_json_get", vec![left, right, number(1)]),
        B::HashArrow => call("pg_json_path", vec![left, right, number(0)]),
        B::HashLongArrow => call("pg_json_path", vec![left, right, number(1)]),
        B::AtArrow => call("pg_jsonb_contains", vec![left, right]),
        B::ArrowAt => call("pg_jsonb_contains", vec![right, left]),
        B::Plus if !(plainly_numeric(&left) && plainly_numeric(&right)) => {
            call("pg_add", vec![left, right])
        }
        B::Minus if !(plainly_numeric(&left) && plainly_numeric(&right)) => {
            call("pg_sub", vec![left, right])
        }
        B::Divide if !nonzero_number(&right) => call("pg_div", vec![left, right]),
        B::Modulo if !nonzero_number(&right) => call("mod", vec![left, right]),
        op => Expr::BinaryOp {
            left: Box::new(left),
            op,
            right: Box::new(right),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn operators_map_to_functions() {
        assert_eq!(
            translate("SELECT a ILIKE 'x%', a NOT LIKE 'y'").unwrap(),
            "SELECT pg_like(a, 'x%', 1), NOT (pg_like(a, 'y', 0))"
        );
        assert_eq!(
            translate("SELECT a ~* 'b', a !~ 'c', 2 ^ 3").unwrap(),
            "SELECT pg_regex(a, 'b', 1), NOT (pg_regex(a, 'c', 0)), power(2, 3)"
        );
        assert_eq!(
            translate("SELECT j -> 'a' ->> 0, j #>> '{a,b}'").unwrap(),
            "SELECT pg_json_get(pg_json_get(j, 'a', 0), 0, 1), pg_json_path(j, '{a,b}', 1)"
        );
        assert_eq!(
            translate("SELECT d + interval '1 day', 1 + 2, a - 1").unwrap(),
            "SELECT pg_add(d, '1 day'), 1 + 2, pg_sub(a, 1)"
        );
        assert_eq!(
            translate("SELECT a / 2, a / b + 1, a % 0.0, 7 % (3)").unwrap(),
            "SELECT a / 2, pg_div(a, b) + 1, mod(a, 0.0), 7 % (3)"
        );
    }
}
