use super::super::translate;

#[test]
fn rows_of_one_table_join_on_their_rowids() {
    assert_eq!(
        translate(
            "SELECT p.id, o.amount FROM people p CROSS JOIN LATERAL \
             (SELECT amount FROM orders WHERE person_id = p.id ORDER BY amount DESC LIMIT 1) o"
        )
        .unwrap(),
        "SELECT p.id, (SELECT amount FROM orders WHERE orders._rowid_ = __lateral1.__lateral_rowid) AS \"amount\" \
         FROM people p JOIN (SELECT __lateral1._rowid_ AS __lateral_rowid FROM orders AS __lateral1) AS __lateral1 \
         ON __lateral1.__lateral_rowid IN (SELECT orders._rowid_ FROM orders WHERE person_id = p.id \
         ORDER BY amount DESC NULLS FIRST LIMIT 1)"
    );
    // LEFT JOIN keeps the outer row: the lookups of a NULL rowid are NULL.
    // ORDER BY may name the select list; bare names are the item's columns.
    assert_eq!(
        translate(
            "SELECT id, total FROM people p LEFT JOIN LATERAL \
             (SELECT amount * qty AS total FROM orders o WHERE o.person_id = p.id ORDER BY total LIMIT 2) x \
             ON total > 10"
        )
        .unwrap(),
        "SELECT id, (SELECT amount * qty FROM orders o WHERE o._rowid_ = __lateral1.__lateral_rowid) AS \"total\" \
         FROM people p LEFT OUTER JOIN (SELECT __lateral1._rowid_ AS __lateral_rowid FROM orders AS __lateral1) AS __lateral1 \
         ON (__lateral1.__lateral_rowid IN (SELECT o._rowid_ FROM orders o WHERE o.person_id = p.id \
         ORDER BY amount * qty NULLS LAST LIMIT 2)) \
         AND ((SELECT amount * qty FROM orders o WHERE o._rowid_ = __lateral1.__lateral_rowid) > 10)"
    );
}

#[test]
fn order_by_names_the_subquerys_own_select_list() {
    let sql = translate(
        "SELECT o.y FROM people p, LATERAL (SELECT id AS x FROM orders WHERE person_id = p.id ORDER BY x LIMIT 1) o(y)",
    )
    .unwrap();
    assert!(sql.contains("ORDER BY id NULLS LAST LIMIT 1"), "{sql}");
    assert!(sql.starts_with("SELECT (SELECT id FROM orders"), "{sql}");
    assert!(sql.contains(") AS \"y\" FROM"), "{sql}");
}

#[test]
fn groups_are_told_apart_by_their_least_rowid() {
    assert_eq!(
        translate(
            "SELECT s.n FROM people p, LATERAL \
             (SELECT count(*) AS n FROM orders WHERE person_id = p.id GROUP BY status) s"
        )
        .unwrap(),
        "SELECT (SELECT count(*) FROM orders WHERE person_id = p.id GROUP BY status \
         HAVING min(orders._rowid_) = __lateral1.__lateral_rowid) AS \"n\" \
         FROM people p, (SELECT __lateral1._rowid_ AS __lateral_rowid FROM orders AS __lateral1) AS __lateral1 \
         WHERE __lateral1.__lateral_rowid IN (SELECT min(orders._rowid_) FROM orders WHERE person_id = p.id GROUP BY status)"
    );
    assert!(
        translate("SELECT s.status FROM people p, LATERAL (SELECT DISTINCT status FROM orders WHERE person_id = p.id) s")
            .unwrap()
            .contains("IN (SELECT min(orders._rowid_) FROM orders WHERE person_id = p.id GROUP BY status)")
    );
}

#[test]
fn select_star_keeps_the_table_under_the_items_alias() {
    assert_eq!(
        translate(
            "SELECT * FROM people p, LATERAL (SELECT * FROM orders o WHERE o.person_id = p.id LIMIT 1) o"
        )
        .unwrap(),
        "SELECT p.*, o.* FROM people p, orders AS o \
         WHERE o._rowid_ IN (SELECT o._rowid_ FROM orders o WHERE o.person_id = p.id LIMIT 1)"
    );
}

#[test]
fn one_row_becomes_scalar_subqueries() {
    // An aggregate without GROUP BY: the item disappears.
    assert_eq!(
        translate(
            "SELECT p.id, t.n FROM people p, LATERAL (SELECT count(*) AS n FROM orders WHERE person_id = p.id) t \
             ORDER BY n"
        )
        .unwrap(),
        "SELECT p.id, (SELECT count(*) FROM orders WHERE person_id = p.id) AS \"n\" FROM people p ORDER BY n NULLS LAST"
    );
    // HAVING may remove the row: EXISTS says whether it is there.
    assert_eq!(
        translate(
            "SELECT t.n FROM people p CROSS JOIN LATERAL \
             (SELECT count(*) AS n FROM orders WHERE person_id = p.id HAVING count(*) > 2) t"
        )
        .unwrap(),
        "SELECT (SELECT count(*) FROM orders WHERE person_id = p.id HAVING count(*) > 2) AS \"n\" \
         FROM people p JOIN (SELECT 1 AS __lateral_row) AS __lateral1 \
         ON EXISTS (SELECT count(*) AS n FROM orders WHERE person_id = p.id HAVING count(*) > 2)"
    );
    // LEFT JOIN ... ON c: NULLs where c fails.
    assert_eq!(
        translate(
            "SELECT t.n FROM people p LEFT JOIN LATERAL (SELECT count(*) AS n FROM orders WHERE person_id = p.id) t \
             ON t.n > 2"
        )
        .unwrap(),
        "SELECT CASE WHEN __lateral1.__lateral_row IS NULL THEN NULL ELSE (SELECT count(*) FROM orders WHERE person_id = p.id) END AS \"n\" \
         FROM people p LEFT OUTER JOIN (SELECT 1 AS __lateral_row) AS __lateral1 \
         ON (SELECT count(*) FROM orders WHERE person_id = p.id) > 2"
    );
    // No FROM, and a column alias list.
    assert_eq!(
        translate("SELECT x.d FROM people p, LATERAL (SELECT p.age * 2) x(d)").unwrap(),
        "SELECT (SELECT p.age * 2) AS \"d\" FROM people p"
    );
}

