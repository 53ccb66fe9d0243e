//! Exact `numeric`: expressions whose Postgres value a double cannot hold
//! (`sql::exact`: quotients, averages, `power`/`sqrt`/`exp`/`ln`/`log`, long
//! literals, and what is computed from them) become calls of the decimal
//! functions of `sql::functions::numeric`, chosen by the inferred types.
//!
//! # Representation
//!
//! SQLite has no decimal type, and a double has 15-17 significant digits
//! where Postgres gives a quotient 16 to 20 (`1/3.0` is
//! `0.33333333333333333333`) and a display scale per value. So an exact
//! value lives in SQLite as **its Postgres text, under the collation
//! `pg_numeric`** (`pg_num_div(a, b) COLLATE pg_numeric`):
//!
//! - the text keeps every digit and the display scale, so the value leaves
//!   the query exactly as Postgres prints it, in text and (re-encoded by
//!   `wire::encode`) in binary format;
//! - the collation compares two such texts by value, and SQLite carries a
//!   column's collation through derived tables, CTEs, views and set
//!   operations, so ORDER BY, GROUP BY, DISTINCT, UNION/INTERSECT/EXCEPT,
//!   window ORDER BY/PARTITION BY and `min`/`max` order exact values as
//!   numbers wherever they flow;
//! - what the collation cannot reach, this rule rewrites: SQLite orders
//!   any number before any text, so a comparison (`=`, `<`, BETWEEN, IN,
//!   IS DISTINCT FROM, simple CASE) with an exact side lifts the other
//!   sides to decimal text too (`pg_numeric(x)`, literals as text); a set
//!   operation lifts the other branches' column; arithmetic, `sum`, `avg`,
//!   `round`... on an exact operand are decimal functions themselves; a
//!   cast to an integer is `pg_num_to_int` (SQLite would read the text's
//!   leading digits), to `numeric(p,s)` `pg_num_typmod`.
//!
//! The alternatives were worse: keeping doubles inside and formatting only
//! at the top cannot be exact once a value passes through a derived table
//! or a CTE (the digits are gone before they reach the top), and a BLOB
//! encoding would order after every number just as text does, without
//! reading as the value. Plain numeric values (`balance`, `amount * qty`,
//! `sum(amount)`) stay SQLite numbers, so their comparisons still use
//! indexes and prefetch ranges; they become decimals only where they meet
//! an exact operand, lifted at their static scale (`pg_numeric(amount, 2)`)
//! so a NUMERIC(10,2) column's REAL reads back as the decimal it stores.
//!
//! Limits: a plain numeric (not exact) keeps a double's 15 significant
//! digits, as before; a `$n` parameter bound as numeric is a double (or an
//! integer); `stddev`/`variance` of numerics and `percentile_*` over exact
//! values still compute in floating point; NaN and ±Infinity numerics are
//! not supported.

use std::ops::ControlFlow;

use pgwire::api::Type;
use sqlparser::ast::{
    BinaryOperator as B, DataType, ExactNumberInfo, Expr, FunctionArg, FunctionArgExpr,
    FunctionArguments, Ident, InTarget, ObjectName, ObjectNamePart, Query, SelectItem, SetExpr,
    UnaryOperator, Value, VisitMut, VisitorMut,
};

use super::{call, number, string};
use crate::decimal::Decimal;
use crate::sql::exact::{self, Rule, operands};
use crate::sql::functions::numeric::COLLATION;
use crate::sql::types::{
    Scope, from_data_type, function_args, last_part, numeric_scale, pg_column_name,
};

/// Rewrites the exact expressions of `query` (the client's Postgres AST,
/// before the other rules) for the tables `scope` describes.
pub fn rewrite(query: &mut Query, scope: &Scope) {
    let _ = query.visit(&mut Pass {
        scope,
        nodes: Vec::new(),
        queries: Vec::new(),
    });
}

