import pytest

from alerts.demo import demo_load

DEMO_PASSWORD = "demo"


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English, whatever language a previous request left active."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher costs ~0.3 s per password on purpose; tests set many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _loopback_peers_allowed(settings):
    """Delivery tests post to real peers on loopback (tests/peers.py), which the outbound guard
    refuses unless loopback is listed; tests of the guard itself empty the list."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(autouse=True)
def _message_backends(settings, tmp_path):
    """Unit tests use in-memory channels and run tasks at once; tests that need the outbox file or
    the database task queue switch them back explicitly."""
    from contacts.messaging.locmem import LocmemTransport

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.locmem.LocmemTransport",
    }
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.OUTBOX_PATH = tmp_path / "outbox.jsonl"
    settings.SITE_URL = "http://testserver"
    LocmemTransport.outbox = []
    yield LocmemTransport.outbox


@pytest.fixture
def sms_outbox(_message_backends):
    return _message_backends


@pytest.fixture
def demo(db):
    """The demo data of `load_demo_data`: the public sign-ins, accounts and workspaces."""
    return demo_load(password=DEMO_PASSWORD)


@pytest.fixture
def sign_in(client, django_user_model):
    """Sign the test client in as a demo sign-in (or stay anonymous for None)."""

    def _sign_in(username):
        client.logout()
        if username is not None:
            client.force_login(django_user_model.objects.get(username=username))
        return client

    return _sign_in
