"""Adding a channel or a provider is one module and one registry line (rules D1, C7): a transport
written in this test module and named only in MESSAGING_TRANSPORTS receives alerts through the real
dispatch path and activation messages, and the named failures it raises decide what happens next:
IncorrectContact falls back (D6), TransientFailure is retried (D7), PermanentFailure ends it."""

from typing import ClassVar

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Delivery
from contacts.messaging import Message, Transport, message_send, transport_for
from contacts.messaging.failures import DeliveryError, IncorrectContact, PermanentFailure, TransientFailure
from contacts.models import ContactMethod
from contacts.services import contact_update

S = Delivery.Status
PIGEON = "tests.messaging.test_registry.PigeonTransport"


class PigeonTransport(Transport):
    """A provider the product does not have, written as a new one would be: one class."""

    sent: ClassVar[list[Message]] = []
    # Per address, the failures to raise (in order) before the message goes through.
    planned: ClassVar[dict[str, list[DeliveryError]]] = {}

    def send(self, message: Message) -> None:
        failures = type(self).planned.get(message.to)
        if failures:
            raise failures.pop(0)
        type(self).sent.append(message)


class NotATransport:
    def send(self, message: Message) -> None:
        pass


@pytest.fixture
def pigeon():
    PigeonTransport.sent = []
    PigeonTransport.planned = {}
    return PigeonTransport


def registered(channel):
    """The one registry line: MESSAGING_TRANSPORTS names the new transport for `channel`."""
    return override_settings(MESSAGING_TRANSPORTS={**settings.MESSAGING_TRANSPORTS, channel: PIGEON})


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_D1_C7_a_transport_named_in_the_registry_gets_alerts_and_activation_messages(
    ws, alice, pigeon, channel, django_capture_on_commit_callbacks
):
    with registered(channel):
        alert = alert_accept(workspace=ws, title="Disk full on etl-7", recipients=["alice"], channels=[channel])
        deliveries_process()
        with django_capture_on_commit_callbacks(execute=True):
            contact_update(principal=alice, phone="8613912345678", email="alice.new@example.com", language="auto")
    (delivery,) = alert.deliveries.all()
    assert delivery.status == S.SEND_SUCCESS
    alerted, activation = pigeon.sent
    assert (alerted.channel, alerted.kind, alerted.to, alerted.delivery_id) == (
        channel,
        "alert",
        delivery.address,
        delivery.pk,
    )
    assert "Disk full on etl-7" in alerted.body
    assert (alerted.account_uid, alerted.workspace_id, alerted.principal_id) == (ws.account.uid, ws.pk, alice.pk)
    new_address = {"email": "alice.new@example.com", "sms": "+8613912345678"}[channel]
    assert (activation.channel, activation.kind, activation.to) == (channel, "activation", new_address)
    assert "/activate/" in activation.body and activation.principal_id == alice.pk


def test_D1_I3_a_test_message_goes_through_the_registry_too(ws, pigeon, sign_in):
    method = ContactMethod.objects.get(principal__name="alice", principal__account=ws.account, channel="email")
    with registered("email"):
        sign_in("dw-admin").post(reverse("alerts:test_message", args=[ws.pk, method.pk]))
        deliveries_process()
    (message,) = pigeon.sent
    assert (message.channel, message.kind, message.to) == ("email", "test", method.value)


@pytest.mark.parametrize(
    "failure, status, attempts, fallback",
    [
        (IncorrectContact("no such number", code="UNKNOWN_NUMBER"), S.SEND_FAIL, 1, True),
        (TransientFailure("provider busy", code="HTTP_503"), S.SEND_SUCCESS, 2, False),
        (PermanentFailure("account suspended", code="HTTP_403"), S.SEND_FAIL, 1, False),
    ],
    ids=["incorrect-falls-back", "transient-is-retried", "permanent-ends"],
)
def test_D6_D7_the_named_failure_of_a_transport_decides_the_outcome(ws, pigeon, failure, status, attempts, fallback):
    pigeon.planned["+8613900001111"] = [failure]  # alice's number fails once
    with registered("sms"):
        alert = alert_accept(workspace=ws, title="t", recipients=["alice"], channels=["sms"])
        deliveries_process()
    primary, *rest = alert.deliveries.order_by("pk")
    assert (primary.status, primary.attempts) == (status, attempts)
    if status == S.SEND_FAIL:
        assert primary.reason_code == failure.code and failure.text in primary.reason
    if fallback:
        (alternate,) = rest
        assert alternate.replaces == primary and alternate.status == S.SEND_SUCCESS
        assert [m.to for m in pigeon.sent] == ["+8613800138000"]  # the alternate contact (OnCallBackup)
    else:
        assert rest == []


@pytest.mark.parametrize(
    "failure, sent, error",
    [
        (TransientFailure("provider busy", code="HTTP_503"), 1, ""),
        (IncorrectContact("no such number", code="UNKNOWN_NUMBER"), 0, "no such number"),
    ],
    ids=["transient-is-retried", "incorrect-is-shown"],
)
def test_C7_D7_the_named_failure_of_a_transport_decides_the_activation_retry(
    alice, pigeon, settings, django_capture_on_commit_callbacks, failure, sent, error
):
    settings.DELIVERY_RETRY_BASE_SECONDS = 0
    settings.ACTIVATION_SEND_MAX_ATTEMPTS = 3
    pigeon.planned["+8613912345678"] = [failure]
    with registered("sms"), django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="8613912345678", email=alice.email, language="auto")
    assert len(pigeon.sent) == sent
    assert ContactMethod.objects.get(principal=alice, channel="phone").send_error == error


def test_D1_the_registry_is_one_setting():
    assert transport_for("email").__class__.__name__ == "EmailTransport"
    assert transport_for("webhook").__class__.__name__ == "WebhookTransport"
    with override_settings(MESSAGING_TRANSPORTS={"email": PIGEON}):
        assert isinstance(transport_for("email"), PigeonTransport)
        with pytest.raises(PermanentFailure) as caught:
            message_send(Message(channel="sms", to="+8613912345678", language="en", kind="alert", body="x"))
    assert caught.value.code == "NO_TRANSPORT"
    with override_settings(MESSAGING_TRANSPORTS={"email": "tests.messaging.test_registry.NotATransport"}):
        with pytest.raises(TypeError):
            transport_for("email")
