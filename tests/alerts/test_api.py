"""The alert API (rules I1, E1) and its OpenAPI document."""

import hashlib
import itertools
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from alerts.api_tokens import api_token_create, api_token_revoke
from alerts.dispatch import deliveries_process
from alerts.models import Alert, ApiToken, Delivery


@pytest.fixture
def token(ws):
    return api_token_create(workspace=ws, name="monitoring")


def post(client, raw, body, **headers):
    return client.post(
        "/api/v1/alerts",
        data=json.dumps(body) if not isinstance(body, (bytes, str)) else body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", **headers},
    )


def test_I1_post_answers_202_with_id_and_get_shows_each_delivery(client, token, settings):
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    _, raw = token
    response = post(
        client,
        raw,
        {
            "rule": "etl",
            "title": "Disk full",
            "content": "95%",
            "severity": "critical",
            "recipients": ["alice", "dave"],
            "channels": ["email"],
        },
    )
    assert response.status_code == 202
    body = response.json()
    alert = Alert.objects.get(pk=body["id"])
    assert body["url"].endswith(f"/api/v1/alerts/{alert.pk}") and alert.source == "api"
    deliveries_process()
    detail = client.get(body["url"], headers={"Authorization": f"Bearer {raw}"})
    assert detail.status_code == 200
    data = detail.json()
    assert data["final"] is True
    by_recipient = {d["recipient"]: d for d in data["deliveries"]}
    assert by_recipient["Alice Wang"]["status"] == "SEND_SUCCESS"
    assert by_recipient["Dave Miller"]["status"] == "SEND_FAIL" and by_recipient["Dave Miller"]["reason"]
    assert by_recipient["OnCallBackup"]["fallback_path"] == [by_recipient["Dave Miller"]["id"]]
    assert {d["language"] for d in data["deliveries"]} == {"en"}


