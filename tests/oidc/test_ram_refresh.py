"""At a cloud sign-in the contact is refreshed from RAM (GetUser through the official SDK, against the
signature-checking peer of tests/aliyun_peer.py) and applied by the sync rules (C12, C7); a RAM
failure never blocks the sign-in (E1)."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import ContactMethod, Principal, RamDirectoryEntry
from tests.aliyun_peer import ACCESS_KEY_ID

ALICE_UID = "216959339000654321"
ALICE = "alice@demo-intl.onaliyun.com"


def alice():
    return Principal.objects.get(account__name="demo-intl", name="alice")


@pytest.fixture
def ram_alice(ram):
    """alice in RAM with a new mobile phone; her console contact (demo) is +8613900001111, activated."""
    user = ram.add_user(
        "alice", display_name="Alice Wang (Data)", email="alice@example.com", mobile_phone="86-13912345678"
    )
    user["UserId"] = ALICE_UID
    return user


def test_C12_C7_a_cloud_sign_in_refreshes_the_contact_and_a_changed_phone_waits_for_activation(
    demo, ram, ram_alice, cloud_sign_in, aliyun_peer, sms_outbox, django_capture_on_commit_callbacks
):
    before = alice()
    assert str(before.phone) == "+8613900001111" and before.last_synced_at is None
    with django_capture_on_commit_callbacks(execute=True):
        response = cloud_sign_in(ALICE)
    assert response.status_code == 302 and response["Location"] == reverse("alerts:management_center")
    (call,) = aliyun_peer.calls_to("GetUser")
    assert call.params["UserName"] == "alice" and call.access_key_id == ACCESS_KEY_ID  # signed, verified
    entry = RamDirectoryEntry.objects.get(account__name="demo-intl", kind="user", name="alice")
    assert (entry.phone, entry.email, entry.display_name) == (
        "86-13912345678",
        "alice@example.com",
        "Alice Wang (Data)",
    )
    after = alice()
    assert str(after.phone) == "+8613912345678" and after.display_name == "Alice Wang (Data)"
    assert after.last_synced_at is not None
    methods = {m.channel: m.status for m in after.contact_methods.all()}
    assert methods == {"phone": ContactMethod.Status.WAITING_FOR_ACTIVATION, "email": ContactMethod.Status.ACTIVATED}
    assert [m.to for m in sms_outbox] == ["+8613912345678"]  # the activation text message


def test_C12_an_unchanged_directory_changes_nothing_at_the_next_sign_in(demo, ram, ram_alice, cloud_sign_in):
    cloud_sign_in(ALICE)
    ContactMethod.objects.filter(principal=alice()).update(status=ContactMethod.Status.ACTIVATED)
    cloud_sign_in(ALICE, target=Client())
    assert {m.status for m in alice().contact_methods.all()} == {ContactMethod.Status.ACTIVATED}


@pytest.mark.parametrize("failure", ["throttling", "server error", "unknown key", "timeout", "no credentials"])
def test_E1_C12_a_RAM_failure_never_blocks_the_sign_in(
    demo, ram, ram_alice, cloud_sign_in, aliyun_peer, settings, caplog, client, failure
):
    if failure == "throttling":
        ram.fail_next("Throttling.User")
    elif failure == "server error":
        ram.fail_next("ServiceUnavailable", status=503)
    elif failure == "unknown key":
        aliyun_peer.keys = {"LTAI-someone-else": "x"}
    elif failure == "timeout":
        settings.ALIBABA_CLOUD_READ_TIMEOUT_SECONDS = 0.3
        aliyun_peer.delay = 1.0
    else:
        demo["accounts"]["intl"].__class__.objects.update(credentials_profile="missing-profile")
    with caplog.at_level(logging.WARNING, logger="alerts.sign_in"):
        response = cloud_sign_in(ALICE)
    assert response.status_code == 302 and response["Location"] == reverse("alerts:management_center")
    assert any("RAM GetUser alice of account 5123456789012345 failed" in r.getMessage() for r in caplog.records)
    page = client.get(response["Location"]).content.decode()
    assert "could not be refreshed from Alibaba Cloud RAM just now" in page and "(last synced: never)" in page
    unchanged = alice()
    assert str(unchanged.phone) == "+8613900001111" and unchanged.last_synced_at is None
    assert not RamDirectoryEntry.objects.exists()


def test_E1_C12_the_page_says_when_the_contact_was_last_synced(demo, ram, ram_alice, cloud_sign_in, client):
    cloud_sign_in(ALICE)
    synced = alice().last_synced_at
    ram.fail_next("ServiceUnavailable", status=503)
    second = Client()
    second.cookies["django_language"] = "zh-hans"
    response = cloud_sign_in(ALICE, target=second)
    page = second.get(response["Location"]).content.decode()
    from django.utils import timezone

    assert f"上次同步：{timezone.localtime(synced):%Y-%m-%d %H:%M}" in page
    assert alice().last_synced_at == synced


def test_C12_a_RAM_user_name_now_held_by_someone_else_is_not_copied(demo, ram, cloud_sign_in, caplog):
    """The RAM user was deleted and its name given to another person (another UserId)."""
    ram.add_user("alice", email="someone.else@example.com", mobile_phone="86-13700000000")
    with caplog.at_level(logging.WARNING, logger="alerts.sign_in"):
        assert cloud_sign_in(ALICE).status_code == 302
    assert str(alice().phone) == "+8613900001111" and not RamDirectoryEntry.objects.exists()
    assert any("is now UserId" in r.getMessage() for r in caplog.records)


def test_C12_an_account_not_connected_to_alibaba_cloud_is_never_asked(demo, ram, ram_alice, cloud_sign_in, aliyun_peer):
    """Directory sync off (the demo accounts): nothing calls the cloud for the account; the sign-in
    applies the directory as it stands, as a password sign-in does."""
    account = demo["accounts"]["intl"]
    account.__class__.objects.filter(pk=account.pk).update(directory_sync_enabled=False)
    RamDirectoryEntry.objects.create(account=account, kind="user", name="alice", phone="86-13700001234")
    cloud_sign_in(ALICE)
    assert aliyun_peer.calls == [] and str(alice().phone) == "+8613700001234"


def test_C12_a_RAM_user_gone_from_RAM_is_not_refreshed(demo, ram, cloud_sign_in, caplog):
    with caplog.at_level(logging.WARNING, logger="alerts.sign_in"):
        assert cloud_sign_in(ALICE).status_code == 302
    assert any("RAM has no user alice" in r.getMessage() for r in caplog.records)
    assert str(alice().phone) == "+8613900001111"


def test_C12_a_RAM_role_sign_in_applies_the_directory_without_asking_RAM(demo, ram, cloud_sign_in, aliyun_peer):
    """GetUser is for users; a role's contact still takes what the directory holds."""
    account = demo["accounts"]["intl"]
    RamDirectoryEntry.objects.create(account=account, kind="role", name="OnCallBackup", email="oncall-new@example.com")
    cloud_sign_in("oncall@demo-intl.onaliyun.com")
    assert aliyun_peer.calls == []
    assert Principal.objects.get(account=account, name="OnCallBackup").email == "oncall-new@example.com"


def test_C12_a_password_sign_in_keeps_to_the_directory(demo, ram, ram_alice, aliyun_peer, client, django_user_model):
    from alerts.models import Identity

    user = django_user_model.objects.create_user("alice", password="demo")
    Identity.objects.create(user=user, account=demo["accounts"]["intl"], principal=alice())
    assert client.post(reverse("login"), {"username": "alice", "password": "demo"}).status_code == 302
    assert aliyun_peer.calls == [] and str(alice().phone) == "+8613900001111"


def test_C12_the_edit_page_shows_when_the_contact_was_last_synced(demo, ram, ram_alice, cloud_sign_in, sign_in):
    workspace = demo["workspaces"]["demo_workspace"]
    url = reverse("contacts:edit", args=[workspace.pk, alice().pk])
    assert "Last synced from RAM: Never" in " ".join(sign_in("dw-admin").get(url).content.decode().split())
    cloud_sign_in(ALICE, target=Client())
    text = sign_in("dw-admin").get(url).content.decode()
    assert 'id="last-synced"' in text and "<time datetime=" in text.split('id="last-synced"')[1].split("</p>")[0]
