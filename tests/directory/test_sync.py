"""The directory sync through the official SDKs against the local Alibaba Cloud peer (C14): what a
first sync creates, that a second one changes nothing, and how changes in RAM and DataWorks
arrive."""

import pytest
from django.urls import reverse

from alerts.directory.sync import directory_sync
from alerts.models import Identity, Membership, PolicyAttachment, Region, Workspace
from alerts.routing import recipients_lookup
from contacts.models import ContactMethod, Principal, RamDirectoryEntry
from tests.aliyun_peer import AliyunPeer
from tests.conftest import DEMO_PASSWORD
from tests.directory.conftest import point_at

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def state(account):
    """Everything the sync writes for an account, to compare two runs."""
    principals = Principal.objects.filter(account=account).order_by("pk")
    return {
        "principals": list(principals.values("pk", "kind", "name", "display_name", "ram_id", "removed_at", "version")),
        "history": Principal.history.filter(account_id=account.pk).count(),
        "entries": list(
            RamDirectoryEntry.objects.filter(account=account).order_by("pk").values("kind", "name", "phone", "email")
        ),
        "workspaces": list(
            Workspace.objects.filter(account=account)
            .order_by("pk")
            .values("pk", "name", "display_name", "region", "dataworks_id", "removed_at", "alternate_contact")
        ),
        "workspace_history": Workspace.history.filter(account_id=account.pk).count(),
        "members": list(
            Membership.objects.filter(workspace__account=account)
            .order_by("pk")
            .values("pk", "workspace", "principal", "dataworks_roles")
        ),
        "policies": sorted(
            PolicyAttachment.objects.filter(principal__account=account).values_list("principal__name", "policy_name")
        ),
    }


def test_C14_first_sync_creates_users_roles_workspaces_members_and_policies(account, directory):
    summary = directory_sync(account=account)
    assert summary.as_dict() == {
        "users": {"added": 2, "changed": 0, "removed": 0},
        "roles": {"added": 1, "changed": 0, "removed": 0},
        "workspaces": {"added": 1, "changed": 0, "removed": 0},
        "members": {"added": 3, "changed": 0, "removed": 0},
        "policies": {"added": 1, "changed": 0, "removed": 0},
    }
    alice = Principal.objects.get(account=account, kind="user", name="alice")
    assert (alice.display_name, alice.ram_id) == ("Alice Wang", directory["users"]["alice"]["UserId"])
    role = Principal.objects.get(account=account, kind="role", name="OnCall")
    assert role.ram_id == directory["role"]["RoleId"]
    # Phones and emails go to the RAM directory, applied at the next sign-in (C12), not onto the contact.
    assert (str(alice.phone), alice.email) == ("", "")
    entry = RamDirectoryEntry.objects.get(account=account, kind="user", name="alice")
    assert (entry.display_name, entry.phone, entry.email) == ("Alice Wang", "86-13912345678", "alice@example.com")
    workspace = Workspace.objects.get(account=account)
    assert (workspace.name, workspace.display_name, workspace.region.code) == ("alerts_prod", "告警生产", "cn-hangzhou")
    assert workspace.dataworks_id == directory["project"]["Id"]
    roles = dict(Membership.objects.filter(workspace=workspace).values_list("principal__name", "dataworks_roles"))
    # The owner is a member in DataWorks, but not a principal: the owner sees every workspace anyway.
    assert roles == {"alice": ["role_project_admin"], "bob": ["role_project_dev"], "OnCall": ["role_project_guest"]}
    assert list(PolicyAttachment.objects.filter(principal__account=account).values_list("principal__name")) == [
        ("alice",)
    ]
    account.refresh_from_db()
    assert (account.directory_sync_result, account.directory_synced_at is not None) == ("ok", True)
    assert account.directory_sync_summary["users"] == {"added": 2, "changed": 0, "removed": 0}


def test_C14_a_second_sync_changes_nothing(account, directory):
    directory_sync(account=account)
    before = state(account)
    summary = directory_sync(account=account)
    assert not summary.changed_anything
    assert state(account) == before


