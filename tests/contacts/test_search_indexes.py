"""The search of Alert Contacts (rule C1) has trigram indexes on PostgreSQL, on the very expressions
its query uses, and none on SQLite (contacts/migrations/0009_principal_search_trigram_indexes.py)."""

import importlib
import re

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from contacts.models import Principal
from contacts.views import search_matches

migration = importlib.import_module("contacts.migrations.0009_principal_search_trigram_indexes")
INDEXES = {f"contacts_principal_{column}_trgm": column for column in ("name", "display_name", "phone", "email")}
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes: PostgreSQL only")


def trigram_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts_principal'")
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts_principal'"
            )
        return {name: definition for name, definition in cursor.fetchall() if name.endswith("_trgm")}


def search_plan(term: str) -> str:
    """EXPLAIN of the tab's search condition, with sequential and plain index scans off: what is
    left is a bitmap scan of indexes whose expressions are the query's (or a disabled scan)."""
    sql, params = Principal.objects.filter(search_matches(term)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgresql_only
def test_C1_migration_creates_a_trigram_index_per_searched_column(db):
    found = trigram_indexes()
    assert set(found) == set(INDEXES)
    for name, column in INDEXES.items():
        assert f"USING gin (upper(({column})::text) gin_trgm_ops)" in found[name], found[name]


@postgresql_only
def test_C1_search_query_uses_the_four_indexes(db):
    plan = search_plan("alice")
    for name in INDEXES:
        assert f"Bitmap Index Scan on {name}" in plan, plan


@postgresql_only
def test_C1_search_finds_the_same_principals_with_and_without_the_indexes(demo, sign_in):
    """The indexes change how the search finds principals, never which (C1)."""
    from contacts.services import contact_update

    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    ws = demo["workspaces"]["demo_workspace"]
    client = sign_in("dw-admin")
    url = reverse("contacts:ram_users", args=[ws.pk])
    terms = ["alice", "ALI", "Wang", "13912345678", "+86 139 1234", "EXAMPLE.COM", "o", "zz-none"]
    with_indexes = {term: client.get(url, {"q": term}).content.decode() for term in terms}
    with connection.schema_editor() as editor:
        migration.indexes_drop(apps, editor)
    for term in terms:
        html = client.get(url, {"q": term}).content.decode()
        assert rows(html) == rows(with_indexes[term]), term
    assert rows(with_indexes["13912345678"]) == ["alice"]


def rows(html):
    return re.findall(r'<tr data-principal="([^"]+)"', html)


@postgresql_only
def test_C1_migration_reverse_drops_the_indexes_and_forward_makes_them_again(db):
    with connection.schema_editor() as editor:
        migration.indexes_drop(apps, editor)
    assert trigram_indexes() == {}
    assert "Bitmap Index Scan" not in search_plan("alice")  # what the plan test would see without them
    with connection.schema_editor() as editor:
        migration.indexes_create(apps, editor)
        migration.indexes_create(apps, editor)  # again: nothing to do, no error
    assert set(trigram_indexes()) == set(INDEXES)


def as_unprivileged_role(cursor):
    """The rest of the test's transaction as a new role that may not CREATE in the database (rolled
    back with the test); skipped unless the tests run as a superuser, who alone may do this."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cursor.fetchone()[0]:
        pytest.skip("needs a superuser to create and become another role")
    cursor.execute("CREATE ROLE alert_contacts_migrator NOSUPERUSER")
    cursor.execute(
        "REVOKE CREATE ON DATABASE " + connection.ops.quote_name(connection.settings_dict["NAME"]) + " FROM PUBLIC"
    )
    cursor.execute("SET LOCAL ROLE alert_contacts_migrator")


@postgresql_only
def test_C1_migration_uses_the_extension_an_administrator_created(db):
    """pg_trgm already there (created by an administrator): a role that may not create it migrates."""
    with connection.cursor() as cursor:
        as_unprivileged_role(cursor)
        migration.extension_create(connection.schema_editor())  # nothing to create, no error


@postgresql_only
def test_C1_migration_without_the_extension_says_who_must_create_it(db):
    with connection.cursor() as cursor:
        cursor.execute("DROP EXTENSION pg_trgm CASCADE")  # and the indexes; rolled back with the test
        as_unprivileged_role(cursor)
    with pytest.raises(RuntimeError, match="Ask an administrator to run CREATE EXTENSION pg_trgm;"):
        migration.extension_create(connection.schema_editor())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite side of the migration")
def test_C1_migration_does_nothing_on_sqlite(db):
    editor = connection.schema_editor()  # not entered: the migration must not use it on SQLite
    migration.indexes_create(apps, editor)
    migration.indexes_drop(apps, editor)
    assert trigram_indexes() == {}
