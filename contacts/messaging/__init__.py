"""Every message leaves through here: one Transport per channel, named by its dotted path in the
one setting MESSAGING_TRANSPORTS (`{"email": ..., "sms": ..., "voice": ..., "webhook": ...}`).

Adding a channel or a provider is one module with a Transport subclass and one line naming it in
that setting (settings.py builds it from SMS_PROVIDER and VOICE_PROVIDER)."""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Message, Receipt, Transport
from .failures import PermanentFailure

__all__ = ["Message", "Receipt", "Transport", "message_send", "transport_for"]


def transport_for(channel: str) -> Transport:
    """The transport of `channel`, as MESSAGING_TRANSPORTS names it now (read at each call, so a
    test's override_settings takes effect). A channel without one is a PermanentFailure."""
    path = settings.MESSAGING_TRANSPORTS.get(channel)
    if not path:
        raise PermanentFailure(f"No transport is configured for the channel {channel!r}", code="NO_TRANSPORT")
    transport_class = import_string(path)
    transport = transport_class()
    if not isinstance(transport, Transport):
        raise TypeError(f"MESSAGING_TRANSPORTS[{channel!r}] = {path!r} is not a contacts.messaging.Transport")
    return transport


def message_send(message: Message) -> str | None:
    """Send `message` through the transport of its channel; returns the provider's id of the
    message (None when the provider gives none) or raises the named failures of
    contacts.messaging.failures (see Transport)."""
    return transport_for(message.channel).send(message)
