"""Sending deliveries (D7, D8). The delivery rows are the source of truth, not the task queue: a
worker claims due deliveries with a lease (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
serialises writers), sends each, and records the outcome only if it still holds the lease. A
delivery whose worker died is claimed again once its lease expires.

Sending schedules no worker itself: whoever runs it hands it the wake-ups (alerts.tasks hands the
task queue's), so the task queue depends on sending and never the other way round."""

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from contacts.messaging import message_send
from contacts.messaging.failures import IncorrectContact, PermanentFailure, TransientFailure

from . import rows
from .limits import LIMITED, limit_take
from .messages import alert_message
from .models import Alert, Delivery, Workspace, WorkspaceWebhook
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
    """Lease up to `limit` due deliveries to `worker`; returns their ids, in the order they fell due."""
    return [delivery.pk for delivery in _claim(worker=worker, limit=limit)]


def _claim(*, worker: str, limit: int) -> list[Delivery]:
    """Lease up to `limit` due deliveries to `worker` and return them, in the order they fell due:
    one statement picks them (skipping rows another worker holds locked, on PostgreSQL), leases
    them, counts the attempt and reads them back."""
    if limit <= 0:
        return []
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    params = [
        worker,
        rows.value(Delivery, "lease_until", lease_until),
        Status.READY_TO_SEND,
        rows.value(Delivery, "next_attempt_at", now),
        rows.value(Delivery, "lease_until", now),
        limit,
    ]
    with transaction.atomic(savepoint=False):  # one statement: nothing to roll back to inside a batch's claim
        claimed = [row[0] for row in rows.select(_claim_sql(), params, Delivery)]
    claimed.sort(key=lambda delivery: (delivery.next_attempt_at, delivery.pk))  # RETURNING keeps no order
    return claimed


@rows.statement
def _claim_sql() -> str:
    """Hand-written: the ORM has no UPDATE … RETURNING, and the claim is one round trip instead of
    three (pick, lease, read) for every batch a worker sends."""
    table = rows.table(Delivery)
    pk, status, due = (rows.column(Delivery, name) for name in ("id", "status", "next_attempt_at"))
    owner, until, attempts = (rows.column(Delivery, name) for name in ("lease_owner", "lease_until", "attempts"))
    due_now = (
        f"SELECT {pk} FROM {table} WHERE {status} = %s AND {due} <= %s"
        f" AND ({until} IS NULL OR {until} < %s) ORDER BY {due}, {pk} LIMIT %s"
    )
    if connection.vendor == "postgresql":
        # The ids as an array computed once, then one primary-key probe each: as `IN (SELECT …)`
        # the planner may hash-join the picked ids against a scan of the whole history.
        picked = f"= ANY(ARRAY({due_now} FOR UPDATE SKIP LOCKED))"
    else:
        picked = f"IN ({due_now})"
    return (
        f"UPDATE {table} SET {owner} = %s, {until} = %s, {attempts} = {attempts} + 1"
        f" WHERE {pk} {picked} RETURNING {rows.columns(Delivery, table)}"
    )


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
    pace = BatchPace()
    recovery_at = None
    while limit is None or handled < limit:
        batch = pace.size() if limit is None else min(pace.size(), limit - handled)
        claimed, units = _batch_claim(worker=worker, limit=batch)
        if not claimed:
            break
        recovery_at = _recovery_schedule(wakeups, recovery_at, timezone.now())
        started = time.monotonic()
        _batch_send(claimed, worker, wakeups, units)
        pace.note(len(claimed), time.monotonic() - started)
        handled += len(claimed)
        between_batches()
    return handled


# A batch is sized to be sent well within its lease: a quarter of DELIVERY_LEASE_SECONDS at the pace
# of the batches before it, so that a slow provider never lets a lease expire mid-batch (another
# worker would send those deliveries again), while the outbox or a fast provider gets batches of
# DELIVERY_BATCH_SIZE. The first batch of a run is FIRST_BATCH, until the pace is known.
FIRST_BATCH = 20
LEASE_SHARE = 0.25


