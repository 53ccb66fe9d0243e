"""SQLAlchemy 2 reflection and a Core select over psycopg 3, for
tests/catalog_sqlalchemy.rs. Prints a stable text form of what inspect()
sees; the Rust test compares it with the same script run on PostgreSQL.

Usage: python3 sqlalchemy_inspect.py URL
"""
import sys

from sqlalchemy import MetaData, Table, create_engine, inspect, select

# hstore lookup runs under a SAVEPOINT, which the catalog suite does not
# depend on (session commands are tested elsewhere).
engine = create_engine(sys.argv[1], use_native_hstore=False)
insp = inspect(engine)
print("tables", insp.get_table_names())
print("views", insp.get_view_names())
for table in sorted(insp.get_table_names()):
    for column in insp.get_columns(table):
        print("column", table, column["name"], column["type"], column["nullable"], column["default"])
    print("pk", table, insp.get_pk_constraint(table))
    for fk in insp.get_foreign_keys(table):
        fk.pop("options", None)
        print("fk", table, sorted(fk.items()))
    for index in sorted(insp.get_indexes(table), key=lambda i: i["name"]):
        print("index", table, index["name"], index["column_names"], index["unique"])
    for unique in insp.get_unique_constraints(table):
        print("unique", table, unique["name"], unique["column_names"])

metadata = MetaData()
books = Table("books", metadata, autoload_with=engine)
authors = Table("authors", metadata, autoload_with=engine)
query = (
    select(books.c.title, authors.c.name, books.c.copies)
    .join_from(books, authors, books.c.author_id == authors.c.id)
    .where(books.c.copies >= 1)
    .order_by(books.c.id)
)
with engine.connect() as conn:
    result = conn.execute(query)
    # The types the driver was told (Postgres OIDs), not only the values.
    print("types", [d.type_code for d in result.cursor.description])
    for row in result:
        print("row", tuple(row))
    big = Table("big", metadata, autoload_with=engine)
    print("count", conn.execute(select(big.c.n).where(big.c.n <= 10)).all()[-1])
