"""The workspace's custom webhook (D4): a real HTTP push, never written to the outbox."""

import hashlib
import hmac
import json

from django.conf import settings

from .base import Message, Transport
from .failures import PermanentFailure
from .http import post_json

SIGNATURE_HEADER = "X-Signature"
DELIVERY_HEADER = "X-Delivery-Id"


def webhook_signature(body: bytes, secret: str) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact request body with the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookTransport(Transport):
    """Posts `message.payload` (DataWorks' custom-webhook JSON plus the recipient, keys sorted) to
    `message.webhook_url`, signed with `message.webhook_secret` so the forwarding service can check
    that the push is ours. The connectivity test (I3) has no delivery: its X-Delivery-Id is 0."""

    def send(self, message: Message) -> None:
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
                DELIVERY_HEADER: str(message.delivery_id or 0),
            },
        )
