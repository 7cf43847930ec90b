"""Alerts and their deliveries: what was accepted, and each message it became (D1–D8)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contacts.models import Principal

from .workspaces import Workspace


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    VOICE = "voice", _("Phone call")
    WEBHOOK = "webhook", _("Custom webhook")


class Alert(models.Model):
    """One accepted alert. It and all its deliveries are written before anything is sent (D8)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("workspace")
    )
    rule = models.CharField(_("rule"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"), blank=True)
    severity = models.CharField(_("severity"), max_length=20, blank=True)
    source = models.CharField(_("source"), max_length=40, default="console")
    channels = models.JSONField(_("channels"), default=list)
    recipients = models.JSONField(_("recipients"), default=list)
    created_at = models.DateTimeField(_("accepted at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("accepted from")
    )
    # The API's Idempotency-Key: a retried POST with the same key returns this alert (I1).
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True)
    # SHA-256 of the request that used the key: the same key with another body is a conflict (I1).
    request_digest = models.CharField(_("request digest"), max_length=64, blank=True, editable=False)
    # A resolved notification (Alertmanager's status "resolved"): messages say so in their language.
    resolved = models.BooleanField(_("resolved"), default=False)
    # Recipients that were skipped (left the workspace, no longer exist), shown in history and the API.
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-pk"]
        # Intake by source, counted at each metrics scrape (alerts.metrics), reads this index alone.
        indexes = [models.Index(fields=["source"], name="alert_source")]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"],
                name="alert_idempotency_key",
                condition=models.Q(idempotency_key__isnull=False),
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"


class Delivery(models.Model):
    """One message of an alert to one recipient on one channel, with its place in the fallback chain."""

    class Status(models.TextChoices):
        READY_TO_SEND = "READY_TO_SEND", _("Ready to send")
        SEND_SUCCESS = "SEND_SUCCESS", pgettext_lazy("delivery status", "Sent")
        SEND_FAIL = "SEND_FAIL", _("Failed")
        SEND_OVERLIMIT = "SEND_OVERLIMIT", _("Over the daily limit")

    class Role(models.TextChoices):
        PRIMARY = "primary", _("Primary contact")
        ALTERNATE = "alternate", _("Alternate alert contact")
        ACCOUNT_RECIPIENT = "account", _("Basic Receiving Management recipient")
        WORKSPACE = "workspace", _("Workspace webhook")

    class Route(models.TextChoices):
        DIRECT = "direct", _("Direct")
        WEBHOOK = "webhook", _("Through the custom webhook")

    class ReceiptStatus(models.TextChoices):
        """What the provider says became of a sent text message or call (its delivery receipt)."""

        NONE = "", _("No receipt")
        ACCEPTED = "accepted", _("Accepted by the provider")
        DELIVERED = "delivered", _("Delivered to the phone")
        NOT_DELIVERED = "not_delivered", _("Not delivered")

    FINAL = (Status.SEND_SUCCESS, Status.SEND_FAIL, Status.SEND_OVERLIMIT)

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("alert"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    role = models.CharField(_("recipient role"), max_length=10, choices=Role.choices, default=Role.PRIMARY)
    principal = models.ForeignKey(
        Principal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("recipient"),
    )
    recipient_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    address = models.CharField(_("address used"), max_length=500, blank=True)
    route = models.CharField(_("route"), max_length=10, choices=Route.choices, default=Route.DIRECT)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # Indexed by `delivery_due` and `delivery_status_channel` below, both led by the status.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.READY_TO_SEND)
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_owner = models.CharField(_("claimed by"), max_length=64, blank=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    # D9: a direct text message or call takes one unit of the day's allowance exactly once; set in
    # the same transaction as the unit is taken, so a re-claim after a crash never takes another.
    unit_taken = models.BooleanField(_("daily unit taken"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The provider's id of the message (Alibaba Cloud: BizId, CallId) and its delivery receipt.
    provider_message_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    receipt_status = models.CharField(
        _("receipt"), max_length=20, choices=ReceiptStatus.choices, blank=True, default=ReceiptStatus.NONE
    )
    receipt_at = models.DateTimeField(_("receipt time"), null=True, blank=True)
    receipt_code = models.CharField(_("receipt code"), max_length=80, blank=True)
    receipt_message = models.CharField(_("receipt message"), max_length=500, blank=True)
    receipt_polled_at = models.DateTimeField(_("receipt last asked for"), null=True, blank=True)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fallbacks",
        verbose_name=_("fallback for"),
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["pk"]
        indexes = [
            # The claim (alerts.dispatch) and the queue's metrics: only deliveries ready to send are in
            # it, so a finished delivery costs it nothing and it stays as small as the queue.
            models.Index(
                fields=["next_attempt_at", "id"], name="delivery_due", condition=models.Q(status="READY_TO_SEND")
            ),
            # Receipts by the provider's id (alerts.receipts); most deliveries have none.
            models.Index(
                fields=["provider_message_id"], name="delivery_provider_id", condition=~models.Q(provider_message_id="")
            ),
            # The metrics' counts by status and channel (alerts.metrics) read this index alone.
            models.Index(fields=["status", "channel"], name="delivery_status_channel"),
            # Retries: only deliveries tried more than once are in it, so it stays small.
            models.Index(fields=["channel", "attempts"], name="delivery_retried", condition=models.Q(attempts__gt=1)),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient_name or self.address} ({self.status})"

    @property
    def is_final(self):
        return self.status in self.FINAL
