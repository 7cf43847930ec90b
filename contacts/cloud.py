"""How the product reaches Alibaba Cloud through the official SDKs: the credentials and the
client configuration every Alibaba Cloud client of the product is built from (RAM and DataWorks
for the directory, SMS and Voice for messages), so timeouts, endpoints and credentials are set in
one place.

Credentials come from the official credentials chain (alibabacloud-credentials): the environment
variables `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET`, the credentials file and its profiles, or an
instance RAM role. An account may name a profile of the credentials file; no secret is ever
stored in the database.
"""

from urllib.parse import urlsplit

from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.provider import ProfileCredentialsProvider
from alibabacloud_tea_openapi.models import Config
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def endpoint_parts(url: str) -> tuple[str, str]:
    """`https://ram.aliyuncs.com` -> ("https", "ram.aliyuncs.com"); the SDK takes the scheme and
    the host (with its port) apart. A bare host means https."""
    text = (url or "").strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
        raise ImproperlyConfigured(f"Not an endpoint URL (scheme and host only): {url!r}")
    return parts.scheme, parts.netloc


def credential_client(profile: str = "") -> CredentialClient:
    """The credentials chain, or the named profile of the credentials file when `profile` is set."""
    if profile:
        return CredentialClient(provider=ProfileCredentialsProvider(profile_name=profile))
    return CredentialClient()


def sdk_config(endpoint_url: str, *, profile: str = "") -> Config:
    """A client configuration for one endpoint, with explicit timeouts (ALIBABA_CLOUD_CONNECT_TIMEOUT_SECONDS,
    ALIBABA_CLOUD_READ_TIMEOUT_SECONDS; the SDK counts milliseconds) and no retries by the SDK:
    the product decides what to retry."""
    protocol, endpoint = endpoint_parts(endpoint_url)
    return Config(
        credential=credential_client(profile),
        endpoint=endpoint,
        protocol=protocol,
        connect_timeout=int(settings.ALIBABA_CLOUD_CONNECT_TIMEOUT_SECONDS * 1000),
        read_timeout=int(settings.ALIBABA_CLOUD_READ_TIMEOUT_SECONDS * 1000),
    )
