"""Tenancy: regions, workspaces, membership, the grants the access gate reads (A1–A3) and the
console identities that sign-ins act as (T2)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contacts.models import Account, Principal

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
        is a member of for a principal; never one removed from DataWorks. Nothing of another account, ever (A2)."""
        if identity is None:
            return self.none()
        qs = self.filter(account_id=identity.account_id, removed_at__isnull=True)
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

    # DataWorks' own id of the workspace (ListProjects), set by the directory sync.
    dataworks_id = models.BigIntegerField(_("DataWorks ID"), null=True, blank=True)
    # Set by the directory sync when DataWorks no longer lists the workspace: it no longer opens,
    # its alerts and history stay. Cleared if it is listed again.
    removed_at = models.DateTimeField(_("removed from DataWorks"), null=True, blank=True)

    objects = WorkspaceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="workspace_unique_name_per_account"),
            models.UniqueConstraint(fields=["account", "dataworks_id"], name="workspace_unique_dataworks_id"),
        ]

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
    # The member's workspace-level roles in DataWorks (role codes from ListProjectMembers, e.g.
    # role_project_admin), kept by the directory sync. Shown to support staff; the access gate
    # reads the RAM policy and the tenant roles (A1), not these.
    dataworks_roles = models.JSONField(_("DataWorks roles"), default=list, blank=True)

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
