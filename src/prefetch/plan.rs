//! Reading a statement's plan: which B-tree each loop of SQLite's plan reads,
//! and with which keys.
//!
//! SQLite's `EXPLAIN QUERY PLAN` names, loop by loop (outermost first), the
//! table, how it is reached (rowid, an index, its primary key, a scan) and
//! the constrained columns, e.g. `SEARCH o USING INDEX o_k (k>? AND k<?)`.
//! The values come from the statement itself: its WHERE and inner-join ON
//! conjuncts that compare the leading constrained column with constants or
//! bound parameters. A loop whose keys come from other tables' columns (the
//! inner side of a join) keeps the expression instead; the prefetcher
//! evaluates it once the outer loops' pages are in (see [`Loop::derived`]).
//!
//! Anything not understood is left out: SQLite still reads it on demand.

use std::collections::HashMap;
use std::ops::ControlFlow;

use rusqlite::Connection;
use rusqlite::types::Value;
use sqlparser::ast::{
    BinaryOperator, Expr, InTarget, JoinConstraint, JoinOperator, ObjectNamePart, SetExpr,
    Statement, TableFactor, UnaryOperator, Value as SqlValue, visit_expressions,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::record::Key;
use super::walk::{KeyRange, Keys, Target};

/// How a loop reaches its table.
#[derive(Debug, Clone, PartialEq)]
enum Access {
    Rowid,
    Index { name: String, covering: bool },
    PrimaryKey,
    Scan { index: Option<String> },
}

/// One line of `EXPLAIN QUERY PLAN` that reads a B-tree.
#[derive(Debug, Clone, PartialEq)]
struct PlanLine {
    name: String,
    access: Access,
    /// The leading constrained column, for SEARCH lines.
    column: Option<String>,
}

/// Parses an `EXPLAIN QUERY PLAN` detail; `None` for lines that read no
/// table of the database (temp B-trees, subquery scans, constant rows).
fn parse_line(detail: &str) -> Option<PlanLine> {
    let mut words = detail.split_whitespace();
    let verb = words.next()?;
    let name = words.next()?.to_owned();
    let rest: Vec<&str> = words.collect();
    let rest = rest.join(" ");
    if name.starts_with('(') || name == "CONSTANT" {
        return None;
    }
    let column = rest
        .rfind('(')
        .map(|open| &rest[open + 1..])
        .and_then(|cons| {
            let end = cons.find(|c: char| "=<>! ".contains(c))?;
            Some(cons[..end].to_owned())
        })
        .filter(|c| !c.is_empty());
    let access = match verb {
        "SCAN" => {
            let index = rest
                .strip_prefix("USING COVERING INDEX ")
                .or_else(|| rest.strip_prefix("USING INDEX "))
                .map(|i| i.split_whitespace().next().unwrap_or_default().to_owned());
            Access::Scan { index }
        }
        "SEARCH" => {
            let access = if rest.starts_with("USING INTEGER PRIMARY KEY") {
                Access::Rowid
            } else if rest.starts_with("USING PRIMARY KEY") {
                Access::PrimaryKey
            } else if rest.starts_with("USING AUTOMATIC") {
                // SQLite builds a temporary index from a full scan.
                return Some(PlanLine {
                    name,
                    access: Access::Scan { index: None },
                    column: None,
                });
            } else if let Some(i) = rest.strip_prefix("USING COVERING INDEX ") {
                Access::Index {
                    name: i.split_whitespace().next()?.to_owned(),
                    covering: true,
                }
            } else if let Some(i) = rest.strip_prefix("USING INDEX ") {
                Access::Index {
                    name: i.split_whitespace().next()?.to_owned(),
                    covering: false,
                }
            } else {
                return None;
            };
            column.as_ref()?; // min()/max() probes name no keys: one leaf
            access
        }
        _ => return None,
    };
    Some(PlanLine {
        name,
        access,
        column,
    })
}

/// Where a loop's keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Constants and parameters: known before the statement runs, once
    /// the parameters are bound. A plan holds the expressions, so it can be
    /// cached per statement text.
    Known {
        points: Option<Vec<Expr>>,
        lo: Option<Box<Expr>>,
        hi: Option<Box<Expr>>,
    },
    /// Values of an expression over the outer loops' tables.
    Derived(String),
    /// Every key: a scan.
    All,
}