def test_I1_token_is_stored_hashed_and_records_use(client, token):
    obj, raw = token
    assert raw not in str(ApiToken.objects.filter(pk=obj.pk).values().get())
    post(client, raw, {"title": "t", "recipients": ["alice"], "channels": ["email"]})
    obj.refresh_from_db()
    assert obj.last_used_at is not None


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer ac_wrong", "Basic abc", "Bearer " + "x" * 500])
def test_I1_no_or_unknown_token_is_401(client, token, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post("/api/v1/alerts", data="{}", content_type="application/json", headers=headers)
    assert response.status_code == 401 and "WWW-Authenticate" in response
    assert not Alert.objects.exists()


def test_I1_revoked_token_is_401(client, token):
    obj, raw = token
    api_token_revoke(token=obj)
    assert post(client, raw, {"title": "t", "recipients": ["alice"], "channels": ["email"]}).status_code == 401


@pytest.mark.parametrize(
    "body, fields",
    [
        (b"not json", {"body"}),
        ("[1, 2]", {"body"}),
        ({"title": "", "recipients": ["alice"], "channels": ["email"]}, {"title"}),
        ({"title": "t", "recipients": "alice", "channels": ["email"]}, {"recipients"}),
        ({"title": "t", "recipients": ["ghost"], "channels": ["fax"]}, {"recipients", "channels"}),
        ({"title": 5, "recipients": [1], "channels": ["email"]}, {"title", "recipients"}),
        ({"title": "t", "recipients": ["alice"], "channels": ["email"], "extra": 1}, {"body"}),
        ({"title": "x" * 201, "recipients": ["alice"], "channels": ["email"]}, {"title"}),
    ],
)
def test_I1_E1_bad_input_is_400_naming_each_field_and_stores_nothing(client, token, body, fields):
    response = post(client, token[1], body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert not Alert.objects.exists() and not Delivery.objects.exists()


def test_I1_another_workspaces_alert_is_404(client, token, demo):
    other, other_raw = api_token_create(workspace=demo["workspaces"]["analytics_sg"], name="sg")
    alert_id = post(client, token[1], {"title": "t", "recipients": ["alice"], "channels": ["email"]}).json()["id"]
    assert client.get(f"/api/v1/alerts/{alert_id}", headers={"Authorization": f"Bearer {other_raw}"}).status_code == 404
    assert client.get("/api/v1/alerts/999999", headers={"Authorization": f"Bearer {token[1]}"}).status_code == 404


def test_I1_idempotency_key_returns_the_first_alert(client, token):
    body = {"title": "t", "recipients": ["alice"], "channels": ["email"]}
    first = post(client, token[1], body, **{"Idempotency-Key": "run-42"})
    second = post(client, token[1], body, **{"Idempotency-Key": "run-42"})
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"] and Alert.objects.count() == 1
    assert post(client, token[1], body, **{"Idempotency-Key": "run-43"}).json()["id"] != first.json()["id"]


def test_I1_create_api_token_command_prints_the_token_last(ws, capsys, client):
    call_command("create_api_token", "--workspace", "demo_workspace", "--name", "cli")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert raw.startswith("ac_")
    assert post(client, raw, {"title": "t", "recipients": ["alice"], "channels": ["email"]}).status_code == 202


def test_I1_openapi_document(client, db):
    document = client.get(reverse("api:openapi")).json()
    assert document["openapi"].startswith("3.") and "/api/v1/alerts" in document["paths"]


def known_name(name, index):
    valid = isinstance(name, str) and 0 < len(name) <= 200 and name.strip() and "\x00" not in name
    return ["alice", "carol", "role:OnCallBackup"][index % 3] if valid else name


@pytest.mark.django_db(transaction=True)
def test_I1_I2_E1_schemathesis_with_every_check_finds_nothing(live_server, settings):
    """Property-based run of the OpenAPI document against the live test server, with every check
    schemathesis has (no exclusion): no 500, answers as documented, what the schema refuses is
    refused, what it allows is accepted."""
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings

    from alerts.demo import demo_load

    # Negative cases send no or bad tokens on purpose: they must all get 401, not use up the
    # address's allowance of failures (I1) so that valid requests would get 429.
    settings.API_AUTH_FAILURE_LIMIT = 10**9
    demo = demo_load(password="demo")
    ws = demo["workspaces"]["demo_workspace"]
    _, raw = api_token_create(workspace=ws, name="fuzz")
    _, am_raw = api_token_create(
        workspace=ws, name="am", kind=ApiToken.Kind.ALERTMANAGER, recipients=["alice"], channels=["email"]
    )
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    every_check = CHECKS.get_all()
    assert len(every_check) >= 14
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")

    @schema.auth()
    class BearerTokens:
        def get(self, case, context):
            return am_raw if case.operation.path.endswith("/alertmanager") else raw

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    failures = []
    from schemathesis import GenerationMode

    for operation, mode in itertools.product(list(schema.get_all_operations()), GenerationMode):
        op = operation.ok()

        @hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy(generation_mode=mode))
        def run(case):
            # Which names exist is data, not schema: schema-valid names become real recipients.
            if isinstance(case.body, dict) and isinstance(case.body.get("recipients"), list):
                case.body["recipients"] = [known_name(name, i) for i, name in enumerate(case.body["recipients"])]
            # A key names one request (a reused key with another body is rightly a 422): one key per body.
            key = case.headers.get("Idempotency-Key")
            if isinstance(key, str) and key.strip() and len(key) <= 200:
                digest = hashlib.sha256(
                    json.dumps(case.body, sort_keys=True, default=str).encode("utf-8", "surrogatepass")
                )
                case.headers["Idempotency-Key"] = f"{key.strip()[:100]}-{digest.hexdigest()[:16]}"
            try:
                case.call_and_validate(base_url=live_server.url, checks=every_check)
            except Exception as failure:  # noqa: BLE001 - collected, shown below
                failures.append((case.method, case.path, str(failure)[:600]))

        run()
    assert failures == []
