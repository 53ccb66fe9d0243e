"""psycopg 3 against graftgres (the demo volume): text and binary results,
parameters of many types, server-side cursors, COPY TO, savepoints, and
errors that leave the session usable. Run by tests/e2e_drivers.rs with
GG_DSN set; exits non-zero on the first failed check."""

import datetime
import decimal
import os

import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus

from checks import check

DSN = os.environ["GG_DSN"]


def main():
    with psycopg.connect(DSN, autocommit=True) as conn:
        # Text and binary results of the types the demo holds.
        sql = (
            "SELECT id, name, signup_date, vip FROM customers WHERE id = 1"
        )
        text_row = conn.execute(sql).fetchone()
        with conn.cursor(binary=True) as cur:
            binary_row = cur.execute(sql).fetchone()
        check("text row", text_row[0:2], (1, "Customer 1"))
        check("binary row equals text row", binary_row, text_row)
        check("date type", type(text_row[2]), datetime.date)
        check("bool type", type(text_row[3]), bool)
        total = conn.execute("SELECT total FROM orders WHERE id = 1").fetchone()[0]
        check("numeric type", type(total), decimal.Decimal)
        at = conn.execute("SELECT ordered_at FROM orders WHERE id = 1").fetchone()[0]
        check("timestamp type", type(at), datetime.datetime)

        # Binary results of the other types (numeric, timestamp, float,
        # NULL) decode to what text results do.
        for sql in (
            "SELECT id, total, ordered_at, status FROM orders WHERE id = 1",
            "SELECT order_id, quantity, unit_price FROM order_items ORDER BY 1, 2 LIMIT 3",
            "SELECT NULL::int8 AS a, NULL::text AS b, 1.5::float8 AS c, 2.25::numeric AS d",
        ):
            with conn.cursor(binary=True) as cur:
                binary_rows = cur.execute(sql).fetchall()
            check(f"binary = text: {sql}", binary_rows, conn.execute(sql).fetchall())

        # Arrays: array_agg results and list parameters, text and binary;
        # set-returning functions in a select list.
        for binary in (False, True):
            with conn.cursor(binary=binary) as cur:
                row = cur.execute(
                    "SELECT array_agg(id ORDER BY id), array_agg(name ORDER BY id), "
                    "array_agg(id > 1 ORDER BY id) FROM customers WHERE id <= 3"
                ).fetchone()
                check(
                    f"array results binary={binary}",
                    row,
                    ([1, 2, 3], ["Customer 1", "Customer 2", "Customer 3"], [False, True, True]),
                )
                n = cur.execute(
                    "SELECT count(*) FROM customers WHERE id = ANY(%s)", ([2, 4, 99999],)
                ).fetchone()[0]
                check(f"list parameter binary={binary}", n, 2)
                rows = cur.execute(
                    "SELECT unnest(%s::text[]) AS tag, generate_subscripts(%s::text[], 1) AS i",
                    (["a", "b c"], ["a", "b c"]),
                ).fetchall()
                check(f"unnest binary={binary}", rows, [("a", 1), ("b c", 2)])

        # Parameters of many types, in text and binary.
        for binary in (False, True):
            with conn.cursor(binary=binary) as cur:
                row = cur.execute(
                    "SELECT %s::int8, %s::text, %s::float8, %s::bool, %s::numeric, %s::bytea",
                    (42, "héllo", 1.5, True, decimal.Decimal("12.34"), b"\x00\x01"),
                ).fetchone()
                check(
                    f"parameters binary={binary}",
                    row,
                    (42, "héllo", 1.5, True, decimal.Decimal("12.34"), b"\x00\x01"),
                )
                n = cur.execute(
                    "SELECT count(*) FROM customers WHERE id <= %s AND name LIKE %s",
                    (10, "Customer%"),
                ).fetchone()[0]
                check(f"where parameters binary={binary}", n, 10)
                got = cur.execute(
                    "SELECT id FROM orders WHERE ordered_at >= %s ORDER BY id LIMIT 1",
                    (datetime.datetime(2000, 1, 1),),
                ).fetchone()
                check(f"timestamp parameter binary={binary}", got is not None, True)

        # Prepared statements (psycopg prepares after 5 executions).
        for i in range(8):
            got = conn.execute(
                "SELECT name FROM customers WHERE id = %s", (i + 1,), prepare=i >= 2
            ).fetchone()[0]
            check(f"prepared #{i}", got, f"Customer {i + 1}")

        # Errors keep the session usable.
        try:
            conn.execute("SELECT nope FROM customers")
            check("undefined column raises", False, True)
        except errors.UndefinedColumn:
            print("ok undefined column is 42703")
        try:
            conn.execute("INSERT INTO customers (id) VALUES (0)")
            check("write raises", False, True)
        except errors.ReadOnlySqlTransaction:
            print("ok write is 25006")
        check("after errors", conn.execute("SELECT 1").fetchone()[0], 1)

        # COPY TO through cursor.copy(), text rows and binary.
        with conn.cursor() as cur:
            with cur.copy(
                "COPY (SELECT id, name FROM customers ORDER BY id LIMIT 3) TO STDOUT"
            ) as copy:
                rows = list(copy.rows())
            check("copy rows", rows, [("1", "Customer 1"), ("2", "Customer 2"), ("3", "Customer 3")])
            with cur.copy(
                "COPY (SELECT id, name FROM customers ORDER BY id LIMIT 2) TO STDOUT (FORMAT csv, HEADER)"
            ) as copy:
                data = b"".join(bytes(chunk) for chunk in copy)
            check("copy csv", data, b"id,name\n1,Customer 1\n2,Customer 2\n")
            with cur.copy(
                "COPY (SELECT id, name FROM customers ORDER BY id LIMIT 2) TO STDOUT (FORMAT binary)"
            ) as copy:
                copy.set_types(["int8", "text"])
                rows = list(copy.rows())
            check("copy binary", rows, [(1, "Customer 1"), (2, "Customer 2")])
            with cur.copy(
                "COPY (SELECT id FROM customers WHERE id < 0) TO STDOUT (FORMAT binary)"
            ) as copy:
                copy.set_types(["int8"])
                rows = list(copy.rows())
            check("copy binary, no rows", rows, [])
            with cur.copy("COPY customers TO STDOUT") as copy:
                n = sum(1 for _ in copy.rows())
            count = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
            check("copy table", n, count)

        check("SHOW", conn.execute("SHOW transaction_isolation").fetchone()[0], "repeatable read")

    # A transaction (psycopg's default): server-side cursors and savepoints.
    with psycopg.connect(DSN) as conn:
        count = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        for binary in (False, True):
            with conn.cursor(name=f"orders_{int(binary)}", binary=binary) as cur:
                cur.itersize = 500
                cur.execute("SELECT id, total FROM orders ORDER BY id")
                check(f"named cursor description binary={binary}", [d.name for d in cur.description], ["id", "total"])
                first = cur.fetchmany(3)
                check(f"named cursor fetchmany binary={binary}", [r[0] for r in first], [1, 2, 3])
                # Another query while the cursor is open.
                conn.execute("SELECT count(*) FROM customers").fetchone()
                n = 3 + sum(1 for _ in cur)
                check(f"named cursor iterates all binary={binary}", n, count)
        conn.commit()

        with psycopg.ClientCursor(conn) as cur:
            cur.execute("SELECT %s, %s", (1, "it's"))
            check("client-side binding", cur.fetchone(), (1, "it's"))
        conn.commit()

        with conn.transaction():
            try:
                with conn.transaction():
                    conn.execute("SELECT nope")
            except errors.UndefinedColumn:
                pass
            check("status after ROLLBACK TO", conn.info.transaction_status, TransactionStatus.INTRANS)
            check("after savepoint rollback", conn.execute("SELECT 2").fetchone()[0], 2)
        check("status after commit", conn.info.transaction_status, TransactionStatus.IDLE)

        try:
            conn.execute("SELECT 1/0 FROM nowhere")
        except errors.UndefinedTable:
            print("ok error in transaction")
        check("status aborted", conn.info.transaction_status, TransactionStatus.INERROR)
        conn.rollback()
        check("usable after rollback", conn.execute("SELECT 3").fetchone()[0], 3)
    print("psycopg suite passed")


main()
