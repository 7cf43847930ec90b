"""Prometheus metrics at /metrics, computed from the database at each scrape.

Every web process and worker shares one database, so the numbers come from it (one custom
Collector) rather than from counters in each process's memory: whichever web process Prometheus
reaches, the answer is the same. Each family is one query over indexed columns (`delivery_status_
channel`, `delivery_due`, `delivery_retried`, `alert_source`). Counts cover the history that is
kept (ALERT_RETENTION_DAYS), so they are gauges: they drop when old history is pruned.

The endpoint exists only when METRICS_TOKEN is set (404 otherwise) and answers 401 without it,
given as `Authorization: Bearer …` or `?token=…`.
"""

import hmac
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, F, Min, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from contacts.models import ProviderProblem

from .health import workers_seen
from .models import Alert, Channel, Delivery, WorkerHeartbeat

PREFIX = "alert_contacts_"
CHANNELS = list(Channel.values)
STATUSES = list(Delivery.Status.values)


def _by_channel(name: str, documentation: str, rows: Iterable[tuple[str, int | None]]) -> GaugeMetricFamily:
    """One gauge per channel, 0 for a channel without rows (the series never disappear)."""
    values = dict.fromkeys(CHANNELS, 0) | {channel: value or 0 for channel, value in rows}
    family = GaugeMetricFamily(PREFIX + name, documentation, labels=["channel"])
    for channel, value in sorted(values.items()):
        family.add_metric([channel], value)
    return family


class DatabaseCollector(Collector):
    """Reads the deliveries, alerts, heartbeats and provider problems at each scrape."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield self._deliveries()
        due = Delivery.objects.filter(status=Delivery.Status.READY_TO_SEND, next_attempt_at__lte=now)
        queue = due.aggregate(depth=Count("pk"), oldest=Min("next_attempt_at"))
        yield GaugeMetricFamily(
            PREFIX + "queue_depth", "Deliveries ready to send and due now (claimed ones included).", queue["depth"]
        )
        oldest = (now - queue["oldest"]).total_seconds() if queue["oldest"] else 0.0
        yield GaugeMetricFamily(
            PREFIX + "queue_oldest_age_seconds",
            "Seconds the longest-waiting due delivery has been due (since it was accepted or its retry time).",
            max(oldest, 0.0),
        )
        retried = (
            Delivery.objects.filter(attempts__gt=1)
            .order_by()
            .values_list("channel")
            .annotate(retries=Sum(F("attempts") - 1))
        )
        yield _by_channel("delivery_retries", "Attempts beyond the first, by channel.", retried)
        fallbacks = (
            Delivery.objects.filter(replaces__isnull=False).order_by().values_list("channel").annotate(Count("pk"))
        )
        yield _by_channel(
            "delivery_fallbacks", "Deliveries that replace another (fallback, D6), by channel.", fallbacks
        )
        over = (
            Delivery.objects.filter(status=Delivery.Status.SEND_OVERLIMIT)
            .order_by()
            .values_list("channel")
            .annotate(Count("pk"))
        )
        yield _by_channel("deliveries_over_limit", "Deliveries refused by a daily limit (D9), by channel.", over)
        yield from self._workers(now)
        sources = GaugeMetricFamily(PREFIX + "alerts", "Alerts accepted, by source.", labels=["source"])
        for source, count in Alert.objects.order_by().values_list("source").annotate(Count("pk")):
            sources.add_metric([source], count)
        yield sources
        yield GaugeMetricFamily(
            PREFIX + "provider_problems_open",
            "Open provider problems (the operator's set-up refuses messages; GET /health lists them).",
            ProviderProblem.objects.count(),
        )

    @staticmethod
    def _deliveries() -> GaugeMetricFamily:
        counts = {(c, s): 0 for c in CHANNELS for s in STATUSES}
        for status, channel, count in (
            Delivery.objects.order_by().values_list("status", "channel").annotate(Count("pk")).iterator()
        ):
            counts[(channel, status)] = count
        family = GaugeMetricFamily(
            PREFIX + "deliveries", "Deliveries by channel and status.", labels=["channel", "status"]
        )
        for (channel, status), count in sorted(counts.items()):
            family.add_metric([channel, status], count)
        return family

    @staticmethod
    def _workers(now: datetime) -> Iterator[Metric]:
        seen = GaugeMetricFamily(
            PREFIX + "worker_last_seen_seconds", "Seconds since each worker's last heartbeat.", labels=["worker"]
        )
        for worker_id, seen_at in WorkerHeartbeat.objects.values_list("worker_id", "seen_at"):
            seen.add_metric([worker_id], max((now - seen_at).total_seconds(), 0.0))
        yield seen
        yield GaugeMetricFamily(
            PREFIX + "workers_seen", "Workers seen within WORKER_SEEN_SECONDS (what /readyz asks for).", workers_seen()
        )


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(DatabaseCollector())


def token_given(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.GET.get("token", "")


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """GET /metrics: the Prometheus text format, for the holder of METRICS_TOKEN."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404("metrics are off")
    if not hmac.compare_digest(token_given(request).encode(), expected.encode()):
        response = HttpResponse("A valid metrics token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_PLAIN_0_0_4)
