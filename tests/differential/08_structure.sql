-- Joins, subqueries, CTEs, set operations, LATERAL, generate_series.
SELECT p.id, d.name FROM people p JOIN depts d ON d.id = p.dept_id ORDER BY p.id;
SELECT p.id, d.name FROM people p LEFT JOIN depts d ON d.id = p.dept_id ORDER BY p.id;
SELECT d.id, p.id FROM people p RIGHT JOIN depts d ON d.id = p.dept_id AND p.age > 60 ORDER BY d.id, p.id;
SELECT d.id, p.id FROM depts d FULL JOIN people p ON d.id = p.dept_id AND p.id < 3 ORDER BY d.id, p.id;
SELECT count(*) FROM depts CROSS JOIN depts AS d2;
SELECT p.id, o.id FROM people p, orders o WHERE o.person_id = p.id AND p.id < 5 ORDER BY p.id, o.id;
SELECT p.id FROM people p JOIN orders o USING (id) WHERE p.id < 5 ORDER BY p.id;
SELECT id, (SELECT count(*) FROM orders o WHERE o.person_id = p.id) AS n FROM people p ORDER BY id;
SELECT id, (SELECT max(amount) FROM orders o WHERE o.person_id = p.id) FROM people p ORDER BY id;
WITH big AS (SELECT * FROM orders WHERE qty > 6) SELECT status, count(*) FROM big GROUP BY status ORDER BY status;
WITH a AS (SELECT id, age FROM people), b AS (SELECT id FROM a WHERE age > 50) SELECT count(*) FROM b;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT i FROM n ORDER BY i;
WITH RECURSIVE tree AS (SELECT id, name, parent_id, 1 AS depth FROM depts WHERE parent_id IS NULL UNION ALL SELECT d.id, d.name, d.parent_id, t.depth + 1 FROM depts d JOIN tree t ON d.parent_id = t.id) SELECT id, name, depth FROM tree ORDER BY id;
WITH RECURSIVE fib(a, b, n) AS (SELECT 0, 1, 1 UNION ALL SELECT b, a + b, n + 1 FROM fib WHERE n < 20) SELECT n, a FROM fib ORDER BY n;
SELECT id FROM people WHERE age > 60 UNION SELECT person_id FROM orders WHERE qty = 9 ORDER BY 1;
SELECT id FROM people WHERE age > 60 UNION ALL SELECT id FROM people WHERE age > 70 ORDER BY 1;
SELECT id FROM people INTERSECT SELECT person_id FROM orders ORDER BY 1;
SELECT id FROM people EXCEPT SELECT person_id FROM orders ORDER BY 1;
SELECT city FROM people UNION SELECT name FROM depts ORDER BY 1;
SELECT * FROM generate_series(1, 5);
SELECT generate_series(1, 10, 3);
SELECT x FROM generate_series(10, 1, -2) AS x ORDER BY x;
SELECT g.n, g.n * g.n FROM generate_series(1, 6) AS g(n) ORDER BY g.n;
SELECT * FROM generate_series(timestamp '2024-01-01', timestamp '2024-01-03', interval '12 hours');
SELECT d::date FROM generate_series(timestamp '2024-01-29', timestamp '2024-02-02', interval '1 day') AS d ORDER BY 1;
SELECT g.m, count(o.id) FROM generate_series(1, 12) AS g(m) LEFT JOIN orders o ON extract(month FROM o.ordered_at) = g.m GROUP BY g.m ORDER BY g.m;
-- unsupported: LATERAL
SELECT p.id, o.amount FROM people p CROSS JOIN LATERAL (SELECT amount FROM orders WHERE person_id = p.id ORDER BY amount DESC, id LIMIT 1) o ORDER BY p.id;
-- unsupported: LATERAL
SELECT p.id, t.n FROM people p, LATERAL (SELECT count(*) AS n FROM orders WHERE person_id = p.id) t WHERE p.id < 8 ORDER BY p.id;
-- unsupported: LATERAL
SELECT p.id, o.id FROM people p LEFT JOIN LATERAL (SELECT id FROM orders WHERE person_id = p.id ORDER BY id LIMIT 2) o ON true WHERE p.id < 6 ORDER BY p.id, o.id;
SELECT id, CASE WHEN age < 30 THEN 'young' WHEN age < 60 THEN 'mid' ELSE 'old' END FROM people ORDER BY id;
SELECT id, CASE city WHEN 'Berlin' THEN 1 WHEN 'paris' THEN 2 END FROM people ORDER BY id;
SELECT t.x FROM (SELECT id AS x FROM people WHERE id < 4) AS t ORDER BY t.x;
SELECT * FROM (SELECT id, name FROM people ORDER BY id LIMIT 3) s ORDER BY id DESC;
SELECT id FROM orders WHERE amount > (SELECT avg(amount) FROM orders) ORDER BY id;
SELECT p.name, o.total FROM people p JOIN (SELECT person_id, sum(amount) AS total FROM orders GROUP BY person_id) o ON o.person_id = p.id ORDER BY p.id;
SELECT id FROM people WHERE age = (SELECT max(age) FROM people) ORDER BY id;
SELECT id FROM people WHERE id > ALL (SELECT person_id FROM orders WHERE person_id IS NOT NULL) ORDER BY id;
SELECT id FROM people WHERE age > ANY (SELECT age FROM people WHERE city = 'paris') ORDER BY id;
SELECT count(*) FROM (SELECT DISTINCT person_id FROM orders) x;
SELECT id, EXISTS (SELECT 1 FROM orders WHERE person_id = people.id) FROM people ORDER BY id;
