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
    ArrayElemTypeDef, BinaryOperator, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArguments, InTarget, ObjectName, ObjectNamePart, Query, Select, SelectItem, SetExpr,
    TableFactor, UnaryOperator, Value,
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
        "JSON" => return Type::JSON,
        "JSONB" => return Type::JSONB,
        "INTERVAL" => return Type::INTERVAL,
        // The catalog's OID columns.
        "OID" => return Type::OID,
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

/// The scale of a declared `NUMERIC(p,s)` / `DECIMAL(p,s)` column.
pub fn declared_scale(decl: &str) -> Option<u32> {
    let upper = decl.to_ascii_uppercase();
    let base = upper.split('(').next().unwrap_or("").trim();
    if !matches!(base, "NUMERIC" | "DECIMAL") {
        return None;
    }
    let args = upper.split_once('(')?.1.trim_end_matches(')');
    match args.split_once(',') {
        Some((_, scale)) => scale.trim().parse().ok(),
        None => Some(0),
    }
}

/// The display scale Postgres gives a numeric expression, where it follows
/// from the query alone (Postgres's rules: `+`/`-` the larger scale, `*`
/// the sum, `round(x, n)` n, aggregates their argument's). `None` where it
/// depends on the values (division, avg) or is unknown.
pub fn numeric_scale(expr: &Expr, scope: &Scope) -> Option<u32> {
    use BinaryOperator as B;
    if let Some(ty) = infer(expr, scope)
        && matches!(ty, Type::INT2 | Type::INT4 | Type::INT8)
    {
        return Some(0);
    }
    match expr {
        Expr::Identifier(ident) => scope.resolve_scale(None, &ident.value),
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let n = parts.len();
            scope.resolve_scale(Some(&parts[n - 2].value), &parts[n - 1].value)
        }
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) if !n.contains(['e', 'E']) => {
                Some(n.split_once('.').map_or(0, |(_, f)| f.len() as u32))
            }
            _ => None,
        },
        Expr::Cast {
            expr,
            data_type: DataType::Numeric(info) | DataType::Decimal(info),
            ..
        } => match info {
            sqlparser::ast::ExactNumberInfo::PrecisionAndScale(_, s) => u32::try_from(*s).ok(),
            sqlparser::ast::ExactNumberInfo::Precision(_) => Some(0),
            sqlparser::ast::ExactNumberInfo::None => match expr.as_ref() {
                Expr::Value(v) => match &v.value {
                    Value::SingleQuotedString(t) => {
                        Some(t.trim().split_once('.').map_or(0, |(_, f)| f.len() as u32))
                    }
                    _ => numeric_scale(expr, scope),
                },
                _ => numeric_scale(expr, scope),
            },
        },
        Expr::Cast { .. } => None,
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => numeric_scale(inner, scope),
        Expr::BinaryOp { left, op, right } => match op {
            B::Plus | B::Minus => {
                Some(numeric_scale(left, scope)?.max(numeric_scale(right, scope)?))
            }
            B::Multiply => Some(numeric_scale(left, scope)? + numeric_scale(right, scope)?),
            _ => None,
        },
        Expr::Case { .. } => case_results(expr)
            .into_iter()
            .map(|e| numeric_scale(e, scope))
            .try_fold(0, |acc, s| Some(acc.max(s?))),
        Expr::Ceil { .. } | Expr::Floor { .. } => Some(0),
        Expr::Subquery(query) => {
            projection_scales(query, scope).and_then(|scales| scales.into_iter().next().flatten())
        }
        Expr::Function(function) => {
            let args = function_args(function);
            match last_part(&function.name).as_str() {
                "sum" | "min" | "max" | "abs" | "first_value" | "last_value" | "lag" | "lead"
                | "nth_value" => numeric_scale(args.first()?, scope),
                "coalesce" | "greatest" | "least" => args
                    .iter()
                    .map(|e| numeric_scale(e, scope))
                    .try_fold(0, |acc, s| Some(acc.max(s?))),
                "round" | "trunc" => match args.get(1) {
                    None => Some(0),
                    Some(Expr::Value(v)) => match &v.value {
                        Value::Number(n, _) => Some(n.parse::<i64>().ok()?.max(0) as u32),
                        _ => None,
                    },
                    Some(Expr::UnaryOp { .. }) => Some(0),
                    _ => None,
                },
                "ceil" | "ceiling" | "floor" | "sign" => Some(0),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The THEN and ELSE results of a CASE (nothing for other expressions).
pub(crate) fn case_results(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Case {
            conditions,
            else_result,
            ..
        } => conditions
            .iter()
            .map(|c| &c.result)
            .chain(else_result.as_deref())
            .collect(),
        _ => Vec::new(),
    }
}

/// The plain (unnamed, non-wildcard) arguments of a call.
pub(crate) fn function_args(f: &Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The relations a `*` expands to, in order, by lower-cased alias; `None`
/// if one of them has no name to look its columns up by.
pub(crate) fn wildcard_aliases(select: &Select) -> Option<Vec<String>> {
    let mut aliases = Vec::new();
    for table in &select.from {
        for factor in
            std::iter::once(&table.relation).chain(table.joins.iter().map(|j| &j.relation))
        {
            let alias = match factor {
                TableFactor::Table { name, alias, .. } => alias
                    .as_ref()
                    .map(|a| a.name.value.clone())
                    .unwrap_or_else(|| last_part(name)),
                TableFactor::Derived { alias: Some(a), .. } => a.name.value.clone(),
                TableFactor::Function { name, alias, .. } => alias
                    .as_ref()
                    .map(|a| a.name.value.clone())
                    .unwrap_or_else(|| last_part(name)),
                _ => return None,
            };
            aliases.push(alias.to_lowercase());
        }
    }
    Some(aliases)
}

/// Display scales of the top-level projection (see [`numeric_scale`]).
pub fn projection_scales(query: &Query, scope: &Scope) -> Option<Vec<Option<u32>>> {
    if let SetExpr::Values(values) = query.body.as_ref() {
        // A column's scale where every row's value has the same one
        // (NULLs aside); each value keeps its own otherwise.
        let width = values.rows.first()?.len();
        return Some(
            (0..width)
                .map(|i| {
                    let mut scales = values
                        .rows
                        .iter()
                        .filter_map(|row| row.get(i))
                        .filter(|e| !matches!(e, Expr::Value(v) if v.value == Value::Null))
                        .map(|e| numeric_scale(e, scope));
                    let first = scales.next()??;
                    scales.all(|s| s == Some(first)).then_some(first)
                })
                .collect(),
        );
    }
    let select = first_select(query)?;
    let mut scales = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                scales.push(numeric_scale(expr, scope));
            }
            SelectItem::Wildcard(_) => {
                for alias in wildcard_aliases(select)? {
                    scales.extend(scope.ordered_scales.get(&alias)?.iter().copied());
                }
            }
            _ => return None,
        }
    }
    Some(scales)
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
        D::Interval { .. } => Type::INTERVAL,
        D::JSON => Type::JSON,
        D::JSONB => Type::JSONB,
        D::Array(
            ArrayElemTypeDef::SquareBracket(element, _)
            | ArrayElemTypeDef::AngleBracket(element)
            | ArrayElemTypeDef::Parenthesis(element),
        ) => array_of(&from_data_type(element)),
        D::Custom(name, _) => match last_part(name).as_str() {
            "timestamptz" => Type::TIMESTAMPTZ,
            "int" | "int4" => Type::INT4,
            "int2" => Type::INT2,
            "int8" => Type::INT8,
            "oid" => Type::OID,
            "float4" => Type::FLOAT4,
            "float8" => Type::FLOAT8,
            "bool" => Type::BOOL,
            "json" => Type::JSON,
            "jsonb" => Type::JSONB,
            "interval" => Type::INTERVAL,
            _ => Type::TEXT,
        },
        _ => Type::TEXT,
    }
}

