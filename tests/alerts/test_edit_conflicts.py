"""Concurrent edits of the daily limits (rules D9) and of the custom webhook URL (D4) are never
lost silently: each form carries its row's version (0 while there is none); a stale submit
changes nothing and shows the values saved now, who saved them and when; a second submit applies."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.limits import alert_limit_set
from alerts.models import AlertLimit, WorkspaceWebhook
from alerts.webhooks import webhook_configure
from contacts.versioning import StaleEdit
from tests.concurrency import race


@pytest.fixture
def other_admin(demo, django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.get(username="alert-admin"))
    return client


def form_version(html):
    return int(re.search(r'<input type="hidden" name="version" value="(\d+)"', html).group(1))


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


# Alert Resources


def resources(ws):
    return reverse("alerts:alert_resources", args=[ws.pk])


def save_limits(client, ws, version, sms="", voice=""):
    return client.post(resources(ws), {"max_sms_per_day": sms, "max_voice_per_day": voice, "version": version})


def test_D9_two_stale_submits_in_a_row_change_nothing_then_save_applies(ws, sign_in, other_admin):
    mine = sign_in("dw-admin")
    version = form_version(mine.get(resources(ws)).content.decode())
    assert version == 0  # no limits yet
    assert save_limits(other_admin, ws, 0, sms="5").status_code == 302

    first = save_limits(mine, ws, version, sms="7", voice="2")
    html = first.content.decode()
    limit = AlertLimit.objects.get(account=ws.account, region=ws.region)
    record = AlertLimit.history.filter(id=limit.pk).first()
    assert first.status_code == 409
    assert f"Not saved: alert-admin changed this at {local(record.history_date)}, after you opened this page." in html
    assert 'value="7"' in html and "press Save again to save yours" in html
    assert (limit.max_sms_per_day, limit.max_voice_per_day) == (5, None)
    assert form_version(html) == limit.version

    again = save_limits(mine, ws, version, sms="7", voice="2")
    assert again.status_code == 409
    limit.refresh_from_db()
    assert limit.max_sms_per_day == 5

    assert save_limits(other_admin, ws, limit.version, sms="6").status_code == 302
    third = save_limits(mine, ws, form_version(html), sms="7", voice="2")
    assert third.status_code == 409
    assert save_limits(mine, ws, form_version(third.content.decode()), sms="7", voice="2").status_code == 302
    limit.refresh_from_db()
    assert (limit.max_sms_per_day, limit.max_voice_per_day) == (7, 2)


def test_D9_T3_the_conflict_in_chinese(ws, sign_in, other_admin):
    mine = sign_in("dw-admin")
    mine.post(reverse("set_language"), {"language": "zh-hans"})
    save_limits(other_admin, ws, 0, sms="5")
    html = save_limits(mine, ws, 0, sms="7").content.decode()
    assert "未保存：在您打开此页面之后，alert-admin 于" in html and "再次点击“保存”保存您的值" in html


def test_D9_the_service_refuses_a_stale_version(ws):
    """The version check itself: this fails if alert_limit_set stops comparing versions."""
    limit = alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=5, max_voice_per_day=None, version=0)
    with pytest.raises(StaleEdit):
        alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=9, max_voice_per_day=None, version=0)
    alert_limit_set(
        account=ws.account, region=ws.region, max_sms_per_day=6, max_voice_per_day=None, version=limit.version
    )
    with pytest.raises(StaleEdit):
        alert_limit_set(
            account=ws.account, region=ws.region, max_sms_per_day=9, max_voice_per_day=None, version=limit.version
        )
    assert AlertLimit.objects.get().max_sms_per_day == 6


def test_D9_an_unchanged_save_keeps_the_version(ws, sign_in):
    client = sign_in("dw-admin")
    save_limits(client, ws, 0, sms="5")
    limit = AlertLimit.objects.get()
    assert save_limits(client, ws, limit.version, sms="5").status_code == 302
    assert AlertLimit.objects.get().version == limit.version


@pytest.mark.django_db(transaction=True)
def test_D9_two_first_saves_at_once_apply_once():
    """Both forms saw no limits; one creates them, the other is told."""
    from alerts.demo import demo_load

    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    results = race(
        *[
            lambda n=n: alert_limit_set(
                account=ws.account, region=ws.region, max_sms_per_day=n, max_voice_per_day=None, version=0
            )
            for n in (1, 2)
        ]
    )
    assert sorted(type(r).__name__ for r in results) == ["AlertLimit", "StaleEdit"]
    assert AlertLimit.objects.get().version == 1


# Custom webhook


def webhook_page(ws):
    return reverse("alerts:webhook", args=[ws.pk])


def save_url(client, ws, version, url):
    return client.post(webhook_page(ws), {"action": "save", "url": url, "version": version})


@pytest.fixture
def dw_admins(demo, sign_in, django_user_model):
    """Two administrators with the webhook page (manage contacts): mine and the owner's."""
    theirs = Client()
    theirs.force_login(django_user_model.objects.get(username="owner"))
    return sign_in("dw-admin"), theirs


