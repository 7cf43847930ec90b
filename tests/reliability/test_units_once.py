"""A direct text message or call takes one unit of the day's allowance exactly once (D9, D8), and
the test-message limit holds under concurrency (I3)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.dispatch import _batch_claim, _unit_take, deliveries_claim, deliveries_process
from alerts.intake import alert_accept
from alerts.limits import alert_limit_set, usage_summary
from alerts.models import Alert, Delivery, Membership, UsageCounter
from contacts.models import ContactMethod, Principal
from tests.concurrency import race_many

S = Delivery.Status


def _texters(ws, count):
    names = []
    for i in range(count):
        p = Principal.objects.create(account=ws.account, kind="user", name=f"texter-{i}", phone=f"+86139000000{i:02}")
        ContactMethod.objects.create(principal=p, channel="phone", status="activated")
        Membership.objects.create(workspace=ws, principal=p)
        names.append(p.name)
    return names


def test_D9_D8_a_crash_after_the_claim_never_lets_texts_pass_the_limit(ws, sms_outbox):
    """Seen: with 5 units left, a worker claimed 10 texts and died; the next worker sent all 10
    (their attempt count said 'retry', so no unit was taken) and the counter stayed at 5."""
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=5, max_voice_per_day=None)
    alert = alert_accept(workspace=ws, title="t", recipients=_texters(ws, 10), channels=["sms"])
    assert len(deliveries_claim(worker="dies", limit=100)) == 10  # ...and the worker dies here
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    deliveries_process(worker="second")
    statuses = sorted(alert.deliveries.values_list("status", flat=True))
    assert statuses == [S.SEND_OVERLIMIT] * 5 + [S.SEND_SUCCESS] * 5
    assert len(sms_outbox) == 5
    assert usage_summary(account=ws.account, region=ws.region)["sms"]["today"] == 5


def test_D9_D8_a_unit_taken_before_a_crash_is_not_taken_again(ws, sms_outbox):
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["sms"])
    (claimed,) = deliveries_claim(worker="dies", limit=10)
    delivery = Delivery.objects.select_related("alert__workspace").get(pk=claimed)
    assert _unit_take(delivery, "dies") is True  # the unit is taken, then the worker dies before sending
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    deliveries_process(worker="second")
    assert alert.deliveries.get().status == S.SEND_SUCCESS and len(sms_outbox) == 1
    assert UsageCounter.objects.get(channel="sms").used == 1


def test_D9_a_worker_that_lost_its_lease_takes_no_unit(ws):
    alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["sms"])
    (claimed,) = deliveries_claim(worker="slow", limit=10)
    Delivery.objects.filter(pk=claimed).update(lease_owner="other")
    delivery = Delivery.objects.select_related("alert__workspace").get(pk=claimed)
    assert _unit_take(delivery, "slow") is None
    assert not UsageCounter.objects.filter(used__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_I3_eight_simultaneous_test_message_clicks_send_exactly_the_limit(settings, client, django_user_model):
    """Seen: 8 simultaneous clicks sent 7 test messages with a limit of 3."""
    from django.test import Client

    from alerts.demo import demo_load

    demo = demo_load(password="demo")
    ws = demo["workspaces"]["demo_workspace"]
    method = ContactMethod.objects.get(principal__account__name="demo-intl", principal__name="alice", channel="email")
    url = reverse("alerts:test_message", args=[ws.pk, method.pk])
    user = django_user_model.objects.get(username="dw-admin")

    def click(_index):
        browser = Client()
        browser.force_login(user)
        return browser.post(url).status_code

    answers = race_many(8, click)
    assert answers == [302] * 8
    assert Alert.objects.filter(source="test").count() == settings.TEST_MESSAGE_LIMIT == 3


def test_D9_D8_units_are_taken_with_the_claim_and_survive_a_crash_before_sending(ws, sms_outbox):
    """The claim of a batch, its alerts and its units are one transaction: a worker that dies right
    after it has spent its units, and the worker that claims the batch again spends none."""
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=3, max_voice_per_day=None)
    alert = alert_accept(workspace=ws, title="t", recipients=_texters(ws, 5), channels=["sms"])
    claimed, units = _batch_claim(worker="dies", limit=100)  # ...and the worker dies here
    assert len(claimed) == 5 and sorted(units.values()) == [False, False, True, True, True]
    assert usage_summary(account=ws.account, region=ws.region)["sms"]["today"] == 3
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    deliveries_process(worker="second")
    statuses = sorted(alert.deliveries.values_list("status", flat=True))
    assert statuses == [S.SEND_OVERLIMIT] * 2 + [S.SEND_SUCCESS] * 3
    assert len(sms_outbox) == 3 and usage_summary(account=ws.account, region=ws.region)["sms"]["today"] == 3


def test_D9_a_batch_takes_its_counters_in_one_order_whatever_order_its_deliveries_came_in(ws, monkeypatch):
    """Two workers whose batches hold the same counters lock them in the same order, so neither
    waits for the other in a circle (on PostgreSQL one would be aborted as deadlocked)."""
    import alerts.dispatch as dispatch

    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["voice", "sms"])
    deliveries = list(alert.deliveries.select_related("alert__workspace").order_by("-channel"))  # voice, then sms
    assert [d.channel for d in deliveries] == ["voice", "sms"]
    order = []
    monkeypatch.setattr(dispatch, "limit_take", lambda *, channel, count, **kw: order.append(channel) or count)
    dispatch._units_grant(deliveries)
    assert order == sorted(order) == ["sms", "voice"]