pub(crate) fn last_part(name: &ObjectName) -> String {
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
    /// Display scale of numeric columns: declared `NUMERIC(p,s)` or inferred.
    scales: HashMap<(String, String), u32>,
    unqualified_scales: HashMap<String, Option<u32>>,
    ordered_scales: HashMap<String, Vec<Option<u32>>>,
    /// Columns of each table in order, for `*` and `t.*`.
    ordered: HashMap<String, Vec<Type>>,
    ordered_names: HashMap<String, Vec<String>>,
    /// Columns of derived tables and CTEs that hold exact decimals
    /// (`sql::exact`), by relation in order and by name.
    ordered_exact: HashMap<String, Vec<bool>>,
    /// By name alone: exact if any derived relation's column of that name
    /// is (a false "exact" only costs a decimal comparison; a false "not
    /// exact" would compare decimal text with numbers).
    unqualified_exact: HashMap<String, bool>,
}

impl Scope {
    /// Adds table `table` (reachable as `alias`) with its declared columns.
    pub fn add_table(&mut self, alias: &str, columns: &[(String, Option<String>)]) {
        let typed: Vec<(String, Type)> = columns
            .iter()
            .map(|(c, decl)| {
                (
                    c.clone(),
                    decl.as_deref().map(from_declared).unwrap_or(Type::TEXT),
                )
            })
            .collect();
        self.add_typed(alias, &typed);
        let scales: Vec<(String, Option<u32>)> = columns
            .iter()
            .map(|(c, decl)| (c.clone(), decl.as_deref().and_then(declared_scale)))
            .collect();
        self.add_scales(alias, &scales);
    }

