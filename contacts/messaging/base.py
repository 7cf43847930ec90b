"""The one message shape and the one transport interface of every channel and provider."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Message:
    """One message to one recipient on one channel, already written in the recipient's language:
    an activation message (C7), a test message (I3) or an alert (D1–D4).

    `account_uid`, `workspace_id` and `principal_id` say whose message it is (the outbox records
    them so the Outbox page shows each sign-in only what it may see). The webhook fields are used
    by the custom webhook only (D4): its URL and secret, and the JSON pushed."""

    channel: str  # email, sms, voice (a phone call reads the body out) or webhook
    to: str  # an email address, an E.164 number; empty for the workspace's own webhook
    language: str  # en or zh-hans
    kind: str  # activation, alert or test
    body: str = ""
    subject: str = ""  # email only
    account_uid: str = ""
    workspace_id: int | None = None
    principal_id: int | None = None
    delivery_id: int | None = None  # alerts and test messages; None for activation messages
    webhook_url: str = ""
    webhook_secret: str = ""
    payload: dict[str, Any] = field(default_factory=dict)  # the custom-webhook JSON (D4)
    # The message's facts as named variables, for providers that send approved templates rather than
    # free text (Alibaba Cloud SMS and voice): title, workspace, time, status; link, account, hours.
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """What a provider says became of a message it took: delivered to the phone or not, when, and
    the operator's code and message. `incorrect_contact` when the code says the number is wrong
    (an empty number, an invalid one), which counts as incorrect contact information (D6)."""

    provider_id: str  # the provider's id of the message (Alibaba Cloud: BizId, CallId)
    delivered: bool
    at: datetime | None = None
    code: str = ""
    text: str = ""
    incorrect_contact: bool = False
    out_id: str = ""  # our id as the provider echoes it back (the delivery id)


class Transport:
    """Sends one Message on one channel through one provider; chosen per channel by
    MESSAGING_TRANSPORTS (see contacts.messaging.transport_for).

    The contract: `send()` returns when the provider has taken the message, and otherwise raises
    one of the named failures of contacts.messaging.failures, never a provider's own exception:

    - IncorrectContact: the address or number is rejected as unknown or unreachable (an SMTP 5xx
      refusal of the recipient, a gateway's 404/410/422). Not retried: the alert falls back to the
      workspace's alternate contact (D6); an activation message shows the failure.
    - TransientFailure: what may work later (a timeout, a lost connection, an SMTP 4xx, an HTTP 5xx,
      408 or 429). Retried with exponential backoff (D7), then treated as failed (and falls back).
    - PermanentFailure (DestinationRefused included): anything else that will not work as it is
      (a refused URL, a redirect, a malformed request, a missing configuration). Neither retried
      nor fallen back from.

    Any other exception is a bug of the transport: the dispatcher still ends the delivery (D8),
    retrying it as BACKEND_ERROR. A transport keeps no state between messages and may be used by
    several workers at once; a provider's SDK or API is only ever called from its own module.

    `send()` returns the provider's id of the message when the provider gives one (then receipts
    can be matched to it), None otherwise. A provider with receipts also answers `receipt_query()`."""

    def send(self, message: Message) -> str | None:
        raise NotImplementedError

    def receipt_query(self, *, provider_id: str, to: str, sent_at: datetime) -> Receipt | None:
        """The receipt of a message this provider took, asked of the provider (for installations
        the provider cannot push receipts to); None while there is none, or without receipts."""
        return None
