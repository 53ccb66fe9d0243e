//! `generate_series(start, stop[, step])` for integers and timestamps, as a
//! recursive CTE in a derived table (no virtual table needed): in FROM
//! (`generate_series(1, 5) AS g(n)`), and alone in a select list without
//! FROM (`SELECT generate_series(1, 10, 3)`), which is moved into FROM.

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, ObjectNamePart, Query, SelectItem, SetExpr,
    TableAlias, TableFactor,
};

use super::parse_query;

fn is_series(name: &sqlparser::ast::ObjectName) -> bool {
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

/// The series' values as column `column` of a query (a recursive CTE).
pub fn series_query(start: &str, stop: &str, step: &str, column: &str) -> Option<Box<Query>> {
    parse_query(&format!(
        "WITH RECURSIVE __series (v) AS (SELECT {start} WHERE pg_series_ok({start}, {stop}, {step}) \
         UNION ALL SELECT pg_add(v, {step}) FROM __series WHERE pg_series_ok(pg_add(v, {step}), {stop}, {step})) \
         SELECT v AS {column} FROM __series"
    ))
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
    let values: Vec<String> = args
        .args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.to_string()),
            _ => None,
        })
        .collect();
    let (start, stop, step) = match values.as_slice() {
        [a, b] => (a.clone(), b.clone(), "1".to_owned()),
        [a, b, c] => (a.clone(), b.clone(), c.clone()),
        _ => return,
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
    let Some(subquery) = series_query(&start, &stop, &step, &column.to_string()) else {
        return;
    };
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

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn series_become_recursive_ctes() {
        assert_eq!(
            translate("SELECT n FROM generate_series(1, 3) AS g(n)").unwrap(),
            "SELECT n FROM (WITH RECURSIVE __series (v) AS (SELECT 1 WHERE pg_series_ok(1, 3, 1) \
             UNION ALL SELECT pg_add(v, 1) FROM __series WHERE pg_series_ok(pg_add(v, 1), 3, 1)) \
             SELECT v AS n FROM __series) AS g"
        );
        assert!(
            translate("SELECT generate_series(1, 3)")
                .unwrap()
                .contains("AS \"generate_series\"")
        );
    }
}
