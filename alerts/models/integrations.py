"""How alerts come in and go out beyond the console: API tokens (I1, I2) and the workspace's custom
webhook (D4)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contacts.versioning import Versioned

from .workspaces import Workspace


class WorkspaceWebhook(Versioned):
    """The workspace's custom webhook service (D4): alerts for numbers outside the Chinese mainland
    are pushed here, signed with the secret, and the service forwards them to the number. Its
    version guards the URL form; its history (never the secret) says who changed it."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="webhook", verbose_name=_("workspace")
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=128)

    history = HistoricalRecords(excluded_fields=["secret", "version"])

    class Meta:
        verbose_name = _("custom webhook")
        verbose_name_plural = _("custom webhooks")

    def __str__(self):
        return f"{self.workspace}: {self.url}"


class ApiToken(models.Model):
    """A workspace's token for the alert API (I1) or for an Alertmanager receiver (I2). Only a
    SHA-256 of the token is stored: tokens are long random strings, so a slow hash adds nothing."""

    class Kind(models.TextChoices):
        API = "api", _("Alert API")
        ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager receiver")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("workspace")
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.API)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, help_text=_("The first characters, to recognise a token."))
    digest = models.CharField(_("SHA-256"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("created by")
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Alertmanager receivers: where each alert of a group goes (I2).
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    send_resolved = models.BooleanField(_("send resolved notifications"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None
