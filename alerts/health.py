"""Health checks for load balancers and process supervisors, and the workers' heartbeat.

`/healthz` says the web process answers (it touches no database): a supervisor restarts a process
that fails it. `/readyz` says this deployment can do its work: the database answers, every
migration of this code is applied, and a worker was seen within WORKER_SEEN_SECONDS. Both are
cheap and unauthenticated; they say nothing secret. Neither looks at provider problems: those are
the operator's set-up (`GET /health`, contacts.provider_problems), and a load balancer that took
every web process out for a missing SMS template would also stop the alert API and the console.
"""

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# How often a worker writes its heartbeat (from its loop: alerts.worker).
HEARTBEAT_SECONDS = 10
# A heartbeat row of a worker gone this long (it crashed or was killed) is deleted.
HEARTBEAT_FORGET_AFTER = timedelta(days=1)


def heartbeat_record(*, worker_id: str) -> None:
    """Note that `worker_id` is alive now (one small row per worker; its first beat starts it)."""
    now = timezone.now()
    if WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now):
        return
    try:
        with transaction.atomic():
            WorkerHeartbeat.objects.create(worker_id=worker_id, started_at=now, seen_at=now)
    except IntegrityError:  # two processes with one id: both keep it fresh
        WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_FORGET_AFTER).delete()


# The worker of this process, if it is one (alerts.worker registers it), and when it last beat.
_this_worker: dict[str, Any] = {"id": None, "due_at": 0.0}


def this_process_worker_set(worker_id: str | None) -> None:
    _this_worker.update(id=worker_id, due_at=0.0)


def worker_alive() -> None:
    """Beat for this process's worker, at most every HEARTBEAT_SECONDS; nothing in a process that
    is no worker. Called from the worker's loop and between the batches of a long sweep, so a
    worker busy with an alert storm is still seen (/readyz)."""
    worker_id = _this_worker["id"]
    if worker_id is None or time.monotonic() < _this_worker["due_at"]:
        return
    heartbeat_record(worker_id=worker_id)
    _this_worker["due_at"] = time.monotonic() + HEARTBEAT_SECONDS


def heartbeat_forget(*, worker_id: str) -> None:
    """A worker that stops cleanly takes its row away: it is no longer seen, at once."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def workers_seen(*, within_seconds: int | None = None) -> int:
    """How many workers wrote a heartbeat within the window (WORKER_SEEN_SECONDS by default)."""
    window = settings.WORKER_SEEN_SECONDS if within_seconds is None else within_seconds
    return WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - timedelta(seconds=window)).count()


_migrations_applied = False  # once true in a process, stays true: its code and migrations do not change


def migrations_pending() -> bool:
    """Whether a migration of this code is not applied yet (the migration graph is read until
    everything is applied once; after that the answer is remembered)."""
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return not _migrations_applied


def readiness() -> tuple[str, str] | None:
    """None when ready; otherwise (reason, detail) for the first check that fails."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if migrations_pending():
            return "migrations_pending", "run `python manage.py migrate`"
        if not workers_seen():
            return "no_worker", f"no worker seen in the last {settings.WORKER_SEEN_SECONDS} s (run_worker)"
    except DatabaseError as error:
        logger.warning("Readiness: the database does not answer (%s)", error)
        return "database_unreachable", error.__class__.__name__
    return None


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """GET /healthz: the process answers. No database, so a database outage restarts nothing."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """GET /readyz: 200 `{"status": "ready"}`, or 503 `{"status": "not_ready", "reason": …, "detail": …}`."""
    problem = readiness()
    if problem is None:
        return JsonResponse({"status": "ready"})
    reason, detail = problem
    return JsonResponse({"status": "not_ready", "reason": reason, "detail": detail}, status=503)
