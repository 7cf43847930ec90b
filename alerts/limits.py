"""Daily limits of alert text messages and phone calls per account and region (D9)."""

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from contacts.versioning import StaleEdit, history_author_set, version_of

from .models import AlertLimit, Channel, UsageCounter

LIMITED = {Channel.SMS: "max_sms_per_day", Channel.VOICE: "max_voice_per_day"}


def limit_take(*, account_id, region_id, channel, day=None, count=1):
    """Take `count` units (one by default) of today's allowance, or as many as are left; returns how
    many were taken (0 when the limit is reached). Each take is one conditional UPDATE of the
    counter (compare and set), so concurrent workers can never together pass the limit."""
    day = day or timezone.localdate()
    if count <= 0:
        return 0
    counter = _counter(account_id=account_id, region_id=region_id, channel=channel, day=day)
    limit = (
        AlertLimit.objects.filter(account_id=account_id, region_id=region_id)
        .values_list(LIMITED[channel], flat=True)
        .first()
    )
    units = UsageCounter.objects.filter(pk=counter.pk)
    if limit is None:
        units.update(used=F("used") + count)
        return count
    while True:
        used = units.values_list("used", flat=True).get()
        take = min(count, limit - used)
        if take <= 0:
            return 0
        if units.filter(used=used).update(used=F("used") + take) == 1:
            return take
        # another worker took units in between: read again


def _counter(*, account_id, region_id, channel, day):
    lookup = {"account_id": account_id, "region_id": region_id, "channel": channel, "day": day}
    counter = UsageCounter.objects.filter(**lookup).first()
    if counter is None:
        try:
            with transaction.atomic():
                counter = UsageCounter.objects.create(**lookup)
        except IntegrityError:  # another worker created it first
            counter = UsageCounter.objects.get(**lookup)
    return counter


def usage_summary(*, account, region):
    """{channel: {"today": n, "month": n}} for text messages and phone calls."""
    today = timezone.localdate()
    rows = UsageCounter.objects.filter(account=account, region=region, day__gte=today.replace(day=1), day__lte=today)
    summary = {channel: {"today": 0, "month": 0} for channel in LIMITED}
    for row in rows.values("channel", "day").annotate(total=Sum("used")):
        entry = summary.setdefault(row["channel"], {"today": 0, "month": 0})
        entry["month"] += row["total"]
        if row["day"] == today:
            entry["today"] += row["total"]
    return summary


def alert_limit_set(*, account, region, max_sms_per_day, max_voice_per_day, by=None, version=None):
    """Set the daily limits of an account and region (D9). With `version` (the Alert Resources
    form's; 0 when it showed no limits yet), limits changed since are not touched: `StaleEdit`.
    Unchanged values write nothing."""
    with transaction.atomic():
        limit = AlertLimit.objects.select_for_update().filter(account=account, region=region).first()
        if version is not None and version != version_of(limit):
            raise StaleEdit(limit, version_of(limit))
        if limit is None:
            limit = AlertLimit(account=account, region=region)
        elif (limit.max_sms_per_day, limit.max_voice_per_day) == (max_sms_per_day, max_voice_per_day):
            return limit
        limit.max_sms_per_day, limit.max_voice_per_day = max_sms_per_day, max_voice_per_day
        history_author_set(limit, by=by)
        if limit.pk is None:
            try:
                with transaction.atomic():
                    limit.save()
            except IntegrityError:
                # Another first save came in between: this form did not see it.
                if version is None:
                    raise
                current = AlertLimit.objects.get(account=account, region=region)
                raise StaleEdit(current, current.version) from None
        else:
            limit.save()
    return limit
