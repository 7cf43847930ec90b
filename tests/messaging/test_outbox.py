"""The outbox records email, text messages and calls, with exactly the fields of RECORD_FIELDS; the
custom webhook is a real HTTP push and is never written there (README: Outbox format; rules D1, D4,
D6 for refusing the OUTBOX_UNDELIVERABLE addresses)."""

import pytest

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from contacts.messaging import Message, message_send
from contacts.messaging.failures import IncorrectContact
from contacts.messaging.outbox import RECORD_FIELDS, outbox_active, outbox_read

OUTBOX = "contacts.messaging.outbox.OutboxTransport"
OUTBOX_MAIL = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
LOCMEM_MAIL = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def outbox(settings):
    settings.MAILERS = OUTBOX_MAIL
    settings.MESSAGING_TRANSPORTS = {**settings.MESSAGING_TRANSPORTS, "sms": OUTBOX, "voice": OUTBOX}
    return settings


def message(channel, to, **fields):
    base = {"language": "zh-hans", "kind": "alert", "body": "磁盘已满", "account_uid": "5123456789012345"}
    return Message(channel=channel, to=to, **{**base, **fields})


@pytest.mark.parametrize(
    "channel, to, subject",
    [("email", "alice@example.com", "告警"), ("sms", "+8613912345678", ""), ("voice", "+8613912345678", "")],
)
def test_D1_each_record_holds_exactly_the_documented_fields(outbox, channel, to, subject):
    message_send(message(channel, to, subject=subject, workspace_id=7, principal_id=12, delivery_id=31))
    (record,) = outbox_read()
    assert tuple(record) == RECORD_FIELDS
    sent_at = record.pop("sent_at")
    assert sent_at.endswith("+00:00")  # UTC
    assert record == {
        "channel": channel,
        "to": to,
        "language": "zh-hans",
        "subject": subject,
        "body": "磁盘已满",
        "kind": "alert",
        "account": "5123456789012345",
        "workspace": 7,
        "principal": 12,
    }


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_C7_an_activation_record_has_no_workspace(outbox, channel):
    to = "alice@example.com" if channel == "email" else "+8613912345678"
    message_send(message(channel, to, kind="activation", principal_id=12))
    (record,) = outbox_read()
    assert (record["kind"], record["workspace"], record["principal"]) == ("activation", None, 12)


def test_D4_the_webhook_push_is_real_and_never_written_to_the_outbox(outbox, ws, webhook, http_peer):
    alert = alert_accept(workspace=ws, title="Disk full", recipients=["bob"], channels=["sms"])  # bob: +852, D4
    deliveries_process()
    (delivery,) = alert.deliveries.all()
    assert (delivery.route, delivery.status) == ("webhook", "SEND_SUCCESS")
    assert [body["recipient"]["number"] for body in http_peer.bodies("/hook")] == [delivery.address]
    assert outbox_read() == []


@pytest.mark.parametrize(
    "channel, to, code",
    [("email", "nobody@example.invalid", "SMTP_550"), ("sms", "+8613900000000", "UNKNOWN_NUMBER")],
)
def test_D6_undeliverable_addresses_are_refused_as_incorrect(outbox, channel, to, code):
    outbox.OUTBOX_UNDELIVERABLE = ["*.invalid", "+86139000000*"]
    with pytest.raises(IncorrectContact) as caught:
        message_send(message(channel, to))
    assert caught.value.code == code
    assert outbox_read() == []


@pytest.mark.parametrize(
    "mailers, sms, voice, active",
    [
        (OUTBOX_MAIL, "contacts.messaging.locmem.LocmemTransport", "contacts.messaging.gateway.GatewayTransport", True),
        (LOCMEM_MAIL, OUTBOX, "contacts.messaging.gateway.GatewayTransport", True),
        (LOCMEM_MAIL, "contacts.messaging.gateway.GatewayTransport", OUTBOX, True),
        (
            LOCMEM_MAIL,
            "contacts.messaging.gateway.GatewayTransport",
            "contacts.messaging.gateway.GatewayTransport",
            False,
        ),
    ],
)
def test_the_outbox_page_exists_while_the_outbox_takes_some_channel(settings, mailers, sms, voice, active):
    settings.MAILERS = mailers
    settings.MESSAGING_TRANSPORTS = {**settings.MESSAGING_TRANSPORTS, "sms": sms, "voice": voice}
    settings.OUTBOX_PAGE = True
    assert outbox_active() is active
    settings.OUTBOX_PAGE = False  # DEBUG is off in tests: a development page, gone
    assert outbox_active() is False


def test_the_readme_and_the_docstring_name_exactly_the_recorded_fields():
    import json
    import re

    from django.conf import settings

    import contacts.messaging.outbox as outbox_module

    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Outbox format")[1].split("\n## ")[0]
    assert tuple(re.findall(r"^\| `(\w+)` \|", section, flags=re.M)) == RECORD_FIELDS
    (example,) = re.findall(r"```json\n(.*?)\n```", section, flags=re.S)
    assert tuple(json.loads(example)) == RECORD_FIELDS
    assert tuple(re.findall(r"^- `(\w+)`:", outbox_module.__doc__, flags=re.M)) == RECORD_FIELDS
    assert "webhook" in section and "never written here" in section
