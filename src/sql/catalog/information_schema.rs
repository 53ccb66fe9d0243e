//! `information_schema`: `schemata`, `tables`, `columns`, `views`,
//! `table_constraints`, `key_column_usage` and `referential_constraints`
//! for the volume's tables (SQL-standard names, `NO` for every "is
//! updatable": a replica is read-only).

use rusqlite::Connection;

use super::insert;
use super::pg_roles::OWNER_NAME;
use super::schema::{Schema, Table};
use crate::sql::functions::format_type;

pub(super) fn fill(db: &Connection, schema: &Schema) -> rusqlite::Result<()> {
    let catalog = schema.database.as_str();
    for name in ["public", "information_schema", "pg_catalog"] {
        insert(
            db,
            "information_schema.schemata",
            &["catalog_name", "schema_name", "schema_owner"],
            &[&catalog, &name, &OWNER_NAME],
        )?;
    }
    for table in &schema.tables {
        let kind = if table.is_view { "VIEW" } else { "BASE TABLE" };
        insert(
            db,
            "information_schema.tables",
            &[
                "table_catalog",
                "table_schema",
                "table_name",
                "table_type",
                "is_insertable_into",
                "is_typed",
            ],
            &[&catalog, &"public", &table.name, &kind, &"NO", &"NO"],
        )?;
        columns(db, catalog, table)?;
        if table.is_view {
            let definition: Option<String> = db
                .query_row(
                    "SELECT def FROM graftgres_def WHERE oid = ?1",
                    [table.oid],
                    |r| r.get(0),
                )
                .ok();
            insert(
                db,
                "information_schema.views",
                &[
                    "table_catalog",
                    "table_schema",
                    "table_name",
                    "view_definition",
                    "check_option",
                    "is_updatable",
                    "is_insertable_into",
                    "is_trigger_updatable",
                    "is_trigger_deletable",
                    "is_trigger_insertable_into",
                ],
                &[
                    &catalog,
                    &"public",
                    &table.name,
                    &definition,
                    &"NONE",
                    &"NO",
                    &"NO",
                    &"NO",
                    &"NO",
                    &"NO",
                ],
            )?;
        }
        constraints(db, catalog, schema, table)?;
    }
    Ok(())
}

fn columns(db: &Connection, catalog: &str, table: &Table) -> rusqlite::Result<()> {
    for (i, column) in table.columns.iter().enumerate() {
        let oid = i64::from(column.ty.oid());
        let data_type = format_type(oid, -1);
        let max_length = (column.typmod >= 4 && oid == 1043).then_some(column.typmod - 4);
        let (precision, scale) = match oid {
            20 => (Some(64), Some(0)),
            23 => (Some(32), Some(0)),
            21 => (Some(16), Some(0)),
            701 => (Some(53), None),
            1700 if column.typmod >= 4 => {
                let t = column.typmod - 4;
                (Some(t >> 16), Some(t & 0xffff))
            }
            _ => (None, None),
        };
        let radix = precision.map(|_| if oid == 1700 { 10 } else { 2 });
        insert(
            db,
            "information_schema.columns",
            &[
                "table_catalog",
                "table_schema",
                "table_name",
                "column_name",
                "ordinal_position",
                "column_default",
                "is_nullable",
                "data_type",
                "character_maximum_length",
                "numeric_precision",
                "numeric_precision_radix",
                "numeric_scale",
                "udt_catalog",
                "udt_schema",
                "udt_name",
                "dtd_identifier",
                "is_self_referencing",
                "is_identity",
                "is_generated",
                "is_updatable",
            ],
            &[
                &catalog,
                &"public",
                &table.name,
                &column.name,
                &(i as i64 + 1),
                &column.default,
                &if column.not_null { "NO" } else { "YES" },
                &data_type,
                &max_length,
                &precision,
                &radix,
                &scale,
                &catalog,
                &"pg_catalog",
                &column.ty.name(),
                &(i as i64 + 1).to_string(),
                &"NO",
                &"NO",
                &"NEVER",
                &"NO",
            ],
        )?;
    }
    Ok(())
}

fn constraints(
    db: &Connection,
    catalog: &str,
    schema: &Schema,
    table: &Table,
) -> rusqlite::Result<()> {
    let common = |name: &str, kind: &str| -> rusqlite::Result<()> {
        insert(
            db,
            "information_schema.table_constraints",
            &[
                "constraint_catalog",
                "constraint_schema",
                "constraint_name",
                "table_catalog",
                "table_schema",
                "table_name",
                "constraint_type",
                "is_deferrable",
                "initially_deferred",
                "enforced",
                "nulls_distinct",
            ],
            &[
                &catalog,
                &"public",
                &name,
                &catalog,
                &"public",
                &table.name,
                &kind,
                &"NO",
                &"NO",
                &"YES",
                &if kind == "FOREIGN KEY" {
                    None
                } else {
                    Some("YES")
                },
            ],
        )
    };
    let key_column = |name: &str, column: &str, position: i64, in_unique: Option<i64>| {
        insert(
            db,
            "information_schema.key_column_usage",
            &[
                "constraint_catalog",
                "constraint_schema",
                "constraint_name",
                "table_catalog",
                "table_schema",
                "table_name",
                "column_name",
                "ordinal_position",
                "position_in_unique_constraint",
            ],
            &[
                &catalog,
                &"public",
                &name,
                &catalog,
                &"public",
                &table.name,
                &column,
                &position,
                &in_unique,
            ],
        )
    };
    for index in table.indexes.iter().filter(|i| i.constraint_oid.is_some()) {
        common(
            &index.name,
            if index.primary {
                "PRIMARY KEY"
            } else {
                "UNIQUE"
            },
        )?;
        for (i, column) in index.columns.iter().flatten().enumerate() {
            key_column(&index.name, column, i as i64 + 1, None)?;
        }
    }
    for fk in &table.foreign_keys {
        common(&fk.name, "FOREIGN KEY")?;
        for (i, column) in fk.columns.iter().enumerate() {
            key_column(&fk.name, column, i as i64 + 1, Some(i as i64 + 1))?;
        }
        let unique = schema.table(&fk.ref_table).and_then(|p| {
            p.indexes.iter().find(|i| {
                i.constraint_oid.is_some()
                    && i.columns.len() == fk.ref_columns.len()
                    && i.columns
                        .iter()
                        .zip(&fk.ref_columns)
                        .all(|(a, b)| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b)))
            })
        });
        insert(
            db,
            "information_schema.referential_constraints",
            &[
                "constraint_catalog",
                "constraint_schema",
                "constraint_name",
                "unique_constraint_catalog",
                "unique_constraint_schema",
                "unique_constraint_name",
                "match_option",
                "update_rule",
                "delete_rule",
            ],
            &[
                &catalog,
                &"public",
                &fk.name,
                &catalog,
                &"public",
                &unique.map(|u| u.name.clone()),
                &"NONE",
                &fk.on_update,
                &fk.on_delete,
            ],
        )?;
    }
    Ok(())
}
