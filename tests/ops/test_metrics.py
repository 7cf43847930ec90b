"""/metrics: the Prometheus text format, behind METRICS_TOKEN, computed from the database at each
scrape so that every web process gives the same answer (alerts/metrics.py)."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from alerts.models import Alert, Delivery, WorkerHeartbeat
from contacts.models import ProviderProblem
from contacts.provider_problems import provider_problem_record

S = Delivery.Status
TOKEN = "a-long-random-metrics-token-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.mark.django_db
def test_metrics_are_off_without_a_token_setting(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics?token=").status_code == 404


@pytest.mark.django_db
def test_metrics_want_the_token(client, token):
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert b"alert_contacts" not in refused.content
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics?token=" + TOKEN[:-1]).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Basic " + TOKEN}).status_code == 401
    assert client.get("/metrics?token=" + TOKEN).status_code == 200
    assert client.get("/metrics", headers={"Authorization": "bearer " + TOKEN}).status_code == 200


def delivery(alert, channel, status, *, attempts=1, replaces=None, due_in=0):
    return Delivery.objects.create(
        alert=alert,
        channel=channel,
        status=status,
        attempts=attempts,
        replaces=replaces,
        next_attempt_at=timezone.now() + timedelta(seconds=due_in),
    )


def test_metrics_match_the_rows(client, demo, token):
    ws = demo["workspaces"]["demo_workspace"]
    api = Alert.objects.create(workspace=ws, title="a", source="api")
    am = Alert.objects.create(workspace=ws, title="b", source="alertmanager")
    delivery(api, "email", S.SEND_SUCCESS)
    first = delivery(api, "sms", S.SEND_FAIL, attempts=3)
    delivery(api, "voice", S.SEND_SUCCESS, replaces=first, attempts=2)
    delivery(am, "sms", S.SEND_OVERLIMIT, attempts=0)
    waiting = delivery(am, "email", S.READY_TO_SEND)
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=120))
    delivery(am, "webhook", S.READY_TO_SEND, attempts=2, due_in=300)  # a retry later: not due yet
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w1", started_at=now, seen_at=now - timedelta(seconds=3))
    WorkerHeartbeat.objects.create(worker_id="w2", started_at=now, seen_at=now - timedelta(seconds=3600))
    provider_problem_record(channel="sms", provider="aliyun", code="isv.AMOUNT_NOT_ENOUGH", message="balance")

    samples = scrape(client)

    def value(name, **labels):
        return samples[("alert_contacts_" + name, tuple(sorted(labels.items())))]

    counts = Delivery.objects.order_by().values_list("channel", "status").annotate(Count("pk"))
    for channel, status, count in counts:
        assert value("deliveries", channel=channel, status=status) == count
    assert (
        value("deliveries", channel="voice", status="SEND_OVERLIMIT")
        == Delivery.objects.filter(channel="voice", status=S.SEND_OVERLIMIT).count()
    )
    due = Delivery.objects.filter(status=S.READY_TO_SEND, next_attempt_at__lte=timezone.now())
    assert value("queue_depth") == due.count() >= 1
    assert 120 <= value("queue_oldest_age_seconds") < 180
    for channel in ("email", "sms", "voice", "webhook"):
        rows = Delivery.objects.filter(channel=channel)
        assert value("delivery_retries", channel=channel) == sum(max(d.attempts - 1, 0) for d in rows)
        assert value("delivery_fallbacks", channel=channel) == rows.filter(replaces__isnull=False).count()
        assert value("deliveries_over_limit", channel=channel) == rows.filter(status=S.SEND_OVERLIMIT).count()
    assert value("delivery_retries", channel="sms") >= 2 and value("delivery_fallbacks", channel="voice") >= 1
    assert value("deliveries_over_limit", channel="sms") >= 1
    for source, count in Alert.objects.order_by().values_list("source").annotate(Count("pk")):
        assert value("alerts", source=source) == count
    assert 3 <= value("worker_last_seen_seconds", worker="w1") < 60
    assert value("worker_last_seen_seconds", worker="w2") >= 3600
    assert value("workers_seen") == 1
    assert value("provider_problems_open") == ProviderProblem.objects.count() == 1


@pytest.mark.django_db
def test_metrics_of_an_empty_installation(client, token):
    samples = scrape(client)
    assert samples[("alert_contacts_queue_depth", ())] == 0
    assert samples[("alert_contacts_queue_oldest_age_seconds", ())] == 0
    assert samples[("alert_contacts_deliveries", (("channel", "sms"), ("status", "READY_TO_SEND")))] == 0
    assert samples[("alert_contacts_workers_seen", ())] == 0


@pytest.mark.django_db
def test_one_query_per_family(client, token, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        client.get("/metrics?token=" + TOKEN)