/// One loop of the plan, resolved against the schema.
#[derive(Debug, Clone)]
pub struct Loop {
    /// The tree the loop reads, its key order and what it looks up.
    target: Target,
    keys: KeySource,
    /// SQLite's type affinity of the key column.
    affinity: Affinity,
    /// A query to run, once the outer loops are fetched, for the values of
    /// [`KeySource::Derived`].
    pub derived: Option<String>,
}

impl Loop {
    /// The prefetch target for `keys`, or `None` if there is nothing to do.
    pub fn target(&self, keys: Vec<KeyRange>) -> Option<Target> {
        if keys.is_empty() {
            return None;
        }
        let keys: Vec<KeyRange> = keys
            .into_iter()
            .map(|r| KeyRange {
                lo: r.lo.map(|k| self.affinity.apply(k)),
                hi: r.hi.map(|k| self.affinity.apply(k)),
            })
            .collect();
        let mut target = self.target.clone();
        target.keys = match target.keys {
            Keys::Rowids(_) => Keys::Rowids(keys),
            Keys::Index { desc, .. } => Keys::Index { ranges: keys, desc },
        };
        Some(target)
    }

    /// The target of a loop whose keys are known with `params` bound.
    pub fn known(&self, params: &[Value]) -> Option<Target> {
        match &self.keys {
            KeySource::Known { points, lo, hi } => {
                let bound = |e: &Option<Box<Expr>>| e.as_ref().and_then(|e| constant(e, params));
                let keys = match points {
                    Some(points) => points
                        .iter()
                        .filter_map(|e| constant(e, params))
                        .map(KeyRange::point)
                        .collect(),
                    None => vec![KeyRange {
                        lo: bound(lo),
                        hi: bound(hi),
                    }],
                };
                self.target(keys)
            }
            KeySource::All => Some(self.target.clone()),
            KeySource::Derived(_) => None,
        }
    }
}

/// SQLite's column affinity, applied to a query's constants as SQLite does
/// before comparing them with the column.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Affinity {
    Integer,
    Real,
    Numeric,
    Text,
    Blob,
}

impl Affinity {
    /// From a declared type, by the rules of section 3.1 of the datatype doc.
    fn of(declared: &str) -> Self {
        let t = declared.to_ascii_uppercase();
        if t.contains("INT") {
            Affinity::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Affinity::Text
        } else if t.contains("BLOB") || t.is_empty() {
            Affinity::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }

    fn apply(self, key: Key) -> Key {
        match (self, key) {
            (Affinity::Integer | Affinity::Real | Affinity::Numeric, Key::Text(t)) => {
                let s = String::from_utf8_lossy(&t);
                let s = s.trim();
                if let Ok(i) = s.parse::<i64>() {
                    Key::Int(i)
                } else if let Ok(f) = s.parse::<f64>() {
                    integral(f)
                } else {
                    Key::Text(t)
                }
            }
            (Affinity::Integer | Affinity::Numeric, Key::Real(f)) => integral(f),
            (Affinity::Text, Key::Int(i)) => Key::Text(i.to_string().into_bytes()),
            (Affinity::Text, Key::Real(f)) => Key::Text(format!("{f:?}").into_bytes()),
            (_, key) => key,
        }
    }
}

fn integral(f: f64) -> Key {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Key::Int(f as i64)
    } else {
        Key::Real(f)
    }
}

/// A table of the FROM clause.
#[derive(Debug, Clone)]
struct Source {
    alias: String,
    table: String,
}

/// What the plan reads, loop by loop, outermost first.
#[derive(Debug, Default)]
pub struct Plan {
    pub loops: Vec<Loop>,
}

/// Analyses `sql` (SQLite text) as it would run on `conn`, for any
/// parameter values.
pub fn analyse(conn: &Connection, sql: &str) -> rusqlite::Result<Plan> {
    let mut plan = Plan::default();
    let Some(query) = parse_select(sql) else {
        return Ok(plan);
    };
    let lines = plan_lines(conn, sql)?;
    let schema = Schema { conn };
    let mut done: Vec<String> = Vec::new();
    for line in lines {
        let Some(source) = query
            .sources
            .iter()
            .find(|s| s.alias.eq_ignore_ascii_case(&line.name))
        else {
            continue; // a subquery, a CTE or a view's inner table
        };
        if let Some(l) = resolve(&schema, &query, source, &line, &done)? {
            plan.loops.push(l);
        }
        done.push(source.alias.to_lowercase());
    }
    Ok(plan)
}

