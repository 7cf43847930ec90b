"""System checks: the gateway URLs set by the operator obey the outbound rules from the start
(contacts.messaging.destinations), not only when the first message fails."""

from django.conf import settings
from django.core import checks

from .messaging.destinations import destination_check
from .messaging.failures import DestinationRefused

URL_SETTINGS = ["SMS_GATEWAY_URL", "VOICE_GATEWAY_URL"]


@checks.register()
def gateway_urls_check(app_configs=None, **kwargs):
    errors = []
    for name in URL_SETTINGS:
        url = getattr(settings, name, "")
        if not url:
            continue
        try:
            destination_check(url)
        except DestinationRefused as refused:
            errors.append(
                checks.Error(
                    f"{name} is refused: {refused.text}",
                    id="contacts.E001",
                    hint="Use a public https:// URL, or list its network in OUTBOUND_ALLOWED_NETWORKS.",
                )
            )
    return errors
