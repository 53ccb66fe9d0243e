//! Postgres types for SQLite values: declared column types, casts, and the
//! types of expressions and `$n` parameters, inferred from the query.
//!
//! SQLite columns are dynamically typed; clients are not. A result column
//! gets its type from (in order) the declared type of the column it reads,
//! the query's own expression (literal, cast, function, operator), and text
//! as the last resort. Parameters get theirs from what they are compared
//! with. The same inference serves Describe and Execute, so a client always
//! receives the types it was promised.

use std::collections::HashMap;

use pgwire::api::Type;
use sqlparser::ast::{
    BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments,
    InTarget, ObjectName, ObjectNamePart, Query, SelectItem, SetExpr, TableFactor, UnaryOperator,
    Value,
};

/// The Postgres type of a column declared with SQLite type `decl`,
/// following SQLite's own affinity rules where Postgres has no better name.
pub fn from_declared(decl: &str) -> Type {
    let upper = decl.to_ascii_uppercase();
    let base = upper.split('(').next().unwrap_or("").trim();
    match base {
        "BOOL" | "BOOLEAN" => return Type::BOOL,
        "DATE" => return Type::DATE,
        "TIME" => return Type::TIME,
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => return Type::TIMESTAMPTZ,
        "TIMESTAMP" | "DATETIME" | "TIMESTAMP WITHOUT TIME ZONE" => return Type::TIMESTAMP,
        "NUMERIC" | "DECIMAL" => return Type::NUMERIC,
        "VARCHAR" | "CHARACTER VARYING" | "NVARCHAR" => return Type::VARCHAR,
        _ => {}
    }
    if upper.contains("INT") {
        Type::INT8
    } else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
        Type::TEXT
    } else if upper.contains("BLOB") || upper.contains("BYTEA") {
        Type::BYTEA
    } else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
        Type::FLOAT8
    } else {
        Type::TEXT
    }
}

/// The Postgres type a `CAST`/`::` target names.
pub fn from_data_type(data_type: &DataType) -> Type {
    use DataType as D;
    match data_type {
        D::SmallInt(_) | D::Int2(_) => Type::INT2,
        D::Int(_) | D::Int4(_) | D::Integer(_) => Type::INT4,
        D::BigInt(_) | D::Int8(_) | D::Int64 => Type::INT8,
        D::Real | D::Float4 => Type::FLOAT4,
        D::Float8 | D::Float64 | D::Double(_) | D::DoublePrecision | D::Float(_) => Type::FLOAT8,
        D::Numeric(_) | D::Decimal(_) => Type::NUMERIC,
        D::Bool | D::Boolean => Type::BOOL,
        D::Date => Type::DATE,
        D::Timestamp(_, tz)
            if tz.to_string().contains("WITH TIME ZONE") || tz.to_string() == "TZ" =>
        {
            Type::TIMESTAMPTZ
        }
        D::Timestamp(..) | D::Datetime(_) => Type::TIMESTAMP,
        D::Varchar(_) | D::CharacterVarying(_) | D::CharVarying(_) => Type::VARCHAR,
        D::Bytea | D::Blob(_) => Type::BYTEA,
        D::Custom(name, _) => match last_part(name).as_str() {
            "timestamptz" => Type::TIMESTAMPTZ,
            "int" | "int4" => Type::INT4,
            "float8" => Type::FLOAT8,
            _ => Type::TEXT,
        },
        _ => Type::TEXT,
    }
}

fn last_part(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.to_lowercase(),
        _ => String::new(),
    }
}

/// Column types of the tables a query reads, for resolving identifiers.
#[derive(Debug, Default)]
pub struct Scope {
    /// (qualifier as written or table name, column) -> declared type.
    columns: HashMap<(String, String), Type>,
    /// column -> type, when the name is unambiguous across the tables.
    unqualified: HashMap<String, Option<Type>>,
}

impl Scope {
    /// Adds table `table` (reachable as `alias`) with its declared columns.
    pub fn add_table(&mut self, alias: &str, columns: &[(String, Option<String>)]) {
        for (column, decl) in columns {
            let ty = decl.as_deref().map(from_declared).unwrap_or(Type::TEXT);
            let column = column.to_lowercase();
            self.columns
                .insert((alias.to_lowercase(), column.clone()), ty.clone());
            self.unqualified
                .entry(column)
                .and_modify(|seen| {
                    if seen.as_ref() != Some(&ty) {
                        *seen = None;
                    }
                })
                .or_insert(Some(ty));
        }
    }

