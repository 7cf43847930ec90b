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


def detail_url(ws, alert):
    return reverse("alerts:alert_detail", args=[ws.pk, alert.pk])


def row_of(html, attribute, pk):
    return html.split(f'{attribute}="{pk}"')[1].split("</tr>")[0]


def test_D10_lists_one_row_per_alert_with_counts(history, ws, sign_in):
    other = alert_accept(workspace=ws, title="CPU high", recipients=["alice"], channels=["email"], severity="critical")
    html = sign_in("dw-admin").get(url(ws)).content.decode()
    assert html.count("data-alert=") == 2 and "data-delivery=" not in html
    row = row_of(html, "data-alert", history.pk)
    assert "Disk full" in row and detail_url(ws, history) in row and "Console" in row
    # sent: alice's email and text, OnCallBackup's email instead of dave's; failed: dave's email and text
    assert 'data-delivered="3"' in row and 'data-failed="2"' in row and 'data-final="yes"' in row
    waiting = row_of(html, "data-alert", other.pk)
    assert 'data-delivered="0"' in waiting and 'data-final="no"' in waiting and "Critical" in waiting
    assert html.index("CPU high") < html.index("Disk full")  # newest first


def test_D10_counts_come_from_one_query(history, ws, sign_in, django_assert_max_num_queries):
    for number in range(5):
        alert_accept(workspace=ws, title=f"Alert {number}", recipients=["alice"], channels=["email"])
    deliveries_process()
    client = sign_in("dw-admin")
    client.get(url(ws))
    with django_assert_max_num_queries(10):
        html = client.get(url(ws)).content.decode()
    assert html.count("data-alert=") == 6


def test_D10_history_is_paginated_with_a_page_size(ws, sign_in):
    Alert.objects.bulk_create([Alert(workspace=ws, title=f"Alert {n:02}") for n in range(25)])
    client = sign_in("dw-admin")
    first = client.get(url(ws), {"size": "20"}).content.decode()
    assert first.count("data-alert=") == 20 and "25 results" in first and "page=2" in first
    second = client.get(url(ws), {"size": "20", "page": "2"}).content.decode()
    assert second.count("data-alert=") == 5
    assert client.get(url(ws), {"size": "7"}).content.decode().count("data-alert=") == 25  # 50, the default


def test_D10_D6_alert_page_shows_deliveries_and_the_fallback_chain(history, ws, sign_in):
    html = sign_in("dw-admin").get(detail_url(ws, history)).content.decode()
    assert "Disk full" in html
    dave_email = history.deliveries.get(recipient_name="Dave Miller", channel="email")
    fallback = history.deliveries.get(replaces=dave_email)
    row = row_of(html, "data-delivery", fallback.pk)
    assert "OnCallBackup" in row and f"Instead of #{dave_email.pk}" in row and 'title="SEND_SUCCESS"' in row
    dave_row = row_of(html, "data-delivery", dave_email.pk)
    assert 'title="SEND_FAIL"' in dave_row and 'title="SMTP_550"' in dave_row
    assert "The mail server refused the address (SMTP 550)." in dave_row
    alice_sms = history.deliveries.get(recipient_name="Alice Wang", channel="sms")
    assert 'title="zh-hans"' in row_of(html, "data-delivery", alice_sms.pk)
    assert ">Chinese</span>" in row_of(html, "data-delivery", alice_sms.pk)
    assert f'data-chain="{dave_email.pk} {fallback.pk}"' in html
    chain = html.split(f'data-chain="{dave_email.pk} {fallback.pk}"')[1].split("</ol>")[0]
    assert chain.index("Dave Miller") < chain.index("Alternate alert contact") < chain.index("OnCallBackup")


def test_D10_D6_chain_reaches_the_account_recipient(ws, sign_in):
    alert = Alert.objects.create(workspace=ws, title="Nobody home")
    primary = alert.deliveries.create(channel="email", recipient_name="Dave Miller", status="SEND_FAIL")
    alternate = alert.deliveries.create(
        channel="email", role="alternate", recipient_name="OnCallBackup", status="SEND_FAIL", replaces=primary
    )
    account = alert.deliveries.create(
        channel="email", role="account", address="ops@example.com", status="SEND_SUCCESS", replaces=alternate
    )
    html = sign_in("dw-admin").get(detail_url(ws, alert)).content.decode()
    chain = html.split(f'data-chain="{primary.pk} {alternate.pk} {account.pk}"')[1].split("</ol>")[0]
    assert chain.count("chain-step") == 3 and "Basic Receiving Management recipient" in chain


def test_D10_unknown_reason_code_shows_the_stored_text(ws, sign_in):
    alert = Alert.objects.create(workspace=ws, title="Odd")
    odd = alert.deliveries.create(
        channel="email", status="SEND_FAIL", reason_code="BACKEND_ERROR", reason="RuntimeError: boom"
    )
    html = sign_in("dw-admin").get(detail_url(ws, alert)).content.decode()
    assert "RuntimeError: boom" in row_of(html, "data-delivery", odd.pk)


@pytest.mark.parametrize(
    "username, status",
    [(None, 302), ("developer", 403), ("outsider", 403), ("contacts-viewer", 200), ("dw-admin", 200)],
)
def test_D10_A4_alert_page_gated_like_history(history, ws, sign_in, username, status):
    assert sign_in(username).get(detail_url(ws, history)).status_code == status


def test_D10_A4_alert_of_another_workspace_is_not_found(demo, ws, sign_in):
    other = demo["workspaces"]["analytics_sg"]
    foreign = Alert.objects.create(workspace=other, title="Elsewhere")
    client = sign_in("dw-admin")
    response = client.get(reverse("alerts:alert_detail", args=[ws.pk, foreign.pk]))
    assert response.status_code == 404 and "Elsewhere" not in response.content.decode()
    assert client.get(reverse("alerts:alert_detail", args=[ws.pk, 999999])).status_code == 404


def test_D10_filters_by_status_and_channel(history, ws, sign_in):
    client = sign_in("dw-admin")
    alert_accept(workspace=ws, title="Quiet", recipients=["alice"], channels=["email"])
    html = client.get(url(ws), {"status": "SEND_FAIL", "channel": "email"}).content.decode()
    assert html.count("data-alert=") == 1 and f'data-alert="{history.pk}"' in html
    assert client.get(url(ws), {"status": "SEND_OVERLIMIT"}).content.decode().count("data-alert=") == 0


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
