-- Arithmetic and math functions.
SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 2 ^ 10;
SELECT id, age / 7, age % 7 FROM people ORDER BY id;
SELECT id, age * 2 + 1, age - 100 FROM people ORDER BY id;
SELECT 7.0 / 2, 1 / 4.0;
SELECT id, score * 2, score + 0.5, -score FROM people ORDER BY id;
SELECT id, score / 2 FROM people ORDER BY id;
SELECT id, balance + 1, balance * 2, -balance FROM people ORDER BY id;
SELECT id, amount * qty FROM orders ORDER BY id;
SELECT greatest(1, 5, 3), least(4, 2, 8), greatest('a', 'B'), least(2.5, 1.25);
SELECT id, greatest(age, 40), least(age, 40) FROM people ORDER BY id;
SELECT round(2.5), round(-2.5), round(3.14159, 2), round(1234.5678, -2);
SELECT id, round(balance), round(balance, 1) FROM people ORDER BY id;
SELECT trunc(2.7), trunc(-2.7), trunc(3.14159, 3);
SELECT ceil(2.1), ceil(-2.1), floor(2.9), floor(-2.9), ceiling(4.01);
SELECT id, ceil(score), floor(score) FROM people ORDER BY id;
SELECT power(2, 10), power(2.0, 0.5), sqrt(16), sqrt(2);
SELECT mod(17, 5), mod(-17, 5), div(17, 5), div(-17, 5);
SELECT abs(-5), abs(3.25), sign(-3), sign(0), sign(4.5);
SELECT id, abs(balance), sign(balance) FROM people ORDER BY id;
SELECT random() >= 0 AND random() < 1;
SELECT 9223372036854775807, -9223372036854775807;
SELECT 3000000000 * 2;
SELECT id, age::float8 / 3 FROM people ORDER BY id;
SELECT id, age::numeric FROM people ORDER BY id;
SELECT 1.5::int, 2.5::int, (-1.5)::int, '7'::int8 * 3;
SELECT id, score::int FROM people ORDER BY id;
SELECT id, balance::int FROM people ORDER BY id;
SELECT 0.1 + 0.2, 0.1::float8 + 0.2::float8;
SELECT 1e3::float8, 1.5e-7::float8, 123456789012345678::float8;
SELECT 10::float8 / 4, 1::float8 / 3;
SELECT id, age * 1.5 FROM people ORDER BY id;
SELECT id, qty * 2.5, qty / 2.0 FROM orders WHERE id < 10 ORDER BY id;
SELECT CAST(7 AS numeric) / 2;
SELECT 5 / 2.0, 2 * 3.25, 2 - 0.75;
SELECT (age / 10) * 10 AS decade, count(*) FROM people GROUP BY 1 ORDER BY 1;
SELECT abs(-9223372036854775807);
SELECT id, age % 2 = 0 AS even FROM people ORDER BY id;
SELECT 2 + 3 * 4, (2 + 3) * 4, 2 ^ 3 ^ 2;
SELECT @ -5, |/ 25.0;
-- Errors Postgres raises where SQLite would answer NULL: same SQLSTATE.
-- error
SELECT 7 / 0;
-- error
SELECT id, age / (age - age) FROM people ORDER BY id;
-- error
SELECT 7 % 0;
-- error
SELECT mod(id, 0) FROM people;
-- error
SELECT score / 0 FROM people;
-- error
SELECT 1.5::float8 / 0;
-- error
SELECT 7.0 / 0;
-- error
SELECT (-9223372036854775807 - 1) / -1;
SELECT id, age / nullif(age - age, 0), age % nullif(id, id) FROM people ORDER BY id;
SELECT id, 100 / id, 100 % id, id / 2.5, score / id FROM people ORDER BY id;
-- error
SELECT 'abc'::int;
-- error
SELECT 'abc'::numeric;
-- error
SELECT '1.5x'::float8;
-- error
SELECT name::int FROM people;
-- error
SELECT name::numeric(10, 2) FROM people;
-- error
SELECT 99999::numeric(4, 2);
