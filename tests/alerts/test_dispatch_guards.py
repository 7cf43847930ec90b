"""Guards of the dispatcher: the claim skips rows another worker holds, a worker that lost its lease
records nothing, and a retried text message takes one daily unit in all (rules D7, D8, D9)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from alerts.dispatch import deliveries_claim, deliveries_process, delivery_send
from alerts.intake import alert_accept
from alerts.limits import alert_limit_set, usage_summary
from alerts.models import Delivery
from contacts.messaging import Transport
from contacts.messaging.failures import IncorrectContact, TransientFailure

S = Delivery.Status
SENT = []
QUIET_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}


class SentChannel(Transport):
    def send(self, message):
        SENT.append(message.delivery_id)


class TransientChannel(Transport):
    def send(self, message):
        SENT.append(message.delivery_id)
        raise TransientFailure("gateway timed out", code="TIMEOUT")


class IncorrectChannel(Transport):
    def send(self, message):
        SENT.append(message.delivery_id)
        raise IncorrectContact("no such mailbox", code="SMTP_550")


OUTCOMES = {"sent": SentChannel, "transient": TransientChannel, "incorrect": IncorrectChannel}


def expire_lease(delivery_id):
    Delivery.objects.filter(pk=delivery_id).update(lease_until=timezone.now() - timedelta(seconds=1))


def snapshot(delivery_id):
    return Delivery.objects.values().get(pk=delivery_id)


# --- D8: the claim skips what another worker has locked (PostgreSQL) -------------------------------


@pytest.mark.django_db(transaction=True)
def test_D8_claim_skips_rows_another_worker_holds_and_does_not_wait(settings):
    """D8: while one connection holds row locks on some due deliveries, a claim takes the others at
    once (FOR UPDATE SKIP LOCKED): it neither waits for the locked rows nor takes them."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and SKIP LOCKED: PostgreSQL only (SQLite serialises writers)")
    from alerts.demo import demo_load

    settings.TASKS = QUIET_TASKS  # accepting must not send anything on commit
    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    alert = alert_accept(workspace=ws, title="t", recipients=["alice", "bob", "carol", "dave"], channels=["email"])
    due = list(alert.deliveries.filter(status=S.READY_TO_SEND).order_by("pk").values_list("pk", flat=True))
    assert len(due) == 4
    held, free = due[:2], due[2:]  # the claim orders by due time, then id: it meets the locked rows first
    locked, release, problems = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                assert len(list(Delivery.objects.select_for_update().filter(pk__in=held))) == 2
                locked.set()
                release.wait(15)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            problems.append(error)
        finally:
            connection.close()

    claim = {}

    def claim_as_second_worker():
        try:
            with connection.cursor() as cursor:  # a hard stop, so a waiting claim cannot hang the suite
                cursor.execute("SET lock_timeout = '4s'")
            claim["ids"] = deliveries_claim(worker="second", limit=10)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            claim["error"] = error
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        claimer = threading.Thread(target=claim_as_second_worker)
        started = time.monotonic()
        claimer.start()
        claimer.join(timeout=6)
        waited = time.monotonic() - started
        finished_while_locked = not claimer.is_alive()
    finally:
        release.set()
        holder.join(15)
    claimer.join(15)
    assert problems == [], problems
    assert "error" not in claim, f"the claim waited for the locked rows until lock_timeout: {claim.get('error')}"
    assert finished_while_locked and waited < 2, f"the claim waited {waited:.1f} s for locked rows"
    assert sorted(claim["ids"]) == free
    for row in Delivery.objects.filter(pk__in=held):
        assert (row.lease_owner, row.lease_until, row.attempts) == ("", None, 0)  # not taken
    assert set(Delivery.objects.filter(pk__in=free).values_list("lease_owner", flat=True)) == {"second"}
    # Once released, the rows the holder had are claimable as usual.
    assert sorted(deliveries_claim(worker="third", limit=10)) == held


