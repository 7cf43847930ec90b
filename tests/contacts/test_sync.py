"""Sync at logon from the account's RAM directory (rules C12)."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from contacts.models import ContactMethod, Principal, RamDirectoryEntry
from contacts.services import contact_update
from contacts.sync import contact_sync_at_sign_in
from tests.conftest import DEMO_PASSWORD

DATA = Path(__file__).parent / "data"


def import_(*names):
    call_command("import_ram_directory", *[str(DATA / n) for n in names], "--account", "demo-intl", verbosity=0)


@pytest.fixture
def alice_signs_in(demo, client, django_user_model):
    """Give alice a console sign-in and return a function that signs her in with her password."""
    from alerts.models import Identity

    user = django_user_model.objects.create_user("alice", password=DEMO_PASSWORD)
    Identity.objects.create(
        user=user, account=demo["accounts"]["intl"], principal=demo["principals"][("intl", "alice")]
    )

    def _sign_in():
        # Through the sign-in form: the throttling backend needs the request (client.login has none).
        client.logout()
        response = client.post(reverse("login"), {"username": "alice", "password": DEMO_PASSWORD})
        assert response.status_code == 302

    return _sign_in


def test_C12_import_reads_ListUsers_GetUser_ListRoles(demo):
    import_("ListUsers.json", "ListRoles.json")
    entries = {(e.kind, e.name): e for e in RamDirectoryEntry.objects.filter(account__name="demo-intl")}
    assert entries[("user", "alice")].phone == "86-13912345678"
    assert ("user", "newcomer") in entries and ("role", "NightShift") in entries
    assert Principal.objects.filter(account__name="demo-intl", name="newcomer", display_name="New Comer").exists()
    import_("GetUser.json")
    assert RamDirectoryEntry.objects.get(account__name="demo-intl", name="alice").phone == "852-91234567"


def test_C12_sign_in_applies_directory_change_and_follows_C7(
    alice_signs_in, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    import_("ListUsers.json")
    with django_capture_on_commit_callbacks(execute=True):
        alice_signs_in()
    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    assert str(alice.phone) == "+8613912345678" and alice.email == "alice@example.com"
    assert alice.last_synced_at is not None
    assert {m.status for m in alice.contact_methods.all()} == {ContactMethod.Status.WAITING_FOR_ACTIVATION}
    assert len(sms_outbox) == 1 and len(mailoutbox) == 1


def test_C12_only_values_changed_in_the_directory_are_applied(alice_signs_in, django_capture_on_commit_callbacks):
    import_("ListUsers.json")
    alice_signs_in()
    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    # An administrator changes the email in the console; the directory did not change.
    contact_update(principal=alice, phone="+8613912345678", email="alice.console@example.com", language="en")
    ContactMethod.objects.filter(principal=alice, channel="phone").update(status="activated")
    alice_signs_in()
    alice.refresh_from_db()
    assert alice.email == "alice.console@example.com"  # not undone by the sign-in
    # Now the phone changes in RAM (GetUser): applied at the next sign-in, waiting again.
    import_("GetUser.json")
    alice_signs_in()
    alice.refresh_from_db()
    assert str(alice.phone) == "+85291234567" and alice.email == "alice.console@example.com"
    assert alice.contact_methods.get(channel="phone").status == "waiting"


def test_C12_invalid_directory_number_keeps_console_copy(demo, alice_signs_in):
    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    contact_update(principal=alice, phone="+8613912345678", email="", language="auto")
    RamDirectoryEntry.objects.create(account=alice.account, kind="user", name="alice", phone="13912345678")
    alice_signs_in()
    alice.refresh_from_db()
    assert str(alice.phone) == "+8613912345678" and alice.last_synced_at is not None


def test_C12_without_directory_entry_nothing_changes(demo):
    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    assert contact_sync_at_sign_in(principal=alice) is None
    alice.refresh_from_db()
    assert alice.last_synced_at is None


def test_C12_list_shows_last_synced(alice_signs_in, demo, sign_in):
    import_("ListUsers.json")
    alice_signs_in()
    page = sign_in("dw-admin").get(reverse("contacts:ram_users", args=[demo["workspaces"]["demo_workspace"].pk]))
    row = page.content.decode().split('data-principal="alice"')[1].split("</tr>")[0]
    assert "<time" in row and "Never" not in row


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not JSON"),
        ("[]", "expected a RAM API response"),
        ('{"Foo": 1}', "no Users"),
        ('{"Users": {"User": [{"DisplayName": "x"}]}}', "has no UserName"),
    ],
)
def test_C12_E1_bad_files_change_nothing(demo, tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_ram_directory", str(DATA / "ListUsers.json"), str(bad), "--account", "demo-intl")
    assert not RamDirectoryEntry.objects.exists()


def test_C12_E1_unknown_account(demo):
    with pytest.raises(CommandError, match="No account"):
        call_command("import_ram_directory", str(DATA / "ListUsers.json"), "--account", "nope")
