"""Secrets are shown once and never re-sent; destructive actions ask first (E2, I1, D4, C11)."""

import pytest
from django.urls import reverse

from alerts.models import ApiToken, WorkspaceWebhook


def test_I1_a_new_token_is_shown_once_after_a_redirect_and_a_reload_creates_nothing(ws, sign_in):
    """Seen: the token came in the POST answer without Cache-Control; reloading re-submitted the
    form and created a second token."""
    console = sign_in("dw-admin")
    page = reverse("alerts:api_tokens", args=[ws.pk])
    answer = console.post(page, {"name": "grafana", "kind": "api"})
    assert answer.status_code == 302 and answer["Location"] == page  # POST-redirect-GET
    shown = console.get(page)
    raw = shown.content.decode().split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("ac_") and ApiToken.objects.get(name="grafana").prefix == raw[:10]
    assert "no-store" in shown["Cache-Control"]
    again = console.get(page)  # a reload
    assert raw not in again.content.decode() and "no-store" in again["Cache-Control"]
    assert ApiToken.objects.count() == 1
    assert raw not in str(dict(console.session))  # gone from the session once shown


def test_D4_a_new_webhook_secret_is_shown_once_after_a_redirect(ws, sign_in, http_peer):
    console = sign_in("dw-admin")
    page = reverse("alerts:webhook", args=[ws.pk])
    answer = console.post(page, {"action": "save", "url": http_peer.url + "/hook"})
    assert answer.status_code == 302
    secret = WorkspaceWebhook.objects.get().secret
    first = console.get(page)
    assert secret in first.content.decode() and "no-store" in first["Cache-Control"]
    assert secret not in console.get(page).content.decode()


def test_I1_revoking_a_token_asks_first_and_names_the_consequence(ws, sign_in):
    console = sign_in("dw-admin")
    page = reverse("alerts:api_tokens", args=[ws.pk])
    console.post(page, {"name": "prometheus", "kind": "api"})
    token = ApiToken.objects.get()
    asked = console.post(page, {"revoke": token.pk})
    html = asked.content.decode()
    assert asked.status_code == 200 and "will get 401" in html and 'name="confirmed" value="1"' in html
    token.refresh_from_db()
    assert token.revoked_at is None  # nothing happens until confirmed
    console.post(page, {"revoke": token.pk, "confirmed": "1"})
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize("action, consequence", [("rotate", "stops signing pushes"), ("remove", "no custom webhook")])
def test_D4_new_secret_and_remove_webhook_ask_first(ws, sign_in, webhook, action, consequence):
    console = sign_in("dw-admin")
    page = reverse("alerts:webhook", args=[ws.pk])
    asked = console.post(page, {"action": action, "url": webhook.url})
    assert asked.status_code == 200 and consequence in asked.content.decode()
    assert WorkspaceWebhook.objects.get().secret == webhook.secret
    console.post(page, {"action": action, "url": webhook.url, "confirmed": "1"})
    if action == "remove":
        assert not WorkspaceWebhook.objects.exists()
    else:
        assert WorkspaceWebhook.objects.get().secret != webhook.secret


def test_C11_removing_or_replacing_the_alternate_contact_asks_first(ws, sign_in, demo):
    backup = demo["principals"][("intl", "OnCallBackup")]
    alice = demo["principals"][("intl", "alice")]
    ws.alternate_contact = backup
    ws.save()
    console = sign_in("dw-admin")
    url = reverse("alerts:alternate_contact", args=[ws.pk])
    for value in (alice.pk, ""):
        asked = console.post(url, {"principal": value})
        assert asked.status_code == 200 and "OnCallBackup will no longer receive" in asked.content.decode()
        ws.refresh_from_db()
        assert ws.alternate_contact == backup
    console.post(url, {"principal": alice.pk, "confirmed": "1"})
    ws.refresh_from_db()
    assert ws.alternate_contact == alice


def test_C11_choosing_a_first_alternate_needs_no_confirmation(ws, sign_in, demo):
    ws.alternate_contact = None
    ws.save()
    backup = demo["principals"][("intl", "OnCallBackup")]
    sign_in("dw-admin").post(reverse("alerts:alternate_contact", args=[ws.pk]), {"principal": backup.pk})
    ws.refresh_from_db()
    assert ws.alternate_contact == backup
