//! Literals: `$n` -> `?n`, `E'...'` and `$$...$$` -> plain strings, typed
//! strings (`date '...'`, `timestamp '...'`) -> canonical ISO text,
//! interval literals -> Postgres's interval text, and `ARRAY[...]` -> the
//! array literal's text (`pg_array`), which is how SQLite holds arrays.

use std::ops::ControlFlow;

use sqlparser::ast::{DataType, Expr, Query, Value, ValueWithSpan, VisitMut, VisitorMut};

use super::{call, string};
use crate::sql::functions::datetime::{Interval, format_timestamp, parse_timestamp};
use crate::sql::types::placeholder_index;

/// `$3` -> `?3`: SQLite would read `$3` as a *named* parameter.
pub fn numbered_placeholder(expr: &mut Expr, count: &mut usize) {
    if let Some(index) = placeholder_index(expr)
        && let Expr::Value(v) = expr
    {
        *count = (*count).max(index + 1);
        v.value = Value::Placeholder(format!("?{}", index + 1));
    }
}

pub fn array_constructor(expr: &mut Expr) {
    if let Expr::Array(array) = expr {
        *expr = call("pg_array", std::mem::take(&mut array.elem));
    }
}

/// Makes every string literal print as itself, run once on the finished
/// query. sqlparser's Display doubles a quote only when it is not already
/// followed by a quote or preceded by a backslash, so the values `a''b` and
/// `\'` printed as `'a''b'` and `'\''`: SQLite read `a'b`, and a syntax
/// error. With every quote doubled first, each comes in a pair that Display
/// leaves alone, and the text reads back as the value.
pub fn print_strings_exactly(query: &mut Query) {
    struct Double;
    impl VisitorMut for Double {
        type Break = ();
        fn post_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<()> {
            if let Value::SingleQuotedString(text) = &mut value.value
                && text.contains('\'')
            {
                *text = text.replace('\'', "''");
            }
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Double);
}

pub fn strings(expr: &mut Expr) {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::EscapedStringLiteral(s) => v.value = Value::SingleQuotedString(s.clone()),
            Value::DollarQuotedString(d) => v.value = Value::SingleQuotedString(d.value.clone()),
            _ => {}
        },
        Expr::TypedString(typed) => {
            let text = match &typed.value.value {
                Value::SingleQuotedString(s)
                | Value::EscapedStringLiteral(s)
                | Value::DoubleQuotedString(s) => s.clone(),
                Value::DollarQuotedString(d) => d.value.clone(),
                other => other.to_string(),
            };
            let text = match &typed.data_type {
                DataType::Date => parse_timestamp(&text)
                    .map(|t| t.date().format("%Y-%m-%d").to_string())
                    .unwrap_or(text),
                DataType::Timestamp(..) | DataType::Datetime(_) => {
                    parse_timestamp(&text).map(format_timestamp).unwrap_or(text)
                }
                DataType::Interval { .. } => {
                    Interval::parse(&text).map(Interval::to_pg).unwrap_or(text)
                }
                _ => text,
            };
            *expr = string(text);
        }
        Expr::Interval(interval) => {
            let text = match interval.value.as_ref() {
                Expr::Value(v) => match &v.value {
                    Value::SingleQuotedString(s) => s.clone(),
                    Value::Number(n, _) => n.clone(),
                    _ => return,
                },
                _ => return,
            };
            let text = match &interval.leading_field {
                Some(field) => format!("{text} {}", field.to_string().to_lowercase()),
                None => text,
            };
            if let Some(parsed) = Interval::parse(&text) {
                *expr = string(parsed.to_pg());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::translate;

    /// Found by a property test: strings holding `''` or `\'` came out of
    /// SQLite changed, or as a syntax error.
    #[test]
    fn strings_reach_sqlite_unchanged() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for (postgres, value) in [
            (r"'it''s'", r"it's"),
            (r"'a''''b'", r"a''b"),
            (r"'\'''", r"\'"),
            (r"E'\\\''", r"\'"),
            (r"$$''$$", r"''"),
            (r"'x\'''' OR ''1''=''1'", r"x\'' OR '1'='1"),
        ] {
            let sqlite = translate(&format!("SELECT {postgres}")).unwrap();
            let got: String = conn
                .query_row(&sqlite, [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("{postgres} -> {sqlite}: {e}"));
            assert_eq!(got, value, "{postgres} -> {sqlite}");
        }
    }

    #[test]
    fn literals_become_sqlite_text() {
        assert_eq!(
            translate("SELECT $2, $1 FROM t WHERE a = $2").unwrap(),
            "SELECT ?2, ?1 FROM t WHERE a = ?2"
        );
        assert_eq!(
            translate("SELECT E'a\\tb', $$x'y$$").unwrap(),
            "SELECT 'a\tb', 'x''y'"
        );
        assert_eq!(
            translate("SELECT date '2024-01-02', timestamp '2024-01-02'").unwrap(),
            "SELECT '2024-01-02', '2024-01-02 00:00:00'"
        );
        assert_eq!(
            translate("SELECT interval '90 minutes'").unwrap(),
            "SELECT '01:30:00'"
        );
    }
}
