"""Regions, workspaces, membership and the grants the access gate reads (SPEC A1–A3)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contacts.models import Account, Principal
from contacts.versioning import Versioned

FULL_ACCESS_POLICY = "AliyunDataWorksFullAccess"


class Region(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_zh = models.CharField(_("Chinese name"), max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["position", "code"]

    def __str__(self):
        return self.localized_name

    @property
    def localized_name(self):
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name


class WorkspaceQuerySet(models.QuerySet):
    def visible_to(self, identity):
        """Workspaces the identity may open at all: all of its account's for the owner, the ones it
        is a member of for a principal. Nothing of another account, ever (A2)."""
        if identity is None:
            return self.none()
        qs = self.filter(account_id=identity.account_id)
        if identity.is_owner:
            return qs
        return qs.filter(memberships__principal_id=identity.principal_id)


class Workspace(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="workspaces", verbose_name=_("account"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="workspaces", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=64)
    display_name = models.CharField(_("display name"), max_length=128, blank=True)
    # C11: receives an alert when the primary contact's details are wrong; a member of the workspace.
    alternate_contact = models.ForeignKey(
        Principal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("alternate alert contact"),
    )

    objects = WorkspaceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="workspace_unique_name_per_account")]

    def __str__(self):
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("workspace")
    )
    principal = models.ForeignKey(
        Principal, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("principal")
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("workspace member")
        verbose_name_plural = _("workspace members")
        constraints = [models.UniqueConstraint(fields=["workspace", "principal"], name="membership_unique")]

    def __str__(self):
        return f"{self.principal} in {self.workspace}"

    def clean(self):
        if self.workspace_id and self.principal_id and self.workspace.account_id != self.principal.account_id:
            raise ValidationError(_("A workspace can only have members of its own account."))


class PolicyAttachment(models.Model):
    """A RAM policy attached to a principal (A1 reads AliyunDataWorksFullAccess)."""

    principal = models.ForeignKey(
        Principal, on_delete=models.CASCADE, related_name="policies", verbose_name=_("principal")
    )
    policy_name = models.CharField(_("policy"), max_length=128, default=FULL_ACCESS_POLICY)

    class Meta:
        verbose_name = _("RAM policy attachment")
        verbose_name_plural = _("RAM policy attachments")
        constraints = [models.UniqueConstraint(fields=["principal", "policy_name"], name="policy_unique")]

    def __str__(self):
        return f"{self.policy_name} → {self.principal}"


class TenantRoleGrant(models.Model):
    class Role(models.TextChoices):
        TENANT_ADMIN = "tenant_admin", _("Tenant administrator")
        SECURITY_ADMIN = "security_admin", _("Security administrator")

    principal = models.ForeignKey(
        Principal, on_delete=models.CASCADE, related_name="tenant_roles", verbose_name=_("principal")
    )
    role = models.CharField(_("tenant role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("tenant role grant")
        verbose_name_plural = _("tenant role grants")
        constraints = [models.UniqueConstraint(fields=["principal", "role"], name="tenant_role_unique")]

    def __str__(self):
        return f"{self.get_role_display()} → {self.principal}"


class CustomRole(models.Model):
    """An account's own role with some of the three alert permissions (A1, A3)."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="custom_roles", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=64)
    can_view_alert_resources = models.BooleanField(_("view alert resources"), default=False)
    can_set_alert_limits = models.BooleanField(_("set the maximum number of alerts"), default=False)
    can_view_contacts = models.BooleanField(_("view contacts"), default=False)
    principals = models.ManyToManyField(
        Principal, related_name="custom_roles", blank=True, verbose_name=_("principals")
    )

    class Meta:
        verbose_name = _("custom role")
        verbose_name_plural = _("custom roles")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="custom_role_unique_name")]

    def __str__(self):
        return self.name


class Identity(models.Model):
    """Links one console sign-in (a Django user) to the identity it acts as: the owner of an account
    (no principal) or one of the account's principals (T2)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity", verbose_name=_("sign-in")
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="identities", verbose_name=_("account"))
    principal = models.ForeignKey(
        Principal,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identities",
        verbose_name=_("principal"),
        help_text=_("Empty for the account owner."),
    )

    class Meta:
        verbose_name = _("console identity")
        verbose_name_plural = _("console identities")

    def __str__(self):
        return f"{self.user} as {self.principal or _('account owner')}"

    @property
    def is_owner(self):
        return self.principal_id is None

    def clean(self):
        if self.principal_id and self.account_id and self.principal.account_id != self.account_id:
            raise ValidationError({"principal": _("The principal must belong to the same account.")})


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
        SEND_SUCCESS = "SEND_SUCCESS", _("Sent")
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
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.READY_TO_SEND, db_index=True
    )
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
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient_name or self.address} ({self.status})"

    @property
    def is_final(self):
        return self.status in self.FINAL


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
