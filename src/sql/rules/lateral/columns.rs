//! References to a LATERAL item's columns, replaced by what the columns
//! became ([`Column::expr`]) throughout the SELECT around the item.
//!
//! `t.c` is replaced anywhere, nested queries included, unless one of them
//! names a relation `t` of its own; a bare `c` only at the SELECT's own
//! level, where Postgres would have found it in `t` (another relation with
//! a column `c` would make it ambiguous). A bare `c` inside a nested query
//! is left to SQLite: it may name a column of that query's own tables.
//! ORDER BY and DISTINCT ON read a bare name as an output column first, as
//! Postgres does; select-list items that were references keep their name
//! (`t.c` is still called `c`).

use std::ops::ControlFlow;

use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{
    CaseWhen, Distinct, Expr, Ident, ObjectName, ObjectNamePart, OrderBy, OrderByKind, Query,
    Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, TableFactor, Value, VisitMut,
    VisitorMut,
};

use super::super::{ident_name, output_name};
use super::Position;
use super::shape::Column;

/// Replaces the references in one expression (the item's own ON).
pub(super) fn replace_in_expr(expr: &mut Expr, alias: &str, columns: &[Column]) {
    let _ = expr.visit(&mut Replace::new(alias, columns, true));
}

/// Replaces the references everywhere in `select` and its ORDER BY. In
/// FROM, a bare name can mean the item's column only where the item is in
/// sight: in the relations after it (function arguments read the rows to
/// their left) and in the ON clauses of the joins after it in its own
/// `,`-separated part (an ON sees only the relations it joins).
pub(super) fn replace_in_select(
    select: &mut Select,
    order_by: Option<&mut OrderBy>,
    at: Position,
    alias: &str,
    columns: &[Column],
) {
    if columns.is_empty() {
        return;
    }
    let outputs: Vec<String> = select
        .projection
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(ident_name(alias)),
            SelectItem::UnnamedExpr(expr) => Some(output_name(expr)),
            _ => None,
        })
        .collect();
    let output_first = |expr: &mut Expr| {
        let bare_output = matches!(expr, Expr::Identifier(i) if outputs.contains(&ident_name(i)));
        if !bare_output {
            replace_in_expr(expr, alias, columns);
        }
    };
    let mut distinct = select.distinct.take();
    let mut from = std::mem::take(&mut select.from);
    let _ = select.visit(&mut Replace::new(alias, columns, true));
    for (i, table) in from.iter_mut().enumerate() {
        let after = |k: Option<usize>| {
            (i, k.map_or(0, |k| k + 1)) > (at.item, at.join.map_or(0, |k| k + 1))
        };
        let _ = table
            .relation
            .visit(&mut Replace::new(alias, columns, after(None)));
        for (k, join) in table.joins.iter_mut().enumerate() {
            let _ = join
                .relation
                .visit(&mut Replace::new(alias, columns, after(Some(k))));
            let sees = i == at.item && after(Some(k));
            let _ = join
                .join_operator
                .visit(&mut Replace::new(alias, columns, sees));
        }
    }
    select.from = from;
    if let Some(Distinct::On(keys)) = &mut distinct {
        for key in keys {
            output_first(key);
        }
    }
    select.distinct = distinct;
    if let Some(OrderBy {
        kind: OrderByKind::Expressions(items),
        ..
    }) = order_by
    {
        for item in items {
            output_first(&mut item.expr);
        }
    }
}

/// Select-list items that are references get the column's name (as
/// Postgres names them), and `t.*` becomes the item's columns.
pub(super) fn name_items(select: &mut Select, alias: &str, columns: &[Column]) {
    if columns.is_empty() {
        return;
    }
    let mut items = Vec::with_capacity(select.projection.len());
    for item in std::mem::take(&mut select.projection) {
        match item {
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _)
                if names(&name, alias) =>
            {
                // References, replaced with the rest.
                items.extend(columns.iter().map(|c| SelectItem::ExprWithAlias {
                    expr: Expr::CompoundIdentifier(vec![
                        Ident::with_quote('"', alias),
                        Ident::with_quote('"', &c.key),
                    ]),
                    alias: Ident::with_quote('"', &c.key),
                }));
            }
            SelectItem::UnnamedExpr(expr) => match referenced(&expr, alias, columns) {
                Some(column) => items.push(SelectItem::ExprWithAlias {
                    expr,
                    alias: Ident::with_quote('"', &column.key),
                }),
                None => items.push(SelectItem::UnnamedExpr(expr)),
            },
            other => items.push(other),
        }
    }
    select.projection = items;
}

