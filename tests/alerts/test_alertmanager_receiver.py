"""The Prometheus Alertmanager receiver (rules I2): tokens, answers, what is stored."""

import json

import pytest
from django.urls import reverse

from alerts.api_tokens import api_token_create
from alerts.dispatch import deliveries_process
from alerts.models import Alert, ApiToken

GROUP = {
    "version": "4",
    "groupKey": '{}:{alertname="HighLatency"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "dataworks",
    "groupLabels": {"alertname": "HighLatency"},
    "commonLabels": {"alertname": "HighLatency", "severity": "critical"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighLatency", "severity": "critical", "instance": "api-1"},
            "annotations": {"summary": "p99 above 2 s", "description": "api-1 p99 latency is 2.4 s"},
            "startsAt": "2026-11-26T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=latency",
            "fingerprint": "a1",
        },
        {
            "status": "resolved",
            "labels": {"alertname": "HighLatency", "severity": "critical", "instance": "api-2"},
            "annotations": {"summary": "p99 above 2 s"},
            "startsAt": "2026-11-26T09:00:00Z",
            "endsAt": "2026-11-26T09:30:00Z",
            "generatorURL": "",
            "fingerprint": "a2",
        },
    ],
}


@pytest.fixture
def receiver(ws):
    return api_token_create(
        workspace=ws,
        name="prometheus",
        kind=ApiToken.Kind.ALERTMANAGER,
        recipients=["alice", "role:OnCallBackup"],
        channels=["email", "sms"],
    )


def post(client, raw, body):
    return client.post(
        "/api/v1/alertmanager",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )


def test_I2_each_firing_alert_becomes_an_alert_to_the_receiver_recipients(client, receiver):
    response = post(client, receiver[1], GROUP)
    assert response.status_code == 202 and response.json()["skipped"] == 1
    (alert,) = Alert.objects.all()
    assert (
        alert.title == "HighLatency: p99 above 2 s" and alert.severity == "critical" and alert.source == "alertmanager"
    )
    assert "instance=api-1" in alert.content and "2.4 s" in alert.content
    deliveries_process()
    assert {(d.recipient_name, d.channel) for d in alert.deliveries.all()} == {
        ("Alice Wang", "email"),
        ("Alice Wang", "sms"),
        ("OnCallBackup", "email"),
        ("OnCallBackup", "sms"),
    }


def test_I2_resolved_notifications_when_configured(client, ws):
    _, raw = api_token_create(
        workspace=ws,
        name="p2",
        kind=ApiToken.Kind.ALERTMANAGER,
        recipients=["alice"],
        channels=["email"],
        send_resolved=True,
    )
    assert post(client, raw, GROUP).json()["skipped"] == 0
    assert sorted(Alert.objects.values_list("title", "resolved")) == [
        ("HighLatency: p99 above 2 s", False),
        ("HighLatency: p99 above 2 s", True),
    ]


def test_I2_an_api_token_is_not_a_receiver_token(client, ws):
    _, raw = api_token_create(workspace=ws, name="api")
    assert post(client, raw, GROUP).status_code == 401


@pytest.mark.parametrize("body", [{**GROUP, "version": "3"}, {**GROUP, "alerts": "nope"}, {**GROUP, "alerts": [1]}])
def test_I2_E1_bad_payload_is_400(client, receiver, body):
    assert post(client, receiver[1], body).status_code == 400
    assert not Alert.objects.exists()


def test_I2_a_recipient_who_left_the_workspace_is_skipped_with_a_warning(client, receiver, ws, sign_in):
    """I2: the remaining recipients still get the alert (202); the skipped one is a warning on the
    alert and in the answer. Alertmanager does not retry a 4xx, so a 400 here would lose it."""
    ws.memberships.filter(principal__name="alice").delete()
    response = post(client, receiver[1], GROUP)
    assert response.status_code == 202
    body = response.json()
    assert len(body["accepted"]) == 1
    assert body["warnings"][0]["code"] == "RECIPIENTS_SKIPPED" and body["warnings"][0]["names"] == ["alice"]
    alert = Alert.objects.get()
    assert alert.warnings == [{"code": "RECIPIENTS_SKIPPED", "names": ["alice"]}]
    assert {d.recipient_name for d in alert.deliveries.filter(role="primary")} == {"OnCallBackup"}
    sign_in("dw-admin")
    page = client.get(reverse("alerts:alert_detail", args=[ws.pk, alert.pk])).content.decode()
    assert "Skipped recipients that are not RAM users or RAM roles of this workspace: alice" in page


def test_I2_E1_a_400_only_when_no_recipient_of_the_receiver_remains(client, receiver, ws):
    """I2/E1: nobody deliverable left is a 400 naming them, and nothing is stored."""
    ws.memberships.filter(principal__name__in=["alice", "OnCallBackup"]).delete()
    response = post(client, receiver[1], GROUP)
    assert response.status_code == 400 and "alice" in response.content.decode()
    assert not Alert.objects.exists()


def test_I2_a_repeated_notification_of_the_same_firing_alert_is_accepted_once(client, receiver):
    assert post(client, receiver[1], GROUP).json()["accepted"]
    again = post(client, receiver[1], GROUP).json()
    assert again["accepted"] == [] and again["skipped"] == 2
    assert Alert.objects.count() == 1
