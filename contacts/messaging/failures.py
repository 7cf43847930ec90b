"""Named failures every transport raises, so the senders can tell them apart by name (never by
parsing messages): the alert delivery decides retries and fallback from these, and the activation
task whether to try again."""

from typing import Any


class DeliveryError(Exception):
    """A message was not delivered. `text` is English and names what happened; `code` is stable
    (a reason code of the delivery, SMTP_550, HTTP_503…); `details` holds the facts behind the text
    (an HTTP status, a redirect's Location), so that messages can say what happened in the
    reader's language instead of showing the English text."""

    code = "SEND_ERROR"

    def __init__(self, text: object, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(text)
        self.text = str(text)
        if code:
            self.code = code
        self.details: dict[str, Any] = dict(details or {})


class IncorrectContact(DeliveryError):
    """The address or number was rejected as unknown or unreachable (permanent): fall back (D6)."""

    code = "INCORRECT_CONTACT"


class TransientFailure(DeliveryError):
    """Timeout, connection error, 5xx: try again later with backoff (D7)."""

    code = "TRANSIENT"


class PermanentFailure(DeliveryError):
    """Refused for another reason (bad configuration, malformed request): no retry, no fallback."""

    code = "PERMANENT"


class DestinationRefused(PermanentFailure):
    """The URL points where outbound requests may not go (a local, private or reserved address, a
    scheme other than http and https, plain http where https is required): refused before any
    connection, never retried. `details` holds the reason and the host (messaging.destinations)."""

    code = "DESTINATION_REFUSED"
