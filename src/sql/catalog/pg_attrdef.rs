//! `pg_attrdef`: column defaults. `adbin` holds the default's SQL text, so
//! `pg_get_expr(adbin, adrelid)` is the text itself.

use rusqlite::Connection;

use super::insert;
use super::schema::Schema;

/// Default OIDs sit above every relation and constraint OID.
const FIRST_OID: i64 = 1 << 30;

pub(super) fn fill(db: &Connection, schema: &Schema) -> rusqlite::Result<()> {
    let mut oid = FIRST_OID;
    for table in &schema.tables {
        for (i, column) in table.columns.iter().enumerate() {
            if let Some(default) = &column.default {
                insert(
                    db,
                    "pg_attrdef",
                    &["oid", "adrelid", "adnum", "adbin"],
                    &[&oid, &table.oid, &(i as i64 + 1), default],
                )?;
                oid += 1;
            }
        }
    }
    Ok(())
}