/// Makes each column NULL where the one-row relation `one` (the item's
/// place under a LEFT JOIN with a condition) did not match.
pub(super) fn guard(columns: &mut [Column], one: &Ident) {
    let unmatched = Expr::IsNull(Box::new(Expr::CompoundIdentifier(vec![
        one.clone(),
        Ident::new("__lateral_row"),
    ])));
    for column in columns {
        let expr = std::mem::replace(&mut column.expr, Expr::value(Value::Null));
        column.expr = Expr::Case {
            case_token: AttachedToken::empty(),
            end_token: AttachedToken::empty(),
            operand: None,
            conditions: vec![CaseWhen {
                condition: unmatched.clone(),
                result: Expr::value(Value::Null),
            }],
            else_result: Some(Box::new(expr)),
        };
    }
}

fn find<'a>(columns: &'a [Column], key: &str) -> Option<&'a Column> {
    columns.iter().find(|c| c.key == key)
}

fn names(name: &ObjectName, alias: &str) -> bool {
    matches!(name.0.as_slice(), [ObjectNamePart::Identifier(i)] if ident_name(i) == alias)
}

/// The column a select-list item refers to, through parentheses and casts
/// (Postgres names `t.c::text` `c` too).
fn referenced<'a>(expr: &Expr, alias: &str, columns: &'a [Column]) -> Option<&'a Column> {
    match expr {
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => referenced(inner, alias, columns),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [table, column] if ident_name(table) == alias => find(columns, &ident_name(column)),
            _ => None,
        },
        Expr::Identifier(ident) => find(columns, &ident_name(ident)),
        _ => None,
    }
}

struct Replace<'a> {
    alias: &'a str,
    columns: &'a [Column],
    /// Whether a bare name at this level may be one of `columns`.
    bare: bool,
    /// For each query entered, whether it has a relation named `alias`.
    shadows: Vec<bool>,
}

impl<'a> Replace<'a> {
    fn new(alias: &'a str, columns: &'a [Column], bare: bool) -> Self {
        Replace {
            alias,
            columns,
            bare,
            shadows: Vec::new(),
        }
    }
}

impl VisitorMut for Replace<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        self.shadows.push(has_relation(&query.body, self.alias));
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.shadows.pop();
        ControlFlow::Continue(())
    }

    // After the children: a replacement is not visited again.
    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if self.shadows.iter().any(|s| *s) {
            return ControlFlow::Continue(());
        }
        let column = match expr {
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [table, column] if ident_name(table) == self.alias => {
                    find(self.columns, &ident_name(column))
                }
                _ => None,
            },
            Expr::Identifier(ident) if self.bare && self.shadows.is_empty() => {
                find(self.columns, &ident_name(ident))
            }
            _ => None,
        };
        if let Some(column) = column {
            *expr = column.expr.clone();
        }
        ControlFlow::Continue(())
    }
}

/// Whether a query's FROM names a relation `alias` (its own `t` hides ours).
fn has_relation(body: &SetExpr, alias: &str) -> bool {
    fn factor_is(factor: &TableFactor, alias: &str) -> bool {
        match factor {
            TableFactor::Table { alias: Some(a), .. }
            | TableFactor::Derived { alias: Some(a), .. }
            | TableFactor::Function { alias: Some(a), .. } => ident_name(&a.name) == alias,
            TableFactor::Table { name, .. } | TableFactor::Function { name, .. } => {
                matches!(name.0.last(), Some(ObjectNamePart::Identifier(i)) if ident_name(i) == alias)
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => {
                factor_is(&table_with_joins.relation, alias)
                    || table_with_joins
                        .joins
                        .iter()
                        .any(|j| factor_is(&j.relation, alias))
            }
            _ => false,
        }
    }
    match body {
        SetExpr::Select(select) => select.from.iter().any(|t| {
            factor_is(&t.relation, alias) || t.joins.iter().any(|j| factor_is(&j.relation, alias))
        }),
        SetExpr::SetOperation { left, right, .. } => {
            has_relation(left, alias) || has_relation(right, alias)
        }
        _ => false,
    }
}
