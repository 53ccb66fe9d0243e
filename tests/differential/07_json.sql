-- JSON operators on json text.
SELECT id, prefs -> 'theme' FROM people ORDER BY id;
SELECT id, prefs ->> 'theme' FROM people ORDER BY id;
SELECT id, prefs -> 'level', prefs ->> 'level' FROM people ORDER BY id;
SELECT id, prefs -> 'tags' -> 0, prefs -> 'tags' ->> 1 FROM people ORDER BY id;
SELECT id, prefs #> '{nested,k}', prefs #>> '{nested,k}' FROM people ORDER BY id;
SELECT id, prefs #>> '{tags,0}' FROM people ORDER BY id;
SELECT id FROM people WHERE prefs ->> 'theme' = 'dark' ORDER BY id;
SELECT prefs ->> 'theme' AS theme, count(*) FROM people GROUP BY 1 ORDER BY 1;
SELECT id, (prefs ->> 'level')::int + 1 FROM people ORDER BY id;
SELECT id FROM people WHERE (prefs -> 'nested' ->> 'k')::int > 40 ORDER BY id;
SELECT id FROM people WHERE prefs::jsonb @> '{"theme": "light"}' ORDER BY id;
SELECT id FROM people WHERE prefs::jsonb @> '{"nested": {"k": 8}}' ORDER BY id;
SELECT '{"a": {"b": [1, 2, {"c": "d"}]}}'::json #>> '{a,b,2,c}';
SELECT '{"a": 1, "b": "x"}'::json ->> 'b', '[10, 20, 30]'::json ->> 2;
SELECT '{"a": null}'::json ->> 'a' IS NULL, '{"a": 1}'::json -> 'missing' IS NULL;
SELECT id, prefs -> 'nested' FROM people ORDER BY id;
SELECT '[1, 2]'::jsonb @> '[1]', '{"a": 1, "b": 2}'::jsonb @> '{"b": 2}', '{"a": 1}'::jsonb @> '{"a": 2}';
