"""Text-message backends, shaped like Django's email backends (a dotted path in SMS_BACKEND, a
base class, an outbox for local use and an in-memory one for tests)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from .channel_errors import IncorrectContact
from .http import post_json
from .outbox import outbox_append, outbox_undeliverable


@dataclass
class TextMessage:
    to: str  # E.164
    body: str
    language: str
    kind: str  # activation, alert, test
    extra: dict = field(default_factory=dict)
    channel: str = "sms"  # or "voice": a phone call reads the body out


class BaseSmsBackend:
    """Sends text messages (or places phone calls). Subclasses implement send_messages() and raise
    the named failures of contacts.channel_errors: IncorrectContact for an unknown number,
    TransientFailure for what may work later, PermanentFailure otherwise."""

    def send_messages(self, messages):
        raise NotImplementedError


class OutboxSmsBackend(BaseSmsBackend):
    def send_messages(self, messages):
        for message in messages:
            if outbox_undeliverable(message.to):
                raise IncorrectContact(f"{message.to} is unknown (OUTBOX_UNDELIVERABLE)", code="UNKNOWN_NUMBER")
            outbox_append(
                channel=message.channel,
                to=message.to,
                language=message.language,
                subject="",
                body=message.body,
                kind=message.kind,
                **message.extra,
            )
        return len(messages)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in `LocmemSmsBackend.outbox` (tests)."""

    outbox = []

    def send_messages(self, messages):
        type(self).outbox.extend(messages)
        return len(messages)


class HttpGatewaySmsBackend(BaseSmsBackend):
    """A provider reached by JSON POST (SMS_GATEWAY_URL or VOICE_GATEWAY_URL): 404/410/422 mean an
    unknown number, 5xx and timeouts are transient."""

    url_setting = "SMS_GATEWAY_URL"

    def send_messages(self, messages):
        url = getattr(settings, self.url_setting)
        for message in messages:
            post_json(
                url,
                {
                    "channel": message.channel,
                    "to": message.to,
                    "body": message.body,
                    "language": message.language,
                    "kind": message.kind,
                },
                headers={"Authorization": f"Bearer {settings.GATEWAY_TOKEN}"} if settings.GATEWAY_TOKEN else None,
                timeout=settings.HTTP_TIMEOUT_SECONDS,
            )
        return len(messages)


class HttpGatewayVoiceBackend(HttpGatewaySmsBackend):
    url_setting = "VOICE_GATEWAY_URL"


def sms_backend(channel="sms"):
    return import_string(settings.VOICE_BACKEND if channel == "voice" else settings.SMS_BACKEND)()


def sms_send(message):
    return sms_backend(message.channel).send_messages([message])
