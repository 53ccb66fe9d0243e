//! Ordering and row limits: Postgres sorts NULLs last ascending and first
//! descending (SQLite the reverse), so every ORDER BY without NULLS gets
//! it spelled out; `FETCH FIRST n ROWS ONLY` and a bare `OFFSET` become
//! SQLite's `LIMIT ... OFFSET ...`.

use sqlparser::ast::{
    Expr, FunctionArgumentClause, FunctionArguments, LimitClause, NamedWindowExpr, OrderByExpr,
    OrderByKind, OrderBySort, Query, SetExpr, WindowType,
};

use super::number;

fn spell_nulls(items: &mut [OrderByExpr]) {
    for item in items {
        if item.options.nulls_first.is_none() {
            item.options.nulls_first = Some(matches!(item.options.sort, Some(OrderBySort::Desc)));
        }
    }
}

pub fn nulls_like_postgres(query: &mut Query) {
    if let Some(order_by) = &mut query.order_by
        && let OrderByKind::Expressions(items) = &mut order_by.kind
    {
        spell_nulls(items);
    }
    if let SetExpr::Select(select) = query.body.as_mut() {
        for window in &mut select.named_window {
            if let NamedWindowExpr::WindowSpec(spec) = &mut window.1 {
                spell_nulls(&mut spec.order_by);
            }
        }
    }
}

/// ORDER BY inside window specs and aggregate calls.
pub fn nulls_in_function(expr: &mut Expr) {
    let Expr::Function(function) = expr else {
        return;
    };
    if let Some(WindowType::WindowSpec(spec)) = &mut function.over {
        spell_nulls(&mut spec.order_by);
    }
    if let FunctionArguments::List(list) = &mut function.args {
        for clause in &mut list.clauses {
            if let FunctionArgumentClause::OrderBy(items) = clause {
                spell_nulls(items);
            }
        }
    }
}

/// `FETCH FIRST n ROWS ONLY` -> `LIMIT n`; `OFFSET n` alone -> `LIMIT -1 OFFSET n`.
pub fn fetch_to_limit(query: &mut Query) {
    if let Some(fetch) = query.fetch.take() {
        let quantity = fetch.quantity.unwrap_or_else(|| number(1));
        match &mut query.limit_clause {
            Some(LimitClause::LimitOffset { limit, .. }) => *limit = Some(quantity),
            _ => {
                query.limit_clause = Some(LimitClause::LimitOffset {
                    limit: Some(quantity),
                    offset: None,
                    limit_by: Vec::new(),
                })
            }
        }
    }
    if let Some(LimitClause::LimitOffset {
        limit: limit @ None,
        offset: Some(offset),
        ..
    }) = &mut query.limit_clause
    {
        *limit = Some(number(-1));
        offset.rows = sqlparser::ast::OffsetRows::None;
    }
    if let Some(LimitClause::LimitOffset {
        offset: Some(offset),
        ..
    }) = &mut query.limit_clause
    {
        offset.rows = sqlparser::ast::OffsetRows::None;
    }
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn nulls_and_limits_follow_postgres() {
        assert_eq!(
            translate("SELECT a FROM t ORDER BY a, b DESC, c NULLS FIRST").unwrap(),
            "SELECT a FROM t ORDER BY a NULLS LAST, b DESC NULLS FIRST, c NULLS FIRST"
        );
        assert_eq!(
            translate("SELECT a FROM t OFFSET 3 ROWS FETCH FIRST 4 ROWS ONLY").unwrap(),
            "SELECT a FROM t LIMIT 4 OFFSET 3"
        );
        assert_eq!(
            translate("SELECT a FROM t OFFSET 3").unwrap(),
            "SELECT a FROM t LIMIT -1 OFFSET 3"
        );
        assert_eq!(
            translate("SELECT string_agg(a, ',' ORDER BY a DESC) FROM t").unwrap(),
            "SELECT string_agg(a, ',' ORDER BY a DESC NULLS FIRST) FROM t"
        );
    }
}
