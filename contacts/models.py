"""Accounts and their principals (RAM users and RAM roles), the people alerts are for."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from .versioning import Versioned


class DirectorySyncResult(models.TextChoices):
    OK = "ok", pgettext_lazy("directory sync", "OK")
    FAILED = "failed", pgettext_lazy("directory sync", "Failed")


class Account(models.Model):
    """An Alibaba Cloud account: the tenant that owns workspaces and principals."""

    class Site(models.TextChoices):
        CHINA = "china", _("Alibaba Cloud China Website")
        INTERNATIONAL = "international", _("Alibaba Cloud International Website")
        JAPAN = "japan", _("Alibaba Cloud Japan Website")

    name = models.CharField(_("name"), max_length=100, unique=True)
    uid = models.CharField(_("account ID"), max_length=32, unique=True)
    site = models.CharField(_("registration site"), max_length=20, choices=Site.choices)
    # Basic Receiving Management: the account-level recipient of messages about overdue
    # payments, service suspensions and upcoming releases (last stop of the email fallback, D6).
    basic_recipient_name = models.CharField(_("Basic Receiving Management recipient"), max_length=100, blank=True)
    basic_recipient_email = models.EmailField(_("recipient email"), blank=True)
    basic_recipient_phone = models.CharField(_("recipient mobile phone"), max_length=32, blank=True)
    # The profile of the Alibaba Cloud credentials file used to read this account's RAM directory
    # and workspaces; empty means the default credentials chain. Never a secret.
    credentials_profile = models.CharField(
        _("credentials profile"),
        max_length=64,
        blank=True,
        help_text=_("A profile of the Alibaba Cloud credentials file; empty for the default credentials chain."),
    )
    # Off for accounts that are not connected to Alibaba Cloud (the demo accounts): nothing then
    # ever calls the cloud for them. The state of the last sync is written by alerts.directory.
    directory_sync_enabled = models.BooleanField(
        _("sync the directory from Alibaba Cloud"),
        default=False,
        help_text=_(
            "Read RAM users, RAM roles, workspaces and their members from Alibaba Cloud with the credentials "
            "above (manage.py sync_directory, the periodic sync, Sync now)."
        ),
    )
    directory_synced_at = models.DateTimeField(_("last directory sync"), null=True, blank=True, editable=False)
    directory_sync_result = models.CharField(
        _("result of the last directory sync"),
        max_length=10,
        choices=DirectorySyncResult.choices,
        blank=True,
        editable=False,
    )
    directory_sync_message = models.CharField(_("directory sync message"), max_length=500, blank=True, editable=False)
    # {"users": {"added": 1, "changed": 0, "removed": 0}, "roles": {...}, ...} of the last good sync.
    directory_sync_summary = models.JSONField(_("directory sync summary"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.uid})"

    @property
    def is_china_site(self):
        """Only the China Website counts as China; every other site counts as international."""
        return self.site == self.Site.CHINA


class Language(models.TextChoices):
    """Alerting language of a contact (C3); Auto follows the account's registration site (C6)."""

    AUTO = "auto", _("Auto")
    CHINESE = "zh-hans", _("Chinese")
    ENGLISH = "en", _("English")


