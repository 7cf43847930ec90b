"""Sending deliveries (D7, D8). The delivery rows are the source of truth, not the task queue: a
worker claims due deliveries with a lease (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
serialises writers), sends each, and records the outcome only if it still holds the lease. A
delivery whose worker died is claimed again once its lease expires.

Sending schedules no worker itself: whoever runs it hands it the wake-ups (alerts.tasks hands the
task queue's), so the task queue depends on sending and never the other way round."""

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from contacts.messaging import message_send
from contacts.messaging.failures import IncorrectContact, PermanentFailure, TransientFailure

from .limits import LIMITED, limit_take
from .messages import alert_message
from .models import Delivery, WorkspaceWebhook
from .routing import fallback_create

logger = logging.getLogger(__name__)
Status = Delivery.Status
Receipt = Delivery.ReceiptStatus


@dataclass(frozen=True)
class Wakeups:
    """How sending asks for a worker to come back: `now` when new deliveries are due at once (a
    fallback), `at(moment)` when a retry falls due or the leases of a worker that may die expire."""

    now: Callable[[], None]
    at: Callable[[datetime], None]


# Without wake-ups, what falls due later waits for the running loop or a worker's next sweep (tests).
NO_WAKEUPS = Wakeups(now=lambda: None, at=lambda moment: None)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def deliveries_claim(*, worker: str, limit: int) -> list[int]:
    """Lease up to `limit` due deliveries to `worker`; returns their ids."""
    now = timezone.now()
    with transaction.atomic():
        due = (
            Delivery.objects.filter(status=Status.READY_TO_SEND, next_attempt_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("next_attempt_at", "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            lease_until = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
            Delivery.objects.filter(pk__in=ids).update(
                lease_owner=worker, lease_until=lease_until, attempts=F("attempts") + 1
            )
    return ids


def deliveries_process(
    *,
    worker: str | None = None,
    limit: int | None = None,
    wakeups: Wakeups = NO_WAKEUPS,
    between_batches: Callable[[], None] = lambda: None,
) -> int:
    """Claim and send due deliveries until none is due (or `limit` were handled); returns how many
    were handled. `between_batches` runs after each batch (the worker's heartbeat: a storm keeps
    one call busy for minutes)."""
    worker = worker or worker_name()
    handled = 0
    while limit is None or handled < limit:
        batch = settings.DELIVERY_BATCH_SIZE if limit is None else min(settings.DELIVERY_BATCH_SIZE, limit - handled)
        ids = deliveries_claim(worker=worker, limit=batch)
        if not ids:
            break
        _schedule_recovery(wakeups)
        claimed = _load(ids)
        webhooks = {
            w.workspace_id: w
            for w in WorkspaceWebhook.objects.filter(workspace_id__in={d.alert.workspace_id for d in claimed.values()})
        }
        for delivery_id in ids:
            delivery = claimed[delivery_id]
            _send(delivery, worker, webhooks.get(delivery.alert.workspace_id), wakeups)
            handled += 1
        between_batches()
    return handled


def _load(ids: list[int]) -> dict[int, Delivery]:
    return Delivery.objects.select_related(
        "alert__workspace__account", "alert__workspace__alternate_contact", "principal"
    ).in_bulk(ids)


def delivery_send(*, delivery_id: int, worker: str, wakeups: Wakeups = NO_WAKEUPS) -> int:
    """Send one claimed delivery and record its outcome (if `worker` still holds its lease)."""
    delivery = _load([delivery_id])[delivery_id]
    webhook = WorkspaceWebhook.objects.filter(workspace_id=delivery.alert.workspace_id).first()
    return _send(delivery, worker, webhook, wakeups)


def _send(delivery: Delivery, worker: str, webhook: WorkspaceWebhook | None, wakeups: Wakeups) -> int:
    delivery_id = delivery.pk
    if delivery.route != Delivery.Route.WEBHOOK:
        webhook = None
        if delivery.channel in LIMITED and not delivery.unit_taken:
            taken = _unit_take(delivery, worker)
            if taken is None:
                return 0  # the lease was lost: another worker has this delivery now
            if not taken:
                return _finish(
                    delivery,
                    worker,
                    Status.SEND_OVERLIMIT,
                    "OVER_DAILY_LIMIT",
                    "The daily maximum for this channel is reached (Alert Resources).",
                    fallback=False,
                    wakeups=wakeups,
                )
    try:
        # Through the transport of the message's channel: webhook for the webhook route (contacts.messaging).
        provider_id = message_send(alert_message(delivery, webhook))
    except IncorrectContact as error:
        return _finish(delivery, worker, Status.SEND_FAIL, error.code, error.text, fallback=True, wakeups=wakeups)
    except TransientFailure as error:
        return _retry_or_fail(delivery, worker, error.code, error.text, wakeups)
    except PermanentFailure as error:
        return _finish(delivery, worker, Status.SEND_FAIL, error.code, error.text, fallback=False, wakeups=wakeups)
    except Exception as error:  # a transport's bug must not leave the delivery unfinished (D8)
        logger.exception("Sending delivery %s (%s, route %s) raised", delivery_id, delivery.channel, delivery.route)
        return _retry_or_fail(delivery, worker, "BACKEND_ERROR", f"{type(error).__name__}: {error}", wakeups)
    # A provider id means receipts will say whether the phone got it (alerts.receipts).
    accepted = {"provider_message_id": provider_id, "receipt_status": Receipt.ACCEPTED} if provider_id else {}
    return _finish(delivery, worker, Status.SEND_SUCCESS, "", "", fallback=False, wakeups=wakeups, **accepted)


def _unit_take(delivery: Delivery, worker: str) -> bool | None:
    """D9: a direct text message or call takes one unit of the day's allowance exactly once. The
    unit and the delivery's mark that it was taken are written in one transaction, so a delivery
    claimed again after a crash, or retried, never takes a second one. True when taken, False
    over the limit, None when this worker no longer holds the lease."""
    workspace = delivery.alert.workspace
    with transaction.atomic():
        marked = Delivery.objects.filter(
            pk=delivery.pk, lease_owner=worker, status=Status.READY_TO_SEND, unit_taken=False
        ).update(unit_taken=True)
        if not marked:
            return None
        if not limit_take(account_id=workspace.account_id, region_id=workspace.region_id, channel=delivery.channel):
            transaction.set_rollback(True)
            return False
    delivery.unit_taken = True
    return True


def _retry_or_fail(delivery: Delivery, worker: str, code: str, text: str, wakeups: Wakeups) -> int:
    if delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:  # attempts was counted at the claim
        exhausted = f"{text} (gave up after {settings.DELIVERY_MAX_ATTEMPTS} attempts)"
        return _finish(delivery, worker, Status.SEND_FAIL, code, exhausted, fallback=True, wakeups=wakeups)
    delay = settings.DELIVERY_RETRY_BASE_SECONDS * (2 ** (delivery.attempts - 1))
    next_at = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        kept = Delivery.objects.filter(pk=delivery.pk, lease_owner=worker, status=Status.READY_TO_SEND).update(
            next_attempt_at=next_at, lease_owner="", lease_until=None, reason_code=code, reason=f"{text} (will retry)"
        )
        if kept:
            transaction.on_commit(lambda: wakeups.at(next_at))
    return kept


def _finish(
    delivery: Delivery,
    worker: str,
    status: str,
    code: str,
    text: str,
    *,
    fallback: bool,
    wakeups: Wakeups,
    **fields: str,
) -> int:
    """Record the outcome (and `fields`) if `worker` still holds the lease; with `fallback`, create
    the next deliveries of the fallback chain (D6) and wake a worker for them."""
    with transaction.atomic():
        kept = Delivery.objects.filter(pk=delivery.pk, lease_owner=worker, status=Status.READY_TO_SEND).update(
            status=status, reason_code=code, reason=text, finished_at=timezone.now(), lease_until=None, **fields
        )
        if not kept:
            logger.warning("Delivery %s: lease lost before its outcome (%s) was recorded", delivery.pk, status)
            return 0
        if fallback:
            delivery.refresh_from_db()
            if fallback_create(failed=delivery):
                transaction.on_commit(wakeups.now)
    return kept


def _schedule_recovery(wakeups: Wakeups) -> None:
    """If this worker dies mid-batch, a worker woken when its leases expire claims the rest again."""
    wakeups.at(timezone.now() + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1))
