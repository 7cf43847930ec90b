"""The indexes of sending (D8): the claim reads only deliveries ready to send, and a finished
delivery costs the claim's index nothing (PostgreSQL plans; SQLite has the same index)."""

import pytest
from django.db import connection
from django.utils import timezone

from alerts.dispatch import _claim_sql, deliveries_claim
from alerts.models import Alert, Delivery

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans: PostgreSQL only")


def plan(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table would be read whole otherwise
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_D8_the_claim_reads_the_index_of_deliveries_ready_to_send_and_never_the_whole_table(demo):
    """In a storm, the claim picks from `delivery_due` and leases what it picked by primary key
    (seen: as `id IN (SELECT …)`, 20,000 due deliveries were planned as a hash join against a scan
    of the whole table, for every batch)."""
    ws = demo["workspaces"]["demo_workspace"]
    alert = Alert.objects.create(workspace=ws, title="storm")
    now = timezone.now()
    Delivery.objects.bulk_create(
        [
            Delivery(alert=alert, channel="email", address=f"u{n}@example.com", next_attempt_at=now)
            for n in range(20000)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Delivery._meta.db_table)}")
        cursor.execute("EXPLAIN " + _claim_sql(), ["w", now, Delivery.Status.READY_TO_SEND, now, now, 500])
        found = "\n".join(row[0] for row in cursor.fetchall())
    assert "delivery_due" in found and "alerts_delivery_pkey" in found, found
    assert "Seq Scan" not in found, found
    assert len(deliveries_claim(worker="w", limit=10)) == 10


@pytest.mark.django_db
def test_D8_only_deliveries_ready_to_send_are_in_the_claims_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'delivery_due'")
        (definition,) = cursor.fetchone()
    assert "WHERE" in definition and "READY_TO_SEND" in definition


@pytest.mark.django_db
def test_D8_a_receipt_finds_its_delivery_by_the_providers_id_through_an_index():
    sql, params = Delivery.objects.filter(channel="sms", provider_message_id="biz-1").query.sql_with_params()
    assert "delivery_provider_id" in plan(sql, params)
