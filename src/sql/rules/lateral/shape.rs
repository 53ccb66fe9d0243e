//! What a LATERAL item becomes, by the shape of what it reads: the relation
//! that takes its place in FROM, the condition a row of it must meet for
//! the outer row, and the expression each of its columns becomes.
//!
//! Every shape keeps the item's subquery whole where it runs (a correlated
//! subquery resolves its names, innermost first, exactly as the lateral
//! one did), and never needs the schema: rows are told apart by rowid.

use std::ops::ControlFlow;

use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{
    BinaryOperator, CaseWhen, Distinct, Expr, FunctionArg, FunctionArgExpr, GroupByExpr, Ident,
    InTarget, ObjectName, ObjectNamePart, OrderByKind, Parens, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableAlias, TableFactor, TableFunctionArgs, Value,
    Values, visit_expressions,
};

use super::super::{
    call, function_name, ident_name, number, output_name, parse_query, select_list_target,
};
use super::{Names, ROWID, alias, table};
use crate::error::{PgError, PgResult};

/// A column of a LATERAL item.
#[derive(Clone)]
pub(super) struct Column {
    /// Its name as references spell it, folded as Postgres folds names.
    pub key: String,
    /// What a reference to it becomes.
    pub expr: Expr,
}

/// A LATERAL item, lowered.
pub(super) struct Lowered {
    /// The item's name in references (its alias, folded).
    pub alias: String,
    /// The relation in its place; `None` for exactly one row, whose columns
    /// are expressions of the outer row alone.
    pub factor: Option<TableFactor>,
    /// What must hold for the item's row to belong to the outer row.
    pub condition: Option<Expr>,
    /// Its columns; empty when `factor` has them itself (`SELECT *`).
    pub columns: Vec<Column>,
}

pub(super) fn lower(factor: TableFactor, names: &mut Names) -> PgResult<Lowered> {
    match factor {
        TableFactor::Derived {
            subquery, alias, ..
        } => {
            let alias =
                alias.ok_or_else(|| PgError::unsupported("LATERAL subqueries without an alias"))?;
            subquery_item(*subquery, alias, names)
        }
        TableFactor::Function {
            name,
            args,
            with_ordinality,
            alias,
            ..
        } => series(&name, &args, with_ordinality, alias, names),
        TableFactor::Table {
            name,
            args: Some(args),
            with_ordinality,
            alias,
            ..
        } => series(&name, &args.args, with_ordinality, alias, names),
        _ => Err(PgError::unsupported("this LATERAL item")),
    }
}

fn subquery_item(mut body: Query, alias: TableAlias, names: &mut Names) -> PgResult<Lowered> {
    // LATERAL items inside first: their rewrite may leave one table here.
    super::rewrite(&mut body, names)?;
    super::super::ordering::fetch_to_limit(&mut body);
    let (keys, single) = match body.body.as_ref() {
        SetExpr::Select(select) => (column_keys(select, &alias), one_row(select, &body)),
        SetExpr::Values(_) => {
            let SetExpr::Values(values) = *body.body else {
                unreachable!()
            };
            return Ok(values_rows(values, alias, names));
        }
        _ => {
            return Err(PgError::unsupported(
                "LATERAL subqueries with UNION, INTERSECT or EXCEPT",
            ));
        }
    };
    if single {
        Ok(one_row_columns(body, &alias, keys))
    } else {
        table_rows(body, alias, keys, names)
    }
}

/// The output names of a subquery's columns: `AS o(a, b)` first, then the
/// select list's aliases and Postgres's names for the rest.
fn column_keys(select: &Select, alias: &TableAlias) -> Vec<String> {
    select
        .projection
        .iter()
        .enumerate()
        .map(|(i, item)| match alias.columns.get(i) {
            Some(column) => ident_name(&column.name),
            None => match item {
                SelectItem::ExprWithAlias { alias, .. } => ident_name(alias),
                SelectItem::UnnamedExpr(expr) => output_name(expr),
                _ => String::new(),
            },
        })
        .collect()
}