    fn resolve(&self, qualifier: Option<&str>, column: &str) -> Option<Type> {
        let column = column.to_lowercase();
        match qualifier {
            Some(q) => self.columns.get(&(q.to_lowercase(), column)).cloned(),
            None => self.unqualified.get(&column).cloned().flatten(),
        }
    }
}

/// The tables a query's top-level SELECT reads: (alias or name, table name).
pub fn tables_read(query: &Query) -> Vec<(String, String)> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Vec::new();
    };
    let mut tables = Vec::new();
    for table in &select.from {
        for factor in
            std::iter::once(&table.relation).chain(table.joins.iter().map(|j| &j.relation))
        {
            if let TableFactor::Table { name, alias, .. } = factor {
                let table_name = last_part(name);
                let alias = alias
                    .as_ref()
                    .map(|a| a.name.value.clone())
                    .unwrap_or_else(|| table_name.clone());
                tables.push((alias, table_name));
            }
        }
    }
    tables
}

/// Inferred types of the top-level projection, one per select item; `None`
/// for wildcards and items whose type is unknown.
pub fn projection_types(query: &Query, scope: &Scope) -> Option<Vec<Option<Type>>> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                Some(infer(expr, scope))
            }
            _ => None,
        })
        .collect()
}

/// Postgres's names for unaliased projection items (`count`, `?column?`);
/// `None` where SQLite's own name is already right (columns, aliases).
pub fn projection_names(query: &Query) -> Option<Vec<Option<String>>> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(expr) => Some(pg_column_name(expr)),
            SelectItem::ExprWithAlias { .. } => Some(None),
            _ => None,
        })
        .collect()
}

fn pg_column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => None,
        Expr::Function(f) => Some(last_part(&f.name)),
        Expr::Cast {
            expr, data_type, ..
        } => pg_column_name(expr).or_else(|| match expr.as_ref() {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => None,
            _ => Some(from_data_type(data_type).name().to_owned()),
        }),
        Expr::Nested(inner) => pg_column_name(inner),
        Expr::Case { .. } => Some("case".to_owned()),
        _ => Some("?column?".to_owned()),
    }
}

/// The type of an expression, if the query says.
pub fn infer(expr: &Expr, scope: &Scope) -> Option<Type> {
    use BinaryOperator as B;
    match expr {
        Expr::Identifier(ident) => scope.resolve(None, &ident.value),
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let n = parts.len();
            scope.resolve(Some(&parts[n - 2].value), &parts[n - 1].value)
        }
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some(number_type(n)),
            Value::SingleQuotedString(_)
            | Value::EscapedStringLiteral(_)
            | Value::DollarQuotedString(_) => Some(Type::TEXT),
            Value::Boolean(_) => Some(Type::BOOL),
            _ => None,
        },
        Expr::Cast { data_type, .. } => Some(from_data_type(data_type)),
        Expr::Nested(inner) => infer(inner, scope),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        } => Some(Type::BOOL),
        Expr::UnaryOp { expr, .. } => infer(expr, scope),
        Expr::BinaryOp { left, op, right } => match op {
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
                Some(numeric_result(infer(left, scope)?, infer(right, scope)?))
            }
            B::StringConcat => Some(Type::TEXT),
            B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq | B::And | B::Or => {
                Some(Type::BOOL)
            }
            _ => None,
        },
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::In { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::Exists { .. } => Some(Type::BOOL),
        Expr::Case {
            conditions,
            else_result,
            ..
        } => conditions
            .iter()
            .find_map(|when| infer(&when.result, scope))
            .or_else(|| else_result.as_deref().and_then(|e| infer(e, scope))),
        Expr::Function(function) => function_type(function, scope),
        _ => None,
    }
}