#[test]
fn series_and_values_read_the_row_beside_them() {
    let series =
        translate("SELECT * FROM people p, LATERAL generate_series(1, p.age) AS g(n)").unwrap();
    assert!(series.starts_with(
        "SELECT p.*, __lateral1.value AS \"n\" FROM people p, json_each((WITH RECURSIVE"
    ));
    assert!(series.contains("pg_series_ok(1, p.age, 1)"));
    // A call reading columns is lateral without the keyword.
    assert!(
        translate("SELECT g.i FROM depts d, generate_series(d.id, 9) WITH ORDINALITY AS g(v, i)")
            .unwrap()
            .starts_with("SELECT pg_add(__lateral1.key, 1) AS \"i\" FROM depts d, json_each(")
    );
    assert_eq!(
        translate("SELECT v.x FROM people p, LATERAL (VALUES (p.id), (p.age)) v(x)").unwrap(),
        "SELECT CASE __lateral1.column1 WHEN 1 THEN p.id WHEN 2 THEN p.age END AS \"x\" \
         FROM people p, (VALUES (1), (2)) AS __lateral1"
    );
}

#[test]
fn laterals_chain_and_nest() {
    // The second item reads the first one's column; the first item's alias
    // is hidden inside a query with its own `f`.
    let sql = translate(
        "SELECT n.c FROM people p, LATERAL (SELECT amount FROM orders WHERE person_id = p.id LIMIT 1) f, \
         LATERAL (SELECT count(*) AS c FROM orders f WHERE f.amount > (SELECT 1) AND amount < f.amount) n",
    )
    .unwrap();
    assert_eq!(
        sql,
        "SELECT (SELECT count(*) FROM orders f WHERE f.amount > (SELECT 1) AND amount < f.amount) AS \"c\" \
         FROM people p, (SELECT __lateral1._rowid_ AS __lateral_rowid FROM orders AS __lateral1) AS __lateral1 \
         WHERE __lateral1.__lateral_rowid IN (SELECT orders._rowid_ FROM orders WHERE person_id = p.id LIMIT 1)"
    );
    // A LATERAL inside a LATERAL subquery is rewritten first.
    assert!(
        translate(
            "SELECT x.later FROM people p CROSS JOIN LATERAL (SELECT c.later FROM orders o CROSS JOIN LATERAL \
             (SELECT count(*) AS later FROM orders o2 WHERE o2.id > o.id) c WHERE o.person_id = p.id LIMIT 2) x"
        )
        .unwrap()
        .contains("(SELECT (SELECT count(*) FROM orders o2 WHERE o2.id > o.id) FROM orders o WHERE o._rowid_ = __lateral1.__lateral_rowid)")
    );
    // First in FROM, LATERAL changes nothing.
    assert_eq!(
        translate("SELECT x.a FROM LATERAL (SELECT 1 AS a) x").unwrap(),
        "SELECT x.a FROM (SELECT 1 AS a) x"
    );
}

#[test]
fn bare_names_are_the_items_only_where_it_is_in_sight() {
    // The first ON joins p and d only: its dept_id is p's.
    let sql = translate(
        "SELECT t.dept_id FROM people p JOIN depts d ON d.id = dept_id, \
         LATERAL (SELECT qty AS dept_id FROM orders WHERE person_id = p.id LIMIT 1) t WHERE dept_id > 1",
    )
    .unwrap();
    assert!(sql.contains("ON d.id = dept_id"), "{sql}");
    assert!(
        sql.contains(
            "WHERE ((SELECT qty FROM orders WHERE orders._rowid_ = __lateral1.__lateral_rowid) > 1)"
        ),
        "{sql}"
    );
}

#[test]
fn inexpressible_shapes_are_refused() {
    for sql in [
        "SELECT 1 FROM people p, LATERAL (SELECT d.name FROM orders o JOIN depts d ON true WHERE o.person_id = p.id) x",
        "SELECT 1 FROM people p, LATERAL (SELECT id, row_number() OVER () FROM orders WHERE person_id = p.id) x",
        "SELECT 1 FROM people p RIGHT JOIN LATERAL (SELECT id FROM orders WHERE person_id = p.id) x ON true",
        "SELECT 1 FROM people p, LATERAL unnest(p.tags) t",
        "SELECT 1 FROM people p, LATERAL (SELECT id FROM orders UNION SELECT p.id) x",
        "SELECT 1 FROM people p, LATERAL (SELECT DISTINCT count(*) FROM orders WHERE person_id = p.id GROUP BY status) x",
    ] {
        let err = translate(sql).unwrap_err();
        assert_eq!(err.code, "0A000", "{sql}");
        assert!(err.message.contains("LATERAL"), "{sql}: {}", err.message);
    }
}
