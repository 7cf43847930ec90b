"""Support staff see each account's last directory sync and can sync now (C14, C13); the worker
runs the sync every DIRECTORY_SYNC_INTERVAL_SECONDS, never for the demo accounts, and 0 turns it off."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.directory import tasks
from alerts.directory.errors import DirectorySyncOff
from alerts.directory.sync import accounts_due, directory_sync
from alerts.worker import worker_build
from contacts.models import Account, Principal
from tests.aliyun_peer import ACCESS_KEY_SECRET

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


@pytest.fixture
def support(client, django_user_model):
    user = django_user_model.objects.create_superuser("support-staff", "support@example.com", "x")
    client.force_login(user)
    return client


def sync_now(client, *accounts):
    return client.post(
        reverse("admin:contacts_account_changelist"),
        {"action": "sync_now", "_selected_action": [a.pk for a in accounts]},
        follow=True,
    )


def test_C14_C13_the_account_list_and_page_show_the_last_sync(support, account, directory):
    directory_sync(account=account)
    html = support.get(reverse("admin:contacts_account_changelist")).content.decode()
    assert "Last directory sync" in html and "Result of the last directory sync" in html and "OK" in html
    page = support.get(reverse("admin:contacts_account_change", args=[account.pk])).content.decode()
    assert "users +2 ~0 -0, roles +1 ~0 -0, workspaces +1 ~0 -0, members +3 ~0 -0, policies +1 ~0 -0" in page
    assert "Credentials profile" in page and ACCESS_KEY_SECRET not in page  # a profile's name, never a secret


def test_C14_sync_now_says_what_it_changed(support, account, directory):
    messages = [str(m) for m in sync_now(support, account).context["messages"]]
    assert messages == [
        "acme (1888000000000001): synced from Alibaba Cloud (added +, changed ~, removed -): users +2 ~0 -0, "
        "roles +1 ~0 -0, workspaces +1 ~0 -0, members +3 ~0 -0, policies +1 ~0 -0."
    ]
    assert Principal.objects.filter(account=account).count() == 3


def test_C14_sync_now_says_why_it_failed_and_skips_unconnected_accounts(support, account, cloud, demo):
    account.credentials_profile = "wrong-secret"
    account.save()
    demo_account = Account.objects.get(name="demo-intl")
    response = sync_now(support, account, demo_account)
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert messages[0][0] == "error" and messages[0][1].startswith("acme (1888000000000001): not synced, nothing")
    assert "SignatureDoesNotMatch" in messages[0][1] and ACCESS_KEY_SECRET not in messages[0][1]
    assert messages[1] == ("warning", f"{demo_account}: " + DirectorySyncOff().text)
    account.refresh_from_db()
    assert account.directory_sync_result == "failed" and "SignatureDoesNotMatch" in account.directory_sync_message
    assert "Failed" in response.content.decode()


def test_C14_accounts_are_due_every_interval_and_0_turns_it_off(account, settings):
    settings.DIRECTORY_SYNC_INTERVAL_SECONDS = 3600
    assert list(accounts_due()) == [account]  # never synced
    Account.objects.filter(pk=account.pk).update(directory_synced_at=timezone.now())
    assert list(accounts_due()) == []
    assert list(accounts_due(now=timezone.now() + dt.timedelta(seconds=3601))) == [account]
    settings.DIRECTORY_SYNC_INTERVAL_SECONDS = 0
    assert list(accounts_due(now=timezone.now() + dt.timedelta(days=30))) == []


@pytest.mark.django_db(transaction=True)
def test_C14_the_worker_enqueues_the_sync_of_due_accounts(account, directory, settings):
    """With the tests' immediate task backend the enqueued sync runs at once."""
    settings.DIRECTORY_SYNC_INTERVAL_SECONDS = 3600
    worker = worker_build(worker_id="w-directory", interval=0.01, batch=True, sweep_seconds=3600)
    assert worker.directory_seconds == 3600
    worker.step()
    assert Principal.objects.filter(account=account).count() == 3
    account.refresh_from_db()
    assert account.directory_sync_result == "ok"
    assert tasks.directory_sync_schedule() is False  # just synced: not due


@pytest.mark.django_db(transaction=True)
def test_C14_with_0_the_worker_never_syncs(account, directory, cloud, settings):
    settings.DIRECTORY_SYNC_INTERVAL_SECONDS = 0
    worker = worker_build(worker_id="w-off", interval=0.01, batch=True, sweep_seconds=3600)
    worker.step()
    assert tasks.directory_sync_schedule() is False
    assert cloud.calls == [] and not Principal.objects.filter(account=account).exists()


def test_C14_the_demo_accounts_are_never_scheduled(demo, cloud, settings):
    settings.DIRECTORY_SYNC_INTERVAL_SECONDS = 1
    assert tasks.directory_sync_schedule() is False
    assert cloud.calls == []


@pytest.mark.django_db(transaction=True)
def test_C14_one_sync_task_waits_at_a_time_on_the_database_queue(account, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.DIRECTORY_SYNC_INTERVAL_SECONDS = 3600
    from django_tasks_db.models import DBTaskResult

    assert tasks.directory_sync_schedule() is True
    assert tasks.directory_sync_schedule() is False  # several workers asking: still one task
    assert DBTaskResult.objects.filter(task_path=tasks.directory_sync_due.module_path).count() == 1


def test_C14_T3_sync_now_speaks_the_staffs_language_and_records_the_consoles(support, account, cloud):
    account.credentials_profile = "unknown-key"
    account.save()
    support.post(reverse("set_language"), {"language": "zh-hans"})
    [message] = [str(m) for m in sync_now(support, account).context["messages"]]
    assert message.startswith("acme (1888000000000001)：未同步，未做任何更改。阿里云拒绝了该 AccessKey")
    account.refresh_from_db()
    assert account.directory_sync_message.startswith("Alibaba Cloud refused the AccessKey")
