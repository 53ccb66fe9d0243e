//! `x op ANY(...)` / `x op ALL(...)`: over an `ARRAY[...]` literal they
//! become `IN`/`NOT IN` lists or OR/AND chains; over a subquery, EXISTS
//! forms; over an array value (a `$n` parameter holding `{1,2,3}`),
//! `pg_array_contains`.

use sqlparser::ast::{BinaryOperator, Expr, InTarget, Query, SetExpr};

use super::{call, negate_if, parse_query};

pub fn rewrite(expr: &mut Expr) {
    let (left, op, right, all) = match expr {
        Expr::AnyOp {
            left,
            compare_op,
            right,
            ..
        } => (left, compare_op.clone(), right, false),
        Expr::AllOp {
            left,
            compare_op,
            right,
        } => (left, compare_op.clone(), right, true),
        _ => return,
    };
    let left = (**left).clone();
    let right = match right.as_ref() {
        Expr::Nested(inner) => (**inner).clone(),
        other => other.clone(),
    };
    let replacement = match right {
        Expr::Array(array) => {
            if matches!(
                (&op, all),
                (BinaryOperator::Eq, false) | (BinaryOperator::NotEq, true)
            ) {
                Some(Expr::In {
                    expr: Box::new(left),
                    target: InTarget::List(array.elem),
                    negated: all,
                    global: false,
                })
            } else {
                array
                    .elem
                    .into_iter()
                    .map(|e| Expr::BinaryOp {
                        left: Box::new(left.clone()),
                        op: op.clone(),
                        right: Box::new(e),
                    })
                    .reduce(|a, b| Expr::BinaryOp {
                        left: Box::new(a),
                        op: if all {
                            BinaryOperator::And
                        } else {
                            BinaryOperator::Or
                        },
                        right: Box::new(b),
                    })
                    .map(|e| Expr::Nested(Box::new(e)))
            }
        }
        Expr::Subquery(query) => subquery(left, &op, *query, all),
        other if matches!(op, BinaryOperator::Eq) && !all => {
            Some(call("pg_array_contains", vec![other, left]))
        }
        other if matches!(op, BinaryOperator::NotEq) && all => Some(negate_if(
            true,
            call("pg_array_contains", vec![other, left]),
        )),
        _ => None,
    };
    if let Some(replacement) = replacement {
        *expr = replacement;
    }
}

fn subquery(left: Expr, op: &BinaryOperator, query: Query, all: bool) -> Option<Expr> {
    if matches!(
        (op, all),
        (BinaryOperator::Eq, false) | (BinaryOperator::NotEq, true)
    ) {
        return Some(Expr::In {
            expr: Box::new(left),
            target: InTarget::Subquery(Box::new(query)),
            negated: all,
            global: false,
        });
    }
    if !matches!(query.body.as_ref(), SetExpr::Select(s) if s.projection.len() == 1) {
        return None;
    }
    let sql = if all {
        format!(
            "NOT EXISTS (SELECT 1 FROM ({query}) AS __all (v) WHERE NOT ({left} {op} __all.v) OR __all.v IS NULL)"
        )
    } else {
        format!("EXISTS (SELECT 1 FROM ({query}) AS __any (v) WHERE {left} {op} __any.v)")
    };
    let parsed = parse_query(&format!("SELECT {sql}"))?;
    match *parsed.body {
        SetExpr::Select(select) => match select.projection.into_iter().next()? {
            sqlparser::ast::SelectItem::UnnamedExpr(e) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn any_and_all_forms() {
        assert_eq!(
            translate("SELECT 1 FROM t WHERE a = ANY(ARRAY[1, 2]) AND b <> ALL(ARRAY[3])").unwrap(),
            "SELECT 1 FROM t WHERE a IN (1, 2) AND b NOT IN (3)"
        );
        assert_eq!(
            translate("SELECT 1 FROM t WHERE a = ANY($1)").unwrap(),
            "SELECT 1 FROM t WHERE pg_array_contains(?1, a)"
        );
        assert_eq!(
            translate("SELECT 1 FROM t WHERE a > ANY (SELECT b FROM u)").unwrap(),
            "SELECT 1 FROM t WHERE EXISTS (SELECT 1 FROM (SELECT b AS v FROM u) AS __any WHERE a > __any.v)"
        );
    }
}
