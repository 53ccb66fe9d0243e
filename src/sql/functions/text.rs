//! Text functions Postgres has and SQLite lacks (or spells differently):
//! `split_part`, `left`, `right`, `lpad`, `rpad`, `initcap`, `repeat`,
//! `reverse`, `btrim`, `strpos`, `char_length`, `octet_length`, `md5`,
//! `starts_with`, and text casts of floats (`pg_to_text`).

use md5::{Digest, Md5};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;

use super::{arg, check_length, int_arg, text_of};

pub fn split_part(text: &str, delimiter: &str, n: i64) -> String {
    if delimiter.is_empty() {
        return if n == 1 || n == -1 {
            text.to_owned()
        } else {
            String::new()
        };
    }
    let parts: Vec<&str> = text.split(delimiter).collect();
    let index = if n > 0 {
        usize::try_from(n - 1).ok()
    } else {
        parts
            .len()
            .checked_sub(usize::try_from(-n).unwrap_or(usize::MAX))
    };
    index
        .and_then(|i| parts.get(i))
        .map(|s| (*s).to_owned())
        .unwrap_or_default()
}

/// `left(s, n)`: the first n characters; negative n drops the last |n|.
pub fn left(text: &str, n: i64) -> String {
    let len = text.chars().count() as i64;
    let take = if n >= 0 { n.min(len) } else { (len + n).max(0) };
    text.chars().take(take as usize).collect()
}

/// `right(s, n)`: the last n characters; negative n drops the first |n|.
pub fn right(text: &str, n: i64) -> String {
    let len = text.chars().count() as i64;
    let skip = if n >= 0 {
        (len - n).max(0)
    } else {
        (-n).min(len)
    };
    text.chars().skip(skip as usize).collect()
}

/// `lpad`/`rpad`: to `len` characters, truncating when longer.
pub fn pad(text: &str, len: i64, fill: &str, on_left: bool) -> String {
    let len = len.max(0) as usize;
    let chars: Vec<char> = text.chars().collect();
    if chars.len() >= len || fill.is_empty() {
        return chars.into_iter().take(len).collect();
    }
    let padding: String = fill.chars().cycle().take(len - chars.len()).collect();
    if on_left {
        padding + text
    } else {
        format!("{text}{padding}")
    }
}

/// `initcap`: first letter of each alphanumeric run upper, rest lower. In
/// the C locale only ASCII letters and digits are alphanumeric; other
/// characters pass through and end a word.
pub fn initcap(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if in_word {
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c.to_ascii_uppercase());
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = false;
        }
    }
    out
}

/// `btrim`/`ltrim`/`rtrim` with a set of characters.
pub fn trim_chars(text: &str, chars: &str, leading: bool, trailing: bool) -> String {
    let set: Vec<char> = chars.chars().collect();
    let mut s = text;
    if leading {
        s = s.trim_start_matches(|c| set.contains(&c));
    }
    if trailing {
        s = s.trim_end_matches(|c| set.contains(&c));
    }
    s.to_owned()
}

