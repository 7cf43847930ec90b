"""The scale-out smoke test (`manage.py smoke_scale_out`, run by .ci/run on PostgreSQL): the
deployment of the README's *Deploying* section, gunicorn plus two workers (`run_worker`) against one
database, takes alerts through the HTTP API and delivers each exactly once.

It posts ALERTS alerts (each to one recipient by email and text message, so twice as many
deliveries, each with a title of its own), waits until every delivery is final, then checks: every
POST answered 202; every delivery SEND_SUCCESS; every (title, channel) exactly once in the outbox,
the record of what was sent (its records name no delivery, hence the titles): no duplicate, none
lost. Everything must be done within the time box; the processes are always stopped."""

import json
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

from django.db.models import Count

from alerts.api_tokens import api_token_create
from alerts.models import Alert, Delivery, Membership, Region, Workspace
from contacts.models import Account, ContactMethod, Principal

from .serving import GUNICORN_OPTIONS, alert_body, gunicorn_serving, processes, requests_post, workers_start
from .world import process_env

ALERTS = 1000  # × email and sms = 2,000 deliveries
RECIPIENTS = 10
WORKERS = 2
CLIENTS = 8
CHANNELS = ("email", "sms")
TITLE = re.compile(r"\bsmoke-(\d{5})\b")


class SmokeFailed(Exception):
    """The deployment lost, repeated or refused something, or ran out of time: the message says what."""


def smoke(*, say, timeout: float = 180.0, alerts: int = ALERTS) -> None:
    """Run the smoke test against the current (throwaway) database; `say` prints a line. Raises
    SmokeFailed naming what went wrong."""
    started = time.monotonic()
    deadline = started + timeout
    names, token = _world()
    outbox = Path(tempfile.mkdtemp(prefix="smoke-outbox-")) / "outbox.jsonl"
    env = process_env(
        DJANGO_SETTINGS_MODULE="config.settings",
        OUTBOX_PATH=str(outbox),
        SMS_PROVIDER="outbox",
        VOICE_PROVIDER="outbox",
        SMTP_HOST="",
        MAIL_BACKEND="contacts.messaging.outbox.OutboxEmailBackend",
    )
    titles = [f"smoke-{i:05}" for i in range(alerts)]
    bodies = [alert_body(title=t, recipient=names[i % len(names)], channels=CHANNELS) for i, t in enumerate(titles)]
    with gunicorn_serving(env) as server, processes(*workers_start(env, count=WORKERS)) as workers:
        url = server.url
        say(f"gunicorn config.wsgi {' '.join(GUNICORN_OPTIONS)} at {url}; {WORKERS} workers (run_worker)")
        posted = requests_post(
            url,
            "/api/v1/alerts",
            bodies,
            headers={"Authorization": f"Bearer {token}"},
            clients=CLIENTS,
            idempotency_keys=titles,
            deadline=deadline,
        )
        say(
            f"posted {alerts} alerts ({alerts * len(CHANNELS)} deliveries) in {posted.seconds:.1f} s"
            f" from {CLIENTS} clients: {dict(sorted(posted.statuses.items()))}, errors {posted.errors}"
        )
        if posted.errors:
            failures = dict(posted.failures)
            raise SmokeFailed(f"the API refused or dropped {posted.errors} requests: {failures} {posted.samples}")
        statuses = _wait_final(alerts * len(CHANNELS), deadline=deadline, workers=workers)
    delivered = time.monotonic() - started
    say(f"all deliveries final {delivered:.1f} s after the start: {statuses}")
    _deliveries_check(titles, statuses)
    _outbox_check(titles, outbox, say)
    # Who sent what: a claim names the host and process id, then a suffix of its own (README: Deploying).
    owners = Counter(owner.rsplit(":", 1)[0] for owner in Delivery.objects.values_list("lease_owner", flat=True))
    if any(owners):
        say("sent by process " + ", ".join(f"{process}: {n}" for process, n in sorted(owners.items())))
    say(f"scale-out smoke passed in {time.monotonic() - started:.1f} s: no duplicate, none lost")


