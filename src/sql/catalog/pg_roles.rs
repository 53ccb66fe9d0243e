//! `pg_roles` and `pg_user`: the one role that owns every object of the
//! volume (OID 10, the bootstrap role). Sessions are not checked against
//! it: a replica has no users of its own.

use rusqlite::Connection;

use super::insert;
use super::schema::OWNER;

/// The owner role's name.
pub const OWNER_NAME: &str = "postgres";

pub(super) fn fill(db: &Connection) -> rusqlite::Result<()> {
    let hidden = "********";
    insert(
        db,
        "pg_roles",
        &[
            "oid",
            "rolname",
            "rolinherit",
            "rolcanlogin",
            "rolconnlimit",
            "rolpassword",
        ],
        &[&OWNER, &OWNER_NAME, &true, &true, &-1, &hidden],
    )?;
    insert(
        db,
        "pg_user",
        &["usename", "usesysid", "passwd"],
        &[&OWNER_NAME, &OWNER, &hidden],
    )
}
