"""The Outbox page shows each sign-in only what it may see (C9, A2, A4).

Seen: `developer` (403 everywhere else) read every workspace's alerts and live activation links on
the Outbox page and activated another person's contact method with one; the page was served with
DEBUG off."""

import pytest
from django.urls import reverse

from alerts.intake import alert_accept
from contacts.models import Principal
from contacts.services import contact_update


@pytest.fixture
def outbox(settings, demo, django_capture_on_commit_callbacks):
    settings.OUTBOX_PAGE = True
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.outbox.OutboxTransport",
    }
    settings.OUTBOX_UNDELIVERABLE = []
    intl = demo["accounts"]["intl"]
    alice = Principal.objects.get(account=intl, name="alice")
    developer = Principal.objects.get(account=intl, name="developer")
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="", email="alice.new@example.com", language="auto")
        contact_update(principal=developer, phone="", email="dev.self@example.com", language="auto")
    ws = demo["workspaces"]["demo_workspace"]
    from alerts.dispatch import deliveries_process

    alert_accept(workspace=ws, title="Disk full on etl-7", recipients=["carol"], channels=["email"])
    deliveries_process()
    return settings


def page(sign_in, who):
    return sign_in(who).get(reverse("contacts:outbox"))


def test_A4_a_sign_in_without_view_contacts_sees_only_messages_to_itself(outbox, sign_in):
    html = page(sign_in, "developer").content.decode()
    assert "alice.new@example.com" not in html and "Disk full on etl-7" not in html
    assert "dev.self@example.com" in html  # its own contact method's activation message


def test_A4_view_contacts_shows_the_workspace_messages(outbox, sign_in):
    html = page(sign_in, "contacts-viewer").content.decode()
    assert "alice.new@example.com" in html and "Disk full on etl-7" in html


def test_A2_another_account_sees_nothing_and_support_sees_all(outbox, sign_in):
    html = page(sign_in, "cn-owner").content.decode()
    assert "alice.new@example.com" not in html and "Disk full on etl-7" not in html
    html = page(sign_in, "support").content.decode()
    assert "alice.new@example.com" in html and "Disk full on etl-7" in html and "dev.self@example.com" in html


@pytest.mark.parametrize("debug, flag, status", [(False, False, 404), (False, True, 200), (True, False, 200)])
def test_A4_the_outbox_is_a_development_page(outbox, sign_in, debug, flag, status):
    outbox.DEBUG, outbox.OUTBOX_PAGE = debug, flag
    assert page(sign_in, "dw-admin").status_code == status
    assert page(sign_in, None).status_code == (404 if status == 404 else 302)