# --- D8: the lease owner, and only the lease owner, records an outcome ---------------------------


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_D8_worker_whose_lease_was_taken_over_records_nothing(ws, settings, outcome):
    """D8: worker `first` claims, its lease expires, worker `second` claims the delivery again; when
    `first` finally finishes (sent, transient failure or incorrect contact) nothing changes: no
    status, no retry time, no reason, no fallback. Then `second` records its own outcome."""
    SENT.clear()
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "email": f"tests.alerts.test_dispatch_guards.{OUTCOMES[outcome].__name__}",
    }
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["email"])
    (claimed,) = deliveries_claim(worker="first", limit=10)
    expire_lease(claimed)
    assert deliveries_claim(worker="second", limit=10) == [claimed]
    before = snapshot(claimed)
    assert before["lease_owner"] == "second" and before["attempts"] == 2

    assert delivery_send(delivery_id=claimed, worker="first") == 0
    assert snapshot(claimed) == before
    assert alert.deliveries.count() == 1  # no fallback delivery either

    assert delivery_send(delivery_id=claimed, worker="second") == 1
    after = snapshot(claimed)
    expected = {"sent": S.SEND_SUCCESS, "transient": S.READY_TO_SEND, "incorrect": S.SEND_FAIL}[outcome]
    assert after["status"] == expected and after != before


def test_D8_late_worker_cannot_overwrite_an_outcome_already_recorded(ws, settings):
    """D8: the other order: `second` has already recorded a failure; `first` answering "sent" later
    leaves the failure and its reason as they are."""
    SENT.clear()
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "email": "tests.alerts.test_dispatch_guards.IncorrectChannel",
    }
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["email"])
    (claimed,) = deliveries_claim(worker="first", limit=10)
    expire_lease(claimed)
    deliveries_claim(worker="second", limit=10)
    delivery_send(delivery_id=claimed, worker="second")
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "email": "tests.alerts.test_dispatch_guards.SentChannel",
    }
    before = snapshot(claimed)
    deliveries = alert.deliveries.count()
    assert delivery_send(delivery_id=claimed, worker="first") == 0
    assert snapshot(claimed) == before and before["status"] == S.SEND_FAIL
    assert alert.deliveries.count() == deliveries


# --- D7/D9: a retried text message takes one unit of the daily allowance -------------------------


@pytest.mark.parametrize("limit", [None, 1], ids=["unlimited", "limit-1"])
def test_D9_D7_text_retried_after_transient_failure_takes_one_unit(ws, http_peer, limit):
    """D9 with D7: the gateway answers 503, then 200. The message is sent on the second attempt and
    takes ONE unit of the day's allowance in all; with a maximum of 1 the retry is not over limit."""
    alert_limit_set(account=ws.account, region=ws.region, max_sms_per_day=limit, max_voice_per_day=None)
    http_peer.scripts["/sms"] = [(503, 0), (200, 0)]
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["sms"])
    deliveries_process()
    (delivery,) = alert.deliveries.all()
    assert (delivery.status, delivery.attempts) == (S.SEND_SUCCESS, 2)
    assert len(http_peer.bodies("/sms")) == 2
    assert usage_summary(account=ws.account, region=ws.region)["sms"]["today"] == 1


def test_D9_D7_retries_until_given_up_still_take_one_unit(ws, http_peer, settings):
    """D9 with D7: every attempt fails with 503 until the retries run out: one unit for the primary
    message, one for the alternate contact's message it falls back to (D6), never one per attempt."""
    http_peer.scripts["/sms"] = [(503, 0)] * settings.DELIVERY_MAX_ATTEMPTS + [(200, 0)]
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["sms"])
    deliveries_process()
    primary, alternate = alert.deliveries.order_by("pk")
    assert primary.status == S.SEND_FAIL and primary.attempts == settings.DELIVERY_MAX_ATTEMPTS
    assert alternate.status == S.SEND_SUCCESS and alternate.replaces == primary
    assert usage_summary(account=ws.account, region=ws.region)["sms"]["today"] == 2
