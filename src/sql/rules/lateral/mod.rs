//! LATERAL: SQLite has no lateral joins (a subquery in FROM cannot read the
//! relations beside it), but a correlated subquery may sit in an ON clause,
//! a select list or a WHERE, and a table-valued function's arguments may
//! read the rows to their left. So each LATERAL item becomes an ordinary
//! relation plus the condition tying its rows to the outer row, and every
//! reference to its columns becomes an expression over that relation
//! ([`shape`] decides both from the item's subquery, [`columns`] replaces
//! the references):
//!
//! - rows of one table (`SELECT amount FROM orders WHERE person_id = p.id
//!   ORDER BY amount DESC LIMIT 1`): the table's rowids, joined `ON rowid IN
//!   (SELECT rowid FROM orders WHERE ... ORDER BY ... LIMIT 1)`, each column
//!   looked up by rowid;
//! - one row (an aggregate without GROUP BY, a SELECT without FROM): no
//!   relation at all, each column a correlated scalar subquery;
//! - `generate_series(1, p.n)` and `VALUES` lists.
//!
//! CROSS JOIN, `,` and INNER JOIN keep the condition as a join condition;
//! LEFT JOIN keeps the outer row with NULLs, as the lookups give NULL when
//! no row matched. Shapes with no such translation answer 0A000 naming the
//! construct.

mod columns;
mod shape;

use sqlparser::ast::{
    BinaryOperator, Expr, Ident, JoinConstraint, JoinOperator, ObjectName, ObjectNamePart, Query,
    Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, TableAlias, TableFactor,
    TableWithJoins, Value, WildcardAdditionalOptions,
};

use crate::error::{PgError, PgResult};
use shape::Lowered;

/// SQLite's own name for a rowid, in every reference the rewrite makes: a
/// LATERAL over a view, a CTE or a WITHOUT ROWID table fails on it, and
/// `exec::errors` recognises the failure by it (Postgres clients never
/// write `_rowid_`).
pub(crate) const ROWID: &str = "_rowid_";

/// Fresh relation names (`__lateral1`, ...), unique in a statement so a
/// reference copied into a nested query never meets a namesake.
#[derive(Default)]
pub(crate) struct Names(usize);

impl Names {
    fn fresh(&mut self) -> Ident {
        self.0 += 1;
        Ident::new(format!("__lateral{}", self.0))
    }
}

/// Rewrites the LATERAL items of a query's SELECTs (both sides of set
/// operations); nested queries are the visit's, when it enters them.
pub(crate) fn rewrite(query: &mut Query, names: &mut Names) -> PgResult<()> {
    match query.body.as_mut() {
        SetExpr::Select(select) => rewrite_select(select, query.order_by.as_mut(), names),
        body => rewrite_set_operation(body, names),
    }
}

fn rewrite_set_operation(body: &mut SetExpr, names: &mut Names) -> PgResult<()> {
    match body {
        SetExpr::Select(select) => rewrite_select(select, None, names),
        SetExpr::SetOperation { left, right, .. } => {
            rewrite_set_operation(left, names)?;
            rewrite_set_operation(right, names)
        }
        _ => Ok(()),
    }
}

/// Where a FROM item sits: `from[i]` itself, or its `k`th join.
#[derive(Clone, Copy)]
pub(super) struct Position {
    pub item: usize,
    pub join: Option<usize>,
}

/// How a LATERAL item meets the rows to its left.
enum Meet {
    /// `,` or `CROSS JOIN`, or `JOIN ... ON c`: rows without a match go.
    Inner(Option<Expr>),
    /// `LEFT JOIN ... ON c`: they stay, with NULLs.
    Left(Option<Expr>),
}

fn rewrite_select(
    select: &mut Select,
    mut order_by: Option<&mut sqlparser::ast::OrderBy>,
    names: &mut Names,
) -> PgResult<()> {
    // Nothing is left of the first item: it is an ordinary derived table.
    if let Some(TableFactor::Derived { lateral, .. }) =
        select.from.first_mut().map(|t| &mut t.relation)
    {
        *lateral = false;
    }
    let positions = lateral_positions(select);
    if positions.is_empty() {
        return Ok(());
    }
    expand_wildcard(select)?;
    let mut vanished = Vec::new();
    for position in positions {
        let factor = std::mem::replace(factor_at(select, position), placeholder());
        let meet = meet(select, position)?;
        let lowered = shape::lower(factor, names)?;
        if !place(
            select,
            order_by.as_deref_mut(),
            position,
            meet,
            lowered,
            names,
        )? {
            vanished.push(position);
        }
    }
    // Last first, so the positions still to remove stay valid.
    for position in vanished.into_iter().rev() {
        match position.join {
            Some(k) => {
                select.from[position.item].joins.remove(k);
            }
            None => {
                select.from.remove(position.item);
            }
        }
    }
    Ok(())
}

