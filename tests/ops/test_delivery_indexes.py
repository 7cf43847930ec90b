"""The indexes of sending (D8): the claim reads only deliveries ready to send, and a finished
delivery costs the claim's index nothing (PostgreSQL plans; SQLite has the same index)."""

import pytest
from django.db import connection
from django.utils import timezone

from alerts.dispatch import deliveries_claim
from alerts.models import Delivery

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans: PostgreSQL only")


def plan(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny test table would be read whole otherwise
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_D8_the_claim_reads_the_index_of_deliveries_ready_to_send():
    due = (
        Delivery.objects.filter(status=Delivery.Status.READY_TO_SEND, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:100]
    )
    sql, params = due.query.sql_with_params()
    assert "delivery_due" in plan(sql, params)
    assert deliveries_claim(worker="w", limit=10) == []


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
