"""Text-message backends, shaped like Django's email backends (a dotted path in SMS_BACKEND, a
base class, an outbox for local use and an in-memory one for tests)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from .outbox import outbox_append


@dataclass
class TextMessage:
    to: str  # E.164
    body: str
    language: str
    kind: str  # activation, alert, test
    extra: dict = field(default_factory=dict)


class BaseSmsBackend:
    """Sends text messages. Subclasses implement send_messages(); a provider that refuses a number
    as unknown should raise an exception the caller can record (see the delivery backends)."""

    def send_messages(self, messages):
        raise NotImplementedError


class OutboxSmsBackend(BaseSmsBackend):
    def send_messages(self, messages):
        for message in messages:
            outbox_append(channel="sms", to=message.to, language=message.language, subject="",
                          body=message.body, kind=message.kind, **message.extra)
        return len(messages)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in `LocmemSmsBackend.outbox` (tests)."""

    outbox = []

    def send_messages(self, messages):
        type(self).outbox.extend(messages)
        return len(messages)


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


def sms_send(message):
    return sms_backend().send_messages([message])
