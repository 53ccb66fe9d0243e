//! Relations: `public.t` -> `t`, column aliases of derived tables, and a
//! clear refusal of the LATERAL items the `lateral` rule leaves (inside
//! parenthesized joins).

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, SelectItem, SetExpr, TableFactor};

use super::parse_query;
use crate::error::{PgError, PgResult, sqlstate};

/// Schemas whose tables live in SQLite's `main` database.
const PUBLIC_SCHEMAS: [&str; 2] = ["public", "main"];

/// `public.t` -> `t`; other schemas do not exist in a SQLite volume
/// (pg_catalog and information_schema belong to the catalog pass).
pub fn strip_public_schema(name: &mut ObjectName) -> PgResult<()> {
    if name.0.len() == 2 {
        let schema = match &name.0[0] {
            ObjectNamePart::Identifier(ident) => ident.value.to_lowercase(),
            _ => String::new(),
        };
        if PUBLIC_SCHEMAS.contains(&schema.as_str()) {
            name.0.remove(0);
        } else if schema != "pg_catalog" && schema != "information_schema" {
            return Err(PgError::new(
                sqlstate::UNDEFINED_TABLE,
                format!("relation \"{name}\" does not exist"),
            ));
        }
    }
    Ok(())
}

pub fn refuse_lateral(factor: &TableFactor) -> PgResult<()> {
    match factor {
        TableFactor::Derived { lateral: true, .. }
        | TableFactor::Function { lateral: true, .. } => Err(PgError::unsupported(
            "LATERAL inside a parenthesized join (SQLite has no lateral joins)",
        )),
        _ => Ok(()),
    }
}

/// `(VALUES ...) AS s(a, b)` / `(SELECT x, y) AS s(a, b)`: SQLite has no
/// column aliases on derived tables, so the names move into the subquery.
pub fn derived_column_aliases(factor: &mut TableFactor) {
    let TableFactor::Derived {
        subquery,
        alias: Some(alias),
        ..
    } = factor
    else {
        return;
    };
    if alias.columns.is_empty() {
        return;
    }
    let names: Vec<Ident> = alias.columns.drain(..).map(|c| c.name).collect();
    match subquery.body.as_mut() {
        SetExpr::Values(_) => {
            // SQLite names VALUES columns column1, column2, ...
            let projection: Vec<String> = names
                .iter()
                .enumerate()
                .map(|(i, name)| format!("column{} AS {name}", i + 1))
                .collect();
            if let Some(query) = parse_query(&format!(
                "SELECT {} FROM ({subquery})",
                projection.join(", ")
            )) {
                *subquery = query;
            }
        }
        SetExpr::Select(select) => {
            for (item, name) in select.projection.iter_mut().zip(names) {
                if let SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } = item
                {
                    *item = SelectItem::ExprWithAlias {
                        expr: expr.clone(),
                        alias: name,
                    };
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    #[test]
    fn derived_tables_get_their_column_aliases() {
        assert_eq!(
            translate("SELECT name FROM (VALUES ('id', 20)) s (name, tp)").unwrap(),
            "SELECT name FROM (SELECT column1 AS name, column2 AS tp FROM (VALUES ('id', 20))) s"
        );
        assert_eq!(
            translate("SELECT a FROM (SELECT 1, 2) AS s (a, b)").unwrap(),
            "SELECT a FROM (SELECT 1 AS a, 2 AS b) AS s"
        );
    }

    #[test]
    fn public_schema_is_sqlites_main_and_lateral_is_refused() {
        assert_eq!(
            translate("SELECT * FROM public.t JOIN \"public\".u ON true").unwrap(),
            "SELECT * FROM t JOIN u ON true"
        );
        assert_eq!(
            translate("SELECT * FROM other.t").unwrap_err().code,
            "42P01"
        );
        let err = translate("SELECT * FROM t JOIN (u CROSS JOIN LATERAL (SELECT u.a) x) ON true")
            .unwrap_err();
        assert_eq!(err.code, "0A000");
    }
}
