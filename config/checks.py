"""System checks of this project's own settings, run by `manage.py check` (see config/apps.py)."""

from email.utils import parseaddr

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_MAIL_DOMAINS = {"localhost", "localhost.localdomain"}


def mail_domain_is_local(address):
    """Whether the sender's domain is one that mail servers refuse as a sender (localhost, or a
    name without a dot, which is not a domain on the internet)."""
    _name, email = parseaddr(address)
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    return not domain or domain in LOCAL_MAIL_DOMAINS or domain.endswith(".localhost") or "." not in domain


@register(Tags.mail, deploy=True)
def check_default_from_email(app_configs, **kwargs):
    """DEFAULT_FROM_EMAIL at localhost (the local default) is refused by mail servers: activation
    messages and alerts by email would never arrive."""
    if mail_domain_is_local(settings.DEFAULT_FROM_EMAIL):
        return [
            Warning(
                f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}: mail servers refuse senders at "
                "localhost, so activation messages and alerts by email would not arrive.",
                hint="Set DEFAULT_FROM_EMAIL to an address of your mail domain, "
                "e.g. 'Alert Contacts <alerts@example.com>'.",
                id="alert_contacts.W001",
            )
        ]
    return []