    /// Records the display scales of a table's numeric columns.
    pub fn add_scales(&mut self, alias: &str, columns: &[(String, Option<u32>)]) {
        self.ordered_scales.insert(
            alias.to_lowercase(),
            columns.iter().map(|(_, s)| *s).collect(),
        );
        for (column, scale) in columns {
            let column = column.to_lowercase();
            if let Some(scale) = scale {
                self.scales
                    .insert((alias.to_lowercase(), column.clone()), *scale);
            }
            self.unqualified_scales
                .entry(column)
                .and_modify(|seen| {
                    if seen != scale {
                        *seen = None;
                    }
                })
                .or_insert(*scale);
        }
    }

    /// Records which columns of a derived table or CTE are exact.
    pub fn add_exact(&mut self, alias: &str, columns: &[(String, bool)]) {
        self.ordered_exact.insert(
            alias.to_lowercase(),
            columns.iter().map(|(_, e)| *e).collect(),
        );
        for (column, exact) in columns {
            *self
                .unqualified_exact
                .entry(column.to_lowercase())
                .or_default() |= *exact;
        }
    }

    /// Whether a column reference reads an exact decimal.
    pub fn is_exact(&self, qualifier: Option<&str>, column: &str) -> bool {
        let column = column.to_lowercase();
        match qualifier {
            Some(q) => {
                let q = q.to_lowercase();
                let Some(flags) = self.ordered_exact.get(&q) else {
                    return false;
                };
                let names = self.ordered_names.get(&q);
                names
                    .and_then(|names| names.iter().position(|n| *n == column))
                    .and_then(|i| flags.get(i).copied())
                    .unwrap_or(false)
            }
            None => self
                .unqualified_exact
                .get(&column)
                .copied()
                .unwrap_or(false),
        }
    }

    /// The exact flags of a relation's columns, in order (for `*`).
    pub fn exact_columns(&self, alias: &str) -> Vec<bool> {
        match (self.ordered_exact.get(alias), self.ordered.get(alias)) {
            (Some(flags), _) => flags.clone(),
            (None, Some(columns)) => vec![false; columns.len()],
            (None, None) => Vec::new(),
        }
    }

    fn resolve_scale(&self, qualifier: Option<&str>, column: &str) -> Option<u32> {
        let column = column.to_lowercase();
        match qualifier {
            Some(q) => self.scales.get(&(q.to_lowercase(), column)).copied(),
            None => self.unqualified_scales.get(&column).copied().flatten(),
        }
    }

