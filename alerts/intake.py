"""Accepting alerts (D8, I1, I2): every alert and all of its deliveries are stored before anything
is sent, in short chunked transactions, so one big notification never holds the database for long.

An alert and its deliveries are always written together (one chunk is one transaction), so a chunk
that fails leaves nothing half-stored; callers are told which alerts were accepted before it.

Before anything is stored, an alert is checked: its own text against the NewAlert schema (the one
description of an alert, in openapi.py, which the API validates with too), in the reader's
language; then the business rules: recipients are RAM users or RAM roles of the workspace, and
channels exist. Routing (routing.py) plans the deliveries; the workers are woken through tasks.py.
"""

import hashlib
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from contacts.models import Principal
from contacts.phones import phone_in_mainland

from . import rows
from .models import Alert, Channel, Delivery, Workspace, WorkspaceWebhook
from .openapi import NO_NUL, JsonObject, SchemaError, column_length, schema_errors
from .routing import delivery_plan, methods_attach, recipients_lookup, recipients_resolve, workspace_webhook_delivery
from .tasks import wake_workers

if TYPE_CHECKING:  # django-stubs (a development dependency) names lazy translations
    from django_stubs_ext import StrOrPromise

Role = Delivery.Role

# Lengths the database columns hold; longer input is refused, never cut (E1). The NewAlert schema
# states the same columns' lengths; sources that shorten text themselves (Alertmanager) use these.
MAX_TITLE = column_length("title")
MAX_RULE = column_length("rule")
MAX_SEVERITY = column_length("severity")
MAX_IDEMPOTENCY_KEY = column_length("idempotency_key")
# An alert's own text, which the NewAlert schema describes; recipients and channels are business
# rules (who is a member, which channels exist) checked below.
ALERT_TEXTS = ("title", "content", "rule", "severity")


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
    accepted: list[int] = field(default_factory=list)  # ids of alerts stored by this call
    stored: list[Alert] = field(default_factory=list)  # those alerts, as stored
    existing: dict[str, int] = field(default_factory=dict)  # idempotency key -> id of the alert stored earlier
    warnings: list[JsonObject] = field(default_factory=list)
    longest_write_ms: float = 0.0  # the longest chunk transaction (for the benchmark and the logs)


class ChunkFailed(Exception):
    """A chunk could not be stored; `result` says what was accepted before it."""

    def __init__(self, result: IntakeResult, error: Exception) -> None:
        super().__init__(str(error))
        self.result = result
        self.error = error


@dataclass
class Audience:
    """Whom an alert goes to, checked: principals that are members of the workspace, known channels."""

    principals: list[Principal]
    channels: list[str]
    warnings: list[JsonObject] = field(default_factory=list)


def alert_fields_check(
    *,
    title: str,
    content: str = "",
    rule: str = "",
    severity: str = "",
    recipients: Iterable[object] = (),
    channels: Iterable[object] = (),
) -> "dict[str, list[StrOrPromise]]":
    """Errors of an alert's own fields, by field name (empty when it is valid): what the NewAlert
    schema refuses, in the reader's language. Text that cannot be stored (NUL characters, text that
    is not Unicode) is named first and alone. The title is checked as it is stored, stripped."""
    fields: JsonObject = {
        "title": (title or "").strip(),
        "content": content or "",
        "rule": rule or "",
        "severity": severity or "",
        "recipients": [str(r) for r in recipients],
        "channels": [str(c) for c in channels],
    }
    found = schema_errors("NewAlert", {name: _readable(value) for name, value in fields.items()})
    nul = {error.field for error in found if error.keyword == "pattern" and error.pattern == NO_NUL}
    unstorable: dict[str, list[StrOrPromise]] = {
        name: [_("must not contain NUL characters") if name in nul else _("must be valid Unicode text")]
        for name, value in fields.items()
        if name in nul or _readable(value) != value
    }
    if unstorable:
        return unstorable
    errors: dict[str, list[StrOrPromise]] = {}
    for error in found:
        if (words := _words(error)) is not None:
            errors.setdefault(error.field, [words])
    return errors


def _readable(value: Any) -> Any:
    """`value` with text that is not Unicode (lone surrogates) replaced, so the validator can read it."""
    if isinstance(value, list):
        return [_readable(item) for item in value]
    return value.encode("utf-8", "replace").decode("utf-8")


def _words(error: SchemaError) -> "StrOrPromise | None":
    """What a refusal of the NewAlert schema says to people; None for recipients and channels, which
    the business rules name. The schema decides what is refused, these are only its words (a test
    keeps them in step with the schema's keywords)."""
    if error.field not in ALERT_TEXTS:
        return None
    if error.keyword == "maxLength" and error.field == "title":
        return _("The title is longer than %(limit)d characters.") % {"limit": error.limit}
    if error.keyword == "maxLength":
        return _("At most %(limit)d characters.") % {"limit": error.limit}
    if error.field == "title":  # shorter than 1 character, or only white space
        return _("A title is required.")
    return None


