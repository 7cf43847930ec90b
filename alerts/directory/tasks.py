"""The periodic directory sync: every DIRECTORY_SYNC_INTERVAL_SECONDS the worker enqueues one task
that syncs each account that is due (alerts/worker.py), so a sync never holds up the sweep of due
deliveries; accounts whose directory sync is off (the demo accounts) are never called."""

from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from .errors import DirectoryError
from .sync import accounts_due, directory_sync

# A task that has been running this long is taken for one whose worker died (django-tasks-db
# never resets those), so it no longer stops the next one from being enqueued.
RUNNING_FOR_AT_MOST = timedelta(hours=1)


@task()
def directory_sync_due() -> dict[str, str]:
    """Sync every account that is due; one account failing does not stop the others. Returns
    each account's outcome by account ID (kept with the task's result)."""
    outcomes = {}
    for account in accounts_due():
        try:
            outcomes[account.uid] = directory_sync(account=account).text()
        except DirectoryError as error:
            outcomes[account.uid] = f"failed: {error.text}"
    return outcomes


def _already_queued() -> bool:
    if not isinstance(directory_sync_due.get_backend(), DatabaseBackend):
        return False
    waiting = DBTaskResult.objects.filter(task_path=directory_sync_due.module_path)
    return (
        waiting.filter(status=TaskResultStatus.READY).exists()
        or waiting.filter(
            status=TaskResultStatus.RUNNING, started_at__gte=timezone.now() - RUNNING_FOR_AT_MOST
        ).exists()
    )


def directory_sync_schedule() -> bool:
    """Enqueue the periodic sync when some account is due and no sync task is waiting or running
    (several workers may ask at once). False, and nothing enqueued, when the periodic sync is off
    (DIRECTORY_SYNC_INTERVAL_SECONDS = 0) or nothing is due."""
    if settings.DIRECTORY_SYNC_INTERVAL_SECONDS <= 0 or not accounts_due().exists() or _already_queued():
        return False
    directory_sync_due.enqueue()
    return True