class BatchPace:
    """How many deliveries to claim next, from the seconds per delivery of the last batch."""

    def __init__(self) -> None:
        self.seconds_each: float | None = None

    def size(self) -> int:
        most = max(1, settings.DELIVERY_BATCH_SIZE)
        if self.seconds_each is None:
            return min(FIRST_BATCH, most)
        if self.seconds_each <= 0:
            return most
        return max(1, min(most, int(settings.DELIVERY_LEASE_SECONDS * LEASE_SHARE / self.seconds_each)))

    def note(self, count: int, seconds: float) -> None:
        self.seconds_each = seconds / count


def _related_load(deliveries: list[Delivery]) -> list[Delivery]:
    """`deliveries` with their alerts and workspaces, each alert and workspace loaded once for the
    batch (an alert to 1,000 recipients is one row, not 1,000 copies)."""
    alerts = Alert.objects.in_bulk({d.alert_id for d in deliveries})
    workspaces = Workspace.objects.select_related("account", "alternate_contact").in_bulk(
        {a.workspace_id for a in alerts.values()}
    )
    for alert in alerts.values():
        alert.workspace = workspaces[alert.workspace_id]
    for delivery in deliveries:
        delivery.alert = alerts[delivery.alert_id]
    return deliveries


def _batch_claim(*, worker: str, limit: int) -> tuple[list[Delivery], dict[int, bool]]:
    """Claim a batch (_claim), load its alerts and workspaces, and take the daily-limit units its
    direct text messages and calls need (_units_grant), in one transaction: the rows just leased
    are this worker's until it commits, so the units need no second look at the leases."""
    with transaction.atomic():
        claimed = _related_load(_claim(worker=worker, limit=limit))
        units = _units_grant([d for d in claimed if _needs_unit(d)])
    return claimed, units


def delivery_send(*, delivery_id: int, worker: str, wakeups: Wakeups = NO_WAKEUPS) -> int:
    """Send one claimed delivery and record its outcome (if `worker` still holds its lease)."""
    return _batch_send(_related_load([Delivery.objects.get(pk=delivery_id)]), worker, wakeups)


@dataclass
class Outcome:
    """What became of one attempt: a final `status`, or a retry at `retry_at`."""

    delivery: Delivery
    status: str
    code: str = ""
    text: str = ""
    fallback: bool = False  # D6: the next step of the fallback chain is due
    retry_at: datetime | None = None
    fields: dict[str, str] = field(default_factory=dict)


def _batch_send(
    deliveries: list[Delivery], worker: str, wakeups: Wakeups, units: Mapping[int, bool | None] | None = None
) -> int:
    """Send claimed deliveries one by one, then record every outcome in one transaction; returns
    how many outcomes were recorded (a delivery whose lease was lost meanwhile is left alone).
    `units` are those taken with the claim (_batch_claim); without them, they are taken here.

    The units of the daily limit and the outcomes cost a few statements for the whole batch
    instead of a few transactions per delivery.
    The price: a worker killed between its sends and the recording sends up to one batch again
    once its leases expire (BatchPace keeps a batch within a quarter of the lease), where it used
    to be one delivery. Delivery was at least once before and still is."""
    webhooks = {
        w.workspace_id: w
        for w in WorkspaceWebhook.objects.filter(workspace_id__in={d.alert.workspace_id for d in deliveries})
    }
    if units is None:
        units = _units_take([d for d in deliveries if _needs_unit(d)], worker)
    outcomes = []
    texts: dict = {}  # rendered once per alert, language and channel (alert_message)
    for delivery in deliveries:
        taken = units.get(delivery.pk, True)
        if taken is None:
            continue  # the lease was lost: another worker has this delivery now
        if not taken:
            outcomes.append(Outcome(delivery, Status.SEND_OVERLIMIT, "OVER_DAILY_LIMIT", OVER_LIMIT_TEXT))
            continue
        webhook = webhooks.get(delivery.alert.workspace_id) if delivery.route == Delivery.Route.WEBHOOK else None
        outcomes.append(_attempt(delivery, webhook, texts))
    return _record(outcomes, worker, wakeups)