/// `1` is int4, `3000000000` int8, `1.5` numeric: as in Postgres.
fn number_type(text: &str) -> Type {
    if text.contains(['.', 'e', 'E']) {
        Type::NUMERIC
    } else if text.parse::<i32>().is_ok() {
        Type::INT4
    } else if text.parse::<i64>().is_ok() {
        Type::INT8
    } else {
        Type::NUMERIC
    }
}

/// The result type of arithmetic, by Postgres's promotion order.
fn numeric_result(left: Type, right: Type) -> Type {
    let rank = |t: &Type| match *t {
        Type::INT2 => 1,
        Type::INT4 => 2,
        Type::INT8 => 3,
        Type::NUMERIC => 4,
        Type::FLOAT4 => 5,
        Type::FLOAT8 => 6,
        _ => 0,
    };
    match (rank(&left), rank(&right)) {
        (0, _) | (_, 0) => Type::NUMERIC,
        (l, r) if l >= r => left,
        _ => right,
    }
}

fn function_type(function: &Function, scope: &Scope) -> Option<Type> {
    let name = last_part(&function.name);
    let first_arg = || match &function.args {
        FunctionArguments::List(list) => list.args.first().and_then(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => infer(e, scope),
            _ => None,
        }),
        _ => None,
    };
    match name.as_str() {
        "count" => Some(Type::INT8),
        "sum" => first_arg().map(|t| match t {
            Type::INT2 | Type::INT4 => Type::INT8,
            Type::INT8 => Type::NUMERIC,
            other => other,
        }),
        "avg" => first_arg().map(|t| match t {
            Type::FLOAT4 | Type::FLOAT8 => Type::FLOAT8,
            _ => Type::NUMERIC,
        }),
        "min" | "max" | "abs" | "coalesce" | "nullif" | "greatest" | "least" => first_arg(),
        "length" | "char_length" | "octet_length" | "strpos" => Some(Type::INT4),
        "lower" | "upper" | "substr" | "substring" | "trim" | "ltrim" | "rtrim" | "replace"
        | "concat" | "concat_ws" | "left" | "right" | "lpad" | "rpad" | "md5" | "version"
        | "current_database" | "current_user" | "session_user" | "current_schema" => {
            Some(Type::TEXT)
        }
        "now" | "current_timestamp" => Some(Type::TIMESTAMPTZ),
        "random" => Some(Type::FLOAT8),
        _ => None,
    }
}

/// Types of `$1..$n`: from what each is compared with, else text.
pub fn parameter_types(query: &Query, scope: &Scope, count: usize) -> Vec<Type> {
    use sqlparser::ast::Visit;
    use std::ops::ControlFlow;

    struct Finder<'a> {
        scope: &'a Scope,
        types: Vec<Option<Type>>,
    }
    impl Finder<'_> {
        fn note(&mut self, placeholder: &Expr, other: &Expr) {
            if let Some(index) = placeholder_index(placeholder)
                && let Some(slot) = self.types.get_mut(index)
                && slot.is_none()
            {
                *slot = infer(other, self.scope);
            }
        }
    }
    impl sqlparser::ast::Visitor for Finder<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            match expr {
                Expr::BinaryOp { left, right, .. } => {
                    self.note(left, right);
                    self.note(right, left);
                }
                Expr::Between {
                    expr, low, high, ..
                } => {
                    self.note(low, expr);
                    self.note(high, expr);
                }
                Expr::In {
                    expr,
                    target: InTarget::List(list),
                    ..
                } => {
                    for item in list {
                        self.note(item, expr);
                    }
                }
                Expr::Cast {
                    expr: inner,
                    data_type,
                    ..
                } => {
                    if let Some(index) = placeholder_index(inner)
                        && let Some(slot) = self.types.get_mut(index)
                        && slot.is_none()
                    {
                        *slot = Some(from_data_type(data_type));
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }

    let mut finder = Finder {
        scope,
        types: vec![None; count],
    };
    let _ = query.visit(&mut finder);
    // LIMIT/OFFSET parameters are counts.
    if let Some(limit) = &query.limit_clause {
        let _ = limit.visit(&mut LimitFinder(&mut finder.types));
    }
    finder
        .types
        .into_iter()
        .map(|t| t.unwrap_or(Type::TEXT))
        .collect()
}

struct LimitFinder<'a>(&'a mut Vec<Option<Type>>);

