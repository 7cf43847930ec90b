"""Alert history retention (alerts/retention.py): the workers prune final alerts older than
ALERT_RETENTION_DAYS with their deliveries, in small batches, each its own short transaction."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts import retention
from alerts.models import Alert, Delivery
from alerts.retention import alerts_prune
from alerts.worker import worker_build

S = Delivery.Status


def old_alert(ws, days, *statuses, fallback=False):
    alert = Alert.objects.create(workspace=ws, title=f"{days} days", source="api")
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(days=days))
    previous = None
    for status in statuses:
        previous = Delivery.objects.create(
            alert=alert, channel="sms", status=status, replaces=previous if fallback else None
        )
    return alert


@pytest.fixture
def ws(demo):
    return demo["workspaces"]["demo_workspace"]


def test_old_final_alerts_go_in_batches_with_their_deliveries(ws, settings):
    settings.ALERT_RETENTION_DAYS = 180
    old = [old_alert(ws, 200, S.SEND_FAIL, S.SEND_SUCCESS, fallback=True) for _ in range(5)]
    old += [old_alert(ws, 181, S.SEND_OVERLIMIT), old_alert(ws, 365)]  # an alert without deliveries too
    kept = [
        old_alert(ws, 179, S.SEND_SUCCESS),  # recent
        old_alert(ws, 200, S.SEND_SUCCESS, S.READY_TO_SEND),  # not final
    ]
    others = set(Alert.objects.exclude(pk__in=[a.pk for a in old + kept]).values_list("pk", flat=True))
    batches = []
    while True:
        with CaptureQueriesContext(connection) as queries:
            pruned = alerts_prune(batch_size=3)
        batches.append(pruned)
        assert sum("DELETE" in q["sql"] for q in queries.captured_queries) == (2 if pruned else 0)
        if not pruned:
            break
    assert batches == [3, 3, 1, 0]
    assert set(Alert.objects.values_list("pk", flat=True)) == others | {a.pk for a in kept}
    assert not Delivery.objects.filter(alert_id__in=[a.pk for a in old]).exists()
    assert Delivery.objects.filter(alert__in=kept).count() == 3


def test_0_keeps_everything(ws, settings):
    settings.ALERT_RETENTION_DAYS = 0
    old_alert(ws, 5000, S.SEND_SUCCESS)
    assert alerts_prune() == 0
    assert Alert.objects.filter(title="5000 days").exists()
    worker = worker_build(worker_id="w-keep", interval=0.01, sweep_seconds=3600, directory_seconds=0)
    assert "retention" not in [job.name for job in worker.jobs]


@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_one_batch_per_turn_then_waits_for_its_period(settings, monkeypatch):
    from alerts.demo import demo_load

    settings.ALERT_RETENTION_DAYS = 30
    settings.ALERT_RETENTION_SWEEP_SECONDS = 3600
    monkeypatch.setattr(retention, "RETENTION_BATCH_SIZE", 2)
    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    for _ in range(5):
        old_alert(ws, 31, S.SEND_SUCCESS)
    worker = worker_build(worker_id="w-prune", interval=0.01, sweep_seconds=3600, directory_seconds=0)
    (job,) = [job for job in worker.jobs if job.name == "retention"]
    assert job.seconds == 3600
    job.pause_factor = 0  # no pause between the batches (test_a_backlog_is_pruned_with_a_pause_after_each_batch)
    left = []
    for _ in range(4):
        worker.step()
        left.append(Alert.objects.filter(title="31 days").count())
    assert left == [3, 1, 0, 0]
    old_alert(ws, 31, S.SEND_SUCCESS)
    worker.step()  # done for this period: the next run is ALERT_RETENTION_SWEEP_SECONDS later
    assert Alert.objects.filter(title="31 days").count() == 1
    job.due_at = 0.0
    worker.step()
    assert Alert.objects.filter(title="31 days").count() == 0


def test_a_backlog_is_pruned_with_a_pause_after_each_batch():
    """After a batch that took half a second, the next waits RETENTION_PAUSE_FACTOR times as long;
    once nothing was left, the job waits for its period."""
    from alerts.worker import PeriodicJob

    job = PeriodicJob("retention", 3600, lambda: 0, until_done=True, pause_factor=retention.RETENTION_PAUSE_FACTOR)
    job.schedule(worked=500, started=10.0, ended=10.5)
    assert job.due_at == 10.5 + 0.5 * retention.RETENTION_PAUSE_FACTOR
    job.schedule(worked=0, started=20.0, ended=20.1)
    assert job.due_at == 20.1 + 3600
