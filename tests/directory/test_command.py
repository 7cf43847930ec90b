"""`manage.py sync_directory`: progress, a summary table, and an exit code that says whether every
account was synced (C14)."""

import io

import pytest
from django.core.management import CommandError, call_command

from alerts.directory.sync import directory_sync
from contacts.models import Account, Principal

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("sync_directory", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_C14_prints_progress_and_a_summary_table(account, directory):
    out, err, failed = run()
    assert failed is None and err == ""
    lines = out.splitlines()
    assert lines[0] == "acme (1888000000000001): reading RAM and DataWorks…"
    assert "  RAM users: 2" in lines and "  RAM roles: 1" in lines
    assert "  DataWorks cn-hangzhou: 1 workspaces, 4 members" in lines
    assert "acme (1888000000000001): synced, changes written." in lines
    header = next(line for line in lines if line.startswith("account"))
    assert header.split() == ["account", "users", "roles", "workspaces", "members", "policies"]
    assert lines[-1].split() == ["acme", "(1888000000000001)", "+2", "~0", "-0", "+1", "~0", "-0"] + [
        "+1",
        "~0",
        "-0",
        "+3",
        "~0",
        "-0",
        "+1",
        "~0",
        "-0",
    ]
    out, _, _ = run("--account", "acme")
    assert "acme (1888000000000001): synced, no change." in out


def test_C14_exits_non_zero_when_an_account_failed_and_syncs_the_others(account, directory, hangzhou):
    broken = Account.objects.create(
        name="broken", uid="9999", site="china", credentials_profile="unknown-key", directory_sync_enabled=True
    )
    Account.objects.create(name="demo-like", uid="8888", site="china")  # not connected: never called
    out, err, failed = run()
    assert failed is not None and "1 of 2 accounts could not be synced" in str(failed)
    assert "broken (9999): failed, nothing changed. Alibaba Cloud refused the AccessKey" in err
    assert "InvalidAccessKeyId.NotFound" in err
    assert Principal.objects.filter(account=account).count() == 3  # the other account was synced
    assert not Principal.objects.filter(account=broken).exists()
    assert "8888" not in out
    table = out.splitlines()[-2:]
    assert table[0].startswith("acme") and table[1].startswith("broken (9999)") and "failed:" in table[1]
    with pytest.raises(SystemExit) as exited:  # as a process: exit code 1
        from django.core.management import ManagementUtility

        ManagementUtility(["manage.py", "sync_directory", "--account", "broken"]).execute()
    assert exited.value.code == 1


def test_C14_names_an_unknown_or_unconnected_account(account, cloud, demo):
    _, _, failed = run("--account", "nobody")
    assert "No account with ID or name 'nobody'" in str(failed)
    _, _, failed = run("--account", "demo-intl")
    assert "Directory sync is off for this account" in str(failed)
    assert cloud.calls == []


def test_C14_the_demo_accounts_are_never_synced(demo, cloud):
    """`make run`'s offline demo: its accounts are not connected, so nothing reaches the cloud."""
    out, _, failed = run()
    assert failed is None and "No account has its directory sync on" in out
    assert cloud.calls == [] and not Account.objects.filter(directory_sync_enabled=True).exists()


def test_C14_import_ram_directory_still_loads_json_bodies(account, directory):
    directory_sync(account=account)
    call_command(
        "import_ram_directory", "tests/contacts/data/GetUser.json", "--account", account.uid, stdout=io.StringIO()
    )
    assert account.directory.get(name="alice").phone == "852-91234567"