def channels_clean(channels: Iterable[object]) -> list[str]:
    """Channel names, lower case and without repeats; ValidationError if one is unknown or none given."""
    cleaned = [str(c).strip().lower() for c in channels or []]
    if not cleaned or any(c not in Channel.values for c in cleaned):
        raise ValidationError({"channels": [_("Choose channels among email, sms, voice and webhook.")]})
    return list(dict.fromkeys(cleaned))


def recipients_errors(*, workspace: Workspace, names: Iterable[object]) -> dict[str, list[str]]:
    """{"recipients": [why]} unless every name is a RAM user or RAM role of the workspace."""
    try:
        recipients_resolve(workspace=workspace, names=names)
    except ValidationError as error:
        return error.message_dict
    return {}


def audience_check(*, workspace: Workspace, recipients: Iterable[object], channels: Iterable[object]) -> Audience:
    """The business rules of whom an alert goes to: known channels, and recipients that are RAM
    users or RAM roles of the workspace. Raises ValidationError naming every problem."""
    errors: dict[str, list[str]] = {}
    audience = Audience(principals=[], channels=[])
    try:
        audience.channels = channels_clean(channels)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        audience.principals = recipients_resolve(workspace=workspace, names=recipients)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return audience


def receiver_audience(*, workspace: Workspace, recipients: Iterable[object], channels: Iterable[object]) -> Audience:
    """Whom the alerts of an Alertmanager receiver token go to now (I2): its recipients that are
    still members of the workspace. The others are skipped with a warning rather than losing the
    alert for everybody (Alertmanager does not retry a 4xx); ValidationError when nobody is left
    and no channel is the workspace's webhook."""
    cleaned = channels_clean(channels)
    principals, unknown = recipients_lookup(workspace=workspace, names=recipients)
    if not principals and Channel.WEBHOOK not in cleaned:
        names = ", ".join(unknown) or "-"
        message = _("no recipient of this receiver is a RAM user or RAM role of the workspace: %(names)s")
        raise ValidationError({"recipients": [message % {"names": names}]})
    warnings = [{"code": "RECIPIENTS_SKIPPED", "names": unknown}] if unknown else []
    return Audience(principals=principals, channels=cleaned, warnings=warnings)


def alert_accept(
    *,
    workspace: Workspace,
    title: str,
    content: str = "",
    rule: str = "",
    severity: str = "",
    recipients: Iterable[str],
    channels: Iterable[str],
    source: str = "console",
    by: Any = None,
    idempotency_key: str | None = None,
    resolved: bool = False,
    request_digest: str = "",
) -> Alert:
    """Store one alert and every delivery in one transaction, then wake the workers (D8).
    With an idempotency key already used in this workspace, the alert stored first is returned
    (before anything else is checked: a repeated request gets the first answer). Otherwise bad
    input raises ValidationError naming every bad field and stores nothing."""
    if idempotency_key and (first := _stored_keys(workspace, [idempotency_key])):
        return Alert.objects.select_related("workspace__account").get(pk=first[idempotency_key])
    recipients, channels = list(recipients or []), list(channels or [])
    errors: dict[str, list[Any]] = dict(
        alert_fields_check(
            title=title, content=content, rule=rule, severity=severity, recipients=recipients, channels=channels
        )
    )
    audience = Audience(principals=[], channels=[])
    if "recipients" not in errors and "channels" not in errors:
        try:
            audience = audience_check(workspace=workspace, recipients=recipients, channels=channels)
        except ValidationError as error:
            errors.update(error.message_dict)
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
        principals=audience.principals,
        channels=audience.channels,
        source=source,
        recipients=[str(r) for r in recipients],
        by=by,
        unused_keys=[idempotency_key] if idempotency_key else [],
    )
    if result.stored:
        return result.stored[0]
    return Alert.objects.select_related("workspace__account").get(pk=result.existing[idempotency_key or ""])


