"""Sending, measured with the real worker processes (`run_worker`) through the outbox:

- dispatch_accept: the queries to accept one alert to 1,000 recipients × 2 channels.
- dispatch_deliver: one worker sending 20,000 deliveries, against the naive floor (alerts.benchmarks
  .naive: one task per delivery run by `db_worker`, measured on 2,000 of the same deliveries).
- dispatch_scale (PostgreSQL): two workers against one on the same 20,000, with duplicates and
  lost deliveries counted from the outbox.
- worker_rss: a worker's resident memory after 10,000 and after 100,000 deliveries.
- dispatch_prune: one worker sending 20,000 while 100,000 old alerts are pruned beside it as the
  retention job prunes them (alerts.retention: batches with a pause after each), against the
  same worker without pruning; measured over the time pruning runs.

Rates come from the outbox's `sent_at` (first to last message), so a process's start-up is not
counted on either side."""

import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, reset_queries
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alerts.intake import alert_accept
from alerts.models import Alert, Delivery
from alerts.retention import RETENTION_PAUSE_FACTOR, alerts_prune
from contacts.messaging.outbox import outbox_read
from contacts.models import ContactMethod, Principal

from .world import World, alerts_clear, manage_py, principals_grow, process_env, statistics_update

DELIVERIES = 20_000
NAIVE_DELIVERIES = 1_000
RSS_DELIVERIES = 100_000
RSS_FIRST = 10_000
PRUNED_ALERTS = 100_000
RECIPIENTS = 1_000  # per alert, two channels each
WORKER_TIMEOUT = 600  # seconds: a worker that takes longer has failed the bench
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
S = Delivery.Status


def measure(world: World) -> list[dict]:
    principals_grow(world, users=10_000, roles=1_000)
    names = recipients(world)
    results = [dispatch_accept(world, names)]
    template = Alert.objects.get()  # the accepted alert: every measurement below sends copies of it
    one = deliver_with_workers(template, DELIVERIES, workers=1)
    naive = deliver_naive(template, NAIVE_DELIVERIES)
    results.append(
        {
            "name": "dispatch_deliver",
            "deliveries": DELIVERIES,
            "per_second": one["per_second"],
            "naive_deliveries": NAIVE_DELIVERIES,
            "naive_per_second": naive["per_second"],
            "ratio": round(one["per_second"] / naive["per_second"], 2),
            "duplicates": one["duplicates"],
            "lost": one["lost"],
        }
    )
    if connection.vendor == "postgresql":  # SQLite serialises writers: one machine, one worker
        two = deliver_with_workers(template, DELIVERIES, workers=2)
        single = one["per_second"]
        results.append(
            {
                "name": "dispatch_scale",
                "workers": 2,
                "deliveries": DELIVERIES,
                "per_second": two["per_second"],
                "one_worker_per_second": round(single, 1),
                "ratio": round(two["per_second"] / single, 2),
                "duplicates": two["duplicates"],
                "lost": two["lost"],
            }
        )
    results.append(worker_rss(template))
    results.append(dispatch_prune(template))
    alerts_clear()
    return results


def recipients(world: World) -> list[str]:
    """RECIPIENTS RAM users with an activated phone and email."""
    names = list(
        Principal.objects.filter(account=world.account, kind="user")
        .exclude(email="")
        .exclude(phone="")
        .order_by("name")
        .values_list("name", flat=True)[:RECIPIENTS]
    )
    ContactMethod.objects.filter(principal__name__in=names).update(status="activated")
    return names


def dispatch_accept(world: World, names: list[str]) -> dict:
    with override_settings(TASKS=DUMMY_TASKS):
        reset_queries()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            alert = alert_accept(
                workspace=world.workspace, title="bench", content="x", recipients=names, channels=["email", "sms"]
            )
        seconds = time.perf_counter() - start
    return {
        "name": "dispatch_accept",
        "deliveries": alert.deliveries.count(),
        "queries": len(captured),
        "seconds": round(seconds, 3),
    }


