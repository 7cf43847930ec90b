"""The API answers like an API (I1, I2, E1): JSON for every answer, idempotency keys that name one
request, no 500 when identical notifications race."""

import json

import pytest

from alerts.api_tokens import api_token_create
from alerts.models import Alert, ApiToken, Delivery
from tests.concurrency import race_many

from .test_intake_storm import storm

BODY = {"title": "Node etl_daily failed", "recipients": ["alice"], "channels": ["email"]}


@pytest.fixture
def token(ws):
    return api_token_create(workspace=ws, name="monitoring")[1]


def post(client, token, body, path="/api/v1/alerts", **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        path, data=data, content_type="application/json", headers={"Authorization": f"Bearer {token}", **headers}
    )


def test_I1_an_idempotency_key_over_200_characters_is_a_400_not_cut(client, token):
    """Seen: keys were cut to 200 characters, so two different alerts collided."""
    response = post(client, token, BODY, **{"Idempotency-Key": "k" * 201})
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    assert not Alert.objects.exists()
    assert post(client, token, BODY, **{"Idempotency-Key": "k" * 200}).status_code == 202


def test_I1_the_same_key_with_another_body_is_a_422_naming_the_conflict(client, token):
    first = post(client, token, BODY, **{"Idempotency-Key": "etl-1"})
    assert first.status_code == 202
    again = post(client, token, BODY, **{"Idempotency-Key": "etl-1"})
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    other = post(client, token, {**BODY, "title": "Another failure"}, **{"Idempotency-Key": "etl-1"})
    assert other.status_code == 422 and other["Content-Type"] == "application/json"
    assert other.json()["alert"] == first.json()["id"] and "Idempotency-Key" in other.json()["errors"]
    assert Alert.objects.count() == 1


@pytest.mark.parametrize(
    "path, method",
    [
        ("/api/v1/alerts/null%2Cnull", "get"),
        ("/api/v1/nothing-here", "get"),
        ("/api/v1/alerts", "get"),
        ("/api/v1/alerts/1", "delete"),
        ("/api/v1/alerts/1%0A", "get"),  # a path ending in a newline (found by schemathesis)
        ("/api/v1/nothing%0Ahere", "get"),
    ],
)
def test_E1_every_api_answer_is_json_even_404_and_405(client, token, path, method):
    response = getattr(client, method)(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (404, 405)
    assert response["Content-Type"] == "application/json" and response.json()["error"]


def test_E1_an_oversized_alert_body_is_a_json_413(client, token, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = post(client, token, {**BODY, "content": "x" * 2000})
    assert response.status_code == 413 and response.json()["limit_bytes"] == 1000
    assert not Alert.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/alerts", "/api/v1/alertmanager"])
def test_E1_deeply_nested_json_is_a_400_not_a_500(client, ws, token, path):
    receiver = api_token_create(
        workspace=ws, name="am", kind=ApiToken.Kind.ALERTMANAGER, recipients=["alice"], channels=["email"]
    )[1]
    nested = "[" * 100_000 + "]" * 100_000
    response = post(client, receiver if "alertmanager" in path else token, nested, path=path)
    assert response.status_code == 400 and response.json()["errors"]["body"]


def test_I1_the_openapi_document_describes_the_alertmanager_receiver_and_refuses_blank_names(client, db):
    document = client.get("/api/v1/openapi.json").json()
    assert "post" in document["paths"]["/api/v1/alertmanager"]
    names = document["components"]["schemas"]["NewAlert"]["properties"]["recipients"]["items"]
    assert names["minLength"] == 1
    assert "413" in document["paths"]["/api/v1/alerts"]["post"]["responses"]


def test_I1_recipients_with_a_blank_name_are_refused(client, token):
    response = post(client, token, {**BODY, "recipients": [""]})
    assert response.status_code == 400 and "recipients" in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_I2_identical_notifications_racing_get_the_same_alerts_never_a_500():
    """Seen on PostgreSQL: two unclustered Alertmanagers, 16 identical requests, 4 answered 500
    IntegrityError on the idempotency key. The losers must get the existing alerts."""
    from django.test import Client

    from alerts.demo import demo_load

    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    raw = api_token_create(
        workspace=ws, name="am", kind=ApiToken.Kind.ALERTMANAGER, recipients=["alice"], channels=["email"]
    )[1]
    body = json.dumps(storm(20))

    def send(_index):
        response = Client().post(
            "/api/v1/alertmanager",
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {raw}"},
        )
        return response.status_code, len(response.json().get("accepted", []))

    answers = race_many(16, send)
    assert sorted(status for status, _ in answers) == [202] * 16
    assert sum(accepted for _, accepted in answers) == 20
    assert Alert.objects.count() == 20 and Delivery.objects.count() == 20
