"""asyncpg against graftgres (the demo volume): prepared statements,
fetch/fetchrow/fetchval, cursors in a transaction (Execute with a row
limit), type introspection (array results and parameters, set_type_codec),
errors. Run by tests/e2e_drivers.rs with GG_HOST,
GG_PORT, GG_DB set; exits non-zero on the first failed check."""

import asyncio
import datetime
import decimal
import json
import os

import asyncpg

from checks import check


async def main():
    conn = await asyncpg.connect(
        host=os.environ["GG_HOST"],
        port=int(os.environ["GG_PORT"]),
        database=os.environ["GG_DB"],
        user="test",
    )
    try:
        check("fetchval", await conn.fetchval("SELECT 1"), 1)
        row = await conn.fetchrow(
            "SELECT id, name, signup_date, vip FROM customers WHERE id = $1", 2
        )
        check("fetchrow", (row["id"], row["name"]), (2, "Customer 2"))
        check("date", type(row["signup_date"]), datetime.date)
        check("bool", type(row["vip"]), bool)
        rows = await conn.fetch(
            "SELECT id, total, ordered_at FROM orders WHERE customer_id = $1 ORDER BY id", 1
        )
        check("fetch types", all(
            isinstance(r["total"], decimal.Decimal) and isinstance(r["ordered_at"], datetime.datetime)
            for r in rows
        ), True)

        # Parameters of many types (asyncpg always binds in binary).
        got = await conn.fetchrow(
            "SELECT $1::int8 AS a, $2::text AS b, $3::float8 AS c, $4::bool AS d, $5::numeric AS e, $6::bytea AS f",
            42, "héllo", 1.5, True, decimal.Decimal("12.34"), b"\x00\x01",
        )
        check("parameters", tuple(got), (42, "héllo", 1.5, True, decimal.Decimal("12.34"), b"\x00\x01"))

        # Prepared statements, reused.
        stmt = await conn.prepare("SELECT name FROM customers WHERE id = $1")
        check("prepared params", [t.name for t in stmt.get_parameters()], ["int8"])
        check("prepared columns", [a.name for a in stmt.get_attributes()], ["name"])
        for i in range(1, 8):
            check(f"prepared fetchval {i}", await stmt.fetchval(i), f"Customer {i}")

        # Cursors run inside a transaction: Execute with a row limit.
        count = await conn.fetchval("SELECT count(*) FROM orders")
        async with conn.transaction():
            seen = 0
            last = 0
            async for record in conn.cursor("SELECT id FROM orders ORDER BY id", prefetch=300):
                seen += 1
                if record["id"] != last + 1:
                    check("cursor order", record["id"], last + 1)
                last = record["id"]
                if seen == 10:
                    # A query in the middle of the cursor's stream.
                    check("query inside cursor", await conn.fetchval("SELECT 7"), 7)
            check("cursor iterates all", seen, count)
            cur = await conn.cursor("SELECT id FROM orders ORDER BY id")
            check("cursor fetch", [r["id"] for r in await cur.fetch(5)], [1, 2, 3, 4, 5])
            check("cursor forward (MOVE)", await cur.forward(10), 10)
            check("cursor fetchrow after forward", (await cur.fetchrow())["id"], 16)
            # MOVE on a cursor that has not fetched yet starts it.
            fresh = await conn.cursor("SELECT id FROM orders WHERE id > $1 ORDER BY id", 100)
            check("forward first", await fresh.forward(3), 3)
            check("fetch after forward first", [r["id"] for r in await fresh.fetch(2)], [104, 105])

        # Errors keep the connection usable.
        try:
            await conn.fetch("SELECT nope FROM customers")
            check("undefined column raises", False, True)
        except asyncpg.exceptions.UndefinedColumnError:
            print("ok undefined column")
        try:
            await conn.execute("DELETE FROM customers")
            check("write raises", False, True)
        except asyncpg.exceptions.ReadOnlySQLTransactionError:
            print("ok write refused")
        check("usable after errors", await conn.fetchval("SELECT 2"), 2)

        # Type introspection: asyncpg looks array types up in pg_type (its
        # introspection query, which first reads `current_setting('jit')`),
        # and set_type_codec looks the named type up too.
        check(
            "int8[] result",
            await conn.fetchval("SELECT array_agg(id ORDER BY id) FROM customers WHERE id <= 3"),
            [1, 2, 3],
        )
        check(
            "text[] result",
            await conn.fetchval("SELECT array_agg(city ORDER BY id) FROM customers WHERE id <= 2"),
            [r["city"] for r in await conn.fetch("SELECT city FROM customers WHERE id <= 2 ORDER BY id")],
        )
        stmt = await conn.prepare("SELECT array_agg(vip ORDER BY id) AS vips FROM customers WHERE id <= $1")
        check(
            "array column type",
            [(a.type.oid, a.type.name, a.type.kind) for a in stmt.get_attributes()],
            [(1000, "bool[]", "array")],
        )
        vips = [r["vip"] for r in await conn.fetch("SELECT vip FROM customers WHERE id <= 4 ORDER BY id")]
        check("bool[] result", await stmt.fetchval(4), vips)
        check(
            "array parameter",
            await conn.fetchval("SELECT count(*) FROM customers WHERE id = ANY($1::int8[])", [1, 3, 99999]),
            2,
        )
        check(
            "unnest of a parameter",
            [tuple(r) for r in await conn.fetch("SELECT unnest($1::int8[]) AS n, generate_subscripts($1::int8[], 1) AS i", [7, 8])],
            [(7, 1), (8, 2)],
        )
        await conn.set_type_codec(
            "json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        check("json codec", await conn.fetchval("""SELECT '{"a": [1, 2]}'::json"""), {"a": [1, 2]})

        check("settings", await conn.fetchval("SHOW transaction_isolation"), "repeatable read")
        await conn.execute("SET application_name = 'asyncpg-suite'")
        check("SET", await conn.fetchval("SHOW application_name"), "asyncpg-suite")
    finally:
        await conn.close()
    print("asyncpg suite passed")


asyncio.run(main())