/// What a node was before its children were rewritten.
struct Node {
    rule: Rule,
    /// Static display scales of its [`operands`].
    scales: Vec<Option<u32>>,
}

/// What a query's select lists were before the rewrite, per SELECT (in
/// [`selects`] order) and item: PG's column name and static scale.
type Items = Vec<Vec<(Option<String>, Option<u32>)>>;

struct Pass<'a> {
    scope: &'a Scope,
    nodes: Vec<Node>,
    queries: Vec<Items>,
}

impl VisitorMut for Pass<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let items = selects(&mut query.body)
            .into_iter()
            .map(|select| {
                select
                    .projection
                    .iter()
                    .map(|item| match item {
                        SelectItem::UnnamedExpr(e) => (
                            pg_column_name(e).or_else(|| identifier_name(e)),
                            numeric_scale(e, self.scope),
                        ),
                        SelectItem::ExprWithAlias { expr, .. } => {
                            (None, numeric_scale(expr, self.scope))
                        }
                        _ => (None, None),
                    })
                    .collect()
            })
            .collect();
        self.queries.push(items);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let items = self.queries.pop().unwrap_or_default();
        self.finish_select_lists(query, &items);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let rule = exact::rule(expr, self.scope);
        let scales = match rule {
            Rule::Never => Vec::new(),
            _ => operands(expr)
                .into_iter()
                .map(|e| numeric_scale(e, self.scope))
                .collect(),
        };
        self.nodes.push(Node { rule, scales });
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let Some(node) = self.nodes.pop() else {
            return ControlFlow::Continue(());
        };
        let exact = match node.rule {
            Rule::Never => false,
            Rule::Always => true,
            Rule::AnyOperand => operands(expr).into_iter().any(|e| self.is_exact(e)),
        };
        if exact {
            self.compute_exactly(expr, &node.scales);
        } else {
            self.compare_exactly(expr);
        }
        ControlFlow::Continue(())
    }
}

