"""The worker process: django.tasks' database queue plus a periodic sweep of due deliveries.

It runs django-tasks-db's worker loop with two additions that the product needs and the library
does not give: a database error (a locked SQLite file, a dropped PostgreSQL connection) is logged
and retried with backoff instead of ending the loop, and every DELIVERY_SWEEP_SECONDS the worker
sends whatever deliveries are due by itself, so that no deployment needs a cron line for a lost
wake-up or an expired lease. Every DIRECTORY_SYNC_INTERVAL_SECONDS (0: never) it also enqueues the
directory sync of the accounts that are due (alerts/directory/tasks.py), which then runs as a task
of the queue. The delivery sweep also asks the provider for delivery receipts that were not pushed
(alerts.receipts). If the loop dies anyway, the process exits non-zero so that the process supervisor
(or `make run`) sees it.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from .directory.tasks import directory_sync_schedule
from .dispatch import deliveries_process
from .receipts import receipts_poll
from .tasks import WAKEUPS

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30
# How often a worker asks whether an account's directory sync is due (one small query).
DIRECTORY_CHECK_SECONDS = 60


class AlertWorker(Worker):
    def __init__(self, *, sweep_seconds, directory_seconds=0, **kwargs):
        super().__init__(**kwargs)
        self.sweep_seconds = sweep_seconds
        self.next_sweep = 0.0
        self.directory_seconds = directory_seconds
        self.next_directory_check = 0.0
        self.failures = 0

    def run(self):
        logger.info(
            "Starting worker %s: queues %s, sweep every %s s",
            self.worker_id,
            ",".join(self.queue_names),
            self.sweep_seconds,
        )
        while self.running:
            try:
                ran = self.step()
            except DatabaseError as error:
                self.failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 2 ** (self.failures - 1))
                logger.warning("Worker %s: database error (%s); trying again in %s s", self.worker_id, error, delay)
                self._reset_connections()
                time.sleep(delay)
                continue
            self.failures = 0
            if self.batch and not ran:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and not ran:
                time.sleep(self.interval)

    def step(self):
        """Sweep if it is time, then run one task of the queue; True if there was something to do."""
        close_old_connections()
        swept = 0
        if time.monotonic() >= self.next_sweep:
            swept = self.sweep()
            self.next_sweep = time.monotonic() + self.sweep_seconds
        if self.directory_seconds > 0 and time.monotonic() >= self.next_directory_check:
            self.next_directory_check = time.monotonic() + min(self.directory_seconds, DIRECTORY_CHECK_SECONDS)
            directory_sync_schedule()  # enqueues a task: the sync runs like any task, not in the sweep
        return self.run_one() or bool(swept)

    def sweep(self):
        self.running_task = True  # a signal now lets the sweep finish instead of exiting mid-send
        try:
            sent = deliveries_process(wakeups=WAKEUPS)
            return sent + self.poll_receipts()
        finally:
            self.running_task = False

    def poll_receipts(self):
        """Receipts the provider did not push; a failure here must not stop the sending loop."""
        try:
            return receipts_poll(wakeups=WAKEUPS)
        except DatabaseError:
            raise
        except Exception:
            logger.exception("Worker %s: asking for delivery receipts failed", self.worker_id)
            return 0

    def run_one(self):
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        if task_result is None:
            return False
        self.run_task(task_result)
        return True

    @staticmethod
    def _reset_connections():
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except DatabaseError:
                pass


def worker_build(
    *,
    worker_id,
    queue_names=("default",),
    interval=1.0,
    batch=False,
    sweep_seconds=None,
    max_tasks=None,
    directory_seconds=None,
):
    return AlertWorker(
        queue_names=list(queue_names),
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
        sweep_seconds=settings.DELIVERY_SWEEP_SECONDS if sweep_seconds is None else sweep_seconds,
        directory_seconds=settings.DIRECTORY_SYNC_INTERVAL_SECONDS if directory_seconds is None else directory_seconds,
    )
