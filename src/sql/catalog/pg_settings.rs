//! `pg_settings`: the settings a session starts with (the values every
//! session reports; `SET` in a session changes `SHOW`, not this relation).

use std::collections::BTreeMap;

use rusqlite::Connection;

use super::insert;
use crate::wire::session::default_settings;

/// Every setting and the value a session starts with.
pub(super) fn startup_values() -> BTreeMap<String, String> {
    let mut settings = default_settings();
    // Compile-time limits of Postgres 15 that clients read from here.
    for (name, value) in [
        ("max_index_keys", "32"),
        ("block_size", "8192"),
        ("max_function_args", "100"),
    ] {
        settings.insert(name.to_owned(), value.to_owned());
    }
    settings
}

pub(super) fn fill(db: &Connection) -> rusqlite::Result<()> {
    for (name, setting) in startup_values() {
        let vartype = match setting.as_str() {
            "on" | "off" => "bool",
            s if s.parse::<i64>().is_ok() => "integer",
            _ => "string",
        };
        insert(
            db,
            "pg_settings",
            &[
                "name",
                "setting",
                "category",
                "context",
                "vartype",
                "source",
                "boot_val",
                "reset_val",
            ],
            &[
                &name,
                &setting,
                &"graftgres",
                &"user",
                &vartype,
                &"default",
                &setting,
                &setting,
            ],
        )?;
    }
    Ok(())
}
