"""Trigram indexes for the search of Alert Contacts on PostgreSQL (nothing on SQLite).

The search is `icontains` on four columns, which Django writes on PostgreSQL as
`UPPER("col"::text) LIKE UPPER('%term%')`: a substring that no B-tree index can find. A GIN index of
pg_trgm's trigrams on exactly that expression can, one per column (the four are ORed, so the planner
combines the four indexes). The expression of each index has to stay the one of the query; a test
checks it with EXPLAIN (tests/contacts/test_search_indexes.py).

pg_trgm is a trusted extension (PostgreSQL 13 and later): a role that may CREATE in the database
can create it, or an administrator creates it first. SQLite has no such index: it reads every
principal of the account for a search (README, "Big directories").
"""

from django.db import DatabaseError, migrations

COLUMNS = ["name", "display_name", "phone", "email"]


def index_name(column):
    return f"contacts_principal_{column}_trgm"


def extension_create(schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return  # created by an administrator: this role need not be allowed to
        try:
            cursor.execute("CREATE EXTENSION pg_trgm")
        except DatabaseError as error:
            raise RuntimeError(
                "The search indexes of Alert Contacts need the PostgreSQL extension pg_trgm, which this database "
                "role may not create. Ask an administrator to run CREATE EXTENSION pg_trgm; in this database (or "
                f"to grant this role CREATE on it), then migrate again. ({error})"
            ) from error


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    extension_create(schema_editor)
    quote = schema_editor.quote_name
    table = quote(apps.get_model("contacts", "Principal")._meta.db_table)
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(index_name(column))} ON {table} "
            f"USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
        )


def indexes_drop(apps, schema_editor):
    """The indexes go; the extension stays (other objects may use it, and dropping it may need an
    administrator)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index_name(column))}")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0008_providerproblem"),
    ]

    operations = [
        migrations.RunPython(indexes_create, indexes_drop, elidable=False),
    ]