impl Pass<'_> {
    /// Whether an (already rewritten) expression holds an exact value.
    fn is_exact(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Collate { collation, .. } => is_ours(collation),
            Expr::Nested(inner) => self.is_exact(inner),
            Expr::Identifier(ident) => self.scope.is_exact(None, &ident.value),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                let n = parts.len();
                self.scope
                    .is_exact(Some(&parts[n - 2].value), &parts[n - 1].value)
            }
            Expr::Subquery(query) => first_item(&query.body).is_some_and(|e| self.is_exact(e)),
            _ => false,
        }
    }

    /// An operand for a `pg_num_*` function: exact values as they are,
    /// literals as their exact text, other numbers at their static scale.
    fn argument(&self, expr: Expr, scale: Option<u32>) -> Expr {
        if self.is_exact(&expr) {
            return uncollated(expr);
        }
        // An integer literal is an INTEGER, exact already.
        if matches!(&expr, Expr::Value(v) if matches!(&v.value, Value::Number(n, _) if n.parse::<i64>().is_ok()))
        {
            return expr;
        }
        if let Some(d) = literal(&expr) {
            return string(d.to_string());
        }
        if let Some(text) = numeric_string(&expr) {
            return text;
        }
        match scale {
            Some(s) if s > 0 => call("pg_numeric", vec![expr, number(i64::from(s))]),
            _ => expr,
        }
    }

    /// A value SQLite itself compares or returns next to exact values:
    /// decimal text under the collation.
    fn value(&self, expr: Expr, scale: Option<u32>) -> Expr {
        if self.is_exact(&expr) || is_null(&expr) {
            return expr;
        }
        let text = match literal(&expr) {
            Some(d) => string(d.to_string()),
            None => match scale {
                Some(s) if s > 0 => call("pg_numeric", vec![expr, number(i64::from(s))]),
                _ => call("pg_numeric", vec![expr]),
            },
        };
        collated(text)
    }

    /// Rewrites an exact node whose children are rewritten already.
    fn compute_exactly(&self, expr: &mut Expr, scales: &[Option<u32>]) {
        let scale = |i: usize| scales.get(i).copied().flatten();
        let taken = std::mem::replace(expr, Expr::value(Value::Null));
        *expr = match taken {
            Expr::BinaryOp { left, op, right } => {
                let name = match op {
                    B::Plus => "pg_num_add",
                    B::Minus => "pg_num_sub",
                    B::Multiply => "pg_num_mul",
                    B::Divide => "pg_num_div",
                    B::Modulo => "pg_num_mod",
                    _ => "pg_num_power",
                };
                let args = vec![
                    self.argument(*left, scale(0)),
                    self.argument(*right, scale(1)),
                ];
                collated(call(name, args))
            }
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: inner,
            } => collated(call("pg_num_neg", vec![self.argument(*inner, scale(0))])),
            Expr::UnaryOp { expr: inner, .. } => *inner,
            Expr::Cast {
                expr: inner,
                data_type: DataType::Numeric(info) | DataType::Decimal(info),
                ..
            } => {
                let inner = self.argument(*inner, scale(0));
                match info {
                    ExactNumberInfo::None => collated(call("pg_numeric", vec![inner])),
                    ExactNumberInfo::Precision(p) => typmod(inner, p, 0),
                    ExactNumberInfo::PrecisionAndScale(p, s) => {
                        typmod(inner, p, u64::try_from(s).unwrap_or(0))
                    }
                }
            }
            Expr::Ceil { expr: inner, .. } => {
                collated(call("pg_num_ceil", vec![self.argument(*inner, scale(0))]))
            }
            Expr::Floor { expr: inner, .. } => {
                collated(call("pg_num_floor", vec![self.argument(*inner, scale(0))]))
            }
            Expr::Case {
                case_token,
                end_token,
                operand,
                mut conditions,
                else_result,
            } => {
                let mut i = 0;
                for when in &mut conditions {
                    let result = std::mem::replace(&mut when.result, Expr::value(Value::Null));
                    when.result = self.value(result, scale(i));
                    i += 1;
                }
                let else_result = else_result.map(|e| Box::new(self.value(*e, scale(i))));
                collated(Expr::Case {
                    case_token,
                    end_token,
                    operand,
                    conditions,
                    else_result,
                })
            }
            Expr::Function(mut f) => {
                self.function(&mut f, scales);
                collated(Expr::Function(f))
            }
            Expr::Value(v) => match literal(&Expr::Value(v.clone())) {
                Some(d) => collated(string(d.to_string())),
                None => Expr::Value(v),
            },
            // Nested and the rest: exact through their operand already.
            other => other,
        };
    }

    /// An exact function call: a `pg_num_*` function, or SQLite's own
    /// (`min`, `coalesce`, `lag`...) over lifted arguments.
    fn function(&self, f: &mut sqlparser::ast::Function, scales: &[Option<u32>]) {
        let name = last_part(&f.name);
        let renamed = match name.as_str() {
            "avg" => "pg_num_avg",
            "sum" => "pg_num_sum",
            "power" | "pow" => "pg_num_power",
            "sqrt" => "pg_num_sqrt",
            "exp" => "pg_num_exp",
            "ln" => "pg_num_ln",
            "log" => "pg_num_log",
            "mod" => "pg_num_mod",
            "round" => "pg_num_round",
            "trunc" => "pg_num_trunc",
            "ceil" | "ceiling" => "pg_num_ceil",
            "floor" => "pg_num_floor",
            "abs" => "pg_num_abs",
            "sign" => "pg_num_sign",
            "greatest" => "pg_num_greatest",
            "least" => "pg_num_least",
            // SQLite's: their values are compared or returned as they are.
            _ => "",
        };
        // Which arguments are operands (lifted); `round(x, 2)`'s 2 is not.
        let lifted = function_args(f).len().min(match name.as_str() {
            "coalesce" | "nullif" | "greatest" | "least" | "power" | "pow" | "log" | "mod" => {
                usize::MAX
            }
            _ => 1,
        });
        let FunctionArguments::List(list) = &mut f.args else {
            return;
        };
        let mut operand = 0;
        for arg in &mut list.args {
            let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg else {
                continue;
            };
            let taken = std::mem::replace(e, Expr::value(Value::Null));
            let is_default = matches!(name.as_str(), "lag" | "lead") && operand == 2;
            *e = if operand < lifted {
                if renamed.is_empty() {
                    self.value(taken, scales.get(operand).copied().flatten())
                } else {
                    self.argument(taken, scales.get(operand).copied().flatten())
                }
            } else if is_default {
                self.value(taken, None)
            } else {
                taken
            };
            operand += 1;
        }
        if !renamed.is_empty() {
            f.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(renamed))]);
        }
    }

    /// A comparison with an exact side compares decimal texts.
    fn compare_exactly(&self, expr: &mut Expr) {
        match expr {
            Expr::BinaryOp { left, op, right }
                if matches!(op, B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq)
                    && (self.is_exact(left) || self.is_exact(right)) =>
            {
                self.lift_all([left.as_mut(), right.as_mut()]);
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b)
                if self.is_exact(a) || self.is_exact(b) =>
            {
                self.lift_all([a.as_mut(), b.as_mut()]);
            }
            Expr::Between {
                expr: e, low, high, ..
            } if [&**e, &**low, &**high].iter().any(|x| self.is_exact(x)) => {
                self.lift_all([e.as_mut(), low.as_mut(), high.as_mut()]);
            }
            Expr::In {
                expr: e,
                target: InTarget::List(list),
                ..
            } if self.is_exact(e) || list.iter().any(|x| self.is_exact(x)) => {
                self.lift_all(std::iter::once(e.as_mut()).chain(list.iter_mut()));
            }
            Expr::In {
                expr: e,
                target: InTarget::Subquery(query),
                ..
            } if self.is_exact(&Expr::Subquery(query.clone())) => {
                self.lift_all([e.as_mut()]);
            }
            Expr::Case {
                operand: Some(operand),
                conditions,
                ..
            } if self.is_exact(operand)
                || conditions.iter().any(|c| self.is_exact(&c.condition)) =>
            {
                self.lift_all(
                    std::iter::once(operand.as_mut())
                        .chain(conditions.iter_mut().map(|c| &mut c.condition)),
                );
            }
            Expr::Cast {
                expr: inner,
                data_type,
                ..
            } if self.is_exact(inner)
                && matches!(
                    from_data_type(data_type),
                    Type::INT2 | Type::INT4 | Type::INT8
                ) =>
            {
                let bits = match from_data_type(data_type) {
                    Type::INT2 => 16,
                    Type::INT4 => 32,
                    _ => 64,
                };
                let inner = uncollated(std::mem::replace(inner.as_mut(), Expr::value(Value::Null)));
                *expr = call("pg_num_to_int", vec![inner, number(bits)]);
            }
            _ => {}
        }
    }

    fn lift_all<'e>(&self, exprs: impl IntoIterator<Item = &'e mut Expr>) {
        for e in exprs {
            let taken = std::mem::replace(e, Expr::value(Value::Null));
            *e = self.value(taken, None);
        }
    }

    /// After a query's expressions are rewritten: a set operation's column
    /// that is exact in one branch is made exact in all, and rewritten
    /// unnamed items keep the name Postgres gives them (an outer query may
    /// refer to it).
    fn finish_select_lists(&self, query: &mut Query, items: &Items) {
        let mut selects = selects(&mut query.body);
        let width = selects
            .iter()
            .map(|s| s.projection.len())
            .max()
            .unwrap_or(0);
        let exact_columns: Vec<bool> = (0..width)
            .map(|i| {
                selects.len() > 1
                    && selects.iter().any(|s| match s.projection.get(i) {
                        Some(
                            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. },
                        ) => self.is_exact(e),
                        _ => false,
                    })
            })
            .collect();
        for (select, before) in selects.iter_mut().zip(items) {
            for (i, item) in select.projection.iter_mut().enumerate() {
                let (name, scale) = before.get(i).cloned().unwrap_or((None, None));
                let lift = exact_columns.get(i).copied().unwrap_or(false);
                match item {
                    SelectItem::UnnamedExpr(e) => {
                        let rewritten = lift && !self.is_exact(e) || is_collated_call(e);
                        if lift && !self.is_exact(e) {
                            *e = self.value(e.clone(), scale);
                        }
                        if rewritten && let Some(name) = name {
                            *item = SelectItem::ExprWithAlias {
                                expr: e.clone(),
                                alias: Ident::with_quote('"', name),
                            };
                        }
                    }
                    SelectItem::ExprWithAlias { expr: e, .. } if lift && !self.is_exact(e) => {
                        *e = self.value(e.clone(), scale);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The SELECTs of a query body, left to right through set operations.
fn selects(body: &mut SetExpr) -> Vec<&mut sqlparser::ast::Select> {
    match body {
        SetExpr::Select(select) => vec![select.as_mut()],
        SetExpr::SetOperation { left, right, .. } => {
            let mut all = selects(left);
            all.extend(selects(right));
            all
        }
        SetExpr::Query(query) => selects(&mut query.body),
        _ => Vec::new(),
    }
}

/// The first select item of a query body (a scalar subquery's value).
fn first_item(body: &SetExpr) -> Option<&Expr> {
    match body {
        SetExpr::Select(select) => match select.projection.first()? {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
            _ => None,
        },
        SetExpr::SetOperation { left, .. } => first_item(left),
        SetExpr::Query(query) => first_item(&query.body),
        _ => None,
    }
}

fn identifier_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(ident.value.clone()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
        _ => None,
    }
}

fn is_ours(collation: &ObjectName) -> bool {
    matches!(collation.0.as_slice(), [ObjectNamePart::Identifier(i)] if i.value == COLLATION)
}

fn collated(expr: Expr) -> Expr {
    Expr::Collate {
        expr: Box::new(expr),
        collation: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(COLLATION))]),
    }
}