/// Whether a SELECT yields exactly one row (or none, by HAVING, LIMIT or a
/// WHERE without FROM): an aggregate without GROUP BY, or no FROM.
fn one_row(select: &Select, body: &Query) -> bool {
    if grouped(select) {
        return false;
    }
    let order_by = body.order_by.iter().flat_map(|o| match &o.kind {
        OrderByKind::Expressions(items) => items.iter().map(|i| &i.expr).collect(),
        OrderByKind::All(_) => Vec::new(),
    });
    let aggregate = select.having.is_some()
        || select
            .projection
            .iter()
            .filter_map(item_expr)
            .chain(order_by)
            .any(has_aggregate);
    select.from.is_empty() || aggregate
}

fn grouped(select: &Select) -> bool {
    !matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty())
}

/// Postgres's aggregates, SQLite's, and the ones graftgres registers.
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "string_agg",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_pop",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "bit_and",
    "bit_or",
    "corr",
    "covar_pop",
    "covar_samp",
    "regr_count",
    "regr_sxx",
    "regr_syy",
    "regr_sxy",
    "regr_avgx",
    "regr_avgy",
    "regr_r2",
    "regr_slope",
    "regr_intercept",
    "group_concat",
    "total",
    "json_group_array",
    "json_group_object",
    // Ours (`sql::functions`), which earlier rules put in place of
    // Postgres's: the numeric rule runs before this one.
    "pg_avg",
    "pg_num_avg",
    "pg_num_sum",
    "pg_var_samp",
    "pg_var_pop",
    "pg_stddev_samp",
    "pg_stddev_pop",
    "pg_percentile_cont",
    "pg_percentile_disc",
    "pg_array_agg",
    "pg_string_agg_distinct",
];

/// An aggregate call in `expr` itself, not in a subquery of it (nor a
/// window function, which keeps the rows).
fn has_aggregate(expr: &Expr) -> bool {
    crate::sql::rules::contains(expr, |expr| {
        matches!(expr, Expr::Function(f) if f.over.is_none()
            && (AGGREGATES.contains(&function_name(f).as_str())
                || f.filter.is_some()
                || !f.within_group.is_empty()))
    })
}

/// A window function in `expr` itself, computed over the subquery's rows.
fn has_window(expr: &Expr) -> bool {
    let mut found = false;
    let _ = visit_expressions(expr, |e| {
        found |= matches!(e, Expr::Function(f) if f.over.is_some());
        ControlFlow::<()>::Continue(())
    });
    found
}

/// One row: each column is the subquery itself with that column alone, a
/// correlated scalar subquery (NULL where HAVING or LIMIT leave no row);
/// the row exists where `EXISTS (subquery)` holds, a condition only when
/// HAVING, LIMIT/OFFSET or a WHERE without FROM can remove it.
fn one_row_columns(body: Query, alias: &TableAlias, keys: Vec<String>) -> Lowered {
    let SetExpr::Select(select) = body.body.as_ref() else {
        unreachable!("one_row is asked of SELECTs only")
    };
    let may_vanish = select.having.is_some()
        || body.limit_clause.is_some()
        || (select.from.is_empty() && select.selection.is_some());
    let columns = select
        .projection
        .iter()
        .zip(keys)
        .filter_map(|(item, key)| {
            let expr = item_expr(item)?;
            let mut column = body.clone();
            column.order_by = None;
            if let SetExpr::Select(select) = column.body.as_mut() {
                select.projection = vec![SelectItem::UnnamedExpr(expr.clone())];
            }
            Some(Column {
                key,
                expr: Expr::Subquery(Box::new(column)),
            })
        })
        .collect();
    Lowered {
        alias: ident_name(&alias.name),
        factor: None,
        condition: may_vanish.then(|| Expr::Exists {
            subquery: Box::new(body),
            negated: false,
        }),
        columns,
    }
}

fn item_expr(item: &SelectItem) -> Option<&Expr> {
    match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
        _ => None,
    }
}

