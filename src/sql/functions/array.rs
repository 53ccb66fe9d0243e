//! Postgres arrays as SQLite holds them: the text of an array literal
//! (`{a,"b c",NULL}`, as `array_agg` prints and the catalog stores them) or
//! of an `int2vector`/`oidvector` (`1 2`, subscripts from 0). The functions
//! over them: the `ARRAY[...]` constructor (`pg_array`), subscripts and
//! bounds, `array_to_string`, and the JSON arrays `json_each` reads for
//! `x = ANY(arr)` and for set-returning functions in a select list
//! (`unnest`, `generate_subscripts`, zipped by `graftgres_zip`).

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use serde_json::Value as Json;

use super::aggregate::{array_element, parse_array};
use super::{arg, int_arg, text_of};

/// An array's items and the subscript of the first one.
#[derive(Debug, PartialEq)]
pub struct Array {
    pub items: Vec<Option<String>>,
    pub lower: i64,
}

impl Array {
    /// An array literal (subscripts from 1) or a vector's text (from 0).
    pub fn parse(text: &str) -> Array {
        match parse_array(text) {
            Some(items) => Array { items, lower: 1 },
            None => Array {
                items: text
                    .split_whitespace()
                    .map(|i| Some(i.to_owned()))
                    .collect(),
                lower: 0,
            },
        }
    }

    /// The bounds of dimension `dim` (arrays here have one), `None` when
    /// it is empty.
    fn bounds(&self, dim: i64) -> Option<(i64, i64)> {
        (dim == 1 && !self.items.is_empty())
            .then(|| (self.lower, self.lower + self.items.len() as i64 - 1))
    }

    fn get(&self, subscript: i64) -> Option<&str> {
        let index = usize::try_from(subscript - self.lower).ok()?;
        self.items.get(index)?.as_deref()
    }

    /// The items as a JSON array: canonical integers as numbers (so they
    /// compare as numbers in SQLite), NULL as null, the rest as strings.
    fn to_json(&self) -> Json {
        Json::Array(
            self.items
                .iter()
                .map(|item| match item {
                    None => Json::Null,
                    Some(text) => match text.parse::<i64>() {
                        Ok(n) if n.to_string() == *text => Json::from(n),
                        _ => Json::from(text.as_str()),
                    },
                })
                .collect(),
        )
    }
}

/// The array argument `i`, `None` for NULL.
fn array_arg(ctx: &rusqlite::functions::Context<'_>, i: usize) -> Option<Array> {
    text_of(arg(ctx, i)).map(|text| Array::parse(&text))
}

