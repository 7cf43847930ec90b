"""Named failures every channel backend raises, so the dispatcher can tell them apart by name
(never by parsing messages): the alert delivery decides retries and fallback from these."""


class DeliveryError(Exception):
    code = "SEND_ERROR"

    def __init__(self, text, *, code=None, details=None):
        super().__init__(text)
        self.text = str(text)
        if code:
            self.code = code
        # Facts behind the text (an HTTP status, a redirect's Location), so that messages can say
        # what happened in the reader's language instead of showing the English text.
        self.details = dict(details or {})


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
    connection, never retried. `details` holds the reason and the host (contacts.destinations)."""

    code = "DESTINATION_REFUSED"
