"""Email through Django's mail framework: what an SMTP answer means is decided in one place,
contacts.messaging.email, for alerts (D6, D7) and activation messages (C7) alike."""

import smtplib

import pytest

from contacts.messaging import Message, message_send
from contacts.messaging.email import smtp_failure
from contacts.messaging.failures import IncorrectContact, PermanentFailure, TransientFailure
from tests.peers import free_port


def email(to="alice@example.com"):
    return Message(channel="email", to=to, language="en", kind="alert", subject="s", body="b")


@pytest.mark.parametrize(
    "error, failure, code",
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 unknown")}), IncorrectContact, "SMTP_550"),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"4.3.0 try later")}), TransientFailure, "SMTP_451"),
        (smtplib.SMTPSenderRefused(421, b"busy", "alerts@example.com"), TransientFailure, "SMTP_421"),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), PermanentFailure, "SMTP_535"),
        (smtplib.SMTPDataError(554, b"rejected"), PermanentFailure, "SMTP_554"),
        (smtplib.SMTPConnectError(421, b"too many connections"), TransientFailure, "SMTP_421"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), TransientFailure, "SMTP_CONNECTION"),
        (ConnectionRefusedError(111, "Connection refused"), TransientFailure, "SMTP_CONNECTION"),
        (TimeoutError("timed out"), TransientFailure, "SMTP_CONNECTION"),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported"), TransientFailure, "SMTP_CONNECTION"),
    ],
)
def test_D6_D7_C7_what_an_smtp_error_means(error, failure, code):
    named = smtp_failure(error)
    assert type(named) is failure and named.code == code


def test_D6_a_refused_recipient_is_an_incorrect_contact(smtp):
    smtp.refuse.add("nobody@example.com")
    with pytest.raises(IncorrectContact) as caught:
        message_send(email("nobody@example.com"))
    assert caught.value.code == "SMTP_550" and "550" in caught.value.text


def test_D7_a_busy_server_is_transient(smtp):
    smtp.busy.add("alice@example.com")
    with pytest.raises(TransientFailure) as caught:
        message_send(email())
    assert caught.value.code == "SMTP_451"


def test_D7_an_unreachable_server_is_transient(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    with pytest.raises(TransientFailure) as caught:
        message_send(email())
    assert caught.value.code == "SMTP_CONNECTION"


def test_D1_the_message_arrives_with_its_facts(smtp):
    message_send(email())
    ((recipients, text, _raw),) = smtp.messages
    assert recipients == ["alice@example.com"]
    assert "Content-Language: en" in text and "X-Alert-Kind: alert" in text
