//! Which values of a query graftgres computes as exact decimals.
//!
//! A `numeric` value is *exact* when SQLite's double cannot stand for it:
//! a quotient (`/`, `%`), an `avg`, `power`/`sqrt`/`exp`/`ln`/`log` of a
//! numeric, a literal with more digits than a double holds, and anything
//! numeric computed from an exact operand (`(a / b) * c`, `round(avg(x),
//! 2)`, `coalesce(avg(x), 0)`, `sum` of an exact column). Everything else
//! numeric (`balance`, `amount * qty`, `sum(amount)`) stays a SQLite number
//! printed at its static scale. `rules::numeric` rewrites exact expressions
//! into `pg_num_*` calls and explains their representation; this module is
//! the one definition of the set, so the scope (derived tables, CTEs) and
//! the rewrite agree on it.

use pgwire::api::Type;
use sqlparser::ast::{
    BinaryOperator, DataType, ExactNumberInfo, Expr, Query, SelectItem, SetExpr, UnaryOperator,
    Value,
};

use super::types::{Scope, case_results, function_args, infer, last_part};

/// How a node's value comes to be exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Never (not numeric, or SQLite computes it well).
    Never,
    /// Always: a quotient, an average, a transcendental function.
    Always,
    /// When one of its [`operands`] is exact.
    AnyOperand,
}

/// Significant digits a double keeps for any decimal.
const DOUBLE_DIGITS: usize = 15;

/// Whether a numeric literal has more digits than a double keeps.
pub fn literal_needs_decimal(text: &str) -> bool {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let digits = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|d| *d == b'0')
        .count();
    let digits = if mantissa.contains('.') {
        // Trailing zeros after the point are scale, not precision.
        digits.saturating_sub(mantissa.bytes().rev().take_while(|d| *d == b'0').count())
    } else {
        digits
    };
    digits > DOUBLE_DIGITS
}

/// Whether anything in `query` may compute an exact value (so the numeric
/// rule, which needs the tables' types, has work to do).
pub fn may_be_exact(query: &Query) -> bool {
    use sqlparser::ast::Visit;
    struct Finder(bool);
    impl sqlparser::ast::Visitor for Finder {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> std::ops::ControlFlow<()> {
            self.0 |= match expr {
                Expr::BinaryOp { op, .. } => {
                    matches!(
                        op,
                        BinaryOperator::Divide | BinaryOperator::Modulo | BinaryOperator::PGExp
                    )
                }
                Expr::Value(v) => {
                    matches!(&v.value, Value::Number(n, _) if literal_needs_decimal(n))
                }
                Expr::Cast {
                    expr,
                    data_type: DataType::Numeric(info) | DataType::Decimal(info),
                    ..
                } => {
                    !matches!(info, ExactNumberInfo::None)
                        || matches!(expr.as_ref(), Expr::Value(v)
                            if matches!(&v.value, Value::SingleQuotedString(s) if literal_needs_decimal(s.trim())))
                }
                Expr::Function(f) => matches!(
                    last_part(&f.name).as_str(),
                    "avg" | "power" | "pow" | "sqrt" | "exp" | "ln" | "log" | "mod"
                ),
                _ => false,
            };
            if self.0 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        }
    }
    let mut finder = Finder(false);
    let _ = query.visit(&mut finder);
    finder.0
}

/// The rule of `expr` (as the client wrote it).
pub fn rule(expr: &Expr, scope: &Scope) -> Rule {
    use BinaryOperator as B;
    let numeric = || infer(expr, scope) == Some(Type::NUMERIC);
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) if literal_needs_decimal(n) && numeric() => Rule::Always,
            _ => Rule::Never,
        },
        Expr::BinaryOp { op, .. } => match op {
            B::Divide | B::Modulo | B::PGExp if numeric() => Rule::Always,
            B::Plus | B::Minus | B::Multiply if numeric() => Rule::AnyOperand,
            _ => Rule::Never,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            ..
        }
        | Expr::Nested(_) => Rule::AnyOperand,
        // numeric(p,s) rounds to s and fails beyond p digits, exactly.
        Expr::Cast {
            data_type:
                DataType::Numeric(
                    ExactNumberInfo::Precision(_) | ExactNumberInfo::PrecisionAndScale(..),
                )
                | DataType::Decimal(
                    ExactNumberInfo::Precision(_) | ExactNumberInfo::PrecisionAndScale(..),
                ),
            ..
        } => Rule::Always,
        Expr::Cast {
            expr: inner,
            data_type: DataType::Numeric(_) | DataType::Decimal(_),
            ..
        } => match inner.as_ref() {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) if literal_needs_decimal(s.trim()) => Rule::Always,
                _ => Rule::AnyOperand,
            },
            _ => Rule::AnyOperand,
        },
        Expr::Ceil { .. } | Expr::Floor { .. } if numeric() => Rule::AnyOperand,
        Expr::Case { .. } if numeric() => Rule::AnyOperand,
        Expr::Function(f) => match last_part(&f.name).as_str() {
            "avg" | "power" | "pow" | "sqrt" | "exp" | "ln" | "log" | "mod" if numeric() => {
                Rule::Always
            }
            "sum" | "min" | "max" | "first_value" | "last_value" | "lag" | "lead" | "nth_value"
            | "coalesce" | "nullif" | "greatest" | "least" | "round" | "trunc" | "abs" | "sign"
            | "ceil" | "ceiling" | "floor"
                if numeric() =>
            {
                Rule::AnyOperand
            }
            _ => Rule::Never,
        },
        _ => Rule::Never,
    }
}