/// `[[a0, b0], [a1, b1], ...]` from JSON arrays `[a0, a1, ...]`, `[b0, ...]`:
/// as many rows as the longest, the shorter padded with null (Postgres runs
/// several set-returning functions of one select list in step this way).
pub fn zip(arrays: &[Vec<Json>]) -> Json {
    let rows = arrays.iter().map(Vec::len).max().unwrap_or(0);
    Json::Array(
        (0..rows)
            .map(|row| {
                Json::Array(
                    arrays
                        .iter()
                        .map(|a| a.get(row).cloned().unwrap_or(Json::Null))
                        .collect(),
                )
            })
            .collect(),
    )
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> rusqlite::Result<()> {
    // `ARRAY[a, b]` (the general rules call it pg_array).
    conn.create_scalar_function("pg_array", -1, flags, |ctx| {
        let items: Vec<String> = (0..ctx.len())
            .map(|i| array_element(&arg(ctx, i)))
            .collect();
        Ok(format!("{{{}}}", items.join(",")))
    })?;
    // `arr[i]`.
    conn.create_scalar_function("graftgres_subscript", 2, flags, |ctx| {
        Ok(match (array_arg(ctx, 0), int_arg(ctx, 1)) {
            (Some(array), Some(i)) => array.get(i).map(str::to_owned),
            _ => None,
        })
    })?;
    for (name, upper) in [("array_lower", false), ("array_upper", true)] {
        conn.create_scalar_function(name, 2, flags, move |ctx| {
            let (Some(array), Some(dim)) = (array_arg(ctx, 0), int_arg(ctx, 1)) else {
                return Ok(None);
            };
            Ok(array
                .bounds(dim)
                .map(|(lower, top)| if upper { top } else { lower }))
        })?;
    }
    conn.create_scalar_function("array_length", 2, flags, |ctx| {
        let (Some(array), Some(dim)) = (array_arg(ctx, 0), int_arg(ctx, 1)) else {
            return Ok(None);
        };
        Ok(array.bounds(dim).map(|(lower, upper)| upper - lower + 1))
    })?;
    conn.create_scalar_function("cardinality", 1, flags, |ctx| {
        Ok(array_arg(ctx, 0).map(|a| a.items.len() as i64))
    })?;
    // NULL items are left out, unless the third argument names them.
    for n in 2..=3 {
        conn.create_scalar_function("array_to_string", n, flags, |ctx| {
            let Some(array) = array_arg(ctx, 0) else {
                return Ok(None);
            };
            let separator = text_of(arg(ctx, 1)).unwrap_or_default();
            let null = if ctx.len() > 2 {
                text_of(arg(ctx, 2))
            } else {
                None
            };
            let items: Vec<String> = array
                .items
                .into_iter()
                .filter_map(|item| item.or_else(|| null.clone()))
                .collect();
            Ok(Some(items.join(&separator)))
        })?;
    }
    // `unnest(arr)`'s elements, and `x = ANY(arr)`'s.
    conn.create_scalar_function("graftgres_array_json", 1, flags, |ctx| {
        Ok(array_arg(ctx, 0).map(|array| array.to_json().to_string()))
    })?;
    // `generate_subscripts(arr, dim[, reverse])`.
    for n in 2..=3 {
        conn.create_scalar_function("graftgres_subscripts_json", n, flags, |ctx| {
            let bounds = match (array_arg(ctx, 0), int_arg(ctx, 1)) {
                (Some(array), Some(dim)) => array.bounds(dim),
                _ => None,
            };
            let reverse = ctx.len() > 2 && int_arg(ctx, 2).is_some_and(|r| r != 0);
            let mut subscripts: Vec<i64> =
                bounds.map(|(l, u)| (l..=u).collect()).unwrap_or_default();
            if reverse {
                subscripts.reverse();
            }
            Ok(Json::from(subscripts).to_string())
        })?;
    }
    conn.create_scalar_function("graftgres_zip", -1, flags, |ctx| {
        let mut arrays = Vec::with_capacity(ctx.len());
        for i in 0..ctx.len() {
            let items = match text_of(arg(ctx, i)) {
                Some(text) => match serde_json::from_str::<Json>(&text) {
                    Ok(Json::Array(items)) => items,
                    _ => return Err(super::user_error(format!("not a JSON array: {text}"))),
                },
                None => Vec::new(),
            };
            arrays.push(items);
        }
        Ok(zip(&arrays).to_string())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        super::super::register(&conn).unwrap();
        conn
    }

    fn text(conn: &Connection, sql: &str) -> Option<String> {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn literals_and_vectors() {
        let array = Array::parse(r#"{1,"a b",NULL,"x\"y"}"#);
        assert_eq!(array.lower, 1);
        assert_eq!(
            array.items,
            [
                Some("1".into()),
                Some("a b".into()),
                None,
                Some("x\"y".into())
            ]
        );
        assert_eq!(Array::parse("3 1").bounds(1), Some((0, 1)));
        assert_eq!(Array::parse("{}").bounds(1), None);
        let conn = conn();
        for (sql, want) in [
            ("SELECT pg_array(1, 'a,b', NULL)", Some(r#"{1,"a,b",NULL}"#)),
            ("SELECT graftgres_subscript('3 4', 0)", Some("3")),
            ("SELECT graftgres_subscript('{a,b}', 2)", Some("b")),
            ("SELECT graftgres_subscript('{a}', 5)", None),
            (
                "SELECT array_to_string(pg_array(1, NULL, 'x y'), '-')",
                Some("1-x y"),
            ),
        ] {
            assert_eq!(text(&conn, sql).as_deref(), want, "{sql}");
        }
        let bounds: (i64, i64, i64) = conn
            .query_row(
                "SELECT array_lower('7 8', 1), array_upper('{a,b,c}', 1), array_length('{a,b}', 1)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(bounds, (0, 3, 2));
    }

    #[test]
    fn json_forms_for_set_returning_functions() {
        let conn = conn();
        for (sql, want) in [
            (
                "SELECT graftgres_array_json('{1,x,NULL,007}')",
                r#"[1,"x",null,"007"]"#,
            ),
            ("SELECT graftgres_subscripts_json('5 6 7', 1)", "[0,1,2]"),
            (
                "SELECT graftgres_subscripts_json('{a,b}', 1, true)",
                "[2,1]",
            ),
            ("SELECT graftgres_subscripts_json('{a,b}', 2)", "[]"),
            (
                "SELECT graftgres_zip('[1,2,3]', NULL, '[\"a\"]')",
                r#"[[1,null,"a"],[2,null,null],[3,null,null]]"#,
            ),
        ] {
            assert_eq!(text(&conn, sql).as_deref(), Some(want), "{sql}");
        }
    }
}