fn plan_lines(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<PlanLine>> {
    // Parameters stay unbound: the plan does not depend on their values.
    let mut stmt = conn.prepare_cached(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let mut rows = stmt.raw_query();
    let mut lines = Vec::new();
    while let Some(row) = rows.next()? {
        lines.extend(parse_line(&row.get::<_, String>(3)?));
    }
    Ok(lines)
}

/// A SELECT's tables and conjuncts.
struct Select {
    sources: Vec<Source>,
    conjuncts: Vec<Expr>,
    limited: bool,
}

fn parse_select(sql: &str) -> Option<Select> {
    let mut statements = Parser::parse_sql(&SQLiteDialect {}, sql).ok()?;
    let Statement::Query(query) = statements.pop()? else {
        return None;
    };
    let SetExpr::Select(select) = *query.body else {
        return None;
    };
    let mut sources = Vec::new();
    let mut conjuncts = Vec::new();
    if let Some(selection) = &select.selection {
        split_and(selection, &mut conjuncts);
    }
    for from in &select.from {
        sources.extend(source(&from.relation));
        for join in &from.joins {
            let (inner, constraint) = match &join.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) | JoinOperator::CrossJoin(c) => {
                    (true, Some(c))
                }
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (false, Some(c)),
                _ => (false, None),
            };
            sources.extend(source(&join.relation));
            if let (true, Some(JoinConstraint::On(on))) = (inner, constraint) {
                split_and(on, &mut conjuncts);
            }
        }
    }
    Some(Select {
        sources,
        conjuncts,
        limited: query.limit_clause.is_some(),
    })
}

fn source(factor: &TableFactor) -> Option<Source> {
    let TableFactor::Table { name, alias, .. } = factor else {
        return None;
    };
    let table = match name.0.last()? {
        ObjectNamePart::Identifier(ident) => ident.value.clone(),
        _ => return None,
    };
    let alias = alias
        .as_ref()
        .map_or(table.clone(), |a| a.name.value.clone());
    Some(Source { alias, table })
}

fn split_and(expr: &Expr, out: &mut Vec<Expr>) {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        Expr::Nested(inner) => split_and(inner, out),
        other => out.push(other.clone()),
    }
}

/// Schema lookups on the statement's own connection (its snapshot).
struct Schema<'a> {
    conn: &'a Connection,
}

impl Schema<'_> {
    fn root(&self, kind: &str, name: &str) -> rusqlite::Result<Option<u32>> {
        self.conn
            .prepare_cached("SELECT rootpage FROM sqlite_schema WHERE type = ?1 AND name = ?2")?
            .query_row([kind, name], |r| r.get(0))
            .map(Some)
            .or_else(none_if_empty)
    }

    fn without_rowid(&self, table: &str) -> rusqlite::Result<bool> {
        self.conn
            .prepare_cached("SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1")?
            .query_row([table], |r| r.get(0))
            .or_else(|e| none_if_empty::<bool>(e).map(|_| false))
    }

    /// Declared types of a table's columns, lower-cased names.
    fn columns(&self, table: &str) -> rusqlite::Result<HashMap<String, String>> {
        self.conn
            .prepare_cached("SELECT name, type FROM pragma_table_info(?1)")?
            .query_map([table], |r| {
                Ok((r.get::<_, String>(0)?.to_lowercase(), r.get(1)?))
            })?
            .collect()
    }

    /// The name of the column that aliases the rowid, if any.
    fn rowid_alias(&self, table: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .prepare_cached(
                "SELECT name FROM pragma_table_info(?1) WHERE pk = 1 AND upper(type) = 'INTEGER'
                 AND (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1",
            )?
            .query_row([table], |r| r.get(0))
            .map(Some)
            .or_else(none_if_empty)
    }

    /// An index's leading key column: its name, whether it sorts
    /// descending, and whether it compares bytewise (BINARY).
    fn leading_column(&self, index: &str) -> rusqlite::Result<Option<(String, bool, bool)>> {
        self.conn
            .prepare_cached(
                "SELECT name, \"desc\", coll FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno LIMIT 1",
            )?
            .query_row([index], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, bool>(1)?,
                    r.get::<_, String>(2)?.eq_ignore_ascii_case("BINARY"),
                ))
            })
            .map(Some)
            .or_else(none_if_empty)
    }

    /// The primary-key index of a WITHOUT ROWID table.
    fn primary_key_index(&self, table: &str) -> rusqlite::Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT name FROM pragma_index_list(?1) WHERE origin = 'pk'")?
            .query_row([table], |r| r.get(0))
            .map(Some)
            .or_else(none_if_empty)
    }
}