/// Rows of one table `T q`, told apart by rowid: the item becomes
/// `(SELECT rowid FROM T) AS __lateralN` joined on `__lateralN.rowid IN
/// (SELECT q.rowid FROM T q WHERE ... ORDER BY ... LIMIT ...)`, and a
/// column `e` becomes `(SELECT e FROM T q WHERE q.rowid = __lateralN.rowid)`
/// (NULL under a LEFT JOIN that matched nothing). A group (GROUP BY,
/// DISTINCT) is told apart by its least rowid: `IN (SELECT min(q.rowid)
/// ... GROUP BY g)`, each column computed over the group whose least rowid
/// it is (`HAVING min(q.rowid) = __lateralN.rowid`). `SELECT *` keeps the
/// table itself, under the item's alias.
fn table_rows(
    mut body: Query,
    item_alias: TableAlias,
    keys: Vec<String>,
    names: &mut Names,
) -> PgResult<Lowered> {
    let SetExpr::Select(select) = body.body.as_mut() else {
        unreachable!("table_rows is asked of SELECTs only")
    };
    let (table_name, qualifier) = match select.from.as_slice() {
        [single] if single.joins.is_empty() => match &single.relation {
            TableFactor::Table {
                name,
                alias,
                args: None,
                sample: None,
                ..
            } => {
                let qualifier = match (alias, name.0.last()) {
                    (Some(alias), _) => alias.name.clone(),
                    (None, Some(ObjectNamePart::Identifier(ident))) => ident.clone(),
                    _ => return Err(PgError::unsupported("LATERAL over this relation")),
                };
                (name.clone(), qualifier)
            }
            _ => {
                return Err(PgError::unsupported(
                    "LATERAL subqueries that read a subquery or a function",
                ));
            }
        },
        _ => {
            return Err(PgError::unsupported(
                "LATERAL subqueries that read more than one table",
            ));
        }
    };
    let reads_own_cte = |with: &sqlparser::ast::With| {
        with.cte_tables.iter().any(|cte| {
            matches!(table_name.0.as_slice(), [ObjectNamePart::Identifier(t)] if ident_name(t) == ident_name(&cte.alias.name))
        })
    };
    if body.with.as_ref().is_some_and(reads_own_cte) {
        return Err(PgError::unsupported(
            "LATERAL subqueries that read their own CTE",
        ));
    }
    let SetExpr::Select(select) = body.body.as_mut() else {
        unreachable!()
    };
    if matches!(select.distinct, Some(Distinct::On(_))) {
        return Err(PgError::unsupported("DISTINCT ON in a LATERAL subquery"));
    }
    let rowid = Expr::CompoundIdentifier(vec![qualifier.clone(), Ident::new(ROWID)]);
    let wildcard = |item: &SelectItem| match item {
        SelectItem::Wildcard(_) => true,
        SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
            matches!(n.0.as_slice(), [ObjectNamePart::Identifier(i)] if ident_name(i) == ident_name(&qualifier))
        }
        _ => false,
    };
    let distinct = matches!(select.distinct, Some(Distinct::Distinct));
    if distinct && grouped(select) {
        return Err(PgError::unsupported(
            "DISTINCT with GROUP BY in a LATERAL subquery",
        ));
    }
    let grouped = distinct || grouped(select);
    if select.projection.len() == 1 && wildcard(&select.projection[0]) {
        if !item_alias.columns.is_empty() || grouped {
            return Err(PgError::unsupported(
                "LATERAL SELECT * with column aliases, DISTINCT or GROUP BY",
            ));
        }
        select.projection = vec![SelectItem::UnnamedExpr(rowid)];
        let outer_rowid =
            Expr::CompoundIdentifier(vec![item_alias.name.clone(), Ident::new(ROWID)]);
        return Ok(Lowered {
            alias: ident_name(&item_alias.name),
            factor: Some(table(table_name, Some(alias(item_alias.name)))),
            condition: Some(in_subquery(outer_rowid, body)),
            columns: Vec::new(),
        });
    }
    // The select list (which goes), with its own output names: ORDER BY and
    // GROUP BY may name its items.
    let mut items = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }
                if has_window(expr) =>
            {
                return Err(PgError::unsupported(
                    "window functions in a LATERAL subquery's select list",
                ));
            }
            SelectItem::UnnamedExpr(expr) => items.push((expr.clone(), output_name(expr))),
            SelectItem::ExprWithAlias { expr, alias } => {
                items.push((expr.clone(), ident_name(alias)));
            }
            _ => {
                return Err(PgError::unsupported(
                    "LATERAL subqueries that mix * with other columns",
                ));
            }
        }
    }
    let exprs: Vec<Expr> = items.iter().map(|(e, _)| e.clone()).collect();
    if let Some(order_by) = &mut body.order_by
        && let OrderByKind::Expressions(order) = &mut order_by.kind
    {
        for o in order {
            o.expr = select_list_target(&o.expr, &items);
        }
    }
    let SetExpr::Select(select) = body.body.as_mut() else {
        unreachable!()
    };
    if let GroupByExpr::Expressions(group, _) = &mut select.group_by {
        for g in group.iter_mut() {
            *g = select_list_target(g, &items);
        }
        // DISTINCT is a GROUP BY of the whole select list.
        if distinct {
            select.distinct = None;
            *group = exprs.clone();
        }
    }
    let id = names.fresh();
    let representative = Expr::CompoundIdentifier(vec![id.clone(), Ident::new("__lateral_rowid")]);
    let key = if grouped {
        call("min", vec![rowid.clone()])
    } else {
        rowid.clone()
    };
    let picks = Expr::BinaryOp {
        left: Box::new(key.clone()),
        op: BinaryOperator::Eq,
        right: Box::new(representative.clone()),
    };
    // Each column: the subquery around its one row (or group).
    let columns = exprs
        .into_iter()
        .zip(keys)
        .map(|(expr, key)| {
            let mut column = body.clone();
            column.order_by = None;
            column.limit_clause = None;
            if let SetExpr::Select(select) = column.body.as_mut() {
                select.projection = vec![SelectItem::UnnamedExpr(expr)];
                if grouped {
                    select.having = Some(picks.clone());
                } else {
                    select.selection = Some(picks.clone());
                }
            }
            Column {
                key,
                expr: Expr::Subquery(Box::new(column)),
            }
        })
        .collect();
    if let SetExpr::Select(select) = body.body.as_mut() {
        select.projection = vec![SelectItem::UnnamedExpr(key)];
    }
    let mut rowids = parse_query(&format!(
        "SELECT {id}.{ROWID} AS __lateral_rowid FROM __table AS {id}"
    ))
    .ok_or_else(|| PgError::unsupported("this LATERAL subquery"))?;
    if let SetExpr::Select(select) = rowids.body.as_mut()
        && let Some(TableFactor::Table { name, .. }) =
            select.from.first_mut().map(|t| &mut t.relation)
    {
        *name = table_name;
    }
    Ok(Lowered {
        alias: ident_name(&item_alias.name),
        factor: Some(TableFactor::Derived {
            lateral: false,
            subquery: rowids,
            alias: Some(alias(id)),
            sample: None,
        }),
        condition: Some(in_subquery(representative, body)),
        columns,
    })
}

