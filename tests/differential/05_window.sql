-- Window functions and frames.
SELECT id, row_number() OVER (ORDER BY id) FROM people ORDER BY id;
SELECT id, city, row_number() OVER (PARTITION BY city ORDER BY id) FROM people ORDER BY id;
SELECT id, age, rank() OVER (ORDER BY age), dense_rank() OVER (ORDER BY age) FROM people ORDER BY id;
SELECT id, age, rank() OVER (ORDER BY age DESC) FROM people ORDER BY id;
SELECT id, sum(qty) OVER (ORDER BY id) FROM orders ORDER BY id;
SELECT id, sum(qty) OVER (PARTITION BY status ORDER BY id) FROM orders ORDER BY id;
SELECT id, count(*) OVER (PARTITION BY status) FROM orders ORDER BY id;
SELECT id, lag(qty) OVER (ORDER BY id), lead(qty, 2) OVER (ORDER BY id) FROM orders ORDER BY id;
SELECT id, lag(qty, 1, 0) OVER (ORDER BY id) FROM orders ORDER BY id;
SELECT id, first_value(id) OVER (PARTITION BY status ORDER BY id), last_value(id) OVER (PARTITION BY status ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM orders ORDER BY id;
SELECT id, sum(qty) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM orders ORDER BY id;
SELECT id, sum(qty) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM orders ORDER BY id;
-- mismatch: avg as a window function prints SQLite's float, not numeric with Postgres's scale
SELECT id, avg(qty) OVER (ORDER BY id ROWS 3 PRECEDING) FROM orders ORDER BY id;
SELECT id, max(amount) OVER (PARTITION BY status) FROM orders ORDER BY id;
SELECT id, ntile(4) OVER (ORDER BY id) FROM people ORDER BY id;
SELECT id, percent_rank() OVER (ORDER BY id), cume_dist() OVER (ORDER BY id) FROM depts ORDER BY id;
SELECT id, nth_value(id, 2) OVER (ORDER BY id) FROM depts ORDER BY id;
SELECT id, age, sum(age) OVER w, count(age) OVER w FROM people WINDOW w AS (ORDER BY id) ORDER BY id;
SELECT id, qty, sum(qty) OVER (ORDER BY qty RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM orders ORDER BY id;
SELECT id, qty, count(*) OVER (ORDER BY qty GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM orders ORDER BY id;
SELECT id, row_number() OVER (PARTITION BY city ORDER BY age DESC, id) FROM people ORDER BY id;
SELECT * FROM (SELECT id, city, row_number() OVER (PARTITION BY city ORDER BY id) AS rn FROM people) t WHERE rn = 1 ORDER BY id;
SELECT status, id, amount FROM (SELECT status, id, amount, rank() OVER (PARTITION BY status ORDER BY amount DESC) AS r FROM orders) x WHERE r <= 2 ORDER BY status, r, id;
SELECT id, age, age - lag(age) OVER (ORDER BY id) AS diff FROM people ORDER BY id;
SELECT id, sum(amount) OVER (ORDER BY id) FROM orders WHERE id < 20 ORDER BY id;
SELECT id, min(age) OVER (PARTITION BY active) FROM people ORDER BY id;
