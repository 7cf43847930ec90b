"""The alert API under the production server (api_intake): gunicorn as the README's *Deploying*
section runs it (DEBUG off, 4 processes × 4 threads), 8 clients each with one keep-alive
connection posting `POST /api/v1/alerts` (one recipient, email and sms, an Idempotency-Key each),
against the framework floor served by the same gunicorn: a view that checks a bearer token and
stores one Alert row (alerts/benchmarks/urls.py).

Both sides run with one settings module (alerts/benchmarks/settings.py: the product's plus the
floor's URL), so they are measured under the identical processes, in alternating rounds so that a
neighbour's load on this shared machine falls on both. The API's only limit (failed token checks
per address, API_AUTH_FAILURE_LIMIT) counts failures, which the bench never makes: no limit is
raised for it."""

import hashlib
import os
import secrets

from django.db import connection

from alerts.api_tokens import api_token_create
from alerts.models import Alert, Membership
from contacts.models import ContactMethod, Principal

from .serving import Outcome, alert_body, cpu_seconds, group_pids, gunicorn_serving, requests_post
from .world import World, alerts_clear, process_env

CLIENTS = 8
WARMUP = 200  # requests per side before measuring (each gunicorn process connects, loads, compiles)
ROUNDS = 4  # API, floor, API, floor …: short rounds, so a neighbour's load falls on both sides
# Requests per side (over all rounds): ~10–20 s a side on this project's 2-core machines, where the
# floor answers about three times as many a second. Each gunicorn process serves well under the
# README's --max-requests (10,000 - 1,000 jitter), so none is recycled while measured.
REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "4000"))
FLOOR_REQUESTS = int(os.environ.get("BENCH_API_FLOOR_REQUESTS", "7000"))
RECIPIENT = "bench-api-recipient"


def measure(world: World) -> list[dict]:
    recipient = recipient_ensure(world)
    _, raw = api_token_create(workspace=world.workspace, name="bench-api")
    floor_raw = secrets.token_urlsafe(32)
    env = process_env(
        DJANGO_SETTINGS_MODULE="alerts.benchmarks.settings",
        BENCH_FLOOR_TOKEN_SHA256=hashlib.sha256(floor_raw.encode()).hexdigest(),
        BENCH_FLOOR_WORKSPACE_ID=str(world.workspace.pk),
    )
    sides = {
        "api": ("/api/v1/alerts", {"Authorization": f"Bearer {raw}"}),
        "floor": ("/bench/floor", {"Authorization": f"Bearer {floor_raw}"}),
    }
    totals = {side: Outcome() for side in sides}
    cpu = {side: 0.0 for side in sides}
    per_round = {"api": REQUESTS // ROUNDS, "floor": FLOOR_REQUESTS // ROUNDS}
    with gunicorn_serving(env) as server:
        for side, (path, headers) in sides.items():
            _post(server.url, path, headers, recipient=recipient, prefix=f"warm-{side}", count=WARMUP)
        for round_ in range(ROUNDS):
            for side, (path, headers) in sides.items():
                before = _server_cpu(server.pgid)
                count = per_round[side]
                outcome = _post(server.url, path, headers, recipient=recipient, prefix=f"{side}-{round_}", count=count)
                cpu[side] += _server_cpu(server.pgid) - before
                _merge(totals[side], outcome)
    api, floor = totals["api"], totals["floor"]
    cpu_ms = {side: cpu[side] * 1000 / totals[side].requests for side in sides}
    stored = Alert.objects.filter(source="api").exclude(title__startswith="warm-").count()
    assert api.errors or stored == api.requests, (stored, api.requests)
    alerts_clear()
    return [
        {
            "name": "api_intake",
            "requests": api.requests,
            "floor_requests": floor.requests,
            "per_second": round(api.per_second, 1),
            "floor_per_second": round(floor.per_second, 1),
            "ratio": round(api.per_second / floor.per_second, 2) if floor.per_second else None,
            "errors": api.errors + floor.errors,
            "p99_ms": round(api.percentile_ms(0.99), 1),
            "floor_p99_ms": round(floor.percentile_ms(0.99), 1),
            # Server CPU (gunicorn's processes and the database's server processes) per request:
            # what the machine's neighbours change least.
            "cpu_ms": round(cpu_ms["api"], 2),
            "floor_cpu_ms": round(cpu_ms["floor"], 2),
            "seconds": round(api.seconds, 1),
            "floor_seconds": round(floor.seconds, 1),
            "clients": CLIENTS,
            **({"error_samples": api.samples + floor.samples} if api.errors + floor.errors else {}),
            "database": connection.vendor,
        }
    ]


def _server_cpu(pgid: int) -> float:
    """CPU seconds used so far by gunicorn's processes and, on PostgreSQL, by the server processes
    of this database's other connections (gunicorn's; persistent, CONN_MAX_AGE)."""
    pids = group_pids(pgid)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pids += [pid for (pid,) in cursor.fetchall()]
    return cpu_seconds(pids)


def recipient_ensure(world: World) -> str:
    """A RAM user of the workspace with an activated email and mainland mobile: its alerts are
    planned as the deliveries of a real alert are."""
    principal, _ = Principal.objects.get_or_create(
        account=world.account,
        kind="user",
        name=RECIPIENT,
        defaults={"display_name": "Bench API", "phone": "+8613800138000", "email": "bench-api@example.com"},
    )
    Membership.objects.get_or_create(workspace=world.workspace, principal=principal)
    for channel in ("email", "phone"):
        ContactMethod.objects.update_or_create(principal=principal, channel=channel, defaults={"status": "activated"})
    return principal.name


def _post(url: str, path: str, headers: dict[str, str], *, recipient: str, prefix: str, count: int) -> Outcome:
    titles = [f"{prefix}-{i:06}" for i in range(count)]
    bodies = [alert_body(title=title, recipient=recipient) for title in titles]
    return requests_post(url, path, bodies, headers=headers, clients=CLIENTS, idempotency_keys=titles)


def _merge(total: Outcome, part: Outcome) -> None:
    total.requests += part.requests
    total.seconds += part.seconds
    total.statuses.update(part.statuses)
    total.failures.update(part.failures)
    total.latencies.extend(part.latencies)
    total.samples.extend(part.samples[: max(0, 5 - len(total.samples))])
