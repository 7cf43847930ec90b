"""System checks of this project's own settings, run by `manage.py check` (see config/apps.py)."""

from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

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


@register(Tags.security)
def check_sign_in(app_configs, **kwargs):
    """Sign in with Alibaba Cloud needs a discovery URL; with password sign-in off and no OpenID
    provider, only staff users could sign in at all."""
    found = []
    url = urlsplit(settings.OIDC_DISCOVERY_URL or "")
    if settings.OIDC_CLIENT_ID and (url.scheme not in ("http", "https") or not url.netloc):
        found.append(
            Error(
                f"OIDC_CLIENT_ID is set but OIDC_DISCOVERY_URL ({settings.OIDC_DISCOVERY_URL!r}) is not a URL.",
                hint="Set OIDC_DISCOVERY_URL to the provider's /.well-known/openid-configuration, e.g. "
                "https://oauth.aliyun.com/.well-known/openid-configuration.",
                id="alert_contacts.E001",
            )
        )
    if not settings.PASSWORD_SIGN_IN and not settings.OIDC_CLIENT_ID:
        found.append(
            Warning(
                "PASSWORD_SIGN_IN is off and Sign in with Alibaba Cloud is not configured: only staff can sign in.",
                hint="Set OIDC_CLIENT_ID, OIDC_CLIENT_SECRET (and OIDC_DISCOVERY_URL), or PASSWORD_SIGN_IN=true.",
                id="alert_contacts.W002",
            )
        )
    return found