/// The children whose exactness a node inherits (and whose values a rewrite
/// lifts to decimals), in order.
pub fn operands(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::BinaryOp { left, right, .. } => vec![left, right],
        Expr::UnaryOp { expr, .. }
        | Expr::Nested(expr)
        | Expr::Cast { expr, .. }
        | Expr::Ceil { expr, .. }
        | Expr::Floor { expr, .. } => vec![expr],
        Expr::Case { .. } => case_results(expr),
        Expr::Function(f) => {
            let args = function_args(f);
            match last_part(&f.name).as_str() {
                "coalesce" | "nullif" | "greatest" | "least" | "power" | "pow" | "log" | "mod" => {
                    args
                }
                _ => args.into_iter().take(1).collect(),
            }
        }
        _ => Vec::new(),
    }
}

/// Whether `expr` (as the client wrote it) is exact.
pub fn is_exact(expr: &Expr, scope: &Scope) -> bool {
    match expr {
        Expr::Identifier(ident) => scope.is_exact(None, &ident.value),
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let n = parts.len();
            scope.is_exact(Some(&parts[n - 2].value), &parts[n - 1].value)
        }
        Expr::Subquery(query) => projection_exact(query, scope).first() == Some(&true),
        _ => match rule(expr, scope) {
            Rule::Never => false,
            Rule::Always => true,
            Rule::AnyOperand => operands(expr).into_iter().any(|e| is_exact(e, scope)),
        },
    }
}

/// Which columns of a query's result are exact: a column of a set
/// operation is when it is in any branch (the rewrite lifts the others).
pub fn projection_exact(query: &Query, scope: &Scope) -> Vec<bool> {
    fn of(body: &SetExpr, scope: &Scope) -> Vec<bool> {
        match body {
            SetExpr::Select(select) => {
                let mut flags = Vec::new();
                for item in &select.projection {
                    match item {
                        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                            flags.push(is_exact(e, scope));
                        }
                        SelectItem::Wildcard(_) => {
                            for alias in super::types::wildcard_aliases(select).unwrap_or_default()
                            {
                                flags.extend(scope.exact_columns(&alias));
                            }
                        }
                        SelectItem::QualifiedWildcard(kind, _) => {
                            let name = kind.to_string();
                            let alias = name.trim_end_matches(".*").rsplit('.').next();
                            let alias = alias.unwrap_or_default().trim_matches('"').to_lowercase();
                            flags.extend(scope.exact_columns(&alias));
                        }
                        _ => flags.push(false),
                    }
                }
                flags
            }
            SetExpr::SetOperation { left, right, .. } => {
                let (l, r) = (of(left, scope), of(right, scope));
                l.iter()
                    .enumerate()
                    .map(|(i, x)| *x || r.get(i).copied().unwrap_or(false))
                    .collect()
            }
            SetExpr::Query(query) => of(&query.body, scope),
            _ => Vec::new(),
        }
    }
    of(&query.body, scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;
    use sqlparser::ast::Statement;

    fn projection(sql: &str, scope: &Scope) -> Vec<bool> {
        match parse(sql).unwrap().pop().unwrap() {
            Statement::Query(q) => projection_exact(&q, scope),
            other => panic!("not a query: {other}"),
        }
    }

    #[test]
    fn quotients_and_averages_are_exact() {
        let mut scope = Scope::default();
        scope.add_table(
            "t",
            &[
                ("a".into(), Some("NUMERIC(10,2)".into())),
                ("n".into(), Some("INTEGER".into())),
                ("f".into(), Some("REAL".into())),
            ],
        );
        assert_eq!(
            projection(
                "SELECT a / 2, n / 2, f / 2, avg(n), avg(f), a * n, round(avg(a), 2), \
                 (a / n) * 2, coalesce(avg(a), 0), sqrt(a), sqrt(n), 1.5, \
                 1.23456789012345678, sum(n) / count(*)",
                &scope
            ),
            [
                true, false, false, true, false, false, true, true, true, true, false, false, true,
                true
            ]
        );
        assert!(literal_needs_decimal("0.1234567890123456"));
        assert!(!literal_needs_decimal("123456789012345.000"));
        assert!(!literal_needs_decimal("0.000000000000001"));
    }
}
