"""The task queue's side of sending (D8): the deliver_due task and every wake-up of the workers.

Sending (dispatch.py) schedules nothing by itself: it is handed WAKEUPS, so this module depends on
sending and sending never on the queue. The deliveries table, not the queue, says what is left to
send: a lost wake-up only delays a delivery until a worker's next sweep."""

from datetime import datetime

from django.db import connection
from django.tasks import TaskResultStatus, default_task_backend, task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from . import rows
from .dispatch import Wakeups, deliveries_process
from .health import worker_alive


def wake_workers() -> None:
    """A worker now: new deliveries are due at once (an accepted alert, a step of the fallback).

    Called once the new deliveries are committed (transaction.on_commit), so a wake-up already
    waiting in the database queue and not yet claimed covers them: a worker commits its claim of a
    task before running it, so that run reads every delivery committed before now. A burst of
    alerts then stores one wake-up instead of one per alert (each a write, and a run that finds the
    deliveries sent). Inside a transaction, or with another task backend, one is always enqueued."""
    if not connection.in_atomic_block and _wakeup_waiting():
        return
    deliver_due.enqueue()


@rows.statement
def _waiting_sql() -> str:
    def col(name: str) -> str:
        return rows.column(DBTaskResult, name)

    return (
        f"SELECT 1 FROM {rows.table(DBTaskResult)} WHERE {col('status')} = %s AND {col('task_path')} = %s"
        f" AND {col('queue_name')} = %s AND {col('backend_name')} = %s"
        f" AND ({col('run_after')} = %s OR {col('run_after')} <= %s) LIMIT 1"
    )


def _wakeup_waiting() -> bool:
    """Whether a deliver_due of the database queue is ready and unclaimed (DBTaskResult.objects.ready()),
    read by hand: it is asked after every accepted alert (alerts.rows)."""
    backend = deliver_due.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    params = [
        TaskResultStatus.READY,
        deliver_due.module_path,
        deliver_due.queue_name,
        backend.alias,
        rows.value(DBTaskResult, "run_after", get_date_max()),
        rows.value(DBTaskResult, "run_after", timezone.now()),
    ]
    return bool(rows.scalars(_waiting_sql(), params))


def wake_workers_at(moment: datetime) -> None:
    """A worker at `moment`: a retry falls due, or the leases of a worker that may have died expire."""
    if default_task_backend.supports_defer:
        deliver_due.using(run_after=moment).enqueue()
    # Without deferral (the immediate backend of tests), the running loop picks retries up.


WAKEUPS = Wakeups(now=wake_workers, at=wake_workers_at)


@task()
def deliver_due() -> int:
    """Send every delivery that is due. Enqueued when an alert is accepted, at each retry time and
    at lease expiry; the deliveries table, not this queue, says what is left to send."""
    return deliveries_process(wakeups=WAKEUPS, between_batches=worker_alive)
