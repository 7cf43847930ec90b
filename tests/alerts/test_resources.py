"""Daily limits on the Alert Resources page (rules D9, A3)."""

import pytest
from django.urls import reverse

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.limits import alert_limit_set, limit_take, usage_summary
from alerts.models import AlertLimit, Delivery, UsageCounter
from tests.concurrency import race_many


def url(ws):
    return reverse("alerts:alert_resources", args=[ws.pk])


def test_D9_past_the_limit_a_delivery_ends_overlimit(ws, http_peer):
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=1, max_voice_per_day=None)
    first = alert_accept(workspace=ws, title="one", recipients=["alice"], channels=["sms", "voice"])
    second = alert_accept(workspace=ws, title="two", recipients=["alice"], channels=["sms", "voice"])
    deliveries_process()
    assert {d.channel: d.status for d in first.deliveries.all()} == {"sms": "SEND_SUCCESS", "voice": "SEND_SUCCESS"}
    statuses = {d.channel: d for d in second.deliveries.all()}
    assert (
        statuses["sms"].status == Delivery.Status.SEND_OVERLIMIT and statuses["sms"].reason_code == "OVER_DAILY_LIMIT"
    )
    assert statuses["voice"].status == Delivery.Status.SEND_SUCCESS  # calls unlimited
    assert len(http_peer.bodies("/sms")) == 1
    assert second.deliveries.filter(replaces__isnull=False).count() == 0  # over the limit is no reason to fall back


def test_D9_email_and_webhook_pushes_are_not_counted(ws, webhook, http_peer):
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=0, max_voice_per_day=0)
    alert = alert_accept(workspace=ws, title="t", recipients=["bob", "alice"], channels=["sms", "email"])
    deliveries_process()
    by = {(d.recipient_name, d.channel): d.status for d in alert.deliveries.all()}
    assert by[("Bob Chan", "sms")] == "SEND_SUCCESS"  # through the customer's own webhook
    assert by[("Alice Wang", "sms")] == "SEND_OVERLIMIT"
    assert by[("Alice Wang", "email")] == "SEND_SUCCESS"


def test_D9_usage_per_channel_today_and_month(ws, http_peer):
    alert_accept(workspace=ws, title="t", recipients=["alice", "role:OnCallBackup"], channels=["sms", "voice"])
    deliveries_process()
    usage = usage_summary(account=ws.account, region=ws.region)
    assert usage["sms"] == {"today": 2, "month": 2} and usage["voice"] == {"today": 2, "month": 2}


@pytest.mark.parametrize(
    "username, status",
    [
        (None, 302),
        ("developer", 403),
        ("outsider", 403),
        ("contacts-viewer", 403),
        ("alert-admin", 200),
        ("dw-admin", 200),
        ("owner", 200),
    ],
)
def test_D9_A1_page_gate(ws, sign_in, username, status):
    assert sign_in(username).get(url(ws)).status_code == status


def test_D9_A3_limits_editable_with_set_the_maximum_number(ws, sign_in):
    client = sign_in("alert-admin")
    page = client.get(url(ws)).content.decode()
    assert "Maximum Alert SMS Messages Per Day" in page and "Maximum Alert Phone Calls Per Day" in page
    response = client.post(url(ws), {"max_sms_per_day": "5", "max_voice_per_day": ""}, follow=True)
    assert "Daily limits saved." in response.content.decode()
    limit = AlertLimit.objects.get(account=ws.account, region=ws.region)
    assert (limit.max_sms_per_day, limit.max_voice_per_day) == (5, None)


def test_D9_A3_view_alert_resources_alone_is_read_only(ws, sign_in, demo):
    from alerts.models import CustomRole

    CustomRole.objects.filter(name="ContactsViewer").update(can_view_contacts=False, can_view_alert_resources=True)
    client = sign_in("contacts-viewer")
    page = client.get(url(ws))
    assert page.status_code == 200 and 'name="max_sms_per_day"' not in page.content.decode()
    assert client.post(url(ws), {"max_sms_per_day": "1"}).status_code == 403
    assert not AlertLimit.objects.exists()


@pytest.mark.parametrize("value", ["-1", "abc", "99999999999"])
def test_D9_E1_bad_limits_are_refused(ws, sign_in, value):
    response = sign_in("dw-admin").post(url(ws), {"max_sms_per_day": value, "max_voice_per_day": ""})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not AlertLimit.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_D9_concurrent_workers_never_both_take_the_last_unit():
    """Eight threads, each with its own connection, race for a limit of 5 units."""
    from alerts.demo import demo_load

    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=5, max_voice_per_day=None)

    def take(_index):
        return [limit_take(account_id=ws.account_id, region_id=ws.region_id, channel="sms") for _ in range(3)]

    results = [taken for batch in race_many(8, take) for taken in batch]
    assert results.count(True) == 5 and len(results) == 24
    assert UsageCounter.objects.get(channel="sms").used == 5


def test_A3_go_to_management_center_opens_alert_resources_for_a_resources_only_role(ws, sign_in):
    from alerts.models import CustomRole

    CustomRole.objects.filter(name="ContactsViewer").update(can_view_contacts=False, can_view_alert_resources=True)
    response = sign_in("contacts-viewer").get(reverse("alerts:go_to_workspace"), {"workspace": ws.pk})
    assert response["Location"] == url(ws)