impl sqlparser::ast::Visitor for LimitFinder<'_> {
    type Break = ();
    fn pre_visit_expr(&mut self, expr: &Expr) -> std::ops::ControlFlow<()> {
        if let Some(index) = placeholder_index(expr)
            && let Some(slot) = self.0.get_mut(index)
        {
            slot.get_or_insert(Type::INT8);
        }
        std::ops::ControlFlow::Continue(())
    }
}

/// `$3` -> Some(2).
pub fn placeholder_index(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => p.strip_prefix('$')?.parse::<usize>().ok()?.checked_sub(1),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse;
    use sqlparser::ast::Statement;

    fn query(sql: &str) -> Box<Query> {
        match parse(sql).unwrap().pop().unwrap() {
            Statement::Query(q) => q,
            other => panic!("not a query: {other}"),
        }
    }

    fn scope() -> Scope {
        let mut scope = Scope::default();
        scope.add_table(
            "t",
            &[
                ("id".into(), Some("INTEGER".into())),
                ("price".into(), Some("REAL".into())),
                ("name".into(), Some("TEXT".into())),
            ],
        );
        scope
    }

    #[test]
    fn declared_types() {
        assert_eq!(from_declared("INTEGER"), Type::INT8);
        assert_eq!(from_declared("bigint"), Type::INT8);
        assert_eq!(from_declared("REAL"), Type::FLOAT8);
        assert_eq!(from_declared("VARCHAR(10)"), Type::VARCHAR);
        assert_eq!(from_declared("BOOLEAN"), Type::BOOL);
        assert_eq!(from_declared("NUMERIC(10,2)"), Type::NUMERIC);
        assert_eq!(from_declared("TIMESTAMP"), Type::TIMESTAMP);
        assert_eq!(from_declared("DATE"), Type::DATE);
        assert_eq!(from_declared("BLOB"), Type::BYTEA);
        assert_eq!(from_declared(""), Type::TEXT);
    }

    #[test]
    fn expression_types() {
        let q = query(
            "SELECT 1, 3000000000, 1.5, 'a', id + 1, price * 2, count(*), id = 2, name || 'x', \
             CAST(id AS text), id::int4, sum(id), avg(price)",
        );
        let types = projection_types(&q, &scope()).unwrap();
        let expected = [
            Some(Type::INT4),
            Some(Type::INT8),
            Some(Type::NUMERIC),
            Some(Type::TEXT),
            Some(Type::INT8),
            Some(Type::FLOAT8),
            Some(Type::INT8),
            Some(Type::BOOL),
            Some(Type::TEXT),
            Some(Type::TEXT),
            Some(Type::INT4),
            Some(Type::NUMERIC),
            Some(Type::FLOAT8),
        ];
        assert_eq!(types, expected);
        // A wildcard hides which column is which: no alignment.
        assert_eq!(
            projection_types(&query("SELECT 1, * FROM t"), &scope()),
            None
        );
        let q = query("SELECT id + 1, price * 2, t.name, sum(id), avg(price) FROM t");
        let types = projection_types(&q, &scope()).unwrap();
        assert_eq!(
            types,
            [
                Some(Type::INT8),
                Some(Type::FLOAT8),
                Some(Type::TEXT),
                Some(Type::NUMERIC),
                Some(Type::FLOAT8)
            ]
        );
    }

    #[test]
    fn parameter_types_come_from_context() {
        let q = query(
            "SELECT * FROM t WHERE id = $1 AND name LIKE $2 AND price BETWEEN $3 AND $4 LIMIT $5",
        );
        let types = parameter_types(&q, &scope(), 5);
        assert_eq!(
            types,
            [
                Type::INT8,
                Type::TEXT,
                Type::FLOAT8,
                Type::FLOAT8,
                Type::INT8
            ]
        );
        let q = query("SELECT $1::int4, $2");
        assert_eq!(parameter_types(&q, &scope(), 2), [Type::INT4, Type::TEXT]);
        assert_eq!(
            tables_read(&query("SELECT 1 FROM public.t AS x JOIN u ON true")),
            [
                ("x".to_owned(), "t".to_owned()),
                ("u".to_owned(), "u".to_owned())
            ]
        );
    }
}