fn in_subquery(expr: Expr, query: Query) -> Expr {
    Expr::In {
        expr: Box::new(expr),
        target: InTarget::Subquery(Box::new(query)),
        negated: false,
        global: false,
    }
}

/// `VALUES (a1, b1), (a2, b2)`: one row is its expressions; several are a
/// constant relation numbering them, `(VALUES (1), (2)) AS __lateralN`,
/// each column `CASE __lateralN.column1 WHEN 1 THEN a1 WHEN 2 THEN a2 END`.
fn values_rows(values: Values, item_alias: TableAlias, names: &mut Names) -> Lowered {
    let width = values.rows.first().map_or(0, |row| row.len());
    let key = |j: usize| {
        item_alias
            .columns
            .get(j)
            .map_or_else(|| format!("column{}", j + 1), |c| ident_name(&c.name))
    };
    let alias_key = ident_name(&item_alias.name);
    if let [row] = values.rows.as_slice() {
        let row: &Vec<Expr> = row;
        return Lowered {
            alias: alias_key,
            factor: None,
            condition: None,
            columns: row
                .iter()
                .enumerate()
                .map(|(j, e)| Column {
                    key: key(j),
                    expr: e.clone(),
                })
                .collect(),
        };
    }
    let id = names.fresh();
    let numbers = Values {
        explicit_row: false,
        value_keyword: false,
        rows: (1..=values.rows.len())
            .map(|i| Parens::with_empty_span(vec![number(i as i64)]))
            .collect(),
    };
    let mut subquery = parse_query("SELECT 1").expect("a valid query");
    *subquery.body = SetExpr::Values(numbers);
    let selector = Expr::CompoundIdentifier(vec![id.clone(), Ident::new("column1")]);
    let columns = (0..width)
        .map(|j| Column {
            key: key(j),
            expr: Expr::Case {
                case_token: AttachedToken::empty(),
                end_token: AttachedToken::empty(),
                operand: Some(Box::new(selector.clone())),
                conditions: values
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, row)| CaseWhen {
                        condition: number(i as i64 + 1),
                        result: row.get(j).cloned().unwrap_or(Expr::value(Value::Null)),
                    })
                    .collect(),
                else_result: None,
            },
        })
        .collect();
    Lowered {
        alias: alias_key,
        factor: Some(TableFactor::Derived {
            lateral: false,
            subquery,
            alias: Some(alias(id)),
            sample: None,
        }),
        condition: None,
        columns,
    }
}

