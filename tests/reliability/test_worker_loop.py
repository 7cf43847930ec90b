"""The worker survives database errors and sweeps by itself (D8, D7); if its loop dies anyway the
process exits non-zero so that a supervisor sees it."""

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone

from alerts.intake import alert_accept
from alerts.models import Delivery
from alerts.worker import AlertWorker, worker_build

S = Delivery.Status
ROOT = Path(django_settings.BASE_DIR)


def run_in_thread(worker, seconds):
    def target():
        try:
            worker.run()
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + seconds
    return thread, deadline


@pytest.mark.django_db(transaction=True)
def test_D8_a_database_error_is_logged_and_the_worker_goes_on(monkeypatch, caplog, settings):
    """Seen: "database is locked" ended the worker's loop inside a live process; ~10,000 deliveries
    stayed READY_TO_SEND."""
    from alerts.demo import demo_load

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["email"])
    real_step, calls = AlertWorker.step, []

    def step_that_fails_twice(self):
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("database is locked")
        return real_step(self)

    monkeypatch.setattr(AlertWorker, "step", step_that_fails_twice)
    monkeypatch.setattr("alerts.worker.MAX_BACKOFF_SECONDS", 0.01)
    worker = worker_build(worker_id="w1", interval=0.01, sweep_seconds=0)
    thread, deadline = run_in_thread(worker, 20)
    while time.monotonic() < deadline and alert.deliveries.get().status == S.READY_TO_SEND:
        time.sleep(0.05)
    worker.running = False
    thread.join(5)
    assert alert.deliveries.get().status == S.SEND_SUCCESS
    assert "database is locked" in caplog.text and "trying again" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_D8_the_sweep_sends_what_no_task_woke_up_for(settings):
    """A deployment needs no cron line: every DELIVERY_SWEEP_SECONDS the worker sends whatever is
    due, here a delivery whose worker died (lease expired) and for which no task is queued."""
    from django_tasks_db.models import DBTaskResult

    from alerts.demo import demo_load
    from alerts.dispatch import deliveries_claim

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["email"])
    deliveries_claim(worker="died", limit=10)
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    DBTaskResult.objects.all().delete()  # the wake-ups are lost
    worker = worker_build(worker_id="sweeper", interval=0.01, batch=True, sweep_seconds=3600)
    worker.run()  # one sweep at start, then the queue (empty), then exit
    assert alert.deliveries.get().status == S.SEND_SUCCESS


def test_D8_the_worker_process_exits_non_zero_when_its_loop_dies(tmp_path):
    """A worker that cannot go on must not look alive: `run_worker` exits 1 with the cause logged."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WORKER_FAIL_FOR_TEST": "1",
    }
    script = (
        "import django, sys; django.setup();"
        "from alerts import worker;"
        "worker.AlertWorker.step = lambda self: (_ for _ in ()).throw(RuntimeError('bug in the loop'));"
        "from django.core.management import call_command;"
        "call_command('run_worker', '--interval', '0.01')"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "bug in the loop" in done.stderr and "exiting so that the supervisor sees it" in done.stderr
