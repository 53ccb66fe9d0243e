//! Set-returning functions in a select list (`SELECT id, unnest(tags)`,
//! `generate_subscripts(a, 1)`, `generate_series(1, n)`): Postgres gives one
//! row per element, and several such calls in one list advance in step, as
//! many rows as the longest, the shorter ones padded with NULL.
//!
//! SQLite has table-valued functions instead, whose arguments may read the
//! tables before them in FROM. So each call becomes a JSON array of its
//! elements (`graftgres_array_json`, `graftgres_subscripts_json`, a series
//! gathered by `json_group_array`), `graftgres_zip` puts the arrays side by
//! side, `json_each` over that joins the FROM list, and each call reads its
//! element of the current row: `json_extract(graftgres_srf.value, '$[k]')`.
//!
//! The select first moves into a derived table that computes everything
//! but the calls (their arguments included), and the calls expand over its
//! rows: Postgres expands after grouping and window functions, and the
//! select's own names must not meet `json_each`'s columns (`key`, `value`,
//! `id`, ...), which unqualified names would otherwise also find.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident,
    OrderByExpr, OrderByKind, Query, Select, SelectItem, SetExpr, TableAlias, TableFactor,
    TableWithJoins, Value, VisitMut, VisitorMut,
};

use super::series::json_array;
use super::{call, contains, function_name, number, parse_query, string};
use crate::error::{PgError, PgResult};

/// The FROM item the calls read their elements from.
const ELEMENTS: &str = "graftgres_srf";
/// The derived table the select moves into.
const INPUT: &str = "graftgres_srf_input";

/// Expands the set-returning calls in the select lists of `query`'s body.
pub fn expand(query: &mut Query) -> PgResult<()> {
    match query.body.as_mut() {
        SetExpr::Select(select) => {
            expand_select(select, query.order_by.as_mut().map(|o| &mut o.kind))
        }
        body => each_branch(body),
    }
}

/// The selects of a set operation (their ORDER BY is the operation's).
fn each_branch(body: &mut SetExpr) -> PgResult<()> {
    match body {
        SetExpr::Select(select) => expand_select(select, None),
        SetExpr::SetOperation { left, right, .. } => {
            each_branch(left)?;
            each_branch(right)
        }
        _ => Ok(()),
    }
}

fn expand_select(select: &mut Select, order_by: Option<&mut OrderByKind>) -> PgResult<()> {
    if !select.projection.iter().any(|item| match item_expr(item) {
        Some(expr) => contains(expr, is_set_returning),
        None => false,
    }) {
        return Ok(());
    }
    push_down(select, order_by)?;
    let mut calls = Calls::default();
    for item in &mut select.projection {
        if let SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } = item {
            let _ = expr.visit(&mut calls);
        }
    }
    if let Some(err) = calls.error {
        return Err(err);
    }
    let mut elements = parse_query(&format!("SELECT 1 FROM json_each(NULL) AS {ELEMENTS}"))
        .and_then(|q| match *q.body {
            SetExpr::Select(s) => s.from.into_iter().next(),
            _ => None,
        })
        .ok_or_else(|| PgError::internal("set-returning rule: bad FROM template"))?;
    if let TableFactor::Table {
        args: Some(args), ..
    } = &mut elements.relation
    {
        args.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(call(
            "graftgres_zip",
            calls.arrays,
        )))];
    }
    select.from.push(elements);
    Ok(())
}

/// Gives an unnamed item the name Postgres would (`unnest`, `id`), which
/// its rewritten expression would lose (for derived tables and subqueries).
fn name_item(item: &mut SelectItem) {
    let SelectItem::UnnamedExpr(expr) = item else {
        return;
    };
    let alias = match expr {
        Expr::Identifier(ident) => ident.clone(),
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(last) => last.clone(),
            None => return,
        },
        Expr::Function(function) => Ident::new(function_name(function)),
        _ => return,
    };
    *item = SelectItem::ExprWithAlias {
        expr: expr.clone(),
        alias,
    };
}

fn item_expr(item: &SelectItem) -> Option<&Expr> {
    match item {
        SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => Some(expr),
        _ => None,
    }
}

/// `unnest(a)`, `generate_subscripts(a, d[, r])`, `generate_series(a, b[, s])`.
fn is_set_returning(expr: &Expr) -> bool {
    set_returning(expr).is_some()
}

