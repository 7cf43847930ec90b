"""Custom roles at the edge of the gate (rules A1, A2, A3): two of the three permissions are not
enough to edit, and a custom role of another account counts for nothing."""

from itertools import combinations

import pytest
from django.urls import reverse

from alerts.access import CUSTOM_ROLE_FIELDS, GRANTABLE, Perm, workspace_permissions
from alerts.models import CustomRole, Identity, Membership


@pytest.fixture
def member(demo, django_user_model):
    """A fresh RAM user of the international account, a member of demo_workspace, able to sign in."""
    workspace = demo["workspaces"]["demo_workspace"]
    principal = workspace.account.principals.create(kind="user", name="probe")
    Membership.objects.create(workspace=workspace, principal=principal)
    user = django_user_model.objects.create_user("probe")
    return Identity.objects.create(user=user, account=workspace.account, principal=principal)


def grant(identity, account, name, fields):
    role = CustomRole.objects.create(account=account, name=name, **dict.fromkeys(fields, True))
    role.principals.add(identity.principal)
    return role


TWO_OF_THREE = list(combinations(CUSTOM_ROLE_FIELDS, 2))


@pytest.mark.parametrize("fields", TWO_OF_THREE, ids=["+".join(f[4:] for f in pair) for pair in TWO_OF_THREE])
def test_A1_A3_two_of_the_three_permissions_give_exactly_those_two(member, demo, fields):
    """A1/A3: only all three permissions together open editing; two give those two and nothing more."""
    grant(member, member.account, "two", fields)
    granted = workspace_permissions(member, demo["workspaces"]["demo_workspace"])
    assert granted == frozenset(CUSTOM_ROLE_FIELDS[f] for f in fields)
    assert Perm.MANAGE_CONTACTS not in granted


@pytest.mark.parametrize("fields", TWO_OF_THREE, ids=["+".join(f[4:] for f in pair) for pair in TWO_OF_THREE])
def test_A3_two_permissions_cannot_edit_contacts_or_the_alternate(member, demo, client, fields):
    """A3: with two of the three permissions the Edit form and the alternate contact change are 403."""
    grant(member, member.account, "two", fields)
    workspace = demo["workspaces"]["demo_workspace"]
    alice = demo["principals"][("intl", "alice")]
    backup = demo["principals"][("intl", "DataOpsRole")]
    client.force_login(member.user)
    edit = reverse("contacts:edit", args=[workspace.pk, alice.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"phone": "+8613912345678", "email": "x@example.com", "language": "en"}).status_code == 403
    alternate = client.post(reverse("alerts:alternate_contact", args=[workspace.pk]), {"principal": backup.pk})
    assert alternate.status_code == 403
    alice.refresh_from_db()
    workspace.refresh_from_db()
    assert str(alice.phone) == "+8613900001111" and alice.email == "alice@example.com"
    assert workspace.alternate_contact.name == "OnCallBackup"


def test_A1_all_three_permissions_open_the_edit_form(member, demo, client):
    """A1: the counterpart of the tests above, so they fail for the right reason."""
    grant(member, member.account, "three", CUSTOM_ROLE_FIELDS)
    workspace = demo["workspaces"]["demo_workspace"]
    client.force_login(member.user)
    alice = demo["principals"][("intl", "alice")]
    assert client.get(reverse("contacts:edit", args=[workspace.pk, alice.pk])).status_code == 200


def test_A2_custom_role_of_another_account_counts_for_nothing(member, demo, client):
    """A2: a custom role with all three permissions, but of another account, grants nothing here,
    even when it is (wrongly) linked to this account's principal."""
    grant(member, demo["accounts"]["cn"], "foreign-all", CUSTOM_ROLE_FIELDS)
    workspace = demo["workspaces"]["demo_workspace"]
    assert workspace_permissions(member, workspace) == frozenset()
    client.force_login(member.user)
    assert client.get(reverse("contacts:ram_users", args=[workspace.pk])).status_code == 403


def test_A2_foreign_role_does_not_complete_a_partial_local_one(member, demo):
    """A2/A3: a local role with two permissions plus a foreign role with the third is still two."""
    grant(member, member.account, "local-two", ["can_view_alert_resources", "can_view_contacts"])
    grant(member, demo["accounts"]["cn"], "foreign-third", ["can_set_alert_limits"])
    granted = workspace_permissions(member, demo["workspaces"]["demo_workspace"])
    assert granted == frozenset({Perm.VIEW_ALERT_RESOURCES, Perm.VIEW_CONTACTS})
    assert not GRANTABLE <= granted
