"""Sending: the queries to accept one alert to 1,000 recipients, then one worker's deliveries per
second through the outbox."""

import time

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext

from contacts.models import ContactMethod, Principal

from .world import World, principals_grow


def measure(world: World) -> list[dict]:
    principals_grow(world, users=10_000, roles=1_000)
    return dispatch_one_alert(world.account, world.workspace)


def dispatch_one_alert(account, workspace):
    """One alert to 1,000 recipients × 2 channels through the outbox: the queries to
    accept it, then the deliveries per second of one worker."""
    import tempfile
    from pathlib import Path

    from django.conf import settings
    from django.test import override_settings

    from alerts.dispatch import deliveries_process
    from alerts.intake import alert_accept

    names = list(
        Principal.objects.filter(account=account, kind="user")
        .exclude(email="")
        .exclude(phone="")
        .order_by("name")
        .values_list("name", flat=True)[:1000]
    )
    ContactMethod.objects.filter(principal__name__in=names).update(status="activated")
    outbox = Path(tempfile.mkdtemp()) / "outbox.jsonl"
    with override_settings(
        MAILERS={"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}},
        MESSAGING_TRANSPORTS={**settings.MESSAGING_TRANSPORTS, "sms": "contacts.messaging.outbox.OutboxTransport"},
        OUTBOX_PATH=outbox,
        OUTBOX_UNDELIVERABLE=[],
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}},
    ):
        reset_queries()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            alert = alert_accept(
                workspace=workspace, title="bench", content="x", recipients=names, channels=["email", "sms"]
            )
        accept_seconds = time.perf_counter() - start
        total = alert.deliveries.count()
        start = time.perf_counter()
        handled = deliveries_process()
        deliver_seconds = time.perf_counter() - start
    sent = alert.deliveries.filter(status="SEND_SUCCESS").count()
    assert handled == total == sent, (handled, total, sent)
    return [
        {
            "name": "dispatch_accept",
            "deliveries": total,
            "queries": len(captured),
            "seconds": round(accept_seconds, 3),
            "database": connection.vendor,
        },
        {
            "name": "dispatch_deliver",
            "deliveries": total,
            "per_second": round(total / deliver_seconds, 1),
            "seconds": round(deliver_seconds, 3),
            "database": connection.vendor,
        },
    ]
