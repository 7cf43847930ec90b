"""Write paths for contact profiles (C3–C7, C10). Views, the admin and sign-in sync call these."""

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ActivationMessage, ContactMethod, Language, Principal
from .phones import phone_parse
from .versioning import StaleEdit, history_author_set


class ResendLimited(Exception):
    """Sending one more activation message now would pass a limit (C10): ACTIVATION_RESEND_LIMIT
    to one address, or ACTIVATION_CONTACT_LIMIT for one contact, per window. `scope` is the
    channel of the address ("phone", "email") or "contact"; `retry_at` when it is possible again."""

    def __init__(self, retry_at: datetime, *, scope: str, limit: int) -> None:
        super().__init__(retry_at, scope, limit)
        self.retry_at, self.scope, self.limit = retry_at, scope, limit

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil((self.retry_at - timezone.now()).total_seconds()))


class ActivationLimited(ValidationError):
    """An edit refused as a whole (nothing saved, E1) because a new value's activation message
    would pass a limit; the message is on the field of each value concerned."""

    def __init__(self, limited: ResendLimited, fields: Sequence[str]) -> None:
        super().__init__({name: [ValidationError(limit_message(limited), code="activation_limit")] for name in fields})
        self.limited = limited


def limit_message(limited: ResendLimited) -> str:
    """The words for a limit, in the active language: which limit, and when sending is possible
    again, at a time of the console's time zone (rounded up to the minute) and in minutes."""
    retry_at = timezone.localtime(limited.retry_at)
    if retry_at.second or retry_at.microsecond:
        retry_at = retry_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    params = {
        "limit": limited.limit,
        "window": max(1, math.ceil(settings.ACTIVATION_RESEND_WINDOW_SECONDS / 60)),
        "time": date_format(retry_at, "H:i"),
        "wait": max(1, math.ceil(limited.retry_after_seconds / 60)),
    }
    if limited.scope == ContactMethod.Channel.PHONE:
        text = ngettext(
            "Too many activation messages to this number (at most %(limit)d in %(window)d minutes)."
            " Try again after %(time)s, in %(wait)d minute.",
            "Too many activation messages to this number (at most %(limit)d in %(window)d minutes)."
            " Try again after %(time)s, in %(wait)d minutes.",
            params["wait"],
        )
    elif limited.scope == ContactMethod.Channel.EMAIL:
        text = ngettext(
            "Too many activation messages to this address (at most %(limit)d in %(window)d minutes)."
            " Try again after %(time)s, in %(wait)d minute.",
            "Too many activation messages to this address (at most %(limit)d in %(window)d minutes)."
            " Try again after %(time)s, in %(wait)d minutes.",
            params["wait"],
        )
    else:
        text = ngettext(
            "Too many activation messages for this contact (at most %(limit)d in %(window)d minutes,"
            " all numbers and addresses together)."
            " Try again after %(time)s, in %(wait)d minute.",
            "Too many activation messages for this contact (at most %(limit)d in %(window)d minutes,"
            " all numbers and addresses together)."
            " Try again after %(time)s, in %(wait)d minutes.",
            params["wait"],
        )
    return text % params


class AlreadyActivated(Exception):
    pass


@dataclass
class ContactChange:
    principal: Principal
    sent: list[str] = field(default_factory=list)  # channels that got a new activation message
    removed: list[str] = field(default_factory=list)  # channels whose value was cleared

    @property
    def changed(self) -> bool:
        return bool(self.sent or self.removed)


def email_normalize(raw: str | None) -> str:
    """C5: a valid address, stored with its domain in lower case."""
    value = (raw or "").strip()
    validate_email(value)
    local, _at, domain = value.rpartition("@")
    return BaseUserManager.normalize_email(f"{local}@{domain.lower()}")