def test_D4_two_stale_url_saves_in_a_row_change_nothing_then_save_applies(ws, dw_admins):
    mine, theirs = dw_admins
    save_url(theirs, ws, 0, "https://one.example.com/hook")
    webhook = WorkspaceWebhook.objects.get()
    secret = webhook.secret
    version = form_version(mine.get(webhook_page(ws)).content.decode())
    assert save_url(theirs, ws, version, "https://two.example.com/hook").status_code == 302

    first = save_url(mine, ws, version, "https://mine.example.com/hook")
    html = first.content.decode()
    record = WorkspaceWebhook.history.filter(id=webhook.pk).first()
    assert first.status_code == 409
    assert f"Not saved: owner changed this at {local(record.history_date)}, after you opened this page." in html
    assert "https://two.example.com/hook" in html and 'value="https://mine.example.com/hook"' in html
    assert secret not in html
    webhook.refresh_from_db()
    assert webhook.url == "https://two.example.com/hook" and form_version(html) == webhook.version

    assert save_url(mine, ws, version, "https://mine.example.com/hook").status_code == 409
    assert save_url(mine, ws, form_version(html), "https://mine.example.com/hook").status_code == 302
    webhook.refresh_from_db()
    assert webhook.url == "https://mine.example.com/hook" and webhook.secret == secret


def test_D4_a_webhook_created_meanwhile_is_not_replaced(ws, dw_admins):
    mine, theirs = dw_admins
    assert form_version(mine.get(webhook_page(ws)).content.decode()) == 0
    save_url(theirs, ws, 0, "https://theirs.example.com/hook")
    secret = WorkspaceWebhook.objects.get().secret
    response = save_url(mine, ws, 0, "https://mine.example.com/hook")
    assert response.status_code == 409 and "Copy the secret now" not in response.content.decode()
    webhook = WorkspaceWebhook.objects.get()
    assert (webhook.url, webhook.secret) == ("https://theirs.example.com/hook", secret)


def test_D4_a_webhook_removed_meanwhile_is_not_brought_back_unseen(ws, dw_admins):
    mine, theirs = dw_admins
    save_url(theirs, ws, 0, "https://theirs.example.com/hook")
    version = form_version(mine.get(webhook_page(ws)).content.decode())
    theirs.post(webhook_page(ws), {"action": "remove", "confirmed": "1"})
    response = save_url(mine, ws, version, "https://mine.example.com/hook")
    html = response.content.decode()
    assert response.status_code == 409 and "Not saved: owner changed this at" in html
    assert not WorkspaceWebhook.objects.exists() and form_version(html) == 0
    assert save_url(mine, ws, 0, "https://mine.example.com/hook").status_code == 302  # POST-redirect-GET
    assert "Copy the secret now" in mine.get(webhook_page(ws)).content.decode()


def test_D4_the_service_refuses_a_stale_version(ws):
    """The version check itself: this fails if webhook_configure stops comparing versions."""
    webhook, _secret = webhook_configure(workspace=ws, url="https://one.example.com/", version=0)
    webhook_configure(workspace=ws, url="https://two.example.com/", version=webhook.version)
    with pytest.raises(StaleEdit):
        webhook_configure(workspace=ws, url="https://three.example.com/", version=webhook.version)
    assert WorkspaceWebhook.objects.get().url == "https://two.example.com/"


def test_D4_C13_an_admin_change_bumps_the_version_and_is_named(ws, dw_admins, django_user_model):
    mine, theirs = dw_admins
    save_url(theirs, ws, 0, "https://one.example.com/hook")
    webhook = WorkspaceWebhook.objects.get()
    version = form_version(mine.get(webhook_page(ws)).content.decode())
    support = Client()
    support.force_login(django_user_model.objects.get(username="support"))
    response = support.post(
        reverse("admin:alerts_workspacewebhook_change", args=[webhook.pk]),
        {"workspace": ws.pk, "url": "https://admin.example.com/hook", "secret": webhook.secret},
    )
    assert response.status_code == 302
    html = save_url(mine, ws, version, "https://mine.example.com/hook").content.decode()
    assert "Not saved: support changed this at" in html


def test_D4_the_history_never_holds_the_secret(ws):
    webhook, secret = webhook_configure(workspace=ws, url="https://one.example.com/", version=0)
    assert "secret" not in {field.name for field in WorkspaceWebhook.history.model._meta.fields}
    assert WorkspaceWebhook.history.filter(id=webhook.pk).count() == 1
