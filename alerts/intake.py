"""Accepting alerts (D8, I1, I2): every alert and all of its deliveries are stored before anything
is sent, in short chunked transactions, so one big notification never holds the database for long.

An alert and its deliveries are always written together (one chunk is one transaction), so a chunk
that fails leaves nothing half-stored; callers are told which alerts were accepted before it.
"""

import hashlib
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from .models import Alert, Channel, Delivery, WorkspaceWebhook
from .routing import delivery_plan, recipients_lookup, workspace_webhook_delivery
from .tasks import wake_workers

Role = Delivery.Role

# Lengths the database columns hold; longer input is refused, never cut (E1).
MAX_TITLE = 200
MAX_RULE = 200
MAX_SEVERITY = 20
MAX_IDEMPOTENCY_KEY = 200


@dataclass
class NewAlert:
    """One alert as a source hands it in, before it is stored."""

    title: str
    content: str = ""
    rule: str = ""
    severity: str = ""
    idempotency_key: str | None = None
    request_digest: str = ""
    resolved: bool = False


@dataclass
class IntakeResult:
    accepted: list = field(default_factory=list)  # ids of alerts stored by this call
    existing: dict = field(default_factory=dict)  # idempotency key -> id of the alert stored earlier
    warnings: list = field(default_factory=list)
    longest_write_ms: float = 0.0  # the longest chunk transaction (for the benchmark and the logs)


class ChunkFailed(Exception):
    """A chunk could not be stored; `result` says what was accepted before it."""

    def __init__(self, result, error):
        super().__init__(str(error))
        self.result = result
        self.error = error


