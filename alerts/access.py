"""The one access gate for Alert Settings (rules A1–A4).

`workspace_permissions()` is the plain function every caller uses (views through
`WorkspaceAccessMixin`, later services and the API). It answers which alert permissions an
identity holds in one workspace; an empty set means no access at all.
"""

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import render
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .models import FULL_ACCESS_POLICY, Identity, Membership, Workspace


class Perm(models.TextChoices):
    VIEW_ALERT_RESOURCES = "view_alert_resources", _("view alert resources")
    SET_ALERT_LIMITS = "set_alert_limits", _("set the maximum number of alerts")
    VIEW_CONTACTS = "view_contacts", _("view contacts")
    # Not a grantable permission of its own: held by those with full access (A1) and by custom
    # roles with all three permissions. `view contacts` alone is read-only (A3).
    MANAGE_CONTACTS = "manage_contacts", _("edit contacts")


CUSTOM_ROLE_FIELDS = {
    "can_view_alert_resources": Perm.VIEW_ALERT_RESOURCES,
    "can_set_alert_limits": Perm.SET_ALERT_LIMITS,
    "can_view_contacts": Perm.VIEW_CONTACTS,
}
GRANTABLE = frozenset(CUSTOM_ROLE_FIELDS.values())
FULL = frozenset(Perm)
NONE = frozenset()

# What the 403 page names as the ways in (A4).
GRANTING_ROLES = [
    _("the Alibaba Cloud account owner"),
    _("a RAM user with the AliyunDataWorksFullAccess policy"),
    _("a tenant administrator"),
    _("a security administrator"),
    _("a custom role with the permissions view alert resources, set the maximum number of alerts and view contacts"),
]


def identity_of(user):
    """The identity a signed-in user acts as, or None (anonymous, or a sign-in with no identity)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return Identity.objects.select_related("account", "principal").get(user=user)
    except ObjectDoesNotExist:
        return None


def workspace_permissions(identity, workspace):
    """The alert permissions `identity` holds in `workspace` (A1–A3); empty means no access."""
    if identity is None or workspace is None or workspace.account_id != identity.account_id:
        return NONE
    if identity.is_owner:
        return FULL
    principal = identity.principal
    if not workspace.memberships.filter(principal=principal).exists():
        return NONE  # A2: only members, whatever their roles
    # A RAM role that carries the full-access policy is treated like a RAM user with it: in RAM a
    # role's policies act for whoever assumes it.
    if principal.policies.filter(policy_name=FULL_ACCESS_POLICY).exists() or principal.tenant_roles.exists():
        return FULL
    granted = set()
    for role in principal.custom_roles.filter(account_id=identity.account_id).values(*CUSTOM_ROLE_FIELDS):
        granted.update(perm for field, perm in CUSTOM_ROLE_FIELDS.items() if role[field])
    if GRANTABLE <= granted:
        return FULL
    return frozenset(granted)


def is_member(*, workspace=None):
    """An Exists() expression for querysets of principals: member of `workspace`, or of any
    workspace when None. Membership is what the gate reads, so the expression lives here."""
    memberships = Membership.objects.filter(principal=OuterRef("pk"))
    if workspace is not None:
        memberships = memberships.filter(workspace=workspace)
    return Exists(memberships)


def membership_of(workspace):
    """A Subquery expression for querysets of principals: the id of their membership of `workspace`,
    or None. What a select list should use rather than is_member(workspace=...): PostgreSQL plans an
    EXISTS there as one hash of every membership of the workspace (a scan of them all, whatever the
    LIMIT), and this as an index probe for each row returned."""
    return Subquery(Membership.objects.filter(workspace=workspace, principal=OuterRef("pk")).values("pk")[:1])


def workspaces_visible_to(identity):
    return Workspace.objects.visible_to(identity).select_related("region", "account", "alternate_contact")


def workspaces_granting(identity, permission):
    """The workspaces where `identity` holds `permission`."""
    return [w for w in workspaces_visible_to(identity) if permission in workspace_permissions(identity, w)]


class WorkspaceAccessMixin(AccessMixin):
    """Loads the workspace named in the URL (`workspace_id`) through the narrowed queryset and
    lets the request through only with `required_permission`.

    Anonymous visitors are sent to sign in; a signed-in identity that fails gets 403 with the
    page that names the roles that would grant access. A workspace of another account and one
    that does not exist give the same 403, so an id in a URL reveals nothing (A4).
    """

    required_permission = Perm.VIEW_CONTACTS  # None: any alert permission opens the page

    @cached_property
    def identity(self):
        return identity_of(self.request.user)

    def has_permission(self):
        self.workspace = workspaces_visible_to(self.identity).filter(pk=self.kwargs["workspace_id"]).first()
        self.permissions = workspace_permissions(self.identity, self.workspace)
        if self.required_permission is None:
            return bool(self.permissions)
        return self.required_permission in self.permissions

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not self.has_permission():
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)

    def handle_no_permission(self):
        if not self.request.user.is_authenticated:
            return super().handle_no_permission()
        return render(
            self.request,
            "403.html",
            {"granting_roles": GRANTING_ROLES, "has_identity": self.identity is not None},
            status=403,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(workspace=self.workspace, permissions=self.permissions, identity=self.identity, Perm=Perm)
        return context