/// The LATERAL items of a SELECT's FROM, left to right. A call of
/// generate_series whose bounds read columns is one even without the
/// keyword (Postgres reads functions in FROM laterally), and so is one
/// WITH ORDINALITY, which the recursive CTE of `series` has no column for.
fn lateral_positions(select: &Select) -> Vec<Position> {
    let mut positions = Vec::new();
    for (item, table) in select.from.iter().enumerate() {
        let factors = std::iter::once((None, &table.relation)).chain(
            table
                .joins
                .iter()
                .enumerate()
                .map(|(k, j)| (Some(k), &j.relation)),
        );
        for (join, factor) in factors {
            let lateral = match factor {
                TableFactor::Derived { lateral, .. } | TableFactor::Function { lateral, .. } => {
                    *lateral
                }
                TableFactor::Table {
                    name,
                    args: Some(args),
                    with_ordinality,
                    ..
                } => super::series::is_series(name) && (*with_ordinality || reads_columns(args)),
                _ => false,
            };
            if lateral {
                positions.push(Position { item, join });
            }
        }
    }
    positions
}

fn reads_columns(args: &sqlparser::ast::TableFunctionArgs) -> bool {
    let mut found = false;
    let _ = sqlparser::ast::visit_expressions(&args.args, |expr| {
        found |= matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
        std::ops::ControlFlow::<()>::Continue(())
    });
    found
}

fn factor_at(select: &mut Select, at: Position) -> &mut TableFactor {
    let table = &mut select.from[at.item];
    match at.join {
        Some(k) => &mut table.joins[k].relation,
        None => &mut table.relation,
    }
}

/// What holds an item's place while the rest of the SELECT is rewritten.
fn placeholder() -> TableFactor {
    table(
        ObjectName(vec![ObjectNamePart::Identifier(Ident::new("__lateral"))]),
        None,
    )
}

pub(super) fn table(name: ObjectName, alias: Option<TableAlias>) -> TableFactor {
    TableFactor::Table {
        name,
        alias,
        args: None,
        with_hints: Vec::new(),
        version: None,
        with_ordinality: false,
        partitions: Vec::new(),
        json_path: None,
        sample: None,
        index_directives: Vec::new(),
        inheritance: None,
    }
}

pub(super) fn alias(name: Ident) -> TableAlias {
    TableAlias {
        explicit: true,
        name,
        columns: Vec::new(),
        at: None,
    }
}

/// The item's join and its ON condition (taken out: it is rewritten with
/// the item's columns). `ON true` is no condition.
fn meet(select: &mut Select, at: Position) -> PgResult<Meet> {
    let Some(k) = at.join else {
        return Ok(Meet::Inner(None));
    };
    let operator = &mut select.from[at.item].joins[k].join_operator;
    let (left, constraint) = match operator {
        JoinOperator::Join(c) | JoinOperator::Inner(c) | JoinOperator::CrossJoin(c) => (false, c),
        JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (true, c),
        other if right_or_full(other) => {
            return Err(PgError::unsupported("LATERAL in a RIGHT or FULL JOIN"));
        }
        _ => return Err(PgError::unsupported("LATERAL in this kind of join")),
    };
    let on = match std::mem::replace(constraint, JoinConstraint::None) {
        JoinConstraint::On(Expr::Value(v)) if v.value == Value::Boolean(true) => None,
        JoinConstraint::On(condition) => Some(condition),
        JoinConstraint::None => None,
        JoinConstraint::Using(_) | JoinConstraint::UsingAlias(..) | JoinConstraint::Natural => {
            return Err(PgError::unsupported("LATERAL joined with USING or NATURAL"));
        }
    };
    Ok(if left {
        Meet::Left(on)
    } else {
        Meet::Inner(on)
    })
}

