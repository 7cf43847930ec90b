"""/healthz and /readyz for load balancers and supervisors, and the workers' heartbeat
(alerts/health.py, alerts/worker.py; README: Deploying)."""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, close_old_connections, connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from alerts import health
from alerts.models import WorkerHeartbeat
from alerts.worker import worker_build
from contacts.provider_problems import provider_problem_record


@pytest.fixture(autouse=True)
def _migrations_checked_again(monkeypatch):
    """Each test reads the migrations afresh (a process remembers once they are all applied)."""
    monkeypatch.setattr(health, "_migrations_applied", False)


def beat(worker_id, seconds_ago=0):
    seen = timezone.now() - timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(worker_id=worker_id, started_at=seen, seen_at=seen)


def test_healthz_answers_without_the_database(client):
    """No database access is allowed in this test: /healthz must not need one."""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_wants_a_worker(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready" and response.json()["reason"] == "no_worker"


@pytest.mark.django_db
def test_readyz_a_stale_worker_is_not_seen(client, settings):
    settings.WORKER_SEEN_SECONDS = 60
    beat("gone", seconds_ago=61)
    assert client.get("/readyz").json()["reason"] == "no_worker"


@pytest.mark.django_db
def test_readyz_ready_with_a_fresh_worker(client, settings):
    settings.WORKER_SEEN_SECONDS = 60
    beat("gone", seconds_ago=600)
    beat("fresh", seconds_ago=5)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ready"}


@pytest.mark.django_db
def test_readyz_migrations_pending(client):
    beat("fresh")
    newest = MigrationRecorder.Migration.objects.filter(app="alerts").order_by("-name").first()
    newest.delete()  # the newest migration of an app is not applied
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["reason"] == "migrations_pending"


@pytest.mark.django_db
def test_readyz_database_down_in_process(client, monkeypatch):
    def refused(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refused)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "reason": "database_unreachable", "detail": "OperationalError"}


def test_readyz_database_down_for_real_while_healthz_answers(tmp_path):
    """A process whose PostgreSQL does not answer: /readyz 503 with the reason, /healthz 200."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client; c = Client();"
        "r, h = c.get('/readyz'), c.get('/healthz');"
        "print(json.dumps([r.status_code, r.json(), h.status_code]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere",
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY_FILE=str(tmp_path / "key"),
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    status, body, healthz = json.loads(done.stdout.strip().splitlines()[-1])
    assert (status, body["reason"], healthz) == (503, "database_unreachable", 200)
    assert "nowhere" not in done.stdout  # no connection details in the answer


@pytest.mark.django_db
def test_readyz_ignores_provider_problems_that_health_reports(client):
    """A provider problem is the operator's set-up: /health says so (503), but /readyz must not,
    or a load balancer would take every web process out and stop the API and the console too."""
    beat("fresh")
    provider_problem_record(channel="sms", provider="aliyun", code="isv.AMOUNT_NOT_ENOUGH", message="balance")
    assert client.get("/health").status_code == 503
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_heartbeat_at_most_every_few_seconds_not_per_turn(monkeypatch):
    monkeypatch.setattr("alerts.worker.close_old_connections", lambda: None)  # inside the test's transaction
    worker = worker_build(worker_id="w-beat", interval=0.01, sweep_seconds=3600, directory_seconds=0)
    worker.step()
    first = WorkerHeartbeat.objects.get(worker_id="w-beat").seen_at
    worker.step()
    worker.step()
    assert WorkerHeartbeat.objects.get(worker_id="w-beat").seen_at == first
    (job,) = [job for job in worker.jobs if job.name == "heartbeat"]
    assert job.seconds == health.HEARTBEAT_SECONDS <= 15
    job.due_at = 0.0  # HEARTBEAT_SECONDS later
    worker.step()
    assert WorkerHeartbeat.objects.get(worker_id="w-beat").seen_at > first


@pytest.mark.django_db
def test_a_worker_gone_for_a_day_is_forgotten():
    beat("crashed-long-ago", seconds_ago=2 * 86400)
    beat("crashed-recently", seconds_ago=3600)
    health.heartbeat_record(worker_id="alive")
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {"alive", "crashed-recently"}


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_loop_writes_its_heartbeat_and_readyz_follows(client):
    worker = worker_build(worker_id="w-loop", interval=0.01, sweep_seconds=3600, directory_seconds=0)

    def target():
        try:
            worker.run()
        finally:
            close_old_connections()
            connection.close()

    assert client.get("/readyz").status_code == 503
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not WorkerHeartbeat.objects.filter(worker_id="w-loop").exists():
        time.sleep(0.05)
    try:
        assert client.get("/readyz").status_code == 200
    finally:
        worker.running = False
        thread.join(10)
    assert not thread.is_alive()
    # It stopped: no longer seen, at once (a crashed one after WORKER_SEEN_SECONDS).
    assert not WorkerHeartbeat.objects.filter(worker_id="w-loop").exists()
    assert client.get("/readyz").json()["reason"] == "no_worker"


def test_a_worker_busy_with_a_storm_is_still_seen_between_batches(demo, settings, monkeypatch):
    """One deliver_due task sends everything that is due; in a storm that takes minutes. The
    worker beats between its batches, so /readyz does not take the web processes out meanwhile."""
    from alerts.intake import alert_accept
    from alerts.tasks import deliver_due
    from contacts.models import ContactMethod, Principal

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    settings.DELIVERY_BATCH_SIZE = 1
    ws = demo["workspaces"]["demo_workspace"]
    alice = Principal.objects.get(account=ws.account, name="alice")
    ContactMethod.objects.update_or_create(principal=alice, channel="email", defaults={"status": "activated"})
    Principal.objects.filter(pk=alice.pk).update(email="alice@example.com")
    alert_accept(workspace=ws, title="storm", recipients=["alice"], channels=["email"])
    alert_accept(workspace=ws, title="storm 2", recipients=["alice"], channels=["email"])
    beats = []
    monkeypatch.setattr(health, "heartbeat_record", lambda *, worker_id: beats.append(worker_id))
    monkeypatch.setattr(health, "HEARTBEAT_SECONDS", 0)
    health.this_process_worker_set("w-storm")
    try:
        assert deliver_due.call() == 2
    finally:
        health.this_process_worker_set(None)
    assert beats == ["w-storm", "w-storm"]  # after each of the two batches
    health.worker_alive()  # a process that is no worker never beats
    assert beats == ["w-storm", "w-storm"]
