"""Test messages, the custom webhook settings and API tokens in the console (rules I3, I1, I2)."""

import hashlib
import hmac

import pytest
from django.urls import reverse

from alerts.models import Alert, ApiToken, WorkspaceWebhook
from contacts.models import ContactMethod


def method(name, channel):
    return ContactMethod.objects.get(principal__name=name, channel=channel)


def test_I3_test_message_to_an_activated_method_is_recorded_like_any_delivery(
    ws, sign_in, mailoutbox, django_capture_on_commit_callbacks
):
    from alerts.dispatch import deliveries_process

    client = sign_in("dw-admin")
    response = client.post(reverse("alerts:test_message", args=[ws.pk, method("alice", "email").pk]), follow=True)
    assert "queued for sending" in response.content.decode()
    alert = Alert.objects.get(source="test")
    deliveries_process()
    (delivery,) = alert.deliveries.all()
    assert delivery.status == "SEND_SUCCESS" and delivery.address == "alice@example.com"
    assert mailoutbox[-1].to == ["alice@example.com"]
    assert "Test message" in client.get(reverse("alerts:alert_history", args=[ws.pk])).content.decode()


def test_I3_test_message_refused_for_waiting_methods_and_rate_limited(ws, sign_in, settings):
    client = sign_in("dw-admin")
    waiting = method("alice", "phone")
    ContactMethod.objects.filter(pk=waiting.pk).update(status="waiting")
    response = client.post(reverse("alerts:test_message", args=[ws.pk, waiting.pk]), follow=True)
    assert "Only activated contact methods" in response.content.decode()
    settings.TEST_MESSAGE_LIMIT = 2
    target = reverse("alerts:test_message", args=[ws.pk, method("alice", "email").pk])
    client.post(target)
    client.post(target)
    assert "Too many test messages" in client.post(target, follow=True).content.decode()
    assert Alert.objects.filter(source="test").count() == 2


def test_I3_test_message_gate(ws, sign_in, demo):
    target = reverse("alerts:test_message", args=[ws.pk, method("alice", "email").pk])
    assert sign_in("contacts-viewer").post(target).status_code == 403
    assert sign_in("cn-owner").post(target).status_code == 403
    assert not Alert.objects.exists()


def test_I3_list_offers_test_buttons_for_activated_methods(ws, sign_in):
    html = sign_in("dw-admin").get(reverse("contacts:ram_users", args=[ws.pk])).content.decode()
    row = html.split('data-principal="alice"')[1].split("</tr>")[0]
    assert "Test email" in row and "Test text message" in row


def test_I3_webhook_settings_secret_once_rotate_and_test_connectivity(ws, sign_in, http_peer):
    client = sign_in("dw-admin")
    page = reverse("alerts:webhook", args=[ws.pk])
    shown = client.post(page, {"action": "save", "url": http_peer.url + "/hook"}, follow=True).content.decode()
    webhook = WorkspaceWebhook.objects.get(workspace=ws)
    assert webhook.secret in shown
    assert webhook.secret not in client.get(page).content.decode()  # shown once
    result = client.post(page, {"action": "test"}, follow=True).content.decode()
    assert "Test push delivered" in result
    request = http_peer.requests[-1]
    assert (
        request["headers"]["X-Signature"]
        == "sha256=" + hmac.new(webhook.secret.encode(), request["body"], hashlib.sha256).hexdigest()
    )
    old = webhook.secret
    client.post(page, {"action": "rotate", "confirmed": "1"})
    webhook.refresh_from_db()
    assert webhook.secret != old
    http_peer.scripts["/hook"] = [(500, 0)]
    assert "Test push failed" in client.post(page, {"action": "test"}, follow=True).content.decode()


@pytest.mark.parametrize("value", ["", "not a url", "ftp://x.example/", "javascript:alert(1)"])
def test_I3_E1_webhook_url_must_be_http(ws, sign_in, value):
    response = sign_in("dw-admin").post(
        reverse("alerts:webhook", args=[ws.pk]), {"action": "save", "url": value}, follow=True
    )
    assert "http:// or https://" in response.content.decode()
    assert not WorkspaceWebhook.objects.exists()


def test_I1_tokens_page_creates_shows_once_and_revokes(ws, sign_in, client):
    console = sign_in("dw-admin")
    page = reverse("alerts:api_tokens", args=[ws.pk])
    html = console.post(page, {"name": "grafana", "kind": "api"}, follow=True).content.decode()
    raw = html.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("ac_") and raw not in console.get(page).content.decode()
    token = ApiToken.objects.get(name="grafana")
    console.post(page, {"revoke": token.pk, "confirmed": "1"})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_I2_E1_receiver_needs_valid_recipients_and_channels(ws, sign_in):
    console = sign_in("dw-admin")
    page = reverse("alerts:api_tokens", args=[ws.pk])
    html = console.post(
        page, {"name": "p", "kind": "alertmanager", "recipients": "ghost", "channels": ["email"]}, follow=True
    ).content.decode()
    assert "ghost" in html and not ApiToken.objects.exists()
    console.post(page, {"name": "p", "kind": "alertmanager", "recipients": "alice", "channels": ["email"]})
    assert ApiToken.objects.get().recipients == ["alice"]


@pytest.mark.parametrize("username, status", [("contacts-viewer", 403), ("developer", 403), ("alert-admin", 200)])
def test_A1_A3_integration_pages_need_full_access(ws, sign_in, username, status):
    client = sign_in(username)
    for name in ("alerts:api_tokens", "alerts:webhook"):
        assert client.get(reverse(name, args=[ws.pk])).status_code == status