/// Puts the lowered item in its place: its columns into every reference,
/// its relation and condition into the FROM (or the WHERE, for an item
/// after a comma). Returns false when the item leaves no relation behind.
fn place(
    select: &mut Select,
    order_by: Option<&mut sqlparser::ast::OrderBy>,
    at: Position,
    meet: Meet,
    lowered: Lowered,
    names: &mut Names,
) -> PgResult<bool> {
    let Lowered {
        alias,
        factor,
        condition,
        columns,
    } = lowered;
    let (left, on) = match meet {
        Meet::Inner(on) => (false, on),
        Meet::Left(on) => (true, on),
    };
    let on = on.map(|mut on| {
        columns::replace_in_expr(&mut on, &alias, &columns);
        on
    });
    let mut outside = columns.clone();
    let (factor, condition) = match factor {
        Some(factor) => (Some(factor), and(condition, on)),
        // One row whose columns give NULL by themselves when it is missing.
        None if left && on.is_none() => (None, None),
        // One row under LEFT JOIN ... ON c: a one-row relation carries the
        // join's outcome, and the columns are NULL where it did not match.
        None if left => {
            let one = names.fresh();
            columns::guard(&mut outside, &one);
            (Some(one_row(one)), and(condition, on))
        }
        None => (None, and(condition, on)),
    };
    columns::name_items(select, &alias, &outside);
    columns::replace_in_select(select, order_by, at, &alias, &outside);

    let table = &mut select.from[at.item];
    let Some(k) = at.join else {
        // After a comma: the condition goes to WHERE, which is the same for
        // the inner joins around it (never across RIGHT or FULL joins).
        if let Some(condition) = condition {
            if table.joins.iter().any(|j| right_or_full(&j.join_operator)) {
                return Err(PgError::unsupported(
                    "LATERAL followed by a RIGHT or FULL JOIN",
                ));
            }
            select.selection = and(select.selection.take(), Some(condition));
        }
        let table = &mut select.from[at.item];
        return Ok(match factor {
            Some(factor) => {
                table.relation = factor;
                true
            }
            None if table.joins.is_empty() => false,
            None => {
                table.relation = one_row(names.fresh());
                true
            }
        });
    };
    let join = &mut table.joins[k];
    let factor = match (factor, &condition) {
        (Some(factor), _) => factor,
        (None, None) => return Ok(false),
        (None, Some(_)) => one_row(names.fresh()),
    };
    join.relation = factor;
    let on = JoinConstraint::On(condition.unwrap_or_else(|| Expr::value(Value::Boolean(true))));
    join.join_operator = if left {
        JoinOperator::LeftOuter(on)
    } else {
        JoinOperator::Join(on)
    };
    Ok(true)
}

fn right_or_full(operator: &JoinOperator) -> bool {
    matches!(
        operator,
        JoinOperator::Right(_) | JoinOperator::RightOuter(_) | JoinOperator::FullOuter(_)
    )
}

/// USING and NATURAL joins show their common columns once in `*`.
fn merges_columns(operator: &JoinOperator) -> bool {
    match operator {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::CrossJoin(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c) => {
            matches!(
                c,
                JoinConstraint::Using(_) | JoinConstraint::UsingAlias(..) | JoinConstraint::Natural
            )
        }
        _ => false,
    }
}

/// `(SELECT 1 AS __lateral_row) AS name`: a relation of one row.
fn one_row(name: Ident) -> TableFactor {
    let subquery = super::parse_query("SELECT 1 AS __lateral_row").expect("a valid query");
    TableFactor::Derived {
        lateral: false,
        subquery,
        alias: Some(alias(name)),
        sample: None,
    }
}

fn and(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Expr::BinaryOp {
            left: Box::new(Expr::Nested(Box::new(a))),
            op: BinaryOperator::And,
            right: Box::new(Expr::Nested(Box::new(b))),
        }),
        (a, b) => a.or(b),
    }
}

/// `SELECT *` -> `SELECT a.*, b.*, ...`, one per FROM item, so each LATERAL
/// item's `t.*` can become its columns (the relations they turn into have
/// columns of their own).
fn expand_wildcard(select: &mut Select) -> PgResult<()> {
    if !select
        .projection
        .iter()
        .any(|item| matches!(item, SelectItem::Wildcard(_)))
    {
        return Ok(());
    }
    let mut qualifiers = Vec::new();
    for TableWithJoins { relation, joins } in &select.from {
        if joins.iter().any(|j| merges_columns(&j.join_operator)) {
            return Err(PgError::unsupported(
                "SELECT * over LATERAL and a join with USING or NATURAL",
            ));
        }
        for factor in std::iter::once(relation).chain(joins.iter().map(|j| &j.relation)) {
            let name = match factor {
                TableFactor::Table { alias: Some(a), .. }
                | TableFactor::Derived { alias: Some(a), .. }
                | TableFactor::Function { alias: Some(a), .. } => a.name.clone(),
                TableFactor::Table { name, .. } | TableFactor::Function { name, .. } => {
                    match name.0.last() {
                        Some(ObjectNamePart::Identifier(ident)) => ident.clone(),
                        _ => return Err(PgError::unsupported("SELECT * over this LATERAL join")),
                    }
                }
                _ => return Err(PgError::unsupported("SELECT * over this LATERAL join")),
            };
            qualifiers.push(name);
        }
    }
    select.projection = std::mem::take(&mut select.projection)
        .into_iter()
        .flat_map(|item| match item {
            SelectItem::Wildcard(_) => qualifiers
                .iter()
                .map(|q| {
                    SelectItem::QualifiedWildcard(
                        SelectItemQualifiedWildcardKind::ObjectName(ObjectName(vec![
                            ObjectNamePart::Identifier(q.clone()),
                        ])),
                        WildcardAdditionalOptions::default(),
                    )
                })
                .collect(),
            other => vec![other],
        })
        .collect();
    Ok(())
}

#[cfg(test)]
mod tests;
