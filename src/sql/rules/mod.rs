//! The rewrite rules from Postgres SQL to SQLite SQL, one module per concern,
//! run in one mutable visit of the AST ([`apply`]).
//!
//! Structural rules (LATERAL, DISTINCT ON, generate_series, set-returning
//! functions in select lists, ANY/ALL over subqueries, FETCH/OFFSET, NULLS
//! ordering) run when the visit enters a node, so the nodes they build are
//! visited (and translated) in turn; expression rules run when the visit
//! leaves a node, on already translated children.

mod aggregate_distinct;
mod any_all;
mod casts;
mod distinct_on;
mod functions;
mod identifiers;
pub(crate) mod lateral;
mod literals;
mod numeric;
mod operators;
mod ordering;
mod relations;
mod series;
mod set_returning;

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName, ObjectNamePart, Query, TableFactor, Value, VisitMut, VisitorMut,
};

use crate::error::{PgError, PgResult};
pub(crate) use crate::sql::ident_name;

/// Translates a read query; returns the SQLite text and the parameter count.
pub fn apply(query: &Query) -> PgResult<(String, usize)> {
    visit(query.clone())
}

/// Translates a read query knowing the types of the tables it reads
/// (`scope`): its exact numeric expressions become decimal calls first
/// ([`numeric`]), then the other rules run.
pub fn apply_typed(query: &Query, scope: &crate::sql::types::Scope) -> PgResult<(String, usize)> {
    let mut query = query.clone();
    numeric::rewrite(&mut query, scope);
    visit(query)
}

fn visit(mut query: Query) -> PgResult<(String, usize)> {
    let mut rules = Rules {
        param_count: 0,
        depth: 0,
        lateral_names: lateral::Names::default(),
        error: None,
    };
    let _ = query.visit(&mut rules);
    if let Some(err) = rules.error {
        return Err(err);
    }
    literals::print_strings_exactly(&mut query);
    Ok((query.to_string(), rules.param_count))
}

struct Rules {
    param_count: usize,
    /// Nesting of queries: 0 while entering the statement's own query.
    depth: usize,
    /// Names for the relations LATERAL items become, unique in the statement.
    lateral_names: lateral::Names,
    error: Option<PgError>,
}

impl Rules {
    fn check(&mut self, result: PgResult<()>) -> ControlFlow<()> {
        match result {
            Ok(()) => ControlFlow::Continue(()),
            Err(err) => {
                self.error = Some(err);
                ControlFlow::Break(())
            }
        }
    }
}

impl VisitorMut for Rules {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let top = self.depth == 0;
        self.depth += 1;
        let result = lateral::rewrite(query, &mut self.lateral_names);
        self.check(result)?;
        series::select_list_series(query);
        let result = set_returning::expand(query);
        self.check(result)?;
        let result = distinct_on::rewrite(query);
        self.check(result)?;
        identifiers::aliases(query);
        ordering::fetch_to_limit(query);
        ordering::nulls_like_postgres(query);
        if top {
            functions::top_level_avg(query);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &mut Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        let result = relations::strip_public_schema(relation);
        self.check(result)
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let result = relations::refuse_lateral(factor);
        self.check(result)?;
        identifiers::table_alias(factor);
        series::table_function(factor);
        relations::derived_column_aliases(factor);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        any_all::rewrite(expr);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        identifiers::references(expr);
        literals::numbered_placeholder(expr, &mut self.param_count);
        literals::strings(expr);
        literals::array_constructor(expr);
        casts::to_sqlite(expr);
        let result = operators::rewrite(expr);
        self.check(result)?;
        let result = aggregate_distinct::rewrite(expr);
        self.check(result)?;
        functions::rewrite(expr);
        ordering::nulls_in_function(expr);
        ControlFlow::Continue(())
    }
}

/// `name(args...)` as an expression.
pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: Vec::new(),
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: Vec::new(),
    })
}

pub(crate) fn string(text: impl Into<String>) -> Expr {
    Expr::value(Value::SingleQuotedString(text.into()))
}

pub(crate) fn number(n: i64) -> Expr {
    Expr::value(Value::Number(n.to_string(), false))
}

/// `NOT (expr)` when `negated`.
pub(crate) fn negate_if(negated: bool, expr: Expr) -> Expr {
    if negated {
        Expr::UnaryOp {
            op: sqlparser::ast::UnaryOperator::Not,
            expr: Box::new(Expr::Nested(Box::new(expr))),
        }
    } else {
        expr
    }
}

/// The name Postgres gives an unaliased select-list item (its FigureColname).
pub(crate) fn output_name(expr: &Expr) -> String {
    match expr {
        Expr::Identifier(ident) => ident_name(ident),
        Expr::CompoundIdentifier(parts) => parts.last().map(ident_name).unwrap_or_default(),
        Expr::Function(f) => function_name(f),
        Expr::Nested(inner) => output_name(inner),
        Expr::Cast {
            expr, data_type, ..
        } => match output_name(expr).as_str() {
            "?column?" => crate::sql::types::from_data_type(data_type)
                .name()
                .to_owned(),
            name => name.to_owned(),
        },
        Expr::Case { .. } => "case".into(),
        Expr::Exists { .. } => "exists".into(),
        Expr::Extract { .. } => "extract".into(),
        Expr::Substring { .. } => "substring".into(),
        Expr::Position { .. } => "position".into(),
        Expr::Ceil { .. } => "ceil".into(),
        Expr::Floor { .. } => "floor".into(),
        _ => "?column?".into(),
    }
}

/// What an ORDER BY (or GROUP BY) item names: `2` the second select-list
/// expression, a bare name the select-list expression with that output
/// name; anything else itself. `items` are the select list's expressions
/// with their output names.
pub(crate) fn select_list_target(expr: &Expr, items: &[(Expr, String)]) -> Expr {
    let found = match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i.checked_sub(1)?)),
            _ => None,
        },
        Expr::Identifier(ident) => {
            let key = ident_name(ident);
            items.iter().find(|(_, name)| *name == key)
        }
        _ => None,
    };
    found.map_or_else(|| expr.clone(), |(e, _)| e.clone())
}

/// The lower-case last part of a function's name.
pub(crate) fn function_name(function: &Function) -> String {
    match function.name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.to_lowercase(),
        _ => String::new(),
    }
}

/// A query parsed from Postgres text built by a rule (never user text alone).
pub(crate) fn parse_query(sql: &str) -> Option<Box<Query>> {
    use sqlparser::ast::Statement;
    let mut statements =
        sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql)
            .ok()?;
    match statements.pop() {
        Some(Statement::Query(query)) => Some(query),
        _ => None,
    }
}

/// Whether `expr` has a node matching `test` outside its subqueries.
pub(crate) fn contains(expr: &Expr, test: fn(&Expr) -> bool) -> bool {
    struct Finder {
        depth: usize,
        test: fn(&Expr) -> bool,
    }
    impl sqlparser::ast::Visitor for Finder {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if self.depth == 0 && (self.test)(expr) {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    sqlparser::ast::Visit::visit(expr, &mut Finder { depth: 0, test }).is_break()
}

#[cfg(test)]
pub(crate) fn translate(sql: &str) -> PgResult<String> {
    use sqlparser::ast::Statement;
    match crate::sql::parse(sql)?.pop() {
        Some(Statement::Query(q)) => apply(&q).map(|(sql, _)| sql),
        other => panic!("not a query: {other:?}"),
    }
}
