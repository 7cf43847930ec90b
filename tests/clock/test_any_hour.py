"""The suite passes at any hour: every rule about days and expiries, run at pinned instants on
both sides of midnight in UTC and in Asia/Shanghai, with the console set to either zone.

The clock is frozen with time-machine (no sleeps); expected days and times are computed from the
instant and the zone, so nothing here depends on when or where the suite runs.
"""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from alerts.intake import alert_accept
from alerts.limits import alert_limit_set, limit_take, usage_summary
from contacts.messaging.outbox import outbox_append
from contacts.models import ContactMethod, Principal
from contacts.services import ResendLimited, activation_resend, contact_update

INSTANTS = {
    "shanghai-23:59:59": datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC),
    "shanghai-00:00:01": datetime(2026, 11, 30, 16, 0, 1, tzinfo=UTC),
    "utc-23:59:59": datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
    "utc-00:00:01": datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC),
}
LINK = re.compile(r"http://testserver(/activate/[^/\s]+/[^/\s]+/)")


@pytest.fixture(params=["Asia/Shanghai", "UTC"])
def zone(request, settings):
    """The console's zone (TIME_ZONE): the default, and UTC."""
    settings.TIME_ZONE = request.param
    return ZoneInfo(request.param)


@pytest.fixture(params=list(INSTANTS.values()), ids=list(INSTANTS))
def instant(request, zone, time_machine):
    """The frozen 'now' of the test."""
    time_machine.move_to(request.param, tick=False)
    return request.param


@pytest.fixture
def ws(demo):
    return demo["workspaces"]["demo_workspace"]


@pytest.fixture
def alice(demo):
    return Principal.objects.get(account__name="demo-intl", name="alice")


def shown(moment, zone):
    """How the console prints a moment: in its own zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def new_email_link(alice, mailoutbox, capture):
    """Give Alice a new email address; return its waiting method and the path of its link."""
    with capture(execute=True):
        contact_update(principal=alice, phone="", email="alice.new@example.com", language="auto")
    method = ContactMethod.objects.get(principal=alice, channel=ContactMethod.Channel.EMAIL)
    return method, LINK.search(mailoutbox[-1].body).group(1)


def test_D10_date_filter_and_times_in_the_consoles_zone(ws, zone, instant, sign_in):
    """D10: an alert is found under the day it was accepted in TIME_ZONE, and not under the days
    around it; the history prints its time in that zone."""
    alert_accept(workspace=ws, title="Disk full", recipients=["alice"], channels=["email"])
    day = instant.astimezone(zone).date()
    url = reverse("alerts:alert_history", args=[ws.pk])
    client = sign_in("dw-admin")
    html = client.get(url, {"since": day, "until": day}).content.decode()
    assert "Disk full" in html
    assert shown(instant, zone) in html
    assert "Disk full" not in client.get(url, {"since": day + timedelta(days=1)}).content.decode()
    assert "Disk full" not in client.get(url, {"until": day - timedelta(days=1)}).content.decode()


def test_C8_link_valid_at_exactly_the_ttl_and_not_a_second_later(
    alice, instant, time_machine, client, mailoutbox, django_capture_on_commit_callbacks
):
    """C8: whatever the hour it was sent, the link works at exactly ACTIVATION_LINK_TTL_SECONDS
    and is expired one second later."""
    method, path = new_email_link(alice, mailoutbox, django_capture_on_commit_callbacks)
    assert method.link_sent_at == instant
    ttl = timedelta(seconds=settings.ACTIVATION_LINK_TTL_SECONDS)
    time_machine.move_to(instant + ttl + timedelta(seconds=1), tick=False)
    assert client.get(path).status_code == 410
    time_machine.move_to(instant + ttl, tick=False)
    opened = client.get(path)  # the token moves into the session; the page has no token in its URL
    assert opened.status_code == 302
    assert client.get(opened["Location"]).status_code == 200
    assert client.post(opened["Location"]).status_code == 200
    method.refresh_from_db()
    assert method.is_activated and method.activated_at == instant + ttl


def test_C10_at_most_3_activation_messages_per_window_the_first_included(
    alice, instant, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    """C10: the first message and two resends fill the window (ACTIVATION_RESEND_LIMIT = 3 per
    ACTIVATION_RESEND_WINDOW_SECONDS = 600); the next resend is possible once the first message is
    a full window old, across midnight too."""
    method, _path = new_email_link(alice, mailoutbox, django_capture_on_commit_callbacks)
    window = settings.ACTIVATION_RESEND_WINDOW_SECONDS
    for seconds in (60, 120):
        time_machine.move_to(instant + timedelta(seconds=seconds), tick=False)
        activation_resend(method=method)
    time_machine.move_to(instant + timedelta(seconds=window - 1), tick=False)
    with pytest.raises(ResendLimited) as limited:
        activation_resend(method=method)
    assert limited.value.retry_after_seconds in (1, 2)
    time_machine.move_to(instant + timedelta(seconds=window), tick=False)
    activation_resend(method=method)
    assert method.activation_messages.count() == 4


def test_D9_daily_limit_and_usage_follow_the_consoles_day(ws, zone, instant, time_machine):
    """D9: the daily allowance starts again at midnight in TIME_ZONE (not at UTC midnight unless
    that is the zone); usage counts today and this month in that zone."""
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=1, max_voice_per_day=None)

    def take():
        return limit_take(account_id=ws.account_id, region_id=ws.region_id, channel="sms")

    def usage():
        return usage_summary(account=ws.account, region=ws.region)["sms"]

    assert take() and not take()
    assert usage() == {"today": 1, "month": 1}
    today = instant.astimezone(zone).date()
    midnight = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
    time_machine.move_to(midnight - timedelta(seconds=1), tick=False)
    assert not take()
    assert usage() == {"today": 1, "month": 1}
    time_machine.move_to(midnight + timedelta(seconds=1), tick=False)
    assert take() and not take()
    same_month = (today + timedelta(days=1)).month == today.month
    assert usage() == {"today": 1, "month": 2 if same_month else 1}


def test_outbox_shows_times_in_the_consoles_zone(ws, zone, instant, settings, sign_in):
    """The Outbox prints when a message was sent in TIME_ZONE, like every other page."""
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.outbox.OutboxTransport",
    }
    settings.OUTBOX_PAGE = True  # a development page; DEBUG is off in tests
    outbox_append(
        channel="sms",
        to="+8613912345678",
        language="en",
        subject="",
        body="hello",
        kind="test",
        account=ws.account.uid,
        workspace=ws.pk,
    )
    html = sign_in("dw-admin").get(reverse("contacts:outbox")).content.decode()
    assert "+8613912345678" in html
    assert shown(instant, zone) in html