def queue_fill(template: Alert, count: int) -> None:
    """`count` deliveries ready to send: copies of `template`'s, each copy a new alert with its own
    title (so each message in the outbox is told apart), made with bulk_create."""
    alerts_clear(keep=template)
    DBTaskResult.objects.all().delete()  # what earlier measurements enqueued (deliver_due) is not part of it
    rows = list(template.deliveries.order_by("pk"))
    copies = -(-count // len(rows))
    fields = ("channel", "role", "principal_id", "recipient_name", "address", "route", "language")
    alerts = Alert.objects.bulk_create(
        [
            Alert(workspace_id=template.workspace_id, title=f"bench {n}", content=template.content, source="bench")
            for n in range(copies)
        ],
        batch_size=1000,
    )
    now = timezone.now()
    made = 0
    batch = []
    for alert in alerts:
        for row in rows:
            if made == count:
                break
            batch.append(Delivery(alert=alert, next_attempt_at=now, **{f: getattr(row, f) for f in fields}))
            made += 1
        if len(batch) >= 5000:
            Delivery.objects.bulk_create(batch)
            batch = []
    Delivery.objects.bulk_create(batch)
    statistics_update(Alert, Delivery, vacuum=True)
    outbox_clear()


def outbox_clear() -> None:
    Path(settings.OUTBOX_PATH).unlink(missing_ok=True)


def outbox_count(expected: int) -> dict:
    """Rate, duplicates and lost deliveries from the outbox and the deliveries table: every bench
    delivery is one message, told apart by channel, address and body (its alert's title)."""
    records = outbox_read(limit=sys.maxsize)
    keys = {(r["channel"], r["to"], r["body"]) for r in records}
    times = sorted(datetime.fromisoformat(r["sent_at"]) for r in records)
    span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0
    unfinished = Delivery.objects.filter(status=S.READY_TO_SEND).count()
    return {
        "messages": len(records),
        "per_second": round((len(records) - 1) / span, 1) if span else 0.0,
        "duplicates": len(records) - len(keys),
        "lost": max(expected - len(keys), unfinished),
        "first": times[0] if times else None,
        "last": times[-1] if times else None,
    }


def worker(*args: str, **env: str) -> subprocess.Popen:
    """A process of manage.py; its retention job is off (dispatch_prune prunes beside it)."""
    return subprocess.Popen(
        [*manage_py(), *args],
        env=process_env(ALERT_RETENTION_SWEEP_SECONDS="0", **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        try:
            _, errors = process.communicate(timeout=WORKER_TIMEOUT)
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            raise RuntimeError(f"a worker took more than {WORKER_TIMEOUT} s") from None
        if process.returncode != 0:
            raise RuntimeError(f"a worker exited with {process.returncode}: {errors[-2000:]}")


def deliver_with_workers(template: Alert, count: int, *, workers: int) -> dict:
    """`workers` worker processes (`run_worker --batch`: send what is due, then exit) against
    `count` deliveries."""
    queue_fill(template, count)
    template.deliveries.update(status=S.SEND_SUCCESS)  # the template's own are not part of it
    connections.close_all()  # SQLite: the workers write the file; this process holds nothing open
    finish([worker("run_worker", "--batch", "--interval", "0.1") for _ in range(workers)])
    return outbox_count(count)


def deliver_naive(template: Alert, count: int) -> dict:
    from .naive import deliver_one

    queue_fill(template, count)
    template.deliveries.update(status=S.SEND_SUCCESS)
    for delivery_id in Delivery.objects.filter(status=S.READY_TO_SEND).values_list("pk", flat=True):
        deliver_one.enqueue(delivery_id)
    connections.close_all()
    finish([worker("db_worker", "--batch", "--no-startup-delay", "--interval", "0.1")])
    return outbox_count(count)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def worker_rss(template: Alert) -> dict:
    """A long-running worker (not --batch): its resident memory once 10,000 deliveries are sent and
    once all 100,000 are."""
    queue_fill(template, RSS_DELIVERIES)
    template.deliveries.update(status=S.SEND_SUCCESS)
    connections.close_all()
    process = worker("run_worker", "--interval", "0.2")
    first = last = None
    deadline = time.monotonic() + WORKER_TIMEOUT
    try:
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.25)
            done = Delivery.objects.exclude(status=S.READY_TO_SEND).count() - template.deliveries.count()
            if first is None and done >= RSS_FIRST:
                first = rss_mb(process.pid)
            if done >= RSS_DELIVERIES:
                last = rss_mb(process.pid)
                break
    finally:
        process.terminate()
        process.wait(timeout=60)
        connections.close_all()
    if first is None or last is None:
        raise RuntimeError(f"the worker did not send {RSS_DELIVERIES} deliveries in {WORKER_TIMEOUT} s")
    counted = outbox_count(RSS_DELIVERIES)
    return {
        "name": "worker_rss",
        "deliveries": RSS_DELIVERIES,
        "rss_mb_10k": round(first, 1),
        "rss_mb_100k": round(last, 1),
        "growth": round(last / first - 1, 3),
        "per_second": counted["per_second"],
    }


def old_history(count: int) -> None:
    """`count` finished alerts (one delivery each) older than ALERT_RETENTION_DAYS."""
    workspace_id = Alert.objects.values_list("workspace_id", flat=True).first()
    alerts = Alert.objects.bulk_create(
        [Alert(workspace_id=workspace_id, title=f"old {n}", source="old") for n in range(count)],
        batch_size=2000,
    )
    Delivery.objects.bulk_create(
        [Delivery(alert=a, channel="email", address="old@example.com", status=S.SEND_SUCCESS) for a in alerts],
        batch_size=2000,
    )
    Alert.objects.filter(source="old").update(
        created_at=timezone.now() - timedelta(days=settings.ALERT_RETENTION_DAYS + 1)
    )
    statistics_update(Alert, Delivery, vacuum=True)


def dispatch_prune(template: Alert) -> dict:
    """One worker sending DELIVERIES while a thread of this process prunes a backlog of PRUNED_ALERTS
    old alerts as the worker's retention job does (alerts_prune, a pause after each batch), from
    before the first message until the worker is done; the rate counts the messages sent while
    pruning ran. (At a tenth of the database's time, the whole backlog takes longer than the
    sending: the pruner stops with the worker.) Against the same worker just before, without."""
    baseline = deliver_with_workers(template, DELIVERIES, workers=1)
    queue_fill(template, DELIVERIES)
    template.deliveries.update(status=S.SEND_SUCCESS)
    old_history(PRUNED_ALERTS)
    window: dict = {"pruned": 0}
    stop = threading.Event()

    def prune():
        try:
            window["start"] = timezone.now()
            while not stop.is_set():  # as the worker's retention job does (alerts.worker.PeriodicJob)
                started = time.monotonic()
                went = alerts_prune()
                if not went:
                    break
                window["pruned"] += went
                stop.wait((time.monotonic() - started) * RETENTION_PAUSE_FACTOR)
            window["end"] = timezone.now()
        finally:
            connection.close()

    connections.close_all()
    pruner = threading.Thread(target=prune)
    pruner.start()
    process = worker("run_worker", "--batch", "--interval", "0.1")
    try:
        finish([process])
    finally:
        stop.set()
        pruner.join()
    counted = outbox_count(DELIVERIES)
    records = outbox_read(limit=sys.maxsize)
    start, end = max(window["start"], counted["first"]), min(window["end"], counted["last"])
    during = sum(1 for r in records if start <= datetime.fromisoformat(r["sent_at"]) <= end)
    seconds = (end - start).total_seconds()
    per_second = round(during / seconds, 1) if seconds > 0 else 0.0
    return {
        "name": "dispatch_prune",
        "deliveries": DELIVERIES,
        "old_alerts": PRUNED_ALERTS,
        "pruned_alerts": window["pruned"],
        "per_second_while_pruning": per_second,
        "per_second_without": baseline["per_second"],
        "ratio": round(per_second / baseline["per_second"], 3),
        "lost": counted["lost"],
    }