class Principal(Versioned):
    """A RAM user or RAM role of one account, with its contact profile. Its version guards the
    Edit form against lost updates (contacts.versioning)."""

    class Kind(models.TextChoices):
        USER = "user", _("RAM user")
        ROLE = "role", _("RAM role")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="principals", verbose_name=_("account"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    # The login name of a RAM user, or the role name of a RAM role.
    name = models.CharField(_("name"), max_length=128)
    display_name = models.CharField(_("display name"), max_length=128, blank=True)
    # The contact profile. Values are validated by the services (phones.phone_parse, C4/C5);
    # the status of each method is on ContactMethod.
    phone = PhoneNumberField(_("mobile phone number"), blank=True)
    email = models.EmailField(_("email address"), blank=True)
    language = models.CharField(_("alerting language"), max_length=10, choices=Language.choices, default=Language.AUTO)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    # RAM's own id: the UserId of a RAM user, the RoleId of a RAM role (what a cloud sign-in names).
    ram_id = models.CharField(_("RAM ID"), max_length=128, blank=True, db_index=True)
    # Set by the directory sync when the principal is gone from RAM: it is no longer listed and
    # receives nothing, but it is never deleted (its alerts and history stay). Cleared if it comes back.
    removed_at = models.DateTimeField(_("removed from RAM"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["last_synced_at", "version"])

    class Meta:
        verbose_name = _("principal")
        verbose_name_plural = _("principals")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "name"], name="principal_unique_name_per_account"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"

    @property
    def label(self):
        return self.display_name or self.name


class ContactMethod(models.Model):
    """One channel address of a principal (its phone number or its email address) and whether its
    owner has activated it (C7–C10). The address itself lives on the principal."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Mobile phone number")
        EMAIL = "email", _("Email address")

    class Status(models.TextChoices):
        WAITING_FOR_ACTIVATION = "waiting", _("Waiting for Activation")
        ACTIVATED = "activated", _("Activated")

    principal = models.ForeignKey(
        Principal, on_delete=models.CASCADE, related_name="contact_methods", verbose_name=_("principal")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING_FOR_ACTIVATION)
    # When the newest activation link was sent: the link's clock starts here, and a newer send
    # moves it, which makes every older link invalid (C8).
    link_sent_at = models.DateTimeField(_("activation link sent"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    # Why the newest activation message could not be sent (empty once one is sent).
    send_error = models.CharField(_("sending failed"), max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["send_error"])

    class Meta:
        verbose_name = _("contact method")
        verbose_name_plural = _("contact methods")
        constraints = [models.UniqueConstraint(fields=["principal", "channel"], name="contact_method_one_per_channel")]

    def __str__(self):
        return f"{self.principal} {self.get_channel_display()}: {self.value}"

    @property
    def value(self):
        """The address this method stands for, in its stored form (E.164 or lower-case domain)."""
        raw = self.principal.phone if self.channel == self.Channel.PHONE else self.principal.email
        return str(raw) if raw else ""

    @property
    def is_activated(self):
        return self.status == self.Status.ACTIVATED


class ActivationMessage(models.Model):
    """One activation message sent: the log the resend limits count (C10). It records the address
    and the principal it went to and outlives its method (a cleared value deletes the method), so
    the limits hold per address and per contact across edits."""

    method = models.ForeignKey(
        ContactMethod,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activation_messages",
        verbose_name=_("contact method"),
    )
    principal = models.ForeignKey(
        Principal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activation_messages",
        verbose_name=_("principal"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=ContactMethod.Channel.choices, blank=True)
    # As sent: E.164 for a phone number, the stored form of an email address.
    address = models.CharField(_("address"), max_length=254, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("sent by")
    )

    class Meta:
        verbose_name = _("activation message")
        verbose_name_plural = _("activation messages")
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.address} @ {self.sent_at:%Y-%m-%d %H:%M:%S}"


class RamDirectoryEntry(models.Model):
    """What the account's RAM directory says about a principal (C12): loaded by
    `import_ram_directory` or edited by support staff, applied to the contact at its next sign-in."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="directory", verbose_name=_("account"))
    kind = models.CharField(_("type"), max_length=10, choices=Principal.Kind.choices)
    name = models.CharField(_("name"), max_length=128)
    display_name = models.CharField(_("display name"), max_length=128, blank=True)
    # As RAM gives them (e.g. "86-13912345678"); validated when applied.
    phone = models.CharField(_("mobile phone number"), max_length=40, blank=True)
    email = models.CharField(_("email address"), max_length=254, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The directory values last applied to the contact: only a value that differs from these has
    # changed outside the console, so a sign-in never undoes an administrator's edit.
    applied_phone = models.CharField(_("phone last applied"), max_length=40, null=True, blank=True, editable=False)
    applied_email = models.CharField(_("email last applied"), max_length=254, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("RAM directory entry")
        verbose_name_plural = _("RAM directory")
        ordering = ["account", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["account", "kind", "name"], name="directory_unique_name")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"


class ProviderProblem(models.Model):
    """A problem of the operator's own provider set-up (a bad AccessKey, a missing or unapproved sign
    name or template, an empty balance…) seen when a message was refused for it. Support staff see
    every open one at once (the admin index, the health check); the next message the provider
    takes on that channel clears it."""

    channel = models.CharField(_("channel"), max_length=10, unique=True)
    provider = models.CharField(_("provider"), max_length=40)
    code = models.CharField(_("code"), max_length=80)
    message = models.TextField(_("message"), blank=True)
    since = models.DateTimeField(_("since"))
    last_seen = models.DateTimeField(_("last seen"))
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)

    class Meta:
        verbose_name = _("provider problem")
        verbose_name_plural = _("provider problems")
        ordering = ["since"]

    def __str__(self) -> str:
        return f"{self.provider} {self.channel}: {self.code}"
