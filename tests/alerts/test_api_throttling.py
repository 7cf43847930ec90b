"""Bearer-token failures on /api/ are rate-limited per client address (I1): after
API_AUTH_FAILURE_LIMIT failures in the window every request from that address answers a JSON 429
with Retry-After, a valid token included, until the window passes."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.api_tokens import api_token_create
from throttling.models import ApiAuthFailure

BODY = {"title": "Disk full", "recipients": ["alice"], "channels": ["email"]}


@pytest.fixture
def raw(ws):
    return api_token_create(workspace=ws, name="monitoring")[1]


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.API_AUTH_FAILURE_LIMIT = 3
    settings.API_AUTH_FAILURE_WINDOW_SECONDS = 300


def post(client, token, **extra):
    return client.post(
        "/api/v1/alerts",
        data=json.dumps(BODY),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
        **extra,
    )


def fail(client, times, **extra):
    return [post(client, "ac_not-a-token", **extra).status_code for _ in range(times)]


def test_I1_after_the_limit_even_a_valid_token_gets_a_json_429_with_retry_after(client, raw):
    assert fail(client, 3) == [401, 401, 401]
    response = post(client, raw)
    assert response.status_code == 429 and response["Content-Type"] == "application/json"
    assert 295 <= int(response["Retry-After"]) <= 300
    body = response.json()
    assert "too many failed token checks" in body["error"] and body["retry_after_seconds"] == int(
        response["Retry-After"]
    )
    assert client.get("/api/v1/alerts/1", headers={"Authorization": f"Bearer {raw}"}).status_code == 429
    assert client.post("/api/v1/alertmanager", data="{}", content_type="application/json").status_code == 429


def test_I1_once_the_window_has_passed_a_valid_token_is_accepted_again(client, raw):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, 3)
    with time_machine.travel(start + timedelta(seconds=299), tick=False):
        response = post(client, raw)
        assert response.status_code == 429 and response["Retry-After"] == "1"
    with time_machine.travel(start + timedelta(seconds=301), tick=False):
        assert post(client, raw).status_code == 202
        assert fail(client, 1) == [401]  # a new window: counted from one
        assert ApiAuthFailure.objects.get().failures == 1


def test_I1_other_addresses_are_not_limited(client, raw):
    fail(client, 3)
    assert post(Client(REMOTE_ADDR="203.0.113.9"), raw).status_code == 202


def test_I1_missing_tokens_count_as_failures_and_valid_ones_do_not(client, raw):
    for _ in range(5):
        assert post(client, raw).status_code == 202
    assert not ApiAuthFailure.objects.exists()
    assert [
        client.post("/api/v1/alerts", data="{}", content_type="application/json").status_code for _ in range(4)
    ] == [401, 401, 401, 429]


def test_I1_a_valid_token_costs_one_extra_cheap_query(client, raw):
    with CaptureQueriesContext(connection) as queries:
        assert post(client, raw).status_code == 202
    throttle = [q["sql"] for q in queries.captured_queries if "throttling_apiauthfailure" in q["sql"]]
    assert len(throttle) == 1 and throttle[0].lstrip().upper().startswith("SELECT")


def test_I1_behind_configured_proxies_failures_count_against_the_forwarded_address(client, raw, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    fail(client, 3, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert ApiAuthFailure.objects.get().ip_address == "198.51.100.7"
    assert post(client, raw, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert post(client, raw, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 202
    settings.TRUSTED_PROXY_COUNT = 0  # by default the header is the client's word: ignored
    assert post(client, raw, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 202