fn none_if_empty<T>(err: rusqlite::Error) -> rusqlite::Result<Option<T>> {
    match err {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        other => Err(other),
    }
}

/// Read-ahead for a scan, in leaves: what the cache holds comfortably.
pub const SCAN_LEAVES: usize = 16_384;

fn resolve(
    schema: &Schema<'_>,
    query: &Select,
    source: &Source,
    line: &PlanLine,
    outer: &[String],
) -> rusqlite::Result<Option<Loop>> {
    let Some(table_root) = schema.root("table", &source.table)? else {
        return Ok(None);
    };
    let columns = schema.columns(&source.table)?;
    let without_rowid = schema.without_rowid(&source.table)?;
    // The tree, its key column and what the index leads to.
    let (root, keys, column, table) = match &line.access {
        Access::Rowid => (
            table_root,
            Keys::Rowids(Vec::new()),
            schema.rowid_alias(&source.table)?,
            None,
        ),
        Access::Index { name, covering } => {
            let Some(root) = schema.root("index", name)? else {
                return Ok(None);
            };
            let Some((column, desc, binary)) = schema.leading_column(name)? else {
                return Ok(None);
            };
            if !binary {
                return Ok(None); // keys would need the collation's order
            }
            let table = (!covering && !without_rowid).then_some(table_root);
            (
                root,
                Keys::Index {
                    ranges: Vec::new(),
                    desc,
                },
                Some(column),
                table,
            )
        }
        Access::PrimaryKey => {
            let Some(index) = schema.primary_key_index(&source.table)? else {
                return Ok(None);
            };
            let Some((column, desc, binary)) = schema.leading_column(&index)? else {
                return Ok(None);
            };
            if !binary {
                return Ok(None);
            }
            (
                table_root,
                Keys::Index {
                    ranges: Vec::new(),
                    desc,
                },
                Some(column),
                None,
            )
        }
        Access::Scan { index } => {
            if query.limited {
                return Ok(None); // a LIMIT may stop it after a few rows
            }
            let (root, keys) = match index {
                Some(index) => match schema.root("index", index)? {
                    Some(root) => (
                        root,
                        Keys::Index {
                            ranges: vec![KeyRange::all()],
                            desc: false,
                        },
                    ),
                    None => return Ok(None),
                },
                None if without_rowid => (
                    table_root,
                    Keys::Index {
                        ranges: vec![KeyRange::all()],
                        desc: false,
                    },
                ),
                None => (table_root, Keys::Rowids(vec![KeyRange::all()])),
            };
            return Ok(Some(Loop {
                target: Target {
                    root,
                    keys,
                    table: None,
                    max_leaves: SCAN_LEAVES,
                },
                keys: KeySource::All,
                affinity: Affinity::Blob,
                derived: None,
            }));
        }
    };
    let target = Target {
        root,
        keys,
        table,
        max_leaves: usize::MAX,
    };
    // The constrained column as the plan names it ("rowid" for rowid
    // loops); both it and the rowid alias match.
    let mut names: Vec<String> = line.column.iter().map(|c| c.to_lowercase()).collect();
    names.extend(column.iter().map(|c| c.to_lowercase()));
    let affinity = match &line.access {
        Access::Rowid => Affinity::Integer,
        _ => column
            .as_ref()
            .and_then(|c| columns.get(&c.to_lowercase()))
            .map_or(Affinity::Blob, |t| Affinity::of(t)),
    };
    let resolver = Resolver {
        schema,
        sources: &query.sources,
    };
    let keys = keys_for(query, source, &names, outer, &resolver)?;
    let derived = match &keys {
        Some(KeySource::Derived(expr)) => derived_query(query, expr, outer, &resolver)?,
        _ => None,
    };
    Ok(keys.map(|keys| Loop {
        target,
        keys,
        affinity,
        derived,
    }))
}