fn set_returning(expr: &Expr) -> Option<(&Function, Vec<&Expr>)> {
    let Expr::Function(function) = expr else {
        return None;
    };
    if function.over.is_some() {
        return None;
    }
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    let args: Vec<&Expr> = list
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let fits = match function_name(function).as_str() {
        "unnest" => args.len() == 1,
        "generate_subscripts" | "generate_series" => matches!(args.len(), 2 | 3),
        _ => false,
    };
    fits.then_some((function, args))
}

/// The JSON array of a call's elements.
fn elements(function: &Function, args: &[&Expr]) -> PgResult<Expr> {
    let owned = || args.iter().map(|a| (*a).clone()).collect::<Vec<_>>();
    Ok(match function_name(function).as_str() {
        "unnest" => call("graftgres_array_json", owned()),
        "generate_subscripts" => call("graftgres_subscripts_json", owned()),
        _ => {
            let step = args.get(2).map_or_else(|| number(1), |s| (*s).clone());
            json_array(args[0].clone(), args[1].clone(), step)
                .ok_or_else(|| PgError::internal("set-returning rule: bad series"))?
        }
    })
}

/// Replaces each call (outside subqueries) by its element of the row and
/// collects the calls' element arrays.
#[derive(Default)]
struct Calls {
    depth: usize,
    arrays: Vec<Expr>,
    error: Option<PgError>,
}

impl VisitorMut for Calls {
    type Break = ();

    fn pre_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if self.depth > 0 {
            return ControlFlow::Continue(());
        }
        let Some((function, args)) = set_returning(expr) else {
            return ControlFlow::Continue(());
        };
        if args.iter().any(|a| contains(a, is_set_returning)) {
            self.error = Some(PgError::unsupported(
                "a set-returning function in the arguments of another",
            ));
            return ControlFlow::Break(());
        }
        match elements(function, &args) {
            Ok(array) => {
                let path = format!("$[{}]", self.arrays.len());
                self.arrays.push(array);
                *expr = call(
                    "json_extract",
                    vec![
                        Expr::CompoundIdentifier(vec![Ident::new(ELEMENTS), Ident::new("value")]),
                        string(path),
                    ],
                );
                ControlFlow::Continue(())
            }
            Err(err) => {
                self.error = Some(err);
                ControlFlow::Break(())
            }
        }
    }
}

/// `SELECT f(unnest(g(x))), agg(y) FROM t GROUP BY ... ORDER BY k` ->
/// `SELECT f(unnest(i.c0)), i.c1 FROM (SELECT g(x) AS c0, agg(y) AS c1,
/// k AS c2 FROM t GROUP BY ...) AS i ORDER BY i.c2`: everything but the
/// calls is computed by the select, which moves into FROM.
fn push_down(select: &mut Select, order_by: Option<&mut OrderByKind>) -> PgResult<()> {
    if matches!(select.distinct, Some(sqlparser::ast::Distinct::On(_))) {
        return Err(PgError::unsupported(
            "DISTINCT ON with a set-returning function in the select list",
        ));
    }
    // `GROUP BY 1` names a select item, which is about to move.
    if let GroupByExpr::Expressions(keys, _) = &mut select.group_by {
        for key in keys {
            if let Some(position) = ordinal(key) {
                match select.projection.get(position).and_then(item_expr) {
                    Some(expr) if !contains(expr, is_set_returning) => *key = expr.clone(),
                    _ => {
                        return Err(PgError::unsupported(
                            "GROUP BY a set-returning function's column",
                        ));
                    }
                }
            }
        }
    }
    select.projection.iter_mut().for_each(name_item);
    let output: Vec<String> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_lowercase()),
            _ => None,
        })
        .collect();
    let mut lift = Lift::default();
    for item in &mut select.projection {
        match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                let _ = expr.visit(&mut lift);
            }
            _ => {
                return Err(PgError::unsupported(
                    "* with a set-returning function in the select list",
                ));
            }
        }
    }
    if let Some(OrderByKind::Expressions(keys)) = order_by {
        for OrderByExpr { expr, .. } in keys {
            let by_output = ordinal(expr).is_some()
                || matches!(expr, Expr::Identifier(i) if output.contains(&i.value.to_lowercase()));
            if !by_output && !contains(expr, is_set_returning) {
                *expr = lift.column(std::mem::replace(expr, Expr::value(Value::Null)));
            }
        }
    }
    let mut inner = select.clone();
    inner.distinct = None;
    inner.projection = lift.items;
    let mut subquery = parse_query("SELECT 1")
        .ok_or_else(|| PgError::internal("set-returning rule: bad template"))?;
    subquery.body = Box::new(SetExpr::Select(Box::new(inner)));
    select.from = vec![TableWithJoins {
        relation: TableFactor::Derived {
            lateral: false,
            subquery,
            alias: Some(TableAlias {
                explicit: true,
                name: Ident::new(INPUT),
                columns: Vec::new(),
                at: None,
            }),
            sample: None,
        },
        joins: Vec::new(),
    }];
    select.selection = None;
    select.group_by = GroupByExpr::Expressions(Vec::new(), Vec::new());
    select.having = None;
    select.named_window = Vec::new();
    Ok(())
}

