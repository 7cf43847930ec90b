"""Accounts and their principals (RAM users and RAM roles), the people alerts are for."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Principal(models.Model):
    """A RAM user or RAM role of one account."""

    class Kind(models.TextChoices):
        USER = "user", _("RAM user")
        ROLE = "role", _("RAM role")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="principals", verbose_name=_("account"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    # The login name of a RAM user, or the role name of a RAM role.
    name = models.CharField(_("name"), max_length=128)
    display_name = models.CharField(_("display name"), max_length=128, blank=True)

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
