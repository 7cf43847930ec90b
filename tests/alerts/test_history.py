"""Alert history, the Operation Center view (rules D10), and the operators' command."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Alert


@pytest.fixture
def history(ws, settings):
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.outbox.OutboxTransport",
    }
    alert = alert_accept(workspace=ws, title="Disk full", recipients=["alice", "dave"], channels=["email", "sms"])
    deliveries_process()
    return alert


def url(ws, **params):
    return reverse("alerts:alert_history", args=[ws.pk])


@pytest.mark.parametrize(
    "username, status",
    [
        (None, 302),
        ("developer", 403),
        ("outsider", 403),
        ("cn-owner", 403),
        ("contacts-viewer", 200),
        ("dw-admin", 200),
        ("owner", 200),
    ],
)
def test_D10_gated_like_alert_contacts(history, ws, sign_in, username, status):
    assert sign_in(username).get(url(ws)).status_code == status


def test_D10_shows_deliveries_with_status_reason_language_and_fallback(history, ws, sign_in):
    html = sign_in("dw-admin").get(url(ws)).content.decode()
    assert "Disk full" in html
    dave_email = history.deliveries.get(recipient_name="Dave Miller", channel="email")
    fallback = history.deliveries.get(replaces=dave_email)
    row = html.split(f'data-delivery="{fallback.pk}"')[1].split("</tr>")[0]
    assert "OnCallBackup" in row and f"Instead of #{dave_email.pk}" in row and "SEND_SUCCESS" in row
    dave_row = html.split(f'data-delivery="{dave_email.pk}"')[1].split("</tr>")[0]
    assert "SEND_FAIL" in dave_row and "SMTP_550" in dave_row
    alice_sms = history.deliveries.get(recipient_name="Alice Wang", channel="sms")
    assert "zh-hans" in html.split(f'data-delivery="{alice_sms.pk}"')[1].split("</tr>")[0]


def test_D10_filters_by_status_and_channel(history, ws, sign_in):
    client = sign_in("dw-admin")
    html = client.get(url(ws), {"status": "SEND_FAIL", "channel": "email"}).content.decode()
    assert html.count("data-delivery=") == 1 and 'data-status="SEND_FAIL"' in html
    assert client.get(url(ws), {"status": "SEND_OVERLIMIT"}).content.decode().count("data-delivery=") == 0


def test_D10_filters_by_date(history, ws, sign_in):
    """D10: the dates of the filter are days in the console's zone (TIME_ZONE), not UTC days."""
    client = sign_in("dw-admin")
    day = timezone.localdate(history.created_at)
    assert "Disk full" in client.get(url(ws), {"since": day.isoformat(), "until": day.isoformat()}).content.decode()
    assert "Disk full" not in client.get(url(ws), {"since": "2099-01-01"}).content.decode()


@pytest.mark.parametrize("params", [{"status": "NOPE"}, {"since": "yesterday"}, {"channel": "fax"}, {"page": "x"}])
def test_D10_E1_bad_filters_are_explained_not_500(history, ws, sign_in, params):
    response = sign_in("dw-admin").get(url(ws), params)
    assert response.status_code == 200
    if "page" not in params:
        assert "errorlist" in response.content.decode()


def test_D10_never_shows_another_workspace(history, demo, sign_in):
    other = demo["workspaces"]["analytics_sg"]
    assert "Disk full" not in sign_in("dw-admin").get(url(other)).content.decode()


@pytest.mark.django_db(transaction=True)
def test_D8_send_alert_command_prints_id_and_final_statuses(settings, capsys):
    """Transactional: the accepted alert commits, which wakes the (immediate) task backend."""
    from alerts.demo import demo_load

    demo_load(password="demo")
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.outbox.OutboxTransport",
    }
    call_command(
        "send_alert",
        "--workspace",
        "demo_workspace",
        "--to",
        "alice,dave",
        "--channels",
        "email,sms",
        "--title",
        "T",
        "--content",
        "C",
        "--wait",
        "--timeout",
        "5",
    )
    out = capsys.readouterr().out
    alert = Alert.objects.get()
    assert f"Alert {alert.pk} accepted." in out
    assert "OnCallBackup" in out and "SEND_SUCCESS" in out and "SEND_FAIL" in out and "fallback for" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--workspace", "nope", "--to", "alice", "--title", "T"], "No workspace"),
        (["--workspace", "demo_workspace", "--to", "ghost", "--title", "T"], "ghost"),
        (["--workspace", "demo_workspace", "--to", "alice", "--channels", "fax", "--title", "T"], "channels"),
    ],
)
def test_E1_send_alert_refuses_bad_input(ws, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("send_alert", *args)
    assert not Alert.objects.exists()