def contact_update(
    *,
    principal: Principal,
    phone: str | None,
    email: str | None,
    language: str,
    by: Any = None,
    version: int | None = None,
    reason: str | None = None,
) -> ContactChange:
    """Set a principal's mobile phone number, email address and alerting language (C3–C7).

    Raw input is validated here, whatever the caller (C4, C5); on any error nothing is saved. A new
    or changed value puts its method in Waiting for Activation and sends a link; an unchanged one
    keeps its status; a cleared one removes the method. An edit whose activation message would
    pass a limit (C10) is refused as a whole with `ActivationLimited`. With `version` (the Edit
    form's), a principal changed since is not touched: `StaleEdit`. `reason` names a writer that
    is not a signed-in person in the history (sign-in sync).
    """
    errors: dict[str, list[Any]] = {}
    new: dict[str, str] = {}
    try:
        new[ContactMethod.Channel.PHONE] = str(phone_parse(phone)) if (phone or "").strip() else ""
    except ValidationError as error:
        errors["phone"] = error.messages
    try:
        new[ContactMethod.Channel.EMAIL] = email_normalize(email) if (email or "").strip() else ""
    except ValidationError:
        errors["email"] = [_("Enter a valid email address, e.g. name@example.com.")]
    if language not in Language.values:
        errors["language"] = [_("Choose Auto, Chinese or English.")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # The principal's row lock serialises every edit and resend of this contact, so two at
        # once cannot both pass the version check or the limits.
        principal = Principal.objects.select_for_update(of=("self",)).select_related("account").get(pk=principal.pk)
        if version is not None and version != principal.version:
            raise StaleEdit(principal, principal.version)
        old = {
            ContactMethod.Channel.PHONE: str(principal.phone or ""),
            ContactMethod.Channel.EMAIL: principal.email or "",
        }
        methods = {m.channel: m for m in principal.contact_methods.select_for_update()}
        sends = [
            channel
            for channel in ContactMethod.Channel
            if new[channel] and (new[channel] != old[channel] or channel not in methods)
        ]
        if sends:
            try:
                activation_limit_check(principal=principal, sends=[(channel, new[channel]) for channel in sends])
            except ResendLimited as limited:
                raise ActivationLimited(limited, [limited.scope] if limited.scope in sends else sends) from None
        principal.phone = new[ContactMethod.Channel.PHONE]
        principal.email = new[ContactMethod.Channel.EMAIL]
        if old != new or principal.language != language:
            principal.language = language
            history_author_set(principal, by=by, reason=reason)
            principal.save()
        change = ContactChange(principal=principal)
        for channel in ContactMethod.Channel:
            method = methods.get(channel)
            if not new[channel]:
                if method is not None:
                    history_author_set(method, by=by)
                    method.delete()
                    change.removed.append(channel)
            elif channel in sends:
                method = method or ContactMethod(principal=principal, channel=channel)
                method.principal = principal
                method.status = ContactMethod.Status.WAITING_FOR_ACTIVATION
                method.activated_at = None
                _send_new_link(method, by=by)
                change.sent.append(channel)
    return change


def activation_limit_check(*, principal: Principal | None, sends: Sequence[tuple[str, str]]) -> None:
    """Raise ResendLimited if sending activation messages to `sends` [(channel, address)] now
    would pass a limit (C10): ACTIVATION_RESEND_LIMIT to one address, whichever method, edit or
    principal sent them, and ACTIVATION_CONTACT_LIMIT for the principal, all its addresses
    together, both within ACTIVATION_RESEND_WINDOW_SECONDS. Every message counts, the first one
    sent at Confirm included. Call it in the transaction that sends, with the principal locked."""
    now = timezone.now()
    window = timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS)
    recent = ActivationMessage.objects.filter(sent_at__gt=now - window)
    _lock_addresses([address for _channel, address in sends])
    for channel, address in sends:
        times = recent.filter(address__iexact=address).values_list("sent_at", flat=True)
        _limit(sorted(times), 1, settings.ACTIVATION_RESEND_LIMIT, window, now=now, scope=channel)
    contact_times: Iterable[datetime] = (
        recent.filter(principal=principal).values_list("sent_at", flat=True) if principal and principal.pk else []
    )
    _limit(sorted(contact_times), len(sends), settings.ACTIVATION_CONTACT_LIMIT, window, now=now, scope="contact")


def _limit(times: Sequence[datetime], adding: int, limit: int, window: timedelta, *, now: datetime, scope: str) -> None:
    """Raise when `adding` more messages on top of those sent at `times` (oldest first) pass
    `limit`; they fit again once the oldest excess ones have left the window."""
    excess = len(times) + adding - limit
    if excess > 0:
        retry_at = times[min(excess, len(times)) - 1] + window if times else now + window
        raise ResendLimited(retry_at, scope=scope, limit=limit)


def _lock_addresses(addresses: Sequence[str]) -> None:
    """Serialise the sends to one address across principals until the transaction ends: a
    PostgreSQL advisory lock per address, taken in a fixed order. SQLite needs none: it runs one
    writing transaction at a time (transaction_mode IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for address in sorted({address.lower() for address in addresses}):
            digest = hashlib.sha256(f"contacts.activation:{address}".encode()).digest()
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


def activation_resend(*, method: ContactMethod, by: Any = None) -> ContactMethod:
    """Send a new activation link for a waiting method (C10); older links stop working (C8)."""
    with transaction.atomic():
        principal = Principal.objects.select_for_update().get(pk=method.principal_id)
        method = ContactMethod.objects.select_for_update().get(pk=method.pk)
        method.principal = principal
        if method.is_activated:
            raise AlreadyActivated()
        activation_limit_check(principal=principal, sends=[(method.channel, method.value)])
        _send_new_link(method, by=by)
    return method


def _send_new_link(method: ContactMethod, *, by: Any) -> None:
    """Start a new link's clock, log the send, and hand the message to the worker once committed."""
    from .tasks import send_activation_message

    method.link_sent_at = timezone.now()
    history_author_set(method, by=by)
    method.save()
    ActivationMessage.objects.create(
        method=method,
        principal=method.principal,
        channel=method.channel,
        address=method.value,
        sent_at=method.link_sent_at,
        sent_by=by if by and by.pk else None,
    )
    method_id, sent_at = method.pk, method.link_sent_at.isoformat()
    transaction.on_commit(lambda: send_activation_message.enqueue(method_id=method_id, link_sent_at=sent_at))
