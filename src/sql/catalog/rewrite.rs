//! Catalog rewrite pass: the Postgres-only syntax of client catalog queries,
//! turned into SQL the general rules (`sql::translate`) and SQLite accept.
//! Runs in `sql::plan` before the general rules.
//!
//! - names of catalog relations (`pg_class`, `information_schema.tables`)
//!   resolve to the attached catalog schemas (`pg_catalog.pg_class`);
//! - text cast to `regclass` (`'t'::regclass`, `CAST($1 AS regclass)`) is
//!   looked up by `regclassin` (module `regclass`), `'int4'::regtype` and
//!   the other literals by a subquery, and `oid::regclass` / `::regtype` /
//!   `::regnamespace` / `::regproc` (values) become the object's name, as
//!   Postgres prints them; `::oid` is a bigint;
//! - `OPERATOR(pg_catalog.~)` is the plain operator (the general rules then
//!   translate the regex operators); `COLLATE pg_catalog.default` is dropped;
//! - `x = ANY(array)` / `x <> ALL(array)`, `array[i]`, `ARRAY(subquery)` work
//!   on arrays in Postgres text form (`{a,b}`, `1 2`), which is how the
//!   catalog stores them;
//! - `_pg_expandarray(array)` (JDBC) as Postgres defines it, over `unnest`
//!   and `generate_subscripts` (the general rules expand set-returning
//!   functions in a select list), its record as JSON that `(record).field`
//!   reads; catalog set-returning functions in FROM (`pg_get_keywords()`,
//!   `pg_partition_ancestors(x)`, `_pg_expandarray(x)`),
//!   and `current_user`-style bare functions (`generate_series` is the
//!   general rules').

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::LazyLock;

use sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, DataType, Expr, FunctionArgumentList, FunctionArguments,
    Ident, ObjectName, ObjectNamePart, Statement, Subscript, TableFactor, TrimWhereField, Value,
    VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::error::{PgError, PgResult};

/// Relations of the attached `pg_catalog` schema (from its definitions).
static PG_CATALOG: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("data/pg_catalog.sql")
        .split("CREATE TABLE ")
        .skip(1)
        .filter_map(|rest| rest.split_whitespace().next().map(str::to_owned))
        .collect()
});

/// Functions Postgres lets a query call without parentheses.
const BARE_FUNCTIONS: [&str; 6] = [
    "current_user",
    "session_user",
    "current_role",
    "user",
    "current_schema",
    "current_catalog",
];

/// Rewrites the catalog syntax of one statement.
pub fn rewrite(mut statement: Statement) -> PgResult<Statement> {
    let mut pass = Pass::default();
    let _ = statement.visit(&mut pass);
    match pass.error {
        Some(err) => Err(err),
        None => Ok(statement),
    }
}

#[derive(Default)]
struct Pass {
    error: Option<PgError>,
}

