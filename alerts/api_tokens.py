"""Workspace API tokens (I1, I2): shown once, stored as a SHA-256, revocable, last use recorded."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Channel
from .routing import recipients_resolve

TOKEN_PREFIX = "ac_"


def _digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, workspace, name, kind=ApiToken.Kind.API, recipients=(), channels=(), send_resolved=False, by=None
):
    """Returns (token, raw): the raw token exists only in this return value."""
    name = (name or "").strip() or str(_("API token"))
    if len(name) > 100:
        raise ValidationError({"name": [_("The name is longer than 100 characters.")]})
    if kind == ApiToken.Kind.ALERTMANAGER:
        channels = [c for c in channels if c]
        if not channels or any(c not in Channel.values for c in channels):
            raise ValidationError({"channels": [_("Choose channels among email, sms, voice and webhook.")]})
        recipients_resolve(workspace=workspace, names=list(recipients))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        workspace=workspace,
        kind=kind,
        name=name,
        prefix=raw[:10],
        digest=_digest(raw),
        created_by=by if by and by.pk else None,
        recipients=list(recipients),
        channels=list(channels),
        send_resolved=send_resolved,
    )
    return token, raw


def api_token_revoke(*, token):
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_authenticate(raw, *, kind):
    """The active token of that kind for `raw`, or None; records the use to the minute, as the API
    Tokens page shows it: the first use in a minute writes it, later uses in that minute find it
    there (a busy source makes one write a minute, not one per request)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("workspace__account", "workspace__region")
        .filter(digest=_digest(raw), kind=kind, revoked_at__isnull=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or _minute(token.last_used_at) != _minute(now):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token


def _minute(moment):
    return moment.replace(second=0, microsecond=0)
