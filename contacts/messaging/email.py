"""Email through Django's mail framework (MAILERS): SMTP in production, the outbox mail backend
locally (contacts.messaging.outbox.OutboxEmailBackend). Activation messages, test messages and
alerts all go through this transport, so what an SMTP error means is decided here only."""

import smtplib

from django.core.mail import EmailMessage

from .base import Message, Transport
from .failures import DeliveryError, IncorrectContact, PermanentFailure, TransientFailure

# Headers that carry the message's facts through Django's mail framework to the outbox mail backend.
LANGUAGE_HEADER = "Content-Language"
KIND_HEADER = "X-Alert-Kind"
ACCOUNT_HEADER = "X-Account"
# Who the message concerns, so the Outbox page shows each sign-in only what it may see.
WORKSPACE_HEADER = "X-Workspace"
PRINCIPAL_HEADER = "X-Principal"


class EmailTransport(Transport):
    """One email per message, from DEFAULT_FROM_EMAIL, through the default mailer. A 5xx refusal
    of the recipient means the address is incorrect; a 4xx or a lost connection is transient."""

    def send(self, message: Message) -> None:
        email = EmailMessage(
            message.subject,
            message.body,
            to=[message.to],
            headers={
                LANGUAGE_HEADER: message.language,
                KIND_HEADER: message.kind,
                ACCOUNT_HEADER: message.account_uid,
                WORKSPACE_HEADER: str(message.workspace_id or ""),
                PRINCIPAL_HEADER: str(message.principal_id or ""),
            },
        )
        try:
            email.send()
        except OSError as error:  # smtplib's errors included
            raise smtp_failure(error) from None


def smtp_failure(error: OSError) -> DeliveryError:
    """The named failure for what sending through SMTP raised (every smtplib error is an OSError)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        detail = f"SMTP {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        if 500 <= code < 600:
            return IncorrectContact(detail, code=f"SMTP_{code}")
        return TransientFailure(detail, code=f"SMTP_{code}")
    if isinstance(error, smtplib.SMTPResponseException):
        detail = f"SMTP {error.smtp_code} {error.smtp_error!r}"
        if 400 <= error.smtp_code < 500:
            return TransientFailure(detail, code=f"SMTP_{error.smtp_code}")
        return PermanentFailure(detail, code=f"SMTP_{error.smtp_code}")
    # A lost or refused connection, a timeout, or an extension the server lacks: may work later.
    return TransientFailure(f"SMTP connection failed: {error}", code="SMTP_CONNECTION")
