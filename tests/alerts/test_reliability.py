"""No alert is lost, none is sent twice (rules D8, with D7)."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from alerts.dispatch import deliveries_claim, deliveries_process, delivery_send
from alerts.intake import alert_accept
from alerts.models import Alert, Delivery
from contacts.messaging import Transport

from .conftest import members_add

S = Delivery.Status
SENT = []
SENT_LOCK = threading.Lock()


class RecordingChannel(Transport):
    def send(self, message):
        with SENT_LOCK:
            SENT.append(message.delivery_id)


class ExplodingChannel(Transport):
    def send(self, message):
        raise RuntimeError("provider library crashed")


@pytest.fixture
def recording(settings):
    SENT.clear()
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "email": "tests.alerts.test_reliability.RecordingChannel",
    }
    return SENT


def test_D8_alert_and_deliveries_are_stored_before_anything_is_sent(ws, recording):
    alert = alert_accept(workspace=ws, title="t", recipients=["alice", "carol"], channels=["email", "sms"])
    assert recording == []  # nothing sent at accept time
    assert alert.deliveries.count() == 4
    assert {d.status for d in alert.deliveries.filter(channel="email")} == {S.READY_TO_SEND}


def test_D8_a_backend_that_raises_still_ends_every_delivery(ws, settings):
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "email": "tests.alerts.test_reliability.ExplodingChannel",
    }
    alert = alert_accept(workspace=ws, title="t", recipients=["alice", "carol"], channels=["email"])
    deliveries_process()
    deliveries = list(alert.deliveries.all())
    assert all(d.is_final for d in deliveries)
    primaries = [d for d in deliveries if d.role == "primary"]
    assert {d.reason_code for d in primaries} == {"BACKEND_ERROR"}
    assert all("provider library crashed" in d.reason for d in primaries)


def test_D8_worker_killed_mid_delivery_is_claimed_again_after_its_lease(ws, recording, settings, caplog):
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["email"])
    (claimed,) = deliveries_claim(worker="dead-worker", limit=10)  # ...and the worker dies here
    assert deliveries_process(worker="second") == 0  # leased: nobody else may send it meanwhile
    Delivery.objects.filter(pk=claimed).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert deliveries_process(worker="second") == 1
    delivery = alert.deliveries.get()
    assert delivery.status == S.SEND_SUCCESS and delivery.attempts == 2 and recording == [delivery.pk]
    # The dead worker's late answer is ignored: the outcome is recorded once.
    assert delivery_send(delivery_id=claimed, worker="dead-worker") == 0
    assert alert.deliveries.get().status == S.SEND_SUCCESS
    assert f"Delivery {claimed}: lease lost before its outcome (SEND_SUCCESS) was recorded" in caplog.text


def test_D8_the_claim_takes_the_earliest_due_first_and_leases_only_what_it_returns(ws, settings):
    """D8: one statement picks, leases and reads back the claimed deliveries. It takes what fell
    due first (then the lowest id), up to its limit, in that order; it counts the attempt and
    leases for DELIVERY_LEASE_SECONDS; it leaves alone what is not yet due, leased by another
    worker, or already final."""
    alert = alert_accept(workspace=ws, title="t", recipients=["alice", "carol"], channels=["email", "sms"])
    first, second, third, fourth = alert.deliveries.order_by("pk")
    now = timezone.now()
    due = {first.pk: now - timedelta(seconds=10), second.pk: now - timedelta(seconds=30)}
    for pk, moment in due.items():
        Delivery.objects.filter(pk=pk).update(next_attempt_at=moment)
    Delivery.objects.filter(pk=third.pk).update(next_attempt_at=now + timedelta(hours=1))
    Delivery.objects.filter(pk=fourth.pk).update(lease_owner="other", lease_until=now + timedelta(minutes=5))
    assert deliveries_claim(worker="w", limit=1) == [second.pk]
    Delivery.objects.filter(pk=second.pk).update(lease_owner="", lease_until=None)  # as a retry leaves it
    assert deliveries_claim(worker="w", limit=10) == [second.pk, first.pk]
    assert deliveries_claim(worker="w", limit=10) == []
    leased = Delivery.objects.get(pk=second.pk)
    assert leased.lease_owner == "w" and leased.attempts == 2
    lease = (leased.lease_until - now).total_seconds()
    assert settings.DELIVERY_LEASE_SECONDS - 5 < lease <= settings.DELIVERY_LEASE_SECONDS + 5
    assert Delivery.objects.get(pk=fourth.pk).lease_owner == "other"
    assert Delivery.objects.get(pk=third.pk).attempts == 0


def test_D8_every_delivery_ends_in_exactly_one_final_status(ws, smtp, http_peer):
    smtp.refuse.add("dave@example.invalid")
    alert = alert_accept(
        workspace=ws,
        title="t",
        recipients=["alice", "bob", "carol", "dave"],
        channels=["email", "sms", "voice", "webhook"],
    )
    deliveries_process()
    for delivery in Delivery.objects.filter(alert=alert):
        assert delivery.status in Delivery.FINAL and delivery.finished_at is not None
        assert delivery.status == S.SEND_SUCCESS or delivery.reason_code


@pytest.mark.django_db(transaction=True)
def test_D8_two_workers_racing_never_send_twice(recording, settings):
    """Two workers (threads with their own connections) share 240 deliveries; on PostgreSQL they
    claim with SELECT … FOR UPDATE SKIP LOCKED."""
    from alerts.demo import demo_load

    settings.DELIVERY_BATCH_SIZE = 7
    # Accepting must not send on commit here (the immediate task backend would send all 240 in this
    # thread before the race begins): only the two workers may send.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    demo = demo_load(password="demo")
    ws = demo["workspaces"]["demo_workspace"]
    names = members_add(ws, 240, "racer")
    alert = alert_accept(workspace=ws, title="race", recipients=names, channels=["email"])
    errors = []
    start = threading.Barrier(2, timeout=10)

    def work(name):
        try:
            start.wait()
            deliveries_process(worker=name)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    deliveries = Delivery.objects.filter(alert=alert)
    assert deliveries.count() == 240
    assert set(deliveries.values_list("status", flat=True)) == {S.SEND_SUCCESS}
    pks = list(deliveries.values_list("pk", flat=True))
    assert Counter(recording) == Counter(pks)  # every delivery sent exactly once: none lost, none twice
    assert set(deliveries.values_list("attempts", flat=True)) == {1}  # each claimed once
    assert set(deliveries.values_list("lease_owner", flat=True)) == {"worker-0", "worker-1"}  # both took part
    assert Alert.objects.count() == 1


def test_D8_accepting_costs_the_same_queries_for_10_or_120_recipients(ws, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    names = members_add(ws, 120, "bulk")
    counts = []
    for size in (10, 120):
        with CaptureQueriesContext(connection) as captured:
            alert_accept(workspace=ws, title="t", recipients=names[:size], channels=["email", "sms"])
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 12


def test_D8_deliver_due_command_sends_what_is_waiting(ws, recording, capsys):
    from django.core.management import call_command

    alert_accept(workspace=ws, title="t", recipients=["alice", "carol"], channels=["email"])
    call_command("deliver_due")
    assert "2 deliveries handled." in capsys.readouterr().out
    assert len(recording) == 2
