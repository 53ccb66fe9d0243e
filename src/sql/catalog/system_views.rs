//! `pg_tables`, `pg_views` and `pg_indexes`: Postgres's views over
//! `pg_class`, filled from it once the catalog's tables are built, and each
//! view's definition for `pg_get_viewdef`.

use rusqlite::Connection;

pub(super) fn fill(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(
        "INSERT INTO pg_tables (schemaname, tablename, tableowner, hasindexes, hasrules,
                                hastriggers, rowsecurity)
         SELECT n.nspname, c.relname, r.rolname, c.relhasindex, c.relhasrules, c.relhastriggers, 0
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_roles r ON r.oid = c.relowner
         WHERE c.relkind IN ('r', 'p');

         INSERT INTO pg_views (schemaname, viewname, viewowner, definition)
         SELECT n.nspname, c.relname, r.rolname, d.def
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_roles r ON r.oid = c.relowner
         LEFT JOIN graftgres_def d ON d.oid = c.oid
         WHERE c.relkind = 'v';

         INSERT INTO pg_indexes (schemaname, tablename, indexname, indexdef)
         SELECT n.nspname, t.relname, c.relname, d.def
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         LEFT JOIN graftgres_def d ON d.oid = i.indexrelid;",
    )
}