def test_C14_C12_a_phone_changed_in_RAM_reaches_the_contact_at_its_next_sign_in(
    account, directory, cloud, client, django_user_model, sms_outbox, django_capture_on_commit_callbacks
):
    directory_sync(account=account)
    alice = Principal.objects.get(account=account, name="alice")
    user = django_user_model.objects.create_user("alice", password=DEMO_PASSWORD)
    Identity.objects.create(user=user, account=account, principal=alice)
    cloud.ram.users["alice"]["MobilePhone"] = "852-91234567"

    summary = directory_sync(account=account)

    assert summary["users"].changed == 1
    assert RamDirectoryEntry.objects.get(account=account, name="alice").phone == "852-91234567"
    alice.refresh_from_db()
    assert str(alice.phone) == ""  # not written onto the contact by the sync
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("login"), {"username": "alice", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (str(alice.phone), alice.email) == ("+85291234567", "alice@example.com")
    # Then C7: a new value waits for activation and gets its activation message.
    assert alice.contact_methods.get(channel=ContactMethod.Channel.PHONE).status == "waiting"
    assert len(sms_outbox) == 1


def test_C14_a_user_removed_from_RAM_is_marked_removed_not_listed_not_receiving_and_can_come_back(
    account, directory, cloud, client, django_user_model
):
    directory_sync(account=account)
    workspace = Workspace.objects.get(account=account)
    bob = Principal.objects.get(account=account, name="bob")
    owner = django_user_model.objects.create_user("acme-owner")
    Identity.objects.create(user=owner, account=account)
    client.force_login(owner)
    tab = reverse("contacts:ram_users", args=[workspace.pk])
    assert 'data-principal="bob"' in client.get(tab).content.decode()

    removed_user = cloud.ram.users.pop("bob")
    cloud.dataworks.members[directory["project"]["Id"]] = [
        m for m in cloud.dataworks.members[directory["project"]["Id"]] if m["UserName"] != "bob"
    ]
    summary = directory_sync(account=account)

    assert (summary["users"].removed, summary["members"].removed) == (1, 1)
    bob.refresh_from_db()
    assert bob.removed_at is not None  # never deleted: its alerts and history stay
    assert bob.history.filter(removed_at__isnull=False).exists()
    assert 'data-principal="bob"' not in client.get(tab).content.decode()
    found, unknown = recipients_lookup(workspace=workspace, names=["bob", "alice"])
    assert ([p.name for p in found], unknown) == (["alice"], ["bob"])

    # Back in RAM and in the workspace: the same principal again, not a new one.
    cloud.ram.users["bob"] = removed_user
    cloud.dataworks.add_member(directory["project"]["Id"], removed_user["UserId"], user_name="bob")
    summary = directory_sync(account=account)
    assert (summary["users"].added, summary["members"].added) == (1, 1)
    bob.refresh_from_db()
    assert bob.removed_at is None
    assert Principal.objects.filter(account=account, name="bob").count() == 1
    assert 'data-principal="bob"' in client.get(tab).content.decode()


def test_C14_C11_membership_changes_are_reflected(account, directory, cloud):
    directory_sync(account=account)
    workspace = Workspace.objects.get(account=account)
    bob = Principal.objects.get(account=account, name="bob")
    Workspace.objects.filter(pk=workspace.pk).update(alternate_contact=bob)
    project = directory["project"]["Id"]
    members = cloud.dataworks.members[project]
    alice_member = next(m for m in members if m["UserName"] == "alice")
    alice_member["Roles"] = [{"Code": "role_project_dev", "Name": "开发", "Type": "System"}]
    cloud.dataworks.members[project] = [m for m in members if m["UserName"] != "bob"]  # bob leaves
    cloud.ram.attach_policy("AliyunDataWorksFullAccess", role="OnCall")
    cloud.ram.policies[("User", "alice")] = []  # detached from alice

    summary = directory_sync(account=account)

    assert (summary["members"].changed, summary["members"].removed) == (1, 1)
    assert (summary["policies"].added, summary["policies"].removed) == (1, 1)
    roles = dict(Membership.objects.filter(workspace=workspace).values_list("principal__name", "dataworks_roles"))
    assert roles == {"alice": ["role_project_dev"], "OnCall": ["role_project_guest"]}
    assert list(PolicyAttachment.objects.filter(principal__account=account).values_list("principal__name")) == [
        ("OnCall",)
    ]
    workspace.refresh_from_db()
    assert workspace.alternate_contact is None  # C11: the alternate must be a member
    assert summary["workspaces"].changed == 1
    assert Principal.objects.get(pk=bob.pk).removed_at is None  # still in RAM, only out of the workspace


def test_C14_a_workspace_gone_from_DataWorks_is_marked_removed_and_no_longer_opens(
    account, directory, cloud, client, django_user_model
):
    directory_sync(account=account)
    workspace = Workspace.objects.get(account=account)
    owner = django_user_model.objects.create_user("acme-owner")
    Identity.objects.create(user=owner, account=account)
    client.force_login(owner)
    assert client.get(reverse("contacts:ram_users", args=[workspace.pk])).status_code == 200
    del cloud.dataworks.projects[directory["project"]["Id"]]

    summary = directory_sync(account=account)

    assert (summary["workspaces"].removed, summary["members"].removed) == (1, 3)
    workspace.refresh_from_db()
    assert workspace.removed_at is not None
    assert client.get(reverse("contacts:ram_users", args=[workspace.pk])).status_code == 403


def test_C14_lists_are_read_page_by_page(account, cloud, settings):
    settings.DIRECTORY_SYNC_PAGE_SIZE = 2
    users = [cloud.ram.add_user(f"user{n}", display_name=f"用户{n}") for n in range(5)]
    for n in range(3):
        cloud.ram.add_role(f"Role{n}")
    projects = [cloud.dataworks.add_project(f"ws_{n}") for n in range(3)]
    for user in users:
        cloud.dataworks.add_member(projects[0]["Id"], user["UserId"], user_name=user["UserName"])

    summary = directory_sync(account=account)

    assert (summary["users"].added, summary["roles"].added, summary["workspaces"].added) == (5, 3, 3)
    assert summary["members"].added == 5
    assert [c.params.get("Marker", "") != "" for c in cloud.calls_to("ListUsers")] == [False, True, True]
    assert len(cloud.calls_to("ListRoles")) == 2
    assert [c.params["PageNumber"] for c in cloud.calls_to("ListProjects")] == ["1", "2"]
    members_calls = [c for c in cloud.calls_to("ListProjectMembers") if c.params["ProjectId"] == str(projects[0]["Id"])]
    assert [c.params["PageNumber"] for c in members_calls] == ["1", "2", "3"]


def test_C14_each_region_is_read_at_its_own_endpoint(account, cloud, settings):
    Region.objects.create(code="ap-southeast-1", name="Singapore", position=1)
    with AliyunPeer() as singapore:
        point_at(settings, cloud, regions={"ap-southeast-1": singapore})
        cloud.dataworks.add_project("hz_ws")
        # Workspace ids are unique across regions: skip the id the other peer gave out.
        del singapore.dataworks.projects[singapore.dataworks.add_project("unused")["Id"]]
        singapore.dataworks.add_project("sg_ws")

        directory_sync(account=account)

        assert len(singapore.calls_to("ListProjects")) == 1
    regions = dict(Workspace.objects.filter(account=account).values_list("name", "region__code"))
    assert regions == {"hz_ws": "cn-hangzhou", "sg_ws": "ap-southeast-1"}


def test_C14_a_renamed_user_keeps_its_principal_and_hand_typed_ones_are_matched_by_name(account, directory, cloud):
    typed = Principal.objects.create(account=account, kind="user", name="bob", display_name="Bob (typed)")
    Workspace.objects.create(account=account, region=Region.objects.get(), name="alerts_prod")
    directory_sync(account=account)
    typed.refresh_from_db()
    assert (typed.ram_id, typed.display_name) == (directory["users"]["bob"]["UserId"], "Bob Chan")
    assert Workspace.objects.filter(account=account).count() == 1

    cloud.ram.users["alice.wang"] = cloud.ram.users.pop("alice") | {"UserName": "alice.wang"}
    summary = directory_sync(account=account)

    assert (summary["users"].changed, summary["users"].added, summary["users"].removed) == (1, 0, 0)
    renamed = Principal.objects.get(ram_id=directory["users"]["alice"]["UserId"])
    assert renamed.name == "alice.wang" and renamed.memberships.exists()


def test_C14_a_name_reused_in_RAM_is_a_new_principal_and_the_old_one_stays_removed(account, directory, cloud):
    directory_sync(account=account)
    old_bob = Principal.objects.get(account=account, name="bob")
    Principal.objects.filter(pk=old_bob.pk).update(email="old-bob@example.com")
    del cloud.ram.users["bob"]
    new_bob = cloud.ram.add_user("bob", display_name="Bob Li", email="bob.li@example.com")

    summary = directory_sync(account=account)

    assert (summary["users"].added, summary["users"].removed) == (1, 1)
    old_bob.refresh_from_db()
    assert old_bob.removed_at is not None and old_bob.name == f"bob#{directory['users']['bob']['UserId']}"
    assert old_bob.email == "old-bob@example.com"  # the old contact never reaches the new person
    bob = Principal.objects.get(account=account, name="bob")
    assert (bob.ram_id, bob.display_name, bob.email, bob.removed_at) == (new_bob["UserId"], "Bob Li", "", None)
    assert RamDirectoryEntry.objects.get(account=account, name="bob").email == "bob.li@example.com"
    # DataWorks still lists the old bob's id: that membership is not handed to the new bob.
    assert not Membership.objects.filter(principal=bob).exists()
    assert not Membership.objects.filter(principal=old_bob).exists()
    assert not directory_sync(account=account).changed_anything