OVER_LIMIT_TEXT = "The daily maximum for this channel is reached (Alert Resources)."


def _attempt(delivery: Delivery, webhook: WorkspaceWebhook | None, texts: dict) -> Outcome:
    try:
        # Through the transport of the message's channel: webhook for the webhook route (contacts.messaging).
        provider_id = message_send(alert_message(delivery, webhook, texts))
    except IncorrectContact as error:
        return Outcome(delivery, Status.SEND_FAIL, error.code, error.text, fallback=True)
    except TransientFailure as error:
        return _retry_or_fail(delivery, error.code, error.text)
    except PermanentFailure as error:
        return Outcome(delivery, Status.SEND_FAIL, error.code, error.text)
    except Exception as error:  # a transport's bug must not leave the delivery unfinished (D8)
        logger.exception("Sending delivery %s (%s, route %s) raised", delivery.pk, delivery.channel, delivery.route)
        return _retry_or_fail(delivery, "BACKEND_ERROR", f"{type(error).__name__}: {error}")
    # A provider id means receipts will say whether the phone got it (alerts.receipts).
    accepted = {"provider_message_id": provider_id, "receipt_status": Receipt.ACCEPTED} if provider_id else {}
    return Outcome(delivery, Status.SEND_SUCCESS, fields=accepted)


def _retry_or_fail(delivery: Delivery, code: str, text: str) -> Outcome:
    if delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:  # attempts was counted at the claim
        exhausted = f"{text} (gave up after {settings.DELIVERY_MAX_ATTEMPTS} attempts)"
        return Outcome(delivery, Status.SEND_FAIL, code, exhausted, fallback=True)
    delay = settings.DELIVERY_RETRY_BASE_SECONDS * (2 ** (delivery.attempts - 1))
    retry_at = timezone.now() + timedelta(seconds=delay)
    return Outcome(delivery, Status.READY_TO_SEND, code, f"{text} (will retry)", retry_at=retry_at)


def _held(ids: list[int], worker: str, **conditions: object) -> set[int]:
    """Which of `ids` `worker` still holds the lease of (locked until the transaction ends where
    the database can lock rows; SQLite's writers are serialised anyway)."""
    held = Delivery.objects.filter(pk__in=ids, lease_owner=worker, status=Status.READY_TO_SEND, **conditions)
    if connection.features.has_select_for_update:
        held = held.select_for_update()
    return set(held.values_list("pk", flat=True))


def _needs_unit(delivery: Delivery) -> bool:
    """D9: a direct text message or call that has not taken its unit of the day's allowance yet."""
    return delivery.route != Delivery.Route.WEBHOOK and delivery.channel in LIMITED and not delivery.unit_taken


def _units_take(deliveries: list[Delivery], worker: str) -> dict[int, bool | None]:
    """The units of deliveries claimed earlier (_units_grant), for those whose lease `worker` still
    holds; None for the others."""
    with transaction.atomic():
        held = _held([d.pk for d in deliveries], worker, unit_taken=False)
        result: dict[int, bool | None] = {d.pk: None for d in deliveries if d.pk not in held}
        result.update(_units_grant([d for d in deliveries if d.pk in held]))
    return result


def _units_grant(deliveries: list[Delivery]) -> dict[int, bool]:
    """D9: a direct text message or call takes one unit of the day's allowance exactly once. Run in
    the transaction that holds the deliveries' rows: the units (per account, region and channel)
    and the deliveries' marks that they were taken are committed together, so a delivery claimed
    again after a crash, or retried, never takes a second one. By delivery id: True when taken,
    False over the limit."""
    groups: dict[tuple, list[Delivery]] = {}
    for delivery in deliveries:
        workspace = delivery.alert.workspace
        groups.setdefault((workspace.account_id, workspace.region_id, delivery.channel), []).append(delivery)
    result: dict[int, bool] = {}
    taken: set[int] = set()
    # The counters in one order for every worker: two batches that lock the same counters never
    # wait for each other in a circle (PostgreSQL would abort one as deadlocked).
    for (account_id, region_id, channel), group in sorted(groups.items()):
        granted = limit_take(account_id=account_id, region_id=region_id, channel=channel, count=len(group))
        taken.update(d.pk for d in group[:granted])
    if taken:
        Delivery.objects.filter(pk__in=taken).update(unit_taken=True)
    for delivery in deliveries:
        result[delivery.pk] = delivery.unit_taken = delivery.pk in taken
    return result


