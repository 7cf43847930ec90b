"""The outbox: the local stand-in for every channel (email, sms, voice, webhook).

Each outgoing message is appended as one JSON object per line to OUTBOX_PATH (default
var/outbox.jsonl), so a person trying the product can read and click what would have been sent.
Hand-written because no library writes a shared, append-only, multi-process message log; an
append of one line under O_APPEND is atomic enough for lines of this size on a local disk.
"""

import fnmatch
import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

FIELDS = ("channel", "to", "language", "subject", "body", "kind", "sent_at")


def outbox_undeliverable(address):
    """Whether the outbox should refuse `address` as incorrect (OUTBOX_UNDELIVERABLE globs), so
    the fallback chain can be seen without a real provider."""
    address = str(address).lower()
    return any(
        fnmatch.fnmatchcase(address, pattern.strip().lower())
        for pattern in settings.OUTBOX_UNDELIVERABLE
        if pattern.strip()
    )


def outbox_path():
    return Path(settings.OUTBOX_PATH)


def outbox_append(*, channel, to, language, subject, body, kind, **extra):
    """Append one message to the outbox and return the record written."""
    record = {
        "channel": channel,
        "to": to,
        "language": language,
        "subject": subject,
        "body": body,
        "kind": kind,
        "sent_at": timezone.now().isoformat(),
        **extra,
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


def outbox_read(*, limit=200):
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
