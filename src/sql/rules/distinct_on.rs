//! `SELECT DISTINCT ON (k...) ... ORDER BY ...`: SQLite has no DISTINCT ON,
//! so the query keeps the first row of each group by `row_number()` over
//! the same ordering, in a subquery:
//! `SELECT c1 AS a, ... FROM (SELECT e1 AS __c1, ..., row_number() OVER
//! (PARTITION BY k ORDER BY o) AS __rn, o1 AS __o1 ...) WHERE __rn = 1
//! ORDER BY __o1 ...`.

use sqlparser::ast::{Distinct, Ident, OrderByKind, Query, SelectItem, SetExpr};

use super::{ident_name, output_name, parse_query, select_list_target};
use crate::error::{PgError, PgResult};

pub fn rewrite(query: &mut Query) -> PgResult<()> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Ok(());
    };
    let Some(Distinct::On(keys)) = &select.distinct else {
        return Ok(());
    };
    let mut inner = select.as_ref().clone();
    inner.distinct = None;
    let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();

    let mut items = Vec::new();
    let mut outer = Vec::new();
    for (i, item) in select.projection.iter().enumerate() {
        let (expr, name) = match item {
            SelectItem::UnnamedExpr(expr) => (expr.clone(), output_name(expr)),
            SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), ident_name(alias)),
            _ => return Err(PgError::unsupported("DISTINCT ON with a * select list")),
        };
        items.push((expr, name.clone()));
        outer.push(format!("__c{i} AS {}", Ident::with_quote('"', name)));
    }
    let order: Vec<(String, String)> = match &query.order_by {
        Some(order_by) => match &order_by.kind {
            OrderByKind::Expressions(list) => list
                .iter()
                .map(|o| {
                    let expr = select_list_target(&o.expr, &items);
                    let mut options = o.options.clone();
                    let direction = {
                        options.nulls_first = options.nulls_first.or(Some(matches!(
                            options.sort,
                            Some(sqlparser::ast::OrderBySort::Desc)
                        )));
                        options.to_string()
                    };
                    (expr.to_string(), direction)
                })
                .collect(),
            OrderByKind::All(_) => {
                return Err(PgError::unsupported("DISTINCT ON with ORDER BY ALL"));
            }
        },
        None => Vec::new(),
    };
    let window_order: Vec<String> = order.iter().map(|(e, d)| format!("{e}{d}")).collect();
    let mut inner_items: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, (e, _))| format!("{e} AS __c{i}"))
        .collect();
    inner_items.push(format!(
        "row_number() OVER (PARTITION BY {}{}) AS __rn",
        keys.join(", "),
        if window_order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", window_order.join(", "))
        }
    ));
    for (j, (e, _)) in order.iter().enumerate() {
        inner_items.push(format!("{e} AS __o{j}"));
    }
    let outer_order: Vec<String> = order
        .iter()
        .enumerate()
        .map(|(j, (_, d))| format!("__o{j}{d}"))
        .collect();
    let template = format!(
        "SELECT {} FROM (SELECT {} FROM __from) AS __distinct_on WHERE __rn = 1{}",
        outer.join(", "),
        inner_items.join(", "),
        if outer_order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", outer_order.join(", "))
        }
    );
    let mut rewritten =
        parse_query(&template).ok_or_else(|| PgError::unsupported("this DISTINCT ON query"))?;
    // Put the original FROM, WHERE, GROUP BY... back into the inner query.
    if let SetExpr::Select(outer_select) = rewritten.body.as_mut()
        && let Some(sqlparser::ast::TableWithJoins {
            relation: sqlparser::ast::TableFactor::Derived { subquery, .. },
            ..
        }) = outer_select.from.first_mut()
        && let SetExpr::Select(inner_select) = subquery.body.as_mut()
    {
        inner.projection = std::mem::take(&mut inner_select.projection);
        **inner_select = inner;
    }
    rewritten.with = query.with.take();
    rewritten.limit_clause = query.limit_clause.take();
    rewritten.fetch = query.fetch.take();
    *query = *rewritten;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn distinct_on_keeps_the_first_row_per_key() {
        assert_eq!(
            translate("SELECT DISTINCT ON (city) city, id FROM people ORDER BY city, id DESC")
                .unwrap(),
            "SELECT __c0 AS \"city\", __c1 AS \"id\" FROM (SELECT city AS __c0, id AS __c1, \
             row_number() OVER (PARTITION BY city ORDER BY city NULLS LAST, id DESC NULLS FIRST) AS __rn, \
             city AS __o0, id AS __o1 FROM people) AS __distinct_on WHERE __rn = 1 \
             ORDER BY __o0 NULLS LAST, __o1 DESC NULLS FIRST"
        );
    }
}