    /// Adds a table whose columns' Postgres types are known.
    pub fn add_typed(&mut self, alias: &str, columns: &[(String, Type)]) {
        self.ordered.insert(
            alias.to_lowercase(),
            columns.iter().map(|(_, t)| t.clone()).collect(),
        );
        self.ordered_names.insert(
            alias.to_lowercase(),
            columns.iter().map(|(c, _)| c.to_lowercase()).collect(),
        );
        for (column, ty) in columns {
            let ty = ty.clone();
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

/// Every table any part of a query reads: (alias or name, table name).
pub fn all_tables_read(query: &Query) -> Vec<(String, String)> {
    use sqlparser::ast::Visit;
    struct Tables(Vec<(String, String)>);
    impl sqlparser::ast::Visitor for Tables {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> std::ops::ControlFlow<()> {
            if let TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } = factor
            {
                let table = last_part(name);
                let alias = alias
                    .as_ref()
                    .map(|a| a.name.value.clone())
                    .unwrap_or_else(|| table.clone());
                self.0.push((alias, table));
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut tables = Tables(Vec::new());
    let _ = query.visit(&mut tables);
    tables.0
}

/// The scope of a query: every real table it reads (`columns_of` gives a
/// table's declared columns), then its CTEs, derived tables and
/// `generate_series` calls, typed from their own select lists.
pub fn build_scope(
    query: &Query,
    mut columns_of: impl FnMut(&str) -> Vec<(String, Option<String>)>,
) -> Scope {
    use sqlparser::ast::Visit;
    let mut scope = Scope::default();
    let mut seen = std::collections::HashSet::new();
    for (alias, table) in all_tables_read(query) {
        let columns = columns_of(&table);
        if !columns.is_empty() && seen.insert(alias.clone()) {
            scope.add_table(&alias, &columns);
            if alias != table && seen.insert(table.clone()) {
                scope.add_table(&table, &columns);
            }
        }
    }
    // Derived relations, innermost first (post-order), so outer ones see them.
    struct Derived<'a>(&'a mut Scope);
    impl sqlparser::ast::Visitor for Derived<'_> {
        type Break = ();
        fn post_visit_query(&mut self, query: &Query) -> std::ops::ControlFlow<()> {
            if let Some(with) = &query.with {
                for cte in &with.cte_tables {
                    let names: Vec<String> = cte
                        .alias
                        .columns
                        .iter()
                        .map(|c| c.name.value.clone())
                        .collect();
                    add_derived(self.0, &cte.alias.name.value, &cte.query, &names);
                }
            }
            std::ops::ControlFlow::Continue(())
        }
        fn post_visit_table_factor(&mut self, factor: &TableFactor) -> std::ops::ControlFlow<()> {
            match factor {
                TableFactor::Derived {
                    subquery,
                    alias: Some(alias),
                    ..
                } => {
                    let names: Vec<String> =
                        alias.columns.iter().map(|c| c.name.value.clone()).collect();
                    add_derived(self.0, &alias.name.value, subquery, &names);
                }
                TableFactor::Table {
                    name,
                    alias,
                    args: Some(args),
                    with_ordinality,
                    ..
                } if last_part(name) == "generate_series" => {
                    add_series(self.0, &args.args, alias.as_ref(), *with_ordinality);
                }
                TableFactor::Function {
                    name,
                    alias,
                    args,
                    with_ordinality,
                    ..
                } if last_part(name) == "generate_series" => {
                    add_series(self.0, args, alias.as_ref(), *with_ordinality);
                }
                _ => {}
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Derived(&mut scope));
    scope
}

/// Adds a `generate_series` call in FROM: Postgres picks the integer
/// variant wide enough for every bound (`generate_series(1, p.age)` is
/// bigint), and numbers an ordinality column as bigint.
fn add_series(
    scope: &mut Scope,
    args: &[FunctionArg],
    alias: Option<&sqlparser::ast::TableAlias>,
    with_ordinality: bool,
) {
    let types: Vec<Option<Type>> = args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => infer(e, scope),
            _ => None,
        })
        .collect();
    let ty = match types.first().cloned().flatten() {
        Some(Type::INT2 | Type::INT4 | Type::INT8) | None => {
            if types.iter().flatten().any(|t| *t == Type::NUMERIC) {
                Type::NUMERIC
            } else if types.iter().flatten().any(|t| *t == Type::INT8) {
                Type::INT8
            } else {
                Type::INT4
            }
        }
        Some(other) => other,
    };
    let (table, column) = match alias {
        Some(a) => (
            a.name.value.clone(),
            a.columns
                .first()
                .map(|c| c.name.value.clone())
                .unwrap_or_else(|| a.name.value.clone()),
        ),
        None => ("generate_series".into(), "generate_series".into()),
    };
    let mut columns = vec![(column, ty)];
    if with_ordinality {
        let name = alias
            .and_then(|a| a.columns.get(1))
            .map_or_else(|| "ordinality".to_owned(), |c| c.name.value.clone());
        columns.push((name, Type::INT8));
    }
    scope.add_typed(&table, &columns);
}

/// Adds a CTE or derived table named `alias` to the scope.
fn add_derived(scope: &mut Scope, alias: &str, query: &Query, names: &[String]) {
    let Some(types) = projection_types(query, scope) else {
        return;
    };
    let output = output_names(query);
    let columns: Vec<(String, Type)> = types
        .into_iter()
        .enumerate()
        .map(|(i, ty)| {
            let name = names
                .get(i)
                .cloned()
                .or_else(|| output.get(i).cloned().flatten())
                .unwrap_or_default();
            (name, ty.unwrap_or(Type::TEXT))
        })
        .collect();
    if let Some(scales) = projection_scales(query, scope) {
        let named: Vec<(String, Option<u32>)> =
            columns.iter().map(|(n, _)| n.clone()).zip(scales).collect();
        scope.add_scales(alias, &named);
    }
    let exact: Vec<(String, bool)> = columns
        .iter()
        .map(|(n, _)| n.clone())
        .zip(super::exact::projection_exact(query, scope))
        .collect();
    scope.add_exact(alias, &exact);
    scope.add_typed(alias, &columns);
}

/// The output names of a query's select list (aliases, column names).
fn output_names(query: &Query) -> Vec<Option<String>> {
    let Some(select) = first_select(query) else {
        return Vec::new();
    };
    select
        .projection
        .iter()
        .map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
            SelectItem::UnnamedExpr(Expr::Identifier(i)) => Some(i.value.clone()),
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(p)) => {
                p.last().map(|i| i.value.clone())
            }
            SelectItem::UnnamedExpr(Expr::Function(f)) => Some(last_part(&f.name)),
            _ => None,
        })
        .collect()
}

