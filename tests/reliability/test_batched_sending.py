"""A worker sends a batch of deliveries and records their outcomes together (D8, D9), in batches
sized to be sent well within their lease."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts import dispatch
from alerts.dispatch import BatchPace, deliveries_process
from alerts.intake import alert_accept
from alerts.limits import alert_limit_set, limit_take
from alerts.models import Delivery
from contacts.messaging import Transport
from contacts.models import ContactMethod, Principal
from tests.alerts.conftest import members_add

S = Delivery.Status
DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}


@pytest.fixture
def queued(settings):
    """Accepting queues deliveries without sending them: the test's worker sends."""
    settings.TASKS = DUMMY_TASKS


def test_D8_a_batch_costs_the_same_statements_for_10_or_60_deliveries(ws, queued, monkeypatch, settings):
    """Seen: claim, unit, send and outcome were transactions of their own for every delivery."""
    monkeypatch.setattr(dispatch, "FIRST_BATCH", 500)
    names = members_add(ws, 60, "batch")
    counts = []
    for size in (10, 60):
        alert_accept(workspace=ws, title=f"t{size}", recipients=names[:size], channels=["email"])
        with CaptureQueriesContext(connection) as captured:
            assert deliveries_process() == size
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert set(Delivery.objects.values_list("status", flat=True)) == {S.SEND_SUCCESS}


class StealingTransport(Transport):
    """Sends; while sending the first message, another worker takes over one other delivery."""

    stolen: list[int] = []
    sent: list[int] = []

    def send(self, message):
        if not self.stolen:
            other = Delivery.objects.exclude(pk=message.delivery_id).order_by("pk").first()
            Delivery.objects.filter(pk=other.pk).update(lease_owner="other-worker")
            self.stolen.append(other.pk)
        self.sent.append(message.delivery_id)


def test_D8_an_outcome_is_recorded_only_for_deliveries_whose_lease_the_worker_still_holds(ws, queued, settings):
    StealingTransport.stolen, StealingTransport.sent = [], []
    settings.MESSAGING_TRANSPORTS = {**settings.MESSAGING_TRANSPORTS, "email": f"{__name__}.StealingTransport"}
    alert = alert_accept(workspace=ws, title="t", recipients=members_add(ws, 5, "lease"), channels=["email"])
    deliveries_process(worker="slow")
    (stolen,) = StealingTransport.stolen
    assert len(StealingTransport.sent) == 5  # sent before the lease was found lost ...
    taken_over = alert.deliveries.get(pk=stolen)
    assert (taken_over.status, taken_over.lease_owner) == (S.READY_TO_SEND, "other-worker")  # ... but not recorded
    assert set(alert.deliveries.exclude(pk=stolen).values_list("status", flat=True)) == {S.SEND_SUCCESS}


def test_D3_one_batch_writes_each_recipient_in_their_own_language(ws, queued, sms_outbox):
    """The texts are rendered once per alert, language and channel: never one recipient's for another."""
    names = []
    for name, language in (("lang-en", "en"), ("lang-zh", "zh-hans")):
        p = Principal.objects.create(
            account=ws.account, kind="user", name=name, email=f"{name}@example.com", language=language
        )
        ContactMethod.objects.create(principal=p, channel="email", status="activated")
        ws.memberships.create(principal=p)
        names.append(name)
    alert_accept(workspace=ws, title="Disk full", recipients=names, channels=["email"])
    deliveries_process()
    from django.core import mail

    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert bodies["lang-en@example.com"].startswith("Alert: Disk full")
    assert bodies["lang-zh@example.com"].startswith("告警：Disk full")


def test_D9_a_batch_of_texts_takes_only_the_units_left(ws, queued, sms_outbox):
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=3, max_voice_per_day=None)
    names = []
    for i in range(5):
        p = Principal.objects.create(account=ws.account, kind="user", name=f"t-{i}", phone=f"+8613900000{i:03}")
        ContactMethod.objects.create(principal=p, channel="phone", status="activated")
        ws.memberships.create(principal=p)
        names.append(p.name)
    alert = alert_accept(workspace=ws, title="t", recipients=names, channels=["sms"])
    deliveries_process()
    statuses = sorted(alert.deliveries.values_list("status", flat=True))
    assert statuses == [S.SEND_OVERLIMIT] * 2 + [S.SEND_SUCCESS] * 3
    assert len(sms_outbox) == 3
    assert alert.deliveries.filter(unit_taken=True).count() == 3


def test_D9_taking_several_units_takes_what_is_left_and_no_more(ws):
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=5, max_voice_per_day=None)
    take = dict(account_id=ws.account_id, region_id=ws.region_id, channel="sms")
    assert limit_take(**take, count=3) == 3
    assert limit_take(**take, count=4) == 2
    assert limit_take(**take, count=1) == 0
    assert limit_take(**take, count=0) == 0


@pytest.mark.parametrize(
    ("seconds_each", "expected"),
    [
        (None, 20),  # the first batch of a run, until the pace is known
        (0.001, 500),  # the outbox or a fast provider: full batches
        (2.0, 15),  # 2 s per message: 15 are sent in a quarter of the 120 s lease
        (200.0, 1),  # slower than the lease: one at a time
    ],
)
def test_D8_a_batch_is_sized_to_be_sent_within_a_quarter_of_its_lease(settings, seconds_each, expected):
    settings.DELIVERY_BATCH_SIZE = 500
    settings.DELIVERY_LEASE_SECONDS = 120
    pace = BatchPace()
    if seconds_each is not None:
        pace.note(10, 10 * seconds_each)
    assert pace.size() == expected


def test_D8_a_batch_is_never_larger_than_DELIVERY_BATCH_SIZE(settings):
    settings.DELIVERY_BATCH_SIZE = 7
    pace = BatchPace()
    assert pace.size() == 7
    pace.note(7, 0.0)
    assert pace.size() == 7
