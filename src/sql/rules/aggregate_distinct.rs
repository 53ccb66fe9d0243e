//! DISTINCT inside aggregate calls, as Postgres runs them: it sorts an
//! aggregate's inputs by its arguments and drops duplicates, so
//! `array_agg(DISTINCT x)` lists `x` in order, and an ORDER BY inside the
//! call may only sort by arguments (42P10 otherwise). SQLite allows DISTINCT
//! only in one-argument aggregates, so `string_agg(DISTINCT x, d ...)`
//! calls `pg_string_agg_distinct`, which drops repeated (x, d) pairs
//! itself, in the order SQLite feeds them (the call's ORDER BY).

use sqlparser::ast::{
    DuplicateTreatment, Expr, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, OrderByExpr, OrderByOptions,
    visit_expressions_mut,
};

use super::{function_name, ident_name};
use crate::error::{PgError, PgResult, sqlstate};

/// Aggregates whose result shows the order of their inputs.
const ORDERED: [&str; 2] = ["string_agg", "array_agg"];

pub fn rewrite(expr: &mut Expr) -> PgResult<()> {
    let Expr::Function(function) = expr else {
        return Ok(());
    };
    let name = function_name(function);
    let FunctionArguments::List(list) = &mut function.args else {
        return Ok(());
    };
    if list.duplicate_treatment != Some(DuplicateTreatment::Distinct) {
        return Ok(());
    }
    let args: Vec<Expr> = list
        .args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect();
    let order = list.clauses.iter().find_map(|c| match c {
        FunctionArgumentClause::OrderBy(items) => Some(items),
        _ => None,
    });
    match order {
        Some(items) if !items.iter().all(|o| args.iter().any(|a| same(a, &o.expr))) => {
            return Err(PgError::new(
                sqlstate::INVALID_COLUMN_REFERENCE,
                "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
            ));
        }
        Some(_) => {}
        None if ORDERED.contains(&name.as_str()) => {
            list.clauses.push(FunctionArgumentClause::OrderBy(
                args.iter()
                    .map(|a| OrderByExpr {
                        expr: a.clone(),
                        options: OrderByOptions {
                            sort: None,
                            nulls_first: None,
                        },
                        with_fill: None,
                    })
                    .collect(),
            ));
        }
        None => {}
    }
    if name == "string_agg" && args.len() > 1 {
        list.duplicate_treatment = None;
        function.name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(
            "pg_string_agg_distinct",
        ))]);
    }
    Ok(())
}

/// The same expression, reading `t.c` and `c` as one column (Postgres
/// compares the columns they resolve to).
fn same(a: &Expr, b: &Expr) -> bool {
    a == b || columns_by_name(a) == columns_by_name(b)
}

fn columns_by_name(expr: &Expr) -> Expr {
    let mut expr = expr.clone();
    let _ = visit_expressions_mut(&mut expr, |e| {
        let name = match e {
            Expr::CompoundIdentifier(parts) => parts.last().map(ident_name),
            Expr::Identifier(ident) => Some(ident_name(ident)),
            _ => None,
        };
        if let Some(name) = name {
            *e = Expr::Identifier(Ident::new(name));
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    expr
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn distinct_aggregates_sort_and_may_take_two_arguments() {
        assert_eq!(
            translate("SELECT string_agg(DISTINCT city, ',' ORDER BY city) FROM people").unwrap(),
            "SELECT pg_string_agg_distinct(city, ',' ORDER BY city NULLS LAST) FROM people"
        );
        assert_eq!(
            translate("SELECT array_agg(DISTINCT x), count(DISTINCT x) FROM t").unwrap(),
            "SELECT pg_array_agg(DISTINCT x ORDER BY x NULLS LAST), count(DISTINCT x) FROM t"
        );
        assert_eq!(
            translate("SELECT string_agg(DISTINCT t.c, ';' ORDER BY c DESC) FROM t").unwrap(),
            "SELECT pg_string_agg_distinct(t.c, ';' ORDER BY c DESC NULLS FIRST) FROM t"
        );
        let err = translate("SELECT array_agg(DISTINCT city ORDER BY id) FROM people").unwrap_err();
        assert_eq!(err.code, "42P10");
    }
}