def text_problem(value):
    """Why a text cannot be stored (databases refuse NUL; lone surrogates are not UTF-8), or None."""
    if "\x00" in value:
        return _("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("must be valid Unicode text")
    return None


def alert_fields_check(*, title, content="", rule="", severity="", recipients=(), channels=()):
    """Errors of an alert's own fields, by field name (empty when it is valid)."""
    texts = {
        "title": title or "",
        "content": content or "",
        "rule": rule or "",
        "severity": severity or "",
        "recipients": "".join(str(r) for r in recipients),
        "channels": "".join(str(c) for c in channels),
    }
    errors = {name: [problem] for name, value in texts.items() if (problem := text_problem(value))}
    if errors:
        return errors
    for name, limit in (("rule", MAX_RULE), ("severity", MAX_SEVERITY)):
        if len(texts[name]) > limit:
            errors[name] = [_("At most %(limit)d characters.") % {"limit": limit}]
    stripped = texts["title"].strip()
    if not stripped:
        errors["title"] = [_("A title is required.")]
    elif len(stripped) > MAX_TITLE:
        errors["title"] = [_("The title is longer than 200 characters.")]
    return errors


def channels_clean(channels):
    """Channel names, lower case and without repeats; ValidationError if one is unknown or none given."""
    cleaned = [str(c).strip().lower() for c in channels or []]
    if not cleaned or any(c not in Channel.values for c in cleaned):
        raise ValidationError({"channels": [_("Choose channels among email, sms, voice and webhook.")]})
    return list(dict.fromkeys(cleaned))


def alert_accept(
    *,
    workspace,
    title,
    content="",
    rule="",
    severity="",
    recipients,
    channels,
    source="console",
    by=None,
    idempotency_key=None,
    resolved=False,
    request_digest="",
):
    """Store one alert and every delivery in one transaction, then wake the workers (D8).
    Bad input raises ValidationError and stores nothing. With an idempotency key already used in
    this workspace, the alert stored first is returned."""
    recipients, channels = list(recipients or []), list(channels or [])
    errors = alert_fields_check(
        title=title, content=content, rule=rule, severity=severity, recipients=recipients, channels=channels
    )
    if not any(k in errors for k in ("recipients", "channels")):
        try:
            channels = channels_clean(channels)
        except ValidationError as error:
            errors.update(error.message_dict)
        principals, unknown = recipients_lookup(workspace=workspace, names=recipients)
        if unknown:
            errors["recipients"] = [
                _("Not a RAM user or RAM role of this workspace: %(names)s.") % {"names": ", ".join(unknown)}
            ]
        elif not principals:
            errors["recipients"] = [_("Name at least one recipient.")]
    if errors:
        raise ValidationError(errors)
    item = NewAlert(
        title=title.strip(),
        content=content or "",
        rule=rule or "",
        severity=severity or "",
        idempotency_key=idempotency_key,
        resolved=resolved,
        request_digest=request_digest,
    )
    result = alerts_store(
        workspace=workspace,
        items=[item],
        principals=principals,
        channels=channels,
        source=source,
        recipients=[str(r) for r in recipients],
        by=by,
    )
    alert_id = result.accepted[0] if result.accepted else result.existing[idempotency_key]
    return Alert.objects.select_related("workspace__account").get(pk=alert_id)


def alerts_store(*, workspace, items, principals, channels, source, recipients, by=None, warnings=()):
    """Store `items` (NewAlert) to `principals` on `channels`, in chunks of INTAKE_CHUNK_SIZE alerts,
    each chunk one transaction with its deliveries. Items whose idempotency key is already used in
    the workspace (or earlier in `items`) are not stored again: `existing` maps the key to the alert.
    Wakes the workers once at the end. Raises ChunkFailed if a chunk cannot be stored."""
    prefetch_related_objects(principals, Prefetch("contact_methods", to_attr="methods"))
    webhook = WorkspaceWebhook.objects.filter(workspace=workspace).first()
    templates = _delivery_templates(workspace=workspace, principals=principals, channels=channels, webhook=webhook)
    result = IntakeResult(warnings=list(warnings))
    common = {
        "workspace": workspace,
        "source": source,
        "channels": channels,
        "recipients": recipients,
        "created_by": by if by and by.pk else None,
        "warnings": list(warnings),
    }
    size = max(1, settings.INTAKE_CHUNK_SIZE)
    try:
        for start in range(0, len(items), size):
            _chunk_store(items[start : start + size], common=common, templates=templates, result=result)
    except Exception as error:
        raise ChunkFailed(result, error) from error
    finally:
        if result.accepted:
            transaction.on_commit(wake_workers)  # at once, or when the caller's transaction commits
    return result


def _chunk_store(chunk, *, common, templates, result, tries=3):
    """One transaction: the chunk's new alerts and their deliveries. Two sources racing with the same
    keys (two unclustered Alertmanagers) collide on the unique key; the loser reads the winner's
    alerts and stores only what is still new."""
    for attempt in range(tries):
        started = time.monotonic()
        try:
            with transaction.atomic():
                fresh = _unseen(chunk, workspace=common["workspace"], result=result)
                alerts = Alert.objects.bulk_create(
                    [
                        Alert(
                            **common,
                            title=i.title,
                            content=i.content,
                            rule=i.rule,
                            severity=i.severity,
                            idempotency_key=i.idempotency_key,
                            request_digest=i.request_digest,
                            resolved=i.resolved,
                        )
                        for i in fresh
                    ]
                )
                Delivery.objects.bulk_create([Delivery(**t, alert=a) for a in alerts for t in templates])
        except IntegrityError:
            if attempt == tries - 1:
                raise
            continue
        finally:
            result.longest_write_ms = max(result.longest_write_ms, (time.monotonic() - started) * 1000)
        result.accepted.extend(a.pk for a in alerts)
        for alert in alerts:
            if alert.idempotency_key:
                result.existing[alert.idempotency_key] = alert.pk
        return


def _unseen(chunk, *, workspace, result):
    keys = {i.idempotency_key for i in chunk if i.idempotency_key}
    if keys:
        stored = Alert.objects.filter(workspace=workspace, idempotency_key__in=keys).values_list(
            "idempotency_key", "pk"
        )
        result.existing.update(stored)
    fresh, seen = [], set(result.existing)
    for item in chunk:
        if item.idempotency_key:
            if item.idempotency_key in seen:
                continue
            seen.add(item.idempotency_key)
        fresh.append(item)
    return fresh


# Fields of a planned delivery that do not depend on the alert: planned once, copied per alert.
_COPIED = [f.attname for f in Delivery._meta.concrete_fields if f.attname not in ("id", "alert_id", "created_at")]


def _delivery_templates(*, workspace, principals, channels, webhook):
    templates = []
    for channel in channels:
        if channel == Channel.WEBHOOK:
            planned = [workspace_webhook_delivery(workspace=workspace, webhook=webhook)]
        else:
            planned = [
                delivery_plan(alert=None, channel=channel, principal=p, role=Role.PRIMARY, webhook=webhook)
                for p in principals
            ]
        templates += [{name: getattr(d, name) for name in _COPIED} for d in planned]
    return templates


def idempotency_key_digest(prefix, *parts):
    """A key of at most MAX_IDEMPOTENCY_KEY characters from its parts (hashed when they are long)."""
    key = ":".join([prefix, *map(str, parts)])
    if len(key) <= MAX_IDEMPOTENCY_KEY:
        return key
    return f"{prefix}:sha256:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"