/// The first SELECT of a query (the left branch of set operations).
fn first_select(query: &Query) -> Option<&sqlparser::ast::Select> {
    fn of(body: &SetExpr) -> Option<&sqlparser::ast::Select> {
        match body {
            SetExpr::Select(select) => Some(select),
            SetExpr::SetOperation { left, .. } => of(left),
            SetExpr::Query(query) => of(&query.body),
            _ => None,
        }
    }
    of(&query.body)
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
    body_types(&query.body, scope)
}

fn body_types(body: &SetExpr, scope: &Scope) -> Option<Vec<Option<Type>>> {
    let select = match body {
        SetExpr::Select(select) => select,
        SetExpr::Query(query) => return body_types(&query.body, scope),
        SetExpr::SetOperation { left, right, .. } => {
            return Some(union_types(
                body_types(left, scope)?,
                body_types(right, scope).unwrap_or_default(),
            ));
        }
        SetExpr::Values(values) => {
            return values
                .rows
                .first()
                .map(|row| row.iter().map(|e| infer(e, scope)).collect());
        }
        _ => return None,
    };
    let mut types = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                types.push(infer(expr, scope));
            }
            SelectItem::Wildcard(_) => {
                for alias in wildcard_aliases(select)? {
                    types.extend(scope.ordered.get(&alias)?.iter().cloned().map(Some));
                }
            }
            SelectItem::QualifiedWildcard(kind, _) => {
                let name = kind.to_string();
                let name = name.trim_end_matches(".*");
                let alias = name
                    .rsplit('.')
                    .next()
                    .unwrap_or(name)
                    .trim_matches('"')
                    .to_lowercase();
                let columns = scope.ordered.get(&alias)?;
                types.extend(columns.iter().cloned().map(Some));
            }
            _ => return None,
        }
    }
    Some(types)
}