impl VisitorMut for Pass {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let Err(err) = self.table_function(factor) {
            self.error = Some(err);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        qualify_catalog_relation(relation);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let result = self.expression(expr);
        if let Err(err) = result {
            self.error = Some(err);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

impl Pass {
    fn expression(&mut self, expr: &mut Expr) -> PgResult<()> {
        match expr {
            Expr::Collate {
                expr: inner,
                collation,
            } if last_name(collation) == "default" => {
                *expr = (**inner).clone();
            }
            Expr::BinaryOp { op, .. } => {
                if let BinaryOperator::PGCustomBinaryOperator(parts) = op
                    && let Some(plain) = plain_operator(parts)
                {
                    *op = plain;
                }
            }
            Expr::Cast {
                expr: inner,
                data_type,
                ..
            } => {
                if let Some(replacement) = reg_cast(inner, data_type)? {
                    *expr = replacement;
                }
            }
            Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            } if !matches!(right.as_ref(), Expr::Subquery(_)) => {
                let negated = match compare_op {
                    BinaryOperator::Eq => false,
                    _ => return Err(unsupported("ANY with an operator other than =")),
                };
                *expr = in_array(left, right, negated)?;
            }
            Expr::AllOp {
                left,
                compare_op,
                right,
            } if !matches!(right.as_ref(), Expr::Subquery(_)) => {
                let negated = match compare_op {
                    BinaryOperator::NotEq => true,
                    _ => return Err(unsupported("ALL with an operator other than <>")),
                };
                *expr = in_array(left, right, negated)?;
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                if let Some(replacement) = field_access(root, access_chain)? {
                    *expr = replacement;
                }
            }
            Expr::Function(function) => {
                let name = last_name(&function.name);
                if matches!(function.args, FunctionArguments::None)
                    && BARE_FUNCTIONS.contains(&name.as_str())
                {
                    function.args = FunctionArguments::List(FunctionArgumentList {
                        duplicate_treatment: None,
                        args: Vec::new(),
                        clauses: Vec::new(),
                    });
                } else if name == "array"
                    && let FunctionArguments::Subquery(query) = &function.args
                {
                    *expr = parse_expr(&format!(
                        "(SELECT '{{' || coalesce(group_concat(graftgres_item, ','), '') || '}}' \
                         FROM ({query}) AS graftgres_array (graftgres_item))"
                    ))?;
                } else if name == "json_build_object" {
                    // SQLAlchemy's column reflection; the same pairs in SQLite.
                    function.name = ObjectName::from(vec![Ident::new("json_object")]);
                } else if name == "_pg_expandarray"
                    && let FunctionArguments::List(list) = &function.args
                    && let [array] = list.args.as_slice()
                {
                    // Postgres's own definition: a record (x, n) per item,
                    // n counting from 1. The record is JSON (`(r).x` reads
                    // it) and the general rules expand the set-returning
                    // calls in a select list.
                    *expr = parse_expr(&format!(
                        "json_object('x', unnest({array}), 'n', generate_subscripts({array}, 1) - array_lower({array}, 1) + 1)"
                    ))?;
                }
            }
            // `trim(both '"' from x)` (pgjdbc) -> SQLite's `trim(x, '"')`.
            Expr::Trim {
                trim_where,
                trim_what,
                expr: inner,
                trim_characters: None,
            } => {
                let function = match trim_where {
                    Some(TrimWhereField::Leading) => "ltrim",
                    Some(TrimWhereField::Trailing) => "rtrim",
                    _ => "trim",
                };
                let text = match trim_what {
                    Some(what) => format!("{function}({inner}, {what})"),
                    None => format!("{function}({inner})"),
                };
                *expr = parse_expr(&text)?;
            }
            // E'\n': the parser has already applied the escapes.
            Expr::Value(v) => {
                if let Value::EscapedStringLiteral(text) = &v.value {
                    v.value = Value::SingleQuotedString(text.clone());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Set-returning functions in FROM.
    fn table_function(&mut self, factor: &mut TableFactor) -> PgResult<()> {
        let TableFactor::Table {
            name,
            args: Some(args),
            alias,
            with_ordinality,
            ..
        } = factor
        else {
            return Ok(());
        };
        let function = last_name(name);
        let arguments = args
            .args
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>();
        let alias_text = alias.as_ref().map(ToString::to_string).unwrap_or_default();
        let replacement = match function.as_str() {
            "pg_get_keywords" => format!("pg_catalog.graftgres_keywords {alias_text}"),
            "pg_partition_ancestors" if arguments.len() == 1 => {
                // A SQLite table is its own only ancestor.
                let columns = alias
                    .as_ref()
                    .map(|a| {
                        a.columns
                            .iter()
                            .map(|c| c.name.to_string())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                let relid = columns.first().cloned().unwrap_or_else(|| "relid".into());
                let mut select = format!("SELECT {} AS {relid}", arguments[0]);
                if *with_ordinality {
                    let depth = columns
                        .get(1)
                        .cloned()
                        .unwrap_or_else(|| "ordinality".into());
                    select.push_str(&format!(", 1 AS {depth}"));
                }
                let name = alias
                    .as_ref()
                    .map(|a| a.name.to_string())
                    .unwrap_or_else(|| "pg_partition_ancestors".into());
                format!("({select}) AS {name}")
            }
            "_pg_expandarray" if arguments.len() == 1 => {
                let name = alias
                    .as_ref()
                    .map(|a| a.name.to_string())
                    .unwrap_or_else(|| "_pg_expandarray".into());
                format!(
                    "(SELECT value AS x, key + 1 AS n FROM json_each(graftgres_array_json({}))) AS {name}",
                    arguments[0]
                )
            }
            _ => return Ok(()),
        };
        *factor = parse_table_factor(&replacement)?;
        Ok(())
    }
}

/// `pg_class` -> `pg_catalog.pg_class`; `information_schema.x` stays.
fn qualify_catalog_relation(relation: &mut ObjectName) {
    if relation.0.len() == 1 {
        let name = last_name(relation);
        if PG_CATALOG.contains(&name) {
            relation
                .0
                .insert(0, ObjectNamePart::Identifier(Ident::new("pg_catalog")));
        }
    }
}

/// `OPERATOR(pg_catalog.~)` -> `~` (and the other built-in operators).
fn plain_operator(parts: &[String]) -> Option<BinaryOperator> {
    let (schema, op) = match parts {
        [op] => (None, op),
        [schema, op] => (Some(schema), op),
        _ => return None,
    };
    if schema.is_some_and(|s| !s.eq_ignore_ascii_case("pg_catalog")) {
        return None;
    }
    Some(match op.as_str() {
        "~" => BinaryOperator::PGRegexMatch,
        "~*" => BinaryOperator::PGRegexIMatch,
        "!~" => BinaryOperator::PGRegexNotMatch,
        "!~*" => BinaryOperator::PGRegexNotIMatch,
        "=" => BinaryOperator::Eq,
        "<>" => BinaryOperator::NotEq,
        "<" => BinaryOperator::Lt,
        ">" => BinaryOperator::Gt,
        "<=" => BinaryOperator::LtEq,
        ">=" => BinaryOperator::GtEq,
        "||" => BinaryOperator::StringConcat,
        _ => return None,
    })
}

/// Casts to the `reg*` types and `oid`.
fn reg_cast(inner: &Expr, data_type: &DataType) -> PgResult<Option<Expr>> {
    let target = match data_type {
        DataType::Custom(name, _) => last_name(name),
        DataType::Regclass => "regclass".to_owned(),
        _ => return Ok(None),
    };
    let literal = match inner {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    // Text (a parameter, a cast to text) is read as a name, as Postgres's
    // input function does; any other value is taken to be an OID.
    let text_input = literal.is_some()
        || matches!(inner, Expr::Value(v) if matches!(v.value, Value::Placeholder(_)))
        || matches!(inner, Expr::Cast { data_type, .. } if matches!(data_type, DataType::Text | DataType::Varchar(_)));
    let text = match (target.as_str(), literal) {
        ("oid" | "regrole", _) => format!("CAST({inner} AS BIGINT)"),
        ("regclass" | "regtype" | "regnamespace" | "regproc" | "regprocedure", Some(s))
            if s.trim().parse::<i64>().is_ok() =>
        {
            s.trim().to_owned()
        }
        ("regclass", _) if text_input => format!("regclassin({inner})"),
        ("regtype", Some(s)) => format!(
            "(SELECT oid FROM pg_catalog.pg_type WHERE typname = {0} OR format_type(oid, NULL) = {0} LIMIT 1)",
            quote_literal(&object_name(&s))
        ),
        ("regnamespace", Some(s)) => format!(
            "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = {})",
            quote_literal(&object_name(&s))
        ),
        // The catalog keeps `regproc` columns (typinput, ...) as names.
        ("regproc" | "regprocedure", Some(s)) => quote_literal(&object_name(&s)),
        ("regclass", None) => format!(
            "coalesce((SELECT relname FROM pg_catalog.pg_class WHERE oid = {inner}), CAST({inner} AS TEXT))"
        ),
        ("regtype", None) => format!("format_type({inner}, NULL)"),
        ("regnamespace", None) => {
            format!("(SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = {inner})")
        }
        ("regproc" | "regprocedure", None) => {
            format!(
                "coalesce((SELECT proname FROM pg_catalog.pg_proc WHERE oid = {inner}), {inner})"
            )
        }
        _ => return Ok(None),
    };
    parse_expr(&text).map(Some)
}

/// `x = ANY(arr)` -> `x IN (...)` over the array's items.
fn in_array(left: &Expr, right: &Expr, negated: bool) -> PgResult<Expr> {
    let not = if negated { "NOT " } else { "" };
    let text = match strip_array_cast(right) {
        Expr::Array(array) => {
            let items: Vec<String> = array.elem.iter().map(ToString::to_string).collect();
            format!("{left} {not}IN ({})", items.join(", "))
        }
        Expr::Subquery(query) => format!("{left} {not}IN ({query})"),
        // The cast stays: it types a parameter (`$1::oid[]`).
        _ => {
            format!("{left} {not}IN (SELECT value FROM json_each(graftgres_array_json({right})))")
        }
    };
    parse_expr(&text)
}

/// `'{a,b}'::text[]` -> `'{a,b}'` (arrays stay in their text form).
fn strip_array_cast(expr: &Expr) -> &Expr {
    match expr {
        Expr::Cast {
            expr: inner,
            data_type: DataType::Array(_),
            kind: CastKind::DoubleColon | CastKind::Cast,
            ..
        } => inner,
        Expr::Nested(inner) => strip_array_cast(inner),
        other => other,
    }
}

/// `arr[i]` and `(record).field`.
fn field_access(root: &Expr, chain: &[AccessExpr]) -> PgResult<Option<Expr>> {
    // `t.col[i]`: the dots name the column, the subscript indexes it.
    if let [dots @ .., AccessExpr::Subscript(Subscript::Index { index })] = chain
        && !dots.is_empty()
    {
        let mut names = vec![root.to_string()];
        for dot in dots {
            let AccessExpr::Dot(Expr::Identifier(ident)) = dot else {
                return Ok(None);
            };
            names.push(ident.to_string());
        }
        return parse_expr(&format!(
            "graftgres_subscript({}, {index})",
            names.join(".")
        ))
        .map(Some);
    }
    let [access] = chain else {
        return Ok(None);
    };
    let text = match access {
        AccessExpr::Subscript(Subscript::Index { index }) => {
            format!("graftgres_subscript({}, {index})", strip_array_cast(root))
        }
        AccessExpr::Dot(Expr::Identifier(field)) => {
            let field = field.value.to_lowercase();
            format!("json_extract({}, '$.{field}')", unnest(root))
        }
        _ => return Ok(None),
    };
    parse_expr(&text).map(Some)
}

fn unnest(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) => unnest(inner),
        other => other,
    }
}

/// The unqualified, unquoted name in `'public."Foo"'` / `'foo'`.
fn object_name(text: &str) -> String {
    let last = text.rsplit('.').next().unwrap_or(text).trim();
    match last.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => last.to_lowercase(),
    }
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn last_name(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.to_lowercase(),
        _ => String::new(),
    }
}

fn unsupported(what: &str) -> PgError {
    PgError::new(
        crate::error::sqlstate::FEATURE_NOT_SUPPORTED,
        format!("{what} is not supported"),
    )
}

fn parse_expr(text: &str) -> PgResult<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|err| PgError::internal(format!("catalog rewrite produced bad SQL: {err}")))
}

fn parse_table_factor(text: &str) -> PgResult<TableFactor> {
    let sql = format!("SELECT * FROM {text}");
    let statement = Parser::parse_sql(&PostgreSqlDialect {}, &sql)
        .map_err(|err| PgError::internal(format!("catalog rewrite produced bad SQL: {err}")))?
        .pop();
    if let Some(Statement::Query(query)) = statement
        && let sqlparser::ast::SetExpr::Select(select) = *query.body
        && let Some(from) = select.from.into_iter().next()
    {
        return Ok(from.relation);
    }
    Err(PgError::internal("catalog rewrite produced bad SQL"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;

    fn rewritten(sql: &str) -> String {
        rewrite(parse(sql).unwrap().pop().unwrap())
            .unwrap()
            .to_string()
    }

    #[test]
    fn catalog_names_and_operators() {
        assert_eq!(
            rewritten(
                "SELECT relname FROM pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default"
            ),
            "SELECT relname FROM pg_catalog.pg_class c WHERE c.relname ~ '^(t)$'"
        );
        assert_eq!(
            rewritten("SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_'"),
            "SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_'"
        );
    }

    #[test]
    fn reg_casts() {
        assert_eq!(
            rewritten("SELECT 't'::regclass, '16385'::pg_catalog.regclass, CAST($1 AS REGCLASS)"),
            "SELECT regclassin('t'), 16385, regclassin($1)"
        );
        assert_eq!(
            rewritten("SELECT conrelid::pg_catalog.regclass FROM pg_constraint"),
            "SELECT coalesce((SELECT relname FROM pg_catalog.pg_class WHERE oid = conrelid), CAST(conrelid AS TEXT)) FROM pg_catalog.pg_constraint"
        );
    }

    #[test]
    fn arrays() {
        assert_eq!(
            rewritten("SELECT 'd' = any(stxkind) FROM pg_statistic_ext"),
            "SELECT 'd' IN (SELECT value FROM json_each(graftgres_array_json(stxkind))) FROM pg_catalog.pg_statistic_ext"
        );
        assert_eq!(
            rewritten("SELECT prattrs[s]"),
            "SELECT graftgres_subscript(prattrs, s)"
        );
        assert_eq!(
            rewritten("SELECT (information_schema._pg_expandarray(i.indkey)).n FROM pg_index i"),
            "SELECT json_extract(json_object('x', unnest(i.indkey), 'n', \
             generate_subscripts(i.indkey, 1) - array_lower(i.indkey, 1) + 1), '$.n') \
             FROM pg_catalog.pg_index i"
        );
        assert_eq!(
            rewritten("SELECT current_user, pg_catalog.current_schema()"),
            "SELECT current_user(), pg_catalog.current_schema()"
        );
    }
}