/// An exact value without its collation (and parentheses), as an
/// argument of our functions.
fn uncollated(expr: Expr) -> Expr {
    match expr {
        Expr::Collate { expr, collation } if is_ours(&collation) => *expr,
        Expr::Nested(inner) if matches!(inner.as_ref(), Expr::Collate { .. } | Expr::Nested(_)) => {
            uncollated(*inner)
        }
        other => other,
    }
}

/// Whether an item is an exact computation of ours (not a column that
/// already held one).
fn is_collated_call(expr: &Expr) -> bool {
    matches!(expr, Expr::Collate { collation, .. } if is_ours(collation))
}

fn is_null(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if matches!(v.value, Value::Null))
}

fn typmod(inner: Expr, precision: u64, scale: u64) -> Expr {
    let (p, s) = (precision.min(1000) as i64, scale.min(1000) as i64);
    collated(call("pg_num_typmod", vec![inner, number(p), number(s)]))
}

/// `'1.5'::numeric` as its text, so a `pg_num_*` function reads it (and
/// refuses what is not a number, as Postgres does; SQLite's CAST would
/// make `'abc'` 0).
fn numeric_string(expr: &Expr) -> Option<Expr> {
    match expr {
        Expr::Cast {
            expr,
            data_type:
                DataType::Numeric(ExactNumberInfo::None) | DataType::Decimal(ExactNumberInfo::None),
            ..
        } => match expr.as_ref() {
            Expr::Value(v) if matches!(v.value, Value::SingleQuotedString(_)) => {
                Some((**expr).clone())
            }
            _ => None,
        },
        _ => None,
    }
}

