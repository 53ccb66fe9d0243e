//! JSON operators on json text: `->`, `->>`, `#>`, `#>>` (as `pg_json_get`
//! and `pg_json_path`) and jsonb containment `@>` (`pg_jsonb_contains`).
//!
//! `->` on `json` returns the member's text exactly as stored (Postgres keeps
//! json verbatim), so members are located with serde_json's `RawValue`.

use std::collections::BTreeMap;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use serde_json::value::RawValue;

use super::{arg, text_of, user_error};

/// One step into a json document: an object key or an array index.
fn step<'a>(json: &'a str, key: &Value) -> Option<&'a str> {
    let json = json.trim();
    if json.starts_with('{') {
        let key = text_of(key.clone())?;
        let map: BTreeMap<String, &RawValue> = serde_json::from_str(json).ok()?;
        map.get(&key).map(|raw| raw.get())
    } else if json.starts_with('[') {
        let index = match key {
            Value::Integer(i) => *i,
            Value::Text(t) => t.trim().parse().ok()?,
            _ => return None,
        };
        let items: Vec<&RawValue> = serde_json::from_str(json).ok()?;
        let index = if index < 0 {
            items.len() as i64 + index
        } else {
            index
        };
        items.get(usize::try_from(index).ok()?).map(|raw| raw.get())
    } else {
        None
    }
}

/// The text form `->>` gives: strings unquoted, `null` as NULL.
fn as_text(raw: &str) -> Option<String> {
    if raw.starts_with('"') {
        serde_json::from_str::<String>(raw).ok()
    } else if raw == "null" {
        None
    } else {
        Some(raw.to_owned())
    }
}

/// A Postgres text-array path literal: `{a,b,2}`.
fn path_keys(path: &str) -> Vec<Value> {
    let inner = path.trim().trim_start_matches('{').trim_end_matches('}');
    if inner.is_empty() {
        return Vec::new();
    }
    inner
        .split(',')
        .map(|k| Value::Text(k.trim().trim_matches('"').to_owned()))
        .collect()
}

/// Whether `a` contains `b` (jsonb `@>`).
pub fn contains(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Object(a), J::Object(b)) => b
            .iter()
            .all(|(k, bv)| a.get(k).is_some_and(|av| contains(av, bv))),
        (J::Array(a), J::Array(b)) => b.iter().all(|bv| {
            a.iter().any(|av| match (av, bv) {
                (J::Object(_) | J::Array(_), _) => contains(av, bv),
                _ => av == bv,
            })
        }),
        (J::Array(a), scalar) if !scalar.is_object() => a.iter().any(|av| av == scalar),
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> rusqlite::Result<()> {
    // pg_json_get(json, key, as_text)
    conn.create_scalar_function("pg_json_get", 3, flags, |ctx| {
        let Some(json) = text_of(arg(ctx, 0)) else {
            return Ok(None);
        };
        let raw = step(&json, &arg(ctx, 1));
        Ok(match (raw, super::int_arg(ctx, 2) == Some(1)) {
            (None, _) => None,
            (Some(raw), true) => as_text(raw),
            (Some(raw), false) => Some(raw.to_owned()),
        })
    })?;
    // pg_json_path(json, '{a,b}', as_text)
    conn.create_scalar_function("pg_json_path", 3, flags, |ctx| {
        let (Some(json), Some(path)) = (text_of(arg(ctx, 0)), text_of(arg(ctx, 1))) else {
            return Ok(None);
        };
        let mut current = json.trim().to_owned();
        for key in path_keys(&path) {
            match step(&current, &key) {
                Some(raw) => current = raw.to_owned(),
                None => return Ok(None),
            }
        }
        Ok(if super::int_arg(ctx, 2) == Some(1) {
            as_text(&current)
        } else {
            Some(current)
        })
    })?;
    conn.create_scalar_function("pg_jsonb_contains", 2, flags, |ctx| {
        let (Some(a), Some(b)) = (text_of(arg(ctx, 0)), text_of(arg(ctx, 1))) else {
            return Ok(None);
        };
        let parse = |t: &str| {
            serde_json::from_str::<serde_json::Value>(t)
                .map_err(|_| user_error(format!("invalid input syntax for type json: \"{t}\"")))
        };
        Ok(Some(contains(&parse(&a)?, &parse(&b)?)))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_their_text() {
        let doc = r#"{"a": {"b": [1, 2, {"c": "d"}]}, "n": null}"#;
        assert_eq!(
            step(doc, &Value::Text("a".into())),
            Some(r#"{"b": [1, 2, {"c": "d"}]}"#)
        );
        assert_eq!(step("[10, 20]", &Value::Integer(-1)), Some("20"));
        assert_eq!(as_text("\"x\\n\""), Some("x\n".into()));
        assert_eq!(as_text("null"), None);
        let j = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
        assert!(contains(
            &j(r#"{"a": 1, "b": {"c": 2}}"#),
            &j(r#"{"b": {"c": 2}}"#)
        ));
        assert!(!contains(&j(r#"{"a": 1}"#), &j(r#"{"a": 2}"#)));
        assert!(contains(&j("[1, 2]"), &j("[1]")));
    }
}
