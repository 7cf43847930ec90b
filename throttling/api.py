"""Rate limit of bearer-token failures on /api/ per client address (I1).

The counts live in the database (ApiAuthFailure), the one store every web process and machine
shares: no cache table or other service to run. A request costs one indexed lookup before its
token is checked; only a failure writes."""

import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import ApiAuthFailure


def _window():
    return timedelta(seconds=settings.API_AUTH_FAILURE_WINDOW_SECONDS)


def api_auth_retry_after(*, ip_address):
    """Seconds until `ip_address` may present a token again, or None when it may now."""
    now = timezone.now()
    if not _blocked(ip_address, since=now - _window()):
        return None
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


def _blocked(ip_address, *, since):
    """Whether `ip_address` has used up its failures in a window started after `since`. Asked on
    every API request, so written by hand: building the query through the ORM costs more than the
    indexed lookup itself (the ORM query above reads the window of a blocked address)."""
    quote, field = connection.ops.quote_name, ApiAuthFailure._meta.get_field
    sql = (
        f"SELECT 1 FROM {quote(ApiAuthFailure._meta.db_table)}"
        f" WHERE {quote(field('ip_address').column)} = %s AND {quote(field('failures').column)} >= %s"
        f" AND {quote(field('window_started_at').column)} > %s"
    )
    params = [
        field("ip_address").get_db_prep_value(ip_address, connection),
        settings.API_AUTH_FAILURE_LIMIT,
        field("window_started_at").get_db_prep_value(since, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


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