def alerts_store(
    *,
    workspace: Workspace,
    items: Sequence[NewAlert],
    principals: list[Principal],
    channels: list[str],
    source: str,
    recipients: list[str],
    by: Any = None,
    warnings: Sequence[JsonObject] = (),
    unused_keys: Collection[str] = (),
) -> IntakeResult:
    """Store `items` (NewAlert) to `principals` on `channels`, in chunks of INTAKE_CHUNK_SIZE alerts,
    each chunk one transaction with its deliveries. Items whose idempotency key is already used in
    the workspace (or earlier in `items`) are not stored again: `existing` maps the key to the alert.
    `unused_keys` are keys the caller has just found unused: they are not read again (a key used
    meanwhile still collides on the unique key, and is then read). Wakes the workers once at the
    end. Raises ChunkFailed if a chunk cannot be stored."""
    methods_attach(principals)
    webhook = (
        WorkspaceWebhook.objects.filter(workspace=workspace).first() if _webhook_read(principals, channels) else None
    )
    templates = _delivery_templates(workspace=workspace, principals=principals, channels=channels, webhook=webhook)
    result = IntakeResult(warnings=list(warnings))
    common: JsonObject = {
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
            chunk = items[start : start + size]
            _chunk_store(chunk, common=common, templates=templates, result=result, unused_keys=unused_keys)
    except Exception as error:
        raise ChunkFailed(result, error) from error
    finally:
        if result.accepted:
            transaction.on_commit(wake_workers)  # at once, or when the caller's transaction commits
    return result


def _chunk_store(
    chunk: Sequence[NewAlert],
    *,
    common: JsonObject,
    templates: list[JsonObject],
    result: IntakeResult,
    unused_keys: Collection[str] = (),
    tries: int = 3,
) -> None:
    """One transaction: the chunk's new alerts and their deliveries. Keys already used are read
    before it, so that it holds the database only for its writes; two sources racing with the same
    keys (two unclustered Alertmanagers) collide on the unique key, and the loser reads the
    winner's alerts again and stores only what is still new."""
    for attempt in range(tries):
        fresh = _unseen(chunk, workspace=common["workspace"], result=result, known=unused_keys if attempt == 0 else ())
        started = time.monotonic()
        try:
            alerts = [
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
            # alerts.rows: as bulk_create inserts them, without building the statements each time
            if len(alerts) == 1:  # an API request: the alert and its deliveries in one statement where it can
                rows.insert_family(alerts[0], [Delivery(**t) for t in templates], link="alert")
            else:
                with transaction.atomic():
                    rows.insert(alerts, returning_pk=True)
                    rows.insert([Delivery(**t, alert=a) for a in alerts for t in templates])
        except IntegrityError:
            if attempt == tries - 1:
                raise
            continue
        finally:
            result.longest_write_ms = max(result.longest_write_ms, (time.monotonic() - started) * 1000)
        result.accepted.extend(a.pk for a in alerts)
        result.stored.extend(alerts)
        for alert in alerts:
            if alert.idempotency_key:
                result.existing[alert.idempotency_key] = alert.pk
        return


def _stored_keys(workspace: Workspace, keys: Collection[str]) -> dict[str, int]:
    """The alerts of `workspace` stored with these idempotency keys: key -> id (read on every keyed
    request, hand-written: alerts.rows)."""
    sql = _stored_keys_sql().replace("{keys}", rows.placeholders(len(keys)))
    return {found: alert_id for found, alert_id in rows.scalars(sql, [workspace.pk, *keys]) if found}


@rows.statement
def _stored_keys_sql() -> str:
    key, pk, workspace = (
        rows.column(Alert, "idempotency_key"),
        rows.column(Alert, "id"),
        rows.column(Alert, "workspace"),
    )
    return f"SELECT {key}, {pk} FROM {rows.table(Alert)} WHERE {workspace} = %s AND {key} IN ({{keys}})"


def _unseen(
    chunk: Sequence[NewAlert], *, workspace: Workspace, result: IntakeResult, known: Collection[str] = ()
) -> list[NewAlert]:
    """The items of `chunk` whose keys are not used yet (read unless `known` to be unused)."""
    keys = {i.idempotency_key for i in chunk if i.idempotency_key} - set(known)
    if keys:
        result.existing.update(_stored_keys(workspace, keys))
    fresh: list[NewAlert] = []
    seen = set(result.existing)
    for item in chunk:
        if item.idempotency_key:
            if item.idempotency_key in seen:
                continue
            seen.add(item.idempotency_key)
        fresh.append(item)
    return fresh


def _webhook_read(principals: Sequence[Principal], channels: Sequence[str]) -> bool:
    """Whether planning can use the workspace's webhook: the webhook channel, or text messages and
    calls to a number outside the Chinese mainland (D4). Otherwise it is not read at all."""
    if Channel.WEBHOOK in channels:
        return True
    texts = Channel.SMS in channels or Channel.VOICE in channels
    return texts and any(p.phone and not phone_in_mainland(p.phone) for p in principals)


# Fields of a planned delivery that do not depend on the alert: planned once, copied per alert.
_COPIED = [f.attname for f in Delivery._meta.concrete_fields if f.attname not in ("id", "alert_id", "created_at")]


def _delivery_templates(
    *, workspace: Workspace, principals: list[Principal], channels: list[str], webhook: WorkspaceWebhook | None
) -> list[JsonObject]:
    templates: list[JsonObject] = []
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


def idempotency_key_digest(prefix: str, *parts: object) -> str:
    """A key of at most MAX_IDEMPOTENCY_KEY characters from its parts (hashed when they are long)."""
    key = ":".join([prefix, *map(str, parts)])
    if len(key) <= MAX_IDEMPOTENCY_KEY:
        return key
    return f"{prefix}:sha256:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"
