"""Daily limits on text messages and calls per account (D9), and the counters they are checked
against."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contacts.models import Account
from contacts.versioning import Versioned

from .alerts import Channel
from .workspaces import Region


class AlertLimit(Versioned):
    """Daily limits per account and region (D9); empty means unlimited. Its version guards the
    Alert Resources form."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="alert_limits", verbose_name=_("account")
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region"))
    max_sms_per_day = models.PositiveIntegerField(_("Maximum Alert SMS Messages Per Day"), null=True, blank=True)
    max_voice_per_day = models.PositiveIntegerField(_("Maximum Alert Phone Calls Per Day"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        verbose_name = _("alert limit")
        verbose_name_plural = _("alert limits")
        constraints = [models.UniqueConstraint(fields=["account", "region"], name="alert_limit_unique")]

    def __str__(self):
        return f"{self.account} / {self.region}"


class UsageCounter(models.Model):
    """Text messages and phone calls taken per account, region and day (D9). Units are taken by one
    conditional UPDATE, so two workers can never both take the last one."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", verbose_name=_("account"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    day = models.DateField(_("day"))
    used = models.PositiveIntegerField(_("used"), default=0)

    class Meta:
        verbose_name = _("usage counter")
        verbose_name_plural = _("usage counters")
        constraints = [models.UniqueConstraint(fields=["account", "region", "channel", "day"], name="usage_unique")]

    def __str__(self):
        return f"{self.account} {self.region} {self.channel} {self.day}: {self.used}"