/// Resolves unqualified column names to the FROM clause's aliases.
struct Resolver<'a> {
    schema: &'a Schema<'a>,
    sources: &'a [Source],
}

impl Resolver<'_> {
    /// The aliases an expression refers to; `None` if it has subqueries or
    /// names a column no table has.
    fn aliases(&self, expr: &Expr) -> rusqlite::Result<Option<Vec<String>>> {
        let mut names: Vec<Vec<String>> = Vec::new();
        let flow = visit_expressions(expr, |e| match e {
            Expr::Identifier(i) => {
                names.push(vec![i.value.to_lowercase()]);
                ControlFlow::Continue(())
            }
            Expr::CompoundIdentifier(parts) => {
                names.push(parts.iter().map(|p| p.value.to_lowercase()).collect());
                ControlFlow::Continue(())
            }
            Expr::Subquery(_)
            | Expr::Exists { .. }
            | Expr::In {
                target: InTarget::Subquery(_),
                ..
            } => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        });
        if flow.is_break() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for name in names {
            match name.as_slice() {
                [column] => {
                    let mut owner = None;
                    for s in self.sources {
                        let cols = self.schema.columns(&s.table)?;
                        if cols.contains_key(column) || column == "rowid" {
                            owner = Some(s.alias.to_lowercase());
                            break;
                        }
                    }
                    match owner {
                        Some(alias) => out.push(alias),
                        None => return Ok(None),
                    }
                }
                [.., alias, _] => out.push(alias.clone()),
                _ => return Ok(None),
            }
        }
        out.sort();
        out.dedup();
        Ok(Some(out))
    }
}

/// Whether `expr` is the column `names` of `alias`.
fn is_column(
    expr: &Expr,
    alias: &str,
    names: &[String],
    resolver: &Resolver<'_>,
) -> rusqlite::Result<bool> {
    let (qualifier, column) = match expr {
        Expr::Identifier(i) => (None, i.value.to_lowercase()),
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => (
            Some(parts[parts.len() - 2].value.to_lowercase()),
            parts[parts.len() - 1].value.to_lowercase(),
        ),
        Expr::Nested(inner) => return is_column(inner, alias, names, resolver),
        _ => return Ok(false),
    };
    if !names.contains(&column) {
        return Ok(false);
    }
    Ok(match qualifier {
        Some(q) => q == alias,
        None => resolver
            .aliases(expr)?
            .is_some_and(|a| a == [alias.to_owned()]),
    })
}

/// Whether `expr` is a literal or a parameter (what [`constant`] evaluates).
fn is_constant(expr: &Expr) -> bool {
    match expr {
        Expr::Value(v) => matches!(
            v.value,
            SqlValue::Number(..)
                | SqlValue::SingleQuotedString(_)
                | SqlValue::Boolean(_)
                | SqlValue::Null
                | SqlValue::Placeholder(_)
        ),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        }
        | Expr::Nested(expr)
        | Expr::Cast { expr, .. } => is_constant(expr),
        _ => false,
    }
}

