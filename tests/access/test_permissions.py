"""The gate function itself (rules A1–A3), on principals built for each case."""

import pytest

from alerts.access import FULL, Perm, workspace_permissions
from alerts.models import FULL_ACCESS_POLICY, CustomRole, Identity, Membership, PolicyAttachment, TenantRoleGrant


@pytest.fixture
def member(demo, django_user_model):
    """A fresh RAM user of the international account, a member of demo_workspace, and its identity."""
    account = demo["workspaces"]["demo_workspace"].account
    principal = account.principals.create(kind="user", name="probe")
    Membership.objects.create(workspace=demo["workspaces"]["demo_workspace"], principal=principal)
    user = django_user_model.objects.create_user("probe")
    identity = Identity.objects.create(user=user, account=account, principal=principal)
    return identity


def perms(identity, demo, name="demo_workspace"):
    return workspace_permissions(identity, demo["workspaces"][name])


def test_A1_member_without_grants_has_no_access(member, demo):
    assert perms(member, demo) == frozenset()


def test_A1_full_access_policy_opens_everything(member, demo):
    PolicyAttachment.objects.create(principal=member.principal, policy_name=FULL_ACCESS_POLICY)
    assert perms(member, demo) == FULL


def test_A1_other_policies_do_not_open(member, demo):
    PolicyAttachment.objects.create(principal=member.principal, policy_name="AliyunDataWorksReadOnlyAccess")
    assert perms(member, demo) == frozenset()


@pytest.mark.parametrize("role", [TenantRoleGrant.Role.TENANT_ADMIN, TenantRoleGrant.Role.SECURITY_ADMIN])
def test_A1_tenant_and_security_administrators(member, demo, role):
    TenantRoleGrant.objects.create(principal=member.principal, role=role)
    assert perms(member, demo) == FULL


def test_A1_custom_role_with_all_three_permissions_is_full(member, demo):
    role = CustomRole.objects.create(
        account=member.account,
        name="all",
        can_view_alert_resources=True,
        can_set_alert_limits=True,
        can_view_contacts=True,
    )
    role.principals.add(member.principal)
    assert Perm.MANAGE_CONTACTS in perms(member, demo)


def test_A1_three_permissions_spread_over_two_roles_add_up(member, demo):
    first = CustomRole.objects.create(account=member.account, name="a", can_view_alert_resources=True)
    second = CustomRole.objects.create(
        account=member.account, name="b", can_set_alert_limits=True, can_view_contacts=True
    )
    first.principals.add(member.principal)
    second.principals.add(member.principal)
    assert perms(member, demo) == FULL


@pytest.mark.parametrize(
    "field, expected",
    [
        ("can_view_contacts", {Perm.VIEW_CONTACTS}),
        ("can_view_alert_resources", {Perm.VIEW_ALERT_RESOURCES}),
        ("can_set_alert_limits", {Perm.SET_ALERT_LIMITS}),
    ],
)
def test_A3_partial_custom_role_gets_only_its_permissions(member, demo, field, expected):
    role = CustomRole.objects.create(account=member.account, name="partial", **{field: True})
    role.principals.add(member.principal)
    assert perms(member, demo) == frozenset(expected)
    assert Perm.MANAGE_CONTACTS not in perms(member, demo)


def test_A2_grants_need_membership(member, demo):
    PolicyAttachment.objects.create(principal=member.principal, policy_name=FULL_ACCESS_POLICY)
    assert perms(member, demo, "analytics_sg") == frozenset()


def test_A2_grants_never_cross_accounts(member, demo):
    TenantRoleGrant.objects.create(principal=member.principal, role=TenantRoleGrant.Role.TENANT_ADMIN)
    assert perms(member, demo, "cn_workspace") == frozenset()


def test_A2_owner_needs_no_membership_but_only_in_own_account(demo):
    owner = Identity.objects.get(user__username="owner")
    assert perms(owner, demo, "analytics_sg") == FULL
    assert perms(owner, demo, "cn_workspace") == frozenset()


def test_A2_anonymous_has_nothing(demo):
    assert perms(None, demo) == frozenset()
