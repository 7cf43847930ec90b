import pytest

from alerts.models import WorkspaceWebhook
from tests.peers import HttpPeer, SmtpPeer


@pytest.fixture
def smtp(settings):
    """Mail goes to a real SMTP server on loopback."""
    with SmtpPeer() as peer:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": peer.port, "timeout": 5},
            }
        }
        yield peer.handler


@pytest.fixture
def http_peer(settings):
    """An HTTP server playing SMS gateway (/sms), voice gateway (/voice) and webhook (/hook)."""
    with HttpPeer() as peer:
        gateway = "contacts.messaging.gateway.GatewayTransport"
        settings.MESSAGING_TRANSPORTS = {**settings.MESSAGING_TRANSPORTS, "sms": gateway, "voice": gateway}
        settings.SMS_GATEWAY_URL = peer.url + "/sms"
        settings.VOICE_GATEWAY_URL = peer.url + "/voice"
        settings.HTTP_TIMEOUT_SECONDS = 1.0
        yield peer


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 0
    settings.DELIVERY_MAX_ATTEMPTS = 3


@pytest.fixture
def ws(demo):
    return demo["workspaces"]["demo_workspace"]


@pytest.fixture
def webhook(ws, http_peer):
    return WorkspaceWebhook.objects.create(workspace=ws, url=http_peer.url + "/hook", secret="s3cret")


def members_add(ws, count, prefix):
    """`count` RAM users of the workspace's account, members of it with an activated email
    address (prefix-000@example.com …); returns their names."""
    from alerts.models import Membership
    from contacts.models import ContactMethod, Principal

    names = []
    for i in range(count):
        name = f"{prefix}-{i:03}"
        p = Principal.objects.create(account=ws.account, kind="user", name=name, email=f"{name}@example.com")
        ContactMethod.objects.create(principal=p, channel="email", status="activated")
        Membership.objects.create(workspace=ws, principal=p)
        names.append(name)
    return names