def _world() -> tuple[list[str], str]:
    """An account, its workspace, RECIPIENTS members with an activated email and mainland mobile,
    and an API token of the workspace."""
    region = Region.objects.create(code="cn-hangzhou", name="China (Hangzhou)")
    account = Account.objects.create(name="smoke", uid="9999000011113333", site="international")
    workspace = Workspace.objects.create(account=account, region=region, name="smoke_ws")
    names = []
    for i in range(RECIPIENTS):
        principal = Principal.objects.create(
            account=account,
            kind="user",
            name=f"oncall-{i:02}",
            phone=f"+861380013{i:04}",
            email=f"oncall-{i:02}@example.com",
        )
        Membership.objects.create(workspace=workspace, principal=principal)
        for channel in ("email", "phone"):
            ContactMethod.objects.create(principal=principal, channel=channel, status="activated")
        names.append(principal.name)
    _, raw = api_token_create(workspace=workspace, name="smoke")
    return names, raw


def _wait_final(expected: int, *, deadline: float, workers) -> dict[str, int]:
    """Deliveries by status once none is ready to send and all `expected` exist; SmokeFailed when
    the time box ends first or a worker exits."""
    while True:
        statuses = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).order_by("status"))
        total = sum(statuses.values())
        if total >= expected and not statuses.get(Delivery.Status.READY_TO_SEND):
            return statuses
        for worker in workers:
            if worker.popen.poll() is not None:
                raise SmokeFailed(f"{worker.name} exited with status {worker.popen.returncode}:\n{worker.log_tail()}")
        if time.monotonic() > deadline:
            raise SmokeFailed(f"time is up with deliveries not final: {statuses} (of {expected})")
        time.sleep(0.5)


def _deliveries_check(titles: list[str], statuses: dict[str, int]) -> None:
    expected = len(titles) * len(CHANNELS)
    if statuses != {Delivery.Status.SEND_SUCCESS: expected}:
        raise SmokeFailed(f"expected {expected} deliveries SEND_SUCCESS and nothing else, found {statuses}")
    stored = Counter(Alert.objects.values_list("title", flat=True))
    if set(stored) != set(titles) or set(stored.values()) != {1}:
        repeated = sorted(t for t, n in stored.items() if n > 1)[:5]
        raise SmokeFailed(
            f"expected each of {len(titles)} alerts stored once; {len(stored)} titles, repeated {repeated}"
        )
    pairs = Counter(Delivery.objects.values_list("alert__title", "channel"))
    if len(pairs) != expected or set(pairs.values()) != {1}:
        raise SmokeFailed(
            f"expected one delivery per alert and channel; found {len(pairs)} pairs {Counter(pairs.values())}"
        )


def _outbox_check(titles: list[str], outbox: Path, say) -> None:
    """Every (title, channel) exactly once among the outbox's alert records."""
    sent: Counter = Counter()
    records = 0
    for line in outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []:
        record = json.loads(line)
        if record.get("kind") != "alert":
            continue
        records += 1
        found = TITLE.search(f"{record.get('subject', '')} {record.get('body', '')}")
        sent[(f"smoke-{found.group(1)}" if found else "?", record["channel"])] += 1
    wanted = {(t, c) for t in titles for c in CHANNELS}
    duplicates = {pair: n for pair, n in sent.items() if n > 1}
    lost = sorted(wanted - set(sent))
    unknown = sorted(set(sent) - wanted)
    say(
        f"outbox: {records} alert records for {len(titles)} titles × {'/'.join(CHANNELS)};"
        f" duplicates {sum(n - 1 for n in duplicates.values())}, lost {len(lost)}, unknown {len(unknown)}"
    )
    if duplicates or lost or unknown:
        raise SmokeFailed(
            f"the outbox does not hold each message exactly once: duplicates {list(duplicates)[:5]},"
            f" lost {lost[:5]}, unknown {unknown[:5]}"
        )
