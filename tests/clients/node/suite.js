// node-postgres (`pg`, `pg-cursor`) against graftgres (the demo volume):
// simple and parameterised queries, types, errors, a cursor in a
// transaction. Run by tests/e2e_drivers.rs with GG_HOST, GG_PORT, GG_DB set;
// exits non-zero on the first failed check.
const { Client } = require('pg');
const Cursor = require('pg-cursor');
const assert = require('node:assert/strict');

function ok(label) {
  console.log(`ok ${label}`);
}

async function main() {
  const client = new Client({
    host: process.env.GG_HOST,
    port: Number(process.env.GG_PORT),
    database: process.env.GG_DB,
    user: 'test',
  });
  await client.connect();
  try {
    // Simple query protocol (no parameters).
    let res = await client.query('SELECT id, name, vip, signup_date FROM customers WHERE id = 1');
    assert.equal(res.rows.length, 1);
    assert.equal(res.rows[0].name, 'Customer 1');
    assert.equal(typeof res.rows[0].vip, 'boolean');
    assert.ok(res.rows[0].signup_date instanceof Date);
    // int8 comes back as a string in pg (it does not fit a JS number).
    assert.equal(res.rows[0].id, '1');
    assert.equal(res.fields[0].dataTypeID, 20);
    ok('simple query and types');

    // Extended protocol with parameters.
    res = await client.query('SELECT name FROM customers WHERE id = $1 AND name LIKE $2', [3, 'Customer%']);
    assert.deepEqual(res.rows, [{ name: 'Customer 3' }]);
    res = await client.query('SELECT $1::text AS t, $2::float8 AS f, $3::bool AS b, $4::numeric AS n', ['héllo', 1.5, true, '12.34']);
    assert.deepEqual(res.rows[0], { t: 'héllo', f: 1.5, b: true, n: '12.34' });
    ok('parameterised queries');

    // A named prepared statement, reused.
    for (let i = 1; i <= 6; i++) {
      res = await client.query({ name: 'by-id', text: 'SELECT name FROM customers WHERE id = $1', values: [i] });
      assert.equal(res.rows[0].name, `Customer ${i}`);
    }
    ok('named prepared statement');

    // Row mode arrays and a count.
    res = await client.query({ text: 'SELECT count(*) FROM orders', rowMode: 'array' });
    const orders = Number(res.rows[0][0]);
    assert.ok(orders > 0);
    ok('row mode');

    // Arrays: array_agg results (pg parses int8[] items as strings, as it
    // does int8), a JS array parameter, set-returning functions.
    res = await client.query(
      'SELECT array_agg(id ORDER BY id) AS ids, array_agg(vip ORDER BY id) AS vips FROM customers WHERE id <= 3');
    assert.deepEqual(res.rows[0].ids, ['1', '2', '3']);
    assert.equal(res.fields[0].dataTypeID, 1016);
    const vips = (await client.query('SELECT vip FROM customers WHERE id <= 3 ORDER BY id')).rows.map((r) => r.vip);
    assert.deepEqual(res.rows[0].vips, vips);
    res = await client.query('SELECT count(*) AS n FROM customers WHERE id = ANY($1)', [[1, 3, 99999]]);
    assert.equal(res.rows[0].n, '2');
    res = await client.query("SELECT unnest('{x,y}'::text[]) AS t, generate_series(1, 3) AS n");
    assert.deepEqual(res.rows, [{ t: 'x', n: 1 }, { t: 'y', n: 2 }, { t: null, n: 3 }]);
    ok('arrays');

    // Errors: codes, and the connection stays usable.
    await assert.rejects(client.query('SELECT nope FROM customers'), (err) => err.code === '42703');
    await assert.rejects(client.query('UPDATE customers SET name = $1', ['x']), (err) => err.code === '25006');
    await assert.rejects(client.query('SELEC 1'), (err) => err.code === '42601');
    // An integer literal is int4, a JS number.
    res = await client.query('SELECT 1 AS one');
    assert.equal(res.rows[0].one, 1);
    ok('errors');

    // A cursor (Execute with a row limit) inside a transaction. (pg queues
    // other queries of the client until the cursor is closed.)
    await client.query('BEGIN');
    const cursor = client.query(new Cursor('SELECT id FROM orders ORDER BY id'));
    let seen = 0;
    let next = 1;
    for (;;) {
      const rows = await cursor.read(1000);
      if (rows.length === 0) break;
      for (const row of rows) {
        assert.equal(Number(row.id), next);
        next += 1;
      }
      seen += rows.length;
    }
    await cursor.close();
    res = await client.query('SELECT count(*) AS n FROM customers');
    assert.ok(Number(res.rows[0].n) > 0);
    await client.query('COMMIT');
    assert.equal(seen, orders);
    ok('pg-cursor in a transaction');
  } finally {
    await client.end();
  }
  console.log('node-postgres suite passed');
}

main().catch((err) => {
  console.error('FAIL', err);
  process.exit(1);
});