/// A constant's value: literals and bound parameters.
fn constant(expr: &Expr, params: &[Value]) -> Option<Key> {
    match expr {
        Expr::Value(v) => match &v.value {
            SqlValue::Number(n, _) => n
                .parse::<i64>()
                .map(Key::Int)
                .ok()
                .or_else(|| n.parse::<f64>().ok().map(Key::Real)),
            SqlValue::SingleQuotedString(s) => Some(Key::Text(s.clone().into_bytes())),
            SqlValue::Boolean(b) => Some(Key::Int(i64::from(*b))),
            SqlValue::Null => Some(Key::Null),
            SqlValue::Placeholder(p) => {
                let index: usize = p.strip_prefix('?')?.parse().ok()?;
                Some(match params.get(index.checked_sub(1)?)? {
                    Value::Null => Key::Null,
                    Value::Integer(i) => Key::Int(*i),
                    Value::Real(f) => Key::Real(*f),
                    Value::Text(t) => Key::Text(t.clone().into_bytes()),
                    Value::Blob(b) => Key::Blob(b.clone()),
                })
            }
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match constant(expr, params)? {
            Key::Int(i) => Some(Key::Int(i.checked_neg()?)),
            Key::Real(f) => Some(Key::Real(-f)),
            _ => None,
        },
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => constant(inner, params),
        _ => None,
    }
}

/// What the conjuncts say about column `names` of `source`.
fn keys_for(
    query: &Select,
    source: &Source,
    names: &[String],
    outer: &[String],
    resolver: &Resolver<'_>,
) -> rusqlite::Result<Option<KeySource>> {
    let alias = source.alias.to_lowercase();
    let mut points: Option<Vec<Expr>> = None;
    let mut lo: Option<Box<Expr>> = None;
    let mut hi: Option<Box<Expr>> = None;
    let mut derived: Option<String> = None;
    for conjunct in &query.conjuncts {
        match conjunct {
            Expr::BinaryOp { left, op, right } => {
                let (value, op) = if is_column(left, &alias, names, resolver)? {
                    (right, op.clone())
                } else if is_column(right, &alias, names, resolver)? {
                    (left, flip(op))
                } else {
                    continue;
                };
                if is_constant(value) {
                    let v = Some(value.clone());
                    match op {
                        BinaryOperator::Eq => points = v.map(|v| vec![*v]),
                        BinaryOperator::Gt | BinaryOperator::GtEq => lo = v,
                        BinaryOperator::Lt | BinaryOperator::LtEq => hi = v,
                        _ => {}
                    }
                } else if op == BinaryOperator::Eq
                    && resolver
                        .aliases(value)?
                        .is_some_and(|a| !a.is_empty() && a.iter().all(|a| outer.contains(a)))
                {
                    derived = Some(value.to_string());
                }
            }
            Expr::Between {
                expr,
                negated: false,
                low,
                high,
            } if is_column(expr, &alias, names, resolver)? => {
                if is_constant(low) {
                    lo = Some(low.clone());
                }
                if is_constant(high) {
                    hi = Some(high.clone());
                }
            }
            Expr::In {
                expr,
                target: InTarget::List(list),
                negated: false,
                ..
            } if list.iter().all(is_constant) && is_column(expr, &alias, names, resolver)? => {
                points = Some(list.clone());
            }
            _ => {}
        }
    }
    Ok(if points.is_some() || lo.is_some() || hi.is_some() {
        Some(KeySource::Known { points, lo, hi })
    } else {
        derived.map(KeySource::Derived)
    })
}

fn flip(op: &BinaryOperator) -> BinaryOperator {
    match op {
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        other => other.clone(),
    }
}

/// `SELECT DISTINCT expr FROM <outer tables> WHERE <their own conjuncts>`:
/// the inner loop's keys, computed by SQLite from pages already fetched.
fn derived_query(
    query: &Select,
    expr: &str,
    outer: &[String],
    resolver: &Resolver<'_>,
) -> rusqlite::Result<Option<String>> {
    let tables: Vec<String> = query
        .sources
        .iter()
        .filter(|s| outer.contains(&s.alias.to_lowercase()))
        .map(|s| {
            format!(
                "\"{}\" AS \"{}\"",
                s.table.replace('"', "\"\""),
                s.alias.replace('"', "\"\"")
            )
        })
        .collect();
    if tables.is_empty() {
        return Ok(None);
    }
    let mut filters = Vec::new();
    for conjunct in &query.conjuncts {
        if resolver
            .aliases(conjunct)?
            .is_some_and(|a| a.iter().all(|a| outer.contains(a)))
        {
            filters.push(format!("({conjunct})"));
        }
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", filters.join(" AND "))
    };
    Ok(Some(format!(
        "SELECT DISTINCT {expr} FROM {}{filter} LIMIT {}",
        tables.join(", "),
        super::MAX_DERIVED_KEYS
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plan_lines() {
        let line = |d: &str| parse_line(d);
        assert_eq!(
            line("SEARCH o USING INDEX o_k (k>? AND k<?)"),
            Some(PlanLine {
                name: "o".into(),
                access: Access::Index {
                    name: "o_k".into(),
                    covering: false
                },
                column: Some("k".into())
            })
        );
        assert_eq!(
            line("SEARCH c USING INTEGER PRIMARY KEY (rowid=?)")
                .unwrap()
                .access,
            Access::Rowid
        );
        assert_eq!(
            line("SCAN t USING COVERING INDEX t_k").unwrap().access,
            Access::Scan {
                index: Some("t_k".into())
            }
        );
        assert_eq!(
            line("SEARCH i USING PRIMARY KEY (order_id=?)")
                .unwrap()
                .column
                .as_deref(),
            Some("order_id")
        );
        assert_eq!(line("USE TEMP B-TREE FOR ORDER BY"), None);
        assert_eq!(line("SCAN CONSTANT ROW"), None);
        assert_eq!(
            line("SEARCH t USING COVERING INDEX t_k"),
            None,
            "a min() probe"
        );
    }

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, k INT, name TEXT);
             CREATE INDEX t_k ON t(k);
             CREATE INDEX t_name ON t(name COLLATE NOCASE);
             CREATE TABLE c(id INTEGER PRIMARY KEY, t_id INT);
             CREATE TABLE w(a TEXT, b INT, PRIMARY KEY (a, b)) WITHOUT ROWID;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
             INSERT INTO t SELECT i, i % 100, 'n' || i FROM n;
             ANALYZE;",
        )
        .unwrap();
        conn
    }

    fn known(plan: &Plan, i: usize, params: &[Value]) -> Target {
        plan.loops[i].known(params).expect("keys known up front")
    }

    #[test]
    fn finds_rowid_and_index_keys_with_parameters() {
        let conn = db();
        let plan = analyse(&conn, "SELECT * FROM t WHERE id = ?1").unwrap();
        assert_eq!(
            known(&plan, 0, &[Value::Integer(5)]).keys,
            Keys::Rowids(vec![KeyRange::point(Key::Int(5))])
        );

        let plan = analyse(
            &conn,
            "SELECT name FROM t AS x WHERE x.k BETWEEN ?1 AND '20'",
        )
        .unwrap();
        let target = known(&plan, 0, &[Value::Integer(10)]);
        assert_eq!(
            target.keys,
            Keys::Index {
                ranges: vec![KeyRange {
                    lo: Some(Key::Int(10)),
                    hi: Some(Key::Int(20)) // text '20' takes the column's affinity
                }],
                desc: false
            }
        );
        assert!(
            target.table.is_some(),
            "name is not in the index: rows are looked up"
        );

        let plan = analyse(&conn, "SELECT k FROM t WHERE k IN (1, 2)").unwrap();
        assert!(known(&plan, 0, &[]).table.is_none(), "covering");
        // A NOCASE index is not walked: its order is not bytewise.
        let plan = analyse(&conn, "SELECT * FROM t WHERE name = 'N5' COLLATE NOCASE").unwrap();
        assert!(plan.loops.is_empty());
        // WITHOUT ROWID tables are searched by primary key.
        let plan = analyse(&conn, "SELECT * FROM w WHERE a = 'x'").unwrap();
        assert_eq!(
            known(&plan, 0, &[]).keys,
            Keys::Index {
                ranges: vec![KeyRange::point(Key::Text(b"x".to_vec()))],
                desc: false
            }
        );
    }

    #[test]
    fn inner_loops_of_joins_derive_their_keys() {
        let conn = db();
        let plan = analyse(
            &conn,
            "SELECT t.name FROM c JOIN t ON t.id = c.t_id WHERE c.id = ?1",
        )
        .unwrap();
        assert_eq!(plan.loops.len(), 2);
        assert!(plan.loops[0].known(&[Value::Integer(3)]).is_some());
        assert_eq!(
            plan.loops[1].derived.as_deref(),
            Some("SELECT DISTINCT c.t_id FROM \"c\" AS \"c\" WHERE (c.id = ?1) LIMIT 10000")
        );
    }

    #[test]
    fn scans_read_ahead_unless_limited() {
        let conn = db();
        let plan = analyse(&conn, "SELECT count(*) FROM c").unwrap();
        assert!(matches!(plan.loops[0].keys, KeySource::All));
        let plan = analyse(&conn, "SELECT * FROM c LIMIT 5").unwrap();
        assert!(plan.loops.is_empty());
    }
}
