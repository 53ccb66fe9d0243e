//! Names that SQLite's grammar cannot take bare: `SELECT 1 AS nothing`,
//! `SELECT index FROM t`, `AS select` are fine in Postgres (which allows
//! any word as a column label after AS, and its unreserved keywords as
//! names) but syntax errors in SQLite, so those names are quoted.

use sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, TableFactor};

/// SQLite keywords that have no fallback to an identifier: each fails as
/// `SELECT 1 AS k` or `SELECT k FROM (SELECT 1 AS "k")` (found by trying
/// all 147 keywords of SQLite 3.x; the others work bare).
const NOT_BARE: [&str; 60] = [
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "AUTOINCREMENT",
    "BETWEEN",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COMMIT",
    "CONSTRAINT",
    "CREATE",
    "DEFAULT",
    "DEFERRABLE",
    "DELETE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "ESCAPE",
    "EXCEPT",
    "EXISTS",
    "FOREIGN",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INDEX",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LIMIT",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "PRIMARY",
    "RAISE",
    "REFERENCES",
    "RETURNING",
    "SELECT",
    "SET",
    "TABLE",
    "THEN",
    "TO",
    "TRANSACTION",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
];

fn quote(ident: &mut Ident) {
    if ident.quote_style.is_none() && NOT_BARE.contains(&ident.value.to_uppercase().as_str()) {
        ident.quote_style = Some('"');
    }
}

/// Column references (`index`, `t.nothing`).
pub fn references(expr: &mut Expr) {
    match expr {
        Expr::Identifier(ident) => quote(ident),
        Expr::CompoundIdentifier(parts) => parts.iter_mut().for_each(quote),
        _ => {}
    }
}

/// Select-list aliases of a query's selects, and its CTE names.
pub fn aliases(query: &mut Query) {
    fn of(body: &mut SetExpr) {
        match body {
            SetExpr::Select(select) => {
                for item in &mut select.projection {
                    if let SelectItem::ExprWithAlias { alias, .. } = item {
                        quote(alias);
                    }
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                of(left);
                of(right);
            }
            _ => {}
        }
    }
    of(&mut query.body);
    if let Some(with) = &mut query.with {
        for cte in &mut with.cte_tables {
            quote(&mut cte.alias.name);
            cte.alias
                .columns
                .iter_mut()
                .for_each(|c| quote(&mut c.name));
        }
    }
}

/// Table aliases and their column lists.
pub fn table_alias(factor: &mut TableFactor) {
    let alias = match factor {
        TableFactor::Table { alias, .. }
        | TableFactor::Derived { alias, .. }
        | TableFactor::Function { alias, .. }
        | TableFactor::UNNEST { alias, .. } => alias,
        _ => return,
    };
    if let Some(alias) = alias {
        quote(&mut alias.name);
        alias.columns.iter_mut().for_each(|c| quote(&mut c.name));
    }
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn sqlite_keywords_are_quoted_as_names() {
        assert_eq!(
            translate("SELECT index, t.nothing, 1 AS select FROM t AS values ORDER BY index")
                .unwrap(),
            "SELECT \"index\", t.\"nothing\", 1 AS \"select\" FROM t AS \"values\" \
             ORDER BY \"index\" NULLS LAST"
        );
    }
}