def _unit_take(delivery: Delivery, worker: str) -> bool | None:
    """One delivery's unit (_units_take)."""
    return _units_take([delivery], worker)[delivery.pk]


def _record(outcomes: list[Outcome], worker: str, wakeups: Wakeups) -> int:
    """Record the outcomes whose deliveries `worker` still holds, in one transaction: one UPDATE for
    all plain successes (which checks the lease itself), one per other outcome (after locking the
    rows whose lease is still held); a failure with `fallback` creates the next deliveries of the
    fallback chain (D6) and wakes a worker for them."""
    if not outcomes:
        return 0
    now = timezone.now()
    plain = {o.delivery.pk for o in outcomes if o.status == Status.SEND_SUCCESS and not o.fields}
    others = [o for o in outcomes if o.delivery.pk not in plain]
    with transaction.atomic():
        recorded = 0
        if plain:
            recorded = Delivery.objects.filter(pk__in=plain, lease_owner=worker, status=Status.READY_TO_SEND).update(
                status=Status.SEND_SUCCESS, reason_code="", reason="", finished_at=now, lease_until=None
            )
        lost = set()
        if recorded < len(plain):
            lost = plain - set(
                Delivery.objects.filter(
                    pk__in=plain, lease_owner=worker, status=Status.SEND_SUCCESS, finished_at=now
                ).values_list("pk", flat=True)
            )
        held = _held([o.delivery.pk for o in others], worker) if others else set()
        for outcome in others:
            if outcome.delivery.pk in held:
                _record_one(outcome, now, wakeups)
            else:
                lost.add(outcome.delivery.pk)
    statuses = {o.delivery.pk: o.status for o in outcomes}
    for pk in sorted(lost):
        logger.warning("Delivery %s: lease lost before its outcome (%s) was recorded", pk, statuses[pk])
    return recorded + len(held)


def _record_one(outcome: Outcome, now: datetime, wakeups: Wakeups) -> None:
    delivery = Delivery.objects.filter(pk=outcome.delivery.pk)
    if outcome.retry_at is not None:
        retry_at = outcome.retry_at
        delivery.update(
            next_attempt_at=retry_at, lease_owner="", lease_until=None, reason_code=outcome.code, reason=outcome.text
        )
        transaction.on_commit(lambda: wakeups.at(retry_at))
        return
    delivery.update(
        status=outcome.status,
        reason_code=outcome.code,
        reason=outcome.text,
        finished_at=now,
        lease_until=None,
        **outcome.fields,
    )
    if outcome.fallback:
        failed = outcome.delivery
        failed.refresh_from_db()
        if fallback_create(failed=failed):
            transaction.on_commit(wakeups.now)


# If this worker dies, the leases of its batch expire and a wake-up at that moment claims the rest
# again. One wake-up serves every batch claimed within RECOVERY_SLACK_SHARE of a lease before it:
# a storm asks for one every few seconds instead of one per batch (each a stored task that runs
# later, mostly to find nothing), and a recovery comes at most that much after the leases expire.
RECOVERY_SLACK_SHARE = 0.1


def _recovery_schedule(wakeups: Wakeups, scheduled: datetime | None, now: datetime) -> datetime:
    """Ask for a worker when the leases of a batch claimed `now` expire, unless the wake-up
    `scheduled` for an earlier batch comes after they do; returns the wake-up that covers it."""
    lease = settings.DELIVERY_LEASE_SECONDS
    expiry = now + timedelta(seconds=lease)
    if scheduled is not None and scheduled >= expiry:
        return scheduled
    moment = expiry + timedelta(seconds=max(1.0, lease * RECOVERY_SLACK_SHARE))
    wakeups.at(moment)
    return moment
