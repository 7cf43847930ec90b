"""Fallback when the contact information is incorrect (rules D6), with retries first (D7)."""

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Delivery

S = Delivery.Status
R = Delivery.Role


def run(ws, to, channels):
    alert = alert_accept(workspace=ws, title="Task failed", content="etl_daily", recipients=to, channels=channels)
    deliveries_process()
    return list(alert.deliveries.order_by("pk"))


def test_D6_smtp_refusal_forwards_to_the_alternate_contact(ws, smtp):
    smtp.refuse.add("alice@example.com")
    primary, alternate = run(ws, ["alice"], ["email"])
    assert primary.status == S.SEND_FAIL and primary.reason_code == "SMTP_550"
    assert alternate.role == R.ALTERNATE and alternate.replaces == primary and alternate.status == S.SEND_SUCCESS
    assert alternate.recipient_name == "OnCallBackup" and alternate.address == "oncall@example.com"
    assert [m[0] for m in smtp.messages] == [["oncall@example.com"]]


def test_D6_both_emails_wrong_goes_to_the_basic_receiving_recipient(ws, smtp):
    smtp.refuse.update({"alice@example.com", "oncall@example.com"})
    primary, alternate, account = run(ws, ["alice"], ["email"])
    assert (primary.status, alternate.status) == (S.SEND_FAIL, S.SEND_FAIL)
    assert account.role == R.ACCOUNT_RECIPIENT and account.replaces == alternate
    assert account.address == "billing@example.com" and account.status == S.SEND_SUCCESS
    body = smtp.messages[-1][1]
    assert "did not receive it" in body  # the record and the message say primary and alternate missed it


def test_D6_outbox_undeliverable_shows_the_chain_locally(ws, settings):
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    settings.OUTBOX_UNDELIVERABLE = ["*.invalid", "oncall@*"]
    primary, alternate, account = run(ws, ["dave"], ["email"])
    assert [d.role for d in (primary, alternate, account)] == [R.PRIMARY, R.ALTERNATE, R.ACCOUNT_RECIPIENT]
    assert [d.status for d in (primary, alternate, account)] == [S.SEND_FAIL, S.SEND_FAIL, S.SEND_SUCCESS]


def test_D6_sms_unknown_number_falls_back_on_the_same_channel_only(ws, http_peer):
    http_peer.scripts["/sms"] = [(404, 0), (200, 0)]
    primary, alternate = run(ws, ["alice"], ["sms"])
    assert primary.reason_code == "HTTP_404" and primary.status == S.SEND_FAIL
    assert alternate.channel == "sms" and alternate.status == S.SEND_SUCCESS
    assert [b["to"] for b in http_peer.bodies("/sms")] == ["+8613900001111", "+8613800138000"]


def test_D6_sms_alternate_also_wrong_ends_without_account_recipient(ws, http_peer):
    http_peer.scripts["/sms"] = [(422, 0)]
    deliveries = run(ws, ["alice"], ["sms"])
    assert [d.role for d in deliveries] == [R.PRIMARY, R.ALTERNATE]  # the account recipient is for email
    assert {d.status for d in deliveries} == {S.SEND_FAIL}


def test_D6_no_fallback_for_a_successful_or_unactivated_delivery(ws, smtp):
    from contacts.models import ContactMethod

    ContactMethod.objects.filter(principal__name="carol", channel="email").update(status="waiting")
    deliveries = run(ws, ["alice", "carol"], ["email"])
    assert [d.role for d in deliveries] == [R.PRIMARY, R.PRIMARY]


def test_D6_without_alternate_email_goes_to_the_account_recipient(ws, smtp):
    ws.alternate_contact = None
    ws.save()
    smtp.refuse.add("alice@example.com")
    primary, account = run(ws, ["alice"], ["email"])
    assert account.role == R.ACCOUNT_RECIPIENT and account.status == S.SEND_SUCCESS


def test_D7_transient_smtp_refusal_is_retried_then_falls_back(ws, smtp, settings):
    smtp.busy.add("alice@example.com")
    primary, alternate = run(ws, ["alice"], ["email"])
    assert primary.attempts == settings.DELIVERY_MAX_ATTEMPTS and primary.reason_code == "SMTP_451"
    assert "gave up after" in primary.reason
    assert alternate.status == S.SEND_SUCCESS


def test_D7_gateway_5xx_then_success(ws, http_peer):
    http_peer.scripts["/sms"] = [(503, 0), (500, 0), (200, 0)]
    (delivery,) = run(ws, ["alice"], ["sms"])
    assert delivery.status == S.SEND_SUCCESS and delivery.attempts == 3
    assert len(http_peer.bodies("/sms")) == 3


def test_D7_timeout_is_transient(ws, http_peer, settings):
    settings.HTTP_TIMEOUT_SECONDS = 0.3
    http_peer.scripts["/sms"] = [(200, 1.0), (200, 0)]
    (delivery,) = run(ws, ["alice"], ["sms"])
    assert delivery.status == S.SEND_SUCCESS and delivery.attempts == 2


def test_D7_backoff_is_exponential(ws, http_peer, settings):
    from datetime import timedelta

    from alerts.dispatch import deliveries_claim, delivery_send

    settings.DELIVERY_RETRY_BASE_SECONDS = 30
    http_peer.scripts["/sms"] = [(500, 0)]
    alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["sms"])
    delivery = alert.deliveries.get()
    waits = []
    for _ in range(2):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
        (claimed,) = deliveries_claim(worker="w", limit=10)
        before = Delivery.objects.get(pk=claimed)
        delivery_send(delivery_id=claimed, worker="w")
        after = Delivery.objects.get(pk=claimed)
        assert after.status == S.READY_TO_SEND and "will retry" in after.reason
        waits.append(after.next_attempt_at - before.lease_until + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS))
    assert round(waits[0].total_seconds()) in (30, 29) and round(waits[1].total_seconds()) in (60, 59)


def test_D7_permanent_gateway_refusal_is_not_retried(ws, http_peer):
    http_peer.scripts["/sms"] = [(400, 0)]
    deliveries = run(ws, ["alice"], ["sms"])
    assert len(deliveries) == 1 and deliveries[0].attempts == 1 and deliveries[0].reason_code == "HTTP_400"
