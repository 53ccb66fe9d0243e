"""psycopg 3 and asyncpg against a graftgres that requires TLS and SCRAM-SHA-256.
Run by tests/e2e_auth.rs with GG_HOST, GG_PORT, GG_DB, GG_USER, GG_PASSWORD
and GG_SSLROOTCERT (the server's self-signed certificate) set; exits non-zero
on the first failed check.

The server refuses plaintext clients, so a session that runs a query is a
TLS one; psycopg also reports it (ssl_in_use)."""

import asyncio
import os
import ssl

import asyncpg
import psycopg

from checks import check

HOST = os.environ["GG_HOST"]
PORT = int(os.environ["GG_PORT"])
DB = os.environ["GG_DB"]
USER = os.environ["GG_USER"]
PASSWORD = os.environ["GG_PASSWORD"]
ROOT_CERT = os.environ["GG_SSLROOTCERT"]


def connect(**extra):
    params = dict(host=HOST, port=PORT, dbname=DB, user=USER, password=PASSWORD)
    params.update(extra)
    return psycopg.connect(**params)


def psycopg_error(**extra):
    try:
        connect(**extra).close()
    except psycopg.OperationalError as err:
        return str(err)
    return "connected"


def psycopg_checks():
    for mode in ("require", "verify-full"):
        with connect(sslmode=mode, sslrootcert=ROOT_CERT) as conn:
            check(f"psycopg sslmode={mode} query", conn.execute("SELECT count(*) FROM t").fetchone(), (4,))
            check(f"psycopg sslmode={mode} ssl_in_use", conn.pgconn.ssl_in_use, True)
    # libpq picks SCRAM-SHA-256-PLUS over TLS; require makes it fail otherwise.
    with connect(sslmode="require", channel_binding="require") as conn:
        check("psycopg channel_binding=require", conn.execute("SELECT 1").fetchone(), (1,))
    wrong = psycopg_error(sslmode="require", password="wrong")
    check(
        "psycopg wrong password",
        f'password authentication failed for user "{USER}"' in wrong,
        True,
    )
    plain = psycopg_error(sslmode="disable")
    check("psycopg sslmode=disable refused", "no pg_hba.conf entry" in plain, True)


async def asyncpg_error(**kwargs):
    try:
        conn = await asyncpg.connect(host=HOST, port=PORT, database=DB, user=USER, **kwargs)
        await conn.close()
    except asyncpg.PostgresError as err:
        return err.sqlstate, str(err)
    return "connected", ""


async def asyncpg_checks():
    verifying = ssl.create_default_context(cafile=ROOT_CERT)
    for label, mode in (("require", "require"), ("verifying context", verifying)):
        conn = await asyncpg.connect(
            host=HOST, port=PORT, database=DB, user=USER, password=PASSWORD, ssl=mode
        )
        try:
            check(f"asyncpg ssl={label} fetchval", await conn.fetchval("SELECT count(*) FROM t"), 4)
            check(
                f"asyncpg ssl={label} parameters",
                await conn.fetchval("SELECT $1::int + 1", 41),
                42,
            )
        finally:
            await conn.close()
    code, message = await asyncpg_error(password="wrong", ssl="require")
    check("asyncpg wrong password sqlstate", code, "28P01")
    check(
        "asyncpg wrong password message",
        message,
        f'password authentication failed for user "{USER}"',
    )
    code, _ = await asyncpg_error(password=PASSWORD, ssl=False)
    check("asyncpg plaintext refused sqlstate", code, "28000")


def main():
    psycopg_checks()
    asyncio.run(asyncpg_checks())
    print("tls auth suite passed")


if __name__ == "__main__":
    main()
