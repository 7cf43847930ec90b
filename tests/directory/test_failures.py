"""A directory sync that fails says why, by name, and changes nothing for the account (C14): a
wrong AccessKey, a missing permission, throttling (tried again with backoff, then given up), the
network."""

import pytest

from alerts.directory import errors
from alerts.directory.sync import directory_sync
from contacts.models import Principal
from tests.directory.test_sync import state

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


@pytest.fixture
def synced(account, directory, cloud):
    """A first good sync; then the cloud changes (a new user, a new workspace), so a second sync
    that failed would show whatever it had written."""
    directory_sync(account=account)
    cloud.ram.add_user("carol", email="carol@example.com")
    cloud.dataworks.add_project("alerts_staging")
    return state(account)


def failed_with(account, kind, before):
    """The sync raises `kind`, records a clear failure on the account, and changed nothing else."""
    with pytest.raises(kind) as raised:
        directory_sync(account=account)
    assert state(account) == before
    account.refresh_from_db()
    assert account.directory_sync_result == "failed"
    assert account.directory_sync_message == raised.value.text
    assert account.directory_sync_summary["users"] == {"added": 2, "changed": 0, "removed": 0}  # the last good one
    return raised.value


@pytest.mark.parametrize(
    "profile, code", [("unknown-key", "InvalidAccessKeyId.NotFound"), ("wrong-secret", "SignatureDoesNotMatch")]
)
def test_C14_a_wrong_AccessKey_fails_clearly_and_changes_nothing(account, synced, profile, code):
    account.credentials_profile = profile
    account.save()
    error = failed_with(account, errors.WrongAccessKey, synced)
    assert error.code == code
    assert "AccessKey" in error.text and code in error.text and error.request_id in error.text
    assert "secret" not in account.directory_sync_message.replace("wrong secret", "")


def test_C14_no_credentials_fail_clearly(account, synced):
    account.credentials_profile = "not-in-the-file"
    account.save()
    error = failed_with(account, errors.MissingCredentials, synced)
    assert "credentials" in error.text


def test_C14_a_missing_permission_late_in_the_sync_changes_nothing(account, synced, cloud):
    """RAM was read, then DataWorks refuses: nothing read from RAM is written either."""
    cloud.dataworks.fail_next("Forbidden.Access", "No permission to call ListProjectMembers.", status=403)
    error = failed_with(account, errors.MissingPermission, synced)
    assert error.code == "Forbidden.Access" and "ListProjectMembers" in error.text
    assert not Principal.objects.filter(name="carol").exists()
    cloud.ram.fail_next("NoPermission", "You are not authorized to do this action.", status=403)
    assert failed_with(account, errors.MissingPermission, synced).code == "NoPermission"


def test_C14_throttling_is_tried_again_with_backoff_and_then_succeeds(account, synced, cloud, settings, monkeypatch):
    waits = []
    monkeypatch.setattr(errors, "sleep", waits.append)
    settings.DIRECTORY_SYNC_RETRY_BASE_SECONDS = 0.5
    cloud.ram.fail_next("Throttling.User", times=2)
    summary = directory_sync(account=account)
    assert summary["users"].added == 1 and summary["workspaces"].added == 1
    assert waits == [0.5, 1.0]
    assert [c.status for c in cloud.calls_to("ListUsers")][-3:] == [400, 400, 200]
    account.refresh_from_db()
    assert account.directory_sync_result == "ok"


def test_C14_throttling_that_lasts_gives_up_clearly_and_changes_nothing(account, synced, cloud, settings):
    cloud.dataworks.fail_next("Throttling.User", times=settings.DIRECTORY_SYNC_MAX_ATTEMPTS)
    error = failed_with(account, errors.Throttled, synced)
    assert f"{settings.DIRECTORY_SYNC_MAX_ATTEMPTS} tries" in error.text and "ListProjects" in error.text


def test_C14_an_unreachable_endpoint_fails_clearly_and_changes_nothing(account, synced, cloud):
    cloud.__exit__(None, None, None)  # the peer stops listening
    error = failed_with(account, errors.NetworkError, synced)
    assert "could not be reached" in error.text


def test_C14_a_server_error_is_named_with_its_code(account, synced, cloud):
    cloud.ram.fail_next("InternalError", status=500)
    error = failed_with(account, errors.ServiceError, synced)
    assert error.code == "InternalError" and "HTTP 500" in error.text


def test_C14_an_account_that_is_not_connected_is_never_called(account, cloud):
    account.directory_sync_enabled = False
    account.save()
    with pytest.raises(errors.DirectorySyncOff):
        directory_sync(account=account)
    assert cloud.calls == [] and cloud.refused == []
    account.refresh_from_db()
    assert account.directory_synced_at is None