/// `generate_series(a, b[, step])` reading the rows to its left:
/// `json_each(<the series as a JSON array>) AS __lateralN`, its column
/// `__lateralN.value` (and `key + 1` for WITH ORDINALITY).
fn series(
    name: &ObjectName,
    args: &[FunctionArg],
    with_ordinality: bool,
    item_alias: Option<TableAlias>,
    names: &mut Names,
) -> PgResult<Lowered> {
    if !super::super::series::is_series(name) {
        return Err(PgError::unsupported(format!("LATERAL {name}(...)")));
    }
    let json = super::super::series::bounds(args)
        .and_then(|(start, stop, step)| super::super::series::json_array(start, stop, step))
        .ok_or_else(|| PgError::unsupported("this generate_series call"))?;
    let id = names.fresh();
    let (alias_key, columns) = match &item_alias {
        Some(a) => (
            ident_name(&a.name),
            a.columns.iter().map(|c| ident_name(&c.name)).collect(),
        ),
        None => ("generate_series".to_owned(), Vec::new()),
    };
    let value = columns
        .first()
        .cloned()
        .unwrap_or_else(|| alias_key.clone());
    let mut lowered_columns = vec![Column {
        key: value,
        expr: Expr::CompoundIdentifier(vec![id.clone(), Ident::new("value")]),
    }];
    if with_ordinality {
        lowered_columns.push(Column {
            key: columns
                .get(1)
                .cloned()
                .unwrap_or_else(|| "ordinality".to_owned()),
            expr: Expr::BinaryOp {
                left: Box::new(Expr::CompoundIdentifier(vec![
                    id.clone(),
                    Ident::new("key"),
                ])),
                op: BinaryOperator::Plus,
                right: Box::new(number(1)),
            },
        });
    }
    let mut factor = table(
        ObjectName(vec![ObjectNamePart::Identifier(Ident::new("json_each"))]),
        Some(alias(id)),
    );
    if let TableFactor::Table { args, .. } = &mut factor {
        *args = Some(TableFunctionArgs {
            args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(json))],
            settings: None,
        });
    }
    Ok(Lowered {
        alias: alias_key,
        factor: Some(factor),
        condition: None,
        columns: lowered_columns,
    })
}
