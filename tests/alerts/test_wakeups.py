"""Workers are woken when something falls due (rules D7, D8): at once for an accepted alert and for
each step of the fallback, at its time for a retry, and at lease expiry in case the worker dies.
Sending (alerts.dispatch) asks for these wake-ups; the task queue (alerts.tasks) provides them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alerts.dispatch import RECOVERY_SLACK_SHARE, Wakeups, _recovery_schedule, deliveries_process
from alerts.intake import alert_accept
from alerts.tasks import deliver_due, wake_workers, wake_workers_at

from .conftest import members_add

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_D8_accepting_wakes_a_worker_once_the_alert_is_committed(ws, settings, django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE_QUEUE
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alert_accept(workspace=ws, title="t", recipients=["alice", "carol"], channels=["email", "sms"])
        assert not DBTaskResult.objects.exists()  # nothing before the commit
    assert len(callbacks) == 1
    (task,) = DBTaskResult.objects.ready()  # due now
    assert task.task_path == "alerts.tasks.deliver_due"


def test_D8_the_task_hands_sending_the_queues_wakeups(ws, settings):
    """deliver_due sends what is due, and leaves a task due when its leases expire: if its worker
    dies mid-batch, that task claims the rest again."""
    settings.TASKS = DATABASE_QUEUE
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["email"])
    before = timezone.now()
    assert deliver_due.call() == 1
    assert alert.deliveries.get().is_final
    (recovery,) = DBTaskResult.objects.all()
    lease = timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    slack = lease * RECOVERY_SLACK_SHARE
    assert before + lease < recovery.run_after <= timezone.now() + lease + slack


def test_D8_a_storm_of_batches_asks_for_one_recovery_not_one_per_batch(ws, settings):
    """Seen: every batch stored a wake-up for its lease expiry, 40 for 20,000 deliveries, each a
    task that later ran only to find nothing to send."""
    settings.DELIVERY_BATCH_SIZE = 2
    alert = alert_accept(workspace=ws, title="t", recipients=members_add(ws, 7, "storm"), channels=["email"])
    at = []
    assert deliveries_process(wakeups=Wakeups(now=lambda: None, at=at.append)) == 7  # in four batches
    assert all(d.is_final for d in alert.deliveries.all())
    assert len(at) == 1


def test_D8_a_recovery_covers_the_batches_claimed_within_its_slack_and_no_later_ones(settings):
    settings.DELIVERY_LEASE_SECONDS = 120
    at = []
    wakeups = Wakeups(now=lambda: None, at=at.append)
    start = timezone.now()
    first = _recovery_schedule(wakeups, None, start)
    assert first == start + timedelta(seconds=132)  # the lease, then a tenth of it
    assert _recovery_schedule(wakeups, first, start + timedelta(seconds=12)) == first  # expires at 132: covered
    later = _recovery_schedule(wakeups, first, start + timedelta(seconds=13))  # would expire at 133
    assert later == start + timedelta(seconds=145) and at == [first, later]


def test_D7_a_wakeup_at_a_moment_waits_in_the_queue_or_is_left_to_the_running_loop(ws, settings):
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["email"])
    later = timezone.now() + timedelta(minutes=5)
    wake_workers_at(later)  # the immediate backend cannot wait: it sends nothing now instead
    assert not alert.deliveries.get().is_final
    settings.TASKS = DATABASE_QUEUE
    wake_workers_at(later)
    assert DBTaskResult.objects.get().run_after == later


def test_D6_D7_sending_asks_for_a_worker_at_each_retry_and_for_each_fallback(
    ws, settings, django_capture_on_commit_callbacks
):
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "email": "tests.alerts.test_reliability.ExplodingChannel",
    }
    settings.DELIVERY_MAX_ATTEMPTS, settings.DELIVERY_RETRY_BASE_SECONDS = 2, 0
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["email"])
    now, at = [], []
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_process(wakeups=Wakeups(now=lambda: now.append(1), at=at.append))
    primary = alert.deliveries.get(role="primary")
    assert (primary.attempts, primary.reason_code) == (2, "BACKEND_ERROR")
    assert alert.deliveries.filter(replaces=primary).exists()
    assert now  # a worker for the fallback (here the running loop took it, too)
    lease = timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    retries = [moment for moment in at if moment < timezone.now()]
    recoveries = [moment for moment in at if moment > timezone.now() + lease - timedelta(seconds=5)]
    assert retries and recoveries and len(retries) + len(recoveries) == len(at)


@pytest.mark.django_db(transaction=True)
def test_D8_a_waiting_wakeup_covers_the_alerts_committed_before_a_worker_claims_it(settings):
    """A burst of alerts stores one wake-up, not one per alert: a wake-up that is ready and not yet
    claimed runs after their commit and sends them all. Once a worker has claimed it, the next
    alert stores a new one (the claimed run may have read the deliveries already)."""
    from alerts.demo import demo_load

    settings.TASKS = DATABASE_QUEUE
    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    first = alert_accept(workspace=ws, title="one", recipients=["alice"], channels=["email"])
    second = alert_accept(workspace=ws, title="two", recipients=["alice"], channels=["email"])
    (waiting,) = DBTaskResult.objects.ready()
    waiting.claim("worker-1")
    third = alert_accept(workspace=ws, title="three", recipients=["alice"], channels=["email"])
    (fresh,) = DBTaskResult.objects.ready()
    assert fresh.pk != waiting.pk
    assert waiting.task.call() == 3  # the claimed wake-up sends all three
    assert all(a.deliveries.get().is_final for a in (first, second, third))


def test_D8_inside_a_transaction_a_wakeup_is_always_stored_with_the_deliveries(ws, settings):
    """Called inside a transaction (not yet committed), a wake-up is enqueued in it even if one
    waits: the waiting one could run before this transaction commits."""
    settings.TASKS = DATABASE_QUEUE
    wake_workers()
    wake_workers()  # the test runs in a transaction
    assert DBTaskResult.objects.ready().count() == 2
