"""The task queue's side of sending (D8): the deliver_due task and every wake-up of the workers.

Sending (dispatch.py) schedules nothing by itself: it is handed WAKEUPS, so this module depends on
sending and sending never on the queue. The deliveries table, not the queue, says what is left to
send: a lost wake-up only delays a delivery until a worker's next sweep."""

from datetime import datetime

from django.tasks import default_task_backend, task

from .dispatch import Wakeups, deliveries_process
from .health import worker_alive


def wake_workers() -> None:
    """A worker now: new deliveries are due at once (an accepted alert, a step of the fallback)."""
    deliver_due.enqueue()


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
