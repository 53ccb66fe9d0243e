//! `generate_series(start, stop[, step])` for integers and timestamps, as a
//! recursive CTE in a derived table (no virtual table needed): in FROM
//! (`generate_series(1, 5) AS g(n)`), and alone in a select list without
//! FROM (`SELECT generate_series(1, 10, 3)`), which is moved into FROM.
//! Calls whose bounds read other relations are the `lateral` rule's: it
//! turns the same CTE into a JSON array for `json_each` ([`json_array`]).

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, ObjectNamePart, Query, SelectItem, SetExpr,
    TableAlias, TableFactor, visit_expressions_mut,
};

use super::parse_query;

pub(super) fn is_series(name: &sqlparser::ast::ObjectName) -> bool {
    matches!(name.0.last(), Some(ObjectNamePart::Identifier(i)) if i.value.eq_ignore_ascii_case("generate_series"))
}

/// `SELECT generate_series(a, b)` -> `SELECT generate_series FROM generate_series(a, b)`.
pub fn select_list_series(query: &mut Query) {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    if !select.from.is_empty() || select.projection.len() != 1 {
        return;
    }
    let (SelectItem::UnnamedExpr(Expr::Function(f))
    | SelectItem::ExprWithAlias {
        expr: Expr::Function(f),
        ..
    }) = &select.projection[0]
    else {
        return;
    };
    if !is_series(&f.name) {
        return;
    }
    let alias = match &select.projection[0] {
        SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
        _ => "generate_series".to_owned(),
    };
    let Some(from) = parse_query(&format!(
        "SELECT 1 FROM {f} AS {}",
        Ident::with_quote('"', &alias)
    )) else {
        return;
    };
    if let SetExpr::Select(parsed) = *from.body {
        select.from = parsed.from;
        select.projection = vec![SelectItem::UnnamedExpr(Expr::Identifier(
            Ident::with_quote('"', alias),
        ))];
    }
}

pub fn table_function(factor: &mut TableFactor) {
    let TableFactor::Table {
        name,
        args: Some(args),
        alias,
        ..
    } = factor
    else {
        return;
    };
    if !is_series(name) {
        return;
    }
    let Some((start, stop, step)) = bounds(&args.args) else {
        return;
    };
    let (table, column) = match alias {
        Some(alias) => (
            alias.name.clone(),
            alias
                .columns
                .first()
                .map(|c| c.name.clone())
                .unwrap_or_else(|| alias.name.clone()),
        ),
        None => (Ident::new("generate_series"), Ident::new("generate_series")),
    };
    let Some(mut subquery) = counting(start, stop, step, "SELECT __v AS __column FROM __series")
    else {
        return;
    };
    if let SetExpr::Select(select) = subquery.body.as_mut()
        && let Some(SelectItem::ExprWithAlias { alias, .. }) = select.projection.first_mut()
    {
        *alias = column;
    }
    *factor = TableFactor::Derived {
        lateral: false,
        subquery,
        alias: Some(TableAlias {
            explicit: true,
            name: table,
            columns: Vec::new(),
            at: None,
        }),
        sample: None,
    };
}

/// `generate_series(start, stop[, step])`'s arguments, the step 1 by default.
pub(super) fn bounds(args: &[FunctionArg]) -> Option<(Expr, Expr, Expr)> {
    let values: Vec<&Expr> = args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect();
    match values.as_slice() {
        [a, b] => Some(((*a).clone(), (*b).clone(), super::number(1))),
        [a, b, c] => Some(((*a).clone(), (*b).clone(), (*c).clone())),
        _ => None,
    }
}

/// The series as one JSON array (`[1,2,3]`), for `json_each` to turn into
/// rows where the bounds come from the row beside it (a lateral call):
/// a recursive CTE cannot read the other relations of its FROM, but a
/// table-valued function's arguments can.
pub(super) fn json_array(start: Expr, stop: Expr, step: Expr) -> Option<Expr> {
    counting(
        start,
        stop,
        step,
        "SELECT json_group_array(__v) FROM __series",
    )
    .map(Expr::Subquery)
}

/// The recursive CTE counting `__v` from `start` to `stop` by `step`
/// (numbers, or timestamps by intervals, as `pg_add` adds them), then `tail`
/// over it. The bounds are spliced in as expressions, not as text; the
/// column's name is one no bound can mean (`v` could be the caller's).
fn counting(start: Expr, stop: Expr, step: Expr, tail: &str) -> Option<Box<Query>> {
    let mut query = parse_query(&format!(
        "WITH RECURSIVE __series (__v) AS (SELECT __start WHERE pg_series_ok(__start, __stop, __step) \
         UNION ALL SELECT pg_add(__v, __step) FROM __series \
         WHERE pg_series_ok(pg_add(__v, __step), __stop, __step)) {tail}"
    ))?;
    let _ = visit_expressions_mut(query.as_mut(), |expr| {
        if let Expr::Identifier(ident) = expr {
            match ident.value.as_str() {
                "__start" => *expr = start.clone(),
                "__stop" => *expr = stop.clone(),
                "__step" => *expr = step.clone(),
                _ => {}
            }
        }
        ControlFlow::<()>::Continue(())
    });
    Some(query)
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn series_become_recursive_ctes() {
        assert_eq!(
            translate("SELECT n FROM generate_series(1, 3) AS g(n)").unwrap(),
            "SELECT n FROM (WITH RECURSIVE __series (__v) AS (SELECT 1 WHERE pg_series_ok(1, 3, 1) \
             UNION ALL SELECT pg_add(__v, 1) FROM __series WHERE pg_series_ok(pg_add(__v, 1), 3, 1)) \
             SELECT __v AS n FROM __series) AS g"
        );
        assert!(
            translate("SELECT generate_series(1, 3)")
                .unwrap()
                .contains("AS \"generate_series\"")
        );
    }
}
