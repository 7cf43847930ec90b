"""The workspace's custom webhook settings (D4, I3): URL, a generated secret shown once, rotation,
and a connectivity test that pushes a signed test message and reports the answer. The URL is
refused when it points to a local, private or reserved address (contacts.messaging.destinations)."""

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from contacts.messaging import Message, message_send
from contacts.messaging.destinations import validate_outbound_url
from contacts.messaging.failures import DeliveryError
from contacts.versioning import StaleEdit, history_author_set, version_of

from .messages import reason_text, webhook_test_payload
from .models import WorkspaceWebhook


def _new_secret():
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_configure(*, workspace, url, by=None, version=None):
    """Set the URL; a new webhook gets a secret, returned once (None when the secret is kept).
    With `version` (the settings form's; 0 when it showed no webhook), a webhook created, changed
    or removed since is not touched: `StaleEdit`. Only the URL is written, never the secret."""
    url = (url or "").strip()
    try:
        validate_outbound_url(url)  # before the general URL syntax: it names what is wrong with the host
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as invalid:
        if invalid.code != "destination_refused":
            invalid = ValidationError(_("Enter an http:// or https:// URL."))
        raise ValidationError({"url": invalid.messages}) from None
    with transaction.atomic():
        webhook = WorkspaceWebhook.objects.select_for_update().filter(workspace=workspace).first()
        if version is not None and version != version_of(webhook):
            raise StaleEdit(webhook, version_of(webhook))
        if webhook is None:
            secret = _new_secret()
            webhook = WorkspaceWebhook(workspace=workspace, url=url, secret=secret)
            history_author_set(webhook, by=by)
            try:
                with transaction.atomic():
                    webhook.save()
            except IntegrityError:
                # Another first save came in between: this form did not see it.
                if version is None:
                    raise
                current = WorkspaceWebhook.objects.get(workspace=workspace)
                raise StaleEdit(current, current.version) from None
            return webhook, secret
        if webhook.url != url:
            webhook.url = url
            history_author_set(webhook, by=by)
            webhook.save(update_fields=["url"])
    return webhook, None


def webhook_rotate_secret(*, webhook):
    secret = _new_secret()
    WorkspaceWebhook.objects.filter(pk=webhook.pk).update(secret=secret)
    return secret


def webhook_remove(*, workspace):
    WorkspaceWebhook.objects.filter(workspace=workspace).delete()


def webhook_test(*, webhook):
    """Push a signed test message of the same shape as an alert push; returns (ok, text to show),
    the text in the active language."""
    message = Message(
        channel="webhook",
        to="",
        language="en",
        kind="test",
        account_uid=webhook.workspace.account.uid,
        workspace_id=webhook.workspace_id,
        webhook_url=webhook.url,
        webhook_secret=webhook.secret,
        payload=webhook_test_payload(webhook),
    )
    try:
        message_send(message)
    except DeliveryError as error:
        return False, reason_text(error.code, error.details)
    return True, ""
