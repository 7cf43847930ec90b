from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiAuthFailure(models.Model):
    """Bearer-token failures on /api/ from one client address in the current window (I1). One
    row per address; rows of finished windows are deleted when the next failure is recorded."""

    ip_address = models.GenericIPAddressField(_("IP address"), unique=True)
    failures = models.PositiveIntegerField(_("failures"), default=1)
    window_started_at = models.DateTimeField(_("window started at"), db_index=True)

    class Meta:
        verbose_name = _("API token failure")
        verbose_name_plural = _("API token failures")

    def __str__(self):
        return self.ip_address