/// The exact value of a literal operand: `2.50`, `-1`, `'1.5'`,
/// `1.5::numeric`.
fn literal(expr: &Expr) -> Option<Decimal> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Decimal::parse(n).ok(),
            Value::SingleQuotedString(s) => Decimal::parse(s).ok(),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => literal(expr).map(|d| d.neg()),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        }
        | Expr::Nested(expr) => literal(expr),
        Expr::Cast {
            expr,
            data_type:
                DataType::Numeric(ExactNumberInfo::None) | DataType::Decimal(ExactNumberInfo::None),
            ..
        } => literal(expr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::types::build_scope;
    use sqlparser::ast::Statement;

    /// The numeric pass alone, on a table `t(a NUMERIC(10,2), n INTEGER, f REAL)`.
    fn exact(sql: &str) -> String {
        let Statement::Query(mut query) = crate::sql::parse(sql).unwrap().pop().unwrap() else {
            panic!("not a query");
        };
        let scope = build_scope(&query, |table| match table {
            "t" => vec![
                ("a".into(), Some("NUMERIC(10,2)".into())),
                ("n".into(), Some("INTEGER".into())),
                ("f".into(), Some("REAL".into())),
            ],
            _ => Vec::new(),
        });
        rewrite(&mut query, &scope);
        query.to_string()
    }

    #[test]
    fn quotients_and_averages_become_decimal_calls() {
        assert_eq!(
            exact("SELECT 7.0 / 2, n / 2, f / 2, avg(a) FROM t"),
            "SELECT pg_num_div('7.0', 2) COLLATE pg_numeric AS \"?column?\", n / 2, f / 2, \
             pg_num_avg(pg_numeric(a, 2)) COLLATE pg_numeric AS \"avg\" FROM t"
        );
        assert_eq!(
            exact("SELECT (a / n) * 2, round(avg(n), 2) AS r FROM t"),
            "SELECT pg_num_mul(pg_num_div(pg_numeric(a, 2), n), 2) \
             COLLATE pg_numeric AS \"?column?\", pg_num_round(pg_num_avg(n), 2) COLLATE pg_numeric AS r FROM t"
        );
        assert_eq!(
            exact("SELECT sum(n) / count(n), avg(f), a * n FROM t"),
            "SELECT pg_num_div(sum(n), count(n)) COLLATE pg_numeric AS \"?column?\", avg(f), a * n FROM t"
        );
    }

    #[test]
    fn comparisons_and_set_operations_lift_the_other_side() {
        assert_eq!(
            exact("SELECT n FROM t WHERE a / n > 2.5 AND a > 1"),
            "SELECT n FROM t WHERE pg_num_div(pg_numeric(a, 2), n) COLLATE pg_numeric > '2.5' COLLATE pg_numeric AND a > 1"
        );
        assert_eq!(
            exact("SELECT r FROM (SELECT a / n AS r FROM t) s WHERE r BETWEEN 1 AND n"),
            "SELECT r FROM (SELECT pg_num_div(pg_numeric(a, 2), n) COLLATE pg_numeric AS r FROM t) s \
             WHERE r BETWEEN '1' COLLATE pg_numeric AND pg_numeric(n) COLLATE pg_numeric"
        );
        assert_eq!(
            exact("SELECT a FROM t UNION SELECT avg(n) FROM t"),
            "SELECT pg_numeric(a, 2) COLLATE pg_numeric AS \"a\" FROM t UNION \
             SELECT pg_num_avg(n) COLLATE pg_numeric AS \"avg\" FROM t"
        );
        assert_eq!(
            exact("SELECT sum(r), (r * 2)::int FROM (SELECT n / 3.0 AS r FROM t) s"),
            "SELECT pg_num_sum(r) COLLATE pg_numeric AS \"sum\", pg_num_to_int(pg_num_mul(r, 2), 32) \
             FROM (SELECT pg_num_div(n, '3.0') COLLATE pg_numeric AS r FROM t) s"
        );
    }
}
