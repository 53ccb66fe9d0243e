//! `pg_settings`: the settings a session starts with (the values every
//! session reports; `SET` in a session changes `SHOW`, not this relation).

use rusqlite::Connection;

use super::insert;
use crate::wire::session::default_settings;

pub(super) fn fill(db: &Connection) -> rusqlite::Result<()> {
    // Compile-time limits of Postgres 15 that clients read from here.
    let limits = [
        ("max_index_keys", "32"),
        ("block_size", "8192"),
        ("max_function_args", "100"),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    for (name, setting) in default_settings().into_iter().chain(limits) {
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
