"""One Alertmanager notification of 10,000 alerts (one recipient each, two channels) through the
receiver, against the floor: bulk_create of the same alert and delivery rows alone."""

import json
import time

from django.db import connection
from django.test import Client

from contacts.models import Principal

from .world import World, alerts_clear, principals_grow

STORM = 10_000  # alerts in one Alertmanager notification


def measure(world: World) -> list[dict]:
    principals_grow(world, users=10_000, roles=1_000)  # as the directory measurement leaves it
    result = am_intake(world.workspace)
    alerts_clear()
    return [result]


def alertmanager_storm(count, *, prefix="node"):
    """An Alertmanager group of `count` alerts with ordinary labels and annotations (~300 bytes
    each, as Alertmanager sends for a big group when max_alerts is unset)."""
    alerts = [
        {
            "status": "firing",
            "labels": {
                "alertname": "NodeDiskFull",
                "severity": "warning",
                "instance": f"{prefix}-{i:05}.prod:9100",
                "job": "node",
                "mountpoint": "/var/lib/data",
                "team": "platform",
            },
            "annotations": {
                "summary": f"Disk on {prefix}-{i:05} is 95% full",
                "description": "The filesystem /var/lib/data has less than 5% space left for 10 minutes.",
            },
            "startsAt": "2026-11-27T01:00:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=disk_free",
            "fingerprint": f"{prefix}{i:012x}",
        }
        for i in range(count)
    ]
    return {
        "version": "4",
        "status": "firing",
        "receiver": "dataworks",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am:9093",
        "alerts": alerts,
    }


def am_intake(workspace):
    """One Alertmanager notification of STORM alerts (one recipient, two channels) through the
    receiver, against the floor: bulk_create of the same alert and delivery rows alone."""
    import logging

    from django.test import override_settings

    from alerts.api_tokens import api_token_create
    from alerts.models import Alert, ApiToken, Delivery

    recipient = Principal.objects.filter(account=workspace.account, kind="user").exclude(email="").exclude(phone="")
    name = recipient.order_by("name").values_list("name", flat=True).first()
    _, raw = api_token_create(
        workspace=workspace,
        name="bench-am",
        kind=ApiToken.Kind.ALERTMANAGER,
        recipients=[name],
        channels=["email", "sms"],
    )
    body = json.dumps(alertmanager_storm(STORM)).encode()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("alerts.api")
    logger.addHandler(handler)
    try:
        with override_settings(
            TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
        ):
            start = time.perf_counter()
            response = Client().post(
                "/api/v1/alertmanager",
                data=body,
                content_type="application/json",
                headers={"Authorization": f"Bearer {raw}"},
            )
            seconds = time.perf_counter() - start
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 202 and len(response.json()["accepted"]) == STORM, response.content[:300]
    longest = max((getattr(r, "longest_write_ms", 0) for r in records), default=0)
    template = list(Delivery.objects.filter(alert__source="alertmanager").order_by("pk")[:2])
    start = time.perf_counter()
    alerts = Alert.objects.bulk_create(
        [Alert(workspace=workspace, title=f"floor {i}", source="floor") for i in range(STORM)]
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                alert=a,
                channel=t.channel,
                principal_id=t.principal_id,
                recipient_name=t.recipient_name,
                address=t.address,
                language=t.language,
                next_attempt_at=t.next_attempt_at,
            )
            for a in alerts
            for t in template
        ]
    )
    floor = time.perf_counter() - start
    return {
        "name": "am_intake",
        "alerts": STORM,
        "body_bytes": len(body),
        "seconds": round(seconds, 3),
        "floor_seconds": round(floor, 3),
        "longest_write_ms": round(longest, 1),
        "database": connection.vendor,
    }