pub(super) fn register(conn: &Connection, flags: FunctionFlags) -> rusqlite::Result<()> {
    conn.create_scalar_function("split_part", 3, flags, |ctx| {
        match (text_of(arg(ctx, 0)), text_of(arg(ctx, 1)), int_arg(ctx, 2)) {
            (Some(t), Some(d), Some(n)) => {
                if n == 0 {
                    return Err(super::user_error("field position must not be zero"));
                }
                Ok(Some(split_part(&t, &d, n)))
            }
            _ => Ok(None),
        }
    })?;
    for (name, on_left) in [("left", true), ("right", false)] {
        conn.create_scalar_function(name, 2, flags, move |ctx| {
            Ok(match (text_of(arg(ctx, 0)), int_arg(ctx, 1)) {
                (Some(t), Some(n)) if on_left => Some(left(&t, n)),
                (Some(t), Some(n)) => Some(right(&t, n)),
                _ => None,
            })
        })?;
    }
    for (name, on_left) in [("lpad", true), ("rpad", false)] {
        for n_args in [2, 3] {
            conn.create_scalar_function(name, n_args, flags, move |ctx| {
                let fill = if n_args == 3 {
                    text_of(arg(ctx, 2))
                } else {
                    Some(" ".into())
                };
                Ok(match (text_of(arg(ctx, 0)), int_arg(ctx, 1), fill) {
                    (Some(t), Some(n), Some(f)) => {
                        let widest = f.chars().map(char::len_utf8).max().unwrap_or(1);
                        check_length(n.max(0) as u128 * widest as u128)?;
                        Some(pad(&t, n, &f, on_left))
                    }
                    _ => None,
                })
            })?;
        }
    }
    conn.create_scalar_function("initcap", 1, flags, |ctx| {
        Ok(text_of(arg(ctx, 0)).map(|t| initcap(&t)))
    })?;
    conn.create_scalar_function("repeat", 2, flags, |ctx| {
        Ok(match (text_of(arg(ctx, 0)), int_arg(ctx, 1)) {
            (Some(t), Some(n)) => {
                check_length(t.len() as u128 * n.max(0) as u128)?;
                Some(t.repeat(n.max(0) as usize))
            }
            _ => None,
        })
    })?;
    conn.create_scalar_function("reverse", 1, flags, |ctx| {
        Ok(text_of(arg(ctx, 0)).map(|t| t.chars().rev().collect::<String>()))
    })?;
    for (name, leading, trailing) in [
        ("btrim", true, true),
        ("ltrim", true, false),
        ("rtrim", false, true),
    ] {
        for n_args in [1, 2] {
            conn.create_scalar_function(name, n_args, flags, move |ctx| {
                let chars = if n_args == 2 {
                    text_of(arg(ctx, 1))
                } else {
                    Some(" ".into())
                };
                Ok(match (text_of(arg(ctx, 0)), chars) {
                    (Some(t), Some(c)) => Some(trim_chars(&t, &c, leading, trailing)),
                    _ => None,
                })
            })?;
        }
    }
    conn.create_scalar_function("strpos", 2, flags, |ctx| {
        Ok(match (text_of(arg(ctx, 0)), text_of(arg(ctx, 1))) {
            (Some(t), Some(s)) => Some(
                t.find(&s)
                    .map_or(0, |at| t[..at].chars().count() as i64 + 1),
            ),
            _ => None,
        })
    })?;
    for name in ["char_length", "character_length"] {
        conn.create_scalar_function(name, 1, flags, |ctx| {
            Ok(text_of(arg(ctx, 0)).map(|t| t.chars().count() as i64))
        })?;
    }
    conn.create_scalar_function("octet_length", 1, flags, |ctx| {
        Ok(match arg(ctx, 0) {
            Value::Null => None,
            Value::Blob(b) => Some(b.len() as i64),
            other => text_of(other).map(|t| t.len() as i64),
        })
    })?;
    conn.create_scalar_function("md5", 1, flags, |ctx| {
        Ok(match arg(ctx, 0) {
            Value::Null => None,
            Value::Blob(b) => Some(hex::encode(Md5::digest(&b))),
            other => text_of(other).map(|t| hex::encode(Md5::digest(t.as_bytes()))),
        })
    })?;
    conn.create_scalar_function("starts_with", 2, flags, |ctx| {
        Ok(match (text_of(arg(ctx, 0)), text_of(arg(ctx, 1))) {
            (Some(t), Some(p)) => Some(t.starts_with(&p)),
            _ => None,
        })
    })?;
    conn.create_scalar_function("pg_to_text", 1, flags, |ctx| {
        Ok(match arg(ctx, 0) {
            Value::Null => None,
            Value::Real(r) => Some(crate::wire::encode::format_float(r)),
            other => text_of(other),
        })
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_functions_follow_postgres() {
        assert_eq!(split_part("a,b,c", ",", 2), "b");
        assert_eq!(split_part("a,b,c", ",", -1), "c");
        assert_eq!(split_part("a,b,c", ",", 5), "");
        assert_eq!(left("zoë!", -1), "zoë");
        assert_eq!(right("hello", -2), "llo");
        assert_eq!(pad("abc", 2, " ", true), "ab");
        assert_eq!(pad("abc", 5, "xy", false), "abcxy");
        assert_eq!(initcap("hello wORLD foo_bar"), "Hello World Foo_Bar");
        assert_eq!(initcap("émile ÅSA"), "éMile ÅSa");
        assert_eq!(trim_chars("xxhixx", "x", true, true), "hi");
    }
}
