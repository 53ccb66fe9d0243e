//! Rewrite rules from Postgres SQL to SQLite SQL, applied on the AST.
//!
//! Each rule is a small function over one node; [`to_sqlite`] runs them all
//! in one mutable visit and prints the result. Rules here are the ones the
//! read path cannot do without; the catalog and the wider function set build
//! on the same shape.

use std::ops::ControlFlow;

use sqlparser::ast::{
    CastKind, DataType, ExactNumberInfo, Expr, Ident, ObjectName, ObjectNamePart, Query,
    SelectItem, SetExpr, Statement, TableFactor, Value, VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::types::{from_data_type, placeholder_index};
use crate::error::{PgError, PgResult};
use pgwire::api::Type;

/// Schemas whose tables live in SQLite's `main` database.
const PUBLIC_SCHEMAS: [&str; 2] = ["public", "main"];

/// Translates a read query; returns the SQLite text and the parameter count.
pub fn to_sqlite(query: &Query) -> PgResult<(String, usize)> {
    let mut query = query.clone();
    let mut rules = Rules {
        param_count: 0,
        error: None,
    };
    let _ = query.visit(&mut rules);
    if let Some(err) = rules.error {
        return Err(err);
    }
    Ok((query.to_string(), rules.param_count))
}

struct Rules {
    param_count: usize,
    error: Option<PgError>,
}

impl VisitorMut for Rules {
    type Break = ();

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        if let Err(err) = strip_public_schema(relation) {
            self.error = Some(err);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        derived_column_aliases(factor);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        numbered_placeholder(expr, &mut self.param_count);
        cast_to_sqlite(expr);
        catalog_function_names(expr);
        ControlFlow::Continue(())
    }
}

/// `pg_catalog.format_type(...)` -> `format_type(...)`: the functions are
/// registered on the connection under their bare names.
fn catalog_function_names(expr: &mut Expr) {
    if let Expr::Function(function) = expr
        && function.name.0.len() == 2
        && matches!(&function.name.0[0], ObjectNamePart::Identifier(i) if i.value.eq_ignore_ascii_case("pg_catalog"))
    {
        function.name.0.remove(0);
    }
}

/// `(VALUES ...) AS s(a, b)` / `(SELECT x, y) AS s(a, b)`: SQLite has no
/// column aliases on derived tables, so the names move into the subquery.
fn derived_column_aliases(factor: &mut TableFactor) {
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
            let sql = format!("SELECT {} FROM ({subquery})", projection.join(", "));
            if let Ok(mut statements) = Parser::parse_sql(&PostgreSqlDialect {}, &sql)
                && let Some(Statement::Query(query)) = statements.pop()
            {
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

/// `public.t` -> `t`; other schemas do not exist in a SQLite volume.
fn strip_public_schema(name: &mut ObjectName) -> PgResult<()> {
    if name.0.len() == 2 {
        let schema = match &name.0[0] {
            ObjectNamePart::Identifier(ident) => ident.value.to_lowercase(),
            _ => String::new(),
        };
        if PUBLIC_SCHEMAS.contains(&schema.as_str()) {
            name.0.remove(0);
        } else if schema != "pg_catalog" && schema != "information_schema" {
            return Err(PgError::new(
                crate::error::sqlstate::UNDEFINED_TABLE,
                format!("relation \"{name}\" does not exist"),
            ));
        }
    }
    Ok(())
}

/// `$3` -> `?3`: SQLite would read `$3` as a *named* parameter.
fn numbered_placeholder(expr: &mut Expr, count: &mut usize) {
    if let Some(index) = placeholder_index(expr)
        && let Expr::Value(v) = expr
    {
        *count = (*count).max(index + 1);
        v.value = Value::Placeholder(format!("?{}", index + 1));
    }
}

/// `x::int` / `CAST(x AS int4)` -> `CAST(x AS INTEGER)` (SQLite's names).
fn cast_to_sqlite(expr: &mut Expr) {
    if let Expr::Cast {
        kind, data_type, ..
    } = expr
    {
        *kind = CastKind::Cast;
        *data_type = sqlite_type(&from_data_type(data_type));
    }
}

fn sqlite_type(pg: &Type) -> DataType {
    match *pg {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::BOOL => DataType::Integer(None),
        Type::FLOAT4 | Type::FLOAT8 => DataType::Real,
        Type::NUMERIC => DataType::Numeric(ExactNumberInfo::None),
        Type::BYTEA => DataType::Blob(None),
        _ => DataType::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;
    use sqlparser::ast::Statement;

    fn translate(sql: &str) -> PgResult<String> {
        match parse(sql).unwrap().pop().unwrap() {
            Statement::Query(q) => to_sqlite(&q).map(|(sql, _)| sql),
            other => panic!("not a query: {other}"),
        }
    }

    #[test]
    fn placeholders_are_numbered_for_sqlite() {
        let Statement::Query(q) = parse("SELECT $2, $1 FROM t WHERE a = $2")
            .unwrap()
            .pop()
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            to_sqlite(&q).unwrap(),
            ("SELECT ?2, ?1 FROM t WHERE a = ?2".into(), 2)
        );
    }

    #[test]
    fn casts_use_sqlite_type_names() {
        assert_eq!(
            translate("SELECT a::int8, b::text, c::float8").unwrap(),
            "SELECT CAST(a AS INTEGER), CAST(b AS TEXT), CAST(c AS REAL)"
        );
        assert_eq!(
            translate("SELECT CAST(a AS numeric(10,2))").unwrap(),
            "SELECT CAST(a AS NUMERIC)"
        );
    }

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
        assert_eq!(
            translate("SELECT pg_catalog.format_type(20, -1)").unwrap(),
            "SELECT format_type(20, -1)"
        );
    }

    #[test]
    fn public_schema_is_sqlites_main() {
        assert_eq!(
            translate("SELECT * FROM public.t JOIN \"public\".u ON true").unwrap(),
            "SELECT * FROM t JOIN u ON true"
        );
        let err = translate("SELECT * FROM other.t").unwrap_err();
        assert_eq!(err.code, "42P01");
    }
}
