"""The outbox: the local stand-in for the providers of email, text messages and phone calls.

While it is configured (the default: SMS_PROVIDER and VOICE_PROVIDER `outbox`, and the outbox mail
backend in MAILERS while SMTP_HOST is not set), nothing of these leaves the machine: each email,
text message and call is appended as one JSON object per line to OUTBOX_PATH (default
var/outbox.jsonl), so a person trying the product can read and click what would have been sent.
The custom webhook is not a stand-in's business: its push is always a real HTTP request
(contacts.messaging.webhook) and is never written here.

Each record holds exactly these fields (RECORD_FIELDS):
- `channel`: email, sms or voice;
- `to`: the email address or the E.164 number;
- `language`: en or zh-hans;
- `subject`: the email's subject, empty for text messages and calls;
- `body`: the text as sent (the words a call reads out);
- `kind`: activation, alert or test;
- `sent_at`: when it was written, ISO 8601 in UTC;
- `account`: the account's uid;
- `workspace`: the workspace of an alert or test message (null for activation messages);
- `principal`: the recipient's principal id (null for the Basic Receiving Management recipient).

Hand-written because no library writes a shared, append-only, multi-process message log; an
append of one line under O_APPEND is atomic enough for lines of this size on a local disk.
"""

import fnmatch
import json
import os
import smtplib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.module_loading import import_string

from .base import Message, Transport
from .email import ACCOUNT_HEADER, KIND_HEADER, LANGUAGE_HEADER, PRINCIPAL_HEADER, WORKSPACE_HEADER
from .failures import IncorrectContact

RECORD_FIELDS = (
    "channel",
    "to",
    "language",
    "subject",
    "body",
    "kind",
    "sent_at",
    "account",
    "workspace",
    "principal",
)

Record = dict[str, Any]


def outbox_undeliverable(address: str) -> bool:
    """Whether the outbox should refuse `address` as incorrect (OUTBOX_UNDELIVERABLE globs), so
    the fallback chain can be seen without a real provider."""
    address = str(address).lower()
    return any(
        fnmatch.fnmatchcase(address, pattern.strip().lower())
        for pattern in settings.OUTBOX_UNDELIVERABLE
        if pattern.strip()
    )


def outbox_path() -> Path:
    return Path(settings.OUTBOX_PATH)


def outbox_append(
    *,
    channel: str,
    to: str,
    language: str,
    subject: str,
    body: str,
    kind: str,
    account: str = "",
    workspace: int | None = None,
    principal: int | None = None,
) -> Record:
    """Append one message to the outbox and return the record written (RECORD_FIELDS)."""
    record: Record = {
        "channel": channel,
        "to": to,
        "language": language,
        "subject": subject,
        "body": body,
        "kind": kind,
        "sent_at": timezone.now().isoformat(),
        "account": account,
        "workspace": workspace,
        "principal": principal,
    }
    path = outbox_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return record


def outbox_read(*, limit: int = 200) -> list[Record]:
    """The newest `limit` messages, newest first; unreadable lines are skipped."""
    path = outbox_path()
    if not path.exists():
        return []
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records[::-1][:limit]


class OutboxTransport(Transport):
    """Text messages and phone calls written to the outbox (SMS_PROVIDER / VOICE_PROVIDER
    `outbox`, the default). A number matching OUTBOX_UNDELIVERABLE is refused as incorrect."""

    def send(self, message: Message) -> None:
        if outbox_undeliverable(message.to):
            raise IncorrectContact(f"{message.to} is unknown (OUTBOX_UNDELIVERABLE)", code="UNKNOWN_NUMBER")
        outbox_append(
            channel=message.channel,
            to=message.to,
            language=message.language,
            subject="",
            body=message.body,
            kind=message.kind,
            account=message.account_uid,
            workspace=message.workspace_id,
            principal=message.principal_id,
        )


class OutboxEmailBackend(BaseEmailBackend):
    """A Django mail backend that writes to the outbox instead of sending: the MAILERS default
    while SMTP_HOST is not set. The email transport (contacts.messaging.email) passes the
    message's facts in headers; an address matching OUTBOX_UNDELIVERABLE is refused as an SMTP
    server refuses an unknown mailbox, so the transport reads it as it would read SMTP."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            refused = [r for r in message.recipients() if outbox_undeliverable(r)]
            if refused:
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


def _int(value: object) -> int | None:
    return int(str(value)) if str(value or "").isdigit() else None


def outbox_active() -> bool:
    """Whether the Outbox page exists: an outbox transport or mail backend is configured, and
    DEBUG is on (the page shows live activation links) or OUTBOX_PAGE says so."""
    if not (settings.DEBUG or settings.OUTBOX_PAGE):
        return False
    if any(_is(path, OutboxTransport) for path in settings.MESSAGING_TRANSPORTS.values()):
        return True
    return any(_is(config.get("BACKEND", ""), OutboxEmailBackend) for config in settings.MAILERS.values())


def _is(path: str, cls: type) -> bool:
    try:
        found = import_string(path)
    except ImportError:
        return False
    return isinstance(found, type) and issubclass(found, cls)


def outbox_visible(records: list[Record], user: Any) -> list[Record]:
    """The records a sign-in may read: support staff all; an identity the messages of workspaces
    where it holds *view contacts* (alerts to them, activation messages to their members) and the
    messages to its own contact methods; nobody else anything."""
    # Imported here: the outbox is also loaded as a mail backend, where the access gate is not needed.
    from alerts.access import Perm, identity_of, workspaces_granting

    from ..models import Principal

    if user.is_staff:
        return records
    identity = identity_of(user)
    if identity is None:
        return []
    workspaces = workspaces_granting(identity, Perm.VIEW_CONTACTS)
    principals = set(Principal.objects.filter(memberships__workspace__in=workspaces).values_list("pk", flat=True))
    own: set[str] = set()
    if identity.principal is not None:
        own = {str(identity.principal.phone or ""), (identity.principal.email or "").lower()} - {""}
    ids = {w.pk for w in workspaces}
    return [
        r
        for r in records
        if r.get("workspace") in ids
        or (r.get("kind") == "activation" and r.get("principal") in principals)
        or str(r.get("to", "")).lower() in own
    ]
