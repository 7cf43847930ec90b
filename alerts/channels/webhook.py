import hashlib
import hmac
import json

from django.conf import settings

from contacts.channel_errors import PermanentFailure
from contacts.http import post_json

from .base import ChannelBackend

SIGNATURE_HEADER = "X-Signature"


def webhook_signature(body, secret):
    """`sha256=<hex>`: HMAC-SHA256 of the exact request body with the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel(ChannelBackend):
    """The workspace's custom webhook (D4): DataWorks' custom-webhook JSON plus the recipient,
    signed so the forwarding service can check that the push is ours."""

    def send(self, message):
        if not message.webhook_url:
            raise PermanentFailure("The workspace has no custom webhook", code="NO_WEBHOOK")
        body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode()
        post_json(
            message.webhook_url,
            None,
            body=body,
            timeout=settings.HTTP_TIMEOUT_SECONDS,
            headers={
                SIGNATURE_HEADER: webhook_signature(body, message.webhook_secret),
                "X-Delivery-Id": str(message.delivery_id),
            },
        )
