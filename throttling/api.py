"""Rate limit of bearer-token failures on /api/ per client address (I1).

The counts live in the database (ApiAuthFailure), the one store every web process and machine
shares: no cache table or other service to run. A request costs one indexed lookup before its
token is checked; only a failure writes."""

import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import ApiAuthFailure


def _window():
    return timedelta(seconds=settings.API_AUTH_FAILURE_WINDOW_SECONDS)


def api_auth_retry_after(*, ip_address):
    """Seconds until `ip_address` may present a token again, or None when it may now."""
    now = timezone.now()
    started = (
        ApiAuthFailure.objects.filter(
            ip_address=ip_address, window_started_at__gt=now - _window(), failures__gte=settings.API_AUTH_FAILURE_LIMIT
        )
        .values_list("window_started_at", flat=True)
        .first()
    )
    if started is None:
        return None
    return max(1, math.ceil((started + _window() - now).total_seconds()))


def api_auth_failure_record(*, ip_address):
    """Count one failure of `ip_address` in its current window (a new window once the last one
    has passed). Conditional UPDATEs, so concurrent failures are all counted."""
    now = timezone.now()
    ApiAuthFailure.objects.filter(window_started_at__lte=now - _window()).delete()
    rows = ApiAuthFailure.objects.filter(ip_address=ip_address)
    if rows.update(failures=F("failures") + 1):
        return
    try:
        with transaction.atomic():
            ApiAuthFailure.objects.create(ip_address=ip_address, failures=1, window_started_at=now)
    except IntegrityError:  # another process started the window first
        rows.update(failures=F("failures") + 1)