/// The column types of a set operation from its branches': numbers
/// resolve as Postgres's UNION does (int8 and numeric give numeric,
/// numeric and float8 float8); otherwise the first branch's type.
fn union_types(left: Vec<Option<Type>>, right: Vec<Option<Type>>) -> Vec<Option<Type>> {
    let numeric = |t: &Type| {
        matches!(
            *t,
            Type::INT2 | Type::INT4 | Type::INT8 | Type::NUMERIC | Type::FLOAT4 | Type::FLOAT8
        )
    };
    left.into_iter()
        .enumerate()
        .map(|(i, l)| match (l, right.get(i).cloned().flatten()) {
            (Some(l), Some(r)) if numeric(&l) && numeric(&r) => Some(numeric_result(l, r)),
            (None, r) => r,
            (l, _) => l,
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

pub(crate) fn pg_column_name(expr: &Expr) -> Option<String> {
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
        Expr::Array(_) => Some("array".to_owned()),
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
        Expr::TypedString(typed) => Some(from_data_type(&typed.data_type)),
        Expr::Interval(_) => Some(Type::INTERVAL),
        Expr::Extract { .. } => Some(Type::NUMERIC),
        Expr::Position { .. } => Some(Type::INT4),
        Expr::Substring { .. } | Expr::Trim { .. } => Some(Type::TEXT),
        Expr::Ceil { expr, .. } | Expr::Floor { expr, .. } => Some(match infer(expr, scope) {
            Some(Type::FLOAT4 | Type::FLOAT8) => Type::FLOAT8,
            _ => Type::NUMERIC,
        }),
        Expr::SimilarTo { .. } | Expr::AnyOp { .. } | Expr::AllOp { .. } => Some(Type::BOOL),
        Expr::Subquery(query) => {
            projection_types(query, scope).and_then(|types| types.into_iter().next().flatten())
        }
        Expr::Nested(inner) => infer(inner, scope),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        } => Some(Type::BOOL),
        Expr::UnaryOp {
            op: UnaryOperator::PGSquareRoot | UnaryOperator::PGCubeRoot,
            ..
        } => Some(Type::FLOAT8),
        Expr::UnaryOp { expr, .. } => infer(expr, scope),
        Expr::BinaryOp { left, op, right } => match op {
            B::Plus | B::Minus => {
                let (l, r) = (infer(left, scope), infer(right, scope));
                let temporal = |t: &Option<Type>| {
                    matches!(
                        t,
                        Some(Type::DATE | Type::TIMESTAMP | Type::TIMESTAMPTZ | Type::INTERVAL)
                    )
                };
                if temporal(&l) || temporal(&r) {
                    return temporal_result(l, matches!(op, B::Minus), r);
                }
                Some(numeric_result(l?, r?))
            }
            B::Multiply | B::Divide | B::Modulo => {
                Some(numeric_result(infer(left, scope)?, infer(right, scope)?))
            }
            B::PGExp => Some(match (infer(left, scope), infer(right, scope)) {
                (Some(Type::NUMERIC), _) | (_, Some(Type::NUMERIC)) => Type::NUMERIC,
                _ => Type::FLOAT8,
            }),
            B::Arrow | B::HashArrow => Some(match infer(left, scope) {
                Some(Type::JSONB) => Type::JSONB,
                _ => Type::JSON,
            }),
            B::LongArrow | B::HashLongArrow => Some(Type::TEXT),
            B::AtArrow
            | B::ArrowAt
            | B::PGRegexMatch
            | B::PGRegexIMatch
            | B::PGRegexNotMatch
            | B::PGRegexNotIMatch => Some(Type::BOOL),
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
        Expr::Array(array) => Some(array_of(
            &array
                .elem
                .first()
                .and_then(|e| infer(e, scope))
                .unwrap_or(Type::TEXT),
        )),
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

/// `+`/`-` with dates, timestamps and intervals.
fn temporal_result(left: Option<Type>, minus: bool, right: Option<Type>) -> Option<Type> {
    use Type as T;
    let ts = |t: &Type| matches!(*t, T::TIMESTAMP | T::TIMESTAMPTZ);
    match (left?, right?) {
        (T::DATE, T::DATE) if minus => Some(T::INT4),
        (T::DATE, T::INTERVAL) | (T::INTERVAL, T::DATE) => Some(T::TIMESTAMP),
        (T::DATE, _) | (_, T::DATE) => Some(T::DATE),
        (l, r) if ts(&l) && ts(&r) && minus => Some(T::INTERVAL),
        (l, _) if ts(&l) => Some(l),
        (_, r) if ts(&r) => Some(r),
        _ => Some(T::INTERVAL),
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
    let arg_type = |i: usize| match &function.args {
        FunctionArguments::List(list) => list.args.get(i).and_then(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => infer(e, scope),
            _ => None,
        }),
        _ => None,
    };
    let float_or_numeric = |t: Option<Type>| match t {
        Some(Type::NUMERIC) => Type::NUMERIC,
        _ => Type::FLOAT8,
    };
    match name.as_str() {
        "count" | "row_number" | "rank" | "dense_rank" => Some(Type::INT8),
        "ntile" => Some(Type::INT4),
        "percent_rank" | "cume_dist" | "random" | "date_part" | "percentile_cont" => {
            Some(Type::FLOAT8)
        }
        "sum" => first_arg().map(|t| match t {
            Type::INT2 | Type::INT4 => Type::INT8,
            Type::INT8 => Type::NUMERIC,
            Type::FLOAT4 => Type::FLOAT4,
            other => other,
        }),
        "avg" => first_arg().map(|t| match t {
            Type::FLOAT4 | Type::FLOAT8 => Type::FLOAT8,
            Type::INTERVAL => Type::INTERVAL,
            _ => Type::NUMERIC,
        }),
        "stddev" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop" => {
            first_arg().map(|t| match t {
                Type::FLOAT4 | Type::FLOAT8 => Type::FLOAT8,
                _ => Type::NUMERIC,
            })
        }
        "percentile_disc" => function
            .within_group
            .first()
            .and_then(|o| infer(&o.expr, scope)),
        "array_agg" => first_arg().map(|t| array_of(&t)),
        "min" | "max" | "abs" | "coalesce" | "nullif" | "greatest" | "least" | "lag" | "lead"
        | "first_value" | "last_value" | "nth_value" | "mod" => first_arg(),
        "round" | "trunc" => Some(match first_arg() {
            Some(Type::FLOAT4 | Type::FLOAT8) if function_arg_count(function) == 1 => Type::FLOAT8,
            _ => Type::NUMERIC,
        }),
        "ceil" | "ceiling" | "floor" => Some(match first_arg() {
            Some(Type::FLOAT4 | Type::FLOAT8) => Type::FLOAT8,
            _ => Type::NUMERIC,
        }),
        "sign" => Some(float_or_numeric(first_arg())),
        "power" | "pow" => Some(match (arg_type(0), arg_type(1)) {
            (Some(Type::NUMERIC), _) | (_, Some(Type::NUMERIC)) => Type::NUMERIC,
            _ => Type::FLOAT8,
        }),
        "sqrt" | "exp" | "ln" | "log" => Some(float_or_numeric(first_arg())),
        "div" => Some(Type::NUMERIC),
        "length" | "char_length" | "character_length" | "octet_length" | "strpos" | "position" => {
            Some(Type::INT4)
        }
        "bool_and" | "bool_or" | "every" | "starts_with" => Some(Type::BOOL),
        "lower" | "upper" | "substr" | "substring" | "trim" | "btrim" | "ltrim" | "rtrim"
        | "replace" | "concat" | "concat_ws" | "left" | "right" | "lpad" | "rpad" | "md5"
        | "version" | "split_part" | "initcap" | "repeat" | "reverse" | "to_char"
        | "string_agg" | "current_database" | "current_user" | "session_user"
        | "current_schema" => Some(Type::TEXT),
        "date_trunc" => Some(match arg_type(1) {
            Some(Type::TIMESTAMPTZ) => Type::TIMESTAMPTZ,
            _ => Type::TIMESTAMP,
        }),
        "make_date" | "current_date" => Some(Type::DATE),
        "age" => Some(Type::INTERVAL),
        // (int, bigint) series are bigint, as Postgres picks its overload.
        "generate_series" => {
            let number =
                |t: &Type| matches!(*t, Type::INT2 | Type::INT4 | Type::INT8 | Type::NUMERIC);
            match (arg_type(0), arg_type(1)) {
                (Some(a), Some(b)) if number(&a) && number(&b) => Some(numeric_result(a, b)),
                (a, _) => a,
            }
        }
        // Arrays declared as text (the catalog's) have text items.
        "unnest" => first_arg().map(|t| element_of(&t).unwrap_or(Type::TEXT)),
        "generate_subscripts" | "array_length" | "array_lower" | "array_upper" | "cardinality" => {
            Some(Type::INT4)
        }
        "array_to_string" => Some(Type::TEXT),
        "now" | "current_timestamp" => Some(Type::TIMESTAMPTZ),
        _ => None,
    }
}

fn function_arg_count(function: &Function) -> usize {
    match &function.args {
        FunctionArguments::List(list) => list.args.len(),
        _ => 0,
    }
}

/// Element types and their array types, for the arrays graftgres emits
/// (others are arrays of text).
const ARRAYS: [(Type, Type); 14] = [
    (Type::INT2, Type::INT2_ARRAY),
    (Type::INT4, Type::INT4_ARRAY),
    (Type::INT8, Type::INT8_ARRAY),
    (Type::OID, Type::OID_ARRAY),
    (Type::FLOAT4, Type::FLOAT4_ARRAY),
    (Type::FLOAT8, Type::FLOAT8_ARRAY),
    (Type::NUMERIC, Type::NUMERIC_ARRAY),
    (Type::BOOL, Type::BOOL_ARRAY),
    (Type::DATE, Type::DATE_ARRAY),
    (Type::TIMESTAMP, Type::TIMESTAMP_ARRAY),
    (Type::TIMESTAMPTZ, Type::TIMESTAMPTZ_ARRAY),
    (Type::VARCHAR, Type::VARCHAR_ARRAY),
    (Type::NAME, Type::NAME_ARRAY),
    (Type::TEXT, Type::TEXT_ARRAY),
];

/// The array type of an element type.
fn array_of(element: &Type) -> Type {
    ARRAYS
        .iter()
        .find(|(e, _)| e == element)
        .map_or(Type::TEXT_ARRAY, |(_, array)| array.clone())
}

/// The element type of an array type graftgres emits.
pub fn element_of(array: &Type) -> Option<Type> {
    ARRAYS
        .iter()
        .find(|(_, a)| a == array)
        .map(|(element, _)| element.clone())
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
        // A wildcard expands to the table's declared columns, in order.
        assert_eq!(
            projection_types(&query("SELECT 1, * FROM t"), &scope()),
            Some(vec![
                Some(Type::INT4),
                Some(Type::INT8),
                Some(Type::FLOAT8),
                Some(Type::TEXT)
            ])
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
    fn set_operations_and_values_resolve_numeric_columns() {
        let mut scope = scope();
        scope.add_table("n", &[("x".into(), Some("NUMERIC".into()))]);
        assert_eq!(
            projection_types(
                &query("SELECT id, id FROM t UNION SELECT x, price FROM n, t"),
                &scope
            ),
            Some(vec![Some(Type::NUMERIC), Some(Type::FLOAT8)])
        );
        assert_eq!(
            projection_scales(&query("VALUES (1.5, 2.5), (NULL, 3.25)"), &scope),
            Some(vec![Some(1), None])
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
