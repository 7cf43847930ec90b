"""The HTTP SMS and voice gateway (SMS_PROVIDER=gateway, VOICE_PROVIDER=gateway): a provider
reached by a JSON POST of `{channel, to, body, language, kind}` to SMS_GATEWAY_URL or
VOICE_GATEWAY_URL, with `Authorization: Bearer GATEWAY_TOKEN` when one is set. 404/410/422 mean
an unknown number, 5xx and timeouts are transient (contacts.messaging.http)."""

from django.conf import settings

from .base import Message, Transport
from .failures import PermanentFailure
from .http import post_json

URL_SETTINGS = {"sms": "SMS_GATEWAY_URL", "voice": "VOICE_GATEWAY_URL"}


class GatewayTransport(Transport):
    """Text messages and phone calls through the gateway URL of the message's channel."""

    def send(self, message: Message) -> None:
        name = URL_SETTINGS.get(message.channel)
        if name is None:
            raise PermanentFailure(f"The gateway has no {message.channel!r} channel", code="NO_TRANSPORT")
        post_json(
            getattr(settings, name),
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
