"""Room on each page of the deliveries for their next versions, on PostgreSQL (nothing on SQLite).

A delivery's row is written two or three times while it is sent: the claim, the mark that its
daily-limit unit was taken, the outcome. PostgreSQL writes each new version of a row beside the old
one when the page has room and no indexed column changed (a heap-only tuple: no new index entries);
on a page filled to 100%, the default, every version goes to another page with a new entry in each
index. The unit mark changes no indexed column, so at 80% it costs a heap-only write. Pages written
before this migration keep their fill until they are rewritten.
"""

from django.db import migrations

FILLFACTOR = 80


def fillfactor_set(value):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("alerts", "Delivery")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("alerts", "0010_delivery_partial_indexes")]

    operations = [migrations.RunPython(fillfactor_set(FILLFACTOR), fillfactor_set(100), elidable=False)]
