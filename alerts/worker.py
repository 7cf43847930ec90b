"""The worker process: django.tasks' database queue plus a periodic sweep of due deliveries.

It runs django-tasks-db's worker loop with two additions that the product needs and the library
does not give: a database error (a locked SQLite file, a dropped PostgreSQL connection) is logged
and retried with backoff instead of ending the loop, and every DELIVERY_SWEEP_SECONDS the worker
sends whatever deliveries are due by itself, so that no deployment needs a cron line for a lost
wake-up or an expired lease. Every DIRECTORY_SYNC_INTERVAL_SECONDS (0: never) it also enqueues the
directory sync of the accounts that are due (alerts/directory/tasks.py), which then runs as a task
of the queue. The delivery sweep also asks the provider for delivery receipts that were not pushed
(alerts.receipts). Every HEARTBEAT_SECONDS it notes that it is alive (alerts.health: /readyz and the
metrics read it), and every ALERT_RETENTION_SWEEP_SECONDS it prunes alert history older than
ALERT_RETENTION_DAYS (alerts.retention), one small batch per turn of the loop, with a pause after
each, until none is left.
If the loop dies anyway, the process exits non-zero so that the process supervisor (or `make run`)
sees it.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from .directory.tasks import directory_sync_schedule
from .dispatch import deliveries_process
from .health import HEARTBEAT_SECONDS, heartbeat_forget, heartbeat_record, this_process_worker_set, worker_alive
from .receipts import receipts_poll
from .retention import RETENTION_PAUSE_FACTOR, alerts_prune
from .tasks import WAKEUPS

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30
# How often a worker asks whether an account's directory sync is due (one small query).
DIRECTORY_CHECK_SECONDS = 60


@dataclass
class PeriodicJob:
    """Work a worker does on a period, beside its queue: `run` returns how much it did. A job that
    works in slices (`until_done`) runs again at the next turn of the loop while it still finds
    something, so a long backlog is worked off between tasks instead of in one long stretch."""

    name: str
    seconds: float
    run: Callable[[], int]
    until_done: bool = False
    # With until_done: after a slice that found work, wait this many times as long as it took, so a
    # backlog never keeps the database busy more than 1 / (1 + pause_factor) of the time.
    pause_factor: float = 0.0
    due_at: float = 0.0  # time.monotonic(); 0: at the first turn

    def schedule(self, *, worked: int, started: float, ended: float) -> None:
        """When to run next; counted from the end of the run."""
        if self.until_done and worked:
            self.due_at = ended + (ended - started) * self.pause_factor
        else:
            self.due_at = ended + self.seconds


class AlertWorker(Worker):
    def __init__(self, *, sweep_seconds, directory_seconds=0, retention_seconds=0, **kwargs):
        super().__init__(**kwargs)
        self.sweep_seconds = sweep_seconds
        self.directory_seconds = directory_seconds
        self.failures = 0
        # Every periodic job of the worker, in the order a turn of the loop runs those that are due.
        # New periodic work is one more entry here, not one more case in step().
        self.jobs = [PeriodicJob("heartbeat", HEARTBEAT_SECONDS, self.heartbeat)]
        self.jobs.append(PeriodicJob("sweep", sweep_seconds, self.sweep))
        if directory_seconds > 0:
            # Asks which accounts are due (one small query) and enqueues their sync as a task.
            self.jobs.append(PeriodicJob("directory", min(directory_seconds, DIRECTORY_CHECK_SECONDS), self.directory))
        if retention_seconds > 0 and settings.ALERT_RETENTION_DAYS > 0:
            self.jobs.append(
                PeriodicJob(
                    "retention", retention_seconds, alerts_prune, until_done=True, pause_factor=RETENTION_PAUSE_FACTOR
                )
            )

    def run(self):
        logger.info(
            "Starting worker %s: queues %s, sweep every %s s",
            self.worker_id,
            ",".join(self.queue_names),
            self.sweep_seconds,
        )
        this_process_worker_set(self.worker_id)
        try:
            self.loop()
        finally:
            this_process_worker_set(None)
            self.forget()

    def loop(self):
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
        """Run the periodic jobs that are due, then one task of the queue; True if there was
        something to do."""
        close_old_connections()
        done = 0
        for job in self.jobs:
            if time.monotonic() < job.due_at:
                continue
            self.running_task = True  # a signal now lets the job finish instead of exiting midway
            started = time.monotonic()
            try:
                worked = job.run()
            finally:
                self.running_task = False
            # A job that raised stays due and runs at the next turn.
            job.schedule(worked=worked, started=started, ended=time.monotonic())
            done += worked
        return self.run_one() or bool(done)

    def heartbeat(self):
        heartbeat_record(worker_id=self.worker_id)
        return 0  # being alive is not work: an idle worker still sleeps between turns

    def forget(self):
        try:
            heartbeat_forget(worker_id=self.worker_id)
        except DatabaseError:
            logger.warning("Worker %s: could not remove its heartbeat on the way out", self.worker_id)

    def sweep(self):
        sent = deliveries_process(wakeups=WAKEUPS, between_batches=worker_alive)
        return sent + self.poll_receipts()

    def directory(self):
        directory_sync_schedule()  # enqueues a task: the sync runs like any task, not in the loop
        return 0

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
    retention_seconds=None,
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
        retention_seconds=settings.ALERT_RETENTION_SWEEP_SECONDS if retention_seconds is None else retention_seconds,
    )
