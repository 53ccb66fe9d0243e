//! Pattern matching with Postgres semantics: `LIKE`/`ILIKE` (case-sensitive
//! unless ILIKE, backslash escapes, Unicode-aware), POSIX regular
//! expressions (`~`, `~*`, `!~`, `!~*`) and `SIMILAR TO`, all compiled to
//! Rust `regex` and cached per pattern.

use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

use super::{arg, int_arg, text_of, user_error};

/// `LIKE` pattern -> anchored regex.
pub fn like_to_regex(pattern: &str, escape: Option<char>) -> String {
    let mut out = String::from("^");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            if let Some(next) = chars.next() {
                out.push_str(&regex::escape(&next.to_string()));
            }
        } else if c == '%' {
            out.push_str(".*");
        } else if c == '_' {
            out.push('.');
        } else {
            out.push_str(&regex::escape(&c.to_string()));
        }
    }
    out.push('$');
    out
}

/// `SIMILAR TO` pattern -> anchored regex: `%` and `_` as in LIKE, the
/// rest is regex syntax (`|`, `*`, `+`, `?`, `{}`, `()`, `[]`).
pub fn similar_to_regex(pattern: &str) -> String {
    let mut out = String::from("^(?:");
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push_str(&regex::escape(&next.to_string()));
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            '%' if !in_class => out.push_str(".*"),
            '_' if !in_class => out.push('.'),
            '.' | '^' | '$' if !in_class => out.push_str(&regex::escape(&c.to_string())),
            _ => out.push(c),
        }
    }
    out.push_str(")$");
    out
}

fn compile(
    ctx: &rusqlite::functions::Context<'_>,
    pattern_arg: usize,
    make: impl FnOnce(&str) -> Result<Regex, String>,
) -> rusqlite::Result<Arc<Regex>> {
    ctx.get_or_create_aux(pattern_arg as std::os::raw::c_int, |value| {
        let pattern = value
            .as_str()
            .map_err(|_| user_error("pattern must be text"))?;
        make(pattern).map_err(|e| user_error(format!("invalid regular expression: {e}")))
    })
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> rusqlite::Result<()> {
    // pg_like(text, pattern, case_insensitive[, escape])
    for n_args in [3, 4] {
        conn.create_scalar_function("pg_like", n_args, flags, move |ctx| {
            let Some(text) = text_of(arg(ctx, 0)) else {
                return Ok(None);
            };
            if text_of(arg(ctx, 1)).is_none() {
                return Ok(None);
            }
            let insensitive = int_arg(ctx, 2) == Some(1);
            let escape = if n_args == 4 {
                text_of(arg(ctx, 3)).and_then(|e| e.chars().next())
            } else {
                Some('\\')
            };
            let re = compile(ctx, 1, |p| {
                let p = if insensitive {
                    p.to_ascii_lowercase()
                } else {
                    p.to_owned()
                };
                RegexBuilder::new(&like_to_regex(&p, escape))
                    .dot_matches_new_line(true)
                    .build()
                    .map_err(|e| e.to_string())
            })?;
            // C collation: ILIKE folds ASCII letters only, as Postgres in the C locale.
            let text = if insensitive {
                text.to_ascii_lowercase()
            } else {
                text
            };
            Ok(Some(re.is_match(&text)))
        })?;
    }
    // pg_regex(text, pattern, case_insensitive)
    conn.create_scalar_function("pg_regex", 3, flags, |ctx| {
        let Some(text) = text_of(arg(ctx, 0)) else {
            return Ok(None);
        };
        if text_of(arg(ctx, 1)).is_none() {
            return Ok(None);
        }
        let insensitive = int_arg(ctx, 2) == Some(1);
        let re = compile(ctx, 1, |p| {
            let p = if insensitive {
                p.to_ascii_lowercase()
            } else {
                p.to_owned()
            };
            RegexBuilder::new(&p).build().map_err(|e| e.to_string())
        })?;
        let text = if insensitive {
            text.to_ascii_lowercase()
        } else {
            text
        };
        Ok(Some(re.is_match(&text)))
    })?;
    conn.create_scalar_function("pg_similar", 2, flags, |ctx| {
        let Some(text) = text_of(arg(ctx, 0)) else {
            return Ok(None);
        };
        if text_of(arg(ctx, 1)).is_none() {
            return Ok(None);
        }
        let re = compile(ctx, 1, |p| {
            RegexBuilder::new(&similar_to_regex(p))
                .dot_matches_new_line(true)
                .build()
                .map_err(|e| e.to_string())
        })?;
        Ok(Some(re.is_match(&text)))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_translate_to_regexes() {
        let like = |p: &str, t: &str| {
            Regex::new(&like_to_regex(p, Some('\\')))
                .unwrap()
                .is_match(t)
        };
        assert!(like("b%", "bob"));
        assert!(!like("b%", "Bob"));
        assert!(like("a\\%b", "a%b"));
        assert!(like("_oë", "zoë"));
        let similar = |p: &str, t: &str| Regex::new(&similar_to_regex(p)).unwrap().is_match(t);
        assert!(similar("(alice|bob)%", "bob12"));
        assert!(!similar("[a-z]%", "Bob"));
        assert!(!similar("a.c", "abc"));
    }
}
