"""Idempotency keys belong to one workspace (rules I1)."""

import json

from alerts.api_tokens import api_token_create
from alerts.models import Alert

BODY = {"title": "Disk full", "recipients": ["carol"], "channels": ["email"]}  # carol is in both workspaces


def post(client, raw, key):
    return client.post(
        "/api/v1/alerts",
        data=json.dumps(BODY),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": key},
    )


def test_I1_same_idempotency_key_in_two_workspaces_makes_two_alerts(client, demo):
    """I1: a key is unique within one workspace: the same key sent to two workspaces makes one alert
    in each, each answer names its own workspace's alert, and a repeat in either returns that one."""
    first_ws, second_ws = demo["workspaces"]["demo_workspace"], demo["workspaces"]["analytics_sg"]
    _, first_raw = api_token_create(workspace=first_ws, name="monitoring")
    _, second_raw = api_token_create(workspace=second_ws, name="monitoring")
    first = post(client, first_raw, "nightly-42")
    second = post(client, second_raw, "nightly-42")
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] != second.json()["id"]
    assert Alert.objects.get(pk=first.json()["id"]).workspace == first_ws
    assert Alert.objects.get(pk=second.json()["id"]).workspace == second_ws
    assert post(client, first_raw, "nightly-42").json()["id"] == first.json()["id"]
    assert post(client, second_raw, "nightly-42").json()["id"] == second.json()["id"]
    assert Alert.objects.filter(idempotency_key="nightly-42").count() == 2


def test_I1_same_idempotency_key_in_one_workspace_makes_one_alert(client, demo):
    """I1: two tokens of one workspace share its keys: the second post returns the first alert."""
    ws = demo["workspaces"]["demo_workspace"]
    _, one = api_token_create(workspace=ws, name="prometheus")
    _, other = api_token_create(workspace=ws, name="cron")
    first = post(client, one, "nightly-42")
    assert post(client, other, "nightly-42").json()["id"] == first.json()["id"]
    assert Alert.objects.filter(workspace=ws).count() == 1
