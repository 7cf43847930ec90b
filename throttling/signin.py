"""Sign-in throttling (T2, E1) on top of django-axes: how failures are counted, and the page a
locked-out sign-in gets. Settings: LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT,
LOGIN_LOCKOUT_MINUTES (see config/settings.py and the README)."""

import math
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers


def cool_off(request=None):
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


class SignInThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with two allowances instead of one: LOGIN_FAILURE_LIMIT failures of
    one username from one address, and LOGIN_ADDRESS_FAILURE_LIMIT failures from one address in
    all (whatever usernames it tries). Never per username alone: that would let anyone lock a user
    out from everywhere for as long as they keep trying."""

    def get_failures(self, request, credentials=None):
        """The number axes compares with AXES_FAILURE_LIMIT: the failures of this username from
        this address, or those of the whole address scaled to that limit, whichever is closer to
        a lockout. One query."""
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        totals = attempts.aggregate(
            address=Sum("failures_since_start"), pair=Sum("failures_since_start", filter=Q(username=username))
        )
        address_scaled = (totals["address"] or 0) * settings.AXES_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(totals["pair"] or 0, address_scaled)

    def user_logged_in(self, sender, request, user, **kwargs):
        """Whoever proves the password forgets their own earlier typos at this address, but not the
        failures of other usernames from it (AXES_RESET_ON_SUCCESS would forget both, so one valid
        account would let an address try passwords forever)."""
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(username=user.get_username(), ip_address=request.axes_ip_address).delete()


def lockout_response(request, original_response=None, credentials=None):
    """Our page for a locked-out sign-in (console or admin): HTTP 429, in the visitor's language,
    saying when signing in is possible again. Every refused attempt restarts the cool-off
    (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so that moment is this attempt + the cool-off."""
    cool_off = get_cool_off(request)
    until = timezone.localtime(request.axes_attempt_time + cool_off)
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
    admin = request.path.startswith(reverse("admin:index"))
    context = {
        "until": until,
        "until_text": f"{until:%Y-%m-%d %H:%M} (UTC{until:%:z})",
        "minutes": math.ceil(seconds / 60),
        "back_url": reverse("admin:login") if admin else reverse("login"),
    }
    response = render(request, "throttling/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response
