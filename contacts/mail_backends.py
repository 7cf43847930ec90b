"""A Django mail backend that writes to the outbox instead of sending (the local default)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

from .outbox import outbox_append, outbox_undeliverable

LANGUAGE_HEADER = "Content-Language"
KIND_HEADER = "X-Alert-Kind"
ACCOUNT_HEADER = "X-Account"
# Who the message concerns, so the Outbox page shows each sign-in only what it may see.
WORKSPACE_HEADER = "X-Workspace"
PRINCIPAL_HEADER = "X-Principal"


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            refused = [r for r in message.recipients() if outbox_undeliverable(r)]
            if refused:
                # As an SMTP server would answer an unknown mailbox.
                raise smtplib.SMTPRecipientsRefused(
                    {r: (550, b"5.1.1 mailbox unavailable (OUTBOX_UNDELIVERABLE)") for r in refused}
                )
            headers = message.extra_headers
            for recipient in message.recipients():
                outbox_append(
                    channel="email",
                    to=recipient,
                    language=headers.get(LANGUAGE_HEADER, "en"),
                    subject=str(message.subject),
                    body=str(message.body),
                    kind=headers.get(KIND_HEADER, "alert"),
                    account=headers.get(ACCOUNT_HEADER, ""),
                    workspace=_int(headers.get(WORKSPACE_HEADER)),
                    principal=_int(headers.get(PRINCIPAL_HEADER)),
                )
        return len(email_messages)


def _int(value):
    return int(value) if str(value or "").isdigit() else None
