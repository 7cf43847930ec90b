"""A failed activation send is retried like a delivery before it is shown (C7, C10 with D7)."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from contacts.models import ContactMethod
from contacts.services import contact_update
from tests.peers import SmtpPeer


@pytest.fixture
def smtp(settings):  # noqa: F811 (this file's own: fast activation retries)
    with SmtpPeer() as peer:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": peer.port, "timeout": 5},
            }
        }
        settings.DELIVERY_RETRY_BASE_SECONDS = 0
        settings.ACTIVATION_SEND_MAX_ATTEMPTS = 3
        yield peer.handler


@pytest.fixture
def alice(demo):
    return demo["principals"][("intl", "alice")]


def _update(alice, email, capture):
    with capture(execute=True):
        contact_update(principal=alice, phone="", email=email, language="auto")
    return ContactMethod.objects.get(principal=alice, channel="email")


def test_C7_D7_a_transient_smtp_refusal_is_retried_and_the_message_arrives(
    alice, smtp, django_capture_on_commit_callbacks
):
    smtp.busy_times["alice.retry@example.com"] = 2  # 451 twice, then accepted
    method = _update(alice, "alice.retry@example.com", django_capture_on_commit_callbacks)
    assert [rcpt for rcpt, _text, _raw in smtp.messages] == [["alice.retry@example.com"]]
    assert method.send_error == ""


def test_C7_D7_the_method_shows_the_failure_only_after_the_last_attempt(
    alice, smtp, django_capture_on_commit_callbacks
):
    smtp.busy_times["alice.retry@example.com"] = 3  # as many 451s as attempts
    method = _update(alice, "alice.retry@example.com", django_capture_on_commit_callbacks)
    assert smtp.messages == []
    assert "451" in method.send_error


def test_C7_an_unknown_address_is_not_retried(alice, smtp, django_capture_on_commit_callbacks):
    smtp.refuse.add("nobody@example.com")
    smtp.busy_times["nobody@example.com"] = 0
    method = _update(alice, "nobody@example.com", django_capture_on_commit_callbacks)
    assert "550" in method.send_error


@pytest.mark.django_db(transaction=True)
def test_C7_D7_with_the_database_queue_the_retry_waits_for_its_backoff(settings, smtp):
    """The retry is a task of its own, due after DELIVERY_RETRY_BASE_SECONDS × 2^(attempt-1)."""
    from django_tasks_db.models import DBTaskResult

    from alerts.demo import demo_load
    from contacts.models import Principal

    demo_load(password="demo")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.DELIVERY_RETRY_BASE_SECONDS = 30
    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    smtp.busy_times["alice.queue@example.com"] = 1
    contact_update(principal=alice, phone="", email="alice.queue@example.com", language="auto")
    call_command("run_worker", "--batch", "--sweep-seconds", "3600", verbosity=0)
    assert smtp.messages == []
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert 25 <= (retry.run_after - timezone.now()).total_seconds() <= 31
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    call_command("run_worker", "--batch", "--sweep-seconds", "3600", verbosity=0)
    assert [rcpt for rcpt, _text, _raw in smtp.messages] == [["alice.queue@example.com"]]
    assert ContactMethod.objects.get(principal=alice, channel="email").send_error == ""