/// `3` in `GROUP BY 3` / `ORDER BY 3`: select item 2 (from 0).
fn ordinal(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<usize>().ok()?.checked_sub(1),
            _ => None,
        },
        _ => None,
    }
}

/// Moves every largest part of a select item without a set-returning call
/// (and the calls' arguments) into the inner select's list, leaving a
/// reference to its column.
#[derive(Default)]
struct Lift {
    items: Vec<SelectItem>,
}

impl Lift {
    fn column(&mut self, expr: Expr) -> Expr {
        let name = Ident::new(format!("c{}", self.items.len()));
        self.items.push(SelectItem::ExprWithAlias {
            expr,
            alias: name.clone(),
        });
        Expr::CompoundIdentifier(vec![Ident::new(INPUT), name])
    }
}

impl VisitorMut for Lift {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        // A column this pass made (the visit goes on into what it wrote).
        if matches!(expr, Expr::CompoundIdentifier(parts) if parts.first().is_some_and(|p| p.value == INPUT))
        {
            return ControlFlow::Continue(());
        }
        if let Expr::Function(function) = expr
            && is_set_returning(&Expr::Function(function.clone()))
            && let FunctionArguments::List(list) = &mut function.args
        {
            for arg in &mut list.args {
                if let FunctionArg::Unnamed(FunctionArgExpr::Expr(arg)) = arg
                    && !matches!(arg, Expr::Value(_))
                {
                    *arg = self.column(std::mem::replace(arg, number(0)));
                }
            }
        } else if !matches!(expr, Expr::Value(_)) && !contains(expr, is_set_returning) {
            *expr = self.column(std::mem::replace(expr, number(0)));
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn calls_read_their_element_of_a_zipped_row() {
        assert_eq!(
            translate("SELECT id, unnest(keys) AS k, generate_subscripts(keys, 1) FROM t").unwrap(),
            "SELECT graftgres_srf_input.c0 AS id, json_extract(graftgres_srf.value, '$[0]') AS k, \
             json_extract(graftgres_srf.value, '$[1]') AS generate_subscripts \
             FROM (SELECT id AS c0, keys AS c1, keys AS c2 FROM t) AS graftgres_srf_input, \
             json_each(graftgres_zip(graftgres_array_json(graftgres_srf_input.c1), \
             graftgres_subscripts_json(graftgres_srf_input.c2, 1))) AS graftgres_srf"
        );
        // Subqueries expand in their own select list.
        assert_eq!(
            translate("SELECT (SELECT max(x) FROM (SELECT unnest(a) AS x) AS s) FROM t").unwrap(),
            "SELECT (SELECT max(x) FROM (SELECT json_extract(graftgres_srf.value, '$[0]') AS x \
             FROM (SELECT a AS c0) AS graftgres_srf_input, \
             json_each(graftgres_zip(graftgres_array_json(graftgres_srf_input.c0))) AS graftgres_srf) AS s) \
             FROM t"
        );
    }

    #[test]
    fn grouped_selects_expand_after_grouping() {
        assert_eq!(
            translate("SELECT g, unnest(array_agg(x)) + 1 AS u FROM t GROUP BY g ORDER BY g, 2, h")
                .unwrap(),
            "SELECT graftgres_srf_input.c0 AS g, pg_add(json_extract(graftgres_srf.value, '$[0]'), 1) AS u \
             FROM (SELECT g AS c0, pg_array_agg(x) AS c1, h AS c2 FROM t GROUP BY g) AS graftgres_srf_input, \
             json_each(graftgres_zip(graftgres_array_json(graftgres_srf_input.c1))) AS graftgres_srf \
             ORDER BY g NULLS LAST, 2 NULLS LAST, graftgres_srf_input.c2 NULLS LAST"
        );
    }
}
