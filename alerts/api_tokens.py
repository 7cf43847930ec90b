"""Workspace API tokens (I1, I2): shown once, stored as a SHA-256, revocable, last use recorded."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Account

from . import rows
from .models import ApiToken, Channel, Workspace
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
    token = _active_token(_digest(raw), kind)
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or _minute(token.last_used_at) != _minute(now):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token


@rows.statement
def _token_sql():
    token_workspace, workspace_account = rows.column(ApiToken, "workspace", "t"), rows.column(Workspace, "account", "w")
    return (
        f"SELECT {rows.columns(ApiToken, 't')}, {rows.columns(Workspace, 'w')}, {rows.columns(Account, 'a')}"
        f" FROM {rows.table(ApiToken)} t"
        f" JOIN {rows.table(Workspace)} w ON {rows.column(Workspace, 'id', 'w')} = {token_workspace}"
        f" JOIN {rows.table(Account)} a ON {rows.column(Account, 'id', 'a')} = {workspace_account}"
        f" WHERE {rows.column(ApiToken, 'digest', 't')} = %s AND {rows.column(ApiToken, 'kind', 't')} = %s"
        f" AND {rows.column(ApiToken, 'revoked_at', 't')} IS NULL"
    )


def _active_token(digest, kind):
    """The active token with this digest and kind, its workspace and account loaded: one read on
    every API request, hand-written (alerts.rows)."""
    found = rows.select(_token_sql(), [digest, kind], ApiToken, Workspace, Account)
    if not found:
        return None
    token, workspace, account = found[0]  # the digest is unique
    workspace.account = account
    token.workspace = workspace
    return token


def _minute(moment):
    return moment.replace(second=0, microsecond=0)
